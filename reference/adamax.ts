/**
 * Adamax (spec/adamax.md): Adam with the infinity norm, as `torch.optim.Adamax` computes it (ε inside
 * the maximum), and the variant with ε added after it (Keras, TensorFlow, TF.js).
 */
import { num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { biasCorrectedStepSize, decayedMaximum, descend, ewmaUpdate, l2Gradient } from './parts.ts';
import type { Scalar } from './scalar.ts';

/** ADAMAX-3: uₜ = max(β₂·uₜ₋₁, |g′| + ε), ε stored in the norm. */
export function infinityNorm<T extends Scalar<T>>(u: T, grad: T, beta2: T, eps: T): T {
  return decayedMaximum(u, grad.abs().plus(eps), beta2);
}

/** ADAMAX-5: uₜ = max(β₂·uₜ₋₁, |g′|), without ε. */
export function infinityNormWithoutEps<T extends Scalar<T>>(u: T, grad: T, beta2: T): T {
  return decayedMaximum(u, grad.abs(), beta2);
}

/** ADAMAX-4: the direction mₜ/den, den the norm (ADAMAX-3) or the norm plus ε (ADAMAX-5). */
export function adamaxDirection<T extends Scalar<T>>(m: T, denominator: T): T {
  return m.div(denominator);
}

/** Where ε goes: into the stored norm (ADAMAX-3) or into the denominator after the maximum (ADAMAX-5) — one part with both ends. */
export interface AdamaxEps {
  /** the new infinity norm uₜ */
  norm<T extends Scalar<T>>(u: T, grad: T, h: Hyper<T>): T;
  /** the denominator of the update from uₜ */
  denominator<T extends Scalar<T>>(u: T, h: Hyper<T>): T;
}

/** ADAMAX-3, ADAMAX-4: ε inside the maximum, the norm itself the denominator (PyTorch, optax). */
export const epsInsideMax: AdamaxEps = {
  norm: (u, g, h) => infinityNorm(u, g, num(h, 'beta2'), num(h, 'eps')),
  denominator: (u) => u,
};

/** ADAMAX-5: the maximum without ε, ε added to it in the update (Keras, TensorFlow, TF.js). */
export const epsAfterMax: AdamaxEps = {
  norm: (u, g, h) => infinityNormWithoutEps(u, g, num(h, 'beta2')),
  denominator: (u, h) => u.plus(num(h, 'eps')),
};

/** The parts an Adamax step is composed of; the variant replaces one. */
export interface AdamaxParts {
  /** ADAMAX-3/ADAMAX-4 or ADAMAX-5 */
  readonly eps: AdamaxEps;
}

/** ADAMAX-3, ADAMAX-4: `torch.optim.Adamax`'s parts — ε inside the maximum. */
export const canonicalAdamaxParts: AdamaxParts = { eps: epsInsideMax };

/** ADAMAX-1, ADAMAX-2, ADAMAX-3, ADAMAX-4: an Adamax step built from its parts, θ − lr/(1 − β₁ᵗ)·m/den. */
export function adamaxStepFrom(parts: AdamaxParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const m = ewmaUpdate(state.exp_avg, g, num(h, 'beta1')); // ADAMAX-2
    const u = parts.eps.norm(state.exp_inf, g, h);
    const stepSize = biasCorrectedStepSize(num(h, 'lr'), num(h, 'beta1'), t);
    return { param: descend(param, stepSize, adamaxDirection(m, parts.eps.denominator(u, h))), state: { exp_avg: m, exp_inf: u } };
  };
}

/** ADAMAX-1, ADAMAX-2, ADAMAX-3, ADAMAX-4: `torch.optim.Adamax`. */
export const adamaxStep = adamaxStepFrom(canonicalAdamaxParts);

/** ADAMAX-5: ε added after the maximum, m/(u + ε) (Keras, TensorFlow, TF.js). */
export const adamaxEpsAfterMaxStep = adamaxStepFrom({ ...canonicalAdamaxParts, eps: epsAfterMax });
