/**
 * RMSprop, the notes' "adaptive learning rate" (spec/rmsprop.md): PyTorch's form and
 * TensorFlow's, the latter being PyTorch's with the denominator and the momentum part replaced.
 */
import { flag, num, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { descend, epsInsideSqrt, epsOutsideSqrt, ewmaOfSquares, ewmaUpdate, l2Gradient } from './parts.ts';
import type { Scalar } from './scalar.ts';

/** RMSPROP-3: the centered mean-square estimate v − ḡ², with ḡ ← α·ḡ + (1−α)·g′. */
export function centeredVariance<T extends Scalar<T>>(v: T, gradAvg: T): T {
  return v.minus(gradAvg.times(gradAvg));
}

interface RmspropParts {
  /** the denominator from the (centered) mean square: RMSPROP-2 or RMSPROP-7 */
  denominator<T extends Scalar<T>>(meanSquare: T, eps: T): T;
  /** the parameter and momentum buffer from the normalised gradient g′/den: RMSPROP-4/5 or RMSPROP-7 */
  apply<T extends Scalar<T>>(param: T, normalised: T, buffer: T, h: Hyper<T>): { param: T; buffer?: T };
}

const canonical: RmspropParts = {
  denominator: (s, eps) => epsOutsideSqrt(s, eps),
  apply: (p, n, buf, h) => {
    const momentum = num(h, 'momentum');
    if (momentum.isZero()) return { param: descend(p, num(h, 'lr'), n) };
    const buffer = momentum.times(buf).plus(n);
    return { param: descend(p, num(h, 'lr'), buffer), buffer };
  },
};

/** RMSPROP-1, RMSPROP-2, RMSPROP-3, RMSPROP-4, RMSPROP-5, RMSPROP-6: an RMSprop step built from its parts. */
export function rmspropStepFrom(parts: RmspropParts): ElementStep {
  return (param, grad, state, h, _t) => {
    const alpha = num(h, 'alpha');
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const squareAvg = ewmaOfSquares(state.square_avg, g, alpha);
    const next: Record<string, typeof squareAvg> = { square_avg: squareAvg };
    let meanSquare = squareAvg;
    if (flag(h, 'centered')) {
      next.grad_avg = ewmaUpdate(state.grad_avg, g, alpha);
      meanSquare = centeredVariance(squareAvg, next.grad_avg);
    }
    const normalised = g.div(parts.denominator(meanSquare, num(h, 'eps')));
    const applied = parts.apply(param, normalised, state.momentum_buffer, h);
    if (applied.buffer !== undefined) next.momentum_buffer = applied.buffer;
    return { param: applied.param, state: next as ElementState<typeof squareAvg> };
  };
}

/** RMSPROP-1, RMSPROP-2, RMSPROP-3, RMSPROP-4, RMSPROP-5, RMSPROP-6: `torch.optim.RMSprop`. */
export const rmspropStep = rmspropStepFrom(canonical);

/**
 * RMSPROP-7: TensorFlow's RMSprop — ε inside the root and lr inside the momentum accumulator,
 * mom ← μ·mom + lr·g′/√(v + ε), θ ← θ − mom.
 */
export const rmspropTensorflowStep = rmspropStepFrom({
  denominator: (s, eps) => epsInsideSqrt(s, eps),
  apply: (p, n, buf, h) => {
    const momentum = num(h, 'momentum');
    const increment = num(h, 'lr').times(n);
    if (momentum.isZero()) return { param: p.minus(increment) };
    const buffer = momentum.times(buf).plus(increment);
    return { param: p.minus(buffer), buffer };
  },
});
