/**
 * NOTE-7, PREC-4: which outputs of one element's step an honest evaluation leaves unbounded in its
 * finite part. Where an input is ±∞ the output's bound is infinite anyway (u·|∞|), so the bound
 * alone cannot say whether the finite part of the step — centered RMSprop's update
 * lr·ḡ/(√(v − ḡ²) + ε) beside θ = −∞ — is bounded. `Unbounded` runs the step on `Bounded` values
 * and marks a value unbounded where PREC-4 leaves it so: an operation whose operands are finite
 * with finite bounds but whose result's bound is infinite (a root of a value that may be negative,
 * a division by one that may be zero), and every value computed from one. An infinite bound that
 * comes from an infinite operand (∞ ± x, x/∞) marks nothing: an honest evaluation of it is the
 * reference's own non-finite value.
 */
import type { Hyper } from '../../reference/notation.ts';
import type { Scalar } from '../../reference/scalar.ts';
import { Bounded, branchSide } from './error-model.ts';
import { boundedAt, type Fields, type StepInputs, type StepSpec } from './kernel.ts';

/** A finite value with a finite bound: an operand PREC-2's formulas bound. */
const bounded = (b: Bounded): boolean => Number.isFinite(b.v) && Number.isFinite(b.bound);

/** PREC-4: a `Bounded` value and whether it, or a value it is computed from, is unbounded there. */
class Unbounded implements Scalar<Unbounded> {
  constructor(
    readonly b: Bounded,
    readonly unbounded: boolean,
  ) {}

  /** A result: unbounded when an operand is, or when PREC-4 gives an infinite bound from bounded finite operands. */
  private static of(b: Bounded, operands: readonly Unbounded[]): Unbounded {
    const inherited = operands.some((o) => o.unbounded);
    return new Unbounded(b, inherited || (!Number.isFinite(b.bound) && operands.every((o) => bounded(o.b))));
  }

  private lift(y: Unbounded | number): Unbounded {
    return typeof y === 'number' ? new Unbounded(Bounded.hyper(y, this.b.p), false) : y;
  }

  plus(y: Unbounded | number): Unbounded {
    const o = this.lift(y);
    return Unbounded.of(this.b.plus(o.b), [this, o]);
  }
  minus(y: Unbounded | number): Unbounded {
    const o = this.lift(y);
    return Unbounded.of(this.b.minus(o.b), [this, o]);
  }
  times(y: Unbounded): Unbounded {
    return Unbounded.of(this.b.times(y.b), [this, y]);
  }
  div(y: Unbounded): Unbounded {
    return Unbounded.of(this.b.div(y.b), [this, y]);
  }
  max(y: Unbounded): Unbounded {
    return Unbounded.of(this.b.max(y.b), [this, y]);
  }
  sqrt(): Unbounded {
    return Unbounded.of(this.b.sqrt(), [this]);
  }
  neg(): Unbounded {
    return Unbounded.of(this.b.neg(), [this]);
  }
  pow(n: number): Unbounded {
    return Unbounded.of(this.b.pow(n), [this]);
  }
  abs(): Unbounded {
    return Unbounded.of(this.b.abs(), [this]);
  }
  signum(): Unbounded {
    return Unbounded.of(this.b.signum(), [this]);
  }
  powerOf(base: number): Unbounded {
    return Unbounded.of(this.b.powerOf(base), [this]);
  }
  integer(n: number): Unbounded {
    return new Unbounded(this.b.integer(n), false);
  }
  heldInFloat32(): Unbounded {
    return Unbounded.of(this.b.heldInFloat32(), [this]);
  }
  roundedToFloat32(): Unbounded {
    return Unbounded.of(this.b.roundedToFloat32(), [this]);
  }
  /** PREC-10: as `Bounded.whenPositive`, the branches joined where both are honest. */
  whenPositive(above: () => Unbounded, below: () => Unbounded): Unbounded {
    const side = branchSide(this.b);
    if (side === 'above') return above();
    if (side === 'below') return below();
    const [first, second] = this.b.v > 0 ? [above(), below()] : [below(), above()];
    return Unbounded.of(first.b.hullWith(second.b), [first, second]);
  }
  isZero(): boolean {
    return this.b.isZero();
  }
  isNegative(): boolean {
    return this.b.isNegative();
  }
  gte(y: Unbounded): boolean {
    return this.b.gte(y.b);
  }
  gt(y: Unbounded): boolean {
    return this.b.gt(y.b);
  }
}

/** Element i of a tensor: a carried finite value with an infinite bound, or one marked in `carried`, is unbounded. */
function inputAt(f: Fields, i: number, step: StepSpec, carried: boolean): Unbounded {
  const b = boundedAt(f, i, step.p);
  return new Unbounded(b, carried || (Number.isFinite(b.v) && !Number.isFinite(b.bound)));
}

/**
 * NOTE-7, PREC-4: the outputs (`params` or a state name) of element i's step whose finite part an
 * honest evaluation leaves unbounded, from the step's inputs (`carried`: the inputs marked
 * unbounded at an earlier step of a trajectory the reference carries, PREC-8).
 */
export function unboundedOutputs(
  step: StepSpec,
  inputs: StepInputs<Fields, ArrayLike<number>>,
  i: number,
  carried: ReadonlySet<string> = new Set(),
): Set<string> {
  const { def, h, t, p, names } = step;
  const hyper: Hyper<Unbounded> = Object.fromEntries(Object.entries(h).map(([k, x]) => [k, typeof x === 'boolean' ? x : new Unbounded(x, false)]));
  const state = Object.fromEntries(names.map((name) => [name, inputAt(inputs.state[name], i, step, carried.has(name))]));
  const grad = new Unbounded(Bounded.input(inputs.grad[i], p), false);
  const res = def.step(inputAt(inputs.param, i, step, carried.has('params')), grad, state, hyper, t);
  const out = new Set<string>();
  if (res.param.unbounded) out.add('params');
  for (const [name, x] of Object.entries(res.state)) if (x.unbounded) out.add(name);
  return out;
}
