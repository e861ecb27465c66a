/**
 * The error model of spec/precision.md as an arithmetic: a `Bounded` value carries
 *   v — the value, evaluated in float64,
 *   e — a bound on |honest implementation − exact| (PREC-2, PREC-3),
 *   r — a bound on |v − exact|, the error of this float64 evaluation itself (PREC-6).
 * Reference steps are generic (reference/scalar.ts), so the same formulas run on Bounded values:
 * every elementary operation of an honest implementation is charged one rounding in the
 * precision it runs in, and input errors are propagated through the operation's derivatives.
 */
import { FORMATS, minSubnormal, type Dtype } from '../../reference/dtype.ts';
import type { Scalar } from '../../reference/scalar.ts';

export interface Precision {
  /** unit roundoff of tensor operations: the dtype's (PREC-2) */
  readonly u: number;
  /** unit roundoff of scalar (hyperparameter) arithmetic: the dtype's, float32's for 16-bit dtypes (PREC-3) */
  readonly us: number;
  /** absolute underflow error per tensor operation: half the dtype's smallest subnormal (PREC-2) */
  readonly eta: number;
  readonly etaS: number;
}

const U64 = 2 ** -53;
const ETA64 = 2 ** -1075;

/** PREC-2, PREC-3: the unit roundoffs an honest implementation in `dtype` works with. */
export function precisionOf(dtype: Dtype): Precision {
  const u = 2 ** -FORMATS[dtype].precision;
  const eta = minSubnormal(dtype) / 2;
  const sixteenBit = dtype === 'bfloat16' || dtype === 'float16';
  return { u, us: sixteenBit ? 2 ** -24 : u, eta, etaS: sixteenBit ? minSubnormal('float32') / 2 : eta };
}

/**
 * PREC-2, PREC-3, PREC-4: a float64 value with the error bounds of an honest implementation and of
 * itself. `w` is the underflow channel of PREC-2: absolute errors of results that underflow,
 * carried as if every scalar factor of magnitude below 1 had been applied before them (another
 * honest order), so a later division by a small value amplifies them unscaled.
 */
export class Bounded implements Scalar<Bounded> {
  constructor(
    readonly v: number,
    readonly e: number,
    readonly r: number,
    /** true for values computed from hyperparameters only (lr, βᵗ, 1 − β): scalar arithmetic */
    readonly scalar: boolean,
    readonly p: Precision,
    readonly w: number = 0,
  ) {}

  /**
   * PREC-8: a value as stored after a step (a parameter, a state tensor): held in its own units by
   * every honest order, so the underflow channel becomes part of its rounding error `e` and is
   * not carried as `w` into the next step, where a scalar factor would not shrink it.
   */
  settle(): Bounded {
    return this.w === 0 ? this : new Bounded(this.v, this.e + this.w, this.r, this.scalar, this.p, 0);
  }

  /** A tensor value known exactly (an input element in the dtype). */
  static input(v: number, p: Precision): Bounded {
    return new Bounded(v, 0, 0, false, p);
  }

  /** A hyperparameter: exact (float32-representable by the protocol, PREC-3). */
  static hyper(v: number, p: Precision): Bounded {
    return new Bounded(v, 0, 0, true, p);
  }

  /** The total bound on |honest implementation − exact|: rounding and underflow channels. */
  get bound(): number {
    return this.e + this.w;
  }

  private lift(y: Bounded | number): Bounded {
    return typeof y === 'number' ? Bounded.hyper(y, this.p) : y;
  }

  /** The error of this operand as seen by an operation whose result is a tensor (PREC-3: scalar converted to the dtype). */
  private errorIn(tensorResult: boolean): number {
    return this.scalar && tensorResult ? this.e + this.p.us * Math.abs(this.v) : this.e;
  }

  /** One rounding of a result of magnitude |v| + propagated error (PREC-2); `w` gets one underflow for a tensor result. */
  private result(v: number, propagated: number, refPropagated: number, scalar: boolean, w: number): Bounded {
    const mag = Math.abs(v);
    const u = scalar ? this.p.us : this.p.u;
    const eta = scalar ? this.p.etaS : this.p.eta;
    const e = propagated + u * (mag + propagated) + eta;
    const r = refPropagated + U64 * (mag + refPropagated) + ETA64;
    const under = scalar ? 0 : w + this.p.eta;
    const finite = (x: number) => (Number.isNaN(x) ? Infinity : x);
    return new Bounded(v, finite(e), finite(r), scalar, this.p, finite(under));
  }

  plus(other: Bounded | number): Bounded {
    const y = this.lift(other);
    const scalar = this.scalar && y.scalar;
    return this.result(this.v + y.v, this.errorIn(!scalar) + y.errorIn(!scalar), this.r + y.r, scalar, this.w + y.w);
  }

  minus(other: Bounded | number): Bounded {
    return this.plus(this.lift(other).neg());
  }

  times(y: Bounded): Bounded {
    const scalar = this.scalar && y.scalar;
    const ex = this.errorIn(!scalar);
    const ey = y.errorIn(!scalar);
    const e = Math.abs(this.v) * ey + Math.abs(y.v) * ex + ex * ey;
    const r = Math.abs(this.v) * y.r + Math.abs(y.v) * this.r + this.r * y.r;
    // A scalar factor below 1 may have been applied earlier in another order: it does not shrink `w`.
    const scale = (s: Bounded) => (s.scalar ? Math.max(Math.abs(s.v), 1) : Math.abs(s.v));
    const w = scale(this) * y.w + scale(y) * this.w + this.w * y.w;
    return this.result(this.v * y.v, e, r, scalar, w);
  }

  div(y: Bounded): Bounded {
    const scalar = this.scalar && y.scalar;
    const ex = this.errorIn(!scalar);
    const ey = y.errorIn(!scalar);
    const q = this.v / y.v;
    const margin = Math.abs(y.v) - ey - y.w;
    const refMargin = Math.abs(y.v) - y.r;
    // A denominator that may be zero within its error bounds nothing (PREC-4). Its underflow channel
    // joins `e` here: a later scalar factor cannot be moved into a denominator (PREC-8).
    const e = margin > 0 ? (ex + Math.abs(q) * (ey + y.w)) / margin : Infinity;
    const r = refMargin > 0 ? (this.r + Math.abs(q) * y.r) / refMargin : Infinity;
    const divisor = y.scalar ? Math.min(Math.abs(y.v), 1) : margin;
    // A tensor numerator may have been scaled by a later scalar first and underflowed by η (another honest order).
    const numeratorUnderflow = this.scalar ? 0 : this.p.eta;
    const w = divisor > 0 ? (this.w + numeratorUnderflow) / divisor : Infinity;
    return this.result(q, e, r, scalar, w);
  }

  sqrt(): Bounded {
    const root = Math.sqrt(Math.max(this.v, 0));
    // |√a − √b| = |a − b|/(√a + √b) ≤ min(err/(√a + √(a − err)), √err) for a, b ≥ 0 and |a − b| ≤ err.
    const through = (err: number) => (err === 0 ? 0 : Math.min(root > 0 ? err / (root + Math.sqrt(Math.max(this.v - err, 0))) : Infinity, Math.sqrt(err)));
    // An argument that may be negative within its bound bounds nothing (PREC-4).
    const mayBeNegative = this.bound > 0 && this.v - this.bound < 0;
    const refMayBeNegative = this.r > 0 && this.v - this.r < 0;
    // The argument's underflow channel joins `e`: no scalar factor applied after a root moves inside it (PREC-8).
    const e = mayBeNegative ? Infinity : through(this.e + this.w);
    const r = refMayBeNegative ? Infinity : through(this.r);
    return this.result(this.v < 0 ? NaN : root, e, r, this.scalar, mayBeNegative ? Infinity : 0);
  }

  neg(): Bounded {
    return new Bounded(-this.v, this.e, this.r, this.scalar, this.p, this.w);
  }

  /** βᵗ: propagated input error plus t roundings, which covers a running product (PREC-3). */
  pow(n: number): Bounded {
    const v = this.v ** n;
    const slope = n * Math.abs(this.v) ** (n - 1);
    const u = this.scalar ? this.p.us : this.p.u;
    const e = slope * this.e + n * u * Math.abs(v) + this.p.etaS;
    const r = slope * this.r + 2 * U64 * Math.abs(v) + ETA64;
    return new Bounded(v, e, r, this.scalar, this.p, slope * this.w);
  }

  /** NOTE-7: NaN when either value is NaN, as `torch.maximum`. */
  max(y: Bounded): Bounded {
    const pick = this.v >= y.v || Number.isNaN(this.v) ? this : y;
    return new Bounded(pick.v, Math.max(this.e, y.e), Math.max(this.r, y.r), this.scalar && y.scalar, this.p, Math.max(this.w, y.w));
  }

  isZero(): boolean {
    return this.v === 0;
  }
  isNegative(): boolean {
    return this.v < 0 || Object.is(this.v, -0);
  }
  gte(y: Bounded): boolean {
    return this.v >= y.v;
  }
  gt(y: Bounded): boolean {
    return this.v > y.v;
  }
}

/**
 * PREC-5: an honest implementation may evaluate a formula in another reasonable order (√v/√bc₂
 * for √(v/bc₂), (lr/bc₁)·m for lr·(m/bc₁), fused multiply-adds); each such reordering at most
 * doubles the roundings charged along any path, so the allowed error is twice the bound.
 */
export const ORDER_FACTOR = 2;
