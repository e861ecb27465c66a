/**
 * One process of an implementation (spec/protocol.md PROTO-1, PROTO-8), for process.ts: started in
 * a group of its own, its stdout read as lines as the bytes arrive, its stderr kept, every request
 * and its reply bounded in time, and why it can no longer answer. Its ending is watched from the
 * moment of spawn.
 */
import type { Writable } from 'node:stream';
import type { ProcessLimits } from './process.ts';
import { spawnGroup, type Ending, type ProcessGroup } from './process-group.ts';
import { JsonLineReader, writeMessageLine, type ParsedLine } from './stream-json.ts';
import { stringifyLine } from './wire.ts';

/**
 * How long the pipes may stay open once the process has ended and its group is killed (a process
 * that left the group can hold them), before its ending is reported without the rest of its output.
 */
const PIPE_DRAIN_MS = 1000;

/** How long after closing stdout a process has to end, for its ending (with its code and stderr) to be the failure reported. */
const STDOUT_CLOSED_MS = 250;

/**
 * One process of the implementation (PROTO-1, PROTO-8): its group, its stdout read as lines as the
 * bytes arrive, its stderr kept, and why it can no longer answer. Its ending is awaited from the
 * moment of spawn, so no exit goes unseen, whenever it comes.
 */
export class Session {
  failure: string | undefined;
  stderr = '';
  private readonly group: ProcessGroup;
  /** settles once the ending is handled: the rest of the output read, the group killed and released */
  private readonly settled: Promise<void>;
  // Replies are parsed as their bytes arrive (numbers straight into Float64Arrays): a large reply never exists as one string.
  private readonly reader = new JsonLineReader();
  private readonly lines: ParsedLine[] = [];
  /** a reply is due: the hello reply from the start (a stray line before it is taken as it, PROTO-1), a case's from its request on */
  private replyDue = true;
  private waiter: ((line: ParsedLine | Error) => void) | undefined;
  // A write waiting for 'drain' to a process that is gone would wait forever: fail() ends it.
  private drainWaiter: (() => void) | undefined;

  constructor(
    private readonly argv: readonly string[],
    private readonly limits: ProcessLimits,
  ) {
    this.group = spawnGroup(argv);
    const { child } = this.group;
    const pipesClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-limits.maxStderrBytes);
    });
    child.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    child.stdout.once('end', () => void this.stdoutEnded());
    child.stdin.on('error', () => {
      /* EPIPE and the like: the process's ending, or the time limit, says why */
    });
    this.settled = this.group.ended.then((ending) => this.ended(ending, pipesClosed));
  }

  get pid(): number | undefined {
    return this.group.child.pid;
  }

  /** Writes a request and reads its reply line as JSON, all within timeoutMs (PROTO-8: from writing the request). */
  async exchange(message: unknown, timeoutMs: number, what: string, large = false): Promise<unknown> {
    // PROTO-8: what the process wrote before it ended is read first — a banner, then an exit, both
    // before the hello is asked (a busy runner): the banner is the hello's reply, not the exit
    const writtenBeforeEnding = this.failure !== undefined && this.lines.length > 0;
    if (this.failure !== undefined && !writtenBeforeEnding) throw new Error(this.failure);
    this.replyDue = true;
    const timer = setTimeout(() => this.fail(`no ${what} within ${timeoutMs / 1000} s (killed)`), timeoutMs);
    try {
      // PROTO-1: one message a line; a large one is written in pieces (stream-json.ts), the same bytes as stringifyLine's
      if (writtenBeforeEnding) {
        // nothing to write to: the reply is the line already read
      } else if (large) await writeMessageLine(message, (text) => this.write(text));
      else await this.write(`${stringifyLine(message)}\n`);
      const line = await this.nextLine();
      if (!line.ok) throw new Error(`non-JSON ${what} (${line.error}): ${clip(line.head)}`);
      return line.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** PROTO-1: `bye`, stdin closed, up to byeMs for the process to exit; then its whole group is killed. */
  async close(): Promise<void> {
    if (this.group.ending === undefined && this.failure === undefined) {
      await this.write(`${stringifyLine({ op: 'bye' })}\n`).catch(() => undefined);
      this.group.child.stdin.end();
      await within(this.group.ended, this.limits.byeMs);
    }
    await this.terminate();
  }

  /** Kills the whole group at once and waits until its ending is handled. */
  async terminate(): Promise<void> {
    this.group.kill();
    await this.settled;
  }

  /**
   * PROTO-8: gives the process up after a protocol failure (a non-JSON or malformed reply, a reply
   * with another case's id): what it writes next cannot be trusted to answer the next request.
   */
  abandon(why: string): void {
    this.fail(why);
  }

  /** Why the process can no longer answer (the first reason is kept); its group is killed, and whoever waits is told. */
  private fail(why: string): void {
    this.failure ??= why;
    this.group.kill();
    const w = this.waiter;
    this.waiter = undefined;
    w?.(new Error(this.failure));
    const d = this.drainWaiter;
    this.drainWaiter = undefined;
    d?.();
  }

  /** Bytes from stdout: each line completed is the reply due, or unrequested output (PROTO-8); a line past the limit is a flood. */
  private read(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    let lines: ParsedLine[];
    try {
      lines = this.reader.push(chunk);
    } catch (e) {
      return this.fail(`could not read its output: ${(e as Error).message}`);
    }
    for (const line of lines) {
      if (!this.replyDue) return this.fail(`unrequested output: ${clip(lineHead(line))}`);
      this.replyDue = false;
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(line);
      else this.lines.push(line);
    }
    if (this.reader.pendingBytes > this.limits.maxReplyBytes) this.fail(`reply exceeded ${this.limits.maxReplyBytes} bytes without a newline (output flood)`);
  }

  private nextLine(): Promise<ParsedLine> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure !== undefined) return Promise.reject(new Error(this.failure));
    return new Promise((resolve, reject) => {
      this.waiter = (line) => (line instanceof Error ? reject(line) : resolve(line));
    });
  }

  /** Writes to stdin, waiting for it to drain; a closed stdin is not an error here (the process's ending, or the limit, names the problem). */
  private async write(text: string | Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw new Error(this.failure);
    const { stdin } = this.group.child;
    if (stdin.destroyed || stdin.writableEnded || stdin.write(text)) return;
    await new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
      drained(stdin).then(resolve, resolve);
    });
    this.drainWaiter = undefined;
    if (this.failure !== undefined) throw new Error(this.failure);
  }

  /** PROTO-8: the process has ended. What it wrote before is read first (its last reply, the end of stderr), then its ending is the failure. */
  private async ended(ending: Ending, pipesClosed: Promise<void>): Promise<void> {
    if ('notStarted' in ending) {
      this.group.release();
      return this.fail(`could not start ${JSON.stringify(this.argv[0])}: ${ending.notStarted.message}`);
    }
    // the rest of the group goes too, so the pipes it shares close
    this.group.kill();
    await within(pipesClosed, PIPE_DRAIN_MS);
    this.group.release();
    const how = ending.signal ? `on signal ${ending.signal}` : `with code ${ending.code}`;
    this.fail(`implementation exited ${how}${this.stderr ? `; stderr ends: ${tail(this.stderr)}` : ''}`);
  }

  /** PROTO-8: stdout closed before the process ended is a failure too, unless the ending follows at once. */
  private async stdoutEnded(): Promise<void> {
    await within(this.group.ended, STDOUT_CLOSED_MS);
    if (this.group.ending === undefined) this.fail('implementation closed its stdout');
  }
}

/** Waits for the promise, or ms at most (the timer cleared either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A stream's next 'drain', or its 'close' (no 'drain' ever comes then). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

function lineHead(line: ParsedLine | undefined): string {
  if (line === undefined) return '';
  return line.ok ? JSON.stringify(line.value, (_k, x: unknown) => (x instanceof Float64Array ? Array.from(x.subarray(0, 50)) : x)).slice(0, 300) : line.head;
}

export function clip(s: string | undefined): string {
  const t = (s ?? '').replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

export function tail(s: string): string {
  const t = s.trim();
  return t.length > 500 ? `…${t.slice(-500)}` : t;
}
