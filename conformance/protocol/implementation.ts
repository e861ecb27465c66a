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

/** PROTO-8: why an implementation can no longer answer, if it can't (only a process implementation stops; see process.ts's `failure`). */
export function stoppedAnswering(impl: Implementation): string | undefined {
  return (impl as { failure?: string }).failure;
}

/**
 * PROTO-8: an implementation that answers the next request: as it is when it still answers,
 * restarted (within the start-up limit) when it stopped. Resolves to undefined when it answers,
 * else to why it cannot (it has no `restart`, or the fresh one did not start).
 */
export async function revive(impl: Implementation, startupMs: number): Promise<string | undefined> {
  const dead = stoppedAnswering(impl);
  if (dead === undefined) return undefined;
  if (impl.restart === undefined) return `${dead}; it cannot be restarted`;
  try {
    await withTimeout(impl.restart(), startupMs, 'hello reply from the restarted implementation');
  } catch (e) {
    return `${dead}; it could not be restarted: ${(e as Error).message}`;
  }
  return stoppedAnswering(impl);
}
