/**
 * Checking an implementation against the golden files (GOLD-6): each file's case is sent as a
 * `run` request in every dtype the file gives and the implementation supports, and every output
 * after every step is compared with the file's expected value and allowed error — nothing is
 * recomputed, so this checks exactly what a checker in another language checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dec } from '../../reference/decimal.ts';
import { DTYPES, exact, ulp, type Dtype } from '../../reference/dtype.ts';
import { FAMILIES, findOptimizer, type Family } from '../../reference/registry.ts';
import { describeFailure, margin, type OutputCheck } from '../check/compare.ts';
import { goldenCase, sha256, validateGolden, type GoldenDtypeOutput, type GoldenFile } from './format.ts';
import { GOLDEN_DIR, MANIFEST } from './store.ts';
import { greet, revive, type Implementation } from '../protocol/implementation.ts';
import { toRunRequest } from '../check/case.ts';
import type { HelloReply, RunReply, Support, WireStepOutput } from '../protocol/messages.ts';
import { ClauseTally, couldNotRun, decideReport, targetVerdict, type CheckReport, type ClauseResult, type TargetResult } from '../check/verdict.ts';
import { PROCESS_LIMITS } from '../limits.ts';
import { decodeNumber, decodeWireArray, type WireNumber } from '../protocol/wire.ts';
import { withTimeout } from '../protocol/timeout.ts';

export interface GoldenVerifyOptions {
  readonly dir?: string;
  /** only files of this family */
  readonly optimizer?: string;
  readonly dtype?: Dtype;
  /** only these files (names as in the manifest) */
  readonly files?: readonly string[];
  readonly caseTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  readonly onProgress?: (event: { target: string; done: number; total: number }) => void;
}

export interface GoldenCaseCheck {
  readonly ok: boolean;
  readonly worst?: OutputCheck;
  /** of a passing reply, the output of largest error in ulps */
  readonly largest?: OutputCheck;
  readonly failure?: OutputCheck;
  readonly message?: string;
}

const isFiniteNumber = (x: WireNumber): x is number => typeof x === 'number';

/**
 * GOLD-4: one output against a golden file's expectation — pass when the allowed error is
 * "Infinity" (PREC-4), when it is 0 and the output equals the correctly rounded value, or when
 * |got − expected| ≤ allowed with `expected` the file's decimal string taken exactly.
 */
export function compareGoldenOutput(
  got: number,
  expected: string,
  want: GoldenDtypeOutput,
  i: number,
  dtype: Dtype,
): { ok: boolean; errorUlps: number; boundUlps: number } {
  const allowed = want.allowed[i];
  const value = decodeNumber(want.value[i]) as number;
  const boundUlps = isFiniteNumber(want.allowed_ulps[i]) ? (want.allowed_ulps[i] as number) : Infinity;
  if (allowed === 'Infinity') return { ok: true, errorUlps: 0, boundUlps: Infinity };
  if (!Number.isFinite(got) || !Number.isFinite(value)) {
    const same = got === value;
    return { ok: same, errorUlps: same ? 0 : Infinity, boundUlps };
  }
  const error = exact(got).minus(new Dec(expected)).abs();
  const unit = ulp(value, dtype);
  const errorUlps = error.div(exact(unit)).toNumber();
  if (allowed === 0) return { ok: got === value, errorUlps: got === value ? 0 : Math.max(errorUlps, Number.MIN_VALUE), boundUlps: 0 };
  return { ok: error.lte(exact(allowed as number)), errorUlps, boundUlps };
}

/** GOLD-4, GOLD-6: an implementation's reply to a golden case in one dtype, step by step; state is compared where the reply carries it. */
export function checkGoldenReply(g: GoldenFile, dtype: Dtype, reply: readonly WireStepOutput[]): GoldenCaseCheck {
  if (reply.length !== g.expected.length) return { ok: false, message: `reply has ${reply.length} steps, the golden case has ${g.expected.length}` };
  const n = g.case.params.length;
  let worst: OutputCheck | undefined;
  let worstRatio = -1;
  let largest: OutputCheck | undefined;
  try {
    for (let k = 0; k < g.expected.length; k++) {
      const e = g.expected[k];
      const want = e.dtypes[dtype];
      const out = reply[k];
      const outputs: [string, ArrayLike<number>, string[], GoldenDtypeOutput][] = [
        ['params', decodeWireArray(out.params, n, `step ${e.step} params`), e.params, want.params],
      ];
      if (out.state !== undefined) {
        if (out.state.step !== undefined && out.state.step !== e.step)
          throw new Error(`step ${e.step} state.step is ${JSON.stringify(out.state.step)}, expected ${e.step}`);
        for (const [name, values] of Object.entries(e.state)) {
          if (typeof values === 'number' || out.state[name] === undefined) continue;
          outputs.push([name, decodeWireArray(out.state[name], n, `step ${e.step} state.${name}`), values, want.state[name]]);
        }
      }
      for (const [output, got, expected, w] of outputs) {
        for (let i = 0; i < n; i++) {
          const r = compareGoldenOutput(got[i], expected[i], w, i, dtype);
          const check: OutputCheck = { step: e.step, element: i, output, got: got[i], expected: expected[i], errorUlps: r.errorUlps, boundUlps: r.boundUlps };
          if (!r.ok) return { ok: false, worst: check, failure: check, message: describeFailure(check, dtype) };
          const ratio = margin(r);
          if (ratio > worstRatio) {
            worstRatio = ratio;
            worst = check;
          }
          if (largest === undefined || r.errorUlps > largest.errorUlps) largest = check;
        }
      }
    }
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  return { ok: true, worst, largest };
}

export interface LoadedGolden {
  readonly file: string;
  readonly golden: GoldenFile;
}

/** GOLD-5, GOLD-6: the golden files of a folder in manifest order, each checked against its hash and the schema; throws naming the first bad one. */
export function loadGolden(dir: string = GOLDEN_DIR): LoadedGolden[] {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: { file: string; sha256: string }[] };
  return manifest.files.map(({ file, sha256: hash }) => {
    const bytes = readFileSync(join(dir, file));
    if (sha256(bytes) !== hash) throw new Error(`${file}: SHA-256 does not match ${MANIFEST}`);
    const golden = JSON.parse(bytes.toString('utf8')) as GoldenFile;
    const error = validateGolden(golden);
    if (error !== undefined) throw new Error(`${file}: does not match schema.json: ${error}`);
    return { file, golden };
  });
}

/** Whether the case's hyperparameters (base and every override) stay inside a support entry's pins. */
function insidePins(g: GoldenFile, support: Support): boolean {
  const fixed = support.fixed ?? {};
  let current: Record<string, unknown> = { ...g.case.hyper };
  const seen = g.case.steps.map((s) => (current = { ...current, ...(s.hyper ?? {}) }));
  return Object.entries(fixed).every(([k, v]) => seen.every((h) => (h[k] ?? findDefault(g, k)) === v));
}

function findDefault(g: GoldenFile, name: string): unknown {
  return findOptimizer(g.case.optimizer, g.case.variant)?.hyper.find((h) => h.name === name)?.default;
}

/** One golden file in one dtype, to send as a `run` request. */
interface Job {
  readonly file: string;
  readonly golden: GoldenFile;
  readonly dtype: Dtype;
}

/** The golden files the options pick, in manifest order (throws when the folder cannot be used). */
function selectFiles(options: GoldenVerifyOptions): LoadedGolden[] {
  return loadGolden(options.dir).filter(
    ({ file, golden }) =>
      (options.optimizer === undefined || golden.case.optimizer === options.optimizer) && (options.files === undefined || options.files.includes(file)),
  );
}

/** The jobs the implementation supports, and those outside the hyperparameters it fixes (`pinned`, counted as skipped). */
function planJobs(files: readonly LoadedGolden[], hello: HelloReply, options: GoldenVerifyOptions): { jobs: Job[]; pinned: Job[] } {
  const jobs: Job[] = [];
  const pinned: Job[] = [];
  for (const { file, golden } of files) {
    for (const dtype of golden.dtypes) {
      if (options.dtype !== undefined && dtype !== options.dtype) continue;
      const support = hello.supports.find((s) => s.optimizer === golden.case.optimizer && s.dtypes.includes(dtype));
      if (!support) continue;
      (insidePins(golden, support) ? jobs : pinned).push({ file, golden, dtype });
    }
  }
  return { jobs, pinned };
}

/** What the golden cases of one definition in one dtype gave: the first failure is the one reported. */
class Tally {
  cases = 0;
  skipped = 0;
  failure?: { readonly job: Job; readonly check: GoldenCaseCheck };
  readonly clauses: ClauseTally;
  readonly failedClauses = new Set<string>();
  constructor(
    readonly family: string,
    readonly against: string,
    readonly dtype: Dtype,
    clauses: readonly string[],
  ) {
    this.clauses = new ClauseTally(clauses);
  }

  add(job: Job, check: GoldenCaseCheck): void {
    const exercised = new Set(job.golden.clauses);
    if (check.ok) this.clauses.addPassing(exercised, check.worst, check.largest);
    else for (const clause of exercised) this.failedClauses.add(clause);
    if (!check.ok && this.failure === undefined) this.failure = { job, check };
  }

  result(): TargetResult {
    const clauses: ClauseResult[] = this.clauses.results(this.failedClauses);
    const base = { optimizer: this.family, dtype: this.dtype, against: this.against, seed: 0, cases: this.cases, skipped: this.skipped, clauses };
    const verdict = targetVerdict({ failed: this.failure !== undefined, cases: this.cases, skipped: this.skipped });
    if (verdict === 'fail' && this.failure) {
      const { job, check } = this.failure;
      const message = `${job.file}: ${check.failure ? describeFailure(check.failure, this.dtype) : check.message}`;
      const failure = { message, minimalCase: goldenCase(job.golden, this.dtype), check: check.failure, seed: 0, shrinks: 0 };
      return { ...base, verdict, note: `golden file ${job.file}`, failure };
    }
    if (verdict === 'skipped') return { ...base, verdict, note: 'every golden case answered `unsupported` or outside the fixed hyperparameters' };
    return { ...base, verdict: 'pass' };
  }
}

/** The tallies, one per definition and dtype, created as the jobs first name them. */
class Tallies {
  private readonly byKey = new Map<string, Tally>();
  of({ golden: g, dtype }: Job): Tally {
    const against = g.case.variant ? `${g.case.optimizer}/${g.case.variant}` : g.case.optimizer;
    const key = `${against}|${dtype}`;
    let t = this.byKey.get(key);
    if (!t) {
      const def = findOptimizer(g.case.optimizer, g.case.variant);
      t = new Tally(g.case.optimizer, against, dtype, def?.clauses ?? g.clauses);
      this.byKey.set(key, t);
    }
    return t;
  }

  /** Report order: family, canonical step before its variants, dtypes widest first. */
  sorted(): Tally[] {
    const order = (t: Tally) => [FAMILIES.indexOf(t.family as Family), t.against === t.family ? '' : t.against, DTYPES.indexOf(t.dtype)] as const;
    return [...this.byKey.values()].sort((a, b) => {
      const [fa, va, da] = order(a);
      const [fb, vb, db] = order(b);
      return fa - fb || (va < vb ? -1 : va > vb ? 1 : 0) || da - db;
    });
  }
}

/** One job's reply, checked against its file; `unsupported` when the implementation declines it. */
async function checkJob(impl: Implementation, { golden, dtype }: Job, options: GoldenVerifyOptions): Promise<GoldenCaseCheck | 'unsupported'> {
  const request = toRunRequest(goldenCase(golden, dtype), `${golden.name}:${dtype}`);
  let reply: RunReply;
  try {
    reply = await withTimeout(impl.run(request), options.caseTimeoutMs ?? PROCESS_LIMITS.caseMs, `reply to ${request.id}`);
  } catch (e) {
    reply = { op: 'error', id: request.id, message: `implementation threw: ${(e as Error).message}` };
  }
  if (reply.op === 'unsupported') return 'unsupported';
  return reply.op === 'error' ? { ok: false, message: `implementation error: ${reply.message}` } : checkGoldenReply(golden, dtype, reply.steps);
}

/** Runs the jobs in order, until the implementation stops answering; returns why it stopped, if it did. */
async function runJobs(impl: Implementation, jobs: readonly Job[], tallies: Tallies, options: GoldenVerifyOptions): Promise<string | undefined> {
  let done = 0;
  for (const job of jobs) {
    // PROTO-8: after a protocol failure or a kill, the next file gets a fresh process
    const dead = await revive(impl, options.startupTimeoutMs ?? PROCESS_LIMITS.startupMs);
    if (dead !== undefined) return dead;
    const t = tallies.of(job);
    t.cases++;
    const check = await checkJob(impl, job, options);
    options.onProgress?.({ target: 'golden', done: ++done, total: jobs.length });
    if (check === 'unsupported') {
      t.skipped++;
      continue;
    }
    t.add(job, check);
  }
  return undefined;
}

/**
 * GOLD-6: checks an implementation against the golden files over the protocol and reports as
 * `optconf run` does (exit 0 conformant, 1 not conformant, 2 could not run). The dtypes checked
 * are those of each file that the implementation's hello `supports` lists for the family;
 * `unsupported` replies are skipped.
 */
export async function verifyGolden(impl: Implementation, options: GoldenVerifyOptions = {}): Promise<CheckReport> {
  let files: LoadedGolden[];
  try {
    files = selectFiles(options);
  } catch (e) {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
    return couldNotRun({ implementation: '(not started)', seed: 0, runs: 0 }, `the golden files cannot be used: ${(e as Error).message}`);
  }
  let hello: HelloReply;
  try {
    hello = await greet(impl, options.startupTimeoutMs ?? PROCESS_LIMITS.startupMs);
  } catch (e) {
    return couldNotRun({ implementation: '(no hello)', seed: 0, runs: 0 }, (e as Error).message);
  }
  const head = { implementation: hello.implementation, seed: 0, runs: files.length };
  try {
    const { jobs, pinned } = planJobs(files, hello, options);
    if (jobs.length === 0) {
      const inside = pinned.length ? ' inside its fixed hyperparameters' : '';
      return couldNotRun(head, `nothing to check: no golden file is in a family and dtype the implementation supports${inside}`);
    }
    const tallies = new Tallies();
    for (const job of pinned) {
      const t = tallies.of(job);
      t.cases++;
      t.skipped++;
    }
    const dead = await runJobs(impl, jobs, tallies, options);
    const targets = tallies.sorted().map((t) => t.result());
    const stopped = dead === undefined ? undefined : `the implementation stopped answering: ${dead}`;
    return decideReport(head, targets, { stopped, allUnsupported: 'every golden case was answered `unsupported`' });
  } finally {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
  }
}
