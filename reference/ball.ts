/**
 * Ball arithmetic on BigInts (NOTE-4, NOTE-6): a value is known as a midpoint — an exact dyadic
 * ±c·2^e, c ≥ 0 a BigInt — and a radius rad·2^e, an upper bound on the distance from the midpoint
 * to the exact value (reference/radius.ts). Every double is such a value, held exactly; radius 0
 * means the midpoint *is* the exact value: + − × of exact operands are exact while the result has
 * at most P bits (P the working precision W in bits), ÷ and √ are exact when the remainder is zero;
 * anything else is cut to P bits and the error added to the radius (ball-midpoint.ts). So every
 * result carries a rigorous bound, cancellation included, and exact ties are known to be exact.
 * Binary midpoints cost shifts where decimal ones cost powers of ten; a value becomes decimal
 * digits only where it is printed (ball-rounding.ts). The generic family steps run on it unchanged.
 */
import { BigDecimal } from './big-decimal.ts';
import {
  compareMagnitudes,
  cut,
  cutProduct,
  cutQuotient,
  cutQuotientByReciprocal,
  cutRoot,
  cutSum,
  cutUnits,
  midBits,
  midC,
  midE,
  midNegative,
  reciprocal,
  zero,
} from './ball-midpoint.ts';
import { roundBall } from './ball-rounding.ts';
import { Dec } from './decimal.ts';
import { decompose, exactString } from './dtype.ts';
import { MIN_RAD, UP, below, big, bitLength, mantissa, p2 } from './radius.ts';
import type { Scalar } from './scalar.ts';

/** The working precision W: decimal digits the midpoints carry (as P = ⌈W·log₂10⌉ bits). */
let W = 60;
let P = bitsOf(W);

function bitsOf(w: number): number {
  return Math.ceil(w * Math.log2(10));
}

/** Runs `compute` with W digits, then restores the previous precision. */
export function withWorkingPrecision<R>(w: number, compute: () => R): R {
  const saved = W;
  W = w;
  P = bitsOf(w);
  try {
    return compute();
  } finally {
    W = saved;
    P = bitsOf(saved);
  }
}

/** A comparison the ball cannot decide at this precision (its ball contains the other value). */
export class Undecided extends Error {
  constructor(what: string) {
    super(`${what} is not decided at ${W} digits`);
  }
}

/** NADAM-2: whole exponents up to this are multiplied out exactly (0.96 has 53 significant bits: k·53 bits at most). */
const EXACT_POWER_LIMIT = 64;

/** NOTE-4, NOTE-6: an exact value known to lie within rad·2^exponent of the midpoint ±coefficient·2^exponent. */
export class Ball implements Scalar<Ball> {
  /** the radius in units of the midpoint's last bit: 0 exact, Infinity unknown (NaN, from ∞·0, is unknown too) */
  readonly rad: number;
  /** for an inexact √a of an exact a > 0: a, so that √a/√a is known to be exactly 1 */
  radicand?: Ball;

  constructor(
    /** the sign (a zero keeps its own) */
    readonly negative: boolean,
    /** |midpoint| = coefficient·2^exponent, coefficient ≥ 0 */
    readonly coefficient: bigint,
    readonly exponent: number,
    /** the coefficient's bits (0 for zero) */
    readonly bits: number,
    rad = 0,
    /** 0 for a finite value; else the value itself: NaN or ±Infinity (coefficient 0) */
    readonly special = 0,
  ) {
    this.rad = rad >= 0 ? rad : Infinity;
  }

  /** The working precision; memoize (scalar.ts) keys on it, so tables made at another precision are dropped. */
  static get precision(): number {
    return W;
  }

  /** NOTE-4: the exact value of a double. */
  static exact(x: number): Ball {
    if (!Number.isFinite(x)) return new Ball(x < 0, 0n, 0, 0, 0, x);
    if (x === 0) return new Ball(Object.is(x, -0), 0n, 0, 0);
    const { negative, m, e } = decompose(x);
    const high = Math.floor(m / 2 ** 32);
    return new Ball(negative, BigInt(m), e, high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(m));
  }

  /** Radius 0: the midpoint is the exact value. */
  get isExact(): boolean {
    return this.rad === 0;
  }

  /** NaN and the infinities are not. */
  /** NOTE-4: the midpoint as an exact decimal (c·2^e = c·5^−e·10^e), for printing and for measuring errors. */
  get mid(): BigDecimal {
    if (this.special !== 0) return BigDecimal.exact(this.special);
    if (this.bits === 0) return BigDecimal.exact(this.negative ? -0 : 0);
    const sign = this.negative ? -1 : 1;
    const e = this.exponent;
    return e >= 0 ? BigDecimal.of(sign, this.coefficient << big(e), 0) : BigDecimal.of(sign, this.coefficient * pow5(-e), e);
  }

  /** Whether 0 may lie in the ball (true when unsure). */
  containsZero(): boolean {
    if (this.special !== 0) return false;
    return this.isExact ? this.bits === 0 : !below(this.rad, this.coefficient, 1);
  }

  plus(y: Ball | number): Ball {
    return sumOf(this, lift(y), false);
  }

  minus(y: Ball | number): Ball {
    return sumOf(this, lift(y), true);
  }

  /** |xy − mx·my| ≤ |mx|·ry + |my|·rx + rx·ry (three terms of up to eight roundings each: UP³). */
  times(y: Ball): Ball {
    if (this.special !== 0 || y.special !== 0) return nonFinite(this, y, (a, b) => a * b);
    const negative = this.negative !== y.negative;
    cutProduct(this.coefficient, this.exponent, this.bits, y.coefficient, y.exponent, y.bits, P);
    // exact: exact operands with an exact product, or an exact zero times a finite value
    const xTerm = this.rad !== 0 && y.bits !== 0;
    const yTerm = y.rad !== 0 && this.bits !== 0;
    if (cutUnits === 0 && !xTerm && !yTerm && (this.isExact || y.isExact)) return new Ball(negative, midC, midE, midBits);
    const ez = midE;
    let rad = cutUnits;
    if (yTerm) rad += mantissa(this.coefficient, this.bits) * y.rad * p2(this.bits - 1 + this.exponent + y.exponent - ez);
    if (xTerm) rad += mantissa(y.coefficient, y.bits) * this.rad * p2(y.bits - 1 + y.exponent + this.exponent - ez);
    if (this.rad !== 0 && y.rad !== 0) rad += this.rad * y.rad * p2(this.exponent + y.exponent - ez);
    return inexact(negative, rad * UP * UP * UP);
  }

  /** |x/y − mx/my| ≤ (|mx|·ry + |my|·rx) / (|my|²·(1 − ρ)), ρ = ry/|my| ≤ 1/2 (UP⁴ covers the roundings). */
  div(y: Ball): Ball {
    if (this.special !== 0 || y.special !== 0 || (y.isExact && y.bits === 0)) return nonFinite(this, y, (a, b) => a / b);
    // √a / √a = 1 exactly, though √a is irrational (Adadelta's √(u + ε)/√(v + ε) at u = v)
    if (this.radicand !== undefined && y.radicand !== undefined && sameValue(this.radicand, y.radicand)) return ONE;
    const negative = this.negative !== y.negative;
    // a divisor within twice its radius of zero: unknown here (a higher precision shrinks the radius)
    if (!y.isExact && !below(y.rad, y.coefficient, 0.5)) return new Ball(negative, 0n, 0, 0, Infinity);
    const exact = this.isExact && y.isExact;
    const R = !this.isExact && this.bits !== 0 && y.isExact ? reciprocalOf(y) : undefined;
    if (R !== undefined) cutQuotientByReciprocal(this.coefficient, this.exponent, this.bits, R, y.exponent, y.bits, P);
    else cutQuotient(this.coefficient, this.exponent, this.bits, y.coefficient, y.exponent, y.bits, P, exact);
    // an exact quotient, or an exact zero over a non-zero divisor
    if (cutUnits === 0 && this.isExact) return new Ball(negative, midC, midE, midBits);
    const ez = midE;
    const my = mantissa(y.coefficient, y.bits);
    const ky = y.bits - 1;
    const rho = y.rad === 0 ? 0 : Math.min(0.5, (y.rad / my) * p2(-ky) * UP);
    let num = 0;
    if (y.rad !== 0 && this.bits !== 0) {
      const mx = mantissa(this.coefficient, this.bits);
      num += ((mx * y.rad) / (my * my)) * p2(this.bits - 1 - 2 * ky + this.exponent - y.exponent - ez);
    }
    if (this.rad !== 0) num += (this.rad / my) * p2(this.exponent - ky - y.exponent - ez);
    const rad = (num / (1 - rho)) * UP * UP * UP + cutUnits;
    return inexact(negative, rad * UP);
  }

  /** |√a − √mx| ≤ rx/√mx for every a ≥ 0 (UP² covers the roundings). */
  sqrt(): Ball {
    if (this.special !== 0) return Ball.exact(Math.sqrt(this.special));
    if (this.isExact) {
      if (this.bits === 0) return this;
      if (this.negative) return Ball.exact(NaN);
      cutRoot(this.coefficient, this.exponent, this.bits, P);
      const root = new Ball(false, midC, midE, midBits, cutUnits);
      if (cutUnits !== 0) root.radicand = this;
      return root;
    }
    // a ball reaching zero may hold a negative value (NaN) or not: unknown here
    if (this.containsZero()) return new Ball(false, 0n, 0, 0, Infinity);
    if (this.negative) return Ball.exact(NaN);
    cutRoot(this.coefficient, this.exponent, this.bits, P);
    const ez = midE;
    // |mx| ≈ m·2^(k + e), with k + e even so that its root is √m·2^((k + e)/2)
    let m = mantissa(this.coefficient, this.bits);
    let k = this.bits - 1;
    if ((k + this.exponent) % 2 !== 0) {
      m *= 2;
      k -= 1;
    }
    const rad = (this.rad / Math.sqrt(m)) * p2(this.exponent - (k + this.exponent) / 2 - ez) * UP + cutUnits;
    return inexact(false, rad * UP);
  }

  neg(): Ball {
    return new Ball(!this.negative, this.coefficient, this.exponent, this.bits, this.rad, -this.special);
  }

  /** βᵗ by repeated squaring (exact while the powers fit P bits). */
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
    if (this.isExact || this.special !== 0) return this.special === 0 && this.bits === 0;
    if (this.containsZero()) throw new Undecided('whether a value is zero');
    return false;
  }

  isNegative(): boolean {
    if (this.special !== 0) return this.special < 0;
    if (this.isExact) return this.negative;
    if (this.containsZero()) throw new Undecided('the sign of a value');
    return this.negative;
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
    if (Number.isNaN(this.special)) return this;
    if (Number.isNaN(y.special)) return y;
    if (this.isExact && y.isExact) return this.gte(y) ? this : y;
    if (this.special !== 0 || y.special !== 0) {
      // an exact ±∞ against a ball of finite values: +∞ is the larger, −∞ the smaller, whatever the value (Adamax's u after ±∞)
      const [infinite, other] = this.special !== 0 ? [this, y] : [y, this];
      if (infinite.isExact && other.special === 0 && other.rad < Infinity) return infinite.special > 0 ? infinite : other;
      const larger = representative(this) >= representative(y) ? this : y;
      return new Ball(larger.negative, larger.coefficient, larger.exponent, larger.bits, Infinity, larger.special);
    }
    // balls apart: the larger is the maximum, its own radius (the other's, scaled to a midpoint of
    // few bits, could be far below a double's range and stop shrinking with the precision)
    const d = this.minus(y);
    if (!d.containsZero()) return d.negative ? y : this;
    const larger = compareMidpoints(this, y) >= 0 ? this : y;
    const scaled = (b: Ball) => (b.rad === 0 ? 0 : b.rad * p2(b.exponent - larger.exponent));
    const rad = Math.max(scaled(this), scaled(y));
    return new Ball(larger.negative, larger.coefficient, larger.exponent, larger.bits, Math.max(rad * UP, MIN_RAD));
  }

  /** PREC-9: |x| is exact: the radius passes through. */
  abs(): Ball {
    return new Ball(false, this.coefficient, this.exponent, this.bits, this.rad, Math.abs(this.special));
  }

  /** LION-2: −1, 0 or +1, exact; a ball that may hold 0 has no decided sign at this precision. */
  signum(): Ball {
    if (this.special !== 0) return Ball.exact(Math.sign(this.special));
    if (this.isExact) return this.bits === 0 ? this : this.negative ? MINUS_ONE : ONE;
    if (this.containsZero()) throw new Undecided('a sign (LION-2)');
    return this.negative ? MINUS_ONE : ONE;
  }

  /**
   * NADAM-2, NOTE-4: base^this for a literal base, computed by decimal.js's pow at W digits (within
   * one unit of its last digit: two are allowed), plus the exponent's radius through d(cˣ)/dx = ln c·cˣ.
   */
  powerOf(base: number): Ball {
    if (this.special !== 0) return fromDecimal(BigDecimal.exact(this.special).powerOf(base), this.isExact ? 0 : Infinity);
    // a whole exponent (t·ψ with ψ = 0, or 1, …) gives an exact power: a tie through it must be decided, not capped
    const k = this.isExact ? this.mid.toNumber() : NaN;
    if (Number.isInteger(k) && k >= 0 && k <= EXACT_POWER_LIMIT) return Ball.exact(base).pow(k);
    const D = decimalAt(W);
    const value = BigDecimal.fromDecimal(new D(exactString(base)).pow(new D(this.mid.toString())));
    if (!value.finite || value.coefficient === 0n) return fromDecimal(value, Infinity);
    // two units of decimal.js's W-th digit, 2·10^a, in units of the binary midpoint's last bit
    const a = value.exponent + value.digits - W;
    const ball = fromDecimal(value, 0);
    const ez = ball.exponent;
    let rad = ball.rad + 2 * 2 ** (a * Math.log2(10) - ez) * (1 + 2 ** -30);
    if (!this.isExact) {
      // |ln c|·|cˣ|·r, r the exponent's radius; e^(|ln c|·r) − 1 ≤ 1.01·|ln c|·r while |ln c|·r ≤ 0.01
      const r = this.rad * p2(this.exponent);
      const spread = Math.abs(Math.log(base)) * r * UP;
      if (!(spread <= 0.01)) return new Ball(ball.negative, ball.coefficient, ez, ball.bits, Infinity);
      rad += 1.01 * spread * mantissa(ball.coefficient, ball.bits) * p2(ball.bits - 1) * UP * UP;
    }
    return new Ball(ball.negative, ball.coefficient, ez, ball.bits, Math.max(rad * UP, MIN_RAD));
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
    if (this.special !== 0) return this.special > 0 ? above() : below();
    if (this.isExact) return this.bits === 0 || this.negative ? below() : above();
    if (this.containsZero()) throw new Undecided('a branch on a sign (PREC-10)');
    return this.negative ? below() : above();
  }

  toString(): string {
    return this.isExact ? this.mid.toString() : `${this.mid.toString()} ± ${this.rad}·2^${this.exponent}`;
  }
}

const ONE = Ball.exact(1);
const MINUS_ONE = Ball.exact(-1);

const POW5: bigint[] = [1n];
/** 5^k: from a table up to 5^2048 (the exponents of doubles and of W-digit values), beyond it computed (a table to 5^66000, P bits at the cap, would hold gigabytes). */
function pow5(k: number): bigint {
  if (k > 2048) return 5n ** BigInt(k);
  while (POW5.length <= k) POW5.push(POW5[POW5.length - 1] * 5n);
  return POW5[k];
}

/** Per exact divisor: how often an inexact value was divided by it at precision `p`, and from the second time its reciprocal. */
const RECIPROCALS = new WeakMap<Ball, { p: number; uses: number; R?: bigint }>();

/** An exact divisor's reciprocal (ball-midpoint.ts), once it is divided by a second time at this precision (one divisor for a whole tensor: 1 − βᵗ). */
function reciprocalOf(y: Ball): bigint | undefined {
  let entry = RECIPROCALS.get(y);
  if (entry === undefined || entry.p !== P) RECIPROCALS.set(y, (entry = { p: P, uses: 0 }));
  entry.uses += 1;
  if (entry.uses < 2) return undefined;
  return (entry.R ??= reciprocal(y.coefficient, y.bits, P));
}

/** The ball of the last ball-midpoint.ts result with radius `rad` (never below MIN_RAD: an inexact result stays inexact). */
function inexact(negative: boolean, rad: number): Ball {
  return new Ball(negative, midC, midE, midBits, Math.max(rad, MIN_RAD));
}

/**
 * A decimal (decimal.js's result, NOTE-6) as a ball: NaN and the infinities as they are; a finite
 * c·10^k exact when k ≥ 0 (c·5^k·2^k), else c·2^s/5^−k cut to about P + 2 bits (one unit more of radius).
 */
function fromDecimal(d: BigDecimal, rad: number): Ball {
  if (!d.finite) return new Ball(d.isNegative(), 0n, 0, 0, rad, d.toNumber());
  if (d.coefficient === 0n) return new Ball(d.isNegative(), 0n, 0, 0, rad);
  const negative = d.sign < 0;
  const k = d.exponent;
  if (k >= 0) {
    const c = (d.coefficient * pow5(k)) << big(k);
    return new Ball(negative, c, 0, bitLength(c), rad);
  }
  const den = pow5(-k);
  const s = Math.max(0, P + 2 + bitLength(den) - bitLength(d.coefficient));
  const q = (d.coefficient << big(s)) / den;
  return new Ball(negative, q, k - s, bitLength(q), rad + 1);
}

/** Whether two exact balls hold the same value. */
function sameValue(x: Ball, y: Ball): boolean {
  return x.special === 0 && y.special === 0 && compareMidpoints(x, y) === 0;
}

/** −1, 0 or 1 as x's midpoint is <, =, > y's (finite; −0 equals +0). */
function compareMidpoints(x: Ball, y: Ball): number {
  const sx = x.bits === 0 ? 0 : x.negative ? -1 : 1;
  const sy = y.bits === 0 ? 0 : y.negative ? -1 : 1;
  if (sx !== sy) return sx > sy ? 1 : -1;
  if (sx === 0) return 0;
  return sx * compareMagnitudes(x.coefficient, x.exponent, x.bits, y.coefficient, y.exponent, y.bits);
}

const DECIMALS = new Map<number, typeof Dec>();
/** decimal.js at w significant digits, half-even (one constructor per precision). */
function decimalAt(w: number): typeof Dec {
  let D = DECIMALS.get(w);
  if (D === undefined) DECIMALS.set(w, (D = Dec.clone({ precision: w, rounding: Dec.ROUND_HALF_EVEN })));
  return D;
}

function lift(y: Ball | number): Ball {
  if (typeof y !== 'number') return y;
  // the reference adds small integer constants only (1 − β)
  if (!Number.isSafeInteger(y)) throw new Error(`Ball: ${y} is not an integer; convert it with Ball.exact`);
  return y === 1 ? ONE : Ball.exact(y);
}

/** x ± y: exact while the sum of exact operands fits P bits, else cut to P bits with its error added (six roundings: UP). */
function sumOf(x: Ball, y: Ball, negate: boolean): Ball {
  // ∞ ± a finite value is the infinity whatever the value: its sign or nearness to 0 does not matter
  if (x.special !== 0 || y.special !== 0) return nonFinite(x, y, negate ? (a, b) => a - b : (a, b) => a + b, false);
  const yNegative = y.negative !== negate;
  let negative: boolean;
  if (x.bits === 0 && y.bits === 0) {
    // two zeros: −0 only when both are (IEEE 754 §6.3, decimal.js), at the operands' scale
    zero(Math.min(x.exponent, y.exponent));
    negative = x.negative && yNegative;
  } else if (x.bits === 0 || y.bits === 0) {
    const [z, zNegative] = x.bits === 0 ? [y, yNegative] : [x, x.negative];
    cut(z.coefficient, z.exponent, z.bits, P);
    negative = zNegative;
  } else {
    cutSum(x.coefficient, x.exponent, x.bits, y.coefficient, y.exponent, y.bits, x.negative !== yNegative, P);
    // an exact cancellation is +0
    negative = midC === 0n ? false : x.negative !== midNegative;
  }
  if (cutUnits === 0 && x.isExact && y.isExact) return new Ball(negative, midC, midE, midBits);
  const ez = midE;
  let rad = cutUnits;
  if (x.rad !== 0) rad += x.rad * p2(x.exponent - ez);
  if (y.rad !== 0) rad += y.rad * p2(y.exponent - ez);
  return inexact(negative, rad * UP);
}

/** A value standing for a ball in a double operation with a NaN or an infinity: itself when non-finite, else its sign (±1, ±0). */
function representative(b: Ball): number {
  if (b.special !== 0) return b.special;
  if (b.bits === 0) return b.negative ? -0 : 0;
  return b.negative ? -1 : 1;
}

/**
 * An operation with a NaN or an infinity, or a division by an exact zero: IEEE 754's result, which
 * is decimal.js's (NOTE-6), on the operands' signs — a NaN, an infinity or a signed zero — exact
 * unless an operand is unknown (an infinite radius, which may hide a NaN; a non-finite value not
 * known exactly) or, where its sign or nearness to zero matters (× and ÷: ∞·0, ∞/±0, x/∞ = ±0), a
 * finite operand's ball holds 0.
 */
function nonFinite(x: Ball, y: Ball, op: (a: number, b: number) => number, zeroMatters = true): Ball {
  const value = op(representative(x), representative(y));
  const unsureOf = (b: Ball) => !b.isExact && (b.special !== 0 || b.rad === Infinity || (zeroMatters && b.containsZero()));
  const b = Ball.exact(value);
  return unsureOf(x) || unsureOf(y) ? new Ball(b.negative, b.coefficient, b.exponent, b.bits, Infinity, b.special) : b;
}

/** −1, 0 or 1 as x <, =, > y, when the balls decide it. */
function order(x: Ball, y: Ball): number {
  if (x.special !== 0 || y.special !== 0) {
    const [a, b] = [representative(x), representative(y)];
    return a > b ? 1 : a >= b ? 0 : -1;
  }
  const d = x.minus(y);
  if (d.isExact) return d.bits === 0 ? 0 : d.negative ? -1 : 1;
  if (d.containsZero()) throw new Undecided('a comparison');
  return d.negative ? -1 : 1;
}
