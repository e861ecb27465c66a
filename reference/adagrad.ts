/**
 * Adagrad (spec/adagrad.md): Duchi et al.'s diagonal form as `torch.optim.Adagrad` computes it, the
 * variant with ε inside the root, and PyTorch 1.13's foreach step size in float32 (DEFECT-3) — each
 * the canonical step with one part replaced.
 */
import { num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { descend, epsInsideSqrt, epsOutsideSqrt, l2Gradient } from './parts.ts';
import { integer, roundedToFloat32, type Scalar } from './scalar.ts';

/** ADAGRAD-2: the step size clr = lr/(1 + (t − 1)·lr_decay); lr itself when lr_decay = 0 (1 + 0 = 1 exactly). */
export function decayedLearningRate<T extends Scalar<T>>(h: Hyper<T>, t: number): T {
  const lr = num(h, 'lr');
  const decay = num(h, 'lr_decay');
  return decay.isZero() ? lr : lr.div(decay.times(integer(decay, t - 1)).plus(1));
}

/**
 * DEFECT-3: PyTorch 1.13's foreach step size, every operation rounded to float32 (r₃₂):
 * clr = −r₃₂(r₃₂(1/d)·r₃₂(−lr)) with d = r₃₂(1 + r₃₂((t − 1)·r₃₂(lr_decay))).
 */
export function float32DecayedLearningRate<T extends Scalar<T>>(h: Hyper<T>, t: number): T {
  const r32 = roundedToFloat32;
  const decay = num(h, 'lr_decay');
  const d = r32(r32(integer(decay, t - 1).times(r32(decay))).plus(1));
  const reciprocal = r32(integer(decay, 1).div(d));
  return r32(reciprocal.times(r32(num(h, 'lr').neg()))).neg();
}

/** ADAGRAD-3: the accumulator sumₜ = sumₜ₋₁ + g′² (sum₀ = initial_accumulator_value, registry.ts `freshValue`). */
export function accumulateSquare<T extends Scalar<T>>(sum: T, grad: T): T {
  return sum.plus(grad.times(grad));
}

/** The parts an Adagrad step is composed of; a variant or a defect replaces one. */
export interface AdagradParts {
  /** ADAGRAD-2 (or DEFECT-3): the step size */
  stepSize<T extends Scalar<T>>(h: Hyper<T>, t: number): T;
  /** ADAGRAD-4 (or ADAGRAD-5): the denominator from the accumulator */
  denominator<T extends Scalar<T>>(sum: T, eps: T): T;
}

/** ADAGRAD-2, ADAGRAD-4: `torch.optim.Adagrad`'s parts — the decayed step size in exact arithmetic, ε outside the root. */
export const canonicalAdagradParts: AdagradParts = {
  stepSize: (h, t) => decayedLearningRate(h, t),
  denominator: (sum, eps) => epsOutsideSqrt(sum, eps),
};

/** ADAGRAD-1, ADAGRAD-2, ADAGRAD-3, ADAGRAD-4: an Adagrad step built from its parts, θₜ = θₜ₋₁ − clr·g′/den. */
export function adagradStepFrom(parts: AdagradParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const sum = accumulateSquare(state.sum, g);
    return { param: descend(param, parts.stepSize(h, t), g.div(parts.denominator(sum, num(h, 'eps')))), state: { sum } };
  };
}

/** ADAGRAD-1, ADAGRAD-2, ADAGRAD-3, ADAGRAD-4: `torch.optim.Adagrad`. */
export const adagradStep = adagradStepFrom(canonicalAdagradParts);

/** ADAGRAD-5: ε inside the root, √(sum + ε) (TensorFlow, Keras, optax, TF.js). */
export const adagradEpsInsideRootStep = adagradStepFrom({ ...canonicalAdagradParts, denominator: (sum, eps) => epsInsideSqrt(sum, eps) });

/** DEFECT-3: PyTorch 1.13's `Adagrad(foreach=True)`, its step size computed in float32. */
export const adagradForeachLrFloat32Step = adagradStepFrom({ ...canonicalAdagradParts, stepSize: (h, t) => float32DecayedLearningRate(h, t) });
