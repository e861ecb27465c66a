/**
 * Ball arithmetic on the BigInt engine (NOTE-4, NOTE-6): a value is known as a midpoint — an exact
 * decimal c·10^e (reference/big-decimal.ts) — and a radius rad·10^e, an upper bound on the distance
 * from the midpoint to the exact value (reference/radius.ts). Radius 0 means the midpoint *is* the
 * exact value: + − × of exact operands are exact while the result has at most W digits, ÷ and √
 * are exact when the remainder is zero; anything else is rounded to the working precision W and
 * half a unit added to the radius. So every result carries a rigorous bound, cancellation included,
 * and exact ties are known to be exact. The generic family steps run on it unchanged.
 */
import { add, BigDecimal, compare, divide, inexact, multiply, squareRoot } from './big-decimal.ts';
import { cutProduct, cutQuotient, cutRoot, cutSum, cutUnits } from './ball-midpoint.ts';
import { roundBall } from './ball-rounding.ts';
import { Dec } from './decimal.ts';
import { exactString } from './dtype.ts';
import { UP, below, magE, magM, magnitude, p10 } from './radius.ts';
import type { Scalar } from './scalar.ts';

/** The working precision W: significant digits of a rounded midpoint, and of an exact result kept. */
let W = 60;

/** Runs `compute` with W digits, then restores the previous precision. */
export function withWorkingPrecision<R>(w: number, compute: () => R): R {
  const saved = W;
  W = w;
  try {
    return compute();
  } finally {
    W = saved;
  }
}

/** A comparison the ball cannot decide at this precision (its ball contains the other value). */
export class Undecided extends Error {
  constructor(what: string) {
    super(`${what} is not decided at ${W} digits`);
  }
}

/** NOTE-4, NOTE-6: an exact value known to lie within rad·10^(mid.exponent) of `mid`. */
/** NADAM-2: whole exponents up to this are multiplied out exactly (0.96 has 53 significant digits: k·53 digits at most). */
const EXACT_POWER_LIMIT = 64;

export class Ball implements Scalar<Ball> {
  /** the radius in units of the midpoint's last digit: 0 exact, Infinity unknown (NaN, from ∞·0, is unknown too) */
  readonly rad: number;
  /** for an inexact √a of an exact a > 0: a, so that √a/√a is known to be exactly 1 */
  radicand?: BigDecimal;

  constructor(
    readonly mid: BigDecimal,
    rad = 0,
  ) {
    this.rad = rad >= 0 ? rad : Infinity;
  }

  /** The working precision; memoize (scalar.ts) keys on it, so tables made at another precision are dropped. */
  static get precision(): number {
    return W;
  }

  /** NOTE-4: the exact value of a double. */
  static exact(x: number): Ball {
    return new Ball(BigDecimal.exact(x));
  }

  /** Radius 0: the midpoint is the exact value. */
  get isExact(): boolean {
    return this.rad === 0;
  }

  /** Whether 0 may lie in the ball (true when unsure). */
  containsZero(): boolean {
    if (!this.mid.finite) return false;
    return this.isExact ? this.mid.isZero() : !below(this.rad, this.mid.exponent, this.mid, 1);
  }

  plus(y: Ball | number): Ball {
    return sumOf(this, lift(y), false);
  }

  minus(y: Ball | number): Ball {
    return sumOf(this, lift(y), true);
  }

  /** |xy − mx·my| ≤ |mx|·ry + |my|·rx + rx·ry (three terms of up to eight roundings each: UP³). */
  times(y: Ball): Ball {
    if (!this.mid.finite || !y.mid.finite) return nonFinite(this, y, (a, b) => a.times(b));
    // exact operands: a product known exact or rounded; else the product cut (ball-midpoint.ts)
    const exact = this.isExact && y.isExact;
    const product = exact ? multiply(this.mid, y.mid, W) : cutProduct(this.mid, y.mid, W);
    const error = exact ? (inexact ? 0.5 : 0) : cutUnits;
    const mid = zeroAt(product, this.mid.exponent + y.mid.exponent);
    if (error === 0 && exact) return new Ball(mid);
    const ez = mid.exponent;
    let rad = error;
    if (y.rad !== 0 && this.mid.coefficient !== 0n) {
      magnitude(this.mid);
      rad += magM * y.rad * p10(magE + y.mid.exponent - ez);
    }
    if (this.rad !== 0 && y.mid.coefficient !== 0n) {
      magnitude(y.mid);
      rad += magM * this.rad * p10(magE + this.mid.exponent - ez);
    }
    if (this.rad !== 0 && y.rad !== 0) rad += this.rad * y.rad * p10(this.mid.exponent + y.mid.exponent - ez);
    return new Ball(mid, rad * UP * UP * UP);
  }

  /** |x/y − mx/my| ≤ (|mx|·ry + |my|·rx) / (|my|²·(1 − ρ)), ρ = ry/|my| ≤ 1/2 (UP⁴ covers the roundings). */
  div(y: Ball): Ball {
    if (!this.mid.finite || !y.mid.finite || (y.isExact && y.mid.isZero())) return nonFinite(this, y, (a, b) => a.div(b));
    // √a / √a = 1 exactly, though √a is irrational (Adadelta's √(u + ε)/√(v + ε) at u = v)
    if (this.radicand !== undefined && y.radicand !== undefined && compare(this.radicand, y.radicand) === 0) return ONE;
    // a divisor within twice its radius of zero: unknown here (a higher precision shrinks the radius)
    if (!y.isExact && !below(y.rad, y.mid.exponent, y.mid, 0.5)) return new Ball(y.mid.isZero() ? y.mid : divide(this.mid, y.mid, W), Infinity);
    const exact = this.isExact && y.isExact;
    // exact operands: a quotient known exact or rounded; else the quotient cut (ball-midpoint.ts)
    const quotient = exact ? divide(this.mid, y.mid, W, W + 3) : cutQuotient(this.mid, y.mid, W);
    const error = exact ? (inexact ? 0.5 : 0) : cutUnits;
    const mid = zeroAt(quotient, this.mid.exponent - y.mid.exponent);
    if (error === 0) return new Ball(mid);
    const ez = mid.exponent;
    magnitude(y.mid);
    const my = magM;
    const ey = magE;
    const rho = y.rad === 0 ? 0 : Math.min(0.5, (y.rad / my) * p10(y.mid.exponent - ey) * UP);
    let num = 0;
    if (y.rad !== 0 && this.mid.coefficient !== 0n) {
      magnitude(this.mid);
      num += magM * y.rad * p10(magE + y.mid.exponent - 2 * ey - ez);
    }
    if (this.rad !== 0) num += my * this.rad * p10(this.mid.exponent - ey - ez);
    const rad = (num / (my * my * (1 - rho))) * UP * UP * UP + error;
    return new Ball(mid, rad * UP);
  }

  /** |√a − √mx| ≤ rx/√mx for every a ≥ 0 (UP² covers the roundings). */
  sqrt(): Ball {
    if (!this.mid.finite) return new Ball(this.mid.sqrt());
    if (this.isExact) {
      if (this.mid.isNegative() && !this.mid.isZero()) return new Ball(this.mid.sqrt());
      const mid = squareRoot(this.mid, W, W);
      const root = new Ball(mid, inexact ? 0.5 : 0);
      if (inexact) root.radicand = this.mid;
      return root;
    }
    // a ball reaching zero may hold a negative value (NaN) or not: unknown here
    if (this.containsZero()) return new Ball(this.mid.abs().sqrt(), Infinity);
    if (this.mid.isNegative()) return new Ball(this.mid.sqrt());
    const mid = cutRoot(this.mid, W);
    magnitude(this.mid);
    const [m, e] = magE % 2 === 0 ? [magM, magE] : [magM * 10, magE - 1];
    const rad = (this.rad / Math.sqrt(m)) * p10(this.mid.exponent - e / 2 - mid.exponent) * UP + cutUnits;
    return new Ball(mid, rad * UP);
  }

  neg(): Ball {
    return new Ball(this.mid.neg(), this.rad);
  }

  /** βᵗ by repeated squaring (exact while the powers fit W digits). */
  pow(n: number): Ball {
    let result: Ball = ONE;
    let base: Ball = this;
    for (let k = n; k > 0; k >>= 1) {
      if (k & 1) result = result.times(base);
      if (k > 1) base = base.times(base);
    }
    return result;
  }

  isZero(): boolean {
    if (this.isExact || !this.mid.finite) return this.mid.isZero();
    if (this.containsZero()) throw new Undecided('whether a value is zero');
    return false;
  }

  isNegative(): boolean {
    if (this.isExact || !this.mid.finite) return this.mid.isNegative();
    if (this.containsZero()) throw new Undecided('the sign of a value');
    return this.mid.isNegative();
  }

  gte(y: Ball): boolean {
    return order(this, y) >= 0;
  }

  gt(y: Ball): boolean {
    return order(this, y) > 0;
  }

  /**
   * max is 1-Lipschitz: the larger midpoint, the larger radius (exact operands: as `maximum`, ties
   * keep this); NaN when either is NaN, as `torch.maximum` (NOTE-7).
   */
  max(y: Ball): Ball {
    if (isNaNBall(this)) return this;
    if (isNaNBall(y)) return y;
    if (this.isExact && y.isExact) return this.gte(y) ? this : y;
    if (!this.mid.finite || !y.mid.finite) return new Ball(this.mid.gte(y.mid) ? this.mid : y.mid, Infinity);
    // balls apart: the larger is the maximum, its own radius (the other's, scaled to a midpoint of
    // few digits, could be far below a double's range and stop shrinking with the precision)
    const d = this.minus(y);
    if (!d.containsZero()) return d.mid.isNegative() ? y : this;
    const mid = compare(this.mid, y.mid) >= 0 ? this.mid : y.mid;
    const scaled = (b: Ball) => (b.rad === 0 ? 0 : b.rad * p10(b.mid.exponent - mid.exponent));
    const rad = Math.max(scaled(this), scaled(y));
    return new Ball(mid, rad * UP);
  }

  /** PREC-9: |x| is exact: the radius passes through. */
  abs(): Ball {
    return new Ball(this.mid.abs(), this.rad);
  }

  /** LION-2: −1, 0 or +1, exact; a ball that may hold 0 has no decided sign at this precision. */
  signum(): Ball {
    if (!this.mid.finite || this.isExact) return new Ball(this.mid.signum(), this.mid.finite || this.isExact ? 0 : Infinity);
    if (this.containsZero()) throw new Undecided('a sign (LION-2)');
    return Ball.exact(this.mid.isNegative() ? -1 : 1);
  }

  /**
   * NADAM-2, NOTE-4: base^this for a literal base, computed by decimal.js's pow at W digits (within
   * one unit of its last digit: two are allowed), plus the exponent's radius through d(cˣ)/dx = ln c·cˣ.
   */
  powerOf(base: number): Ball {
    if (!this.mid.finite) return new Ball(this.mid.powerOf(base), this.isExact ? 0 : Infinity);
    // a whole exponent (t·ψ with ψ = 0, or 1, …) gives an exact power: a tie through it must be decided, not capped
    const k = this.isExact ? this.mid.toNumber() : NaN;
    if (Number.isInteger(k) && k >= 0 && k <= EXACT_POWER_LIMIT) {
      let power = Ball.exact(1);
      for (let i = 0; i < k; i++) power = power.times(Ball.exact(base));
      return power;
    }
    const D = decimalAt(W);
    const mid = BigDecimal.fromDecimal(new D(exactString(base)).pow(new D(this.mid.toString())));
    if (!mid.finite || mid.coefficient === 0n) return new Ball(mid, Infinity);
    let rad = 2 * p10(mid.digits - W) * UP;
    if (!this.isExact) {
      // |ln c|·|cˣ|·r, r the exponent's radius; e^(|ln c|·r) − 1 ≤ 1.01·|ln c|·r while |ln c|·r ≤ 0.01
      magnitude(this.mid);
      const r = this.rad * p10(this.mid.exponent);
      const spread = Math.abs(Math.log(base)) * r * UP;
      if (!(spread <= 0.01)) return new Ball(mid, Infinity);
      magnitude(mid);
      rad += 1.01 * spread * magM * p10(magE - mid.exponent) * UP * UP;
    }
    return new Ball(mid, rad * UP);
  }

  /** An exact small integer. */
  integer(n: number): Ball {
    return Ball.exact(n);
  }

  /** PREC-12: exact arithmetic keeps the value as it is (an implementation may hold it in float32). */
  heldInFloat32(): Ball {
    return this;
  }

  /** DEFECT-3, NOTE-5: the value rounded to float32, half-even — exact once the ball decides it. */
  roundedToFloat32(): Ball {
    const v = roundBall(this, 'float32');
    if (v === undefined) throw new Undecided('a rounding to float32 (DEFECT-3)');
    return Ball.exact(v);
  }

  /** PREC-10, RADAM-5: `this > 0 ? above() : below()`, once the ball decides the sign (NaN: below). */
  whenPositive(above: () => Ball, below: () => Ball): Ball {
    if (!this.mid.finite) return this.mid.toNumber() > 0 ? above() : below();
    if (this.isExact) return this.mid.isZero() || this.mid.isNegative() ? below() : above();
    if (this.containsZero()) throw new Undecided('a branch on a sign (PREC-10)');
    return this.mid.isNegative() ? below() : above();
  }

  toString(): string {
    return this.isExact ? this.mid.toString() : `${this.mid.toString()} ± ${this.rad}e${this.mid.exponent}`;
  }
}

const ONE = Ball.exact(1);

const DECIMALS = new Map<number, typeof Dec>();
/** decimal.js at w significant digits, half-even (one constructor per precision). */
function decimalAt(w: number): typeof Dec {
  let D = DECIMALS.get(w);
  if (D === undefined) DECIMALS.set(w, (D = Dec.clone({ precision: w, rounding: Dec.ROUND_HALF_EVEN })));
  return D;
}

/** NOTE-7: a NaN (not a number, exactly or not). */
const isNaNBall = (b: Ball): boolean => !b.mid.finite && Number.isNaN(b.mid.toNumber());

function lift(y: Ball | number): Ball {
  if (typeof y !== 'number') return y;
  // the reference adds small integer constants only (1 − β)
  if (!Number.isSafeInteger(y)) throw new Error(`Ball: ${y} is not an integer; convert it with Ball.exact`);
  return y === 1 ? ONE : Ball.exact(y);
}

/** x ± y: exact while the sum of exact operands fits W digits, else rounded or cut to W digits with its error added (six roundings: UP). */
function sumOf(x: Ball, y: Ball, negate: boolean): Ball {
  if (!x.mid.finite || !y.mid.finite) return nonFinite(x, y, (a, b) => (negate ? a.minus(b) : a.plus(b)));
  const ySign = (y.mid.sign === 1) !== negate ? 1 : -1;
  const exact = x.isExact && y.isExact;
  const sum = exact ? add(x.mid, ySign, y.mid, W) : cutSum(x.mid, ySign, y.mid, W);
  const error = exact ? (inexact ? 0.5 : 0) : cutUnits;
  const mid = zeroAt(sum, Math.min(x.mid.exponent, y.mid.exponent));
  if (error === 0 && exact) return new Ball(mid);
  const ez = mid.exponent;
  let rad = error;
  if (x.rad !== 0) rad += x.rad * p10(x.mid.exponent - ez);
  if (y.rad !== 0) rad += y.rad * p10(y.mid.exponent - ez);
  return new Ball(mid, rad * UP);
}

/**
 * A zero midpoint (a cancellation) placed at the operands' scale: its exponent is only the unit the
 * radius is counted in, and 10^0 would be far from a radius of 10^−300 (the radius would be rounded
 * up to the smallest unit radius.ts can scale, and then blow up when the zero meets a value).
 */
function zeroAt(mid: BigDecimal, e: number): BigDecimal {
  return mid.coefficient === 0n && mid.exponent !== e ? BigDecimal.of(mid.sign, 0n, e) : mid;
}

/**
 * An operation with a NaN or an infinity, or a division by an exact zero: decimal.js's result on the
 * midpoints (NOTE-6), exact unless an inexact operand may be zero (∞·0, 0/0 against a value).
 */
function nonFinite(x: Ball, y: Ball, op: (a: BigDecimal, b: BigDecimal) => BigDecimal): Ball {
  const mid = op(x.mid, y.mid);
  const unsure = (!x.isExact && x.containsZero()) || (!y.isExact && y.containsZero());
  return new Ball(mid, unsure ? Infinity : 0);
}

/** −1, 0 or 1 as x <, =, > y, when the balls decide it. */
function order(x: Ball, y: Ball): number {
  if (!x.mid.finite || !y.mid.finite) return x.mid.gt(y.mid) ? 1 : x.mid.gte(y.mid) ? 0 : -1;
  const d = x.minus(y);
  if (d.isExact) return d.mid.isZero() ? 0 : d.mid.sign;
  if (d.containsZero()) throw new Undecided('a comparison');
  return d.mid.sign;
}
