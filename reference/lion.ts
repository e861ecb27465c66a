/**
 * Lion (spec/lion.md): Chen et al.'s EvoLved Sign Momentum as `optax.lion` computes it — the sign of
 * an interpolation between the momentum and the gradient, decoupled weight decay scaled by lr
 * (AdamW's decay part, reference/parts.ts), and the momentum updated last at β₂.
 */
import { num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { decoupledDecay, ewmaUpdate, signOf, type WeightDecay } from './parts.ts';
import type { Scalar } from './scalar.ts';

/** LION-1: cₜ = β₁·mₜ₋₁ + (1 − β₁)·g, from the momentum before this step's update. */
export function lionInterpolation<T extends Scalar<T>>(m: T, grad: T, beta1: T): T {
  return ewmaUpdate(m, grad, beta1);
}

/** The parts a Lion step is composed of (a mutant replaces one, conformance/adapters). */
export interface LionParts {
  /** LION-2: the direction from cₜ */
  direction<T extends Scalar<T>>(c: T): T;
  /** LION-3: where λ acts */
  readonly decay: WeightDecay;
}

/** LION-2, LION-3: optax's parts — sign(c) with sign(0) = 0, decoupled decay scaled by lr. */
export const canonicalLionParts: LionParts = {
  direction: (c) => signOf(c),
  decay: decoupledDecay,
};

/** LION-1, LION-2, LION-3, LION-4: a Lion step built from its parts. */
export function lionStepFrom(parts: LionParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, _t: number): ElementResult<T> => {
    const g = parts.decay.gradient(grad, param, h);
    const c = lionInterpolation(state.exp_avg, g, num(h, 'beta1'));
    const next = parts.decay.apply(param, parts.direction(c), h);
    const m = ewmaUpdate(state.exp_avg, g, num(h, 'beta2')); // LION-4, after LION-1 has read mₜ₋₁
    return { param: next, state: { exp_avg: m } };
  };
}

/** LION-1, LION-2, LION-3, LION-4: `optax.lion`. */
export const lionStep = lionStepFrom(canonicalLionParts);
