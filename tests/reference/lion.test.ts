/**
 * reference/lion.ts: Lion (optax.lion) against values worked by hand — the sign at and away from
 * zero, the decoupled decay, and the order of the two averages.
 */
import { describe, expect, it } from 'vitest';
import type { Dec } from '../../reference/decimal.ts';
import { signOf } from '../../reference/parts.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { d, expectDec } from './helpers.ts';

const LION = findOptimizer('lion')!;
const step = (h: Record<string, number>, grad: number, state: Record<string, unknown> | null = null) =>
  referenceTrajectory(LION, { hyper: h, params: [1], state, steps: [{ grad: [grad] }] })[0];

describe('LION · optax.lion', () => {
  it('LION-1 LION-2 LION-3 · a first step moves by lr plus the decay: θ₁ = 1 − 0.25·(1 + 0.5·1) = 0.625', () => {
    expectDec(step({ lr: 0.25, weight_decay: 0.5 }, 0.5).params[0], 0.625, 'LION-3');
    expectDec(step({ lr: 0.25, weight_decay: 0.5 }, -(2 ** -30)).params[0], 1.125, 'LION-2', 'a tiny negative gradient moves by lr too');
  });
  it('LION-2 · sign(±0) = 0: a zero gradient from a fresh state leaves the decay alone, θ₁ = 1 − 0.25·0.5 = 0.875', () => {
    expectDec(step({ lr: 0.25, weight_decay: 0.5 }, 0).params[0], 0.875, 'LION-2');
    expectDec(step({ lr: 0.25, weight_decay: 0.5 }, -0).params[0], 0.875, 'LION-2', 'g = −0');
    // an exact cancellation: β₁ = 0.5, m = 1, g = −1 gives c = 0
    expectDec(step({ lr: 0.25, weight_decay: 0.5, beta1: 0.5 }, -1, { step: 3, exp_avg: [1] }).params[0], 0.875, 'LION-2', 'c = 0');
    for (const [x, s] of [
      [3, 1],
      [-(2 ** -1074), -1],
      [0, 0],
    ] as const)
      expectDec(signOf(d(x)), s, 'LION-2', `sign(${x})`);
    expect(signOf(d(NaN)).isNaN()).toBe(true);
  });
  it('LION-4 · the sign reads mₜ₋₁: m = 1, g = −0.875, β₁ = 0.5 gives c = 0.0625 > 0 (m updated first would give c < 0)', () => {
    const out = step({ lr: 0.25, weight_decay: 0, beta1: 0.5, beta2: 0.5 }, -0.875, { step: 3, exp_avg: [1] });
    expectDec(out.params[0], 0.75, 'LION-4', 'θ₁ = 1 − 0.25·(+1)');
    // mₜ = 0.5·1 + 0.5·(−0.875) = 0.0625
    expectDec((out.state.exp_avg as Dec[])[0], 0.0625, 'LION-4', 'm₁');
  });
});
