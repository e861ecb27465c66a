/**
 * What every bundled float kernel is written in (adapters/float.ts, adapters/float-adaptive.ts):
 * rounding to a dtype, the dtype's elementwise ops, the context of one element's step, and the parts
 * every family shares — L2 decay, the descent and the moving average.
 */
import { roundDoubleToDtype, type Dtype } from '../../reference/dtype.ts';

// ---------------------------------------------------------------------------------------------
// Rounding

export type Round = (x: number) => number;

/**
 * Round a double to a dtype, half-even, with gradual underflow and overflow to ±Infinity: the
 * reference's `roundDoubleToDtype` (NOTE-5, in double arithmetic), with float64 and float32 taken
 * without a lookup since every op of a large case rounds.
 */
export function dtypeRounder(dtype: Dtype): Round {
  if (dtype === 'float64') return (x) => x;
  if (dtype === 'float32') return Math.fround;
  return (x) => roundDoubleToDtype(x, dtype);
}

/** The elementwise ops of a dtype: each rounds its exact (double-evaluated) result once. */
export interface Ops {
  readonly dtype: Dtype;
  readonly round: Round;
  add(a: number, b: number): number;
  sub(a: number, b: number): number;
  mul(a: number, b: number): number;
  div(a: number, b: number): number;
  sqrt(a: number): number;
  max(a: number, b: number): number;
  /** exact in every dtype */
  abs(a: number): number;
  /** −1, ±0, +1 or NaN, exact (`torch.sign`, `jnp.sign` with NaN kept) */
  sign(a: number): number;
}

export function opsFor(dtype: Dtype): Ops {
  const r = dtypeRounder(dtype);
  return {
    dtype,
    round: r,
    add: (a, b) => r(a + b),
    sub: (a, b) => r(a - b),
    mul: (a, b) => r(a * b),
    div: (a, b) => r(a / b),
    sqrt: (a) => r(Math.sqrt(a)),
    // NaN-propagating like torch.maximum
    max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a >= b ? a : b),
    abs: Math.abs,
    sign: Math.sign,
  };
}

// ---------------------------------------------------------------------------------------------
// What every part sees

/** Hyperparameters in force at a step, as doubles and flags. */
export type FloatHyper = Readonly<Record<string, number | boolean>>;

/** The context of one element's step: its ops, the hyperparameters, the step number, the index. */
export interface Ctx {
  readonly o: Ops;
  readonly h: FloatHyper;
  /** this step's number, 1 for the first (counted after the increment, as PyTorch does) */
  readonly t: number;
  /** the element's index in the parameter tensor */
  readonly i: number;
  /** the element's gradient as given, before any decay (a mutant looks at it) */
  readonly grad?: number;
}

export const hn = (c: Ctx, name: string): number => c.h[name] as number;
export const hb = (c: Ctx, name: string): boolean => c.h[name] as boolean;

export type State = Record<string, number>;
export interface ElementResult {
  readonly param: number;
  readonly state: State;
}

/** One family's element step, and how its internal state maps to the wire's (identity for most). */
export interface Kernel {
  step(param: number, grad: number, state: Readonly<State>, c: Ctx): ElementResult;
  toWire?(name: string, x: number, c: Ctx): number;
  fromWire?(name: string, x: number, c: Ctx): number;
  /** NOTE-2: the value a fresh state array starts at, where the kernel decides it (a mutant that ignores the family's) */
  fresh?(name: string, registryValue: number, c: Ctx): number;
}

// ---------------------------------------------------------------------------------------------
// Shared parts

/** SGD-2 / ADAM-1 / RMSPROP: L2 decay coupled into the gradient, g′ = g + λ·θ (skipped when λ = 0, as PyTorch). */
export function l2Gradient(g: number, p: number, c: Ctx): number {
  const wd = hn(c, 'weight_decay');
  return wd === 0 ? g : c.o.add(g, c.o.mul(wd, p));
}

/** SGD-1: θ ← θ − lr·d. */
export function descend(p: number, d: number, c: Ctx): number {
  return c.o.sub(p, c.o.mul(hn(c, 'lr'), d));
}

/** EWMA-2 in kernel form: β·s + (1−β)·x, with 1−β computed on the host in double. */
export function ewma(s: number, x: number, beta: number, c: Ctx): number {
  return c.o.add(c.o.mul(beta, s), c.o.mul(1 - beta, x));
}

/** ADAM-3, RMSPROP-1, ADADELTA-2 in kernel form: β·v + ((1−β)·x)·x, PyTorch's `mul_(β).addcmul_(x, x, value=1−β)`. */
export function squareAverage(v: number, x: number, beta: number, c: Ctx): number {
  return c.o.add(c.o.mul(beta, v), c.o.mul(c.o.mul(1 - beta, x), x));
}
