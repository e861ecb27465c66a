/**
 * reference/adagrad.ts: Adagrad against PyTorch 1.13 (tests/reference/torch-1.13.ts) and against
 * values worked by hand; its ε-inside variant; and the float32 step size of PyTorch 1.13's foreach
 * path (DEFECT-3), worked with Math.fround in the test.
 */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { decayedLearningRate, float32DecayedLearningRate } from '../../reference/adagrad.ts';
import { KNOWN_DEFECTS, findOptimizer, freshValue } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { d, expectClose, expectDec, expectTrajectory, hyper } from './helpers.ts';
import { TORCH_1_13, TORCH_GRADS, TORCH_PARAMS } from './torch-1.13.ts';

const ADAGRAD = findOptimizer('adagrad')!;
const INSIDE = findOptimizer('adagrad', 'eps-inside-sqrt')!;
const FOREACH = KNOWN_DEFECTS.find((x) => x.name === 'torch-1.13/adagrad-foreach-lr-float32')!;
const torchCase = (h: Record<string, number>) => ({ hyper: h, params: TORCH_PARAMS, state: null, steps: TORCH_GRADS.map((g) => ({ grad: g })) });

describe('ADAGRAD · torch.optim.Adagrad', () => {
  it('ADAGRAD-1 ADAGRAD-2 ADAGRAD-3 ADAGRAD-4 · PyTorch 1.13 trajectory (L2, lr_decay, initial accumulator 0.5)', () => {
    const h = { lr: 0.25, lr_decay: 0.125, weight_decay: 0.0625, initial_accumulator_value: 0.5, eps: 1e-10 };
    expectTrajectory(referenceTrajectory(ADAGRAD, torchCase(h)), TORCH_1_13.adagrad, 'ADAGRAD-4', '1e-14');
  });
  it('ADAGRAD-2 · clr = lr/(1 + (t−1)·lr_decay): 0.25/(1 + 2·0.125) = 0.2 at t = 3; lr itself at t = 1', () => {
    expectDec(decayedLearningRate(hyper({ lr: 0.25, lr_decay: 0.125 }), 3), '0.2', 'ADAGRAD-2');
    expectDec(decayedLearningRate(hyper({ lr: 0.25, lr_decay: 0.125 }), 1), 0.25, 'ADAGRAD-2');
  });
  it('ADAGRAD-3 · a fresh sum is initial_accumulator_value (NOTE-2), also for a step-0 state that omits it', () => {
    const h = { lr: 0.25, initial_accumulator_value: 0.5, eps: 0 };
    expect(freshValue(ADAGRAD, 'sum', h)).toBe(0.5);
    for (const state of [null, { step: 0 }]) {
      // sum₁ = 0.5 + 0.5² = 0.75
      const out = referenceTrajectory(ADAGRAD, { hyper: h, params: [1], state, steps: [{ grad: [0.5] }] });
      expectDec((out[0].state.sum as Dec[])[0], 0.75, 'ADAGRAD-3', 'sum₁');
    }
  });
  it('ADAGRAD-4 · the first step from sum 0 has the size of lr: θ₁ = 1 − 0.25·2/√4 = 0.75', () => {
    const out = referenceTrajectory(ADAGRAD, { hyper: { lr: 0.25, eps: 0 }, params: [1], state: null, steps: [{ grad: [2] }] });
    expectDec(out[0].params[0], 0.75, 'ADAGRAD-4');
  });
  it('ADAGRAD-5 · ε inside the root: sum = 0.1 + 0.25 = 0.35, √(0.35 + 0.01) = 0.6, θ₁ = 1 − 0.3·0.5/0.6 = 0.75', () => {
    const h = { lr: 0.3, initial_accumulator_value: 0.1, eps: 0.01 };
    const c = { hyper: h, params: [1], state: null, steps: [{ grad: [0.5] }] };
    // the doubles nearest 0.1, 0.01 and 0.3 enter exactly, so the 0.75 holds to their representation error
    expectClose(referenceTrajectory(INSIDE, c)[0].params[0], 0.75, 'ADAGRAD-5', '1e-15');
    const canonical = referenceTrajectory(ADAGRAD, c)[0].params[0];
    // canonical: 1 − 0.15/(√0.35 + 0.01) ≈ 0.74908…
    expectClose(canonical, d(1).minus(new Dec('0.15').div(new Dec('0.35').sqrt().plus('0.01'))), 'ADAGRAD-5', '1e-15', 'canonical');
  });
});

describe('DEFECT-3 · torch-1.13/adagrad-foreach-lr-float32', () => {
  it('DEFECT-3 · the step size worked with Math.fround: t = 2, lr = 0.25, lr_decay = 0.1', () => {
    const den = Math.fround(1 + Math.fround(1 * Math.fround(0.1)));
    const c = Math.fround(Math.fround(1 / den) * Math.fround(-0.25));
    expectDec(float32DecayedLearningRate(hyper({ lr: 0.25, lr_decay: 0.1 }), 2), exact(-c), 'DEFECT-3');
  });
  it('DEFECT-3 · the defect reproduces Adagrad(foreach=True) in float64, the canonical step the single-tensor path', () => {
    const h = { lr: 0.25, lr_decay: 0.1, eps: 1e-10 };
    expectTrajectory(referenceTrajectory(FOREACH, torchCase(h)), TORCH_1_13.adagrad_foreach, 'DEFECT-3', '1e-15');
    expectTrajectory(referenceTrajectory(ADAGRAD, torchCase(h)), TORCH_1_13.adagrad_single_decay, 'DEFECT-3', '1e-15');
    // and the two paths part by far more than float64 roundings (5.7e-9 at step 2)
    expect(Math.abs(TORCH_1_13.adagrad_foreach[1][0] - TORCH_1_13.adagrad_single_decay[1][0])).toBeGreaterThan(1e-9);
  });
});
