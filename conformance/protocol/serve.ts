/**
 * Serving an in-process implementation over optconf/1 on a pair of streams (stdin/stdout):
 * one JSON message a line; a malformed line gets an `error` reply naming the problem and the
 * loop goes on with the next line.
 *
 * Requests are parsed as their bytes arrive (conformance/protocol/stream-json.ts): arrays of numbers go
 * straight into Float64Arrays, so a 10⁶-element, 10-step request (100+ MB of text) is held as its
 * numbers (8 bytes each), never as one string or as boxed values; the implementations take them
 * as they are (WireArray) and a large reply is written in pieces.
 *
 * Base64 arrays (PROTO-9) are handled here, for whatever implementation is served: the hello reply
 * declares them, the reader decodes them, and a reply goes back as base64 when its request's params
 * came so (as JSON otherwise, so a hand-written request gets a readable reply).
 */
import type { Readable, Writable } from 'node:stream';
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkRunRequest, type RunRequest } from './messages.ts';
import { JsonLineReader, schemaSkeleton, writeMessageLine, type ParsedLine } from './stream-json.ts';
import { decodeRequestArrays, encodeReplyArrays, requestCameAsBase64 } from './tensor-arrays.ts';

/** Lines longer than this are refused whole, skipped unparsed (a 10⁶-element float64 case is about 25 MB). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

const tooLong = (limit: number) => `line of more than ${limit} bytes exceeds the limit`;

export interface ServeOptions {
  /** lines longer than this are refused (default MAX_LINE_BYTES) */
  readonly maxLineBytes?: number;
  /** declare and use base64 arrays (PROTO-9); true by default */
  readonly base64Arrays?: boolean;
}

/** PROTO-1, PROTO-2, PROTO-9: answers hello, run and bye, one reply per request line. */
export async function serve(impl: Implementation, input: Readable, output: Writable, options: ServeOptions = {}): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const base64Arrays = options.base64Arrays ?? true;
  const write = (chunk: string | Uint8Array) =>
    new Promise<void>((resolve) => {
      if (output.write(chunk)) resolve();
      else output.once('drain', () => resolve());
    });
  // A large reply is written in pieces (the same bytes as stringifyLine's), never as one string.
  const send = (m: unknown) => writeMessageLine(m, write);

  /** One request line; true after `bye`. */
  async function answer(line: ParsedLine): Promise<boolean> {
    // abandoned while it grew, or ended within one chunk: either way over the limit
    if (line.bytes > maxLineBytes) {
      await send({ op: 'error', id: null, message: tooLong(maxLineBytes) });
      return false;
    }
    if (!line.ok) {
      await send({ op: 'error', id: null, message: `not JSON: ${line.error}` });
      return false;
    }
    const message = line.value;
    const op = typeof message === 'object' && message !== null ? (message as { op?: unknown }).op : undefined;
    const id = typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'string' ? (message as { id: string }).id : null;
    if (op === 'hello') {
      const protocol = (message as { protocol?: unknown }).protocol;
      if (protocol !== PROTOCOL) await send({ op: 'error', id: null, message: `unsupported protocol ${JSON.stringify(protocol)}; this speaks ${PROTOCOL}` });
      else await send(base64Arrays ? { ...(await impl.hello()), base64Arrays: true } : await impl.hello());
    } else if (op === 'bye') {
      return true;
    } else if (op === 'run') {
      await send(await run(message as Record<string, unknown>, id));
    } else {
      await send({ op: 'error', id, message: `unknown op ${JSON.stringify(op)}; expected hello, run or bye` });
    }
    return false;
  }

  /** The reply to a run request: its base64 arrays decoded, the schema checked, the arrays encoded back as they came. */
  async function run(message: Record<string, unknown>, id: string | null): Promise<unknown> {
    try {
      decodeRequestArrays(message);
    } catch (e) {
      return { op: 'error', id, message: `malformed run message: ${(e as Error).message}` };
    }
    // the schema sees arrays read into Float64Arrays as empty arrays: they hold only numbers
    const checked = checkRunRequest(schemaSkeleton(message));
    if (!checked.ok) return { op: 'error', id, message: `malformed run message: ${checked.error}` };
    const request = message as unknown as RunRequest;
    const reply = await impl.run(request);
    if (!base64Arrays || !requestCameAsBase64(request)) return reply;
    try {
      return encodeReplyArrays(reply, request.dtype);
    } catch (e) {
      // an output that is not a number: the served implementation's bug, reported rather than ending the session
      return { op: 'error', id, message: `reply not encodable as base64: ${(e as Error).message}` };
    }
  }

  const reader = new JsonLineReader();
  let bye = false;
  // Lines are answered in order, each before the next chunk is read (the input waits meanwhile).
  for await (const chunk of input) {
    for (const line of reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))) {
      if ((bye = await answer(line))) break;
    }
    if (bye) break;
    if (reader.pendingBytes > maxLineBytes) reader.abandon(tooLong(maxLineBytes));
  }
  if (!bye) for (const line of reader.end()) if (await answer(line)) break;
  await impl.close?.();
}
