/**
 * conformance/check/error-model.ts on the operations of issue 12's families (PREC-9 … PREC-12):
 * sign's exactness at Lion's zero, the branch of RAdam decided on a rounded ρₜ, NAdam's literal
 * power and its float32 μ product. Expected values are worked from the clause formulas in the test.
 */
import { describe, expect, it } from 'vitest';
import { Bounded, branchSide, precisionOf } from '../../conformance/check/error-model.ts';
import { evaluateStep, exactFields } from '../../conformance/check/kernel.ts';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { resolveHyper } from '../../reference/notation.ts';
import { smaLength } from '../../reference/radam.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';

const p32 = precisionOf('float32');
const p64 = precisionOf('float64');
const hb = (def: ReturnType<typeof findOptimizer>, h: Record<string, unknown>, p = p32) => resolveHyper(def!.hyper, h, [], (x) => Bounded.hyper(x, p));
const f64 = (xs: number[]) => exactFields(Float64Array.from(xs));

describe('PREC-9 · abs, max and sign', () => {
  it('PREC-9 · |x| and max keep the bounds; sign is exact away from zero, off by 1 at an inexact zero, by 2 within the bound', () => {
    const x = new Bounded(-0.5, 1e-3, 0, false, p32, 1e-3);
    expect([x.abs().v, x.abs().e, x.abs().w]).toEqual([0.5, 1e-3, 1e-3]);
    const m = x.max(new Bounded(0.25, 1e-2, 0, false, p32));
    expect([m.v, m.e, m.w]).toEqual([0.25, 1e-2, 1e-3]);
    expect(x.signum().e, 'PREC-9: |x| = 0.5 > E = 2e-3').toBe(0);
    expect(new Bounded(0, 1e-9, 0, false, p32).signum().e).toBe(1);
    expect(new Bounded(1e-10, 1e-9, 0, false, p32).signum().e).toBe(2);
    expect(new Bounded(NaN, 0, 0, false, p32).signum().e).toBe(Infinity);
  });
  it('PREC-9 · Lion from m = 0, g = 0: c is an exact zero, so θ may not move by lr (copysign(1, 0) fails)', () => {
    const lion = findOptimizer('lion')!;
    const h = hb(lion, { lr: 0.25, weight_decay: 0 });
    const out = evaluateStep(
      { def: lion, h, t: 1, p: p32, names: ['exp_avg'] },
      { param: f64([1, 1]), grad: f64([0, 1e-30]), state: { exp_avg: f64([0, 0]) } },
    );
    // element 0: c = 0.9·0 + 0.1·0 exactly: θ = 1, allowed 2·(e + w) far below lr
    expect(out.param.v[0]).toBe(1);
    expect(2 * ((out.param.e as Float64Array)[0] + (out.param.w as Float64Array)[0])).toBeLessThan(1e-6);
    // element 1: c = 1e-31 is far above its bound: sign 1, θ = 0.75 as exactly
    expect(out.param.v[1]).toBe(0.75);
    expect((out.param.e as Float64Array)[1]).toBeLessThan(1e-6);
  });
});

describe('PREC-10 · RAdam’s branch on a rounded ρₜ', () => {
  const radam = findOptimizer('radam')!;
  it('PREC-10 · at β₂ = 0.999: t = 5 (ρ₅ ≈ 4.996) is certain in float64 and open in float32; t = 6 rectified in both', () => {
    const side = (t: number, p: typeof p32) => branchSide(smaLength(Bounded.hyper(0.9990000128746033, p), t).minus(5));
    expect(side(5, p64)).toBe('below');
    expect(side(5, p32)).toBe('both');
    expect(side(6, p64)).toBe('above');
    expect(side(4, p32)).toBe('below');
  });
  it('PREC-10 · where both are honest, the allowed error covers the rectified and the unrectified value', () => {
    const h = { lr: 0.001, beta1: 0.9, beta2: 0.9990000128746033, eps: 1e-8 };
    const state = { step: 4, exp_avg: [0.5], exp_avg_sq: [0.25] };
    const c = { hyper: h, params: [1], state, steps: [{ grad: [1] }] };
    const unrectified = referenceTrajectory(radam, c)[0].params[0].toNumber();
    const rectified = referenceTrajectory(findOptimizer('radam', 'threshold-4')!, c)[0].params[0].toNumber();
    expect(Math.abs(rectified - unrectified)).toBeGreaterThan(1e-5);
    const out = evaluateStep(
      { def: radam, h: hb(radam, h), t: 5, p: p32, names: ['exp_avg', 'exp_avg_sq'] },
      { param: f64([1]), grad: f64([1]), state: { exp_avg: f64([0.5]), exp_avg_sq: f64([0.25]) } },
    );
    const allowed = 2 * ((out.param.e as Float64Array)[0] + (out.param.w as Float64Array)[0]) + 2 * (out.param.r as Float64Array)[0];
    for (const x of [unrectified, rectified]) expect(Math.abs(x - out.param.v[0])).toBeLessThanOrEqual(allowed);
    // in float64 only the exact branch passes
    const out64 = evaluateStep(
      { def: radam, h: hb(radam, h, p64), t: 5, p: p64, names: ['exp_avg', 'exp_avg_sq'] },
      { param: f64([1]), grad: f64([1]), state: { exp_avg: f64([0.5]), exp_avg_sq: f64([0.25]) } },
    );
    expect(2 * ((out64.param.e as Float64Array)[0] + (out64.param.w as Float64Array)[0])).toBeLessThan(Math.abs(rectified - unrectified) / 1000);
  });
});

describe('PREC-11 · 0.96^(t·ψ)', () => {
  it('PREC-11 · the bound covers the exact power and a float32 base and exponent (Keras), and is a few u_s', () => {
    for (const t of [1, 10, 1000, 10000]) {
      const x = Bounded.hyper(0.004000000189989805, p32).times(Bounded.hyper(t, p32));
      const z = x.powerOf(0.96);
      const exactZ = exact(0.96).pow(exact(0.004000000189989805).times(t));
      expect(Math.abs(z.v - exactZ.toNumber())).toBeLessThanOrEqual(z.r);
      // Keras: 0.96 and t·ψ in float32, the power in float32
      const keras = Math.fround(Math.fround(0.96) ** Math.fround(0.004000000189989805 * t));
      expect(new Dec(keras).minus(exactZ).abs().toNumber()).toBeLessThanOrEqual(2 * z.e);
      // ≈ z·(|x|·e_c/c + |ln c|·|x|·u_s + 2u_s) with e_c = u_s·c: a few u_s per unit of the exponent
      const u = 2 ** -24;
      expect(z.e / z.v).toBeLessThan(1.01 * (x.v * u + Math.abs(Math.log(0.96)) * x.v * u + 3 * u));
    }
  });
});

describe('PREC-12 · the μ product held in float32', () => {
  it('PREC-12 · a float64 case admits Π rounded to float32 and nothing much coarser', () => {
    const nadam = findOptimizer('nadam')!;
    const h = hb(nadam, {}, p64);
    const out = evaluateStep(
      { def: nadam, h, t: 1, p: p64, names: ['exp_avg', 'exp_avg_sq', 'mu_product'] },
      { param: f64([1]), grad: f64([0.5]), state: { exp_avg: f64([0]), exp_avg_sq: f64([0]), mu_product: f64([1]) } },
    );
    const pi = out.state.mu_product.v[0];
    const allowed = 2 * ((out.state.mu_product.e as Float64Array)[0] + (out.state.mu_product.w as Float64Array)[0]);
    expect(Math.abs(Math.fround(pi) - pi)).toBeLessThanOrEqual(allowed);
    expect(allowed).toBeLessThan(2 ** -20 * pi);
    // the update reads Π: its bound admits the float32 product's effect, ≈ u₃₂·Π/(1 − Π) relative on the gradient term
    expect(2 * (out.param.e as Float64Array)[0]).toBeGreaterThan(2 ** -26 * Math.abs(1 - out.param.v[0]));
  });
});
