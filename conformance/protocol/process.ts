/**
 * An implementation in another process, spoken to over optconf/1 (spec/protocol.md): an argv
 * (no shell), JSON Lines on stdin/stdout, stderr kept as a bounded log. Everything the runner
 * does not control is bounded: start-up and per-case time limits, bytes read per reply, stderr
 * kept. A crash, hang, flood, non-JSON line, wrong id or malformed reply becomes an `error` reply
 * naming the problem; the process is then given up: `failure` says why and every later call fails fast.
 * The process runs in a group of its own, killed whole (process-group.ts); `restart` starts a
 * fresh one. Tensor arrays travel as base64 when the implementation says it reads them (PROTO-9).
 */
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkHello, checkRunReply, type HelloReply, type RunReply, type RunRequest } from './messages.ts';
import { Session, clip, tail } from './process-session.ts';
import { schemaSkeleton } from './stream-json.ts';
import { decodeReplyArrays, encodeRequestArrays } from './tensor-arrays.ts';
import { PROCESS_LIMITS } from '../limits.ts';

export interface ProcessLimits {
  readonly startupMs: number;
  readonly caseMs: number;
  readonly maxReplyBytes: number;
  readonly maxStderrBytes: number;
  /** PROTO-1: how long the process has to exit after `bye` before its group is killed */
  readonly byeMs: number;
}

/** The limits of conformance/limits.ts, the one table of them. */
export const DEFAULT_LIMITS: ProcessLimits = PROCESS_LIMITS;

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

/**
 * PROTO-5, PROTO-6, PROTO-8, PROTO-9: one case; whatever goes wrong becomes an `error` reply naming
 * it, and the process is given up (its `failure` set, its group killed): after a protocol failure
 * nothing it writes can be trusted to answer the next request, so a runner restarts it.
 */
async function runCase(session: Session, request: RunRequest, base64Arrays: boolean, caseMs: number): Promise<RunReply> {
  const error = (message: string): RunReply => {
    session.abandon(message);
    return { op: 'error', id: request.id, message };
  };
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

/** PROTO-2: an `error` reply (to hello, where the schema expects a hello reply). */
function isErrorReply(reply: unknown): reply is { op: 'error'; message?: unknown } {
  return typeof reply === 'object' && reply !== null && (reply as { op?: unknown }).op === 'error';
}

/** Whether a run request is worth writing in pieces (large arrays, as JSON or as base64). */
function isLarge(request: RunRequest): boolean {
  return request.params.length * (1 + request.steps.length) > 100_000;
}
