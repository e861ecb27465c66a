/**
 * The fault-injection corpus (tests/fixtures/faults/, spec/protocol.md PROTO-8): a small adapter per
 * fault — every row of PROTO-8's tables and the faults of issue 11 (a reply cut at every byte, `nan`
 * and `inf` as C writes them, banner-then-exit, a helper process left hanging at start-up and mid-run,
 * a stray line, a float32 reply holding a double). Each ends in its verdict and exit code, with the message PROTO-8 names, within a
 * time limit well under the default limits, and with no process of its group left running.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImplementation } from '../../conformance/check/runner.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { stoppedAnswering, type Implementation } from '../../conformance/protocol/implementation.ts';
import type { RunRequest } from '../../conformance/protocol/messages.ts';
import { spawnImplementation, type ProcessLimits } from '../../conformance/protocol/process.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { ROOT } from '../../scripts/traceability.ts';

const FAULTS = 'tests/fixtures/faults';
const PYTHON = '/usr/bin/python3';
const LIMITS: ProcessLimits = { startupMs: 1500, caseMs: 1000, maxReplyBytes: 1 << 20, maxStderrBytes: 64 * 1024, byeMs: 300 };
/**
 * Far below the default limits (30 s, 60 s): a runner that waited for one of those fails this. A
 * hang takes the longest: 1 s, then up to RESTARTS_PER_TARGET (5) fresh processes that hang 1 s each.
 */
const WITHIN_MS = 15_000;

/** Whether a process is running (a zombie, dead but not yet reaped, is not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The running processes of a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // after "pid (comm) ": state, ppid, pgrp, …
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/** A file for an adapter to note the processes it starts in (tests/fixtures/faults/optconf_fault.py), and what it noted. */
function pidFile(): { path: string; pids: () => number[] } {
  const path = join(mkdtempSync(join(tmpdir(), 'optconf-faults-')), 'pids');
  const pids = () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  return { path, pids };
}

/**
 * Nothing the adapter started is left: neither a process it noted nor any of its group (the
 * group's id is the adapter's pid). A SIGKILL takes a moment to land: a second at most is allowed.
 */
async function expectNothingLeft(pgid: number, noted: readonly number[]): Promise<void> {
  const left = () => [...new Set([...noted.filter(running), ...groupMembers(pgid)])];
  for (let waited = 0; left().length > 0 && waited < 1000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  expect(left(), `processes of the implementation (group ${pgid}) still running`).toEqual([]);
}

/** The run requests an adapter noted (its second argument, optconf_fault.py), by id. */
function requestLog(): { path: string; requests: () => Map<string, RunRequest> } {
  const path = join(mkdtempSync(join(tmpdir(), 'optconf-requests-')), 'requests');
  const requests = () =>
    new Map(
      (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []).map((l) => {
        const r = JSON.parse(l) as RunRequest;
        return [r.id, r];
      }),
    );
  return { path, requests };
}

/** Checks the adapter in-process with the small limits: the report, its text, how long it took, what it was asked; then that nothing it started is left. */
async function checkFault(
  adapter: string,
  limits: ProcessLimits = LIMITS,
  runs = 3,
): Promise<{ report: CheckReport; text: string; ms: number; requests: Map<string, RunRequest> }> {
  const file = pidFile();
  const log = requestLog();
  const impl = spawnImplementation([PYTHON, join(FAULTS, adapter), file.path, log.path], limits);
  const pgid = impl.pid as number;
  const started = Date.now();
  const report = await checkImplementation(impl, { runs, seed: 7, startupTimeoutMs: LIMITS.startupMs });
  const ms = Date.now() - started;
  const noted = file.pids();
  expect(noted[0], 'the adapter notes itself first').toBe(pgid);
  await expectNothingLeft(pgid, noted);
  return { report, text: `${formatReport(report)}\n${report.message ?? ''}`, ms, requests: log.requests() };
}

/**
 * PROTO-8: the failing case reported is one the adapter was asked (the one its message names, when
 * it names one), never a candidate left unasked; the check did not stop, and no fingerprint was
 * taken of a failure that computed nothing.
 */
function expectAnsweredFailure(report: CheckReport, text: string, requests: ReadonlyMap<string, RunRequest>): RunRequest {
  const f = report.targets[0]?.failure;
  if (!f) return expect.fail(`no failure: ${text}`);
  const c = f.minimalCase;
  const body = (r: Pick<RunRequest, 'hyper' | 'params' | 'state' | 'steps'>) =>
    JSON.stringify([r.hyper, r.params, r.state, r.steps.map((s) => (s.hyper === undefined ? { grad: s.grad } : s))]);
  const named = /case (\S+)/.exec(f.message)?.[1];
  const asked = [...requests.values()].find((r) => body(r) === body(c) && (named === undefined || r.id === named));
  if (!asked) return expect.fail(`the failing case reported was never asked: ${text}`);
  expect(f.protocol).toBe(true);
  expect(report.targets[0].fingerprint, 'no fingerprint of a protocol failure').toBeUndefined();
  expect(text).not.toMatch(/fingerprint|stopped answering/);
  return asked;
}

type Row = readonly [adapter: string, exitCode: 0 | 1 | 2, message: RegExp];

function expectRows(rows: readonly Row[], limits: ProcessLimits = LIMITS): void {
  for (const [adapter, exitCode, message] of rows) {
    it(`PROTO-8 · ${adapter}: exit ${exitCode}, ${message.source}`, async () => {
      const { report, text, ms } = await checkFault(adapter, limits);
      expect(report.exitCode, text).toBe(exitCode);
      expect(text).toMatch(message);
      expect(ms, 'the runner must not wait past its limits').toBeLessThan(WITHIN_MS);
    });
  }
}

describe.concurrent('PROTO-8 · start-up failures: the check could not run (exit 2)', () => {
  it('PROTO-8 · a program that cannot be started', async () => {
    const impl = spawnImplementation([join(FAULTS, 'no-such-adapter')], LIMITS);
    const report = await checkImplementation(impl, { runs: 1, startupTimeoutMs: LIMITS.startupMs });
    expect(report.exitCode).toBe(2);
    expect(report.message).toMatch(/did not start.*could not start ".*no-such-adapter": spawn .* ENOENT/);
  });
  expectRows([
    ['exit-at-start.py', 2, /did not start.*exited with code 3; stderr ends: fatal: cannot load libfoo\.so/],
    ['grandchild-hang-at-start.py', 2, /did not start.*no hello reply within 1\.5 s/],
    ['banner-in-two-pieces.py', 2, /did not start.*non-JSON hello reply \(unexpected character "L"\): Loading library\.\.\. done/],
    ['hello-error.py', 2, /did not start.*answered hello with an error: no GPU found/],
    ['hello-bad-schema.py', 2, /did not start.*malformed hello reply: .*supports/],
    ['hello-wrong-protocol.py', 2, /did not start.*speaks optconf\/2, not optconf\/1/],
    ['unsupported-all.py', 2, /every case was answered `unsupported`/],
  ]);

  it('PROTO-8 · banner-then-exit, the hello asked only once both are in (a busy runner): the banner is the hello’s reply, not the exit', async () => {
    const impl = spawnImplementation([PYTHON, join(FAULTS, 'banner-then-exit.py'), pidFile().path, requestLog().path], LIMITS);
    // until the runner has seen the ending (and read the banner before it): only then is hello asked
    for (let waited = 0; stoppedAnswering(impl) === undefined && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(stoppedAnswering(impl), 'the process has ended before hello').toMatch(/exited with code 0/);
    await expect(impl.hello()).rejects.toThrow(/non-JSON hello reply \(unexpected character "L"\): Loading library\.\.\. done/);
    await impl.close();
  });

  it('PROTO-8 · banner-then-exit: a clear verdict every time, whichever of the banner and the exit the runner sees first', async () => {
    for (let k = 0; k < 15; k++) {
      const settled = checkFault('banner-then-exit.py');
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`run ${k} never ended`)), WITHIN_MS));
      const { report, text } = await Promise.race([settled, timeout]);
      expect(report.exitCode, `run ${k}: ${text}`).toBe(2);
      expect(text).toMatch(/did not start.*non-JSON hello reply \(unexpected character "L"\): Loading library\.\.\. done/);
    }
  });
});

describe.concurrent('PROTO-8 · during the check, each fault fails its case (exit 1)', () => {
  expectRows([
    ['crash-mid-run.py', 1, /implementation exited with code 139; stderr ends: Segmentation fault \(simulated\)/],
    ['close-stdout.py', 1, /implementation closed its stdout/],
    ['grandchild-hang-mid-run.py', 1, /no reply to case \S+ within 1 s \(killed\)/],
    ['flood.py', 1, /reply exceeded 1048576 bytes without a newline \(output flood\)/],
    // both replies arrive with the case: it fails, not healed by a restart
    ['second-reply.py', 1, /failure: unrequested output: \{"op":"result"/],
    ['nan-token.py', 1, /non-JSON reply to case \S+ \(unexpected "nan"\): \{"op":"result"/],
    ['inf-token.py', 1, /non-JSON reply to case \S+ \(unexpected "inf"\): \{"op":"result"/],
    ['schema-mismatch.py', 1, /malformed reply: \/steps\/0\/params must be array/],
    ['base64-bad-length.py', 1, /malformed reply: step 1 params: base64 holds 10 bytes, not a multiple of 8 \(float64\)/],
    ['wrong-id.py', 1, /reply has id "not-the-id", expected "\S+"/],
    ['error-reply.py', 1, /implementation error: CUDA out of memory \(simulated\)/],
    ['extra-step.py', 1, /reply has (\d+) steps, the case has (?!\1)\d+/],
    ['wrong-step-count.py', 1, /step 1 state\.step is 0, expected 1/],
    ['nan-values.py', 1, /got NaN/],
    ['off-by-ulps.py', 1, /error 1000 ulps > bound/],
    // PROTO-3: replies hold values of the case's dtype; the first value that is not is named
    ['unrounded-adam.py', 1, /step \d+ exp_avg_sq\[0\] = -?\d\S* is not a float32 value/],
  ]);

  it('PROTO-1 · PROTO-8 · a stray line then honest replies: the stray line is the non-JSON reply; shrinking goes on, each candidate on a fresh process', async () => {
    const { report, text, ms, requests } = await checkFault('stray-line.py');
    expect(report.exitCode, text).toBe(1);
    expect(text).toMatch(/failure: non-JSON reply to case \S+ \(unexpected "debug"\): debug: starting step 1/);
    expectAnsweredFailure(report, text, requests);
    // the adapter prints its stray line at each process's first case: every restart gives a failure to shrink
    expect(report.targets[0].failure!.shrinks).toBeGreaterThan(0);
    expect(ms).toBeLessThan(WITHIN_MS);
  });

  it('PROTO-8 · a case that hangs mid-run is killed, and shrinking goes on with a fresh process that is answered', async () => {
    const { report, text, ms, requests } = await checkFault('hang-after-two-cases.py');
    expect(report.exitCode, text).toBe(1);
    expect(text).toMatch(/failure: no reply to case \S+ within 1 s \(killed\)/);
    expectAnsweredFailure(report, text, requests);
    // cases 1 and 2 of each fresh process are answered, so shrinking saw passing candidates too
    expect(requests.size).toBeGreaterThan(3);
    expect(ms).toBeLessThan(WITHIN_MS);
  });

  it('PROTO-8 · a crash on one kind of case: shrinking goes on, each crash on a fresh process, to a smaller case that still crashes', async () => {
    const { report, text, ms, requests } = await checkFault('crash-on-two-steps.py');
    expect(report.exitCode, text).toBe(1);
    expect(text).toMatch(/failure: implementation exited with code 139; stderr ends: Segmentation fault in step_many \(simulated\)/);
    const asked = expectAnsweredFailure(report, text, requests);
    expect(asked.steps.length, 'the case reported is one that crashes it').toBeGreaterThanOrEqual(2);
    expect(report.targets[0].failure!.shrinks, text).toBeGreaterThan(0);
    expect(ms).toBeLessThan(WITHIN_MS);
  });

  it('PROTO-8 · a process that cannot be restarted: the original failing case and message, unshrunk', async () => {
    const file = pidFile();
    const process_ = spawnImplementation([PYTHON, join(FAULTS, 'crash-mid-run.py'), file.path], LIMITS);
    // the same implementation without restart(): nothing more can be asked once it crashed
    const impl: Implementation = { hello: () => process_.hello(), run: (r) => process_.run(r), close: () => process_.close() };
    Object.defineProperty(impl, 'failure', { get: () => process_.failure });
    const report = await checkImplementation(impl, { runs: 3, seed: 7, startupTimeoutMs: LIMITS.startupMs });
    const text = formatReport(report);
    expect(report.exitCode, text).toBe(1);
    const f = report.targets[0].failure!;
    expect(f.message).toMatch(/^implementation exited with code 139; stderr ends: Segmentation fault \(simulated\)$/);
    expect(f.shrinks).toBe(0);
    expect(f.path, 'the first generated case').toBe('0');
    expect(text).toMatch(/failing case \(0 shrinks; shrinking stopped, \d+ smaller candidates not asked: .*cannot be restarted\)/);
    expect(text).not.toMatch(/minimal failing case|fingerprint/);
    await expectNothingLeft(process_.pid as number, file.pids());
  });
});

describe.concurrent('PROTO-4 · capability ranges: a learning rate refused outside (0, 1), as brain.js does', () => {
  const lrs = (r: RunRequest) => [r.hyper.lr, ...r.steps.map((s) => s.hyper?.lr)].filter((x) => x !== undefined) as number[];

  it('PROTO-4 · declared in the hello (exclusive ends): every case sent stays inside, and the honest adapter is conformant', async () => {
    const { report, text, requests } = await checkFault('refuses-lr-declared.py', LIMITS, 40);
    expect(report.exitCode, text).toBe(0);
    expect(text).toMatch(/verdict: CONFORMANT/);
    expect(requests.size).toBeGreaterThanOrEqual(40);
    for (const r of requests.values()) for (const lr of lrs(r)) expect(lr > 0 && lr < 1, `lr ${lr} in ${r.id}`).toBe(true);
  });

  it('PROTO-4 · PROTO-7 · not declared: the refusals fail the check, and the fingerprint says it is undecided, not "matches none"', async () => {
    const { report, text, requests } = await checkFault('refuses-lr.py', LIMITS, 40);
    expect(report.exitCode, text).toBe(1);
    expect(text).toMatch(/failure: implementation error: learning rate must be in \(0, 1\), got 0/);
    const refused = [...requests.values()].filter((r) => lrs(r).some((lr) => !(lr > 0 && lr < 1)));
    expect(refused.length, 'cases outside the range were sent').toBeGreaterThan(0);
    const t = report.targets[0];
    expect(t.fingerprint, text).toEqual([]);
    expect(t.undecided?.refused, text).toBeGreaterThan(0);
    expect(t.undecided!.refused).toBeLessThanOrEqual(t.undecided!.asked);
    // with momentum and weight decay pinned to 0, every SGD variant computes plain SGD: none is ruled out
    expect(t.undecided!.variants).toEqual(['sgd/lerp-momentum', 'sgd/decoupled-decay', 'sgd/lr-in-buffer']);
    expect(text).toMatch(
      /fingerprint: undecided: \d+ of \d+ variant cases answered error; sgd\/lerp-momentum, sgd\/decoupled-decay, sgd\/lr-in-buffer matched every other/,
    );
    expect(text).not.toMatch(/matches none/);
  });
});

describe.concurrent('PROTO-8 · honest adapters stay conformant however they write and end', () => {
  expectRows(
    [
      ['honest.py', 0, /verdict: CONFORMANT/],
      // one byte a write: every boundary of a reply's first 300 bytes is a read boundary
      ['byte-by-byte.py', 0, /verdict: CONFORMANT/],
      // PROTO-1: how the process ends after bye does not change the verdict; its group goes either way
      ['helper-outlives-bye.py', 0, /verdict: CONFORMANT/],
      ['ignores-bye.py', 0, /verdict: CONFORMANT/],
    ],
    // byte-by-byte takes its time on purpose: a case limit that a loaded machine leaves it
    { ...LIMITS, caseMs: 5000 },
  );
});

describe.concurrent('PROTO-8 · a runner told to stop kills the implementation group and exits with the conventional code', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`PROTO-8 · ${signal} while a case hangs with a helper process: exit ${code}, nothing of the group left`, async () => {
      const file = pidFile();
      const impl = `${PYTHON} ${join(FAULTS, 'grandchild-hang-mid-run.py')} ${file.path}`;
      const runner = spawn(process.execPath, ['bin/optconf.js', 'run', '--impl', impl, '--runs', '3'], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => runner.once('exit', (c) => resolve(c)));
      // the adapter, then its helper: it hangs from then on
      for (let waited = 0; file.pids().length < 2; waited += 50) {
        if (waited > 30_000) throw new Error('the adapter never reached its hang');
        await new Promise((r) => setTimeout(r, 50));
      }
      const [pgid, helper] = file.pids();
      expect(running(helper), 'the helper runs').toBe(true);
      const stopped = Date.now();
      runner.kill(signal);
      expect(await exited).toBe(code);
      expect(Date.now() - stopped, 'the runner ends at once (well inside the 15 s a hang would take)').toBeLessThan(10_000);
      await expectNothingLeft(pgid, file.pids());
    });
  }
});

describe.concurrent('PROTO-8 · restart(): a fresh implementation process after a kill', () => {
  const request: RunRequest = {
    op: 'run',
    id: 'r1',
    optimizer: 'sgd',
    dtype: 'float64',
    hyper: { lr: 0.5 },
    params: [1],
    state: null,
    steps: [{ grad: [0.5] }],
  };

  it('PROTO-8 · a case that hung is killed with its helper; restart() starts a new group that is greeted, and close() leaves nothing', async () => {
    const file = pidFile();
    const impl = spawnImplementation([PYTHON, join(FAULTS, 'grandchild-hang-mid-run.py'), file.path], LIMITS);
    await impl.hello();
    expect(await impl.run(request)).toMatchObject({ op: 'error', message: 'no reply to case r1 within 1 s (killed)' });
    expect(impl.failure).toMatch(/no reply to case r1/);
    const first = file.pids();
    expect(first, 'the adapter and its helper').toHaveLength(2);
    const hello = await impl.restart();
    expect(hello.implementation).toBe('fault corpus: plain SGD in float64');
    expect(impl.failure, 'the fresh process has not failed').toBeUndefined();
    expect(impl.pid).not.toBe(first[0]);
    await expectNothingLeft(first[0], first);
    await impl.close();
    await expectNothingLeft(impl.pid as number, file.pids());
  });

  it('PROTO-8 · after its process was killed from outside, restart() gives one that answers the next case', async () => {
    const impl = spawnImplementation([PYTHON, join(FAULTS, 'honest.py')], LIMITS);
    await impl.hello();
    process.kill(impl.pid as number, 'SIGKILL');
    expect(await impl.run(request)).toMatchObject({ op: 'error', message: expect.stringMatching(/^implementation exited on signal SIGKILL/) });
    await impl.restart();
    // SGD-1 by hand: 1 − 0.5·0.5 = 0.75
    const reply = await impl.run(request);
    if (reply.op !== 'result') expect.fail(`not a result: ${JSON.stringify(reply)}`);
    expect(Array.from(reply.steps[0].params)).toEqual([0.75]);
    await impl.close();
  });
});
