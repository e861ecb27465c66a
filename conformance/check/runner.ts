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
} from './verdict.ts';
import { DEFAULT_RUNS, PROCESS_LIMITS, SAMPLES_PER_TARGET, SHRINK_BUDGET } from '../limits.ts';
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
  readonly shard?: Shard;
  /** skip fingerprinting a failure against the named variants */
  readonly fingerprint?: boolean;
  readonly caseTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  readonly onProgress?: (event: { target: string; done: number; total: number }) => void;
  /** compared outputs kept per target for plotting (default SAMPLES_PER_TARGET; 0: none) */
  readonly samples?: number;
}

type Shard = { readonly index: number; readonly count: number };

/** A seed per target, so a target's cases do not depend on which other targets run. */
export function targetSeed(seed: number, optimizer: string, dtype: Dtype): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const ch of `${optimizer}/${dtype}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h | 0;
}

/** Why a process implementation can no longer answer, if it can't (in-process ones never stop). */
const stoppedAnswering = (impl: Implementation): string | undefined => (impl as { failure?: string }).failure;

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

/** One case asked of the implementation and its reply checked against `def` (a large case is split across worker threads). */
async function evaluate({ impl, def, options }: PropertyRun, c: Case, id: string, samples: boolean): Promise<Outcome> {
  const reply = await ask(impl, toRunRequest(c, id), options.caseTimeoutMs ?? PROCESS_LIMITS.caseMs);
  if (reply.op === 'unsupported') return { ok: true, skipped: true, message: reply.reason };
  if (reply.op === 'error') return { ok: false, message: `implementation error: ${reply.message}` };
  const check = await checkCaseParallel(def, c, reply.steps, { samples });
  return { ok: check.ok, message: check.message, check: check.failure, worst: check.worst, samples: check.samples };
}

/** One target's check: the implementation, the target, the target's seed and the options. */
interface TargetRun {
  readonly impl: Implementation;
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
}

async function runProperty(run: PropertyRun) {
  const { impl, target, options, shard } = run;
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
    if (failures > 0 && stoppedAnswering(impl) !== undefined) return true;
    // Samples only before the first failure: shrinking re-runs cases that would skew the plots.
    const outcome = await evaluate(run, c, `${target.family}-${target.dtype}-${++id}`, run.sampling === true && failures === 0);
    outcomes.set(c, outcome);
    if (failures === 0) run.onCase?.(c, outcome, shard === undefined ? id : generated);
    if (!outcome.ok) failures++;
    return outcome.ok;
  });
  const details = await fc.check(property, {
    seed: run.seed,
    numRuns: options.runs ?? DEFAULT_RUNS,
    endOnFailure: !run.shrink,
    examples: (run.examples ?? []).map((c) => [c] as [Case]),
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
async function narrowFailure({ impl, options }: TargetRun, def: OptimizerDef, c: Case, outcome: Outcome | undefined): Promise<{ c: Case; outcome?: Outcome }> {
  const at = outcome?.check;
  if (!at || (c.params.length === 1 && c.steps.length === at.step)) return { c, outcome };
  const narrow = narrowCase(c, at.element, at.step);
  const reply = await ask(impl, toRunRequest(narrow, 'narrowed'), options.caseTimeoutMs ?? PROCESS_LIMITS.caseMs);
  if (reply.op !== 'result') return { c, outcome };
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
      this.log.push({ case: index, ok: o.ok, ...(o.skipped ? { skipped: true } : {}), clauses: exercised, ...(o.worst ? { worst: o.worst } : {}) });
    if (o.skipped) this.skipped++;
    else if (o.ok) this.clauses.addPassing(exercised, o.worst);
  }

  /** The samples to plot: the first failing case's whole (they show where it went wrong), the passing ones within the cap. */
  kept(): TargetSample[] | undefined {
    const cap = this.sampleCap;
    if (cap <= 0) return undefined;
    return [...this.samples.items.slice(0, Math.max(0, cap - this.failing.length)), ...this.failing.slice(-cap)];
  }
}

async function checkTarget(check: TargetRun): Promise<TargetResult> {
  const { impl, target, seed, options } = check;
  const def = findOptimizer(target.family, options.variant);
  if (!def) throw new Error(`unknown variant ${JSON.stringify(options.variant)} of ${target.family}`);
  const label = `${target.family}/${target.dtype}`;
  const total = options.runs ?? DEFAULT_RUNS;
  const gathered = new TargetCases(def, seed, options.samples ?? SAMPLES_PER_TARGET, options.shard !== undefined);
  const onCase = (c: Case, o: Outcome, index: number) => {
    gathered.add(c, o, index);
    options.onProgress?.({ target: label, done: gathered.cases, total });
  };
  const run = await runProperty({ ...check, def, shrink: true, onCase, sampling: gathered.sampleCap > 0, shard: options.shard });
  const narrowed = run.counterexample && stoppedAnswering(impl) === undefined ? await narrowFailure(check, def, run.counterexample, run.outcome) : undefined;
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
  const verdict = targetVerdict({ failed: run.details.failed, cases: gathered.cases, skipped: gathered.skipped });
  if (verdict === 'skipped') return { ...base, verdict, note: 'the implementation answered every case `unsupported`' };
  if (verdict === 'pass') return { ...base, verdict };
  if (!counterexample) return { ...base, verdict, failure: undefined, note: `the check stopped: ${String(run.details.errorInstance ?? 'unknown error')}` };
  const failure: Failure = {
    message: outcome?.message ?? 'failed',
    minimalCase: counterexample,
    check: outcome?.check,
    seed,
    path: run.details.counterexamplePath ?? undefined,
    shrinks: run.details.numShrinks,
  };
  const fingerprinting = stoppedAnswering(impl) === undefined && options.fingerprint !== false && options.variant === undefined;
  const fingerprint = fingerprinting ? await fingerprintOf(check, counterexample) : undefined;
  return { ...base, verdict, failure, fingerprint };
}

/**
 * The named variants of the family that the implementation matches on every case, the minimal failure
 * included — and the family's known defects (DEFECT-1 …), named as `describeDefect` writes them.
 */
async function fingerprintOf(check: TargetRun, minimal: Case): Promise<string[]> {
  const candidates = [
    ...variantsOf(check.target.family).map((v) => ({ def: v, name: v.name })),
    ...defectsOf(check.target.family).map((d) => ({ def: d, name: describeDefect(d) })),
  ];
  const matches: string[] = [];
  for (const { def, name } of candidates) {
    const { details } = await runProperty({ ...check, def, shrink: false, examples: [minimal] });
    if (!details.failed) matches.push(name);
  }
  return matches;
}

/** The targets to check, or why there is nothing to check. */
function planTargets(hello: HelloReply, options: CheckOptions): Target[] | string {
  if (options.variant !== undefined && options.optimizer !== undefined && !findOptimizer(options.optimizer, options.variant)) {
    return `unknown variant ${JSON.stringify(options.variant)} of ${options.optimizer}`;
  }
  const { targets, ignored } = targetsOf(hello, options);
  if (targets.length > 0) return targets;
  const asked = [options.optimizer, options.dtype].filter(Boolean).join(' ');
  return `nothing to check: the implementation supports no ${asked || 'known optimizer'}${ignored.length ? ` (unknown: ${ignored.join(', ')})` : ''}`;
}

/** Checks the targets in order; when the implementation stops answering, the rest are named as not checked. */
async function checkTargets(impl: Implementation, targets: readonly Target[], seed: number, options: CheckOptions) {
  const results: TargetResult[] = [];
  for (const target of targets) {
    results.push(await checkTarget({ impl, target, seed: targetSeed(seed, target.family, target.dtype), options }));
    const dead = stoppedAnswering(impl);
    if (dead !== undefined) {
      const rest = targets.slice(results.length).map((t) => `${t.family}/${t.dtype}`);
      return { results, stopped: `the implementation stopped answering: ${dead}${rest.length ? `; not checked: ${rest.join(', ')}` : ''}` };
    }
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
  const head = { implementation: hello.implementation, seed, runs };
  try {
    const targets = planTargets(hello, options);
    if (typeof targets === 'string') return couldNotRun(head, targets);
    const { results, stopped } = await checkTargets(impl, targets, seed, options);
    return decideReport(head, results, { stopped, allUnsupported: 'every case was answered `unsupported`' });
  } finally {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
  }
}
