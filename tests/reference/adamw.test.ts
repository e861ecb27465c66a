/**
 * reference/adamw.ts: AdamW — the decay taken out of the gradient (ADAMW-2) and applied to the
 * weights, scaled by the learning rate as PyTorch, optax and Keras do (ADAMW-1), or by the
 * schedule multiplier only as in the AdamW paper's Algorithm 2 (ADAMW-3).
 * Running example: θ₀ = 1, g = 0.5, β₁ = 0.5, β₂ = 0.75, lr = 0.25, ε = 0, λ = 0.5, so the Adam
 * direction is m̂/√v̂ = 0.5/0.5 = 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { adamStep } from '../../reference/adam.ts';
import { adamwPaperStep, adamwStep } from '../../reference/adamw.ts';
import { decoupledDecay, scheduleScaledDecay } from '../../reference/parts.ts';
import { findOptimizer, variantsOf } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { FC, d, expectClose, expectDec, hyper } from './helpers.ts';

const ADAMW = findOptimizer('adamw')!;
const PAPER = findOptimizer('adamw', 'paper')!;
const ADAM = findOptimizer('adam')!;
const H = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 0, weight_decay: 0.5, amsgrad: false };

function run(def: typeof ADAM, h: Record<string, unknown>, theta0: number, gs: number[]) {
  return referenceTrajectory(def, { hyper: h, params: [theta0], state: null, steps: gs.map((g) => ({ grad: [g] })) });
}

const grad = fc.tuple(fc.double({ min: 2 ** -20, max: 16, noNaN: true }), fc.boolean()).map(([x, neg]) => (neg ? -x : x));
const unit = fc.integer({ min: 0, max: 15 }).map((k) => k / 16);

describe('ADAMW-1 · θ ← θ − lr·λ·θ − lr·d', () => {
  it('ADAMW-1 · worked example: 1 − 0.25·0.5·1 − 0.25·1 = 0.625 (Adam + L2 gives 0.75)', () => {
    expectDec(decoupledDecay.apply(d(1), d(1), hyper(H)), 0.625, 'ADAMW-1', 'apply');
    expectDec(run(ADAMW, H, 1, [0.5])[0].params[0], 0.625, 'ADAMW-1', 'θ₁');
    expectDec(run(ADAM, H, 1, [0.5])[0].params[0], 0.75, 'ADAMW-1', 'Adam + L2 θ₁');
  });
  it('ADAMW-1 · the decay uses the current lr (a schedule override) and the current θ', () => {
    // step 2 with lr = 0.125: θ₁ = 0.625, direction 1 again (constant g): 0.625 − 0.125·0.5·0.625 − 0.125 = 0.4609375
    const out = referenceTrajectory(ADAMW, { hyper: H, params: [1], state: null, steps: [{ grad: [0.5] }, { grad: [0.5], hyper: { lr: 0.125 } }] });
    expectClose(out[1].params[0], 0.4609375, 'ADAMW-1', '1e-48', 'θ₂');
  });
  it('ADAMW-1 · decay 0 is Adam (property)', () => {
    fc.assert(
      fc.property(
        fc.array(grad, { minLength: 1, maxLength: 5 }),
        unit,
        unit,
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.boolean(),
        (gs, lr, b1, b2, ams) => {
          const h = { ...H, lr, beta1: b1, beta2: b2, weight_decay: 0, amsgrad: ams };
          const a = run(ADAMW, h, 1, gs);
          const b = run(ADAM, h, 1, gs);
          // Equal up to the 50-digit context: Adam's g + 0·θ rounds a long binary g to 50 digits, AdamW's raw g does not.
          a.forEach((s, i) => expectClose(s.params[0], b[i].params[0], 'ADAMW-1', '1e-45', `θ${i + 1} at λ = 0`));
        },
      ),
      FC,
    );
  });
  it('ADAMW-1 · the PyTorch default λ = 0.01 at its binary value', () => {
    // 0.01 = 0x1.47ae147ae147bp-7 = 0.01000000000000000020816681711721685132943093776702880859375
    const def = ADAMW.hyper.find((s) => s.name === 'weight_decay');
    expect(def?.default).toBe(0.01);
    // lr = 1, g = 0.5 (direction 1): θ₁ = 1 − 0.01·1 − 1 = −(binary 0.01); its 57 significant digits
    // 1000000000000000020816681711721685132943093776702|880859375 round half-even to 50: …776703.
    const out = run(ADAMW, { lr: 1, beta1: 0.5, beta2: 0.75, eps: 0 }, 1, [0.5]);
    expectDec(out[0].params[0], '-0.01000000000000000020816681711721685132943093776703', 'ADAMW-1', 'θ₁');
    expect(adamwStep).toBe(ADAMW.step);
  });
});

describe('ADAMW-2 · the moments see the raw gradient', () => {
  it('ADAMW-2 · worked example: m₁ = 0.25, v₁ = 0.0625 whatever λ (Adam + L2: g′ = 1 → 0.5, 0.25)', () => {
    const w = run(ADAMW, H, 1, [0.5]);
    expectDec((w[0].state.exp_avg as Dec[])[0], 0.25, 'ADAMW-2', 'exp_avg₁');
    expectDec((w[0].state.exp_avg_sq as Dec[])[0], 0.0625, 'ADAMW-2', 'exp_avg_sq₁');
    const l2 = run(ADAM, H, 1, [0.5]);
    expectDec((l2[0].state.exp_avg as Dec[])[0], 0.5, 'ADAMW-2', 'L2 exp_avg₁');
    expectDec((l2[0].state.exp_avg_sq as Dec[])[0], 0.25, 'ADAMW-2', 'L2 exp_avg_sq₁');
  });
  it('ADAMW-2 · a zero gradient: only the decay moves θ (ε > 0 keeps 0/0 away)', () => {
    // m = v = 0, direction 0/(0 + ε) = 0; θ = 2 − 0.25·0.5·2 = 1.75
    const out = run(ADAMW, { ...H, eps: 1e-8 }, 2, [0]);
    expectDec(out[0].params[0], 1.75, 'ADAMW-2', 'θ₁');
    expect(variantsOf('adamw').map((o) => o.name)).toEqual(['adamw/paper', 'adamw/l2-coupled']);
    expect(ADAMW.clauses).toEqual(['ADAMW-1', 'ADAMW-2']);
  });
});

describe('ADAMW-3 · adamw/paper: θ ← θ − η·(α·d + λ·θ)', () => {
  it('ADAMW-3 · worked example: η = 1 → 1 − (0.25·1 + 0.5·1) = 0.25 (λ not scaled by α); ADAMW-1 gives 0.625', () => {
    expectDec(scheduleScaledDecay.apply(d(1), d(1), hyper({ ...H, schedule_multiplier: 1 })), 0.25, 'ADAMW-3', 'apply');
    expectDec(run(PAPER, H, 1, [0.5])[0].params[0], 0.25, 'ADAMW-3', 'θ₁ with the default η = 1');
    // η = 0.5: 1 − 0.5·(0.25 + 0.5) = 0.625
    expectDec(run(PAPER, { ...H, schedule_multiplier: 0.5 }, 1, [0.5])[0].params[0], 0.625, 'ADAMW-3', 'θ₁ with η = 0.5');
    expect(PAPER.clauses).toEqual(['ADAMW-3']);
    expect(PAPER.step).toBe(adamwPaperStep);
    expect(PAPER.hyper.find((s) => s.name === 'schedule_multiplier')?.default).toBe(1);
  });
  it('ADAMW-3 · with η = 1 and λ_paper = lr·λ it is PyTorch AdamW (property)', () => {
    fc.assert(
      fc.property(fc.array(grad, { minLength: 1, maxLength: 5 }), unit, unit, (gs, lr, wd) => {
        const torch = run(ADAMW, { ...H, lr, weight_decay: wd }, 1, gs);
        // lr·λ of two sixteenths is exact in binary (k·j/256)
        const paper = run(PAPER, { ...H, lr, weight_decay: lr * wd, schedule_multiplier: 1 }, 1, gs);
        torch.forEach((s, i) => expectClose(paper[i].params[0], s.params[0], 'ADAMW-3', '1e-45', `θ${i + 1}`));
      }),
      FC,
    );
  });
  it('ADAMW-3 · the moments are those of the raw gradient too', () => {
    const r = adamwPaperStep(d(1), d(0.5), { exp_avg: d(0), exp_avg_sq: d(0) }, hyper({ ...H, schedule_multiplier: 1 }), 1);
    expectDec(r.state.exp_avg, 0.25, 'ADAMW-3', 'exp_avg₁');
    // and Adam's own step is untouched by the schedule multiplier
    const a = adamStep(d(1), d(0.5), { exp_avg: d(0), exp_avg_sq: d(0) }, hyper({ ...H, weight_decay: 0 }), 1);
    expectDec(a.param, 0.75, 'ADAMW-3', 'Adam θ₁');
    expect(exact(0.25).eq(0.25)).toBe(true);
  });
});
