/**
 * Binary floating-point formats and the exact conversions between them and decimals
 * (NOTE-4: exact binary inputs; NOTE-5: rounding to a dtype). The one module where binary
 * floats and decimals meet: conversions are exact integer arithmetic on BigInt, never via
 * decimal.js's `new Decimal(number)` (which takes the shortest round-trip string).
 */
import { Dec } from './decimal.ts';

export type Dtype = 'float64' | 'float32' | 'bfloat16' | 'float16';
export const DTYPES: readonly Dtype[] = ['float64', 'float32', 'bfloat16', 'float16'];

export interface Format {
  /** significand bits, including the implicit one */
  readonly precision: number;
  /** exponent of the smallest normal number */
  readonly emin: number;
  /** exponent of the largest finite number */
  readonly emax: number;
}

export const FORMATS: Readonly<Record<Dtype, Format>> = {
  float64: { precision: 53, emin: -1022, emax: 1023 },
  float32: { precision: 24, emin: -126, emax: 127 },
  bfloat16: { precision: 8, emin: -126, emax: 127 },
  float16: { precision: 11, emin: -14, emax: 15 },
};

export function isDtype(x: unknown): x is Dtype {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

/** Unit roundoff u = 2^-p of a dtype, as a double (exact: a power of two). */
export function unitRoundoff(dtype: Dtype): number {
  return 2 ** -FORMATS[dtype].precision;
}

const BUF = new DataView(new ArrayBuffer(8));

/**
 * NOTE-4: a finite double as ±m·2^e, exactly: m an integer below 2^53 (so held exactly in a double;
 * 0 for a zero), odd unless e is 0 — trailing zero bits are dropped while e < 0 (a float32 value
 * widened has 29 of them, and 5^−e, which turns 2^e into a decimal, shrinks with them).
 */
export function decompose(x: number): { negative: boolean; m: number; e: number } {
  BUF.setFloat64(0, x);
  const hi = BUF.getUint32(0);
  const lo = BUF.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  // m's top 21 bits (the implicit leading 1 included) and its low 32
  const top = (hi & 0xfffff) + (biased === 0 ? 0 : 2 ** 20);
  const e = biased === 0 ? -1074 : biased - 1075;
  // m's trailing zero bits, from the lowest set bit (x & −x) of whichever word has one; a loop
  // halving m one bit at a time made this half a microsecond, the most of a reference conversion
  const zeros = lo !== 0 ? 31 - Math.clz32(lo & -lo) : top !== 0 ? 63 - Math.clz32(top & -top) : 0;
  const drop = e < 0 ? Math.min(zeros, -e) : 0;
  return { negative: hi >>> 31 === 1, m: (top * 2 ** 32 + lo) / 2 ** drop, e: e + drop };
}

const POW5: bigint[] = [1n];
function pow5(k: number): bigint {
  while (POW5.length <= k) POW5.push(POW5[POW5.length - 1] * 5n);
  return POW5[k];
}

/**
 * NOTE-4: a finite double as an exact decimal ±c·10^q with a BigInt c: m·2^e is m·2^e·10^0 when
 * e ≥ 0, and m·5^−e·10^e when e < 0. The one place a double becomes decimal digits (exactString,
 * BigDecimal.exact).
 */
export function exactDecimal(x: number): { negative: boolean; coefficient: bigint; exponent: number } {
  const { negative, m, e } = decompose(x);
  return e >= 0 ? { negative, coefficient: BigInt(m) << BigInt(e), exponent: 0 } : { negative, coefficient: BigInt(m) * pow5(-e), exponent: e };
}

/**
 * The exact decimal string of a double (NOTE-4): 0.1 → "0.1000000000000000055511151231257827021181583404541015625".
 * -0 gives "-0"; NaN and infinities give "NaN", "Infinity", "-Infinity".
 */
export function exactString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { negative, coefficient, exponent: e } = exactDecimal(x);
  let digits: string;
  if (e === 0) {
    digits = coefficient.toString();
  } else {
    // c·10^e with e < 0: the point goes −e digits from the right
    const scaled = coefficient.toString().padStart(-e + 1, '0');
    const intPart = scaled.slice(0, scaled.length + e);
    const fracPart = scaled.slice(scaled.length + e).replace(/0+$/, '');
    digits = fracPart === '' ? intPart : `${intPart}.${fracPart}`;
  }
  return negative ? `-${digits}` : digits;
}

/** The exact value of a double as a decimal (NOTE-4). */
export function exact(x: number): Dec {
  return new Dec(exactString(x));
}

/** Whether a double is exactly representable in a dtype (every dtype is a subset of float64). */
export function isRepresentable(x: number, dtype: Dtype): boolean {
  if (!Number.isFinite(x)) return true;
  return Object.is(roundDoubleToDtype(x, dtype), x);
}

/**
 * Round a double to a dtype, half-even (NOTE-5), in double arithmetic: dividing by the dtype's
 * spacing at x (a power of two) is exact, and adding 2^52 leaves a spacing of 1, so the double
 * addition rounds the quotient to an integer, ties to even. |x| at or above the midpoint between the
 * largest finite value and 2^(emax+1) rounds to ∞ (the largest finite significand is odd, so that
 * tie goes up). tests/reference/dtype.test.ts checks it against `roundToDtype` of the exact value.
 */
export function roundDoubleToDtype(x: number, dtype: Dtype): number {
  if (dtype === 'float64' || x === 0 || !Number.isFinite(x)) return x;
  if (dtype === 'float32') return Math.fround(x);
  const { precision: p, emin, emax } = FORMATS[dtype];
  const ax = Math.abs(x);
  if (ax >= (2 - 2 ** -p) * 2 ** emax) return x > 0 ? Infinity : -Infinity;
  const quantum = 2 ** (Math.max(binade(ax), emin) - p + 1);
  const y = (ax / quantum + 2 ** 52 - 2 ** 52) * quantum;
  return x < 0 ? -y : y;
}

/** ⌊log₂ x⌋ for a finite x > 0 (Math.log2, corrected where it is off by one next to a power of two). */
function binade(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e -= 1;
  else if (2 ** (e + 1) <= x) e += 1;
  return e;
}

/** |d| = num/den as BigInts, for a finite non-zero decimal. */
function rational(d: Dec): { num: bigint; den: bigint } {
  // decimal.js keeps d = ±c·10^(e - digits + 1); use its fixed notation to stay exact.
  const s = d.abs().toFixed();
  const dot = s.indexOf('.');
  if (dot < 0) return { num: BigInt(s), den: 1n };
  const frac = s.slice(dot + 1);
  return { num: BigInt(s.slice(0, dot) + frac), den: 10n ** BigInt(frac.length) };
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/**
 * Round a decimal to the nearest value of a dtype, ties to even, with gradual underflow and
 * overflow to ±Infinity (NOTE-5). Returns the double that holds that value exactly.
 * The sign of a zero result follows the sign of the input.
 */
export function roundToDtype(d: Dec, dtype: Dtype): number {
  if (d.isNaN()) return NaN;
  if (!d.isFinite()) return d.isNegative() ? -Infinity : Infinity;
  const negative = d.isNegative();
  if (d.isZero()) return negative ? -0 : 0;
  const { num, den } = rational(d);
  return roundRational(negative, num, den, dtype);
}

/** NOTE-5: ±c·2^e (c ≥ 0 a BigInt) rounded to a dtype, ties to even (a ball's end, reference/ball-rounding.ts). */
export function roundDyadicToDtype(negative: boolean, c: bigint, e: number, dtype: Dtype): number {
  if (c === 0n) return negative ? -0 : 0;
  return e >= 0 ? roundRational(negative, c << BigInt(e), 1n, dtype) : roundRational(negative, c, 1n << BigInt(-e), dtype);
}

/** NOTE-5: ±num/den (num, den > 0) to the nearest value of a dtype, ties to even. */
export function roundRational(negative: boolean, num: bigint, den: bigint, dtype: Dtype): number {
  const { precision: p, emin, emax } = FORMATS[dtype];
  // e = floor(log2(num/den)), from bit lengths, then corrected by one exact comparison.
  let e = bitLength(num) - bitLength(den);
  const ge = (k: number) => (k >= 0 ? num >= den << BigInt(k) : num << BigInt(-k) >= den);
  if (!ge(e)) e -= 1;
  const q0 = Math.max(e, emin) - p + 1; // exponent of the last significand bit
  // q = num / (den·2^q0), rounded half-even
  let n = num;
  let m = den;
  if (q0 >= 0) m <<= BigInt(q0);
  else n <<= BigInt(-q0);
  let q = n / m;
  const r2 = (n - q * m) * 2n;
  if (r2 > m || (r2 === m && (q & 1n) === 1n)) q += 1n;
  let exp = q0;
  if (q === 1n << BigInt(p)) {
    q >>= 1n;
    exp += 1;
  }
  if (q !== 0n && exp + bitLength(q) - 1 > emax) return negative ? -Infinity : Infinity;
  const value = Number(q) * 2 ** exp;
  return negative ? -value : value;
}

/** The spacing of the dtype at x: 2^(max(e, emin) - p + 1) where 2^e ≤ |x| < 2^(e+1). */
export function ulp(x: number, dtype: Dtype): number {
  const { precision: p, emin } = FORMATS[dtype];
  const ax = Math.abs(x);
  const e = ax === 0 || !Number.isFinite(ax) ? emin : Math.max(Math.floor(Math.log2(ax)), emin);
  // Math.log2 can be off by one near powers of two; correct it exactly.
  let k = e;
  if (ax !== 0 && Number.isFinite(ax)) {
    if (2 ** k > ax) k -= 1;
    else if (2 ** (k + 1) <= ax) k += 1;
    k = Math.max(k, emin);
  }
  return 2 ** (k - p + 1);
}

/** The largest finite value of a dtype. */
export function maxFinite(dtype: Dtype): number {
  const { precision: p, emax } = FORMATS[dtype];
  return (2 - 2 ** (1 - p)) * 2 ** emax;
}

/** The smallest positive subnormal of a dtype. */
export function minSubnormal(dtype: Dtype): number {
  const { precision: p, emin } = FORMATS[dtype];
  return 2 ** (emin - p + 1);
}
