/**
 * RAdam (spec/radam.md): Liu et al.'s rectified Adam as `torch.optim.RAdam` computes it; the
 * variants with the paper's threshold 4 and with ε after the bias correction (fastai, optax); and
 * PyTorch 1.13's foreach path without ε (DEFECT-1) — each the canonical step with one part replaced.
 */
import { num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { biasCorrectedStepSize, biasCorrection, debias, descend, epsOutsideSqrt, ewmaOfSquares, ewmaUpdate, l2Gradient } from './parts.ts';
import { integer, oneMinus, whenPositive, type Scalar } from './scalar.ts';

/** RADAM-3: ρ∞ = 2/(1 − β₂) − 1, the limit of the approximated SMA's length. */
export function smaLengthLimit<T extends Scalar<T>>(beta2: T): T {
  return integer(beta2, 2).div(oneMinus(beta2)).minus(1);
}

/** RADAM-3: ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ). */
export function smaLength<T extends Scalar<T>>(beta2: T, t: number): T {
  return smaLengthLimit(beta2).minus(
    integer(beta2, 2 * t)
      .times(beta2.pow(t))
      .div(biasCorrection(beta2, t)),
  );
}

/** RADAM-4: rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)). */
export function rectification<T extends Scalar<T>>(rho: T, rhoInf: T): T {
  const numerator = rho.minus(4).times(rho.minus(2)).times(rhoInf);
  const denominator = rhoInf.minus(4).times(rhoInf.minus(2)).times(rho);
  return numerator.div(denominator).sqrt();
}

/** What the update of a step sees. */
export interface RadamStep<T> {
  readonly m: T;
  readonly v: T;
  /** m̂ = mₜ/(1 − β₁ᵗ) */
  readonly mHat: T;
  readonly rho: T;
  readonly rhoInf: T;
  readonly h: Hyper<T>;
  readonly t: number;
}

/** RADAM-5: the rectified direction m̂·rₜ·√(1 − β₂ᵗ)/(√vₜ + ε), ε on the uncorrected root. */
export function rectifiedDirection<T extends Scalar<T>>(s: RadamStep<T>, r: T): T {
  const adaptive = biasCorrection(num(s.h, 'beta2'), s.t)
    .sqrt()
    .div(epsOutsideSqrt(s.v, num(s.h, 'eps')));
  return s.mHat.times(adaptive).times(r);
}

/** RADAM-8: the rectified direction rₜ·m̂/(√v̂ + ε), ε after the bias correction (fastai, optax). */
export function rectifiedDirectionEpsAfterCorrection<T extends Scalar<T>>(s: RadamStep<T>, r: T): T {
  return r.times(s.mHat).div(epsOutsideSqrt(debias(s.v, num(s.h, 'beta2'), s.t), num(s.h, 'eps')));
}

/** RADAM-5: the unrectified direction, m̂ alone (momentum SGD with a bias correction). */
export function unrectifiedDirection<T extends Scalar<T>>(s: RadamStep<T>): T {
  return s.mHat;
}

/** The parts a RAdam step is composed of; a variant or a defect replaces one. */
export interface RadamParts {
  /** RADAM-5 (5) or RADAM-6 (4): the ρₜ above which a step is rectified */
  readonly threshold: number;
  /** RADAM-5 or RADAM-8: the rectified direction */
  rectified<T extends Scalar<T>>(s: RadamStep<T>, r: T): T;
  /** RADAM-5 (one branch, decided by ρₜ) or DEFECT-1 (both branches, no ε): the new parameter */
  update<T extends Scalar<T>>(param: T, s: RadamStep<T>, parts: RadamParts): T;
}

/** RADAM-5, PREC-10: θ − lr·d, with d rectified when ρₜ exceeds the threshold and m̂ otherwise. */
export function branchedUpdate<T extends Scalar<T>>(param: T, s: RadamStep<T>, parts: RadamParts): T {
  const direction = whenPositive(
    s.rho.minus(parts.threshold),
    () => parts.rectified(s, rectification(s.rho, s.rhoInf)),
    () => unrectifiedDirection(s),
  );
  return descend(param, num(s.h, 'lr'), direction);
}

/**
 * DEFECT-1: PyTorch 1.13's foreach update — both branches every step, each a step size times mₜ
 * over a denominator, no ε: θ + s_r·mₜ/(√vₜ/√(1 − β₂ᵗ)) + s_u·mₜ, with s_r = −lr·rₜ/(1 − β₁ᵗ) when
 * ρₜ > 5 (else −0) and s_u = −lr/(1 − β₁ᵗ) when ρₜ ≤ 5 (else −0), s_u·mₜ taken as −lr·m̂ₜ. A zero vₜ
 * gives NaN on every step.
 */
export function foreachNoEpsUpdate<T extends Scalar<T>>(param: T, s: RadamStep<T>, parts: RadamParts): T {
  const stepSize = biasCorrectedStepSize(num(s.h, 'lr'), num(s.h, 'beta1'), s.t);
  const zero = integer(stepSize, 0);
  const above = s.rho.minus(parts.threshold);
  const rectifiedSize = whenPositive(
    above,
    () => stepSize.times(rectification(s.rho, s.rhoInf)),
    () => zero,
  ).neg();
  // s_u·mₜ as −lr·m̂ₜ, the same exact value: lr/(1 − β₁ᵗ) is a non-terminating decimal, and
  // θ − (lr/(1 − β₁ᵗ))·mₜ = θ − lr·gₜ at t = 1 can lie exactly on a float64 rounding boundary that
  // no precision reached through it decides (NOTE-4); m̂ₜ's quotient is exact where it can be
  const unrectified = whenPositive(
    above,
    () => zero,
    () => num(s.h, 'lr'),
  )
    .neg()
    .times(unrectifiedDirection(s));
  const denominator = s.v.sqrt().div(biasCorrection(num(s.h, 'beta2'), s.t).sqrt());
  return param.plus(rectifiedSize.times(s.m).div(denominator)).plus(unrectified);
}

/** RADAM-5: `torch.optim.RAdam`'s parts — threshold 5, ε on the uncorrected root, one branch per step. */
export const canonicalRadamParts: RadamParts = {
  threshold: 5,
  rectified: (s, r) => rectifiedDirection(s, r),
  update: (p, s, parts) => branchedUpdate(p, s, parts),
};

/** RADAM-1, RADAM-2, RADAM-3, RADAM-4, RADAM-5: a RAdam step built from its parts. */
export function radamStepFrom(parts: RadamParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const m = ewmaUpdate(state.exp_avg, g, num(h, 'beta1')); // RADAM-2
    const v = ewmaOfSquares(state.exp_avg_sq, g, num(h, 'beta2'));
    const beta2 = num(h, 'beta2');
    const s: RadamStep<T> = { m, v, mHat: debias(m, num(h, 'beta1'), t), rho: smaLength(beta2, t), rhoInf: smaLengthLimit(beta2), h, t };
    return { param: parts.update(param, s, parts), state: { exp_avg: m, exp_avg_sq: v } };
  };
}

/** RADAM-1, RADAM-2, RADAM-3, RADAM-4, RADAM-5: `torch.optim.RAdam`. */
export const radamStep = radamStepFrom(canonicalRadamParts);

/** RADAM-6: the paper's threshold, rectify when ρₜ > 4. */
export const radamThreshold4Step = radamStepFrom({ ...canonicalRadamParts, threshold: 4 });

/** RADAM-8: ε after the bias correction in the rectified step (fastai; optax). */
export const radamEpsAfterCorrectionStep = radamStepFrom({ ...canonicalRadamParts, rectified: (s, r) => rectifiedDirectionEpsAfterCorrection(s, r) });

/** DEFECT-1: PyTorch 1.13's `RAdam(foreach=True)`, without ε. */
export const radamForeachNoEpsStep = radamStepFrom({ ...canonicalRadamParts, update: (p, s, parts) => foreachNoEpsUpdate(p, s, parts) });
