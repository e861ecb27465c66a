/**
 * Exact rational arithmetic (NOTE-4): what decides an element the balls leave open at 4P digits or
 * at the precision cap. A tie reached through a
 * quotient that does not terminate in binary — lr·(g/(|g| + ε)) where 1049 divides both lr's
 * numerator and |g| + ε's — has a dyadic exact value that no ball proves to be one, at any
 * precision. Every double is a rational, and + − × ÷ of rationals are rationals, so such an element
 * is evaluated again here and its roundings are decided exactly. A root that is not rational, a
 * real power, or numbers past SIZE_LIMIT_BITS end the attempt (`NotRational`): the balls go on,
 * and at the cap its error stands.
 */
import { BigDecimal, divide } from './big-decimal.ts';
import { isqrtBits } from './ball-midpoint.ts';
import { bitLength } from './radius.ts';
import { decompose, roundRational, type Dtype } from './dtype.ts';
import type { Scalar } from './scalar.ts';

/** The attempt cannot go on in rationals: an irrational root, a real power, or numbers too large. */
export class NotRational extends Error {}

/** Numerators and denominators past this many bits end the attempt (βᵗ at t = 2²⁴ would take hundreds of megabytes). */
export const SIZE_LIMIT_BITS = 200_000;

const abs = (x: bigint) => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
const bits = (x: bigint) => (x === 0n ? 0 : bitLength(abs(x)));
/** ⌊√n⌋ of n ≥ 0. */
const isqrt = (n: bigint) => (n < 2n ? n : isqrtBits(n, bitLength(n)));

/** NOTE-4: a rational n/d in lowest terms (d > 0), or NaN/±∞ as `special`; a zero keeps its sign. */
export class Rational implements Scalar<Rational> {
  private constructor(
    readonly n: bigint,
    readonly d: bigint,
    /** 0 for a finite value, else NaN or ±Infinity */
    readonly special = 0,
    /** a zero's sign */
    readonly negativeZero = false,
  ) {}

  /** memoize (scalar.ts) keys its tables on an arithmetic's precision: rationals have one, exact. */
  static get precision(): string {
    return 'exact';
  }

  /** The exact value of a double. */
  static exact(x: number): Rational {
    if (!Number.isFinite(x)) return new Rational(0n, 1n, x);
    if (x === 0) return new Rational(0n, 1n, 0, Object.is(x, -0));
    const { negative, m, e } = decompose(x);
    const c = negative ? -BigInt(m) : BigInt(m);
    return e >= 0 ? new Rational(c << BigInt(e), 1n) : Rational.of(c, 1n << BigInt(-e));
  }

  /** n/d reduced; d ≠ 0. */
  static of(n: bigint, d: bigint, negativeZero = false): Rational {
    if (bits(n) > SIZE_LIMIT_BITS || bits(d) > SIZE_LIMIT_BITS) throw new NotRational(`numbers past ${SIZE_LIMIT_BITS} bits`);
    if (d < 0n) [n, d] = [-n, -d];
    if (n === 0n) return new Rational(0n, 1n, 0, negativeZero);
    const g = gcd(n, d);
    return new Rational(n / g, d / g);
  }

  /** The sign of a finite value as IEEE 754 sees it: −0 is negative. */
  private get signBit(): boolean {
    return this.n < 0n || (this.n === 0n && this.negativeZero);
  }

  /** A double standing for the value in an operation with a NaN or an infinity: itself when non-finite, else its sign (±1, ±0). */
  private get representative(): number {
    if (this.special !== 0) return this.special;
    if (this.n === 0n) return this.negativeZero ? -0 : 0;
    return this.n < 0n ? -1 : 1;
  }

  plus(y: Rational | number): Rational {
    const b = lift(y);
    if (this.special !== 0 || b.special !== 0) return Rational.exact(this.representative + b.representative);
    // a sum of zeros is −0 only when both are (IEEE 754 §6.3)
    return Rational.of(this.n * b.d + b.n * this.d, this.d * b.d, this.n === 0n && b.n === 0n && this.negativeZero && b.negativeZero);
  }

  minus(y: Rational | number): Rational {
    return this.plus(lift(y).neg());
  }

  times(y: Rational): Rational {
    if (this.special !== 0 || y.special !== 0) return Rational.exact(this.representative * y.representative);
    return Rational.of(this.n * y.n, this.d * y.d, this.signBit !== y.signBit);
  }

  div(y: Rational): Rational {
    if (this.special !== 0 || y.special !== 0 || y.n === 0n) return Rational.exact(this.representative / y.representative);
    return Rational.of(this.n * y.d, this.d * y.n, this.signBit !== y.signBit);
  }

  sqrt(): Rational {
    if (this.special !== 0) return Rational.exact(Math.sqrt(this.special));
    if (this.n === 0n) return this;
    if (this.n < 0n) return Rational.exact(NaN);
    const [rn, rd] = [isqrt(this.n), isqrt(this.d)];
    if (rn * rn !== this.n || rd * rd !== this.d) throw new NotRational('an irrational square root');
    return new Rational(rn, rd);
  }

  neg(): Rational {
    return new Rational(-this.n, this.d, -this.special, this.n === 0n && !this.negativeZero);
  }

  pow(k: number): Rational {
    if (this.special !== 0) return Rational.exact(this.representative ** k);
    if (k * Math.max(bits(this.n), bits(this.d)) > SIZE_LIMIT_BITS) throw new NotRational(`a power past ${SIZE_LIMIT_BITS} bits`);
    return Rational.of(this.n ** BigInt(k), this.d ** BigInt(k));
  }

  /** NADAM-2: base^this, rational for a whole exponent only. */
  powerOf(base: number): Rational {
    if (this.special !== 0 || this.d !== 1n || this.n < 0n) throw new NotRational('a real power');
    return Rational.exact(base).pow(Number(this.n));
  }

  isZero(): boolean {
    return this.special === 0 && this.n === 0n;
  }

  isNegative(): boolean {
    return this.special !== 0 ? this.special < 0 : this.n < 0n;
  }

  /** −1, 0 or 1 as this <, =, > y (NaN compares as neither, false both ways). */
  private order(y: Rational): number {
    if (this.special !== 0 || y.special !== 0) {
      const [a, b] = [this.representative, y.representative];
      return a > b ? 1 : a < b ? -1 : a === b ? 0 : NaN;
    }
    const d = this.n * y.d - y.n * this.d;
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  }

  gte(y: Rational): boolean {
    return this.order(y) >= 0;
  }

  gt(y: Rational): boolean {
    return this.order(y) > 0;
  }

  /** NaN when either is NaN, as `torch.maximum` (NOTE-7); ties keep this. */
  max(y: Rational): Rational {
    if (Number.isNaN(this.special)) return this;
    if (Number.isNaN(y.special)) return y;
    return this.gte(y) ? this : y;
  }

  abs(): Rational {
    return new Rational(abs(this.n), this.d, Math.abs(this.special));
  }

  signum(): Rational {
    if (this.special !== 0) return Rational.exact(Math.sign(this.special));
    return this.n === 0n ? this : Rational.exact(this.n < 0n ? -1 : 1);
  }

  integer(k: number): Rational {
    return Rational.exact(k);
  }

  heldInFloat32(): Rational {
    return this;
  }

  roundedToFloat32(): Rational {
    return Rational.exact(this.toDtype('float32'));
  }

  whenPositive(above: () => Rational, below: () => Rational): Rational {
    return this.gt(Rational.exact(0)) ? above() : below();
  }

  /** NOTE-5: the value rounded to a dtype, ties to even. */
  toDtype(dtype: Dtype): number {
    if (this.special !== 0) return this.special;
    if (this.n === 0n) return this.negativeZero ? -0 : 0;
    return roundRational(this.n < 0n, abs(this.n), this.d, dtype);
  }

  /** NOTE-4: the value correctly rounded to `digits` significant digits, half-even (NaN and ±∞ as they are). */
  toBigDecimal(digits: number): BigDecimal {
    if (this.special !== 0) return BigDecimal.exact(this.special);
    return divide(BigDecimal.of(this.n < 0n || this.negativeZero ? -1 : 1, abs(this.n), 0), BigDecimal.of(1, this.d, 0), digits);
  }

  /** NOTE-4: the value correctly rounded to `digits` significant digits (half-even), as reference strings are written. */
  toDigits(digits: number): string {
    return this.toBigDecimal(digits).toString();
  }
}

function lift(y: Rational | number): Rational {
  return typeof y === 'number' ? Rational.exact(y) : y;
}
