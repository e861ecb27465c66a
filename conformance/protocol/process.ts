/**
 * An implementation in another process, spoken to over optconf/1 (spec/protocol.md): an argv
 * (no shell), JSON Lines on stdin/stdout, stderr kept as a bounded log. Everything the runner
 * does not control is bounded: start-up and per-case time limits, bytes read per reply, stderr
 * kept. A crash, hang, flood, non-JSON line, wrong id or malformed reply becomes an `error` reply
 * naming the problem; once the process is gone, `failure` says why and every later call fails fast.
 * Tensor arrays travel as base64 when the implementation says it reads them (PROTO-9).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkHello, checkRunReply, type HelloReply, type RunReply, type RunRequest } from './messages.ts';
import { JsonLineReader, schemaSkeleton, writeMessageLine, type ParsedLine } from './stream-json.ts';
import { decodeReplyArrays, encodeRequestArrays } from './tensor-arrays.ts';
import { stringifyLine } from './wire.ts';

export interface ProcessLimits {
  readonly startupMs: number;
  readonly caseMs: number;
  readonly maxReplyBytes: number;
  readonly maxStderrBytes: number;
}

export const DEFAULT_LIMITS: ProcessLimits = {
  startupMs: 30_000,
  caseMs: 60_000,
  maxReplyBytes: 512 * 1024 * 1024,
  maxStderrBytes: 1024 * 1024,
};

export interface SpawnOptions {
  /** write plain JSON arrays even to an implementation that reads base64 arrays (PROTO-9): for reading the exchange by eye */
  readonly jsonArrays?: boolean;
}

export interface ProcessImplementation extends Implementation {
  /** why the process can no longer answer (crashed, killed after a hang or a flood), if it can't */
  readonly failure: string | undefined;
  /** the last part of what it wrote to stderr */
  stderrTail(): string;
  /** the process id (for resource measurements) */
  readonly pid: number | undefined;
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
 */
export function spawnImplementation(argv: readonly string[], limits: ProcessLimits = DEFAULT_LIMITS, options: SpawnOptions = {}): ProcessImplementation {
  const child: ChildProcessWithoutNullStreams = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const label = argv.join(' ');
  let stderr = '';
  let failure: string | undefined;
  // Replies are parsed as their bytes arrive (numbers straight into Float64Arrays): a large reply never exists as one string.
  const reader = new JsonLineReader();
  const lines: ParsedLine[] = [];
  let waiter: ((line: ParsedLine | Error) => void) | undefined;
  // A write waiting for 'drain' to a process that is gone would wait forever: fail() ends it.
  let drainWaiter: (() => void) | undefined;
  // PROTO-9: set by the hello reply
  let base64Arrays = false;

  const fail = (why: string) => {
    if (failure === undefined) failure = why;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const w = waiter;
    waiter = undefined;
    w?.(new Error(failure));
    const d = drainWaiter;
    drainWaiter = undefined;
    d?.();
  };

  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-limits.maxStderrBytes);
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (failure !== undefined) return;
    lines.push(...reader.push(chunk));
    if (reader.pendingBytes > limits.maxReplyBytes) {
      fail(`reply exceeded ${limits.maxReplyBytes} bytes without a newline (output flood)`);
      return;
    }
    if (waiter && lines.length > 0) {
      const w = waiter;
      waiter = undefined;
      w(lines.shift() as ParsedLine);
    }
  });
  child.on('error', (e) => fail(`could not start ${JSON.stringify(argv[0])}: ${e.message}`));
  child.on('exit', (code, signal) => {
    fail(`implementation exited ${signal ? `on signal ${signal}` : `with code ${code}`}${stderr ? `; stderr ends: ${tail(stderr)}` : ''}`);
  });
  child.stdin.on('error', () => {
    /* a closed pipe is reported by 'exit' */
  });

  function nextLine(timeoutMs: number, what: string): Promise<ParsedLine> {
    if (lines.length > 0) return Promise.resolve(lines.shift() as ParsedLine);
    if (failure !== undefined) return Promise.reject(new Error(failure));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`no ${what} within ${timeoutMs / 1000} s (killed)`), timeoutMs);
      waiter = (line) => {
        clearTimeout(timer);
        if (line instanceof Error) reject(line);
        else resolve(line);
      };
    });
  }

  async function write(text: string): Promise<void> {
    if (!child.stdin.write(text)) {
      await new Promise<void>((resolve) => {
        drainWaiter = resolve;
        child.stdin.once('drain', () => {
          drainWaiter = undefined;
          resolve();
        });
      });
      if (failure !== undefined) throw new Error(failure);
    }
  }

  /** PROTO-1: one message a line; a large one is written in pieces (stream-json.ts), the same bytes as stringifyLine's. */
  async function send(message: unknown, large: boolean): Promise<void> {
    if (failure !== undefined) throw new Error(failure);
    if (!large) return write(`${stringifyLine(message)}\n`);
    await writeMessageLine(message, write);
  }

  /** Reads one reply line as JSON; lines already queued from before the request mean a flood or a stray reply. */
  async function exchange(message: unknown, timeoutMs: number, what: string, large = false): Promise<unknown> {
    if (lines.length > 0) {
      const stray = lines.splice(0);
      fail(`unrequested output before the ${what}: ${clip(lineHead(stray[0]))}`);
      throw new Error(failure);
    }
    await send(message, large);
    const line = await nextLine(timeoutMs, what);
    if (!line.ok) throw new Error(`non-JSON ${what}: ${clip(line.head)}`);
    return line.value;
  }

  return {
    get failure() {
      return failure;
    },
    stderrTail: () => tail(stderr),
    pid: child.pid,
    async hello(): Promise<HelloReply> {
      let reply: unknown;
      try {
        reply = await exchange({ op: 'hello', protocol: PROTOCOL }, limits.startupMs, 'hello reply');
      } catch (e) {
        throw new Error(`${label}: ${(e as Error).message}`);
      }
      const checked = checkHello(reply);
      if (!checked.ok) throw new Error(`${label}: malformed hello reply: ${checked.error}`);
      if (checked.value.protocol !== PROTOCOL) throw new Error(`${label}: speaks ${checked.value.protocol}, not ${PROTOCOL}`);
      base64Arrays = checked.value.base64Arrays === true && options.jsonArrays !== true;
      return checked.value;
    },
    async run(request: RunRequest): Promise<RunReply> {
      let reply: unknown;
      try {
        const message = base64Arrays ? encodeRequestArrays(request) : request;
        reply = await exchange(message, limits.caseMs, `reply to case ${request.id}`, isLarge(request));
      } catch (e) {
        return { op: 'error', id: request.id, message: (e as Error).message };
      }
      // PROTO-9: read from any implementation; the reader decoded the well-formed base64 arrays, this names what is wrong with the rest
      try {
        if (typeof reply === 'object' && reply !== null) decodeReplyArrays(reply as Record<string, unknown>);
      } catch (e) {
        return { op: 'error', id: request.id, message: `malformed reply: ${(e as Error).message}` };
      }
      // the schema sees number arrays read into Float64Arrays as empty arrays: they hold only numbers
      const checked = checkRunReply(schemaSkeleton(reply));
      if (!checked.ok) return { op: 'error', id: request.id, message: `malformed reply: ${checked.error}` };
      if (checked.value.id !== request.id) {
        return { op: 'error', id: request.id, message: `reply has id ${JSON.stringify(checked.value.id)}, expected ${JSON.stringify(request.id)}` };
      }
      return reply as RunReply;
    },
    async close(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        await send({ op: 'bye' }, false);
        child.stdin.end();
      } catch {
        /* already gone */
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
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
