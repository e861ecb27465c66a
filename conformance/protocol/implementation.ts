/**
 * The in-process face of an implementation: the same objects the optconf/1 protocol carries,
 * so a JavaScript optimizer (TensorFlow.js, your own) is checked without a subprocess.
 */
import type { HelloReply, RunReply, RunRequest } from './messages.ts';
import { withTimeout } from './timeout.ts';

export interface Implementation {
  hello(): HelloReply | Promise<HelloReply>;
  run(request: RunRequest): RunReply | Promise<RunReply>;
  /** ends whatever the implementation started; called once, when the check is over */
  close?(): void | Promise<void>;
  /**
   * PROTO-8: ends the implementation as it is now and starts it afresh, greeted within the start-up
   * limit, so that a runner can go on after a protocol failure (a stray line, a reply out of step)
   * or a kill (a hung case, a flood) with an implementation that answers the next request, not an
   * older one. A process implementation kills its whole process group and starts the command again;
   * its `failure` is then the new process's. Rejects when the fresh one does not start. Optional:
   * without it, nothing more can be asked of an implementation whose process is gone.
   */
  restart?(): Promise<HelloReply>;
}

/**
 * PROTO-2, PROTO-8: the hello exchange within the start-up limit. On failure the implementation is
 * closed and the error says it did not start, so callers report "could not run".
 */
export async function greet(impl: Implementation, timeoutMs: number): Promise<HelloReply> {
  try {
    return await withTimeout(impl.hello(), timeoutMs, 'hello reply');
  } catch (e) {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
    throw new Error(`the implementation did not start: ${(e as Error).message}`);
  }
}
