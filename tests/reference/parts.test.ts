/**
 * reference/parts.ts: weight decay as one part of a step. AdamW and SGDW are built here, in the
 * test, as Adam and SGD with only that part replaced, and must give the ADAMW and SGD-6 values —
 * worked by hand below, or evaluated from the clause formulas with decimal.js directly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { adamStep, adamStepFrom, canonicalAdamParts } from '../../reference/adam.ts';
import { adamwPaperStep, adamwStep } from '../../reference/adamw.ts';
import type { ElementState, ElementStep } from '../../reference/notation.ts';
import { decoupledDecay, l2Decay, scheduleScaledDecay, type WeightDecay } from '../../reference/parts.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { canonicalSgdParts, sgdDecoupledDecayStep, sgdStep, sgdStepFrom } from '../../reference/sgd.ts';
import { FC, d, expectClose, expectDec, hyper } from './helpers.ts';

/** θ after each step of an element step from a fresh state, with exact decimal gradients. */
function thetas(step: ElementStep, h: Record<string, number | boolean>, theta0: Dec, gs: Dec[], fresh: ElementState): Dec[] {
  let theta = theta0;
  let state = fresh;
  return gs.map((g, i) => {
    const r = step(theta, g, state, hyper(h), i + 1);
    theta = r.param;
    state = { ...fresh, ...r.state };
    return theta;
  });
}
const ADAM_FRESH = { exp_avg: d(0), exp_avg_sq: d(0), max_exp_avg_sq: d(0) };
const SGD_FRESH = { momentum_buffer: d(0) };

const adamWith = (decay: WeightDecay) => adamStepFrom({ ...canonicalAdamParts, decay });
const sgdWith = (decay: WeightDecay) => sgdStepFrom({ ...canonicalSgdParts, decay });

const grad = fc.tuple(fc.double({ min: 2 ** -20, max: 16, noNaN: true }), fc.boolean()).map(([x, neg]) => (neg ? -x : x));
const unit = fc.integer({ min: 0, max: 15 }).map((k) => k / 16);

/** ADAMW-1/ADAMW-2 straight from the clauses, in decimal.js: raw-gradient moments, θ − lr·λ·θ − lr·m̂/(√v̂ + ε). */
function adamwByClause(h: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number }, theta0: number, gs: number[]): Dec[] {
  const [lr, b1, b2, eps, wd] = [h.lr, h.beta1, h.beta2, h.eps, h.weight_decay].map(exact);
  let [theta, m, v] = [exact(theta0), new Dec(0), new Dec(0)];
  return gs.map((x, i) => {
    const g = exact(x);
    m = b1.times(m).plus(new Dec(1).minus(b1).times(g));
    v = b2.times(v).plus(new Dec(1).minus(b2).times(g).times(g));
    const mHat = m.div(new Dec(1).minus(b1.pow(i + 1)));
    const vHat = v.div(new Dec(1).minus(b2.pow(i + 1)));
    theta = theta.minus(lr.times(wd).times(theta)).minus(lr.times(mHat).div(vHat.sqrt().plus(eps)));
    return theta;
  });
}

describe('ADAMW-1 · AdamW is Adam with one part replaced, the decay', () => {
  // θ₀ = 2, g = 1, 1, β₁ = 0.5, β₂ = 0.75, ε = 1, lr = 0.25, λ = 0.5. The moments see g = 1:
  // m̂₁ = 0.5/0.5 = 1, v̂₁ = 0.25/0.25 = 1; m̂₂ = 0.75/0.75 = 1, v̂₂ = 0.4375/0.4375 = 1; d = 1/(1 + 1) = 0.5.
  const H = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 1, weight_decay: 0.5, amsgrad: false };

  it('ADAMW-1 · worked example: θ₁ = 2 − 0.25·0.5·2 − 0.25·0.5 = 1.625, θ₂ = 1.625 − 0.203125 − 0.125 = 1.296875', () => {
    const [t1, t2] = thetas(adamWith(decoupledDecay), H, d(2), [d(1), d(1)], ADAM_FRESH);
    expectDec(t1, 1.625, 'ADAMW-1', 'θ₁ of Adam with decoupledDecay');
    expectDec(t2, 1.296875, 'ADAMW-1', 'θ₂ of Adam with decoupledDecay');
    // the registry's adamw is that step
    const [r1, r2] = thetas(findOptimizer('adamw')!.step, H, d(2), [d(1), d(1)], ADAM_FRESH);
    expectDec(r1, 1.625, 'ADAMW-1', 'θ₁ of adamw');
    expectDec(r2, 1.296875, 'ADAMW-1', 'θ₂ of adamw');
  });

  it('ADAMW-2 · the moments of Adam with decoupledDecay are those of the raw gradient: m₁ = 0.5, v₁ = 0.25 (L2 would see g′ = 2)', () => {
    const r = adamWith(decoupledDecay)(d(2), d(1), ADAM_FRESH, hyper(H), 1);
    expectDec(r.state.exp_avg, 0.5, 'ADAMW-2', 'm₁');
    expectDec(r.state.exp_avg_sq, 0.25, 'ADAMW-2', 'v₁');
    const l2 = adamWith(l2Decay)(d(2), d(1), ADAM_FRESH, hyper(H), 1);
    expectDec(l2.state.exp_avg, 1, 'ADAMW-2', 'L2 m₁ = 0.5·(1 + 0.5·2)');
  });

  it('ADAMW-1, ADAMW-2 · Adam with decoupledDecay follows the clause formulas evaluated in decimal.js, and is the registry step (property)', () => {
    fc.assert(
      fc.property(fc.array(grad, { minLength: 1, maxLength: 4 }), unit, unit, unit, unit, (gs, lr, b1, b2, wd) => {
        const h = { lr, beta1: b1, beta2: b2, eps: 2 ** -10, weight_decay: wd };
        const gd = gs.map(exact);
        const built = thetas(adamWith(decoupledDecay), { ...h, amsgrad: false }, d(1), gd, ADAM_FRESH);
        const registry = thetas(adamwStep, { ...h, amsgrad: false }, d(1), gd, ADAM_FRESH);
        adamwByClause(h, 1, gs).forEach((x, i) => {
          expectClose(built[i], x, 'ADAMW-1', '1e-44', `θ${i + 1}`);
          expect(registry[i].eq(built[i]), `ADAMW-1: adamw θ${i + 1} is Adam with decoupledDecay`).toBe(true);
        });
      }),
      FC,
    );
  });
});

describe('ADAMW-3 · adamw/paper is Adam with the paper’s decay part', () => {
  it('ADAMW-3 · worked example, η = 0.5: θ₁ = 2 − 0.5·(0.25·0.5 + 0.5·2) = 1.4375, θ₂ = 1.4375 − 0.5·(0.125 + 0.71875) = 1.015625', () => {
    const h = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 1, weight_decay: 0.5, amsgrad: false, schedule_multiplier: 0.5 };
    for (const [name, step] of [
      ['Adam with scheduleScaledDecay', adamWith(scheduleScaledDecay)],
      ['adamw/paper', adamwPaperStep],
    ] as const) {
      const [t1, t2] = thetas(step, h, d(2), [d(1), d(1)], ADAM_FRESH);
      expectDec(t1, 1.4375, 'ADAMW-3', `θ₁ of ${name}`);
      expectDec(t2, 1.015625, 'ADAMW-3', `θ₂ of ${name}`);
    }
  });
});

describe('SGD-6 · SGDW is SGD with one part replaced, the decay', () => {
  it('SGD-6 · worked example with Nesterov: μ = 0.5, lr = 0.5, λ = 0.25, θ₀ = 2, g = 1, 1 → θ₁ = 1, θ₂ = 0 (SGD + L2: θ₁ = 0.875)', () => {
    // b₁ = 1, d₁ = 1 + 0.5·1 = 1.5, θ₁ = 2 − 0.5·0.25·2 − 0.5·1.5 = 1;
    // b₂ = 0.5·1 + 1 = 1.5, d₂ = 1 + 0.75 = 1.75, θ₂ = 1 − 0.125·1 − 0.875 = 0.
    const h = { lr: 0.5, momentum: 0.5, dampening: 0, weight_decay: 0.25, nesterov: true };
    for (const [name, step] of [
      ['SGD with decoupledDecay', sgdWith(decoupledDecay)],
      ['sgd/decoupled-decay', sgdDecoupledDecayStep],
    ] as const) {
      const [t1, t2] = thetas(step, h, d(2), [d(1), d(1)], SGD_FRESH);
      expectDec(t1, 1, 'SGD-6', `θ₁ of ${name}`);
      expectDec(t2, 0, 'SGD-6', `θ₂ of ${name}`);
    }
    // L2: g′ = 1 + 0.25·2 = 1.5 = b₁, d₁ = 1.5 + 0.75 = 2.25, θ₁ = 2 − 1.125
    expectDec(thetas(sgdStep, h, d(2), [d(1)], SGD_FRESH)[0], 0.875, 'SGD-6', 'θ₁ of sgd (L2)');
    expect(findOptimizer('sgd', 'decoupled-decay')!.step).toBe(sgdDecoupledDecayStep);
  });
});

describe('ADAM-1 · the decay part touches only what λ touches', () => {
  it('ADAM-1, ADAMW-1, ADAMW-3, SGD-2, SGD-6 · at λ = 0 (η = 1) every decay form gives the canonical step exactly (property)', () => {
    const forms = { l2Decay, decoupledDecay, scheduleScaledDecay };
    fc.assert(
      fc.property(fc.array(grad, { minLength: 1, maxLength: 4 }), unit, unit, unit, fc.boolean(), (gs, lr, b1, mu, ams) => {
        const gd = gs.map(exact);
        const ha = { lr, beta1: b1, beta2: 0.75, eps: 2 ** -10, weight_decay: 0, amsgrad: ams, schedule_multiplier: 1 };
        const hs = { lr, momentum: mu, dampening: 0, weight_decay: 0, nesterov: false, schedule_multiplier: 1 };
        const adam = thetas(adamStep, ha, d(1), gd, ADAM_FRESH);
        const sgd = thetas(sgdStep, hs, d(1), gd, SGD_FRESH);
        for (const [name, form] of Object.entries(forms)) {
          thetas(adamWith(form), ha, d(1), gd, ADAM_FRESH).forEach((x, i) =>
            expect(x.eq(adam[i]), `ADAM-1: Adam with ${name} at λ = 0, θ${i + 1} ${x} ≠ ${adam[i]}`).toBe(true),
          );
          thetas(sgdWith(form), hs, d(1), gd, SGD_FRESH).forEach((x, i) =>
            expect(x.eq(sgd[i]), `SGD-2: SGD with ${name} at λ = 0, θ${i + 1} ${x} ≠ ${sgd[i]}`).toBe(true),
          );
        }
      }),
      FC,
    );
  });
});
