/**
 * Asking an implementation for replies within the runner's limits, restarting it after a protocol
 * failure or a kill (spec/protocol.md PROTO-8): the runner's view of one target's implementation.
 */
import { RESTARTS_PER_TARGET } from '../limits.ts';
import { revive, stoppedAnswering, type Implementation } from '../protocol/implementation.ts';
import type { RunReply, RunRequest } from '../protocol/messages.ts';
import { withTimeout } from '../protocol/timeout.ts';

/**
 * PROTO-8: the implementation as one target sees it. After a protocol failure or a kill the process
 * is restarted before the next request, at most RESTARTS_PER_TARGET times; once it cannot be, no
 * more is asked of it, and `cannot` says why.
 */
export class Answering {
  private restartsLeft = RESTARTS_PER_TARGET;
  /** why the implementation can no longer be asked anything, once it cannot */
  cannot: string | undefined;
  constructor(
    readonly impl: Implementation,
    private readonly limits: { readonly startupMs: number; readonly caseMs: number },
  ) {}

  /**
   * Whether the implementation answers the next request: as it is, or restarted when it stopped, a
   * restart is left and `restart` allows it. Before any case failed it does not: a process that
   * stopped between cases (output no request asked for, an exit) ends the target, it is not healed.
   */
  async ready(restart = true): Promise<boolean> {
    const dead = stoppedAnswering(this.impl);
    if (dead === undefined) return true;
    if (!restart) {
      this.cannot ??= dead;
      return false;
    }
    if (this.cannot !== undefined) return false;
    if (this.restartsLeft <= 0) {
      this.cannot = `its ${RESTARTS_PER_TARGET} restarts are spent`;
      return false;
    }
    this.restartsLeft--;
    this.cannot = await revive(this.impl, this.limits.startupMs);
    return this.cannot === undefined;
  }

  /**
   * The implementation's reply, or a protocol failure (PROTO-8) naming what went wrong instead: a
   * throw, a hang, garbage, or a process that stopped answering with this case (given up after its
   * reply, or ended, or output no request asked for arrived with the reply).
   */
  async ask(request: RunRequest): Promise<{ reply: RunReply; protocol?: undefined } | { reply?: undefined; protocol: string }> {
    let reply: RunReply;
    try {
      reply = await withTimeout(this.impl.run(request), this.limits.caseMs, `reply to case ${request.id}`);
    } catch (e) {
      return { protocol: `implementation threw: ${(e as Error).message}` };
    }
    if (typeof reply !== 'object' || reply === null || !('op' in reply)) return { protocol: 'reply is not a protocol message' };
    const dead = stoppedAnswering(this.impl);
    if (dead === undefined) return { reply };
    return { protocol: reply.op === 'error' ? reply.message : dead };
  }
}
