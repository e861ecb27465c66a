/**
 * `optconf run --shard i/N` (conformance/check/runner.ts): every target's generated cases are dealt to the
 * shards, and `mergeReports` joins the shards' reports into exactly the unsharded report — per-clause
 * case counts, worst outputs and verdicts — for a conformant implementation and for a mutant.
 */
import { describe, expect, it } from 'vitest';
import { floatImplementation } from '../../conformance/adapters/float.ts';
import { referenceImplementation } from '../../conformance/adapters/reference.ts';
import { checkImplementation, type CheckOptions } from '../../conformance/check/runner.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { mergeReports } from '../../conformance/report/merge.ts';
import type { Implementation } from '../../conformance/protocol/implementation.ts';

const N = 3;

/** What the unsharded and merged reports must agree on (samples are plots only, and are left out). */
function summary(r: CheckReport) {
  return {
    verdict: r.verdict,
    exitCode: r.exitCode,
    targets: r.targets.map((t) => ({
      target: `${t.optimizer}/${t.dtype}/${t.against}`,
      verdict: t.verdict,
      cases: t.cases,
      skipped: t.skipped,
      clauses: t.clauses,
      failure: t.failure,
      fingerprint: t.fingerprint,
    })),
  };
}

async function compareSharded(make: () => Implementation, options: CheckOptions) {
  const whole = await checkImplementation(make(), { ...options, samples: 0 });
  const shards: CheckReport[] = [];
  for (let i = 1; i <= N; i++) shards.push(await checkImplementation(make(), { ...options, samples: 0, shard: { index: i, count: N } }));
  // a report passes through JSON on its way to `optconf merge`
  const merged = mergeReports(shards.map((s) => JSON.parse(JSON.stringify(s)) as CheckReport));
  return { whole, shards, merged };
}

describe('PROTO-8 · sharded runs merge into the unsharded run', () => {
  it('PROTO-8 · the reference, adam in every dtype, 3 shards: same clause counts, worst errors and verdicts', async () => {
    const { whole, shards, merged } = await compareSharded(() => referenceImplementation, { optimizer: 'adam', runs: 20, seed: 5 });
    expect(whole.verdict).toBe('conformant');
    expect(summary(merged)).toEqual(summary(whole));
    // every shard ran a part of every target, and the parts add up
    for (const t of whole.targets) {
      const parts = shards.map((s) => s.targets.find((x) => x.optimizer === t.optimizer && x.dtype === t.dtype)!.cases);
      expect(parts.every((c) => c > 0 && c < t.cases)).toBe(true);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(t.cases);
    }
  });

  it('PROTO-8 · a mutant (bias correction stops after step 10, first seen at case 8): the merged report fails where and as the unsharded one does', async () => {
    const make = () => floatImplementation({ mutation: 'adam/bias-correction-stops-after-10' });
    const { whole, merged, shards } = await compareSharded(make, { optimizer: 'adam', dtype: 'float32', runs: 30, seed: 7 });
    expect(whole.verdict).toBe('not-conformant');
    expect(summary(merged)).toEqual(summary(whole));
    expect(shards.map((s) => s.verdict)).toContain('not-conformant');
    // the failure is not the first case, so the other shards ran past it and the merge had to cut
    expect(whole.targets[0].cases).toBeGreaterThan(N);
  });

  it('PROTO-8 · merging refuses a missing shard or shards of different runs', async () => {
    const a = await checkImplementation(referenceImplementation, {
      optimizer: 'sgd',
      dtype: 'float32',
      runs: 3,
      seed: 1,
      samples: 0,
      shard: { index: 1, count: 2 },
    });
    expect(() => mergeReports([a])).toThrow(/every shard 1…2 must be given once/);
    const b = await checkImplementation(referenceImplementation, {
      optimizer: 'sgd',
      dtype: 'float32',
      runs: 3,
      seed: 2,
      samples: 0,
      shard: { index: 2, count: 2 },
    });
    expect(() => mergeReports([a, b])).toThrow(/differ in seed/);
  });
});
