/**
 * reference/parts.ts: linear interpolation (EWMA-1), the exponentially weighted moving average
 * (EWMA-2) and its debiasing (EWMA-3); reference/ewma.ts: the fastai loss average (EWMA-4).
 * Seed: "whenever you see α(…) + (1−α)(…), immediately think linear interpolation";
 * fastai's fit(): avg_loss = avg_loss * avg_mom + loss * (1-avg_mom).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { ewmaStep, fastaiLossAverage } from '../../reference/ewma.ts';
import { biasCorrection, debias, ewmaUpdate, lerp } from '../../reference/parts.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { FC, d, expectClose, expectDec, hyper } from './helpers.ts';

describe('EWMA-1 · lerp(a, b, w) = w·a + (1−w)·b', () => {
  it('EWMA-1 · worked example: lerp(4, 8, 0.25) = 1 + 6 = 7', () => {
    // 0.25·4 + 0.75·8 = 1 + 6 = 7
    expectDec(lerp(d(4), d(8), d(0.25)), 7, 'EWMA-1', 'lerp(4, 8, 0.25)');
    // the weight sits on the FIRST argument: lerp(8, 4, 0.25) = 2 + 3 = 5
    expectDec(lerp(d(8), d(4), d(0.25)), 5, 'EWMA-1', 'lerp(8, 4, 0.25)');
  });
  it('EWMA-1 · the end points: w = 1 gives a, w = 0 gives b', () => {
    expectDec(lerp(d(3), d(-0.5), d(1)), 3, 'EWMA-1', 'lerp(3, −0.5, 1)');
    expectDec(lerp(d(3), d(-0.5), d(0)), -0.5, 'EWMA-1', 'lerp(3, −0.5, 0)');
  });
  it('EWMA-1 · a non-dyadic weight is used at its binary value', () => {
    // w = 0.9 = 0x1.ccccccccccccdp-1 = 0.90000000000000002220446049250313080847263336181640625
    // lerp(0, 1, 0.9) = 1 − w = 0.09999999999999997779553950749686919152736663818359375 has 52
    // significant digits; the 50-digit half-even context keeps …6638183|59375 → …66381835|94:
    // 0.099999999999999977795539507496869191527366638183594 — not 0.1, which a decimal 0.9 would give.
    expectDec(lerp(d(0), d(1), exact(0.9)), '0.099999999999999977795539507496869191527366638183594', 'EWMA-1', 'lerp(0, 1, 0.9)');
    expect(lerp(d(0), d(1), exact(0.9)).eq('0.1')).toBe(false);
  });
});

describe('EWMA-2 · sₜ = β·sₜ₋₁ + (1−β)·xₜ', () => {
  it('EWMA-2 · worked example: β = 0.5, x = 1, 1, 3 from s₀ = 0 gives 0.5, 0.75, 1.875', () => {
    // s₁ = 0.5·0 + 0.5·1 = 0.5;  s₂ = 0.25 + 0.5 = 0.75;  s₃ = 0.375 + 1.5 = 1.875
    let s = d(0);
    const want = [0.5, 0.75, 1.875];
    [1, 1, 3].forEach((x, i) => {
      s = ewmaUpdate(s, d(x), d(0.5));
      expectDec(s, want[i], 'EWMA-2', `s${i + 1}`);
    });
  });
  it('EWMA-2 · the previous average is weighted by β, not the new value', () => {
    // β = 0.75: s = 0.75·4 + 0.25·0 = 3 (the reverse would give 1)
    expectDec(ewmaUpdate(d(4), d(0), d(0.75)), 3, 'EWMA-2', 'ewmaUpdate(4, 0, 0.75)');
  });
});

describe('EWMA-3 · debiasing by 1 − βᵗ', () => {
  it('EWMA-3 · worked example: β = 0.5, x = 1, 1: s₂ = 0.75, 1 − β² = 0.75, debiased 1', () => {
    expectDec(biasCorrection(d(0.5), 1), 0.5, 'EWMA-3', '1 − 0.5¹');
    expectDec(biasCorrection(d(0.5), 2), 0.75, 'EWMA-3', '1 − 0.5²');
    expectDec(biasCorrection(d(0.75), 3), '0.578125', 'EWMA-3', '1 − 0.75³ = 1 − 27/64');
    expectDec(debias(d(0.75), d(0.5), 2), 1, 'EWMA-3', '0.75/0.75');
  });
  it('EWMA-3 · at β = 0.9 the first debiased value is the input, exactly', () => {
    // s₁ = (1 − β)·x and 1 − β¹ = 1 − β, both with β = 0x1.ccccccccccccdp-1: s₁/(1 − β) = x.
    // 1 − β rounds to 50 digits (0.099999999999999977795539507496869191527366638183594), and
    // 3·(1 − β) = 0.29999999999999993338661852249060757458209991455078|2 rounds once more.
    const beta = exact(0.9);
    const s1 = ewmaUpdate(d(0), d(3), beta);
    expectDec(s1, '0.29999999999999993338661852249060757458209991455078', 'EWMA-3', 's₁ = 3·(1 − 0.9)');
    expectClose(debias(s1, beta, 1), 3, 'EWMA-3', '1e-49', 'debiased s₁');
  });
  it('EWMA-3 · the debiased EWMA of a constant is that constant (property)', () => {
    // Σ (1−β)βᵗ⁻ⁱ·c = c·(1 − βᵗ) exactly; only the 50-digit rounding can differ.
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 30 }),
        (c, beta, n) => {
          const { debiased } = fastaiLossAverage(
            Array.from({ length: n }, () => exact(c)),
            exact(beta),
          );
          debiased.forEach((x, i) => expectClose(x, exact(c), 'EWMA-3', '1e-44', `debiased step ${i + 1} of constant ${c}, β = ${beta}`));
        },
      ),
      FC,
    );
  });
});

describe('EWMA-4 · the fastai loss average', () => {
  it('EWMA-4 · worked example: avg_mom = 0.5, losses 1, 3 → avg 0.5, 1.75; debiased 1, 7/3', () => {
    // avg₁ = 0·0.5 + 1·0.5 = 0.5,   debiased 0.5/(1 − 0.5) = 1
    // avg₂ = 0.5·0.5 + 3·0.5 = 1.75, debiased 1.75/(1 − 0.25) = 7/3 = 2.333… (50 digits)
    const { avg, debiased } = fastaiLossAverage([d(1), d(3)], d(0.5));
    expectDec(avg[0], 0.5, 'EWMA-4', 'avg₁');
    expectDec(avg[1], 1.75, 'EWMA-4', 'avg₂');
    expectDec(debiased[0], 1, 'EWMA-4', 'debiased₁');
    expectDec(debiased[1], `2.${'3'.repeat(49)}`, 'EWMA-4', 'debiased₂ = 7/3 to 50 digits');
    expect(fastaiLossAverage([], d(0.5))).toEqual({ avg: [], debiased: [] });
  });
  it('EWMA-4 · as a protocol step: param is avg_loss, grad is the loss, state.debiased', () => {
    const r1 = ewmaStep(d(0), d(1), {}, hyper({ beta: 0.5 }), 1);
    expectDec(r1.param, 0.5, 'EWMA-4', 'avg₁');
    expectDec(r1.state.debiased, 1, 'EWMA-4', 'debiased₁');
    const r2 = ewmaStep(r1.param, d(3), r1.state, hyper({ beta: 0.5 }), 2);
    expectDec(r2.param, 1.75, 'EWMA-4', 'avg₂');
    expectClose(r2.state.debiased, new Dec(7).div(3), 'EWMA-4', '1e-48', 'debiased₂');
  });
  it('EWMA-4 · through the registry: the fastai default avg_mom = 0.98', () => {
    const def = findOptimizer('ewma')!;
    expect(def.clauses).toEqual(['EWMA-2', 'EWMA-3', 'EWMA-4']);
    const out = referenceTrajectory(def, { hyper: {}, params: [0], state: null, steps: [{ grad: [2] }, { grad: [2] }] });
    // β = 0.98 = 0x1.f5c28f5c28f5cp-1 = 0.979999999999999982236431605997495353221893310546875
    // avg₁ = 2·(1 − β) = 0.04000000000000003552713678800500929355621337890625; debiased₁ = 2
    expectDec(out[0].params[0], '0.04000000000000003552713678800500929355621337890625', 'EWMA-4', 'avg₁ at β = 0.98');
    // 2·(1 − β) / (1 − β) = 2 up to the 50-digit rounding of the product
    expectClose((out[0].state.debiased as Dec[])[0], 2, 'EWMA-4', '1e-48', 'debiased₁');
    expectClose((out[1].state.debiased as Dec[])[0], 2, 'EWMA-4', '1e-48', 'debiased₂ of a constant');
    expect(def.invalid(hyper({ beta: 1 }))).toBe('beta must be in [0, 1)');
    expect(def.invalid(hyper({ beta: 0.98 }))).toBeUndefined();
    expect(def.stateNames(hyper({ beta: 0.98 }))).toEqual([]);
  });
});
