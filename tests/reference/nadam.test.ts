/**
 * reference/nadam.ts: NAdam against PyTorch 1.13's foreach path (tests/reference/torch-1.13.ts; its μ
 * product is a float32 scalar, so within ~1e-7, PREC-12) and against the clause formulas evaluated
 * in decimal.js in the test; the variant without a schedule; and the single-tensor path's μ product
 * (DEFECT-2).
 */
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { momentumSchedule } from '../../reference/nadam.ts';
import { KNOWN_DEFECTS, findOptimizer, freshValue } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { expectClose, expectTrajectory, hyper } from './helpers.ts';
import { TORCH_1_13, TORCH_GRADS, TORCH_NADAM_MU_PRODUCT, TORCH_PARAMS } from './torch-1.13.ts';

const NADAM = findOptimizer('nadam')!;
const NO_SCHEDULE = findOptimizer('nadam', 'no-schedule')!;
const TWICE = KNOWN_DEFECTS.find((x) => x.name === 'torch-1.13/nadam-mu-product')!;
const H = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 1e-8, weight_decay: 0.0625, momentum_decay: 0.004 };
const torchCase = { hyper: H, params: TORCH_PARAMS, state: null, steps: TORCH_GRADS.map((g) => ({ grad: g })) };
/** The first step at the defaults with lr = 1, g = 1, ε = 0: its size. */
const firstStep = (def: typeof NADAM, h: Record<string, number> = {}) =>
  new Dec(1).minus(referenceTrajectory(def, { hyper: { lr: 1, eps: 0, ...h }, params: [1], state: null, steps: [{ grad: [1] }] })[0].params[0]);

describe('NADAM · torch.optim.NAdam', () => {
  it('NADAM-1 NADAM-2 NADAM-3 NADAM-4 NADAM-5 · PyTorch 1.13 foreach trajectory (within its float32 μ product)', () => {
    const out = referenceTrajectory(NADAM, torchCase);
    expectTrajectory(out, TORCH_1_13.nadam, 'NADAM-5', '1e-6');
    // NADAM-3: the product after four steps, one value in every element
    for (const x of out[3].state.mu_product as Dec[]) expectClose(x, exact(TORCH_NADAM_MU_PRODUCT), 'NADAM-3', '1e-6', 'Π₄');
  });
  it('NADAM-2 · μₜ = β₁(1 − ½·0.96^(tψ)) with 0.96 the double, evaluated in the test: μ₁ ≈ 0.45007 at the defaults', () => {
    const { mu, muNext } = momentumSchedule(hyper({ beta1: 0.9, momentum_decay: 0.004 }), 1);
    const at = (t: number) => exact(0.9).times(new Dec(1).minus(exact(0.96).pow(exact(0.004).times(t)).div(2)));
    expectClose(mu, at(1), 'NADAM-2', '1e-48', 'μ₁');
    expectClose(muNext, at(2), 'NADAM-2', '1e-48', 'μ₂');
    expect(mu.toNumber()).toBeCloseTo(0.45007, 5);
  });
  it('NADAM-3 · a fresh μ product is 1 (NOTE-2); Π₁ = μ₁', () => {
    expect(freshValue(NADAM, 'mu_product', {})).toBe(1);
    const out = referenceTrajectory(NADAM, { hyper: { lr: 1 }, params: [1], state: null, steps: [{ grad: [1] }] });
    expectClose((out[0].state.mu_product as Dec[])[0], momentumSchedule(hyper({ beta1: 0.9, momentum_decay: 0.004 }), 1).mu, 'NADAM-3', '1e-48');
  });
  it('NADAM-4 NADAM-5 · the first step at the defaults (lr = 1, g = 1): ≈ 1.0564517 (measured on 1.13.1)', () => {
    expectClose(firstStep(NADAM), '1.0564517', 'NADAM-5', '1e-7');
  });
  it('NADAM-6 · without the schedule, β₁ = 0.5: the first step is 1 + 0.5·0.5/(1 − 0.25) = 4/3', () => {
    expectClose(firstStep(NO_SCHEDULE, { beta1: 0.5 }), new Dec(4).div(3), 'NADAM-6', '1e-47');
    expectClose(firstStep(NO_SCHEDULE, { beta1: 0.5, momentum_decay: 1 }), new Dec(4).div(3), 'NADAM-6', '1e-47', 'momentum_decay ignored');
  });
});

describe('DEFECT-2 · torch-1.13/nadam-mu-product', () => {
  it('DEFECT-2 · the defect reproduces the single-tensor path, the canonical step the foreach path', () => {
    expectTrajectory(referenceTrajectory(TWICE, torchCase), TORCH_1_13.nadam_single, 'DEFECT-2', '1e-6');
    // the paths part by 2e-3 at step 1, far outside the float32 product's 1e-7
    expect(Math.abs(TORCH_1_13.nadam_single[0][0] - TORCH_1_13.nadam[0][0])).toBeGreaterThan(1e-3);
  });
  it('DEFECT-2 · the first step at the defaults (lr = 1, g = 1): ≈ 1.0495312 against 1.0564517 (measured on 1.13.1)', () => {
    expectClose(firstStep(TWICE), '1.0495312', 'DEFECT-2', '1e-7');
  });
});
