/**
 * Verdicts (PROTO-8): the report's types and the rules that turn results into verdicts and exit
 * codes — per clause, per target (an optimizer definition in one dtype) and for the whole check.
 * `optconf run` (runner.ts), `optconf merge` (report/merge.ts) and `optconf golden verify`
 * (golden/verify.ts) gather results their own way and decide with these rules alone.
 */
import type { Dtype } from '../../reference/dtype.ts';
import type { Case } from './case.ts';
import { margin, type OutputCheck, type OutputSample } from './compare.ts';

export interface ClauseResult {
  readonly clause: string;
  readonly verdict: 'pass' | 'fail' | 'untested';
  /** the cases that exercised the clause: the passing ones, and a failing clause's failing case */
  readonly cases: number;
  /** the passing output of largest error/bound ratio (closest to its bound), in ulps, with that bound */
  readonly worst?: OutputCheck;
  /**
   * the passing output of largest error in ulps, with its bound (not always `worst`: bounds differ by
   * output). Over the outputs bounded exactly: a screened case (PREC-6) bounds only each block's
   * closest call, so with plots asked for (no screening) a larger error may show
   */
  readonly largest?: OutputCheck;
}

export interface Failure {
  readonly message: string;
  readonly minimalCase: Case;
  readonly check?: OutputCheck;
  readonly seed: number;
  /** fast-check's path to the minimal case: `optconf run --seed S --path P` (with the target's optimizer and dtype) replays it */
  readonly path?: string;
  readonly shrinks: number;
  /** PROTO-8: the case was not answered by a reply to compare (a crash, a kill, a non-JSON or malformed reply): no fingerprint */
  readonly protocol?: boolean;
  /** after a protocol failure: the message of the first failing case, before shrinking, when the minimal case's differs */
  readonly firstMessage?: string;
  /** PROTO-8: why shrinking stopped before it was done (smaller candidates left unasked) */
  readonly shrinkStopped?: string;
}

/** After a failure, a fingerprint that could not be decided: variants that matched every case answered, but not every case was answered. */
export interface Undecided {
  readonly variants: readonly string[];
  /** of the cases asked in those variants' runs, how many were answered `error` */
  readonly refused: number;
  readonly asked: number;
  /** how many of those variants' cases could not be asked (the implementation stopped answering) */
  readonly unasked: number;
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
  /** with an empty `fingerprint`: the variants that could not be ruled out because cases were refused */
  readonly undecided?: Undecided;
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
  readonly largest?: OutputCheck;
}

/** A compared output and the number of the case (1-based, in generation order) it came from. */
export interface TargetSample extends OutputSample {
  readonly case: number;
}

export type Verdict = 'conformant' | 'not-conformant' | 'could-not-run';

export interface CheckReport {
  readonly implementation: string;
  readonly seed: number;
  readonly runs: number;
  /** the case profile, when not the default (a replay needs it) */
  readonly profile?: 'long';
  readonly verdict: Verdict;
  readonly exitCode: 0 | 1 | 2;
  readonly targets: readonly TargetResult[];
  readonly message?: string;
}

/** PROTO-8: the exit code of each verdict — 0 conformant, 1 not conformant, 2 could not run. */
export const EXIT_CODES = { conformant: 0, 'not-conformant': 1, 'could-not-run': 2 } as const satisfies Record<Verdict, 0 | 1 | 2>;

/** What identifies a check, the head of its report. */
export type ReportHead = Pick<CheckReport, 'implementation' | 'seed' | 'runs' | 'profile'>;

/**
 * PROTO-8: per-clause counts of cases and, over the passing ones, the output of largest
 * error/bound ratio and the output of largest error in ulps. A clause fails when a failing case
 * exercised it (that case counts among its cases), passes when a passing case did, and is
 * untested otherwise.
 */
export class ClauseTally {
  private readonly stats: Map<string, { cases: number; worst?: OutputCheck; margin: number; largest?: OutputCheck }>;
  constructor(clauses: readonly string[]) {
    this.stats = new Map(clauses.map((c) => [c, { cases: 0, margin: -1 }]));
  }

  /** One passing case: a count for each clause it exercised, and its outputs where they are the new largest (ties keep the earlier case). */
  addPassing(clauses: Iterable<string>, worst: OutputCheck | undefined, largest: OutputCheck | undefined): void {
    const m = worst ? margin(worst) : 0;
    for (const clause of clauses) {
      const s = this.stats.get(clause);
      if (!s) continue;
      s.cases++;
      if (worst && m > s.margin) {
        s.margin = m;
        s.worst = worst;
      }
      if (largest && (s.largest === undefined || largest.errorUlps > s.largest.errorUlps)) s.largest = largest;
    }
  }

  results(failed: ReadonlySet<string>): ClauseResult[] {
    return [...this.stats].map(([clause, s]) => ({
      clause,
      verdict: failed.has(clause) ? 'fail' : s.cases > 0 ? 'pass' : 'untested',
      cases: s.cases + (failed.has(clause) ? 1 : 0),
      worst: s.worst,
      largest: s.largest,
    }));
  }
}

/** PROTO-6, PROTO-8: a target fails on a failing case, is skipped when every case was answered `unsupported`, and passes otherwise. */
export function targetVerdict(t: { readonly failed: boolean; readonly cases: number; readonly skipped: number }): TargetResult['verdict'] {
  if (t.failed) return 'fail';
  return t.skipped === t.cases ? 'skipped' : 'pass';
}

/** PROTO-8: a check that could not run (start-up failure, nothing to check): exit code 2. */
export function couldNotRun(head: ReportHead, message: string): CheckReport {
  return { ...head, verdict: 'could-not-run', exitCode: EXIT_CODES['could-not-run'], targets: [], message };
}

export interface Ending {
  /** why the check ended early (the implementation stopped answering): not conformant, whatever the targets say */
  readonly stopped?: string;
  /** the message when no target failed and none passed (every case answered `unsupported`) */
  readonly allUnsupported: string;
}

/**
 * PROTO-8: the verdict of a check that ran. Not conformant when it stopped early or a target
 * failed; could not run when no target failed and none passed; conformant otherwise.
 */
export function decideReport(head: ReportHead, targets: readonly TargetResult[], ending: Ending): CheckReport {
  const failed = targets.some((t) => t.verdict === 'fail');
  const passed = targets.some((t) => t.verdict === 'pass');
  if (ending.stopped !== undefined) return { ...verdictOf(head, 'not-conformant'), targets, message: ending.stopped };
  if (!failed && !passed) return { ...couldNotRun(head, ending.allUnsupported), targets };
  return { ...verdictOf(head, failed ? 'not-conformant' : 'conformant'), targets };
}

function verdictOf(head: ReportHead, verdict: Verdict) {
  return { ...head, verdict, exitCode: EXIT_CODES[verdict] };
}
