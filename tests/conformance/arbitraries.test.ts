/**
 * The conformance arbitraries (conformance/check/arbitraries.ts): exact inputs (NOTE-4), valid
 * float32-exact hyperparameters, pins, states with the family's names (NOTE-2), schedules
 * (NOTE-3), determinism, and a distribution that reaches where variants part.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArbitrary, summariseCase } from '../../conformance/check/arbitraries.ts';
import { fastRound } from '../../conformance/check/arbitraries/magnitudes.ts';
import type { Case } from '../../conformance/check/case.ts';
import type { WireRange } from '../../conformance/protocol/messages.ts';
import { DTYPES, exact, isRepresentable, maxFinite, roundDoubleToDtype, ulp, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper } from '../../reference/notation.ts';
import { FAMILIES, findOptimizer, type Family } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';

const SEED = 20240611;
/** The most cases any test below takes of a family and dtype. */
const largest = (family: Family, dtype: Dtype): number => (dtype === 'float32' ? 400 : family === 'adam' ? 200 : dtype === 'float16' ? 80 : 60);
const drawn = new Map<string, Case[]>();
/**
 * The first `numRuns` cases of one sample per family and dtype, drawn once and shared by every test
 * (fast-check's first n cases of a seed are the same whatever numRuns): each property below is
 * stated of every generated case, and each test sees as many cases as it did with a seed of its
 * own, for a third of the generation that was most of this file's time.
 */
function sample(family: Family, dtype: Dtype, numRuns: number): Case[] {
  const key = `${family} ${dtype}`;
  let cases = drawn.get(key);
  if (cases === undefined || cases.length < numRuns) {
    cases = fc.sample(caseArbitrary(family, dtype), { seed: SEED, numRuns: Math.max(numRuns, largest(family, dtype)) });
    drawn.set(key, cases);
  }
  return cases.slice(0, numRuns);
}

const def = (family: Family) => {
  const d = findOptimizer(family);
  if (!d) throw new Error(`no optimizer ${family}`);
  return d;
};

/** Every tensor of a case: params, each step's grad, each state array. */
function tensors(c: Case): [string, readonly number[]][] {
  const out: [string, readonly number[]][] = [['params', c.params], ...c.steps.map((s, k): [string, readonly number[]] => [`steps[${k}].grad`, s.grad])];
  if (c.state) for (const [k, v] of Object.entries(c.state)) if (Array.isArray(v)) out.push([`state.${k}`, v]);
  return out;
}

/** Representable without decimals: NaN and ±∞ (values of every dtype, PROTO-3), or within range and an integer multiple of the dtype's spacing. */
const fastRepresentable = (x: number, dtype: Dtype): boolean =>
  !Number.isFinite(x) || (Math.abs(x) <= maxFinite(dtype) && (dtype === 'float64' || Number.isInteger(x / ulp(x, dtype))));

type Extreme = 'non-finite' | 'overflow' | 'large-step' | 'none';
const extremes = new WeakMap<Case, Extreme>();
/** extremeOf, worked out once a case: the tests ask it of every shared case many times. */
function extremeOf(c: Case): Extreme {
  let kind = extremes.get(c);
  if (kind === undefined) extremes.set(c, (kind = extremeOfCase(c)));
  return kind;
}
/** Which extreme of PROTO-8 a case is: NaN or ±∞ anywhere, values at half the dtype's largest or more, a step count of 10⁵ or more. */
function extremeOfCase(c: Case): Extreme {
  const all = tensors(c).flatMap(([, v]) => v);
  if (all.some((x) => !Number.isFinite(x))) return 'non-finite';
  if (c.params.some((x) => Math.abs(x) >= maxFinite(c.dtype) / 2)) return 'overflow';
  return c.state !== null && c.state.step >= 100_000 ? 'large-step' : 'none';
}

/** Hyperparameters in force at each step (NOTE-3). */
const hyperAt = (c: Case): Record<string, number | boolean>[] => {
  let h: Record<string, number | boolean> = { ...c.hyper };
  return c.steps.map((s) => (h = { ...h, ...(s.hyper ?? {}) }));
};

/** JSON that keeps −0, for comparing samples exactly. */
const exactJson = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (Object.is(v, -0) ? '-0' : v));

describe('conformance arbitraries', () => {
  it('NOTE-4 · every generated value is exactly representable in its dtype', () => {
    for (const family of FAMILIES) {
      for (const dtype of DTYPES) {
        for (const c of sample(family, dtype, 40)) {
          expect(c.optimizer).toBe(family);
          expect(c.dtype).toBe(dtype);
          for (const [where, values] of tensors(c)) {
            expect(values.length, `${summariseCase(c)}: ${where} length`).toBe(c.params.length);
            // Exact (decimal) check on short vectors, the fast one everywhere.
            const bad = values.findIndex((x) => !fastRepresentable(x, dtype) || (values.length <= 64 && !isRepresentable(x, dtype)));
            // NaN and ±∞ are of every dtype; a loss is never −∞ (nor, in an average, NaN aside, negative)
            expect(bad, `${summariseCase(c)}: ${where}[${bad}] = ${values[bad]} not exact in ${dtype}`).toBe(-1);
            if (family === 'ewma')
              expect(
                values.every((x) => x >= 0 || Number.isNaN(x) || x === -Infinity),
                `${where}: EWMA averages and losses are ≥ 0`,
              ).toBe(true);
          }
        }
      }
    }
  });

  it('NOTE-5 · the fast rounding used for derived state values agrees with roundDoubleToDtype', () => {
    const doubles = fc.sample(fc.double({ min: -60000, max: 60000, noNaN: true }), { seed: SEED, numRuns: 400 });
    const tiny = fc.sample(fc.double({ min: -1e-4, max: 1e-4, noNaN: true }), { seed: SEED, numRuns: 400 });
    for (const dtype of ['bfloat16', 'float16'] as const) {
      for (const x of [...doubles, ...tiny, 2 ** -24 * 1.5, 2 ** -25, 65519.99, 1 + 2 ** -11]) {
        expect(Object.is(fastRound(x, dtype), roundDoubleToDtype(x, dtype)), `round ${x} to ${dtype}`).toBe(true);
      }
    }
  });

  it("NOTE-4 · hyperparameters are float32-exact, finite, the family's own and valid at every step", () => {
    for (const family of FAMILIES) {
      const d = def(family);
      const names = d.hyper.map((s) => s.name);
      for (const dtype of DTYPES) {
        for (const c of sample(family, dtype, 40)) {
          expect(Object.keys(c.hyper), `${family} hyperparameter names`).toEqual(names);
          // each distinct set once, at its first step: the checks read nothing but the set, and most
          // steps repeat the one before (only lr is overridden)
          const checked = new Set<string>();
          hyperAt(c).forEach((h, k) => {
            if (checked.has(exactJson(h))) return;
            checked.add(exactJson(h));
            for (const [name, v] of Object.entries(h)) {
              if (typeof v !== 'number') continue;
              expect(Number.isFinite(v) && Math.fround(v) === v, `${summariseCase(c)}: step ${k} ${name}=${v} is not float32-exact`).toBe(true);
              if (dtype === 'float16' || dtype === 'bfloat16') expect(isRepresentable(v, dtype), `${name}=${v} in ${dtype}`).toBe(true);
            }
            expect(d.invalid(resolveHyper(d.hyper, h)), `${summariseCase(c)}: step ${k}`).toBeUndefined();
          });
          for (const s of c.steps) if (s.hyper) expect(Object.keys(s.hyper)).toEqual(['lr']);
        }
      }
    }
  });

  it('NOTE-1 · NOTE-3 · the reference runs short generated cases without error, and without overflow unless they are extremes', () => {
    for (const family of FAMILIES) {
      for (const dtype of DTYPES) {
        const cases = sample(family, dtype, 30)
          .filter((c) => c.params.length <= 8 && c.steps.length <= 12 && (extremeOf(c) === 'none' || extremeOf(c) === 'large-step'))
          .slice(0, 6);
        for (const c of cases) {
          const trajectory = referenceTrajectory(def(family), c);
          expect(trajectory).toHaveLength(c.steps.length);
          const limit = exact(maxFinite(dtype));
          for (const [k, step] of trajectory.entries()) {
            const values = [...step.params, ...Object.values(step.state).flatMap((v) => (Array.isArray(v) ? v : []))];
            expect(
              values.every((v) => v.abs().lte(limit)),
              `${summariseCase(c)}: overflow in ${dtype} at step ${k + 1}`,
            ).toBe(true);
          }
        }
      }
    }
  });

  it('NOTE-1 · float16 runs of 20–60 steps stay within 65504', () => {
    for (const family of FAMILIES) {
      const cases = sample(family, 'float16', 80)
        .filter((c) => c.params.length <= 8 && c.steps.length >= 20 && extremeOf(c) === 'none')
        .slice(0, 2);
      for (const c of cases) {
        const last = referenceTrajectory(def(family), c).at(-1)!;
        const limit = exact(maxFinite('float16'));
        expect(
          last.params.every((v) => v.abs().lte(limit)),
          summariseCase(c),
        ).toBe(true);
      }
    }
  });

  it("NOTE-2 · generated states have the family's state names and plausible values", () => {
    for (const family of FAMILIES) {
      const d = def(family);
      let seen = 0;
      for (const dtype of DTYPES) {
        for (const c of sample(family, dtype, 60)) {
          if (c.state === null || extremeOf(c) === 'overflow') continue;
          seen += 1;
          const s = c.state;
          // PROTO-8's large step counts reach 2²⁷
          expect(Number.isInteger(s.step) && s.step >= 1 && (s.step <= 1000 || (s.step >= 100_000 && s.step <= 2 ** 27)), `step ${s.step}`).toBe(true);
          if (extremeOf(c) === 'non-finite') continue;
          const names = d.stateNames(resolveHyper(d.hyper, c.hyper));
          expect(Object.keys(s).sort(), summariseCase(c)).toEqual(['step', ...names].sort());
          const arr = (name: string) => s[name] as readonly number[];
          const nonNegative = ['exp_avg_sq', 'square_avg', 'max_exp_avg_sq'].filter((n) => names.includes(n));
          for (const n of nonNegative)
            expect(
              arr(n).every((x) => x >= 0),
              `${n} ≥ 0`,
            ).toBe(true);
          if (names.includes('max_exp_avg_sq'))
            expect(
              arr('max_exp_avg_sq').every((x, i) => x >= arr('exp_avg_sq')[i]),
              'max_exp_avg_sq ≥ exp_avg_sq',
            ).toBe(true);
          if (names.includes('grad_avg')) {
            // exact: g² as a decimal against square_avg
            const ok = arr('grad_avg').every((g, i) =>
              exact(g)
                .times(exact(g))
                .lte(exact(arr('square_avg')[i])),
            );
            expect(ok, 'grad_avg² ≤ square_avg').toBe(true);
          }
        }
      }
      expect(seen > 0, `${family}: ${seen} mid-run states`).toBe(true);
    }
  });

  it('PROTO-4 · capability ranges hold everywhere, including per-step overrides, ends included or left out as declared', () => {
    const inRange: [Family, Record<string, WireRange>, (name: string, x: number) => boolean][] = [
      ['sgd', { lr: { exclusiveMinimum: 0, exclusiveMaximum: 1 } }, (n, x) => n !== 'lr' || (x > 0 && x < 1)],
      // closed: 0 is allowed and among the usual choices, so it comes up
      ['rmsprop', { lr: [0, 0.01], alpha: [0.9, 0.99] }, (n, x) => (n === 'lr' ? x >= 0 && x <= 0.01 : n !== 'alpha' || (x >= 0.9 && x <= Math.fround(0.99)))],
      // no usual choice inside: values inside the range instead
      ['adam', { lr: [2, 3], eps: { minimum: 1e-5, maximum: 1e-4 } }, (n, x) => (n === 'lr' ? x >= 2 && x <= 3 : n !== 'eps' || (x >= 1e-5 && x <= 1e-4))],
    ];
    for (const [family, ranges, ok] of inRange) {
      const d = def(family);
      const seen = new Set<number>();
      for (const c of fc.sample(caseArbitrary(family, 'float32', { ranges }), { seed: SEED, numRuns: 200 })) {
        hyperAt(c).forEach((h) => {
          for (const [k, v] of Object.entries(h)) if (typeof v === 'number') expect(ok(k, v), `${family} ${k} = ${v}`).toBe(true);
          expect(d.invalid(resolveHyper(d.hyper, h))).toBeUndefined();
          seen.add(h.lr as number);
        });
      }
      expect(seen.size, `${family}: more than one learning rate`).toBeGreaterThan(1);
      if (family === 'rmsprop') expect(seen.has(0), 'a closed end is sent').toBe(true);
    }
    expect(() => caseArbitrary('adam', 'float32', { ranges: { momentum: [0, 1] } })).toThrow(/ranges: adam has no hyperparameter momentum/);
    expect(() => caseArbitrary('adam', 'float32', { ranges: { amsgrad: [0, 1] } })).toThrow(/amsgrad is true or false/);
    expect(() => caseArbitrary('sgd', 'float32', { ranges: { lr: { exclusiveMinimum: 1, exclusiveMaximum: 1 } } })).toThrow(/lr \(1, 1\) is empty/);
    expect(() => caseArbitrary('sgd', 'float32', { fixed: { lr: 2 }, ranges: { lr: [0, 1] } })).toThrow(/pinned to 2, outside its range \[0, 1\]/);
    expect(() => caseArbitrary('adam', 'float32', { ranges: { beta1: [1, 2] } })).toThrow(/beta1 \[1, 2\] holds no value/);
  });

  it('NOTE-3 · pins hold everywhere, including per-step overrides', () => {
    const pins: [Family, Record<string, number | boolean>][] = [
      ['adam', { weight_decay: 0, amsgrad: false }],
      ['adamw', { lr: Math.fround(0.001), beta2: Math.fround(0.999) }],
      ['sgd', { nesterov: true }],
      ['sgd', { momentum: Math.fround(0.9), dampening: Math.fround(0.5) }],
      ['rmsprop', { centered: true, lr: Math.fround(0.01) }],
      ['ewma', { beta: Math.fround(0.98) }],
    ];
    for (const [family, fixed] of pins) {
      const d = def(family);
      for (const c of fc.sample(caseArbitrary(family, 'float32', { fixed }), { seed: SEED, numRuns: 100 })) {
        hyperAt(c).forEach((h) => {
          for (const [k, v] of Object.entries(fixed)) expect(h[k], `${family} pin ${k}`).toBe(v);
          expect(d.invalid(resolveHyper(d.hyper, h))).toBeUndefined();
        });
        if (fixed.lr !== undefined) expect(c.steps.every((s) => s.hyper === undefined)).toBe(true);
      }
    }
    expect(() => caseArbitrary('adam', 'float32', { fixed: { momentum: 0.9 } })).toThrow(/no hyperparameter momentum/);
    expect(() => caseArbitrary('sgd', 'float32', { fixed: { nesterov: true, momentum: 0 } })).toThrow(/nesterov/);
    expect(() => caseArbitrary('adam', 'float32', { fixed: { beta1: 1 } })).toThrow(/beta1/);
  });

  it('NOTE-4 · the same seed gives the same cases, another seed others', () => {
    for (const family of FAMILIES) {
      // the shared sample against a fresh draw of the same seed, and of another
      const a = exactJson(sample(family, 'bfloat16', 30));
      expect(exactJson(fc.sample(caseArbitrary(family, 'bfloat16'), { seed: SEED, numRuns: 30 }))).toBe(a);
      expect(exactJson(fc.sample(caseArbitrary(family, 'bfloat16'), { seed: SEED + 1, numRuns: 30 }))).not.toBe(a);
    }
  });

  it('NOTE-3 · the distribution reaches |g| near ε, lr changes, long vectors, −0, mid-run states and runs of 20+ steps', () => {
    for (const family of FAMILIES) {
      const cases = sample(family, 'float32', 300);
      const count = (p: (c: Case) => boolean) => cases.filter(p).length;
      const grads = (c: Case) => c.steps.flatMap((s) => s.grad);
      const nearEps = count((c) => typeof c.hyper.eps === 'number' && grads(c).some((g) => g !== 0 && Math.abs(g) < 10 * (c.hyper.eps as number)));
      const lrChanges = count((c) => hyperAt(c).some((h, k) => k > 0 && h.lr !== hyperAt(c)[k - 1].lr));
      const long = count((c) => c.params.length > 4096);
      const negZero = count((c) => [c.params, ...c.steps.map((s) => s.grad)].some((v) => v.some((x) => Object.is(x, -0))));
      const midRun = count((c) => c.state !== null && extremeOf(c) === 'none');
      const longRuns = count((c) => c.steps.length >= 20);
      const firstSteps = count((c) => c.state === null && c.steps.length <= 3);
      const tag = `${family}: nearEps ${nearEps}, lrChanges ${lrChanges}, long ${long}, −0 ${negZero}, midRun ${midRun}, 20+ steps ${longRuns}, ≤3 fresh ${firstSteps}`;
      if (family === 'rmsprop' || family === 'adam' || family === 'adamw') expect(nearEps, tag).toBeGreaterThanOrEqual(30);
      if (family !== 'ewma') expect(lrChanges, tag).toBeGreaterThanOrEqual(15);
      if (family !== 'ewma') expect(midRun, tag).toBeGreaterThanOrEqual(30);
      else expect(midRun, tag).toBe(0);
      expect(long, tag).toBeGreaterThanOrEqual(5);
      expect(long, tag).toBeLessThanOrEqual(35);
      expect(
        cases.filter((c) => c.params.length > 4096).every((c) => c.steps.length <= 3),
        tag,
      ).toBe(true);
      expect(
        cases.filter((c) => c.params.length <= 4096).every((c) => c.params.length <= 8),
        tag,
      ).toBe(true);
      if (family !== 'ewma') expect(negZero, tag).toBeGreaterThanOrEqual(30);
      expect(longRuns, tag).toBeGreaterThanOrEqual(20);
      expect(firstSteps, tag).toBeGreaterThanOrEqual(60);
      if (family === 'sgd') {
        expect(
          count((c) => (c.hyper.momentum as number) > 0 && c.hyper.dampening !== 0),
          tag,
        ).toBeGreaterThanOrEqual(30);
        expect(
          count((c) => c.hyper.nesterov === true),
          tag,
        ).toBeGreaterThanOrEqual(10);
      }
      if (family === 'rmsprop')
        expect(
          count((c) => c.hyper.centered === true && (c.hyper.momentum as number) > 0),
          tag,
        ).toBeGreaterThanOrEqual(20);
      if (family === 'adam')
        expect(
          count((c) => c.hyper.amsgrad === true),
          tag,
        ).toBeGreaterThanOrEqual(50);
      if (family === 'adam' || family === 'sgd' || family === 'rmsprop') {
        // λ·θ ≈ g: some element where the decay term is within a factor 8 of the gradient
        const matched = count(
          (c) =>
            (c.hyper.weight_decay as number) > 0 &&
            c.params.some((p, i) => {
              const g = Math.abs(c.steps[0].grad[i]);
              const d = Math.abs((c.hyper.weight_decay as number) * p);
              return g > 0 && d > g / 8 && d < g * 8;
            }),
        );
        expect(matched, tag).toBeGreaterThanOrEqual(15);
      }
    }
  });

  it('PROTO-8 · NOTE-7 · at the stated rates: NaN and ±∞, updates that overflow, step counts from 10⁵ past 2²⁴ with βᵗ that still matters', () => {
    const kinds = new Set<string>();
    for (const family of FAMILIES) {
      const cases = sample(family, 'float32', 400);
      const share = (kind: string) => cases.filter((c) => extremeOf(c) === kind).length / cases.length;
      const tag = `${family}: non-finite ${share('non-finite')}, large-step ${share('large-step')}, overflow ${share('overflow')}`;
      // the stated 7, 5 and 3 in 50 (14%, 10%, 6%), within sampling error
      expect(share('non-finite'), tag).toBeGreaterThan(0.08);
      expect(share('non-finite'), tag).toBeLessThan(0.2);
      expect(share('large-step'), tag).toBeGreaterThan(0.05);
      if (family === 'sgd' || family === 'ewma') expect(share('overflow'), tag).toBeGreaterThan(0.03);
      else expect(share('overflow'), tag).toBe(0);
      for (const c of cases) {
        for (const [where, values] of tensors(c)) for (const x of values) if (!Number.isFinite(x)) kinds.add(`${where.replace(/\[\d+\]/, '')} ${x}`);
        // NOTE-7: AdamW's decoupled decay of ±∞ is order-dependent, so its parameters carry only NaN
        if (family === 'adamw')
          expect(
            c.params.every((x) => Number.isFinite(x) || Number.isNaN(x)),
            summariseCase(c),
          ).toBe(true);
      }
      const large = cases.filter((c) => extremeOf(c) === 'large-step').map((c) => ({ c, t: c.state!.step + 1 }));
      expect(
        large.some(({ t }) => t > 2 ** 24),
        `${family}: a start past 2²⁴`,
      ).toBe(true);
      expect(
        large.some(({ t }) => t < 2 ** 24),
        `${family}: a start below 2²⁴`,
      ).toBe(true);
      const powered = family === 'adam' || family === 'adamw' ? ['beta1', 'beta2'] : family === 'ewma' ? ['beta'] : [];
      for (const { c, t } of large)
        for (const name of powered) {
          const power = (c.hyper[name] as number) ** t;
          expect(power > Math.exp(-20) && power < Math.exp(-0.05), `${summariseCase(c)}: ${name}^${t} = ${power}`).toBe(true);
        }
      // most overflowing cases' reference values go past the dtype's largest finite value (lr = 0, β = 0 or an inward push does not)
      const limit = exact(maxFinite('float32'));
      const sampled = cases.filter((x) => extremeOf(x) === 'overflow' && x.params.length <= 8 && x.steps.length <= 12).slice(0, 6);
      const past = sampled.filter((c) =>
        referenceTrajectory(def(family), c).some((step) =>
          [...step.params, ...Object.values(step.state).flatMap((v) => (Array.isArray(v) ? v : []))].some((v) => v.abs().gt(limit)),
        ),
      );
      expect(past.length, `${family}: ${past.length} of ${sampled.length} overflow`).toBeGreaterThanOrEqual(sampled.length / 2);
    }
    for (const where of ['params', 'grad', 'state.exp_avg', 'state.exp_avg_sq', 'state.momentum_buffer', 'state.square_avg'])
      expect(
        [...kinds].some((k) => k.startsWith(where) || k.includes(`].${where}`) || k.includes(where)),
        `${where} never non-finite: ${[...kinds].join(', ')}`,
      ).toBe(true);
    for (const value of ['NaN', 'Infinity', '-Infinity'])
      expect(
        [...kinds].some((k) => k.endsWith(` ${value}`)),
        value,
      ).toBe(true);
  });

  it("NOTE-4 · 16-bit cases have subnormals, no β rounded to 1 and the dtype's ε", () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const cases = sample('adam', dtype, 200);
      const tiny = 2 ** (dtype === 'float16' ? -14 : -126);
      const subnormal = cases.filter((c) => tensors(c).some(([, v]) => v.some((x) => x !== 0 && Math.abs(x) < tiny))).length;
      expect(subnormal, `${dtype}: ${subnormal} cases with subnormals`).toBeGreaterThanOrEqual(20);
      for (const c of cases) {
        expect(c.hyper.beta1 as number).toBeLessThan(1);
        expect(c.hyper.beta2 as number).toBeLessThan(1);
        expect(roundDoubleToDtype(c.hyper.eps as number, dtype)).toBeGreaterThan(0);
      }
    }
  });

  it('NOTE-3 · the long profile adds 100,000+ elements (≤ 2 steps) and 200+ step runs', () => {
    const cases = fc.sample(caseArbitrary('adamw', 'float32', { profile: 'long' }), { seed: SEED, numRuns: 60 });
    const huge = cases.filter((c) => c.params.length >= 100_000);
    expect(huge.length).toBeGreaterThan(0);
    expect(huge.every((c) => c.steps.length <= 2)).toBe(true);
    expect(cases.some((c) => c.steps.length >= 200 && c.params.length <= 8)).toBe(true);
  });

  it('NOTE-4 · failures shrink to the canonical case: one element, one step, defaults', () => {
    const r = fc.check(
      fc.property(caseArbitrary('adam', 'float32'), (c) => c.hyper.amsgrad !== true),
      { seed: SEED },
    );
    expect(r.failed).toBe(true);
    const c = r.counterexample![0];
    expect(c.params.length).toBe(1);
    expect(c.steps.length).toBe(1);
    expect(c.state).toBeNull();
    expect(c.hyper.weight_decay).toBe(0);
    expect(summariseCase(c)).toMatch(/^adam float32 n=1 steps=1 .*amsgrad; fresh$/);
  });
});
