/**
 * reference/adamax.ts: Adamax against PyTorch 1.13 (tests/reference/torch-1.13.ts) and values worked
 * by hand, including the maximum switching sides and the variant with ε after the maximum.
 */
import { describe, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { d, expectClose, expectDec, expectTrajectory } from './helpers.ts';
import { TORCH_1_13, TORCH_GRADS, TORCH_PARAMS } from './torch-1.13.ts';

const ADAMAX = findOptimizer('adamax')!;
const AFTER = findOptimizer('adamax', 'eps-after-max')!;

describe('ADAMAX · torch.optim.Adamax', () => {
  it('ADAMAX-1 ADAMAX-2 ADAMAX-3 ADAMAX-4 · PyTorch 1.13 trajectory (β = (0.5, 0.75), L2)', () => {
    const h = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 1e-8, weight_decay: 0.0625 };
    const out = referenceTrajectory(ADAMAX, { hyper: h, params: TORCH_PARAMS, state: null, steps: TORCH_GRADS.map((g) => ({ grad: g })) });
    expectTrajectory(out, TORCH_1_13.adamax, 'ADAMAX-4', '1e-14');
  });
  it('ADAMAX-3 · the maximum switches sides: u = 4 → max(2, 1.25) = 2 → max(1, 3.25) = 3.25', () => {
    const h = { lr: 0.25, beta1: 0.5, beta2: 0.5, eps: 0.25 };
    const out = referenceTrajectory(ADAMAX, { hyper: h, params: [1], state: { step: 0, exp_avg: [0], exp_inf: [4] }, steps: [{ grad: [1] }, { grad: [-3] }] });
    expectDec((out[0].state.exp_inf as Dec[])[0], 2, 'ADAMAX-3', 'u₁');
    expectDec((out[1].state.exp_inf as Dec[])[0], 3.25, 'ADAMAX-3', 'u₂');
  });
  it('ADAMAX-2 ADAMAX-4 · the first step has the size of lr: m₁ = 1, u₁ = 2, θ₁ = 1 − (0.25/0.5)·1/2 = 0.75', () => {
    const out = referenceTrajectory(ADAMAX, { hyper: { lr: 0.25, beta1: 0.5, eps: 0 }, params: [1], state: null, steps: [{ grad: [2] }] });
    expectDec((out[0].state.exp_avg as Dec[])[0], 1, 'ADAMAX-2', 'm₁');
    expectDec(out[0].params[0], 0.75, 'ADAMAX-4', 'θ₁');
  });
  it('ADAMAX-5 · ε after the maximum: equal at step 1 (0.8), then θ₂ = 0.8 − (1/3)·0.5/1.5 against 0.8 − (1/3)·0.5/1.25', () => {
    const c = { hyper: { lr: 0.25, beta1: 0.5, beta2: 0.5, eps: 0.5 }, params: [1], state: null, steps: [{ grad: [2] }, { grad: [0] }] };
    const variant = referenceTrajectory(AFTER, c);
    const canonical = referenceTrajectory(ADAMAX, c);
    expectDec(variant[0].params[0], '0.8', 'ADAMAX-5', 'θ₁ (variant)');
    expectDec(canonical[0].params[0], '0.8', 'ADAMAX-5', 'θ₁ (canonical)');
    const third = new Dec(1).div(3);
    expectClose(variant[1].params[0], d('0.8').minus(third.times(0.5).div(1.5)), 'ADAMAX-5', '1e-48', 'θ₂ (variant)');
    expectClose(canonical[1].params[0], d('0.8').minus(third.times(0.5).div(1.25)), 'ADAMAX-5', '1e-48', 'θ₂ (canonical)');
    expectDec((variant[1].state.exp_inf as Dec[])[0], 1, 'ADAMAX-5', 'u₂ without ε');
  });
});
