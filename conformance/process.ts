/**
 * An implementation in another process, spoken to over optconf/1 (spec/protocol.md): an argv
 * (no shell), JSON Lines on stdin/stdout, stderr kept as a bounded log. Everything the runner
 * does not control is bounded: start-up and per-case time limits, bytes read per reply, stderr
 * kept. A crash, hang, flood, non-JSON line, wrong id or malformed reply becomes an `error` reply
 * naming the problem; once the process is gone, `failure` says why and every later call fails fast.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Implementation } from './implementation.ts';
import { PROTOCOL, checkHello, checkRunReply, type HelloReply, type RunReply, type RunRequest } from './protocol.ts';
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

export interface ProcessImplementation extends Implementation {
  /** why the process can no longer answer (crashed, killed after a hang or a flood), if it can't */
  readonly failure: string | undefined;
  /** the last part of what it wrote to stderr */
  stderrTail(): string;
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

/** PROTO-1, PROTO-2, PROTO-8: an implementation process — argv, JSON Lines, bounded time and output. */
export function spawnImplementation(argv: readonly string[], limits: ProcessLimits = DEFAULT_LIMITS): ProcessImplementation {
  const child: ChildProcessWithoutNullStreams = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const label = argv.join(' ');
  let stderr = '';
  let failure: string | undefined;
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  const lines: string[] = [];
  let waiter: ((line: string | Error) => void) | undefined;
  // A write waiting for 'drain' to a process that is gone would wait forever: fail() ends it.
  let drainWaiter: (() => void) | undefined;

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
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      buffered.push(chunk.subarray(start, i));
      lines.push(Buffer.concat(buffered).toString('utf8'));
      buffered = [];
      bufferedBytes = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      buffered.push(chunk.subarray(start));
      bufferedBytes += chunk.length - start;
    }
    if (bufferedBytes > limits.maxReplyBytes) {
      fail(`reply exceeded ${limits.maxReplyBytes} bytes without a newline (output flood)`);
      return;
    }
    if (waiter && lines.length > 0) {
      const w = waiter;
      waiter = undefined;
      w(lines.shift() as string);
    }
  });
  child.on('error', (e) => fail(`could not start ${JSON.stringify(argv[0])}: ${e.message}`));
  child.on('exit', (code, signal) => {
    fail(`implementation exited ${signal ? `on signal ${signal}` : `with code ${code}`}${stderr ? `; stderr ends: ${tail(stderr)}` : ''}`);
  });
  child.stdin.on('error', () => {
    /* a closed pipe is reported by 'exit' */
  });

  function nextLine(timeoutMs: number, what: string): Promise<string> {
    if (lines.length > 0) return Promise.resolve(lines.shift() as string);
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

  async function send(message: unknown): Promise<void> {
    if (failure !== undefined) throw new Error(failure);
    const text = `${stringifyLine(message)}\n`;
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

  /** Reads one reply line as JSON; lines already queued from before the request mean a flood or a stray reply. */
  async function exchange(message: unknown, timeoutMs: number, what: string): Promise<unknown> {
    if (lines.length > 0) {
      const stray = lines.splice(0);
      fail(`unrequested output before the ${what}: ${clip(stray[0])}`);
      throw new Error(failure);
    }
    await send(message);
    const line = await nextLine(timeoutMs, what);
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`non-JSON ${what}: ${clip(line)}`);
    }
  }

  return {
    get failure() {
      return failure;
    },
    stderrTail: () => tail(stderr),
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
      return checked.value;
    },
    async run(request: RunRequest): Promise<RunReply> {
      let reply: unknown;
      try {
        reply = await exchange(request, limits.caseMs, `reply to case ${request.id}`);
      } catch (e) {
        return { op: 'error', id: request.id, message: (e as Error).message };
      }
      const checked = checkRunReply(reply);
      if (!checked.ok) return { op: 'error', id: request.id, message: `malformed reply: ${checked.error}` };
      if (checked.value.id !== request.id) {
        return { op: 'error', id: request.id, message: `reply has id ${JSON.stringify(checked.value.id)}, expected ${JSON.stringify(request.id)}` };
      }
      return checked.value;
    },
    async close(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        await send({ op: 'bye' });
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

function clip(s: string | undefined): string {
  const t = (s ?? '').replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

function tail(s: string): string {
  const t = s.trim();
  return t.length > 500 ? `…${t.slice(-500)}` : t;
}
