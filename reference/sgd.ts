/**
 * Stochastic gradient descent (spec/sgd.md): plain, L2 weight decay, PyTorch's momentum buffer,
 * Nesterov, and the named variants — each the canonical step with one part replaced.
 */
import { flag, num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { decoupledDecay, l2Decay, lerp, type WeightDecay } from './parts.ts';
import { oneMinus, type Scalar } from './scalar.ts';

/** SGD-3: PyTorch's buffer — b₁ = g′ (no dampening on the first step), then bₜ = μ·bₜ₋₁ + (1−τ)·g′. */
export function torchMomentumBuffer<T extends Scalar<T>>(buffer: T, grad: T, momentum: T, dampening: T, t: number): T {
  return t === 1 ? grad : momentum.times(buffer).plus(oneMinus(dampening).times(grad));
}

/** SGD-4: the Nesterov direction d = g′ + μ·bₜ, from the buffer just updated. */
export function nesterovDirection<T extends Scalar<T>>(grad: T, buffer: T, momentum: T): T {
  return grad.plus(momentum.times(buffer));
}

/** SGD-5: the notes' momentum, a linear interpolation bₜ = β·bₜ₋₁ + (1−β)·g′ from b₀ = 0. */
export function lerpMomentumBuffer<T extends Scalar<T>>(buffer: T, grad: T, momentum: T): T {
  return lerp(buffer, grad, momentum);
}

/**
 * SGD-7: L2 decay (SGD-2) with the learning rate inside the buffer (Sutskever et al.; Keras,
 * scikit-learn) — the buffer is fed −lr·g′ instead of g′ and the direction is added, so
 * vₜ = μ·vₜ₋₁ − lr·(1−τ)·g′ (v₁ = −lr·g′), θ ← θ + vₜ, Nesterov θ ← θ + μ·vₜ − lr·g′.
 * Equal to SGD-3 while lr is constant; the buffer keeps the old lr when it changes.
 */
export const l2DecayLrInBuffer: WeightDecay = {
  gradient: (g, p, h) =>
    num(h, 'lr')
      .times(l2Decay.gradient(g, p, h))
      .neg(),
  apply: (p, d, _h) => p.plus(d),
};

/** The parts an SGD step is composed of; a variant replaces one. */
export interface SgdParts {
  /** where λ and lr enter: SGD-2 with SGD-1 (L2), SGD-6 (decoupled) or SGD-7 (lr in the buffer) */
  readonly decay: WeightDecay;
  /** the momentum buffer: SGD-3 or SGD-5 */
  buffer<T extends Scalar<T>>(buffer: T, grad: T, h: Hyper<T>, t: number): T;
}

/** SGD-2, SGD-3: `torch.optim.SGD`'s parts — L2 decay and PyTorch's momentum buffer. */
export const canonicalSgdParts: SgdParts = {
  decay: l2Decay,
  buffer: (b, g, h, t) => torchMomentumBuffer(b, g, num(h, 'momentum'), num(h, 'dampening'), t),
};

/** SGD-1, SGD-2, SGD-3, SGD-4: an SGD step built from its parts. */
export function sgdStepFrom(parts: SgdParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = parts.decay.gradient(grad, param, h);
    const momentum = num(h, 'momentum');
    if (momentum.isZero()) return { param: parts.decay.apply(param, g, h), state: {} };
    const buffer = parts.buffer(state.momentum_buffer, g, h, t);
    const direction = flag(h, 'nesterov') ? nesterovDirection(g, buffer, momentum) : buffer;
    return { param: parts.decay.apply(param, direction, h), state: { momentum_buffer: buffer } };
  };
}

/** SGD-1, SGD-2, SGD-3, SGD-4: `torch.optim.SGD`. */
export const sgdStep = sgdStepFrom(canonicalSgdParts);

/** SGD-5: the notes' interpolated momentum in place of PyTorch's buffer. */
export const sgdLerpMomentumStep = sgdStepFrom({
  ...canonicalSgdParts,
  buffer: (b, g, h) => lerpMomentumBuffer(b, g, num(h, 'momentum')),
});

/** SGD-6: SGDW — SGD with its decay part replaced, decoupled decay (the raw gradient, then θ − lr·λ·θ − lr·d) in place of L2. */
export const sgdDecoupledDecayStep = sgdStepFrom({ ...canonicalSgdParts, decay: decoupledDecay });

/** SGD-7: the learning rate inside the buffer — SGD with its decay part replaced by `l2DecayLrInBuffer`. */
export const sgdLrInBufferStep = sgdStepFrom({ ...canonicalSgdParts, decay: l2DecayLrInBuffer });
