/**
 * Stochastic gradient descent (spec/sgd.md): plain, L2 weight decay, PyTorch's momentum buffer,
 * Nesterov, and the named variants — each the canonical step with one part replaced.
 */
import { lerp } from './ewma.ts';
import { flag, num, type ElementResult, type ElementState, type ElementStep, type Hyper } from './notation.ts';
import { oneMinus, type Scalar } from './scalar.ts';

/** SGD-1: θ ← θ − lr·d, the descent step along a direction d. */
export function descend<T extends Scalar<T>>(param: T, lr: T, direction: T): T {
  return param.minus(lr.times(direction));
}

/** SGD-2: L2 weight decay added to the gradient, g′ = g + λ·θ (coupled); at λ = 0 the term is absent, as in PyTorch. */
export function l2Gradient<T extends Scalar<T>>(grad: T, param: T, weightDecay: T): T {
  return weightDecay.isZero() ? grad : grad.plus(weightDecay.times(param));
}

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

/** SGD-6: decoupled weight decay scaled by the learning rate, θ ← θ − lr·λ·θ; at λ = 0 the term is absent. */
export function decoupledDecay<T extends Scalar<T>>(param: T, lr: T, weightDecay: T): T {
  return weightDecay.isZero() ? param : param.minus(lr.times(weightDecay).times(param));
}

/** The parts an SGD step is composed of; a variant replaces one. */
interface SgdParts {
  /** the gradient the buffer sees: SGD-2 (L2), the raw gradient (SGD-6) or −lr·g′ (SGD-7) */
  gradient<T extends Scalar<T>>(grad: T, param: T, h: Hyper<T>): T;
  /** the momentum buffer: SGD-3 or SGD-5 */
  buffer<T extends Scalar<T>>(buffer: T, grad: T, h: Hyper<T>, t: number): T;
  /** the new parameter from the old and the direction: SGD-1 (with SGD-4), or θ + d (SGD-7) */
  apply<T extends Scalar<T>>(param: T, direction: T, h: Hyper<T>): T;
}

const canonical: SgdParts = {
  gradient: (g, p, h) => l2Gradient(g, p, num(h, 'weight_decay')),
  buffer: (b, g, h, t) => torchMomentumBuffer(b, g, num(h, 'momentum'), num(h, 'dampening'), t),
  apply: (p, d, h) => descend(p, num(h, 'lr'), d),
};

/** SGD-1, SGD-2, SGD-3, SGD-4: an SGD step built from its parts. */
export function sgdStepFrom(parts: SgdParts): ElementStep {
  return <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, h: Hyper<T>, t: number): ElementResult<T> => {
    const g = parts.gradient(grad, param, h);
    const momentum = num(h, 'momentum');
    if (momentum.isZero()) return { param: parts.apply(param, g, h), state: {} };
    const buffer = parts.buffer(state.momentum_buffer, g, h, t);
    const direction = flag(h, 'nesterov') ? nesterovDirection(g, buffer, momentum) : buffer;
    return { param: parts.apply(param, direction, h), state: { momentum_buffer: buffer } };
  };
}

/** SGD-1, SGD-2, SGD-3, SGD-4: `torch.optim.SGD`. */
export const sgdStep = sgdStepFrom(canonical);

/** SGD-5: the notes' interpolated momentum in place of PyTorch's buffer. */
export const sgdLerpMomentumStep = sgdStepFrom({
  ...canonical,
  buffer: (b, g, h) => lerpMomentumBuffer(b, g, num(h, 'momentum')),
});

/** SGD-6: decoupled decay (SGDW) in place of L2 — the raw gradient, then θ − lr·λ·θ − lr·d. */
export const sgdDecoupledDecayStep = sgdStepFrom({
  ...canonical,
  gradient: (g, _p, _h) => g,
  apply: (p, d, h) => descend(decoupledDecay(p, num(h, 'lr'), num(h, 'weight_decay')), num(h, 'lr'), d),
});

/**
 * SGD-7: the learning rate inside the buffer (Sutskever et al.; Keras, scikit-learn): the canonical
 * step with the buffer fed −lr·g′ instead of g′ and the direction added, so
 * vₜ = μ·vₜ₋₁ − lr·(1−τ)·g′ (v₁ = −lr·g′), θ ← θ + vₜ, Nesterov θ ← θ + μ·vₜ − lr·g′.
 * Equal to SGD-3 while lr is constant; the buffer keeps the old lr when it changes.
 */
export const sgdLrInBufferStep = sgdStepFrom({
  ...canonical,
  gradient: (g, p, h) =>
    num(h, 'lr')
      .times(canonical.gradient(g, p, h))
      .neg(),
  apply: (p, d, _h) => p.plus(d),
});
