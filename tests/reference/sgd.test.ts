/**
 * reference/sgd.ts: plain SGD (SGD-1), L2 (SGD-2), PyTorch's momentum buffer (SGD-3), Nesterov
 * (SGD-4) and the named variants sgd/lerp-momentum (SGD-5), sgd/decoupled-decay (SGD-6) and
 * sgd/lr-in-buffer (SGD-7). Worked examples use dyadic values, so every intermediate is exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { findOptimizer, variantsOf } from '../../reference/registry.ts';
import { decoupledDecay, descend, l2Gradient } from '../../reference/parts.ts';
import {
  lerpMomentumBuffer,
  nesterovDirection,
  sgdDecoupledDecayStep,
  sgdLerpMomentumStep,
  sgdLrInBufferStep,
  sgdStep,
  torchMomentumBuffer,
} from '../../reference/sgd.ts';
import { referenceTrajectory, type CaseInput } from '../../reference/trajectory.ts';
import { FC, d, expectClose, expectDec, hyper } from './helpers.ts';

const SGD = findOptimizer('sgd')!;
const LERP = findOptimizer('sgd', 'lerp-momentum')!;
const SGDW = findOptimizer('sgd', 'decoupled-decay')!;
const LR_IN = findOptimizer('sgd', 'lr-in-buffer')!;

/** The parameter trajectory of a one-element case with gradients gs. */
function run(def: typeof SGD, h: Record<string, unknown>, theta0: number, gs: number[], overrides: Record<number, Record<string, unknown>> = {}) {
  const input: CaseInput = { hyper: h, params: [theta0], state: null, steps: gs.map((g, k) => ({ grad: [g], hyper: overrides[k] })) };
  return referenceTrajectory(def, input);
}
const params = (out: ReturnType<typeof run>) => out.map((s) => s.params[0]);

const dyadic = fc.integer({ min: -64, max: 64 }).map((k) => k / 16);
const unit = fc.integer({ min: 0, max: 15 }).map((k) => k / 16);
const gradSeq = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 5 });

describe('SGD-1 · plain SGD θ ← θ − lr·g', () => {
  it('SGD-1 · worked example: θ = 1, lr = 0.25, g = 0.5 → 1 − 0.125 = 0.875', () => {
    expectDec(descend(d(1), d(0.25), d(0.5)), 0.875, 'SGD-1', 'descend');
    const out = run(SGD, { lr: 0.25 }, 1, [0.5, -3]);
    // step 2: 0.875 − 0.25·(−3) = 1.625
    expectDec(out[0].params[0], 0.875, 'SGD-1', 'θ₁');
    expectDec(out[1].params[0], 1.625, 'SGD-1', 'θ₂');
    expect(Object.keys(out[1].state), 'SGD-1: no momentum buffer without momentum').toEqual(['step']);
  });
  it('SGD-1 · lr = 0.1 is used at its binary value, then the difference is rounded to 50 digits', () => {
    // lr = 0.1 = 0x1.999999999999ap-4 = 0.1000000000000000055511151231257827021181583404541015625
    // 1 − lr·1 = 0.8999999999999999944488848768742172978818416595458984375 (55 digits);
    // to 50 digits, half-even: …95458|984375 → …9545898|4 → 0.8999999999999999944488848768742172978818416595459
    const out = run(SGD, { lr: 0.1 }, 1, [1]);
    expectDec(out[0].params[0], '0.8999999999999999944488848768742172978818416595459', 'SGD-1', 'θ₁ with lr = 0.1');
    expect(out[0].params[0].eq('0.9'), 'SGD-1: θ₁ must not be the decimal 0.9').toBe(false);
  });
  it('SGD-1 · the registry entry', () => {
    expect(SGD.clauses).toEqual(['SGD-1', 'SGD-2', 'SGD-3', 'SGD-4']);
    expect(() => run(SGD, {}, 1, [1]), 'SGD-1: lr has no default (PyTorch 1.13: required)').toThrow(/hyperparameter lr is required/);
  });
});

describe('SGD-2 · L2 weight decay g′ = g + λ·θ', () => {
  it('SGD-2 · worked example: θ = 2, g = 0.5, λ = 0.25, lr = 0.5 → g′ = 1, θ = 1.5', () => {
    expectDec(l2Gradient(d(0.5), d(2), d(0.25)), 1, 'SGD-2', 'g′ = 0.5 + 0.25·2');
    expectDec(params(run(SGD, { lr: 0.5, weight_decay: 0.25 }, 2, [0.5]))[0], 1.5, 'SGD-2', 'θ₁ = 2 − 0.5·1');
  });
  it('SGD-2/SGD-6 · L2 equals lr-scaled decoupled decay when momentum is 0 (property)', () => {
    // θ − lr(g + λθ) = θ − lr·λ·θ − lr·g, term by term.
    fc.assert(
      fc.property(dyadic, unit, unit, gradSeq, (theta, lr, wd, gs) => {
        const a = params(run(SGD, { lr, weight_decay: wd }, theta, gs));
        const b = params(run(SGDW, { lr, weight_decay: wd }, theta, gs));
        a.forEach((x, i) => expectClose(x, b[i], 'SGD-2', '1e-45', `step ${i + 1}: L2 vs decoupled at momentum 0`));
      }),
      FC,
    );
  });
  it('SGD-2/SGD-6 · with momentum they part after step 2: 0.4375 (L2) against 0.5625 (decoupled)', () => {
    // θ₀ = 1, g = 0, 0, μ = 0.5, λ = 0.5, lr = 0.5.
    // L2:        g′₁ = 0.5, b₁ = 0.5, θ₁ = 1 − 0.25 = 0.75;
    //            g′₂ = 0.375, b₂ = 0.25 + 0.375 = 0.625, θ₂ = 0.75 − 0.3125 = 0.4375
    // decoupled: b₁ = 0, θ₁ = 1 − 0.25·1 = 0.75;  b₂ = 0, θ₂ = 0.75 − 0.25·0.75 = 0.5625
    const h = { lr: 0.5, weight_decay: 0.5, momentum: 0.5 };
    const l2 = run(SGD, h, 1, [0, 0]);
    const dd = run(SGDW, h, 1, [0, 0]);
    expectDec(l2[0].params[0], 0.75, 'SGD-2', 'L2 θ₁');
    expectDec(dd[0].params[0], 0.75, 'SGD-6', 'decoupled θ₁');
    expectDec(l2[1].params[0], 0.4375, 'SGD-2', 'L2 θ₂');
    expectDec(dd[1].params[0], 0.5625, 'SGD-6', 'decoupled θ₂');
    expectDec((l2[1].state.momentum_buffer as Dec[])[0], 0.625, 'SGD-2', 'L2 b₂ (the decay enters the buffer)');
    expectDec((dd[1].state.momentum_buffer as Dec[])[0], 0, 'SGD-6', 'decoupled b₂ (the decay stays out)');
  });
});

describe('SGD-3 · PyTorch momentum buffer', () => {
  it('SGD-3 · worked example: μ = 0.5, τ = 0.5, lr = 1, g = 1, 1, 2 → b = 1, 1, 1.5; θ = −1, −2, −3.5', () => {
    // b₁ = g₁ = 1 (no dampening on the first step); b₂ = 0.5·1 + 0.5·1 = 1; b₃ = 0.5·1 + 0.5·2 = 1.5
    const out = run(SGD, { lr: 1, momentum: 0.5, dampening: 0.5 }, 0, [1, 1, 2]);
    [1, 1, 1.5].forEach((b, i) => expectDec((out[i].state.momentum_buffer as Dec[])[0], b, 'SGD-3', `b${i + 1}`));
    [-1, -2, -3.5].forEach((t, i) => expectDec(out[i].params[0], t, 'SGD-3', `θ${i + 1}`));
  });
  it('SGD-3 · worked example without dampening: μ = 0.5, g = 1, 1, 2 → b = 1, 1.5, 2.75', () => {
    const out = run(SGD, { lr: 0.5, momentum: 0.5 }, 0, [1, 1, 2]);
    [1, 1.5, 2.75].forEach((b, i) => expectDec((out[i].state.momentum_buffer as Dec[])[0], b, 'SGD-3', `b${i + 1}`));
    // θ = −0.5, −1.25, −2.625
    [-0.5, -1.25, -2.625].forEach((t, i) => expectDec(out[i].params[0], t, 'SGD-3', `θ${i + 1}`));
  });
  it('SGD-3 · the first step ignores the incoming buffer and the dampening', () => {
    expectDec(torchMomentumBuffer(d(123), d(0.5), d(0.9), d(0.5), 1), 0.5, 'SGD-3', 'b₁ = g');
    expectDec(torchMomentumBuffer(d(2), d(0.5), d(0.5), d(0.5), 2), 1.25, 'SGD-3', 'b₂ = 0.5·2 + 0.5·0.5');
  });
  it('SGD-3 · momentum β = 0 is plain SGD (property)', () => {
    // With μ = 0 and τ = 0 the buffer is the gradient, so θₜ = θₜ₋₁ − lr·(gₜ + λθₜ₋₁): computed here
    // with Dec arithmetic from the formula, not with the code under test.
    fc.assert(
      fc.property(dyadic, unit, unit, gradSeq, fc.integer({ min: 1, max: 9 }), (theta, lr, wd, gs, t) => {
        let want = exact(theta);
        const out = params(run(SGD, { lr, weight_decay: wd, momentum: 0 }, theta, gs));
        gs.forEach((g, i) => {
          want = want.minus(exact(lr).times(exact(g).plus(exact(wd).times(want))));
          expectClose(out[i], want, 'SGD-3', '1e-45', `θ${i + 1} at μ = 0`);
        });
        // and the buffer rule itself: μ = 0, τ = 0 gives b = g whatever the old buffer
        const g = exact(gs[0]);
        expectClose(torchMomentumBuffer(exact(theta), g, d(0), d(0), t), g, 'SGD-3', '1e-45', 'buffer at μ = 0');
      }),
      FC,
    );
  });
});

describe('SGD-4 · Nesterov d = g′ + μ·bₜ', () => {
  it('SGD-4 · worked example: μ = 0.5, lr = 1, g = 1, 1 → d = 1.5, 1.75; θ = −1.5, −3.25', () => {
    // b₁ = 1, d₁ = 1 + 0.5·1 = 1.5;  b₂ = 0.5 + 1 = 1.5, d₂ = 1 + 0.75 = 1.75
    expectDec(nesterovDirection(d(1), d(1.5), d(0.5)), 1.75, 'SGD-4', 'd₂');
    const out = run(SGD, { lr: 1, momentum: 0.5, nesterov: true }, 0, [1, 1]);
    expectDec(out[0].params[0], -1.5, 'SGD-4', 'θ₁');
    expectDec(out[1].params[0], -3.25, 'SGD-4', 'θ₂');
    expectDec((out[1].state.momentum_buffer as Dec[])[0], 1.5, 'SGD-4', 'b₂ (the buffer itself is not Nesterov)');
  });
  it('SGD-4 · needs momentum > 0 and dampening = 0', () => {
    expect(() => run(SGD, { lr: 1, nesterov: true }, 0, [1])).toThrow('steps[0]: nesterov needs momentum > 0 and dampening = 0');
    expect(() => run(SGD, { lr: 1, momentum: 0.5, dampening: 0.5, nesterov: true }, 0, [1])).toThrow(/nesterov needs/);
  });
});

describe('SGD-5 · sgd/lerp-momentum: bₜ = β·bₜ₋₁ + (1−β)·g′ from b₀ = 0', () => {
  it("SGD-5 · worked example: β = 0.5, lr = 1, g = 1, 1 → b = 0.5, 0.75; θ = −0.5, −1.25 (PyTorch's b₁ would be 1)", () => {
    expectDec(lerpMomentumBuffer(d(0), d(1), d(0.5)), 0.5, 'SGD-5', 'b₁');
    const out = run(LERP, { lr: 1, momentum: 0.5 }, 0, [1, 1]);
    expectDec((out[0].state.momentum_buffer as Dec[])[0], 0.5, 'SGD-5', 'b₁');
    expectDec((out[1].state.momentum_buffer as Dec[])[0], 0.75, 'SGD-5', 'b₂');
    expectDec(out[0].params[0], -0.5, 'SGD-5', 'θ₁');
    expectDec(out[1].params[0], -1.25, 'SGD-5', 'θ₂');
  });
  it("SGD-5 · the spreadsheet's β = 0.9: b₁ = 0.1·g, with 1 − 0.9 at its binary value", () => {
    // 1 − 0x1.ccccccccccccdp-1 = 0.09999999999999997779553950749686919152736663818359375 → 50 digits
    // 0.099999999999999977795539507496869191527366638183594; times g = 2 gives 51 digits
    // 0.199999999999999955591079014993738383054733276367188 → 50: …27636719 (not 0.2).
    const r = sgdLerpMomentumStep(d(0), d(2), { momentum_buffer: d(0) }, hyper({ lr: 1, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false }), 1);
    expectDec(r.state.momentum_buffer, '0.19999999999999995559107901499373838305473327636719', 'SGD-5', 'b₁ = 2·(1 − 0.9)');
  });
  it('SGD-5 · is the PyTorch buffer with dampening τ = μ after the first step (property)', () => {
    fc.assert(
      fc.property(unit, gradSeq, (mu, gs) => {
        fc.pre(mu > 0);
        const lerp = run(LERP, { lr: 0.5, momentum: mu }, 0, gs);
        // PyTorch's buffer with τ = μ from step 2 equals the lerp buffer once both hold (1−μ)·g₁.
        let b = exact(1 - mu).times(exact(gs[0]));
        expectClose((lerp[0].state.momentum_buffer as Dec[])[0], b, 'SGD-5', '1e-45', 'b₁');
        for (let i = 1; i < gs.length; i += 1) {
          b = torchMomentumBuffer(b, exact(gs[i]), exact(mu), exact(mu), i + 1);
          expectClose((lerp[i].state.momentum_buffer as Dec[])[0], b, 'SGD-5', '1e-45', `b${i + 1}`);
        }
      }),
      FC,
    );
  });
});

describe('SGD-6 · sgd/decoupled-decay: θ ← θ − lr·λ·θ − lr·d', () => {
  it('SGD-6 · worked example: θ = 2, g = 0.5, λ = 0.25, lr = 0.5 → 2 − 0.25 − 0.25 = 1.5', () => {
    expectDec(decoupledDecay.apply(d(2), d(0), hyper({ lr: 0.5, weight_decay: 0.25 })), 1.75, 'SGD-6', 'θ − lr·λ·θ − lr·0');
    const r = sgdDecoupledDecayStep(d(2), d(0.5), {}, hyper({ lr: 0.5, momentum: 0, dampening: 0, weight_decay: 0.25, nesterov: false }), 1);
    expectDec(r.param, 1.5, 'SGD-6', 'θ₁');
    // the step uses the buffer: with μ = 0.5, g = 1, 1: b = 1, 1.5; θ₀ = 2 → θ₁ = 2 − 0.25 − 0.5 = 1.25,
    // θ₂ = 1.25 − 0.15625 − 0.75 = 0.34375
    const out = run(SGDW, { lr: 0.5, momentum: 0.5, weight_decay: 0.25 }, 2, [1, 1]);
    expectDec(out[0].params[0], 1.25, 'SGD-6', 'θ₁ with momentum');
    expectDec(out[1].params[0], 0.34375, 'SGD-6', 'θ₂ with momentum');
  });
});

describe('SGD-7 · sgd/lr-in-buffer: vₜ = μ·vₜ₋₁ − lr·g′, θ ← θ + vₜ', () => {
  it('SGD-7 · equals sgd while lr is constant, and differs once lr changes (NOTE-3 schedule)', () => {
    // μ = 0.5, θ₀ = 0, g = 1, 1; step 1 lr = 1; step 2 lr = 0.5 (a per-step override):
    // sgd:          b₁ = 1, θ₁ = −1;  b₂ = 0.5 + 1 = 1.5, θ₂ = −1 − 0.5·1.5 = −1.75
    // lr-in-buffer: v₁ = −1, θ₁ = −1; v₂ = 0.5·(−1) − 0.5·1 = −1, θ₂ = −2
    const h = { lr: 1, momentum: 0.5 };
    const over = { 1: { lr: 0.5 } };
    const a = run(SGD, h, 0, [1, 1], over);
    const b = run(LR_IN, h, 0, [1, 1], over);
    expectDec(a[0].params[0], -1, 'SGD-7', 'sgd θ₁');
    expectDec(b[0].params[0], -1, 'SGD-7', 'lr-in-buffer θ₁');
    expectDec(a[1].params[0], -1.75, 'SGD-7', 'sgd θ₂ after the lr change');
    expectDec(b[1].params[0], -2, 'SGD-7', 'lr-in-buffer θ₂ after the lr change');
    expectDec((b[1].state.momentum_buffer as Dec[])[0], -1, 'SGD-7', 'v₂');
    // with lr held at 1 they agree: v₂ = −1.5, θ₂ = −2.5
    expectDec(run(LR_IN, h, 0, [1, 1])[1].params[0], -2.5, 'SGD-7', 'lr-in-buffer θ₂ at constant lr');
    expectDec(run(SGD, h, 0, [1, 1])[1].params[0], -2.5, 'SGD-7', 'sgd θ₂ at constant lr');
  });
  it('SGD-7 · at constant lr it equals sgd, with dampening, L2 and Nesterov (property)', () => {
    fc.assert(
      fc.property(dyadic, unit, unit, unit, unit, fc.boolean(), gradSeq, (theta, lr, mu, tau, wd, nesterov, gs) => {
        const h = { lr, momentum: mu, dampening: nesterov ? 0 : tau, weight_decay: wd, nesterov: nesterov && mu > 0 };
        const a = params(run(SGD, h, theta, gs));
        const b = params(run(LR_IN, h, theta, gs));
        a.forEach((x, i) => expectClose(b[i], x, 'SGD-7', '1e-44', `θ${i + 1}`));
      }),
      FC,
    );
  });
  it('SGD-7 · Nesterov: θ ← θ + μ·vₜ − lr·g′; worked example μ = 0.5, lr = 1, g = 1 → θ₁ = −0.5 − 1 = −1.5', () => {
    const r = sgdLrInBufferStep(d(0), d(1), { momentum_buffer: d(0) }, hyper({ lr: 1, momentum: 0.5, dampening: 0, weight_decay: 0, nesterov: true }), 1);
    expectDec(r.param, -1.5, 'SGD-7', 'θ₁');
    expectDec(r.state.momentum_buffer, -1, 'SGD-7', 'v₁');
    // without momentum: plain θ − lr·(g + λθ) = 1 − 0.5·(1 + 0.5) = 0.25
    const p = sgdLrInBufferStep(d(1), d(1), {}, hyper({ lr: 0.5, momentum: 0, dampening: 0, weight_decay: 0.5, nesterov: false }), 1);
    expectDec(p.param, 0.25, 'SGD-7', 'θ₁ at μ = 0');
    expect(p.state).toEqual({});
  });
});

describe('SGD-3 · registry: hyperparameters, state names and the variants', () => {
  it('SGD-3 · momentum_buffer exists only with momentum; the four SGD entries', () => {
    expect(SGD.stateNames(hyper({ lr: 1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }))).toEqual([]);
    expect(SGD.stateNames(hyper({ lr: 1, momentum: 0.5, dampening: 0, weight_decay: 0, nesterov: false }))).toEqual(['momentum_buffer']);
    expect(variantsOf('sgd').map((o) => o.name)).toEqual(['sgd/lerp-momentum', 'sgd/decoupled-decay', 'sgd/lr-in-buffer']);
    expect([LERP.clauses, SGDW.clauses, LR_IN.clauses]).toEqual([['SGD-5'], ['SGD-6'], ['SGD-7']]);
    expect(sgdStep(d(1), d(1), {}, hyper({ lr: 0.5, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false }), 1).param.eq(0.5)).toBe(true);
  });
  it.each([
    [{ lr: -1 }, 'lr must be ≥ 0'],
    [{ lr: 1, momentum: 1 }, 'momentum must be in [0, 1)'],
    [{ lr: 1, momentum: -0.5 }, 'momentum must be in [0, 1)'],
    [{ lr: 1, dampening: 1.5 }, 'dampening must be in [0, 1]'],
    [{ lr: 1, dampening: -1 }, 'dampening must be in [0, 1]'],
    [{ lr: 1, weight_decay: -0.25 }, 'weight_decay must be ≥ 0'],
  ])('SGD-3 · invalid %j → "%s"', (h, msg) => {
    const full = { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, ...h };
    expect(SGD.invalid(hyper(full))).toBe(msg);
    expect(SGD.invalid(hyper({ lr: 1, momentum: 0.5, dampening: 1, weight_decay: 0, nesterov: false }))).toBeUndefined();
  });
});
