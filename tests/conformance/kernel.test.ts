/**
 * The compiled error model (conformance/check/kernel.ts) against `Bounded` itself: for every definition in
 * OPTIMIZERS, every hyperparameter branch, first and later steps, exact and bounded inputs, the
 * kernel's v, e, r, w equal `Bounded`'s bit for bit (Object.is: NaN equals NaN, −0 differs from 0).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bounded, precisionOf } from '../../conformance/check/error-model.ts';
import { evaluateStep, evaluateStepBounded, exactFields, screenStep, type Fields } from '../../conformance/check/kernel.ts';
import { ulp, type Dtype } from '../../reference/dtype.ts';
import { compareOutput, fastUlp } from '../../conformance/check/compare.ts';
import { resolveHyper } from '../../reference/notation.ts';
import { KNOWN_DEFECTS, OPTIMIZERS } from '../../reference/registry.ts';

const f = Math.fround;
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }).map(f) },
  { weight: 2, arbitrary: fc.double({ min: -1e-38, max: 1e-38, noNaN: true }).map(f) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-45, -3.4e38, NaN, Infinity) },
);
const nonNeg = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e-3, noNaN: true }), fc.constantFrom(Infinity, 1e-300));
const hyperValue = fc.constantFrom(0, 0.5, 0.9, 0.99, 0.999, 1e-8, 1e-3, 0.01, 1, 2.5).map(f);

function fields(values: number[], bounded: { e: number; r: number; w: number }[] | null): Fields {
  if (bounded === null) return exactFields(Float64Array.from(values));
  return {
    v: Float64Array.from(values),
    e: Float64Array.from(bounded.map((b) => b.e)),
    r: Float64Array.from(bounded.map((b) => b.r)),
    w: Float64Array.from(bounded.map((b) => b.w)),
  };
}

function same(a: Fields, b: Fields, what: string): void {
  for (const k of ['v', 'e', 'r', 'w'] as const) {
    const x = a[k];
    const y = b[k];
    for (let i = 0; i < a.v.length; i++) {
      const xi = x === null ? 0 : x[i];
      const yi = y === null ? 0 : y[i];
      if (!Object.is(xi, yi)) expect.fail(`${what}.${k}[${i}]: kernel ${xi}, Bounded ${yi}`);
    }
  }
}

describe('PREC-2 · the compiled kernel computes exactly what Bounded computes', () => {
  // the known defects too (DEFECT-1 … DEFECT-4): the fingerprint checks against them with the same kernels
  for (const def of [...OPTIMIZERS, ...KNOWN_DEFECTS]) {
    it(`PREC-2, PREC-3, PREC-4, PREC-9, PREC-10, PREC-11, PREC-12 · ${def.name}: v, e, r, w bit for bit, every hyperparameter branch`, () => {
      const hyperArb = fc.record(Object.fromEntries(def.hyper.map((s) => [s.name, s.kind === 'boolean' ? fc.boolean() : hyperValue])));
      const bounds = fc.record({ e: nonNeg, r: nonNeg, w: nonNeg });
      fc.assert(
        fc.property(
          hyperArb,
          fc.constantFrom<Dtype>('float32', 'float64', 'float16', 'bfloat16'),
          // up to 12: RAdam's first rectified steps (ρₜ > 5 needs t ≥ 6) and its two-branch steps
          fc.integer({ min: 1, max: 12 }),
          fc.boolean(),
          fc.array(fc.tuple(value, value, value, value, value, bounds, bounds, bounds, bounds), { minLength: 1, maxLength: 8 }),
          (raw, dtype, t, carried, elems) => {
            const hd = resolveHyper(def.hyper, raw as Record<string, unknown>);
            fc.pre(def.invalid(hd) === undefined);
            const p = precisionOf(dtype);
            const h = resolveHyper(def.hyper, raw as Record<string, unknown>, [], (x) => Bounded.hyper(x, p));
            const names = def.stateNames(hd);
            const param = fields(
              elems.map((x) => x[0]),
              carried ? elems.map((x) => x[5]) : null,
            );
            const grad = exactFields(Float64Array.from(elems.map((x) => x[1])));
            const state = Object.fromEntries(
              names.map((name, j) => [
                name,
                fields(
                  elems.map((x) => x[2 + j] as number),
                  carried ? elems.map((x) => x[6 + j] as { e: number; r: number; w: number }) : null,
                ),
              ]),
            );
            const kernel = evaluateStep({ def, h, t, p, names }, { param, grad, state });
            const oracle = evaluateStepBounded({ def, h, t, p, names }, { param, grad, state });
            expect(kernel.compiled, 'every step in the registry branches on hyperparameters only, so it compiles').toBe(true);
            same(kernel.param, oracle.param, 'param');
            expect(Object.keys(kernel.state)).toEqual(Object.keys(oracle.state));
            for (const name of Object.keys(oracle.state)) same(kernel.state[name], oracle.state[name], `state.${name}`);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('PREC-2 · a step that branches on a tensor value falls back to Bounded, with the same result', () => {
    const def = {
      ...OPTIMIZERS[0],
      step: ((param, grad) => ({ param: grad.isNegative() ? param.plus(grad) : param.minus(grad), state: {} })) as (typeof OPTIMIZERS)[0]['step'],
    };
    const p = precisionOf('float32');
    const h = resolveHyper(def.hyper, { lr: 0.5 }, [], (x) => Bounded.hyper(x, p));
    const param = exactFields(Float64Array.from([1, 2, 3]));
    const grad = exactFields(Float64Array.from([-1, 0.5, 2]));
    const r = evaluateStep({ def, h, t: 1, p, names: [] }, { param, grad, state: {} });
    expect(r.compiled).toBe(false);
    expect(Array.from(r.param.v)).toEqual([0, 1.5, 1]);
  });
});

describe('PREC-6 · the screen', () => {
  for (const def of OPTIMIZERS) {
    it(`PREC-6 · ${def.name}: every output the screen settles passes the full comparison`, () => {
      const hyperArb = fc.record(Object.fromEntries(def.hyper.map((s) => [s.name, s.kind === 'boolean' ? fc.boolean() : hyperValue])));
      // the implementation's value: the float64 evaluation moved by a few of its units (or NaN)
      const move = fc.constantFrom(0, 0, 0.25, -0.5, 1, -1, 1.5, 3, -8, 1e6, NaN);
      fc.assert(
        fc.property(
          hyperArb,
          fc.constantFrom<Dtype>('float32', 'float16', 'bfloat16'),
          fc.integer({ min: 1, max: 4 }),
          fc.array(fc.tuple(value, value, value, value, value, fc.tuple(move, move, move, move)), { minLength: 1, maxLength: 8 }),
          (raw, dtype, t, elems) => {
            const hd = resolveHyper(def.hyper, raw as Record<string, unknown>);
            fc.pre(def.invalid(hd) === undefined);
            const p = precisionOf(dtype);
            const h = resolveHyper(def.hyper, raw as Record<string, unknown>, [], (x) => Bounded.hyper(x, p));
            const names = def.stateNames(hd);
            const param = Float64Array.from(elems.map((x) => x[0]));
            const grad = Float64Array.from(elems.map((x) => x[1]));
            const state = Object.fromEntries(names.map((name, j) => [name, Float64Array.from(elems.map((x) => x[2 + j] as number))]));
            const full = evaluateStep(
              { def, h, t, p, names },
              { param: exactFields(param), grad: exactFields(grad), state: Object.fromEntries(names.map((name) => [name, exactFields(state[name])])) },
            );
            const outputs: [string, Fields][] = [['params', full.param], ...Object.entries(full.state)];
            const got = new Map(outputs.map(([name, f], j) => [name, f.v.map((v, i) => v + elems[i][5][j] * p.u * Math.abs(v))]));
            const open = new Set(screenStep({ def, h, t, p, names }, { param, grad, state }, (name) => got.get(name)!));
            for (let i = 0; i < param.length; i++) {
              if (open.has(i)) continue;
              for (const [name, f] of outputs) {
                const bounded = new Bounded(f.v[i], f.e?.[i] ?? 0, f.r?.[i] ?? 0, false, p, f.w?.[i] ?? 0);
                const r = compareOutput({ bounded }, got.get(name)![i], dtype);
                if (!r.ok) expect.fail(`${name}[${i}] settled by the screen, but the full comparison fails: ${r.errorUlps} > ${r.boundUlps} ulps`);
              }
            }
          },
        ),
        { numRuns: 100 },
      );
    });
  }
});

describe('PREC-1 · the fast ulp is ulp', () => {
  it('PREC-1 · fastUlp(x) equals ulp(x) for float32, bfloat16 and float16 values, zeros, subnormals, powers of two and non-finite values', () => {
    const special = [
      0,
      -0,
      1,
      2,
      0.5,
      2 ** -126,
      2 ** -149,
      2 ** -133,
      2 ** -14,
      2 ** -24,
      65504,
      3.4028234663852886e38,
      Infinity,
      -Infinity,
      NaN,
      5e-324,
      1e300,
      2 ** 1023,
    ];
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...special), fc.double(), fc.double({ min: -1e-30, max: 1e-30 })),
        fc.constantFrom<Dtype>('float32', 'bfloat16', 'float16'),
        (x, dtype) => {
          expect(fastUlp(x, dtype), `ulp(${x}, ${dtype})`).toBe(ulp(x, dtype));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
