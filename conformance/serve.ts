/**
 * Serving an in-process implementation over optconf/1 on a pair of streams (stdin/stdout):
 * one JSON message a line; a malformed line gets an `error` reply naming the problem and the
 * loop goes on with the next line.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkRunRequest } from './protocol.ts';
import { writeMessageLine } from './stream-json.ts';

/** Lines longer than this are refused whole (a 10⁶-element float64 case is about 25 MB). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** PROTO-1, PROTO-2: answers hello, run and bye, one reply per request line. */
export async function serve(impl: Implementation, input: Readable, output: Writable): Promise<void> {
  const write = (text: string) =>
    new Promise<void>((resolve) => {
      if (output.write(text)) resolve();
      else output.once('drain', () => resolve());
    });
  // A large reply is written in pieces (the same bytes as stringifyLine's), never as one string.
  const send = (m: unknown) => writeMessageLine(m, write);
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (line.length > MAX_LINE_BYTES) {
      await send({ op: 'error', id: null, message: `line of ${line.length} bytes exceeds the ${MAX_LINE_BYTES}-byte limit` });
      continue;
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (e) {
      await send({ op: 'error', id: null, message: `not JSON: ${(e as Error).message}` });
      continue;
    }
    const op = typeof message === 'object' && message !== null ? (message as { op?: unknown }).op : undefined;
    const id = typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'string' ? (message as { id: string }).id : null;
    if (op === 'hello') {
      const protocol = (message as { protocol?: unknown }).protocol;
      if (protocol !== PROTOCOL) await send({ op: 'error', id: null, message: `unsupported protocol ${JSON.stringify(protocol)}; this speaks ${PROTOCOL}` });
      else await send(await impl.hello());
    } else if (op === 'bye') {
      break;
    } else if (op === 'run') {
      const checked = checkRunRequest(message);
      if (!checked.ok) await send({ op: 'error', id, message: `malformed run message: ${checked.error}` });
      else await send(await impl.run(checked.value));
    } else {
      await send({ op: 'error', id, message: `unknown op ${JSON.stringify(op)}; expected hello, run or bye` });
    }
  }
  lines.close();
  await impl.close?.();
}
