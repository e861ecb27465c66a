/**
 * Adam (spec/adam.md): Kingma & Ba's Algorithm 1 as PyTorch computes it, with L2 and AMSGrad,
 * and the named variants — each the canonical step with one part replaced.
 */
import { Dec } from './decimal.ts';
import { biasCorrection, debias, ewmaUpdate } from './ewma.ts';
import { flag, num, type ElementStep, type Hyper } from './notation.ts';
import { epsInsideRoot, epsOutsideRoot } from './rmsprop.ts';
import { descend, l2Gradient } from './sgd.ts';

/** ADAM-2: the first moment m ← β₁·m + (1−β₁)·g′. */
export function firstMoment(m: Dec, grad: Dec, beta1: Dec): Dec {
  return ewmaUpdate(m, grad, beta1);
}

/** ADAM-3: the second moment v ← β₂·v + (1−β₂)·g′². */
export function secondMoment(v: Dec, grad: Dec, beta2: Dec): Dec {
  return ewmaUpdate(v, grad.times(grad), beta2);
}

/** ADAM-6: AMSGrad keeps the largest second moment seen, v_max ← max(v_max, v). */
export function amsgradMax(vMax: Dec, v: Dec): Dec {
  return Dec.max(vMax, v);
}

/** ADAM-4, ADAM-5: the canonical direction m̂/(√v̂ + ε), with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). */
export function biasCorrectedDirection(m: Dec, v: Dec, h: Hyper, t: number): Dec {
  return debias(m, num(h, 'beta1'), t).div(epsOutsideRoot(debias(v, num(h, 'beta2'), t), num(h, 'eps')));
}

/** ADAM-7: the notes' spreadsheet form, no bias correction: m/(√v + ε). */
export function uncorrectedDirection(m: Dec, v: Dec, h: Hyper): Dec {
  return m.div(epsOutsideRoot(v, num(h, 'eps')));
}

/** ADAM-8: ε inside the root, m̂/√(v̂ + ε). */
export function epsInsideRootDirection(m: Dec, v: Dec, h: Hyper, t: number): Dec {
  return debias(m, num(h, 'beta1'), t).div(epsInsideRoot(debias(v, num(h, 'beta2'), t), num(h, 'eps')));
}

/** ADAM-9: Kingma & Ba's efficient form, ε̂ on the uncorrected root: (√(1−β₂ᵗ)/(1−β₁ᵗ))·m/(√v + ε̂). */
export function epsHatDirection(m: Dec, v: Dec, h: Hyper, t: number): Dec {
  const stepScale = biasCorrection(num(h, 'beta2'), t).sqrt().div(biasCorrection(num(h, 'beta1'), t));
  return stepScale.times(m).div(epsOutsideRoot(v, num(h, 'eps')));
}

/** The parts an Adam step is composed of; a variant replaces one. */
export interface AdamParts {
  /** the gradient the moments see: ADAM-1 (L2) or the raw gradient */
  readonly gradient: (grad: Dec, param: Dec, h: Hyper) => Dec;
  /** the update direction from the moments: ADAM-4/5, ADAM-7, ADAM-8 or ADAM-9 */
  readonly direction: (m: Dec, v: Dec, h: Hyper, t: number) => Dec;
  /** the new parameter from the old and the direction: ADAM-5, or a decoupled decay (adamw.ts) */
  readonly apply: (param: Dec, direction: Dec, h: Hyper) => Dec;
}

/** ADAM-1: L2 weight decay coupled into the gradient, as `torch.optim.Adam(weight_decay=…)`. */
export function adamL2Gradient(grad: Dec, param: Dec, h: Hyper): Dec {
  return l2Gradient(grad, param, num(h, 'weight_decay'));
}

export const canonicalAdamParts: AdamParts = {
  gradient: adamL2Gradient,
  direction: biasCorrectedDirection,
  apply: (p, d, h) => descend(p, num(h, 'lr'), d),
};

/** ADAM-1 … ADAM-6: an Adam step built from its parts. */
export function adamStepFrom(parts: AdamParts): ElementStep {
  return (param, grad, state, h, t) => {
    const g = parts.gradient(grad, param, h);
    const m = firstMoment(state.exp_avg, g, num(h, 'beta1'));
    const v = secondMoment(state.exp_avg_sq, g, num(h, 'beta2'));
    if (!flag(h, 'amsgrad')) {
      return { param: parts.apply(param, parts.direction(m, v, h, t), h), state: { exp_avg: m, exp_avg_sq: v } };
    }
    const vMax = amsgradMax(state.max_exp_avg_sq, v);
    return {
      param: parts.apply(param, parts.direction(m, vMax, h, t), h),
      state: { exp_avg: m, exp_avg_sq: v, max_exp_avg_sq: vMax },
    };
  };
}

/** ADAM-1 … ADAM-6: `torch.optim.Adam`. */
export const adamStep = adamStepFrom(canonicalAdamParts);

/** ADAM-7: the spreadsheet's Adam — no bias correction. */
export const adamNoBiasCorrectionStep = adamStepFrom({
  ...canonicalAdamParts,
  direction: (m, v, h) => uncorrectedDirection(m, v, h),
});

/** ADAM-8: ε inside the square root. */
export const adamEpsInsideRootStep = adamStepFrom({ ...canonicalAdamParts, direction: epsInsideRootDirection });

/** ADAM-9: Kingma & Ba's ε̂ form (Keras, scikit-learn). */
export const adamEpsHatStep = adamStepFrom({ ...canonicalAdamParts, direction: epsHatDirection });
