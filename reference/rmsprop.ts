/**
 * RMSprop, the notes' "adaptive learning rate" (spec/rmsprop.md): PyTorch's form and
 * TensorFlow's, the latter being PyTorch's with the denominator and the momentum part replaced.
 */
import { Dec } from './decimal.ts';
import { ewmaUpdate } from './ewma.ts';
import { flag, num, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { descend, l2Gradient } from './sgd.ts';

/** RMSPROP-1: the square average v ← α·v + (1−α)·g′². */
export function squareAverage(v: Dec, grad: Dec, alpha: Dec): Dec {
  return ewmaUpdate(v, grad.times(grad), alpha);
}

/** RMSPROP-3: the centered mean-square estimate v − ḡ², with ḡ ← α·ḡ + (1−α)·g′. */
export function centeredVariance(v: Dec, gradAvg: Dec): Dec {
  return v.minus(gradAvg.times(gradAvg));
}

/** RMSPROP-2: ε outside the root, √s + ε (PyTorch). */
export function epsOutsideRoot(s: Dec, eps: Dec): Dec {
  return s.sqrt().plus(eps);
}

/** RMSPROP-7: ε inside the root, √(s + ε) (TensorFlow, Keras). */
export function epsInsideRoot(s: Dec, eps: Dec): Dec {
  return s.plus(eps).sqrt();
}

interface RmspropParts {
  /** the denominator from the (centered) mean square: RMSPROP-2 or RMSPROP-7 */
  readonly denominator: (meanSquare: Dec, eps: Dec) => Dec;
  /** the parameter and momentum buffer from the normalised gradient g′/den: RMSPROP-4/5 or RMSPROP-7 */
  readonly apply: (param: Dec, normalised: Dec, buffer: Dec, h: Hyper) => { param: Dec; buffer?: Dec };
}

const canonical: RmspropParts = {
  denominator: epsOutsideRoot,
  apply: (p, n, buf, h) => {
    const momentum = num(h, 'momentum');
    if (momentum.isZero()) return { param: descend(p, num(h, 'lr'), n) };
    const buffer = momentum.times(buf).plus(n);
    return { param: descend(p, num(h, 'lr'), buffer), buffer };
  },
};

/** RMSPROP-1 … RMSPROP-6: an RMSprop step built from its parts. */
export function rmspropStepFrom(parts: RmspropParts): ElementStep {
  return (param, grad, state, h, _t) => {
    const alpha = num(h, 'alpha');
    const g = l2Gradient(grad, param, num(h, 'weight_decay'));
    const squareAvg = squareAverage(state.square_avg, g, alpha);
    const next: Record<string, Dec> = { square_avg: squareAvg };
    let meanSquare = squareAvg;
    if (flag(h, 'centered')) {
      next.grad_avg = ewmaUpdate(state.grad_avg, g, alpha);
      meanSquare = centeredVariance(squareAvg, next.grad_avg);
    }
    const normalised = g.div(parts.denominator(meanSquare, num(h, 'eps')));
    const applied = parts.apply(param, normalised, state.momentum_buffer, h);
    if (applied.buffer !== undefined) next.momentum_buffer = applied.buffer;
    return { param: applied.param, state: next as ElementState };
  };
}

/** RMSPROP-1 … RMSPROP-6: `torch.optim.RMSprop`. */
export const rmspropStep = rmspropStepFrom(canonical);

/**
 * RMSPROP-7: TensorFlow's RMSprop — ε inside the root and lr inside the momentum accumulator,
 * mom ← μ·mom + lr·g′/√(v + ε), θ ← θ − mom.
 */
export const rmspropTensorflowStep = rmspropStepFrom({
  denominator: epsInsideRoot,
  apply: (p, n, buf, h) => {
    const momentum = num(h, 'momentum');
    const increment = num(h, 'lr').times(n);
    if (momentum.isZero()) return { param: p.minus(increment) };
    const buffer = momentum.times(buf).plus(increment);
    return { param: p.minus(buffer), buffer };
  },
});
