/**
 * The conformance runner: for every optimizer and dtype an implementation supports, generate
 * cases (fast-check, from a printed seed), check each reply against the reference within the error
 * model, shrink a failure to a minimal case, and fingerprint a failing implementation against the
 * family's named variants. The in-process API behind `optconf run`.
 */
import fc from 'fast-check';
import { DTYPES, type Dtype } from '../../reference/dtype.ts';
import { FAMILIES, defectsOf, describeDefect, findOptimizer, variantsOf, type Family, type OptimizerDef } from '../../reference/registry.ts';
import { caseArbitrary } from './arbitraries.ts';
import { toRunRequest, type Case } from './case.ts';
import { Reservoir, type OutputCheck, type OutputSample } from './compare.ts';
import { exercisedClauses } from './exercised.ts';
import { checkCaseParallel } from './parallel.ts';
import { greet, type Implementation } from '../protocol/implementation.ts';
import type { HelloReply, RunReply, RunRequest, Support } from '../protocol/messages.ts';
import { withTimeout } from '../protocol/timeout.ts';

export interface CheckOptions {
  /** only this family */
  readonly optimizer?: string;
  readonly dtype?: Dtype;
  /** check against this named variant instead of the canonical step */
  readonly variant?: string;
  /** cases per optimizer and dtype */
  readonly runs?: number;
  readonly seed?: number;
  readonly profile?: 'default' | 'long';
  /**
   * run only shard `index` (1-based) of `count`: within every target, generated case k (1-based, the
   * same sequence for the same seed) belongs to shard ((k − 1) mod count) + 1; `mergeReports` joins them
   */
  readonly shard?: { readonly index: number; readonly count: number };
  /** skip fingerprinting a failure against the named variants */
  readonly fingerprint?: boolean;
  readonly caseTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  readonly onProgress?: (event: { target: string; done: number; total: number }) => void;
  /** compared outputs kept per target for plotting (default SAMPLES_PER_TARGET; 0: none) */
  readonly samples?: number;
}

export const SAMPLES_PER_TARGET = 2000;

export const DEFAULT_RUNS = 100;
/** Property evaluations allowed while shrinking one failure (each one is a round trip to the implementation). */
export const SHRINK_BUDGET = 400;

export interface ClauseResult {
  readonly clause: string;
  readonly verdict: 'pass' | 'fail' | 'untested';
  readonly cases: number;
  /** the passing output closest to its bound, in ulps, with that bound */
  readonly worst?: OutputCheck;
}

export interface Failure {
  readonly message: string;
  readonly minimalCase: Case;
  readonly check?: OutputCheck;
  readonly seed: number;
  readonly path?: string;
  readonly shrinks: number;
}

export interface TargetResult {
  readonly optimizer: string;
  readonly dtype: Dtype;
  /** the definition checked against: `adam` or a variant */
  readonly against: string;
  readonly verdict: 'pass' | 'fail' | 'skipped';
  readonly seed: number;
  readonly cases: number;
  readonly skipped: number;
  readonly clauses: readonly ClauseResult[];
  readonly failure?: Failure;
  /** after a failure: the named variants the implementation matches on every case (empty: none) */
  readonly fingerprint?: readonly string[];
  readonly note?: string;
  /** a bounded, deterministic sample of the outputs compared (passing cases and the first failing one), for plots */
  readonly samples?: readonly TargetSample[];
  /** in a sharded run: the shard, and each of its cases in generation order, so that `mergeReports` rebuilds the unsharded result */
  readonly shard?: { readonly index: number; readonly count: number; readonly cases: readonly CaseLog[] };
}

/** One generated case of a sharded run: its number in the unsharded sequence and what it gave. */
export interface CaseLog {
  readonly case: number;
  readonly ok: boolean;
  readonly skipped?: boolean;
  readonly clauses: readonly string[];
  readonly worst?: OutputCheck;
}

/** A compared output and the number of the case (1-based, in generation order) it came from. */
export interface TargetSample extends OutputSample {
  readonly case: number;
}

export interface CheckReport {
  readonly implementation: string;
  readonly seed: number;
  readonly runs: number;
  readonly verdict: 'conformant' | 'not-conformant' | 'could-not-run';
  readonly exitCode: 0 | 1 | 2;
  readonly targets: readonly TargetResult[];
  readonly message?: string;
}

/** A seed per target, so a target's cases do not depend on which other targets run. */
export function targetSeed(seed: number, optimizer: string, dtype: Dtype): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const ch of `${optimizer}/${dtype}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h | 0;
}

/** An implementation's reply, with a throw, a hang or garbage turned into an `error` reply. */
async function ask(impl: Implementation, request: RunRequest, timeoutMs: number): Promise<RunReply> {
  try {
    const reply = await withTimeout(impl.run(request), timeoutMs, `reply to case ${request.id}`);
    if (typeof reply !== 'object' || reply === null || !('op' in reply)) return { op: 'error', id: request.id, message: 'reply is not a protocol message' };
    return reply;
  } catch (e) {
    return { op: 'error', id: request.id, message: `implementation threw: ${(e as Error).message}` };
  }
}

interface Target {
  readonly family: Family;
  readonly dtype: Dtype;
  readonly support: Support;
}

function targetsOf(hello: HelloReply, options: CheckOptions): { targets: Target[]; ignored: string[] } {
  const targets: Target[] = [];
  const ignored: string[] = [];
  for (const support of hello.supports) {
    if (!(FAMILIES as readonly string[]).includes(support.optimizer)) {
      ignored.push(support.optimizer);
      continue;
    }
    if (options.optimizer !== undefined && support.optimizer !== options.optimizer) continue;
    for (const dtype of DTYPES) {
      if (!support.dtypes.includes(dtype) || (options.dtype !== undefined && dtype !== options.dtype)) continue;
      targets.push({ family: support.optimizer as Family, dtype, support });
    }
  }
  return { targets, ignored };
}

interface Outcome {
  readonly ok: boolean;
  readonly message?: string;
  readonly check?: OutputCheck;
  readonly worst?: OutputCheck;
  readonly skipped?: boolean;
  readonly samples?: readonly OutputSample[];
}

/** Runs the cases of one target against one definition; with `shrink` false it stops at the first failure. */
async function runProperty(
  impl: Implementation,
  def: OptimizerDef,
  target: Target,
  seed: number,
  options: CheckOptions,
  shrink: boolean,
  examples: Case[] = [],
  onCase?: (c: Case, outcome: Outcome, index: number) => void,
  sampling = false,
  shard?: { readonly index: number; readonly count: number },
) {
  const arbitrary = caseArbitrary(target.family, target.dtype, { fixed: target.support.fixed, profile: options.profile });
  const outcomes = new WeakMap<Case, Outcome>();
  let failures = 0;
  let afterFailure = 0;
  let id = 0;
  let generated = 0;
  const property = fc.asyncProperty(arbitrary, async (c: Case) => {
    // Sharding: before the first failure, calls are the generated cases in order; another shard's pass unasked.
    if (failures === 0 && shard !== undefined && generated++ % shard.count !== shard.index - 1) return true;
    if (failures > 0 && ++afterFailure > SHRINK_BUDGET) return true; // shrink budget spent: keep the smallest so far
    // A process that died cannot answer: keep the case that killed it as the failure.
    if (failures > 0 && (impl as { failure?: string }).failure !== undefined) return true;
    const reply = await ask(impl, toRunRequest(c, `${target.family}-${target.dtype}-${++id}`), options.caseTimeoutMs ?? 60_000);
    let outcome: Outcome;
    if (reply.op === 'unsupported') outcome = { ok: true, skipped: true, message: reply.reason };
    else if (reply.op === 'error') outcome = { ok: false, message: `implementation error: ${reply.message}` };
    else {
      // Samples only before the first failure: shrinking re-runs cases that would skew the plots.
      // a large case (the long profile's) is split across worker threads; small ones stay here
      const check = await checkCaseParallel(def, c, reply.steps, { samples: sampling && failures === 0 });
      outcome = { ok: check.ok, message: check.message, check: check.failure, worst: check.worst, samples: check.samples };
    }
    outcomes.set(c, outcome);
    if (failures === 0) onCase?.(c, outcome, shard === undefined ? id : generated);
    if (!outcome.ok) failures++;
    return outcome.ok;
  });
  const details = await fc.check(property, {
    seed,
    numRuns: options.runs ?? DEFAULT_RUNS,
    endOnFailure: !shrink,
    examples: examples.map((c) => [c] as [Case]),
  });
  const counterexample = details.counterexample?.[0];
  return { details, counterexample, outcome: counterexample ? outcomes.get(counterexample) : undefined };
}

/** The case cut down to one element and the steps up to a failure: optimizers act element-wise. */
export function narrowCase(c: Case, element: number, steps: number): Case {
  const pick = (a: readonly number[]) => [a[element]];
  const state = c.state === null ? null : Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, typeof v === 'number' ? v : pick(v)]));
  return { ...c, params: pick(c.params), state: state as Case['state'], steps: c.steps.slice(0, steps).map((s) => ({ ...s, grad: pick(s.grad) })) };
}

/**
 * fast-check shrinks vector length poorly; an element-wise failure is tried again on its element
 * alone, and the narrower case is kept when it still fails (a bug past element 4096 keeps the long one).
 */
async function narrowFailure(
  impl: Implementation,
  def: OptimizerDef,
  c: Case,
  outcome: Outcome | undefined,
  options: CheckOptions,
): Promise<{ c: Case; outcome?: Outcome }> {
  const at = outcome?.check;
  if (!at || (c.params.length === 1 && c.steps.length === at.step)) return { c, outcome };
  const narrow = narrowCase(c, at.element, at.step);
  const reply = await ask(impl, toRunRequest(narrow, 'narrowed'), options.caseTimeoutMs ?? 60_000);
  if (reply.op !== 'result') return { c, outcome };
  const check = await checkCaseParallel(def, narrow, reply.steps);
  return check.ok ? { c, outcome } : { c: narrow, outcome: { ok: false, message: check.message, check: check.failure } };
}

type ClauseStats = Map<string, { cases: number; worst?: OutputCheck; ratio: number }>;

/** One passing case's contribution to its clauses: a count each, and the worst output if it is the new worst (ties keep the earlier case). */
function addCaseToStats(stats: ClauseStats, clauses: readonly string[], worst: OutputCheck | undefined): void {
  for (const clause of clauses) {
    const s = stats.get(clause);
    if (!s) continue;
    s.cases++;
    const ratio = worst ? worst.errorUlps / Math.max(worst.boundUlps, Number.MIN_VALUE) : 0;
    if (worst && ratio > s.ratio) {
      s.ratio = ratio;
      s.worst = worst;
    }
  }
}

async function checkTarget(impl: Implementation, target: Target, seed: number, options: CheckOptions): Promise<TargetResult> {
  const def = findOptimizer(target.family, options.variant);
  const label = `${target.family}/${target.dtype}`;
  if (!def) throw new Error(`unknown variant ${JSON.stringify(options.variant)} of ${target.family}`);
  const stats: ClauseStats = new Map(def.clauses.map((c) => [c, { cases: 0, ratio: -1 }]));
  let cases = 0;
  let skipped = 0;
  const total = options.runs ?? DEFAULT_RUNS;
  const sampleCap = options.samples ?? SAMPLES_PER_TARGET;
  const samples = new Reservoir<TargetSample>(sampleCap, seed);
  let failing: TargetSample[] = [];
  const log: CaseLog[] = [];
  const {
    details,
    counterexample: shrunk,
    outcome: shrunkOutcome,
  } = await runProperty(
    impl,
    def,
    target,
    seed,
    options,
    true,
    [],
    (c, o, index) => {
      cases++;
      const number = options.shard ? index : cases;
      if (o.ok) for (const s of o.samples ?? []) samples.add({ ...s, case: number });
      else failing = (o.samples ?? []).map((s) => ({ ...s, case: number }));
      const exercised = o.skipped || !o.ok ? [] : exercisedClauses(def, c);
      if (options.shard)
        log.push({ case: index, ok: o.ok, ...(o.skipped ? { skipped: true } : {}), clauses: exercised, ...(o.worst ? { worst: o.worst } : {}) });
      if (o.skipped) skipped++;
      else if (o.ok) addCaseToStats(stats, exercised, o.worst);
      options.onProgress?.({ target: label, done: cases, total });
    },
    sampleCap > 0,
    options.shard,
  );
  const narrowed = shrunk && (impl as { failure?: string }).failure === undefined ? await narrowFailure(impl, def, shrunk, shrunkOutcome, options) : undefined;
  const counterexample = narrowed?.c ?? shrunk;
  const outcome = narrowed?.outcome ?? shrunkOutcome;
  const failedClauses = counterexample ? new Set(exercisedClauses(def, counterexample)) : new Set<string>();
  const clauses: ClauseResult[] = def.clauses.map((clause) => {
    const s = stats.get(clause)!;
    const verdict = failedClauses.has(clause) ? 'fail' : s.cases > 0 ? 'pass' : 'untested';
    return { clause, verdict, cases: s.cases, worst: s.worst };
  });
  // The first failing case's samples are kept whole (they show where it went wrong), within the cap.
  const kept = sampleCap > 0 ? [...samples.items.slice(0, Math.max(0, sampleCap - failing.length)), ...failing.slice(-sampleCap)] : undefined;
  const base = {
    optimizer: target.family,
    dtype: target.dtype,
    against: def.name,
    seed,
    cases,
    skipped,
    clauses,
    ...(kept ? { samples: kept } : {}),
    ...(options.shard ? { shard: { ...options.shard, cases: log } } : {}),
  };
  if (!details.failed) {
    if (skipped === cases) return { ...base, verdict: 'skipped', note: 'the implementation answered every case `unsupported`' };
    return { ...base, verdict: 'pass' };
  }
  if (!counterexample) {
    return { ...base, verdict: 'fail', failure: undefined, note: `the check stopped: ${String(details.errorInstance ?? 'unknown error')}` };
  }
  const failure: Failure = {
    message: outcome?.message ?? 'failed',
    minimalCase: counterexample,
    check: outcome?.check,
    seed,
    path: details.counterexamplePath ?? undefined,
    shrinks: details.numShrinks,
  };
  const dead = (impl as { failure?: string }).failure !== undefined;
  const fingerprint =
    dead || options.fingerprint === false || options.variant !== undefined ? undefined : await fingerprintOf(impl, target, seed, options, counterexample);
  return { ...base, verdict: 'fail', failure, fingerprint };
}

/**
 * The named variants of the family that the implementation matches on every case, the minimal failure
 * included — and the family's known defects (DEFECT-1 …), named as `describeDefect` writes them.
 */
async function fingerprintOf(impl: Implementation, target: Target, seed: number, options: CheckOptions, minimal: Case): Promise<string[]> {
  const candidates = [
    ...variantsOf(target.family).map((v) => ({ def: v, name: v.name })),
    ...defectsOf(target.family).map((d) => ({ def: d, name: describeDefect(d) })),
  ];
  const matches: string[] = [];
  for (const { def, name } of candidates) {
    const { details } = await runProperty(impl, def, target, seed, options, false, [minimal]);
    if (!details.failed) matches.push(name);
  }
  return matches;
}

/** PROTO-4, PROTO-8: checks an implementation against the reference; never throws for anything the implementation does. */
export async function checkImplementation(impl: Implementation, options: CheckOptions = {}): Promise<CheckReport> {
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const runs = options.runs ?? DEFAULT_RUNS;
  const couldNotRun = (implementation: string, message: string): CheckReport => ({
    implementation,
    seed,
    runs,
    verdict: 'could-not-run',
    exitCode: 2,
    targets: [],
    message,
  });
  let hello: HelloReply;
  try {
    hello = await greet(impl, options.startupTimeoutMs ?? 30_000);
  } catch (e) {
    return couldNotRun('(no hello)', (e as Error).message);
  }
  try {
    if (options.variant !== undefined && options.optimizer !== undefined && !findOptimizer(options.optimizer, options.variant)) {
      return couldNotRun(hello.implementation, `unknown variant ${JSON.stringify(options.variant)} of ${options.optimizer}`);
    }
    const { targets, ignored } = targetsOf(hello, options);
    if (targets.length === 0) {
      const asked = [options.optimizer, options.dtype].filter(Boolean).join(' ');
      return couldNotRun(
        hello.implementation,
        `nothing to check: the implementation supports no ${asked || 'known optimizer'}${ignored.length ? ` (unknown: ${ignored.join(', ')})` : ''}`,
      );
    }
    const results: TargetResult[] = [];
    for (const target of targets) {
      results.push(await checkTarget(impl, target, targetSeed(seed, target.family, target.dtype), options));
      const dead = (impl as { failure?: string }).failure;
      if (dead !== undefined) {
        const checked = new Set(results.map((r) => `${r.optimizer}/${r.dtype}`));
        const rest = targets.filter((t) => !checked.has(`${t.family}/${t.dtype}`)).map((t) => `${t.family}/${t.dtype}`);
        return {
          implementation: hello.implementation,
          seed,
          runs,
          verdict: 'not-conformant',
          exitCode: 1,
          targets: results,
          message: `the implementation stopped answering: ${dead}${rest.length ? `; not checked: ${rest.join(', ')}` : ''}`,
        };
      }
    }
    const failed = results.some((r) => r.verdict === 'fail');
    const checkedAny = results.some((r) => r.verdict === 'pass');
    if (!failed && !checkedAny) return { ...couldNotRun(hello.implementation, 'every case was answered `unsupported`'), targets: results };
    return { implementation: hello.implementation, seed, runs, verdict: failed ? 'not-conformant' : 'conformant', exitCode: failed ? 1 : 0, targets: results };
  } finally {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
  }
}

/**
 * PROTO-8: the reports of `optconf run --shard i/N` for i = 1…N (same implementation, seed and runs)
 * joined into the report the unsharded run gives: each target's cases in generation order, cut at
 * the first failing one (the unsharded run stops generating there), per-clause counts and worst
 * outputs recomputed, the failure and fingerprint taken from the shard that met it.
 */
export function mergeReports(reports: readonly CheckReport[]): CheckReport {
  if (reports.length === 0) throw new Error('nothing to merge');
  const first = reports[0];
  for (const r of reports) {
    if (r.seed !== first.seed || r.runs !== first.runs)
      throw new Error(`reports differ in seed or runs (${first.seed}/${first.runs} against ${r.seed}/${r.runs}): not shards of one run`);
    if (r.implementation !== first.implementation) throw new Error(`reports are of different implementations (${first.implementation}, ${r.implementation})`);
  }
  const broken = reports.find((r) => r.verdict === 'could-not-run' && r.targets.length === 0);
  if (broken) return { ...broken, targets: [] };
  const groups = new Map<string, TargetResult[]>();
  for (const r of reports) {
    for (const t of r.targets) {
      if (!t.shard) throw new Error(`target ${t.optimizer}/${t.dtype} has no shard record: merge only reports of \`optconf run --shard i/N\``);
      const key = `${t.optimizer}/${t.dtype}/${t.against}`;
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
  }
  const targets: TargetResult[] = [];
  for (const [key, parts] of groups) {
    const count = parts[0].shard!.count;
    const indices = parts.map((t) => t.shard!.index).sort((a, b) => a - b);
    if (parts.some((t) => t.shard!.count !== count) || indices.join() !== Array.from({ length: count }, (_, i) => i + 1).join()) {
      throw new Error(`${key}: shards ${indices.join(', ')} of ${count} — every shard 1…${count} must be given once`);
    }
    targets.push(mergeTarget(parts));
  }
  const messages = reports.map((r) => r.message).filter((m): m is string => m !== undefined);
  const failed = targets.some((t) => t.verdict === 'fail');
  const checkedAny = targets.some((t) => t.verdict === 'pass');
  const base = { implementation: first.implementation, seed: first.seed, runs: first.runs, targets };
  if (messages.length > 0 && reports.some((r) => r.verdict === 'not-conformant'))
    return { ...base, verdict: 'not-conformant', exitCode: 1, message: messages.join('; ') };
  if (!failed && !checkedAny) return { ...base, verdict: 'could-not-run', exitCode: 2, message: 'every case was answered `unsupported`' };
  return { ...base, verdict: failed ? 'not-conformant' : 'conformant', exitCode: failed ? 1 : 0 };
}

function mergeTarget(parts: readonly TargetResult[]): TargetResult {
  const t0 = parts[0];
  const def = findOptimizer(t0.optimizer, t0.against);
  if (!def) throw new Error(`unknown definition ${t0.against}`);
  const all = parts.flatMap((t) => t.shard!.cases.map((c) => ({ c, owner: t }))).sort((a, b) => a.c.case - b.c.case);
  const firstFailure = all.find((x) => !x.c.ok);
  const kept = firstFailure ? all.filter((x) => x.c.case <= firstFailure.c.case) : all;
  const stats: ClauseStats = new Map(def.clauses.map((c) => [c, { cases: 0, ratio: -1 }]));
  for (const { c } of kept) if (c.ok && !c.skipped) addCaseToStats(stats, c.clauses, c.worst);
  const cases = kept.length;
  const skipped = kept.filter((x) => x.c.skipped).length;
  const owner = firstFailure?.owner;
  const failedClauses = new Set(owner?.failure ? exercisedClauses(def, owner.failure.minimalCase) : []);
  const clauses: ClauseResult[] = def.clauses.map((clause) => {
    const s = stats.get(clause)!;
    return { clause, verdict: failedClauses.has(clause) ? 'fail' : s.cases > 0 ? 'pass' : 'untested', cases: s.cases, worst: s.worst };
  });
  const last = firstFailure?.c.case ?? Infinity;
  const samples = parts
    .flatMap((t) => (t.samples ?? []).filter((s) => s.case <= last))
    .sort((a, b) => a.case - b.case)
    .slice(-SAMPLES_PER_TARGET);
  const base = {
    optimizer: t0.optimizer,
    dtype: t0.dtype,
    against: t0.against,
    seed: t0.seed,
    cases,
    skipped,
    clauses,
    ...(samples.length ? { samples } : {}),
  };
  if (owner) return { ...base, verdict: 'fail', failure: owner.failure, fingerprint: owner.fingerprint, ...(owner.note ? { note: owner.note } : {}) };
  if (skipped === cases) return { ...base, verdict: 'skipped', note: 'the implementation answered every case `unsupported`' };
  return { ...base, verdict: 'pass' };
}
