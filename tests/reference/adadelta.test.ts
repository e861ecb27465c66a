/**
 * reference/adadelta.ts: Adadelta against PyTorch 1.13 (tests/reference/torch-1.13.ts) and values
 * worked by hand, and TF.js 4.22's stale denominator (DEFECT-4) against the values TF.js gave.
 */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { KNOWN_DEFECTS, findOptimizer } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { expectClose, expectDec, expectTrajectory } from './helpers.ts';
import { TORCH_1_13, TORCH_GRADS, TORCH_PARAMS } from './torch-1.13.ts';

const ADADELTA = findOptimizer('adadelta')!;
const STALE = KNOWN_DEFECTS.find((x) => x.name === 'tfjs-4.22/adadelta-stale-denominator')!;

describe('ADADELTA · torch.optim.Adadelta', () => {
  it('ADADELTA-1 ADADELTA-2 ADADELTA-3 ADADELTA-4 ADADELTA-5 · PyTorch 1.13 trajectory (ρ = 0.75, L2)', () => {
    const h = { lr: 1, rho: 0.75, eps: 1e-6, weight_decay: 0.0625 };
    const out = referenceTrajectory(ADADELTA, { hyper: h, params: TORCH_PARAMS, state: null, steps: TORCH_GRADS.map((g) => ({ grad: g })) });
    expectTrajectory(out, TORCH_1_13.adadelta, 'ADADELTA-5', '1e-14');
  });
  it('ADADELTA-2 ADADELTA-3 ADADELTA-4 · the ε-dominated start: v₁ = 0.25·4 = 1, Δ₁ = √0.5625/√1.5625·2 = 1.2, u₁ = 0.25·1.44 = 0.36', () => {
    for (const lr of [0.5, 1]) {
      const out = referenceTrajectory(ADADELTA, { hyper: { lr, rho: 0.75, eps: 0.5625 }, params: [1], state: null, steps: [{ grad: [2] }] });
      expectDec((out[0].state.square_avg as Dec[])[0], 1, 'ADADELTA-2', 'v₁');
      expectClose(out[0].params[0], new Dec(1).minus(new Dec(lr).times('1.2')), 'ADADELTA-3', '1e-48', 'θ₁');
      // ADADELTA-4: the accumulator holds Δ² before lr, the same for both learning rates
      expectClose((out[0].state.acc_delta as Dec[])[0], '0.36', 'ADADELTA-4', '1e-48', 'u₁');
    }
  });
  it('ADADELTA-1 · λ·θ enters both averages and the delta: g′ = 1.5 + 0.5·1 = 2 gives the same step as g = 2', () => {
    const step = (grad: number, weight_decay: number) =>
      referenceTrajectory(ADADELTA, { hyper: { lr: 0.5, rho: 0.75, eps: 0.5625, weight_decay }, params: [1], state: null, steps: [{ grad: [grad] }] })[0];
    expectClose(step(1.5, 0.5).params[0], step(2, 0).params[0], 'ADADELTA-1', '1e-48');
  });
});

describe('DEFECT-4 · tfjs-4.22/adadelta-stale-denominator', () => {
  it('DEFECT-4 · TF.js 4.22 from θ = [0, 0], gradients [1, 0.5]: θ₁ = [−1, −0.5], θ₂ = [−2, −1] (tf.train.adadelta(1, 0.9, 1e-6), CPU)', () => {
    const c = { hyper: { lr: 1, rho: 0.9, eps: 1e-6 }, params: [0, 0], state: null, steps: [{ grad: [1, 0.5] }, { grad: [1, 0.5] }] };
    const out = referenceTrajectory(STALE, c);
    [
      [-1, -0.5],
      [-2, -1],
    ].forEach((row, k) => row.forEach((x, i) => expectDec(out[k].params[i], x, 'DEFECT-4', `θ${k + 1}[${i}]`)));
    // the canonical first step is ε-dominated instead: |θ₁| ≈ √(ε/(1 − ρ)) ≈ 3.2e-3
    const canonical = referenceTrajectory(ADADELTA, c)[0].params[0].toNumber();
    expect(canonical).toBeGreaterThan(-4e-3);
    expect(canonical).toBeLessThan(-3e-3);
  });
});
