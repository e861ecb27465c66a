/**
 * Serving an in-process implementation over optconf/1 on a pair of streams (stdin/stdout):
 * one JSON message a line; a malformed line gets an `error` reply naming the problem and the
 * loop goes on with the next line.
 *
 * Requests are parsed as their bytes arrive (conformance/stream-json.ts): arrays of numbers go
 * straight into Float64Arrays, so a 10⁶-element, 10-step request (100+ MB of text) is held as its
 * numbers (8 bytes each), never as one string or as boxed values; the implementations take them
 * as they are (WireArray) and a large reply is written in pieces.
 */
import type { Readable, Writable } from 'node:stream';
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkRunRequest, type RunRequest } from './protocol.ts';
import { JsonLineReader, schemaSkeleton, writeMessageLine, type ParsedLine } from './stream-json.ts';

/** Lines longer than this are refused whole, skipped unparsed (a 10⁶-element float64 case is about 25 MB). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

const tooLong = (limit: number) => `line of more than ${limit} bytes exceeds the limit`;

/** PROTO-1, PROTO-2: answers hello, run and bye, one reply per request line. */
export async function serve(impl: Implementation, input: Readable, output: Writable, options: { maxLineBytes?: number } = {}): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const write = (text: string) =>
    new Promise<void>((resolve) => {
      if (output.write(text)) resolve();
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
      else await send(await impl.hello());
    } else if (op === 'bye') {
      return true;
    } else if (op === 'run') {
      // the schema sees arrays read into Float64Arrays as empty arrays: they hold only numbers
      const checked = checkRunRequest(schemaSkeleton(message));
      if (!checked.ok) await send({ op: 'error', id, message: `malformed run message: ${checked.error}` });
      else await send(await impl.run(message as RunRequest));
    } else {
      await send({ op: 'error', id, message: `unknown op ${JSON.stringify(op)}; expected hello, run or bye` });
    }
    return false;
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
