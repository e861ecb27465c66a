/**
 * An implementation in another process, spoken to over optconf/1 (spec/protocol.md): an argv
 * (no shell), JSON Lines on stdin/stdout, stderr kept as a bounded log. Everything the runner
 * does not control is bounded: start-up and per-case time limits, bytes read per reply, stderr
 * kept. A crash, hang, flood, non-JSON line, wrong id or malformed reply becomes an `error` reply
 * naming the problem; once the process is gone, `failure` says why and every later call fails fast.
 * The process runs in a group of its own, killed whole (process-group.ts); `restart` starts a
 * fresh one. Tensor arrays travel as base64 when the implementation says it reads them (PROTO-9).
 */
import type { Writable } from 'node:stream';
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkHello, checkRunReply, type HelloReply, type RunReply, type RunRequest } from './messages.ts';
import { spawnGroup, type Ending, type ProcessGroup } from './process-group.ts';
import { JsonLineReader, schemaSkeleton, writeMessageLine, type ParsedLine } from './stream-json.ts';
import { decodeReplyArrays, encodeRequestArrays } from './tensor-arrays.ts';
import { stringifyLine } from './wire.ts';

export interface ProcessLimits {
  readonly startupMs: number;
  readonly caseMs: number;
  readonly maxReplyBytes: number;
  readonly maxStderrBytes: number;
  /** PROTO-1: how long the process has to exit after `bye` before its group is killed */
  readonly byeMs: number;
}

export const DEFAULT_LIMITS: ProcessLimits = {
  startupMs: 30_000,
  caseMs: 60_000,
  maxReplyBytes: 512 * 1024 * 1024,
  maxStderrBytes: 1024 * 1024,
  byeMs: 2000,
};

/**
 * How long the pipes may stay open once the process has ended and its group is killed (a process
 * that left the group can hold them), before its ending is reported without the rest of its output.
 */
const PIPE_DRAIN_MS = 1000;

/** How long after closing stdout a process has to end, for its ending (with its code and stderr) to be the failure reported. */
const STDOUT_CLOSED_MS = 250;

export interface SpawnOptions {
  /** write plain JSON arrays even to an implementation that reads base64 arrays (PROTO-9): for reading the exchange by eye */
  readonly jsonArrays?: boolean;
}

export interface ProcessImplementation extends Implementation {
  /** why the process can no longer answer (crashed, killed after a hang or a flood), if it can't */
  readonly failure: string | undefined;
  /** the last part of what it wrote to stderr */
  stderrTail(): string;
  /** the process id (for resource measurements), also its process group's id */
  readonly pid: number | undefined;
  /** kills the process's whole group and starts the command afresh, greeted within the start-up limit */
  restart(): Promise<HelloReply>;
  /** PROTO-1: `bye`, then the process's whole group is killed once it exits or `byeMs` has passed */
  close(): Promise<void>;
}

/** Splits a shell-like command string into an argv (quotes and backslashes; no expansion). */
export function splitCommand(command: string): string[] {
  const argv: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < command.length) current += command[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      current += command[++i];
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) argv.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} in command: ${command}`);
  if (started) argv.push(current);
  if (argv.length === 0) throw new Error('empty implementation command');
  return argv;
}

/**
 * PROTO-1, PROTO-2, PROTO-8, PROTO-9: an implementation process — argv, JSON Lines, bounded time
 * and output; tensor arrays as base64 when its hello says `base64Arrays` (unless `jsonArrays`).
 * Limits not given are DEFAULT_LIMITS'.
 */
export function spawnImplementation(argv: readonly string[], limits: Partial<ProcessLimits> = {}, options: SpawnOptions = {}): ProcessImplementation {
  const all: ProcessLimits = { ...DEFAULT_LIMITS, ...limits };
  const label = argv.join(' ');
  let session = new Session(argv, all);
  // PROTO-9: set by the hello reply
  let base64Arrays = false;
  const hello = async (): Promise<HelloReply> => {
    const reply = await helloOf(session, label, all.startupMs);
    base64Arrays = reply.base64Arrays === true && options.jsonArrays !== true;
    return reply;
  };
  return {
    get failure() {
      return session.failure;
    },
    stderrTail: () => tail(session.stderr),
    get pid() {
      return session.pid;
    },
    hello,
    run: (request) => runCase(session, request, base64Arrays, all.caseMs),
    close: () => session.close(),
    async restart() {
      await session.terminate();
      session = new Session(argv, all);
      return hello();
    },
  };
}

/** PROTO-2, PROTO-4, PROTO-8: the hello exchange; every failure is thrown as a start-up failure naming the command. */
async function helloOf(session: Session, label: string, startupMs: number): Promise<HelloReply> {
  let reply: unknown;
  try {
    reply = await session.exchange({ op: 'hello', protocol: PROTOCOL }, startupMs, 'hello reply');
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
  if (isErrorReply(reply)) throw new Error(`${label}: answered hello with an error: ${clip(String(reply.message))}`);
  const checked = checkHello(reply);
  if (!checked.ok) throw new Error(`${label}: malformed hello reply: ${checked.error}`);
  if (checked.value.protocol !== PROTOCOL) throw new Error(`${label}: speaks ${checked.value.protocol}, not ${PROTOCOL}`);
  return checked.value;
}

/** PROTO-5, PROTO-6, PROTO-8, PROTO-9: one case; whatever goes wrong becomes an `error` reply naming it. */
async function runCase(session: Session, request: RunRequest, base64Arrays: boolean, caseMs: number): Promise<RunReply> {
  const error = (message: string): RunReply => ({ op: 'error', id: request.id, message });
  let reply: unknown;
  try {
    const message = base64Arrays ? encodeRequestArrays(request) : request;
    reply = await session.exchange(message, caseMs, `reply to case ${request.id}`, isLarge(request));
  } catch (e) {
    return error((e as Error).message);
  }
  // PROTO-9: read from any implementation; the reader decoded the well-formed base64 arrays, this names what is wrong with the rest
  try {
    if (typeof reply === 'object' && reply !== null) decodeReplyArrays(reply as Record<string, unknown>);
  } catch (e) {
    return error(`malformed reply: ${(e as Error).message}`);
  }
  // the schema sees number arrays read into Float64Arrays as empty arrays: they hold only numbers
  const checked = checkRunReply(schemaSkeleton(reply));
  if (!checked.ok) return error(`malformed reply: ${checked.error}`);
  if (checked.value.id !== request.id) return error(`reply has id ${JSON.stringify(checked.value.id)}, expected ${JSON.stringify(request.id)}`);
  return reply as RunReply;
}

/**
 * One process of the implementation (PROTO-1, PROTO-8): its group, its stdout read as lines as the
 * bytes arrive, its stderr kept, and why it can no longer answer. Its ending is awaited from the
 * moment of spawn, so no exit goes unseen, whenever it comes.
 */
class Session {
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
    if (this.failure !== undefined) throw new Error(this.failure);
    this.replyDue = true;
    const timer = setTimeout(() => this.fail(`no ${what} within ${timeoutMs / 1000} s (killed)`), timeoutMs);
    try {
      // PROTO-1: one message a line; a large one is written in pieces (stream-json.ts), the same bytes as stringifyLine's
      if (large) await writeMessageLine(message, (text) => this.write(text));
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
  private async write(text: string): Promise<void> {
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

/** PROTO-2: an `error` reply (to hello, where the schema expects a hello reply). */
function isErrorReply(reply: unknown): reply is { op: 'error'; message?: unknown } {
  return typeof reply === 'object' && reply !== null && (reply as { op?: unknown }).op === 'error';
}

/** Whether a run request is worth writing in pieces (large arrays, as JSON or as base64). */
function isLarge(request: RunRequest): boolean {
  return request.params.length * (1 + request.steps.length) > 100_000;
}

function lineHead(line: ParsedLine | undefined): string {
  if (line === undefined) return '';
  return line.ok ? JSON.stringify(line.value, (_k, x: unknown) => (x instanceof Float64Array ? Array.from(x.subarray(0, 50)) : x)).slice(0, 300) : line.head;
}

function clip(s: string | undefined): string {
  const t = (s ?? '').replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

function tail(s: string): string {
  const t = s.trim();
  return t.length > 500 ? `…${t.slice(-500)}` : t;
}
