/**
 * NAdam (spec/nadam.md): Dozat's Nesterov Adam with the momentum schedule, as PyTorch 1.13's foreach
 * path (and 2.x) computes it; the variant without the schedule (optax); and PyTorch 1.13's
 * single-tensor μ product (DEFECT-2) — each the canonical step with one part replaced.
 */
import { num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { debias, epsOutsideSqrt, ewmaOfSquares, ewmaUpdate, l2Gradient } from './parts.ts';
import { heldInFloat32, integer, literalPower, memoize, oneMinus, type Scalar } from './scalar.ts';

/** NADAM-2: the decay base of the schedule, the double nearest 0.96 as the libraries write it. */
const SCHEDULE_BASE = 0.96;

/** NADAM-2: 0.96^(k·ψ), once per ψ and k (a scalar of the step, the same for every element). */
function schedulePower<T extends Scalar<T>>(psi: T, k: number): T {
  const byStep = memoize(psi, 'nadamSchedulePower', () => new Map<number, T>());
  let value = byStep.get(k);
  if (value === undefined) byStep.set(k, (value = literalPower(SCHEDULE_BASE, psi.times(integer(psi, k)))));
  return value;
}

/** The momentum weights of a step: μₜ for the gradient, μₜ₊₁ for the moment. */
export interface MomentumWeights<T> {
  readonly mu: T;
  readonly muNext: T;
}

/** NADAM-2: μₖ = β₁·(1 − ½·0.96^(k·ψ)) for k = t and t + 1. */
export function momentumSchedule<T extends Scalar<T>>(h: Hyper<T>, t: number): MomentumWeights<T> {
  const beta1 = num(h, 'beta1');
  const psi = num(h, 'momentum_decay');
  const at = (k: number) => beta1.times(oneMinus(schedulePower(psi, k).div(integer(psi, 2))));
  return { mu: at(t), muNext: at(t + 1) };
}

/** NADAM-6: no schedule, μₜ = μₜ₊₁ = β₁ (optax's Nesterov Adam). */
export function constantMomentumSchedule<T extends Scalar<T>>(h: Hyper<T>, _t: number): MomentumWeights<T> {
  return { mu: num(h, 'beta1'), muNext: num(h, 'beta1') };
}

/** NADAM-3, PREC-12: Πₜ = Πₜ₋₁·μₜ, a scalar PyTorch keeps in float32 (μₜ converted, then the product). */
export function muProductUpdate<T extends Scalar<T>>(product: T, mu: T): T {
  return heldInFloat32(product.times(heldInFloat32(mu)));
}

/** NADAM-3: the next-step product Πₜ·μₜ₊₁ (not stored). */
export function muProductNext<T extends Scalar<T>>(product: T, w: MomentumWeights<T>): T {
  return product.times(w.muNext);
}

/** DEFECT-2: PyTorch 1.13 single-tensor's next-step product Πₜ·μₜ·μₜ₊₁, μₜ counted twice. */
export function muProductTwice<T extends Scalar<T>>(product: T, w: MomentumWeights<T>): T {
  return product.times(w.mu).times(w.muNext);
}

/**
 * NADAM-5: the update θ − lr·(1 − μₜ)/(1 − Πₜ)·g′/den − lr·μₜ₊₁/(1 − Πₜμₜ₊₁)·mₜ/den with den = √v̂ + ε,
 * the two terms applied one after the other as PyTorch's two `addcdiv`.
 */
export function nadamUpdate<T extends Scalar<T>>(param: T, grad: T, m: T, den: T, w: MomentumWeights<T>, product: T, productNext: T, lr: T): T {
  const gradTerm = lr.times(oneMinus(w.mu)).div(oneMinus(product));
  const momentTerm = lr.times(w.muNext).div(oneMinus(productNext));
  // each term (step size · tensor)/den, as `addcdiv` computes it: the step sizes are scalars in PyTorch but
  // tensors here (Π is a state array), so this order is the one whose underflow the error model sees (PREC-2)
  return param.minus(gradTerm.times(grad).div(den)).minus(momentTerm.times(m).div(den));
}

/** The parts a NAdam step is composed of; a variant or a defect replaces one. */
export interface NadamParts {
  /** NADAM-2 (or NADAM-6): the momentum weights of step t */
  schedule<T extends Scalar<T>>(h: Hyper<T>, t: number): MomentumWeights<T>;
  /** NADAM-3 (or DEFECT-2): the product the moment's weight divides by */
  nextProduct<T extends Scalar<T>>(product: T, w: MomentumWeights<T>): T;
}

/** NADAM-2, NADAM-3: `torch.optim.NAdam`'s parts (foreach path, 2.x) — the ψ schedule, Πₜ·μₜ₊₁. */
export const canonicalNadamParts: NadamParts = {
  schedule: (h, t) => momentumSchedule(h, t),
  nextProduct: (p, w) => muProductNext(p, w),
};

/** NADAM-1, NADAM-2, NADAM-3, NADAM-4, NADAM-5: a NAdam step built from its parts. */
export function nadamStepFrom(parts: NadamParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const w = parts.schedule(h, t);
    const product = muProductUpdate(state.mu_product, w.mu);
    const m = ewmaUpdate(state.exp_avg, g, num(h, 'beta1')); // NADAM-4
    const v = ewmaOfSquares(state.exp_avg_sq, g, num(h, 'beta2'));
    const den = epsOutsideSqrt(debias(v, num(h, 'beta2'), t), num(h, 'eps'));
    const next = nadamUpdate(param, g, m, den, w, product, parts.nextProduct(product, w), num(h, 'lr'));
    return { param: next, state: { exp_avg: m, exp_avg_sq: v, mu_product: product } };
  };
}

/** NADAM-1, NADAM-2, NADAM-3, NADAM-4, NADAM-5: `torch.optim.NAdam`. */
export const nadamStep = nadamStepFrom(canonicalNadamParts);

/** NADAM-6: no momentum schedule, μ ≡ β₁ (optax's `nadam`). */
export const nadamNoScheduleStep = nadamStepFrom({ ...canonicalNadamParts, schedule: (h, t) => constantMomentumSchedule(h, t) });

/** DEFECT-2: PyTorch 1.13's single-tensor NAdam, μₜ counted twice in the next-step product. */
export const nadamMuProductTwiceStep = nadamStepFrom({ ...canonicalNadamParts, nextProduct: (p, w) => muProductTwice(p, w) });
