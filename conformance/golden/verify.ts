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
import { describeDefect, FAMILIES, findOptimizer, KNOWN_DEFECTS, type DefectDef, type Family } from '../../reference/registry.ts';
import { describeFailure, margin, type OutputCheck } from '../check/compare.ts';
import {
  goldenCase,
  hyperAt,
  sha256,
  singleStepCase,
  validateGolden,
  type GoldenBefore,
  type GoldenDtypeOutput,
  type GoldenFile,
  type ManifestEntry,
} from './format.ts';
import { GOLDEN_DIR, MANIFEST } from './store.ts';
import { greet, revive, type Implementation } from '../protocol/implementation.ts';
import { toRunRequest, type Case } from '../check/case.ts';
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
  /** GOLD-7: `auto` (the default) checks step-wise where the implementation returns state, else along the trajectory */
  readonly form?: GoldenForm | 'auto';
  readonly caseTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  readonly onProgress?: (event: { target: string; done: number; total: number }) => void;
}

/** GOLD-6 (the whole case from its inputs) or GOLD-7 (each step from the state before it). */
export type GoldenForm = 'trajectory' | 'step-wise';

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

/** What one step of a golden file expects in one dtype: per output, the exact strings and the dtype's values and allowed errors. */
interface StepExpectation {
  readonly step: number;
  readonly outputs: Readonly<Record<string, { readonly expected: readonly string[]; readonly want: GoldenDtypeOutput }>>;
}

/** GOLD-3, GOLD-4: step `k`'s expectation along the trajectory from the case's inputs. */
function trajectoryExpectation(g: GoldenFile, k: number, dtype: Dtype): StepExpectation {
  const e = g.expected[k];
  const want = e.dtypes[dtype];
  const outputs: Record<string, { expected: readonly string[]; want: GoldenDtypeOutput }> = { params: { expected: e.params, want: want.params } };
  for (const [name, values] of Object.entries(e.state)) if (typeof values !== 'number') outputs[name] = { expected: values, want: want.state[name] };
  return { step: e.step, outputs };
}

/** GOLD-7: step `k`'s expectation from the state before it (step 1: the case's inputs, the trajectory entry itself). */
function stepWiseExpectation(g: GoldenFile, k: number, dtype: Dtype): StepExpectation {
  const sw = g.expected[k].dtypes[dtype].step_wise;
  if (k === 0) return trajectoryExpectation(g, 0, dtype);
  if (sw === undefined) throw new Error(`${g.name}: step ${g.expected[k].step} has no step_wise entry for ${dtype} (GOLD-7)`);
  const outputs: Record<string, { expected: readonly string[]; want: GoldenDtypeOutput }> = { params: { expected: sw.params.expected, want: sw.params } };
  for (const [name, o] of Object.entries(sw.state)) outputs[name] = { expected: o.expected, want: o };
  return { step: g.expected[k].step, outputs };
}

/** The output that came closest to its bound so far, and the one with the largest error in ulps. */
class Worst {
  check?: OutputCheck;
  largest?: OutputCheck;
  private ratio = -1;
  add(check: OutputCheck, r: { errorUlps: number; boundUlps: number }): void {
    const ratio = margin(r);
    if (ratio > this.ratio) {
      this.ratio = ratio;
      this.check = check;
    }
    if (this.largest === undefined || r.errorUlps > this.largest.errorUlps) this.largest = check;
  }
}

/** GOLD-4: one step's reply against its expectation — params, and each state array the reply carries; the first failure or none. */
function checkStepOutputs(x: StepExpectation, out: WireStepOutput, n: number, dtype: Dtype, worst: Worst): GoldenCaseCheck | undefined {
  const outputs: [string, ArrayLike<number>][] = [['params', decodeWireArray(out.params, n, `step ${x.step} params`)]];
  if (out.state !== undefined) {
    if (out.state.step !== undefined && out.state.step !== x.step)
      throw new Error(`step ${x.step} state.step is ${JSON.stringify(out.state.step)}, expected ${x.step}`);
    for (const name of Object.keys(x.outputs)) {
      if (name === 'params' || out.state[name] === undefined) continue;
      outputs.push([name, decodeWireArray(out.state[name], n, `step ${x.step} state.${name}`)]);
    }
  }
  for (const [output, got] of outputs) {
    const { expected, want } = x.outputs[output];
    for (let i = 0; i < n; i++) {
      const r = compareGoldenOutput(got[i], expected[i], want, i, dtype);
      const check: OutputCheck = { step: x.step, element: i, output, got: got[i], expected: expected[i], errorUlps: r.errorUlps, boundUlps: r.boundUlps };
      if (!r.ok) return { ok: false, worst: check, failure: check, message: describeFailure(check, dtype) };
      worst.add(check, r);
    }
  }
  return undefined;
}

/** GOLD-4, GOLD-6: an implementation's reply to a golden case in one dtype, step by step along the trajectory; state is compared where the reply carries it. */
export function checkGoldenReply(g: GoldenFile, dtype: Dtype, reply: readonly WireStepOutput[]): GoldenCaseCheck {
  if (reply.length !== g.expected.length) return { ok: false, message: `reply has ${reply.length} steps, the golden case has ${g.expected.length}` };
  const worst = new Worst();
  try {
    for (let k = 0; k < g.expected.length; k++) {
      const failed = checkStepOutputs(trajectoryExpectation(g, k, dtype), reply[k], g.case.params.length, dtype, worst);
      if (failed) return failed;
    }
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  return { ok: true, worst: worst.check, largest: worst.largest };
}

/**
 * GOLD-7: the reply to step `k`'s one-step case (stepWiseCase) against the file's step-wise
 * expectation; `worst` collects the closest output over the steps of a file.
 */
export function checkGoldenStep(g: GoldenFile, k: number, dtype: Dtype, reply: readonly WireStepOutput[], worst: Worst = new Worst()): GoldenCaseCheck {
  if (reply.length !== 1) return { ok: false, message: `step ${g.expected[k].step} (step-wise): reply has ${reply.length} steps, expected 1` };
  try {
    return (
      checkStepOutputs(stepWiseExpectation(g, k, dtype), reply[0], g.case.params.length, dtype, worst) ?? {
        ok: true,
        worst: worst.check,
        largest: worst.largest,
      }
    );
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** GOLD-7: the one-step case step `k` (0-based) of a golden file is checked on in `dtype`: the state before it, the hyperparameters in force. */
export function stepWiseCase(g: GoldenFile, k: number, dtype: Dtype): Case {
  const sw = g.expected[k].dtypes[dtype].step_wise;
  const before: GoldenBefore | undefined = k === 0 ? undefined : sw?.before;
  if (k > 0 && before === undefined) throw new Error(`${g.name}: step ${g.expected[k].step} has no step_wise entry for ${dtype} (GOLD-7)`);
  const first = goldenCase(g, dtype);
  const one = before
    ? singleStepCase(g.case, k, before)
    : { hyper: hyperAt(g.case, 0), params: first.params, state: first.state, steps: [{ grad: first.steps[0].grad }] };
  return { optimizer: g.case.optimizer, ...(g.case.variant !== undefined ? { variant: g.case.variant } : {}), dtype, ...one };
}

export interface LoadedGolden {
  readonly file: string;
  readonly golden: GoldenFile;
}

/**
 * GOLD-5, GOLD-6: the golden files of a folder in manifest order, each checked against its hash and
 * the schema; throws naming the first bad one. `keep` picks manifest entries first, so a check of
 * one family reads, hashes and validates that family's files only, not the whole folder.
 */
export function loadGolden(dir: string = GOLDEN_DIR, keep: (entry: ManifestEntry) => boolean = () => true): LoadedGolden[] {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: ManifestEntry[] };
  return manifest.files.filter(keep).map(({ file, sha256: hash }) => {
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
  /** GOLD-7: one request per step from the state before it, or the whole case at once (GOLD-6) */
  readonly form: GoldenForm;
}

/** GOLD-7: the form a job is checked in — step-wise where the implementation returns (and so loads) state, unless a form is asked for. */
function formFor(support: Support, options: GoldenVerifyOptions): GoldenForm {
  if (options.form !== undefined && options.form !== 'auto') return options.form;
  return support.returnsState === false ? 'trajectory' : 'step-wise';
}

/** The golden files the options pick, in manifest order (throws when the folder cannot be used). */
function selectFiles(options: GoldenVerifyOptions): LoadedGolden[] {
  const familyOf = (definition: string) => definition.split('/')[0];
  const picked = (e: ManifestEntry) =>
    (options.optimizer === undefined || familyOf(e.optimizer) === options.optimizer) && (options.files === undefined || options.files.includes(e.file));
  // the manifest's `optimizer` only narrows what is read; each file read is still held to its own case
  return loadGolden(options.dir, picked).filter(({ golden }) => options.optimizer === undefined || golden.case.optimizer === options.optimizer);
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
      (insidePins(golden, support) ? jobs : pinned).push({ file, golden, dtype, form: formFor(support, options) });
    }
  }
  return { jobs, pinned };
}

/**
 * GOLD-8: the known defects a file says it catches in `dtype`, as a hint after a failure
 * (`; the file catches known defect … in float64`): a checker cannot tell which one it met.
 */
function declaredDefects(g: GoldenFile, dtype: Dtype): string {
  // every id is a known defect: validateGolden refuses a file that names another (GOLD-8)
  return Object.entries(g.known_defects ?? {})
    .filter(([, dtypes]) => dtypes.includes(dtype))
    .map(([id]) => `; the file catches ${describeDefect(KNOWN_DEFECTS.find((d) => d.name === id) as DefectDef)} in ${dtype}`)
    .join('');
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
      const message = `${job.file} (${job.form}): ${check.failure ? describeFailure(check.failure, this.dtype) : check.message}${declaredDefects(job.golden, this.dtype)}`;
      const k = check.failure ? check.failure.step - job.golden.expected[0].step : 0;
      const minimalCase = job.form === 'step-wise' ? stepWiseCase(job.golden, Math.max(k, 0), this.dtype) : goldenCase(job.golden, this.dtype);
      const failure = { message, minimalCase, check: check.failure, seed: 0, shrinks: 0 };
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

/** One request to the implementation, its reply or an error reply (a throw, a timeout). */
async function ask(impl: Implementation, c: Case, id: string, options: GoldenVerifyOptions): Promise<RunReply> {
  const request = toRunRequest(c, id);
  try {
    return await withTimeout(impl.run(request), options.caseTimeoutMs ?? PROCESS_LIMITS.caseMs, `reply to ${request.id}`);
  } catch (e) {
    return { op: 'error', id: request.id, message: `implementation threw: ${(e as Error).message}` };
  }
}

/** GOLD-6: the whole case in one request, checked along the trajectory. */
async function checkTrajectory(impl: Implementation, { golden, dtype }: Job, options: GoldenVerifyOptions): Promise<GoldenCaseCheck | 'unsupported'> {
  const reply = await ask(impl, goldenCase(golden, dtype), `${golden.name}:${dtype}`, options);
  if (reply.op === 'unsupported') return 'unsupported';
  return reply.op === 'error' ? { ok: false, message: `implementation error: ${reply.message}` } : checkGoldenReply(golden, dtype, reply.steps);
}

/** GOLD-7: one request per step, each from the state before it, each checked with the single-step bound; the first failure ends the file. */
async function checkStepWise(impl: Implementation, { golden, dtype }: Job, options: GoldenVerifyOptions): Promise<GoldenCaseCheck | 'unsupported'> {
  const worst = new Worst();
  let last: GoldenCaseCheck = { ok: true };
  for (let k = 0; k < golden.expected.length; k++) {
    const reply = await ask(impl, stepWiseCase(golden, k, dtype), `${golden.name}:${dtype}:step${k + 1}`, options);
    if (reply.op === 'unsupported') return 'unsupported';
    if (reply.op === 'error') return { ok: false, message: `step ${k + 1} (step-wise): implementation error: ${reply.message}` };
    last = checkGoldenStep(golden, k, dtype, reply.steps, worst);
    if (!last.ok) return last;
  }
  return last;
}

/** One job's reply, checked against its file in the job's form; `unsupported` when the implementation declines it. */
function checkJob(impl: Implementation, job: Job, options: GoldenVerifyOptions): Promise<GoldenCaseCheck | 'unsupported'> {
  return job.form === 'step-wise' ? checkStepWise(impl, job, options) : checkTrajectory(impl, job, options);
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
 * GOLD-6, GOLD-7: checks an implementation against the golden files over the protocol and reports
 * as `optconf run` does (exit 0 conformant, 1 not conformant, 2 could not run). The dtypes checked
 * are those of each file that the implementation's hello `supports` lists for the family; each
 * step-wise where the implementation returns state (unless `options.form` says otherwise), else
 * along the trajectory; `unsupported` replies are skipped.
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
