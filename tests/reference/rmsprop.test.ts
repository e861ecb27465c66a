/**
 * reference/rmsprop.ts: the notes' "adaptive learning rate" — PyTorch's RMSprop (RMSPROP-1 … 6)
 * and TensorFlow's (RMSPROP-7: ε inside the root, lr inside the momentum accumulator).
 * Worked examples pick α and g so that the square average is a perfect square.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { epsInsideSqrt, epsOutsideSqrt, ewmaOfSquares } from '../../reference/parts.ts';
import { centeredVariance, rmspropStep, rmspropTensorflowStep } from '../../reference/rmsprop.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { FC, d, expectClose, expectDec, hyper } from './helpers.ts';

const RMS = findOptimizer('rmsprop')!;
const TF = findOptimizer('rmsprop', 'tensorflow')!;
const BASE = { lr: 0.5, alpha: 0.75, eps: 0, weight_decay: 0, momentum: 0, centered: false };

function run(def: typeof RMS, h: Record<string, unknown>, theta0: number, gs: number[], overrides: Record<number, Record<string, unknown>> = {}) {
  return referenceTrajectory(def, { hyper: h, params: [theta0], state: null, steps: gs.map((g, k) => ({ grad: [g], hyper: overrides[k] })) });
}
const st = (out: ReturnType<typeof run>, i: number, name: string) => (out[i].state[name] as Dec[])[0];

describe('RMSPROP-1 · the square average v ← α·v + (1−α)·g′²', () => {
  it('RMSPROP-1 · worked example: α = 0.75, g = 2, 2 → v = 0.25·4 = 1, then 0.75 + 1 = 1.75', () => {
    expectDec(ewmaOfSquares(d(0), d(2), d(0.75)), 1, 'RMSPROP-1', 'v₁');
    expectDec(ewmaOfSquares(d(1), d(2), d(0.75)), 1.75, 'RMSPROP-1', 'v₂');
    const out = run(RMS, BASE, 1, [2, -2]);
    expectDec(st(out, 0, 'square_avg'), 1, 'RMSPROP-1', 'square_avg₁');
    expectDec(st(out, 1, 'square_avg'), 1.75, 'RMSPROP-1', 'square_avg₂ (sign of g does not matter)');
  });
});

describe('RMSPROP-2 · ε outside the root: √v + ε', () => {
  it('RMSPROP-2 · worked example: v = 0.25, ε = 0.5 → 0.5 + 0.5 = 1 (inside would be √0.75)', () => {
    expectDec(epsOutsideSqrt(d(0.25), d(0.5)), 1, 'RMSPROP-2', '√0.25 + 0.5');
    expectClose(epsInsideSqrt(d(0.25), d(0.5)).pow(2), 0.75, 'RMSPROP-2', '1e-49', '(√(0.25 + 0.5))²');
  });
  it('RMSPROP-2 · in a step: α = 0.75, g = 2, ε = 1, lr = 0.5, θ = 1 → den = 1 + 1, θ = 1 − 0.5·2/2 = 0.5', () => {
    expectDec(run(RMS, { ...BASE, eps: 1 }, 1, [2])[0].params[0], 0.5, 'RMSPROP-2', 'θ₁');
  });
});

describe('RMSPROP-3 · centered: v − ḡ² under the root', () => {
  it('RMSPROP-3 · worked example: α = 0.5, g = 2 → v = 2, ḡ = 1, v − ḡ² = 1; θ = 1 − 0.5·2/1 = 0', () => {
    expectDec(centeredVariance(d(2), d(1)), 1, 'RMSPROP-3', '2 − 1²');
    const out = run(RMS, { ...BASE, alpha: 0.5, centered: true }, 1, [2, 0]);
    expectDec(st(out, 0, 'square_avg'), 2, 'RMSPROP-3', 'v₁');
    expectDec(st(out, 0, 'grad_avg'), 1, 'RMSPROP-3', 'ḡ₁');
    expectDec(out[0].params[0], 0, 'RMSPROP-3', 'θ₁');
    // step 2, g = 0: v = 1, ḡ = 0.5, v − ḡ² = 0.75; θ unchanged (g = 0)
    expectDec(st(out, 1, 'square_avg'), 1, 'RMSPROP-3', 'v₂');
    expectDec(st(out, 1, 'grad_avg'), 0.5, 'RMSPROP-3', 'ḡ₂');
    expectDec(out[1].params[0], 0, 'RMSPROP-3', 'θ₂');
  });
  it('RMSPROP-3 · two steps of a constant gradient: v − ḡ² = 3 − 1.5² = 0.75 under the root', () => {
    // α = 0.5, g = 2: v₁ = 2, ḡ₁ = 1, v₁ − ḡ₁² = 1; g = 2 again: v₂ = 1 + 2 = 3, ḡ₂ = 1.5,
    // v₂ − ḡ₂² = 0.75. With ε = 0.5 outside: den₂ = √0.75 + 0.5.
    const out = run(RMS, { ...BASE, alpha: 0.5, centered: true, eps: 0.5, lr: 1 }, 0, [2, 2]);
    const den = new Dec(0.75).sqrt().plus(0.5);
    // θ₁ = −2/(√1 + 0.5) = −4/3; θ₂ = θ₁ − 2/den
    expectClose(out[0].params[0], new Dec(-4).div(3), 'RMSPROP-3', '1e-48', 'θ₁');
    expectClose(out[1].params[0], new Dec(-4).div(3).minus(new Dec(2).div(den)), 'RMSPROP-3', '1e-48', 'θ₂');
  });
});

describe('RMSPROP-4 · the update without momentum θ ← θ − lr·g′/(√v + ε)', () => {
  it('RMSPROP-4 · worked example: α = 0.75, g = 2, ε = 0, lr = 0.5, θ = 1 → v = 1, θ = 1 − 0.5·2 = 0', () => {
    const out = run(RMS, BASE, 1, [2]);
    expectDec(out[0].params[0], 0, 'RMSPROP-4', 'θ₁');
    expect(Object.keys(out[0].state).sort(), 'RMSPROP-4: no momentum_buffer without momentum').toEqual(['square_avg', 'step']);
  });
  it('RMSPROP-4 · the registry defaults: lr 0.01, α 0.99, ε 1e-8 (PyTorch)', () => {
    // α = 0.99: v₁ = (1 − α)·g² with g = 1; θ₁ = −0.01·1/(√v₁ + 1e-8). Check against the formula
    // with the binary values of the defaults.
    const out = run(RMS, {}, 0, [1]);
    const v = d(1).minus(d(0.99));
    expectClose(st(out, 0, 'square_avg'), v, 'RMSPROP-4', '1e-49', 'v₁ = 1 − 0.99');
    expectClose(
      out[0].params[0],
      d(0.01)
        .neg()
        .div(v.sqrt().plus(d(1e-8))),
      'RMSPROP-4',
      '1e-48',
      'θ₁',
    );
  });
});

describe('RMSPROP-5 · momentum on the normalised step: b ← μ·b + g′/den, θ ← θ − lr·b', () => {
  it('RMSPROP-5 · worked example: α = 0.75, μ = 0.5, lr = 0.5, g = 2, 0 → b = 2, 1; θ = 0, −0.5', () => {
    // step 1: v = 1, g/den = 2, b = 2, θ = 1 − 0.5·2 = 0
    // step 2: v = 0.75, g/den = 0, b = 0.5·2 = 1, θ = 0 − 0.5·1 = −0.5
    const out = run(RMS, { ...BASE, momentum: 0.5 }, 1, [2, 0]);
    expectDec(st(out, 0, 'momentum_buffer'), 2, 'RMSPROP-5', 'b₁');
    expectDec(st(out, 1, 'momentum_buffer'), 1, 'RMSPROP-5', 'b₂');
    expectDec(out[0].params[0], 0, 'RMSPROP-5', 'θ₁');
    expectDec(out[1].params[0], -0.5, 'RMSPROP-5', 'θ₂');
    expectDec(st(out, 1, 'square_avg'), 0.75, 'RMSPROP-5', 'v₂');
  });
});

describe('RMSPROP-6 · L2 weight decay in the gradient', () => {
  it('RMSPROP-6 · worked example: θ = 2, g = 1, λ = 0.5 → g′ = 2; α = 0.75 → v = 1; θ = 2 − 0.5·2 = 1', () => {
    const out = run(RMS, { ...BASE, weight_decay: 0.5 }, 2, [1]);
    expectDec(st(out, 0, 'square_avg'), 1, 'RMSPROP-6', 'v₁ from g′ (not from g: 0.25)');
    expectDec(out[0].params[0], 1, 'RMSPROP-6', 'θ₁');
  });
  it.each([
    [{ lr: -0.5 }, 'lr must be ≥ 0'],
    [{ alpha: 1 }, 'alpha must be in [0, 1)'],
    [{ eps: -1e-8 }, 'eps must be ≥ 0'],
    [{ weight_decay: -1 }, 'weight_decay must be ≥ 0'],
    [{ momentum: 1 }, 'momentum must be in [0, 1)'],
  ])('RMSPROP-6 · invalid %j → "%s"', (h, msg) => {
    expect(RMS.invalid(hyper({ ...BASE, ...h }))).toBe(msg);
    expect(() => run(RMS, { ...BASE, ...h }, 0, [1])).toThrow(`steps[0]: ${msg}`);
  });
  it('RMSPROP-6 · state names follow the flags', () => {
    expect(RMS.invalid(hyper(BASE))).toBeUndefined();
    expect(RMS.stateNames(hyper(BASE))).toEqual(['square_avg']);
    expect(RMS.stateNames(hyper({ ...BASE, momentum: 0.5, centered: true }))).toEqual(['square_avg', 'momentum_buffer', 'grad_avg']);
    expect(RMS.clauses).toEqual(['RMSPROP-1', 'RMSPROP-2', 'RMSPROP-3', 'RMSPROP-4', 'RMSPROP-5', 'RMSPROP-6']);
  });
});

describe('RMSPROP-7 · rmsprop/tensorflow: ε inside the root, lr inside the accumulator', () => {
  it('RMSPROP-7 · worked example: v = 1, ε = 3 → TF den √4 = 2, PyTorch den 1 + 3 = 4', () => {
    // α = 0.75, g = 2, lr = 0.5, θ = 1: TF θ = 1 − 0.5·2/2 = 0.5; PyTorch θ = 1 − 0.5·2/4 = 0.75
    expectDec(run(TF, { ...BASE, eps: 3 }, 1, [2])[0].params[0], 0.5, 'RMSPROP-7', 'TF θ₁');
    expectDec(run(RMS, { ...BASE, eps: 3 }, 1, [2])[0].params[0], 0.75, 'RMSPROP-7', 'PyTorch θ₁');
    expectDec(epsInsideSqrt(d(1), d(3)), 2, 'RMSPROP-7', '√(1 + 3)');
  });
  it('RMSPROP-7 · the accumulator keeps the old lr: μ = 0.5, g = 2, 0, lr 1 then 0.5 → TF θ₂ = −3, PyTorch −2.5', () => {
    // step 1 (lr = 1): v = 1, g/den = 2.  PyTorch b = 2, θ = −2.   TF mom = 1·2 = 2, θ = −2.
    // step 2 (lr = 0.5): g = 0.         PyTorch b = 1, θ = −2 − 0.5·1 = −2.5.  TF mom = 0.5·2 + 0 = 1, θ = −3.
    const h = { ...BASE, lr: 1, momentum: 0.5 };
    const over = { 1: { lr: 0.5 } };
    const tf = run(TF, h, 0, [2, 0], over);
    const pt = run(RMS, h, 0, [2, 0], over);
    expectDec(tf[0].params[0], -2, 'RMSPROP-7', 'TF θ₁');
    expectDec(pt[0].params[0], -2, 'RMSPROP-7', 'PyTorch θ₁');
    expectDec(tf[1].params[0], -3, 'RMSPROP-7', 'TF θ₂');
    expectDec(pt[1].params[0], -2.5, 'RMSPROP-7', 'PyTorch θ₂');
    expectDec(st(tf, 1, 'momentum_buffer'), 1, 'RMSPROP-7', 'TF mom₂');
  });
  it('RMSPROP-7 · centered TF: √(v − ḡ² + ε); α = 0.5, g = 2, ε = 3 → √(2 − 1 + 3) = 2', () => {
    // θ = 1 − 0.5·2/2 = 0.5; without momentum the step is θ − lr·g′/den
    const r = rmspropTensorflowStep(d(1), d(2), { square_avg: d(0), grad_avg: d(0) }, hyper({ ...BASE, alpha: 0.5, centered: true, eps: 3 }), 1);
    expectDec(r.param, 0.5, 'RMSPROP-7', 'θ₁');
    expect(r.state.momentum_buffer, 'RMSPROP-7: no accumulator at μ = 0').toBeUndefined();
  });
  it('RMSPROP-7 · at ε = 0 and constant lr it equals PyTorch (property)', () => {
    const g = fc.double({ min: 0.01, max: 8, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(g, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 15 }).map((k) => k / 16),
        fc.integer({ min: 1, max: 15 }).map((k) => k / 16),
        fc.boolean(),
        (gs, mu, alpha, centered) => {
          // centered with a first step keeps v − ḡ² = α(1−α)g² > 0, so the root is real
          const h = { ...BASE, momentum: mu, alpha, centered };
          const a = run(TF, h, 1, gs).map((s) => s.params[0]);
          const b = run(RMS, h, 1, gs).map((s) => s.params[0]);
          a.forEach((x, i) => expectClose(x, b[i], 'RMSPROP-7', '1e-40', `θ${i + 1}`));
        },
      ),
      FC,
    );
    expect(TF.clauses).toEqual(['RMSPROP-7']);
    expect(rmspropStep).toBe(RMS.step);
  });
});
