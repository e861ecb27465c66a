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
/** float32's unit roundoff and half its smallest subnormal: NAdam's μ product is a float32 scalar in every dtype (PREC-12) */
const U32 = 2 ** -24;
const ETA32 = 2 ** -150;

/** PREC-10: which branches of `d > 0 ? above : below` an honest implementation may take, from d's bounds. */
export function branchSide(d: Bounded): 'above' | 'below' | 'both' {
  const margin = ORDER_FACTOR * d.bound + d.r;
  if (d.v > margin) return 'above';
  if (d.v <= -margin) return 'below';
  return 'both';
}

/** PREC-9: sign's error from its argument's value and bound: 0 where the sign is certain, 1 at zero, 2 where it may flip. */
function signError(v: number, bound: number): number {
  if (v !== v) return Infinity;
  if (bound === 0 || Math.abs(v) > bound) return 0;
  return v === 0 ? 1 : 2;
}

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
    /**
     * PREC-9: the value is known exactly, in every honest order — an input, a hyperparameter, a
     * product with an exact zero, a sum of exact operands that cancels. Bounds are not changed by
     * it; sign reads it (Lion's c = β₁·0 + (1 − β₁)·0 has sign 0 exactly).
     */
    readonly x: boolean = false,
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
    return new Bounded(v, 0, 0, false, p, 0, true);
  }

  /** A hyperparameter: exact (float32-representable by the protocol, PREC-3). */
  static hyper(v: number, p: Precision): Bounded {
    return new Bounded(v, 0, 0, true, p, 0, true);
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

  /** PREC-9: whether this operand is exact where it meets a result of the given kind (a scalar's conversion to the dtype is exact for zero only). */
  private exactIn(tensorResult: boolean): boolean {
    return this.x && (!(this.scalar && tensorResult) || this.v === 0);
  }

  /**
   * One rounding of a result of magnitude |v| + propagated error (PREC-2); `w` gets one underflow for
   * a tensor result. `exact`: a tensor result is nevertheless known exactly (PREC-9), a flag only;
   * a scalar is exact only when it has no error at all (the kernel reads a constant's exactness so).
   */
  private result(v: number, propagated: number, refPropagated: number, scalar: boolean, w: number, exact = false): Bounded {
    const mag = Math.abs(v);
    const u = scalar ? this.p.us : this.p.u;
    const eta = scalar ? this.p.etaS : this.p.eta;
    const e = propagated + u * (mag + propagated) + eta;
    const r = refPropagated + U64 * (mag + refPropagated) + ETA64;
    const under = scalar ? 0 : w + this.p.eta;
    const finite = (x: number) => (Number.isNaN(x) ? Infinity : x);
    return new Bounded(v, finite(e), finite(r), scalar, this.p, finite(under), exact && !scalar);
  }

  plus(other: Bounded | number): Bounded {
    const y = this.lift(other);
    const scalar = this.scalar && y.scalar;
    const v = this.v + y.v;
    const exact = v === 0 && this.exactIn(!scalar) && y.exactIn(!scalar);
    return this.result(v, this.errorIn(!scalar) + y.errorIn(!scalar), this.r + y.r, scalar, this.w + y.w, exact);
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
    const v = this.v * y.v;
    const exact = v === 0 && ((this.v === 0 && this.exactIn(!scalar)) || (y.v === 0 && y.exactIn(!scalar)));
    return this.result(v, e, r, scalar, w, exact);
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
    return new Bounded(-this.v, this.e, this.r, this.scalar, this.p, this.w, this.x);
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
    return new Bounded(pick.v, Math.max(this.e, y.e), Math.max(this.r, y.r), this.scalar && y.scalar, this.p, Math.max(this.w, y.w), this.x && y.x);
  }

  /** PREC-9: |x| is exact and 1-Lipschitz: the bounds pass through. */
  abs(): Bounded {
    return new Bounded(Math.abs(this.v), this.e, this.r, this.scalar, this.p, this.w, this.x);
  }

  /** PREC-9: sign(x) is exact where x is exact or its bound cannot reach zero; else off by 1 (x = 0) or 2. */
  signum(): Bounded {
    const e = this.x ? 0 : signError(this.v, this.bound);
    const r = this.x ? 0 : signError(this.v, this.r);
    // a sign that is certain is known exactly
    return new Bounded(Math.sign(this.v), e, r, this.scalar, this.p, 0, e === 0 && r === 0);
  }

  /**
   * PREC-11: base^this for a literal base c (NAdam's 0.96), held by an honest implementation within
   * u_s·c (a cast to its scalar type), the exponent x with bound eₓ: the logarithm of the ratio is
   * at most |x|·e_c/(c − e_c) + |ln c|·eₓ, and a library `pow` is charged one ulp (2u_s).
   */
  powerOf(base: number): Bounded {
    const z = base ** this.v;
    const lnc = Math.abs(Math.log(base));
    const ec = this.p.us * base;
    const spread = (Math.abs(this.v) * ec) / (base - ec) + lnc * this.e;
    const e = z * Math.expm1(spread) + 2 * this.p.us * z * Math.exp(spread);
    const r = z * Math.expm1(lnc * this.r) + 2 * U64 * z * Math.exp(lnc * this.r) + ETA64;
    return new Bounded(z, e + this.p.etaS, r, this.scalar, this.p, 0);
  }

  /** An exact integer constant (a hyperparameter-like scalar). */
  integer(n: number): Bounded {
    return Bounded.hyper(n, this.p);
  }

  /**
   * PREC-12: a value an implementation may hold as a float32 scalar whatever the dtype (NAdam's μ
   * product): one more rounding at float32's u, and float32's underflow, on top of the dtype's.
   */
  heldInFloat32(): Bounded {
    const e = this.e + U32 * (Math.abs(this.v) + this.e) + ETA32;
    return new Bounded(this.v, Number.isNaN(e) ? Infinity : e, this.r, this.scalar, this.p, this.w);
  }

  /**
   * DEFECT-3: the value rounded to float32 (a defect's reference computes this rounding). Exact from
   * an exact input; otherwise the honest input may round to a neighbour: one float32 ulp more.
   */
  roundedToFloat32(): Bounded {
    const v = Math.fround(this.v);
    const ulp = 2 ** -23 * Math.abs(v);
    return new Bounded(v, this.bound === 0 ? 0 : this.e + ulp, this.r === 0 ? 0 : this.r + ulp, this.scalar, this.p, this.w, this.x);
  }

  /**
   * PREC-10: `this > 0 ? above() : below()` on a scalar difference (RAdam's ρₜ − 5). Where the
   * difference's bound reaches zero both branches are honest: the result is the exact side's value
   * with a bound that also covers the other side's value and bound (`hullWith`).
   */
  whenPositive(above: () => Bounded, below: () => Bounded): Bounded {
    const side = branchSide(this);
    if (side === 'above') return above();
    if (side === 'below') return below();
    return this.v > 0 ? above().hullWith(below()) : below().hullWith(above());
  }

  /** PREC-10: this value, bounded so that the allowed error (ORDER_FACTOR·bound) also covers `other` within its own. */
  hullWith(other: Bounded): Bounded {
    const gap = Math.abs(this.v - other.v) * (1 + 2 ** -52) + this.r + other.r;
    const e = Math.max(this.e, other.e + gap / ORDER_FACTOR);
    return new Bounded(this.v, Number.isNaN(e) ? Infinity : e, Math.max(this.r, other.r), this.scalar && other.scalar, this.p, Math.max(this.w, other.w));
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
