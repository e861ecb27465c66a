/**
 * decimal.js's arithmetic on BigInt coefficients (NOTE-6): the same values, digit for digit, at the
 * same precision and rounding (`Dec.precision`, half-even), several times faster. A value is
 * sign · coefficient · 10^exponent with a BigInt coefficient; every operation computes the exact
 * result (or enough digits of it plus a sticky bit) and rounds once, so each result is the
 * correctly rounded one — which is what decimal.js returns for plus, minus, times, div and sqrt.
 * Where decimal.js's result is not simply "the exact value, rounded" (integer powers, non-finite
 * values, division by zero), the operation is delegated to decimal.js itself, so the two engines
 * cannot drift apart. tests/reference/big-decimal.test.ts checks every operation against decimal.js.
 */
import { Dec } from './decimal.ts';
import { exact, exactDecimal, roundToDtype } from './dtype.ts';
import type { Scalar } from './scalar.ts';

const POW10: bigint[] = [1n];
/** 10^k as a BigInt (a growing table: coefficients never exceed a few thousand digits). */
export function pow10(k: number): bigint {
  while (POW10.length <= k) POW10.push(POW10[POW10.length - 1] * 10n);
  return POW10[k];
}

const HALF_POW10: bigint[] = [];
/** 10^k / 2 for k ≥ 1 (the rounding's halfway point, looked up: every operation rounds). */
export function halfPow10(k: number): bigint {
  while (HALF_POW10.length <= k) HALF_POW10.push(pow10(HALF_POW10.length) >> 1n);
  return HALF_POW10[k];
}

/** The number of decimal digits of c > 0: an estimate from the double nearest c, then corrected. */
function digits(c: bigint): number {
  const x = Number(c);
  if (x === Infinity) return c.toString().length;
  let d = Math.floor(Math.log10(x)) + 1;
  if (c < pow10(d - 1)) d -= 1;
  else if (c >= pow10(d)) d += 1;
  return d;
}

/**
 * ⌊√n⌋ for n > 0 of d digits: Newton's iteration from a double's estimate (about 15 correct digits),
 * which doubles the correct digits each time, run until they cover √n's ⌈d/2⌉, then corrected by
 * comparing squares — so the result is exact whatever the estimate was, and fast when it is good.
 */
export function isqrt(n: bigint, d: number): bigint {
  let x: bigint;
  let correct = 14;
  if (d <= 300) {
    // the double nearest n, rooted: about 15 correct digits, no BigInt division
    x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  } else {
    const shift = (d - 30) % 2 === 0 ? d - 30 : d - 29;
    x = (BigInt(Math.floor(Math.sqrt(Number(n / pow10(shift))))) + 2n) * pow10(shift / 2);
  }
  for (; correct < Math.ceil(d / 2) + 1; correct *= 2) x = (x + n / x) >> 1n;
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/**
 * NOTE-4: ±c·10^e written as decimal.js writes it in the reference's context (exponent notation
 * below 1e−6 and from 1e21), from c's digits `all` (no leading zero, c > 0).
 */
export function decimalText(negative: boolean, all: string, exponent: number): string {
  let end = all.length;
  while (all.charCodeAt(end - 1) === 48) end -= 1;
  const s = all.slice(0, end);
  // the exponent of the leading digit
  const lead = exponent + all.length - 1;
  let parts: string[];
  if (lead <= -7 || lead >= 21) parts = [s[0], s.length > 1 ? `.${s.slice(1)}` : '', lead < 0 ? 'e-' : 'e+', String(Math.abs(lead))];
  else if (lead < 0) parts = ['0.', '0'.repeat(-lead - 1), s];
  else if (s.length <= lead + 1) parts = [s, '0'.repeat(lead + 1 - s.length)];
  else parts = [s.slice(0, lead + 1), '.', s.slice(lead + 1)];
  if (negative) parts.unshift('-');
  // joined, not concatenated: one flat string, holding no slice of `all` nor a rope of pieces (the
  // reference keeps millions of these until its reply is written; each piece held is a copy the
  // young generation's collections make)
  return parts.join('');
}

/**
 * NOTE-6: a decimal number sign · c · 10^e with the arithmetic of decimal.js's `Dec`. Finite values
 * only in the fast path; a non-finite value is held as the decimal.js value itself.
 */
export class BigDecimal implements Scalar<BigDecimal> {
  private constructor(
    /** 1 or −1; zero keeps its sign, as decimal.js's does */
    readonly sign: 1 | -1,
    /** the coefficient, ≥ 0; 0n for zero */
    readonly coefficient: bigint,
    readonly exponent: number,
    /** NaN or ±Infinity, held by decimal.js */
    private readonly nonFinite?: Dec,
    /** the coefficient's number of digits when known (results of `rounded` know it; −1: count when asked) */
    private digitCount = -1,
  ) {}

  /** NOTE-7: false for NaN and the infinities (decimal.js's isFinite). */
  get finite(): boolean {
    return this.nonFinite === undefined;
  }

  /** The number of digits of the coefficient (0 for zero), counted once. */
  get digits(): number {
    if (this.digitCount < 0) this.digitCount = this.coefficient === 0n ? 0 : digits(this.coefficient);
    return this.digitCount;
  }

  /** The precision results are rounded to: decimal.js's (memoize in scalar.ts keys on it). */
  static get precision(): number {
    return Dec.precision;
  }

  /** NOTE-4, NOTE-6: the exact value of a double (0.1 → 0.1000000000000000055511151231257827021181583404541015625). */
  static exact(x: number): BigDecimal {
    if (!Number.isFinite(x)) return new BigDecimal(1, 0n, 0, new Dec(x));
    if (x === 0) return new BigDecimal(Object.is(x, -0) ? -1 : 1, 0n, 0);
    const { negative, coefficient, exponent } = exactDecimal(x);
    return new BigDecimal(negative ? -1 : 1, coefficient, exponent);
  }

  /** NOTE-6: the exact value of a decimal.js value (every digit; NaN and infinities held as they are). */
  static fromDecimal(d: Dec): BigDecimal {
    if (!d.isFinite()) return new BigDecimal(1, 0n, 0, new Dec(d));
    const sign = d.isNeg() ? -1 : 1;
    if (d.isZero()) return new BigDecimal(sign, 0n, 0);
    // toExponential() without a digit count writes every digit: "-1.2345e-7"
    const m = /^-?(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(d.toExponential());
    if (m === null) throw new Error(`cannot read the decimal ${d.toString()}`);
    const fraction = m[2] ?? '';
    return new BigDecimal(sign, BigInt(m[1] + fraction), Number(m[3]) - fraction.length);
  }

  /** NOTE-6: the same value as a decimal.js value (exact, no rounding). */
  toDecimal(): Dec {
    if (this.nonFinite) return this.nonFinite;
    if (this.coefficient === 0n) return new Dec(this.sign < 0 ? '-0' : '0');
    return new Dec(`${this.sign < 0 ? '-' : ''}${this.coefficient}e${this.exponent}`);
  }

  /** NOTE-5: the double nearest the value, half-even (JavaScript's decimal-string conversion is correctly rounded). */
  toNumber(): number {
    if (this.nonFinite) return this.nonFinite.toNumber();
    if (this.coefficient === 0n) return this.sign < 0 ? -0 : 0;
    return Number(`${this.sign < 0 ? '-' : ''}${this.coefficient}e${this.exponent}`);
  }

  /** decimal.js's toString in the reference's context (NOTE-4: exponent notation below 1e−6 and from 1e21; −0 as "0"), without building a decimal.js value. */
  toString(): string {
    if (this.nonFinite || this.coefficient === 0n) return this.toDecimal().toString();
    return decimalText(this.sign < 0, this.coefficient.toString(), this.exponent);
  }

  /** decimal.js computes it: for values outside the fast path, and where its result is not just "the exact value, rounded". */
  private static viaDecimal(x: BigDecimal, compute: (d: Dec) => Dec): BigDecimal {
    return BigDecimal.fromDecimal(compute(x.toDecimal()));
  }

  private lift(y: BigDecimal | number): BigDecimal {
    if (typeof y !== 'number') return y;
    // the reference adds small integer constants only (1 − β); any other number would be a silent conversion
    if (!Number.isSafeInteger(y)) throw new Error(`BigDecimal: ${y} is not an integer; convert it with BigDecimal.exact`);
    return new BigDecimal(y < 0 || Object.is(y, -0) ? -1 : 1, BigInt(Math.abs(y)), 0);
  }

  plus(other: BigDecimal | number): BigDecimal {
    const y = this.lift(other);
    if (this.nonFinite || y.nonFinite) return BigDecimal.viaDecimal(this, (d) => d.plus(y.toDecimal()));
    return add(this, y.sign, y, Dec.precision);
  }

  minus(other: BigDecimal | number): BigDecimal {
    const y = this.lift(other);
    if (this.nonFinite || y.nonFinite) return BigDecimal.viaDecimal(this, (d) => d.minus(y.toDecimal()));
    // decimal.js's x − y is x + (−y), zeros included
    return add(this, y.sign === 1 ? -1 : 1, y, Dec.precision);
  }

  times(y: BigDecimal): BigDecimal {
    if (this.nonFinite || y.nonFinite) return BigDecimal.viaDecimal(this, (d) => d.times(y.toDecimal()));
    const sign = this.sign === y.sign ? 1 : -1;
    if (this.coefficient === 0n || y.coefficient === 0n) return new BigDecimal(sign, 0n, 0);
    return multiply(this, y, Dec.precision);
  }

  div(y: BigDecimal): BigDecimal {
    if (this.nonFinite || y.nonFinite || y.coefficient === 0n) return BigDecimal.viaDecimal(this, (d) => d.div(y.toDecimal()));
    return divide(this, y, Dec.precision);
  }

  sqrt(): BigDecimal {
    if (this.nonFinite || (this.sign < 0 && this.coefficient !== 0n)) return BigDecimal.viaDecimal(this, (d) => d.sqrt());
    return squareRoot(this, Dec.precision);
  }

  /** Exact, as decimal.js's neg (no rounding). */
  neg(): BigDecimal {
    if (this.nonFinite) return BigDecimal.viaDecimal(this, (d) => d.neg());
    return new BigDecimal(this.sign === 1 ? -1 : 1, this.coefficient, this.exponent, undefined, this.digitCount);
  }

  /** Exact, as decimal.js's abs (−0 becomes +0). */
  abs(): BigDecimal {
    if (this.nonFinite) return BigDecimal.viaDecimal(this, (d) => d.abs());
    return this.sign === 1 ? this : new BigDecimal(1, this.coefficient, this.exponent, undefined, this.digitCount);
  }

  /** LION-2: −1, 0 or +1, exact (±0 for ±0; NaN for NaN, ±1 for ±∞, as decimal.js's Decimal.sign). */
  signum(): BigDecimal {
    if (this.nonFinite) return BigDecimal.viaDecimal(this, (d) => new Dec(Dec.sign(d)));
    return this.coefficient === 0n ? this : new BigDecimal(this.sign, 1n, 0, undefined, 1);
  }

  /** NADAM-2: base^this, the base a literal at its exact binary value — decimal.js computes it (once per step: a scalar). */
  powerOf(base: number): BigDecimal {
    return BigDecimal.viaDecimal(this, (d) => exact(base).pow(d));
  }

  /** An exact small integer. */
  integer(n: number): BigDecimal {
    return this.lift(n);
  }

  /** DEFECT-3, NOTE-5: the value rounded to float32, half-even. */
  roundedToFloat32(): BigDecimal {
    return BigDecimal.exact(roundToDtype(this.toDecimal(), 'float32'));
  }

  /** βᵗ: decimal.js's integer power is not always the correctly rounded one, so decimal.js computes it (once per step: memoized). */
  pow(n: number): BigDecimal {
    return BigDecimal.viaDecimal(this, (d) => d.pow(n));
  }

  isZero(): boolean {
    return !this.nonFinite && this.coefficient === 0n;
  }

  /** True for −0 too, as decimal.js's isNeg. */
  isNegative(): boolean {
    return this.nonFinite ? this.nonFinite.isNeg() : this.sign < 0;
  }

  gte(y: BigDecimal): boolean {
    if (this.nonFinite || y.nonFinite) return this.toDecimal().gte(y.toDecimal());
    return compare(this, y) >= 0;
  }

  gt(y: BigDecimal): boolean {
    if (this.nonFinite || y.nonFinite) return this.toDecimal().gt(y.toDecimal());
    return compare(this, y) > 0;
  }

  /** @internal the constructor, for this module's helpers (`digitCount`: the coefficient's digits, −1 if not known) */
  static of(sign: 1 | -1, coefficient: bigint, exponent: number, digitCount = -1): BigDecimal {
    return new BigDecimal(sign, coefficient, exponent, undefined, digitCount);
  }
}

/**
 * sign · c · 10^e rounded half-even to p digits (kept as it is when it has at most p). `sticky`:
 * the exact magnitude is strictly between c and c + 1 (units of 10^e); c then has more digits than
 * p, so no tie is mistaken for one. `atLeast`: c has that many digits or one more (−1: count them).
 */
function rounded(sign: 1 | -1, c: bigint, e: number, sticky: boolean, atLeast: number, p: number): BigDecimal {
  const d = atLeast < 0 ? digits(c) : c >= pow10(atLeast) ? atLeast + 1 : atLeast;
  if (d <= p && !sticky) {
    return BigDecimal.of(sign, c, e, d);
  }
  if (d <= p) throw new Error('BigDecimal: internal error, an inexact result without guard digits');
  let k = d - p;
  const unit = pow10(k);
  let q = c / unit;
  const r = c - q * unit;
  const half = halfPow10(k);
  if (r > half || (r === half && (sticky || (q & 1n) === 1n))) {
    q += 1n;
    if (q === pow10(p)) {
      q = pow10(p - 1);
      k += 1;
    }
  }
  return BigDecimal.of(sign, q, e + k, p);
}

/** NOTE-5: a finite x rounded half-even to p significant digits (x itself when it has at most p). */
export function toDigits(x: BigDecimal, p: number): BigDecimal {
  if (x.digits <= p) return x;
  return rounded(x.sign, x.coefficient, x.exponent, false, x.digits, p);
}

/** The exact sum x + (ySign · |y|) of finite values, however many digits it has. */
export function exactSum(x: BigDecimal, ySign: 1 | -1, y: BigDecimal): BigDecimal {
  const top = Math.max(x.exponent + x.digits, y.exponent + y.digits);
  const span = top - Math.min(x.exponent, y.exponent) + 2;
  return add(x, ySign, y, span);
}

/**
 * NOTE-6: x + (ySign · |y|) of finite values, rounded to p digits, with decimal.js's zeros: a zero
 * operand returns the other rounded; two zeros of one sign keep it; two of opposite signs, or an
 * exact cancellation, give +0 (half-even rounding, IEEE 754 §6.3).
 */
export function add(x: BigDecimal, ySign: 1 | -1, y: BigDecimal, p: number): BigDecimal {
  const xZero = x.coefficient === 0n;
  const yZero = y.coefficient === 0n;
  if (xZero || yZero) {
    if (xZero && yZero) {
      return x.sign === ySign ? x : BigDecimal.of(1, 0n, 0);
    }
    return xZero ? rounded(ySign, y.coefficient, y.exponent, false, y.digits, p) : rounded(x.sign, x.coefficient, x.exponent, false, x.digits, p);
  }
  const dx = x.digits;
  const dy = y.digits;
  // `big` has the higher leading digit
  const xBig = x.exponent + dx >= y.exponent + dy;
  const [big, bigSign, bigDigits, small, smallSign, smallDigits] = xBig ? [x, x.sign, dx, y, ySign, dy] : [y, ySign, dy, x, x.sign, dx];
  // `big` scaled to p + 3 digits or more; a `small` below one unit of it only decides the rounding direction
  const g = Math.max(0, p + 3 - bigDigits);
  const unitExponent = big.exponent - g;
  if (small.exponent + smallDigits <= unitExponent) {
    const c = big.coefficient * pow10(g);
    return rounded(bigSign, bigSign === smallSign ? c : c - 1n, unitExponent, true, bigSign === smallSign ? bigDigits + g : -1, p);
  }
  const e = Math.min(x.exponent, y.exponent);
  const cx = x.coefficient * pow10(x.exponent - e);
  const cy = y.coefficient * pow10(y.exponent - e);
  // a sum has as many digits as the longer aligned operand, or one more
  if (x.sign === ySign) return rounded(x.sign, cx + cy, e, false, Math.max(dx + x.exponent, dy + y.exponent) - e, p);
  const difference = cx - cy;
  if (difference === 0n) {
    return BigDecimal.of(1, 0n, 0);
  }
  return difference > 0n ? rounded(x.sign, difference, e, false, -1, p) : rounded(ySign, -difference, e, false, -1, p);
}

/** NOTE-6: x × y of finite values, rounded to p digits. */
export function multiply(x: BigDecimal, y: BigDecimal, p: number): BigDecimal {
  const sign = x.sign === y.sign ? 1 : -1;
  if (x.coefficient === 0n || y.coefficient === 0n) {
    return BigDecimal.of(sign, 0n, 0);
  }
  return rounded(sign, x.coefficient * y.coefficient, x.exponent + y.exponent, false, x.digits + y.digits - 1, p);
}

/**
 * NOTE-6: x ÷ y of finite values, y ≠ 0, rounded to p digits: an integer quotient of p + 2 digits
 * or more, the remainder the sticky bit — so the quotient is exact exactly when the remainder is zero.
 */
export function divide(x: BigDecimal, y: BigDecimal, p: number): BigDecimal {
  const sign = x.sign === y.sign ? 1 : -1;
  if (x.coefficient === 0n) {
    return BigDecimal.of(sign, 0n, 0);
  }
  // scale so the integer quotient has at least p + 2 digits; the remainder is the sticky bit
  const k = p + 2 + y.digits - x.digits;
  const num = k > 0 ? x.coefficient * pow10(k) : x.coefficient;
  const den = k < 0 ? y.coefficient * pow10(-k) : y.coefficient;
  const q = num / den;
  // num has x.digits + max(k, 0) digits and den y.digits + max(−k, 0): q has p + 2 or p + 3
  return rounded(sign, q, x.exponent - y.exponent - k, q * den !== num, p + 2, p);
}

/** x's coefficient, exponent and digit count with the exponent made even (a root halves it): c·10 and e − 1 when e is odd. */
function evenScaled(x: BigDecimal): [bigint, number, number] {
  return x.exponent % 2 === 0 ? [x.coefficient, x.exponent, x.digits] : [x.coefficient * 10n, x.exponent - 1, x.digits + 1];
}

/**
 * NOTE-6: √x of a finite x ≥ 0 (√−0 = −0), rounded to p digits: ⌊√⌋ of at least p + 2 digits,
 * "not a perfect square" the sticky bit — exact exactly when the root is.
 */
export function squareRoot(x: BigDecimal, p: number): BigDecimal {
  if (x.coefficient === 0n) {
    return x;
  }
  let [c, e, d] = evenScaled(x);
  // at least 2·(p + 2) digits under the root, so the root has p + 2
  const missing = 2 * (p + 2) - d;
  if (missing > 0) {
    const j = Math.ceil(missing / 2);
    c *= pow10(2 * j);
    e -= 2 * j;
    d += 2 * j;
  }
  const r = isqrt(c, d);
  // 10^(d−1) ≤ c < 10^d: ⌊√c⌋ has ⌈d/2⌉ digits
  return rounded(1, r, e / 2, r * r !== c, Math.ceil(d / 2), p);
}

/** −1, 0 or 1 as x <, =, > y (finite values; −0 equals +0). */
export function compare(x: BigDecimal, y: BigDecimal): number {
  const sx = x.coefficient === 0n ? 0 : x.sign;
  const sy = y.coefficient === 0n ? 0 : y.sign;
  if (sx !== sy) return sx > sy ? 1 : -1;
  if (sx === 0) return 0;
  const tx = x.exponent + x.digits;
  const ty = y.exponent + y.digits;
  let magnitude: number;
  if (tx !== ty) magnitude = tx > ty ? 1 : -1;
  else {
    const e = Math.min(x.exponent, y.exponent);
    const cx = x.coefficient * pow10(x.exponent - e);
    const cy = y.coefficient * pow10(y.exponent - e);
    magnitude = cx === cy ? 0 : cx > cy ? 1 : -1;
  }
  return sx * magnitude;
}
