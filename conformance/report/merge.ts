/**
 * `optconf merge`: the JSON reports of `optconf run --shard i/N` joined into the report of the
 * unsharded run. Each shard logs its cases (`TargetResult.shard`); this file only puts them back
 * in generation order — the verdicts are check/verdict.ts's, as for every other report.
 */
import { findOptimizer } from '../../reference/registry.ts';
import { exercisedClauses } from '../check/exercised.ts';
import { ClauseTally, decideReport, targetVerdict, type CheckReport, type TargetResult } from '../check/verdict.ts';
import { SAMPLES_PER_TARGET } from '../limits.ts';

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
    if (r.seed !== first.seed || r.runs !== first.runs || r.profile !== first.profile)
      throw new Error(
        `reports differ in seed, runs or profile (${first.seed}/${first.runs}/${first.profile ?? 'default'} against ${r.seed}/${r.runs}/${r.profile ?? 'default'}): not shards of one run`,
      );
    if (r.implementation !== first.implementation) throw new Error(`reports are of different implementations (${first.implementation}, ${r.implementation})`);
  }
  const broken = reports.find((r) => r.verdict === 'could-not-run' && r.targets.length === 0);
  if (broken) return { ...broken, targets: [] };
  const targets = [...shardsByTarget(reports)].map(([key, parts]) => {
    assertEveryShardOnce(key, parts);
    return mergeTarget(parts);
  });
  const messages = reports.map((r) => r.message).filter((m): m is string => m !== undefined);
  // A shard that met a dead implementation ends the merged check as it ended the shard.
  const stopped = messages.length > 0 && reports.some((r) => r.verdict === 'not-conformant') ? messages.join('; ') : undefined;
  const head = { implementation: first.implementation, seed: first.seed, runs: first.runs, ...(first.profile ? { profile: first.profile } : {}) };
  return decideReport(head, targets, { stopped, allUnsupported: 'every case was answered `unsupported`' });
}

/** Each target's parts, one per shard, in the order the reports first list the targets. */
function shardsByTarget(reports: readonly CheckReport[]): Map<string, TargetResult[]> {
  const groups = new Map<string, TargetResult[]>();
  for (const r of reports) {
    for (const t of r.targets) {
      if (!t.shard) throw new Error(`target ${t.optimizer}/${t.dtype} has no shard record: merge only reports of \`optconf run --shard i/N\``);
      const key = `${t.optimizer}/${t.dtype}/${t.against}`;
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
  }
  return groups;
}

function assertEveryShardOnce(key: string, parts: readonly TargetResult[]): void {
  const count = parts[0].shard!.count;
  const indices = parts.map((t) => t.shard!.index).sort((a, b) => a - b);
  if (parts.some((t) => t.shard!.count !== count) || indices.join() !== Array.from({ length: count }, (_, i) => i + 1).join()) {
    throw new Error(`${key}: shards ${indices.join(', ')} of ${count} — every shard 1…${count} must be given once`);
  }
}

function mergeTarget(parts: readonly TargetResult[]): TargetResult {
  const t0 = parts[0];
  const def = findOptimizer(t0.optimizer, t0.against);
  if (!def) throw new Error(`unknown definition ${t0.against}`);
  const all = parts.flatMap((t) => t.shard!.cases.map((c) => ({ c, owner: t }))).sort((a, b) => a.c.case - b.c.case);
  const firstFailure = all.find((x) => !x.c.ok);
  const kept = firstFailure ? all.filter((x) => x.c.case <= firstFailure.c.case) : all;
  const tally = new ClauseTally(def.clauses);
  for (const { c } of kept) if (c.ok && !c.skipped) tally.addPassing(c.clauses, c.worst, c.largest);
  const cases = kept.length;
  const skipped = kept.filter((x) => x.c.skipped).length;
  const owner = firstFailure?.owner;
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
    clauses: tally.results(new Set(owner?.failure ? exercisedClauses(def, owner.failure.minimalCase) : [])),
    ...(samples.length ? { samples } : {}),
  };
  const verdict = targetVerdict({ failed: owner !== undefined, cases, skipped });
  if (verdict === 'fail' && owner)
    return {
      ...base,
      verdict,
      failure: owner.failure,
      fingerprint: owner.fingerprint,
      ...(owner.undecided ? { undecided: owner.undecided } : {}),
      ...(owner.note ? { note: owner.note } : {}),
    };
  if (verdict === 'skipped') return { ...base, verdict, note: 'the implementation answered every case `unsupported`' };
  return { ...base, verdict };
}
