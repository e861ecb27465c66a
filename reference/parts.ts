/**
 * The parts the optimizer families share, in the manner of optax's composable transforms: moving
 * averages (spec/ewma.md), the ε placements, the descent θ − lr·d, and weight decay as one part
 * with its forms. A family's step is built from these; a variant is the canonical step with one
 * part replaced. Families import their shared parts from here, never from each other.
 */
import { num, type Hyper } from './notation.ts';
import { maximum, memoize, oneMinus, signum, type Scalar } from './scalar.ts';

// ---------------------------------------------------------------------------------------------
// Moving averages

/** EWMA-1, SGD-5: lerp(a, b, w) = w·a + (1−w)·b — "whenever you see α(…) + (1−α)(…)". */
export function lerp<T extends Scalar<T>>(a: T, b: T, w: T): T {
  return w.times(a).plus(oneMinus(w).times(b));
}

/** EWMA-2, ADAM-2, RMSPROP-3: s_t = β·s_{t−1} + (1−β)·x_t, the exponentially weighted moving average (Adam's m, RMSprop's ḡ). */
export function ewmaUpdate<T extends Scalar<T>>(previous: T, x: T, beta: T): T {
  return lerp(previous, x, beta);
}

/** ADAM-3, RMSPROP-1: the moving average of squares v ← β·v + (1−β)·g² (Adam's v, RMSprop's square average). */
export function ewmaOfSquares<T extends Scalar<T>>(v: T, grad: T, beta: T): T {
  return ewmaUpdate(v, grad.times(grad), beta);
}

/** EWMA-3, ADAM-4, ADAM-9: the bias correction 1 − βᵗ of an average started at zero. */
export function biasCorrection<T extends Scalar<T>>(beta: T, t: number): T {
  // one table per β, keyed by t: no key string built per element
  const byStep = memoize(beta, 'biasCorrection', () => new Map<number, T>());
  let value = byStep.get(t);
  if (value === undefined) byStep.set(t, (value = oneMinus(beta.pow(t))));
  return value;
}

/** EWMA-3, ADAM-4: the debiased average s_t / (1 − βᵗ). */
export function debias<T extends Scalar<T>>(s: T, beta: T, t: number): T {
  return s.div(biasCorrection(beta, t));
}

/** ADAMAX-4, RADAM-2: the step size lr/(1 − β₁ᵗ) that corrects a first moment started at zero, applied to the step rather than to m. */
export function biasCorrectedStepSize<T extends Scalar<T>>(lr: T, beta: T, t: number): T {
  return lr.div(biasCorrection(beta, t));
}

/** ADAMAX-3, ADAMAX-5: the decayed maximum max(β·u, x) (Adamax's infinity norm; NaN in either side gives NaN, as `torch.amax`). */
export function decayedMaximum<T extends Scalar<T>>(u: T, x: T, beta: T): T {
  return maximum(beta.times(u), x);
}

/** LION-2, PREC-9: the sign of a value, −1, 0 or +1, with sign(±0) = 0 (`jnp.sign`, `torch.sign`). */
export function signOf<T extends Scalar<T>>(x: T): T {
  return signum(x);
}

// ---------------------------------------------------------------------------------------------
// Where ε goes: the denominator from a mean square s

/** RMSPROP-2, ADAM-5: ε outside the root, √s + ε (PyTorch). */
export function epsOutsideSqrt<T extends Scalar<T>>(s: T, eps: T): T {
  return s.sqrt().plus(eps);
}

/** RMSPROP-7, ADAM-8: ε inside the root, √(s + ε) (TensorFlow, Keras; the variant `adam/eps-inside-sqrt`). */
export function epsInsideSqrt<T extends Scalar<T>>(s: T, eps: T): T {
  return s.plus(eps).sqrt();
}

// ---------------------------------------------------------------------------------------------
// Descent and weight decay

/** SGD-1, ADAM-5, RMSPROP-4: θ ← θ − lr·d, the descent step along a direction d. */
export function descend<T extends Scalar<T>>(param: T, lr: T, direction: T): T {
  return param.minus(lr.times(direction));
}

/** SGD-2, ADAM-1, RMSPROP-6: L2 weight decay added to the gradient, g′ = g + λ·θ (coupled); at λ = 0 the term is absent, as in PyTorch. */
export function l2Gradient<T extends Scalar<T>>(grad: T, param: T, weightDecay: T): T {
  return weightDecay.isZero() ? grad : grad.plus(weightDecay.times(param));
}

/**
 * Weight decay as one part of a step. λ acts at one of the step's two ends — on the gradient
 * the optimizer's statistics see (L2), or on the parameter as the direction is applied
 * (decoupled) — so the part has both ends, and a family swaps its decay by swapping this one part
 * (optax: `add_decayed_weights` placed before the statistics or after them).
 */
export interface WeightDecay {
  /** the gradient the statistics (moments, buffer, square average) see */
  gradient<T extends Scalar<T>>(grad: T, param: T, h: Hyper<T>): T;
  /** the new parameter from the old one and the direction the statistics give */
  apply<T extends Scalar<T>>(param: T, direction: T, h: Hyper<T>): T;
}

/** SGD-2, ADAM-1: L2 decay — λ·θ added to the gradient, then θ − lr·d (`torch.optim.SGD`, `torch.optim.Adam(weight_decay=λ)`). */
export const l2Decay: WeightDecay = {
  gradient: (g, p, h) => l2Gradient(g, p, num(h, 'weight_decay')),
  apply: (p, d, h) => descend(p, num(h, 'lr'), d),
};

/**
 * SGD-6, ADAMW-1, ADAMW-2: decoupled decay scaled by the learning rate — the statistics see the
 * raw gradient, and θ ← θ − lr·λ·θ − lr·d (PyTorch's AdamW, optax, Keras, fastai's SGDW); at
 * λ = 0 the decay term is absent.
 */
export const decoupledDecay: WeightDecay = {
  gradient: (g) => g,
  apply: (p, d, h) => {
    const lr = num(h, 'lr');
    const weightDecay = num(h, 'weight_decay');
    return descend(weightDecay.isZero() ? p : p.minus(lr.times(weightDecay).times(p)), lr, d);
  },
};

/**
 * ADAMW-3: the AdamW paper's Algorithm 2 — the statistics see the raw gradient, and
 * θ ← θ − η·(lr·d + λ·θ) with the schedule multiplier η: the decay is not scaled by lr (α).
 */
export const scheduleScaledDecay: WeightDecay = {
  gradient: (g) => g,
  apply: (p, d, h) => {
    const step = num(h, 'lr').times(d).plus(num(h, 'weight_decay').times(p));
    return p.minus(num(h, 'schedule_multiplier').times(step));
  },
};
