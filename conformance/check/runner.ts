/**
 * The conformance runner: for every optimizer and dtype an implementation supports, generate
 * cases (fast-check, from a printed seed), check each reply against the reference within the error
 * model, shrink a failure to a minimal case, and fingerprint a failing implementation against the
 * family's named variants. The in-process API behind `optconf run`; the verdicts are verdict.ts's.
 */
import fc from 'fast-check';
import { DTYPES, type Dtype } from '../../reference/dtype.ts';
import { FAMILIES, defectsOf, describeDefect, findOptimizer, variantsOf, type Family, type OptimizerDef } from '../../reference/registry.ts';
import { caseArbitrary } from './arbitraries.ts';
import { toRunRequest, type Case } from './case.ts';
import { Reservoir, type OutputCheck, type OutputSample } from './compare.ts';
import { exercisedClauses } from './exercised.ts';
import { checkCaseParallel } from './parallel.ts';
import {
  ClauseTally,
  couldNotRun,
  decideReport,
  targetVerdict,
  type CaseLog,
  type CheckReport,
  type Failure,
  type TargetResult,
  type TargetSample,
  type Undecided,
} from './verdict.ts';
import { Answering } from './answering.ts';
import { DEFAULT_RUNS, PROCESS_LIMITS, SAMPLES_PER_TARGET, SHRINK_BUDGET } from '../limits.ts';
import { greet, revive, type Implementation } from '../protocol/implementation.ts';
import type { HelloReply, Support } from '../protocol/messages.ts';

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
  readonly shard?: Shard;
  /** skip fingerprinting a failure against the named variants */
  readonly fingerprint?: boolean;
  /**
   * false: report the first failing case as found, unshrunk (its report says so), for a check that
   * needs only that a failure is found and named — the mutant corpus; the fingerprint is taken on that case
   */
  readonly shrink?: boolean;
  readonly caseTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  readonly onProgress?: (event: { target: string; done: number; total: number }) => void;
  /** compared outputs kept per target for plotting (default SAMPLES_PER_TARGET; 0: none) */
  readonly samples?: number;
  /**
   * fast-check's path to a shrunk case (a report's `failure.path`), with the report's seed and runs:
   * that case is asked first and alone, and not shrunk further, so the failure replays exactly
   */
  readonly path?: string;
}

type Shard = { readonly index: number; readonly count: number };

/** A seed per target, so a target's cases do not depend on which other targets run. */
export function targetSeed(seed: number, optimizer: string, dtype: Dtype): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const ch of `${optimizer}/${dtype}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h | 0;
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
  /** PROTO-8: no reply of the implementation's own answered the case (a crash, a kill, a non-JSON or malformed reply) */
  readonly protocol?: boolean;
  /** in a fingerprint's run: the case was answered `error` (a refusal), so the run neither matched nor failed on it */
  readonly refused?: boolean;
  readonly check?: OutputCheck;
  readonly worst?: OutputCheck;
  readonly largest?: OutputCheck;
  readonly skipped?: boolean;
  readonly samples?: readonly OutputSample[];
}

/** One case asked of the implementation and its reply checked against `def` (a large case is split across worker threads). */
async function evaluate({ answering, def, refusals }: PropertyRun, c: Case, id: string, samples: boolean): Promise<Outcome> {
  const { reply, protocol } = await answering.ask(toRunRequest(c, id));
  if (protocol !== undefined) return { ok: false, protocol: true, message: protocol };
  if (reply.op === 'unsupported') return { ok: true, skipped: true, message: reply.reason };
  if (reply.op === 'error')
    return refusals ? { ok: true, refused: true, message: reply.message } : { ok: false, message: `implementation error: ${reply.message}` };
  const check = await checkCaseParallel(def, c, reply.steps, { samples });
  return { ok: check.ok, message: check.message, check: check.failure, worst: check.worst, largest: check.largest, samples: check.samples };
}

/** One target's check: the implementation, the target, the target's seed and the options. */
interface TargetRun {
  readonly answering: Answering;
  readonly target: Target;
  readonly seed: number;
  readonly options: CheckOptions;
}

/** One property run: the cases of one target against one definition. */
interface PropertyRun extends TargetRun {
  readonly def: OptimizerDef;
  /** shrink a failure; false stops at the first one */
  readonly shrink: boolean;
  /** cases tried before the generated ones */
  readonly examples?: readonly Case[];
  /** called for each case before the first failure, with its number (in a shard: in the unsharded sequence) */
  readonly onCase?: (c: Case, outcome: Outcome, index: number) => void;
  /** keep compared outputs for plots */
  readonly sampling?: boolean;
  readonly shard?: Shard;
  /** a fingerprint's run: an `error` reply is a refusal, counted, not a failure */
  readonly refusals?: boolean;
}

/** What one property run asked: cases asked, answered `error` as a refusal, and left unasked because the implementation could not answer. */
interface Asked {
  asked: number;
  refused: number;
  unasked: number;
}

async function runProperty(run: PropertyRun) {
  const { answering, target, options, shard } = run;
  const arbitrary = caseArbitrary(target.family, target.dtype, {
    fixed: target.support.fixed,
    ranges: target.support.ranges,
    profile: options.profile,
  });
  const outcomes = new WeakMap<Case, Outcome>();
  const counts: Asked = { asked: 0, refused: 0, unasked: 0 };
  let failures = 0;
  let afterFailure = 0;
  let generated = 0;
  let first: Outcome | undefined;
  const property = fc.asyncProperty(arbitrary, async (c: Case) => {
    // Sharding: before the first failure, calls are the generated cases in order; another shard's pass unasked.
    if (failures === 0 && shard !== undefined && generated++ % shard.count !== shard.index - 1) return true;
    if (failures > 0 && ++afterFailure > SHRINK_BUDGET) return true; // shrink budget spent: keep the smallest so far
    // PROTO-8: after a protocol failure or a kill a fresh process answers; without one the case goes unasked
    // (a pass to fast-check), so the failure reported is always a case that was answered
    if (!(await answering.ready(failures > 0 || run.refusals === true))) {
      counts.unasked++;
      return true;
    }
    // Samples only before the first failure: shrinking re-runs cases that would skew the plots.
    const outcome = await evaluate(run, c, `${target.family}-${target.dtype}-${++counts.asked}`, run.sampling === true && failures === 0);
    outcomes.set(c, outcome);
    if (outcome.refused) counts.refused++;
    if (failures === 0) run.onCase?.(c, outcome, shard === undefined ? counts.asked : generated);
    if (!outcome.ok) first ??= outcome;
    if (!outcome.ok) failures++;
    return outcome.ok;
  });
  const details = await fc.check(property, {
    seed: run.seed,
    numRuns: options.runs ?? DEFAULT_RUNS,
    // a replayed path is the shrunk case itself: nothing smaller is looked for
    endOnFailure: !run.shrink || options.path !== undefined,
    examples: (run.examples ?? []).map((c) => [c] as [Case]),
    ...(options.path !== undefined && run.examples === undefined ? { path: options.path } : {}),
  });
  const counterexample = details.counterexample?.[0];
  return { details, counterexample, outcome: counterexample ? outcomes.get(counterexample) : undefined, first, counts };
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
async function narrowFailure({ answering }: TargetRun, def: OptimizerDef, c: Case, outcome: Outcome | undefined): Promise<{ c: Case; outcome?: Outcome }> {
  const at = outcome?.check;
  if (!at || (c.params.length === 1 && c.steps.length === at.step)) return { c, outcome };
  if (!(await answering.ready())) return { c, outcome };
  const narrow = narrowCase(c, at.element, at.step);
  const { reply } = await answering.ask(toRunRequest(narrow, 'narrowed'));
  if (reply?.op !== 'result') return { c, outcome };
  const check = await checkCaseParallel(def, narrow, reply.steps);
  return check.ok ? { c, outcome } : { c: narrow, outcome: { ok: false, message: check.message, check: check.failure } };
}

/** What a target's cases gave before the first failure: counts, clause tallies, plotted samples and (in a shard) the case log. */
class TargetCases {
  cases = 0;
  skipped = 0;
  readonly clauses: ClauseTally;
  readonly log: CaseLog[] = [];
  private readonly samples: Reservoir<TargetSample>;
  private failing: TargetSample[] = [];
  constructor(
    private readonly def: OptimizerDef,
    seed: number,
    readonly sampleCap: number,
    private readonly sharded: boolean,
  ) {
    this.clauses = new ClauseTally(def.clauses);
    this.samples = new Reservoir<TargetSample>(sampleCap, seed);
  }

  add(c: Case, o: Outcome, index: number): void {
    this.cases++;
    const number = this.sharded ? index : this.cases;
    if (o.ok) for (const s of o.samples ?? []) this.samples.add({ ...s, case: number });
    else this.failing = (o.samples ?? []).map((s) => ({ ...s, case: number }));
    const exercised = o.skipped || !o.ok ? [] : exercisedClauses(this.def, c);
    if (this.sharded)
      this.log.push({
        case: index,
        ok: o.ok,
        ...(o.skipped ? { skipped: true } : {}),
        clauses: exercised,
        ...(o.worst ? { worst: o.worst } : {}),
        ...(o.largest ? { largest: o.largest } : {}),
      });
    if (o.skipped) this.skipped++;
    else if (o.ok) this.clauses.addPassing(exercised, o.worst, o.largest);
  }

  /** The samples to plot: the first failing case's whole (they show where it went wrong), the passing ones within the cap. */
  kept(): TargetSample[] | undefined {
    const cap = this.sampleCap;
    if (cap <= 0) return undefined;
    return [...this.samples.items.slice(0, Math.max(0, cap - this.failing.length)), ...this.failing.slice(-cap)];
  }
}

async function checkTarget(check: TargetRun): Promise<TargetResult> {
  const { answering, target, seed, options } = check;
  const def = findOptimizer(target.family, options.variant);
  if (!def) throw new Error(`unknown variant ${JSON.stringify(options.variant)} of ${target.family}`);
  const label = `${target.family}/${target.dtype}`;
  const total = options.runs ?? DEFAULT_RUNS;
  const gathered = new TargetCases(def, seed, options.samples ?? SAMPLES_PER_TARGET, options.shard !== undefined);
  const onCase = (c: Case, o: Outcome, index: number) => {
    gathered.add(c, o, index);
    options.onProgress?.({ target: label, done: gathered.cases, total });
  };
  const run = await runProperty({ ...check, def, shrink: options.shrink !== false, onCase, sampling: gathered.sampleCap > 0, shard: options.shard });
  const narrowed = run.counterexample ? await narrowFailure(check, def, run.counterexample, run.outcome) : undefined;
  const counterexample = narrowed?.c ?? run.counterexample;
  const outcome = narrowed?.outcome ?? run.outcome;
  const kept = gathered.kept();
  const base = {
    optimizer: target.family,
    dtype: target.dtype,
    against: def.name,
    seed,
    cases: gathered.cases,
    skipped: gathered.skipped,
    clauses: gathered.clauses.results(new Set(counterexample ? exercisedClauses(def, counterexample) : [])),
    ...(kept ? { samples: kept } : {}),
    ...(options.shard ? { shard: { ...options.shard, cases: gathered.log } } : {}),
  };
  // PROTO-8: a process that stopped answering before any case failed leaves the target unchecked, never passed
  if (!run.details.failed && run.counts.unasked > 0) return { ...base, verdict: 'fail', note: `the implementation stopped answering: ${answering.cannot}` };
  const verdict = targetVerdict({ failed: run.details.failed, cases: gathered.cases, skipped: gathered.skipped });
  if (verdict === 'skipped') return { ...base, verdict, note: 'the implementation answered every case `unsupported`' };
  if (verdict === 'pass') return { ...base, verdict };
  if (!counterexample) return { ...base, verdict, failure: undefined, note: `the check stopped: ${String(run.details.errorInstance ?? 'unknown error')}` };
  const failure = failureOf(run, counterexample, outcome, seed, options, answering);
  // PROTO-8: a protocol failure computed nothing to compare with a variant
  const fingerprinting = !failure.protocol && options.fingerprint !== false && options.variant === undefined && (await answering.ready());
  const fingerprint = fingerprinting ? await fingerprintOf(check, counterexample) : undefined;
  return {
    ...base,
    verdict,
    failure,
    ...(fingerprint ? { fingerprint: fingerprint.matches, ...(fingerprint.undecided ? { undecided: fingerprint.undecided } : {}) } : {}),
  };
}

/** The failure to report: the minimal case answered, its message, the first failure's when it differs, and why shrinking stopped early. */
function failureOf(
  run: Awaited<ReturnType<typeof runProperty>>,
  minimal: Case,
  outcome: Outcome | undefined,
  seed: number,
  { path, shrink }: CheckOptions,
  answering: Answering,
): Failure {
  const message = outcome?.message ?? 'failed';
  // PROTO-8: a protocol failure's own message is kept, whatever the case shrunk to fails with
  const firstMessage = run.first?.protocol || outcome?.protocol ? run.first?.message : undefined;
  return {
    message,
    minimalCase: minimal,
    check: outcome?.check,
    seed,
    path: run.details.counterexamplePath ?? undefined,
    // a replayed path stops at its case: the shrinks are the path's
    shrinks: path === undefined ? run.details.numShrinks : path.split(':').length - 1,
    ...(outcome?.protocol ? { protocol: true } : {}),
    ...(firstMessage !== undefined && firstMessage !== message ? { firstMessage } : {}),
    ...(run.counts.unasked > 0 ? { shrinkStopped: `${run.counts.unasked} smaller candidates not asked: ${answering.cannot}` } : {}),
    ...(shrink === false && path === undefined ? { shrinkStopped: 'not shrunk (shrink: false)' } : {}),
  };
}

/**
/**
 * The named variants of the family — and its known defects (DEFECT-1 …), named as `describeDefect`
 * writes them — that the implementation matches on every case, the minimal failure included; and
 * those it matched on every case it answered but not on every case, because it refused some
 * (`error`) or stopped answering: undecided, not ruled out.
 */
async function fingerprintOf(check: TargetRun, minimal: Case): Promise<{ matches: string[]; undecided?: Undecided }> {
  const candidates = [
    ...variantsOf(check.target.family).map((v) => ({ def: v, name: v.name })),
    ...defectsOf(check.target.family).map((d) => ({ def: d, name: describeDefect(d) })),
  ];
  const matches: string[] = [];
  const undecided = { variants: [] as string[], refused: 0, asked: 0, unasked: 0 };
  for (const { def, name } of candidates) {
    const { details, counts } = await runProperty({ ...check, def, shrink: false, examples: [minimal], refusals: true });
    if (details.failed) continue;
    if (counts.refused === 0 && counts.unasked === 0) {
      matches.push(name);
      continue;
    }
    undecided.variants.push(name);
    undecided.refused += counts.refused;
    undecided.asked += counts.asked;
    undecided.unasked += counts.unasked;
  }
  return { matches, ...(undecided.variants.length > 0 ? { undecided } : {}) };
}

/** The targets to check, or why there is nothing to check. */
function planTargets(hello: HelloReply, options: CheckOptions): Target[] | string {
  if (options.variant !== undefined && options.optimizer !== undefined && !findOptimizer(options.optimizer, options.variant)) {
    return `unknown variant ${JSON.stringify(options.variant)} of ${options.optimizer}`;
  }
  const { targets, ignored } = targetsOf(hello, options);
  // PROTO-4: pins and ranges that name no hyperparameter, or admit no case, are the hello's fault: could not run
  for (const t of targets) {
    try {
      caseArbitrary(t.family, t.dtype, { fixed: t.support.fixed, ranges: t.support.ranges });
    } catch (e) {
      return `the hello reply's capabilities cannot be checked: ${(e as Error).message}`;
    }
  }
  if (targets.length > 0) return targets;
  const asked = [options.optimizer, options.dtype].filter(Boolean).join(' ');
  return `nothing to check: the implementation supports no ${asked || 'known optimizer'}${ignored.length ? ` (unknown: ${ignored.join(', ')})` : ''}`;
}

/**
 * Checks the targets in order, each on an implementation that answers (restarted after a protocol
 * failure or a kill, PROTO-8); when it cannot be restarted, the rest are named as not checked.
 */
async function checkTargets(impl: Implementation, targets: readonly Target[], seed: number, options: CheckOptions) {
  const results: TargetResult[] = [];
  for (const target of targets) {
    const dead = results.length === 0 ? undefined : await revive(impl, options.startupTimeoutMs ?? PROCESS_LIMITS.startupMs);
    if (dead !== undefined) {
      const rest = targets.slice(results.length).map((t) => `${t.family}/${t.dtype}`);
      return { results, stopped: `the implementation stopped answering: ${dead}; not checked: ${rest.join(', ')}` };
    }
    const answering = new Answering(impl, {
      startupMs: options.startupTimeoutMs ?? PROCESS_LIMITS.startupMs,
      caseMs: options.caseTimeoutMs ?? PROCESS_LIMITS.caseMs,
    });
    results.push(await checkTarget({ answering, target, seed: targetSeed(seed, target.family, target.dtype), options }));
  }
  return { results, stopped: undefined };
}

/** PROTO-4, PROTO-8: checks an implementation against the reference; never throws for anything the implementation does. */
export async function checkImplementation(impl: Implementation, options: CheckOptions = {}): Promise<CheckReport> {
  const seed = options.seed ?? (Date.now() ^ (process.pid << 16)) | 0;
  const runs = options.runs ?? DEFAULT_RUNS;
  let hello: HelloReply;
  try {
    hello = await greet(impl, options.startupTimeoutMs ?? PROCESS_LIMITS.startupMs);
  } catch (e) {
    return couldNotRun({ implementation: '(no hello)', seed, runs }, (e as Error).message);
  }
  const head = { implementation: hello.implementation, seed, runs, ...(options.profile === 'long' ? { profile: 'long' as const } : {}) };
  try {
    const targets = planTargets(hello, options);
    if (typeof targets === 'string') return couldNotRun(head, targets);
    const { results, stopped } = await checkTargets(impl, targets, seed, options);
    return decideReport(head, results, { stopped, allUnsupported: 'every case was answered `unsupported`' });
  } finally {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
  }
}
