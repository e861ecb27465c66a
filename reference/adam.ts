/**
 * Adam (spec/adam.md): Kingma & Ba's Algorithm 1 as PyTorch computes it, with L2 and AMSGrad,
 * and the named variants — each the canonical step with one part replaced.
 */
import { flag, num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { biasCorrection, debias, epsInsideSqrt, epsOutsideSqrt, ewmaOfSquares, ewmaUpdate, l2Decay, type WeightDecay } from './parts.ts';
import { maximum, type Scalar } from './scalar.ts';

/** ADAM-6: AMSGrad keeps the largest second moment seen, v_max ← max(v_max, v). */
export function amsgradMax<T extends Scalar<T>>(vMax: T, v: T): T {
  return maximum(vMax, v);
}

/** ADAM-4, ADAM-5: the canonical direction m̂/(√v̂ + ε), with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). */
export function biasCorrectedDirection<T extends Scalar<T>>(m: T, v: T, h: Hyper<T>, t: number): T {
  return debias(m, num(h, 'beta1'), t).div(epsOutsideSqrt(debias(v, num(h, 'beta2'), t), num(h, 'eps')));
}

/** ADAM-7: the notes' spreadsheet form, no bias correction: m/(√v + ε). */
export function uncorrectedDirection<T extends Scalar<T>>(m: T, v: T, h: Hyper<T>): T {
  return m.div(epsOutsideSqrt(v, num(h, 'eps')));
}

/** ADAM-8: ε inside the root, m̂/√(v̂ + ε). */
export function epsInsideSqrtDirection<T extends Scalar<T>>(m: T, v: T, h: Hyper<T>, t: number): T {
  return debias(m, num(h, 'beta1'), t).div(epsInsideSqrt(debias(v, num(h, 'beta2'), t), num(h, 'eps')));
}

/** ADAM-9: Kingma & Ba's efficient form, ε̂ on the uncorrected root: (√(1−β₂ᵗ)/(1−β₁ᵗ))·m/(√v + ε̂). */
export function epsHatDirection<T extends Scalar<T>>(m: T, v: T, h: Hyper<T>, t: number): T {
  const stepScale = biasCorrection(num(h, 'beta2'), t)
    .sqrt()
    .div(biasCorrection(num(h, 'beta1'), t));
  return stepScale.times(m).div(epsOutsideSqrt(v, num(h, 'eps')));
}

/** The parts an Adam step is composed of; a variant replaces one. */
export interface AdamParts {
  /** where λ enters: ADAM-1 (L2), ADAMW-1/ADAMW-2 (decoupled) or ADAMW-3 (the paper's form) */
  readonly decay: WeightDecay;
  /** the update direction from the moments: ADAM-4/5, ADAM-7, ADAM-8 or ADAM-9 */
  direction<T extends Scalar<T>>(m: T, v: T, h: Hyper<T>, t: number): T;
}

/** ADAM-1, ADAM-4, ADAM-5: `torch.optim.Adam`'s parts — L2 decay, the bias-corrected direction with ε outside the root. */
export const canonicalAdamParts: AdamParts = {
  decay: l2Decay,
  direction: (m, v, h, t) => biasCorrectedDirection(m, v, h, t),
};

/** ADAM-1, ADAM-2, ADAM-3, ADAM-4, ADAM-5, ADAM-6: an Adam step built from its parts. */
export function adamStepFrom(parts: AdamParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = parts.decay.gradient(grad, param, h);
    const m = ewmaUpdate(state.exp_avg, g, num(h, 'beta1')); // ADAM-2
    const v = ewmaOfSquares(state.exp_avg_sq, g, num(h, 'beta2')); // ADAM-3
    if (!flag(h, 'amsgrad')) {
      return { param: parts.decay.apply(param, parts.direction(m, v, h, t), h), state: { exp_avg: m, exp_avg_sq: v } };
    }
    const vMax = amsgradMax(state.max_exp_avg_sq, v);
    return {
      param: parts.decay.apply(param, parts.direction(m, vMax, h, t), h),
      state: { exp_avg: m, exp_avg_sq: v, max_exp_avg_sq: vMax },
    };
  };
}

/** ADAM-1, ADAM-2, ADAM-3, ADAM-4, ADAM-5, ADAM-6: `torch.optim.Adam`. */
export const adamStep = adamStepFrom(canonicalAdamParts);

/** ADAM-7: the spreadsheet's Adam — no bias correction. */
export const adamNoBiasCorrectionStep = adamStepFrom({
  ...canonicalAdamParts,
  direction: (m, v, h, _t) => uncorrectedDirection(m, v, h),
});

/** ADAM-8: ε inside the square root. */
export const adamEpsInsideSqrtStep = adamStepFrom({ ...canonicalAdamParts, direction: (m, v, h, t) => epsInsideSqrtDirection(m, v, h, t) });

/** ADAM-9: Kingma & Ba's ε̂ form (Keras, scikit-learn). */
export const adamEpsHatStep = adamStepFrom({ ...canonicalAdamParts, direction: (m, v, h, t) => epsHatDirection(m, v, h, t) });
