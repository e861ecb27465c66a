/**
 * AdamW (spec/adamw.md): Adam with the weight decay taken out of the gradient and applied to the
 * weights — canonical Adam with the gradient part and the apply part replaced.
 */
import { canonicalAdamParts, adamStepFrom } from './adam.ts';
import { num, type Hyper } from './notation.ts';
import type { Scalar } from './scalar.ts';
import { decoupledDecay, descend } from './sgd.ts';

/** ADAMW-1: θₜ = θₜ₋₁ − lr·λ·θₜ₋₁ − lr·d (PyTorch, optax, Keras: decay scaled by lr). */
export function lrScaledDecayApply<T extends Scalar<T>>(param: T, direction: T, h: Hyper<T>): T {
  const lr = num(h, 'lr');
  return descend(decoupledDecay(param, lr, num(h, 'weight_decay')), lr, direction);
}

/** ADAMW-3: Algorithm 2 of Loshchilov & Hutter, θₜ = θₜ₋₁ − ηₜ·(α·d + λ·θₜ₋₁); λ not scaled by α. */
export function scheduleScaledDecayApply<T extends Scalar<T>>(param: T, direction: T, h: Hyper<T>): T {
  const eta = num(h, 'schedule_multiplier');
  const step = num(h, 'lr').times(direction).plus(num(h, 'weight_decay').times(param));
  return param.minus(eta.times(step));
}

/** ADAMW-1, ADAMW-2: `torch.optim.AdamW` — moments of the raw gradient (ADAMW-2), decay applied to θ. */
export const adamwStep = adamStepFrom({ ...canonicalAdamParts, gradient: (g, _p, _h) => g, apply: (p, d, h) => lrScaledDecayApply(p, d, h) });

/** ADAMW-3: the AdamW paper's Algorithm 2, with schedule multiplier ηₜ. */
export const adamwPaperStep = adamStepFrom({ ...canonicalAdamParts, gradient: (g, _p, _h) => g, apply: (p, d, h) => scheduleScaledDecayApply(p, d, h) });
