/**
 * Adadelta (spec/adadelta.md): Zeiler's Algorithm 1 with a learning rate, as `torch.optim.Adadelta`
 * computes it, and TF.js 4.22's stale denominator (DEFECT-4) — the canonical step with its delta
 * part replaced.
 */
import { num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { descend, ewmaOfSquares, l2Gradient } from './parts.ts';
import type { Scalar } from './scalar.ts';

/** ADADELTA-3: Δ = √(u + ε)/√(v + ε)·g′, ε inside both roots. */
export function adadeltaDelta<T extends Scalar<T>>(accDelta: T, squareAvg: T, grad: T, eps: T): T {
  return accDelta.plus(eps).sqrt().div(squareAvg.plus(eps).sqrt()).times(grad);
}

/** The parts an Adadelta step is composed of; a defect replaces one. */
export interface AdadeltaParts {
  /** ADADELTA-3 (or DEFECT-4): the delta from uₜ₋₁, vₜ₋₁, vₜ and g′ */
  delta<T extends Scalar<T>>(accDelta: T, previousSquareAvg: T, squareAvg: T, grad: T, eps: T): T;
}

/** ADADELTA-3: `torch.optim.Adadelta`'s delta, divided by the root of this step's square average vₜ. */
export const canonicalAdadeltaParts: AdadeltaParts = {
  delta: (u, _previous, v, g, eps) => adadeltaDelta(u, v, g, eps),
};

/** DEFECT-4: TF.js's delta, divided by the root of the previous square average vₜ₋₁. */
export function staleDenominatorDelta<T extends Scalar<T>>(accDelta: T, previousSquareAvg: T, grad: T, eps: T): T {
  return adadeltaDelta(accDelta, previousSquareAvg, grad, eps);
}

/** ADADELTA-1, ADADELTA-2, ADADELTA-3, ADADELTA-4, ADADELTA-5: an Adadelta step built from its parts. */
export function adadeltaStepFrom(parts: AdadeltaParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, _t: number): ElementResult<T> => {
    const rho = num(h, 'rho');
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const squareAvg = ewmaOfSquares(state.square_avg, g, rho); // ADADELTA-2
    const delta = parts.delta(state.acc_delta, state.square_avg, squareAvg, g, num(h, 'eps'));
    const accDelta = ewmaOfSquares(state.acc_delta, delta, rho); // ADADELTA-4
    return { param: descend(param, num(h, 'lr'), delta), state: { square_avg: squareAvg, acc_delta: accDelta } };
  };
}

/** ADADELTA-1, ADADELTA-2, ADADELTA-3, ADADELTA-4, ADADELTA-5: `torch.optim.Adadelta`. */
export const adadeltaStep = adadeltaStepFrom(canonicalAdadeltaParts);

/** DEFECT-4: TF.js 4.22's `tf.train.adadelta`, the delta over √(vₜ₋₁ + ε). */
export const adadeltaStaleDenominatorStep = adadeltaStepFrom({
  ...canonicalAdadeltaParts,
  delta: (u, previous, _v, g, eps) => staleDenominatorDelta(u, previous, g, eps),
});
