/**
 * reference/radam.ts: RAdam against PyTorch 1.13 (tests/reference/torch-1.13.ts: β₂ = 0.75, so
 * ρ∞ = 7 and the sixth step has ρ₆ ≈ 4.40, the eighth the first rectified one) and against the clause
 * formulas worked in the test; the paper's threshold; ε after the correction; and PyTorch 1.13's
 * foreach path without ε (DEFECT-1).
 */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { rectification, smaLength, smaLengthLimit } from '../../reference/radam.ts';
import { KNOWN_DEFECTS, findOptimizer } from '../../reference/registry.ts';
import { roundedTrajectory } from '../../reference/rounded-trajectory.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { d, expectClose, expectDec, expectTrajectory } from './helpers.ts';
import { TORCH_1_13, TORCH_GRADS, TORCH_PARAMS } from './torch-1.13.ts';

const RADAM = findOptimizer('radam')!;
const FOUR = findOptimizer('radam', 'threshold-4')!;
const AFTER = findOptimizer('radam', 'eps-after-correction')!;
const NO_EPS = KNOWN_DEFECTS.find((x) => x.name === 'torch-1.13/radam-foreach-eps')!;
const H = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 1e-8, weight_decay: 0.0625 };
const GRADS12 = [...TORCH_GRADS, ...TORCH_GRADS, ...TORCH_GRADS];
const torchCase = { hyper: H, params: TORCH_PARAMS, state: null, steps: GRADS12.map((g) => ({ grad: g })) };

/** ρₜ from RADAM-3's formula, in decimal.js here. */
function rho(beta2: number, t: number): Dec {
  const b = exact(beta2);
  const bt = b.pow(t);
  return new Dec(2)
    .div(new Dec(1).minus(b))
    .minus(1)
    .minus(new Dec(2 * t).times(bt).div(new Dec(1).minus(bt)));
}

describe('RADAM · torch.optim.RAdam', () => {
  it('RADAM-1 RADAM-2 RADAM-3 RADAM-4 RADAM-5 · PyTorch 1.13 trajectory across the threshold (β₂ = 0.75, 12 steps)', () => {
    expectTrajectory(referenceTrajectory(RADAM, torchCase), TORCH_1_13.radam, 'RADAM-5', '1e-13');
  });
  it('RADAM-3 · ρ∞ = 7 and ρ₂ = (1 + 3β₂)/(1 + β₂) = 13/7 at β₂ = 0.75; ρ₁ = 1; ρ₅ ≈ 4.996, ρ₆ ≈ 5.994 at 0.999', () => {
    expectDec(smaLengthLimit(d(0.75)), 7, 'RADAM-3', 'ρ∞');
    expectClose(smaLength(d(0.75), 2), new Dec(13).div(7), 'RADAM-3', '1e-48', 'ρ₂');
    expectClose(smaLength(d(0.75), 1), 1, 'RADAM-3', '1e-48', 'ρ₁');
    expectClose(smaLength(exact(0.999), 5), rho(0.999, 5), 'RADAM-3', '1e-45', 'ρ₅');
    expect(smaLength(exact(0.999), 5).toNumber()).toBeCloseTo(4.996, 3);
    expect(smaLength(exact(0.999), 6).toNumber()).toBeCloseTo(5.994, 3);
  });
  it('RADAM-4 · r = √((6−4)(6−2)·7/((7−4)(7−2)·6)) = √(28/45) for ρ = 6, ρ∞ = 7', () => {
    expectClose(rectification(d(6), d(7)), new Dec(28).div(45).sqrt(), 'RADAM-4', '1e-48');
  });
  it('RADAM-5 · unrectified steps are θ − lr·m̂: fresh, g = 1, θ₁ = 1 − 0.25·1 = 0.75', () => {
    const out = referenceTrajectory(RADAM, { hyper: { ...H, weight_decay: 0 }, params: [1], state: null, steps: [{ grad: [1] }] });
    expectDec(out[0].params[0], 0.75, 'RADAM-5');
  });
  it('RADAM-6 · threshold 4 rectifies steps 6 and 7 (ρ ≈ 4.40, 4.84), equal to the canonical step before and after', () => {
    const canonical = referenceTrajectory(RADAM, torchCase);
    const variant = referenceTrajectory(FOUR, torchCase);
    for (let k = 0; k < 5; k++) expectDec(variant[k].params[0], canonical[k].params[0], 'RADAM-6', `θ${k + 1}`);
    // step 6 rectified by hand from the variant's own step-5 θ and step-6 moments
    const [m, v] = [(variant[5].state.exp_avg as Dec[])[0], (variant[5].state.exp_avg_sq as Dec[])[0]];
    const b1 = new Dec(1).minus(new Dec('0.5').pow(6));
    const b2 = new Dec(1).minus(new Dec('0.75').pow(6));
    const r6 = rectification(rho(0.75, 6), d(7));
    const expected = variant[4].params[0].minus(
      d(0.25)
        .times(m.div(b1))
        .times(r6)
        .times(b2.sqrt())
        .div(v.sqrt().plus(exact(1e-8))),
    );
    expectClose(variant[5].params[0], expected, 'RADAM-6', '1e-45', 'θ₆');
    expect(variant[5].params[0].eq(canonical[5].params[0])).toBe(false);
  });
  it('RADAM-8 · ε after the correction: θ₈ = θ₇ − lr·r₈·m̂/(√v̂ + ε), visible with ε = 0.5', () => {
    const h = { ...H, eps: 0.5 };
    const c = { hyper: h, params: TORCH_PARAMS, state: null, steps: GRADS12.slice(0, 8).map((g) => ({ grad: g })) };
    const out = referenceTrajectory(AFTER, c);
    const [m, v] = [(out[7].state.exp_avg as Dec[])[0], (out[7].state.exp_avg_sq as Dec[])[0]];
    const mHat = m.div(new Dec(1).minus(new Dec('0.5').pow(8)));
    const vHat = v.div(new Dec(1).minus(new Dec('0.75').pow(8)));
    const expected = out[6].params[0].minus(
      d(0.25)
        .times(rectification(rho(0.75, 8), d(7)))
        .times(mHat)
        .div(vHat.sqrt().plus(d(0.5))),
    );
    expectClose(out[7].params[0], expected, 'RADAM-8', '1e-45', 'θ₈');
    expect(out[7].params[0].eq(referenceTrajectory(RADAM, c)[7].params[0])).toBe(false);
  });
});

describe('DEFECT-1 · torch-1.13/radam-foreach-eps', () => {
  it('DEFECT-1 · the defect reproduces RAdam(foreach=True) in float64 across the threshold', () => {
    expectTrajectory(referenceTrajectory(NO_EPS, torchCase), TORCH_1_13.radam_foreach, 'DEFECT-1', '1e-13');
  });
  it('DEFECT-1 · a zero gradient history gives NaN from step 1 (measured on 1.13.1: params [1, 1], gradients [1, 0])', () => {
    const c = { hyper: {}, params: [1, 1], state: null, steps: Array.from({ length: 8 }, () => ({ grad: [1, 0] })) };
    const out = referenceTrajectory(NO_EPS, c);
    expect(out[0].params[1].isNaN()).toBe(true);
    const canonical = referenceTrajectory(RADAM, c);
    expectDec(canonical[7].params[1], 1, 'DEFECT-1', 'canonical θ₈[1]');
    expectClose(out[7].params[0], canonical[7].params[0], 'DEFECT-1', '1e-9', 'θ₈[0], ε = 1e-8 negligible against √v');
    expect(out[7].params[0].toNumber()).toBeCloseTo(0.9949, 4);
  });
  it('DEFECT-1 · NOTE-4: at t = 1 the unrectified θ − lr·g lying halfway between two doubles is decided, ties to even (torch foreach, seed 1, float64)', () => {
    // element 145 of the 37th float64 case at seed 1: −0.004730567292445954 − 0.5·0.23754926731521153
    // is −0.12350520095005172 exactly, halfway between …171 (even) and …173 (worked in Python's Fraction)
    const hyper = { lr: 0.5, beta1: 0.8999999761581421, beta2: 0.6000000238418579, eps: 1e-8, weight_decay: 0 };
    const c = { hyper, params: [-0.004730567292445954], state: null, steps: [{ grad: [0.23754926731521153] }] };
    const [step] = roundedTrajectory(NO_EPS, c, { dtypes: ['float64'] });
    expect(step.params.rounded.float64).toEqual([-0.12350520095005171]);
  });
});
