/**
 * Deciding a rounding from a ball (NOTE-4, NOTE-5): rounding — to a dtype, or to a number of
 * significant digits — is monotone, so when both ends of the ball round to the same value, every
 * value in it does, the exact one included; otherwise the ball holds a rounding boundary and the
 * caller evaluates again at a higher precision (Ziv's strategy). An exact ball (radius 0) always
 * decides, ties to even. A quick test first sees whether the ball is clear of every boundary around
 * its midpoint; only when it is not are the ends rounded exactly.
 */
import { BigDecimal, compare, decimalText, exactSum, halfPow10, pow10, toDigits } from './big-decimal.ts';
import type { Ball } from './ball.ts';
import { FORMATS, decompose, maxFinite, roundDoubleToDtype, roundDyadicToDtype, type Dtype } from './dtype.ts';
import { UP, big, exponentBits, mantissa, p2, pow2 } from './radius.ts';

const MAX_FINITE = Object.fromEntries(Object.keys(FORMATS).map((d) => [d, maxFinite(d as Dtype)])) as Record<Dtype, number>;

/** NOTE-5: the exact value rounded to a dtype when the ball decides it, else undefined. */
export function roundBall(b: Ball, dtype: Dtype): number | undefined {
  if (b.special !== 0) return b.isExact ? b.special : undefined;
  if (b.rad === Infinity) return undefined;
  if (b.isExact) return b.bits === 0 ? (b.negative ? -0 : 0) : ((dtype === 'float64' ? undefined : clearInDoubles(b, dtype)) ?? roundExact(b, dtype));
  const quick = b.bits === 0 ? undefined : dtype === 'float64' ? clearOfBoundaries(b, dtype) : clearInDoubles(b, dtype);
  if (quick !== undefined) return quick;
  // the ends mid ∓ rad·2^e, exactly (rad is a double: a dyadic itself)
  const r = decompose(b.rad);
  const e = Math.min(b.exponent, b.exponent + r.e);
  const mid = (b.negative ? -b.coefficient : b.coefficient) << big(b.exponent - e);
  const radius = BigInt(r.m) << big(b.exponent + r.e - e);
  const end = (v: bigint) => (v < 0n ? roundDyadicToDtype(true, -v, e, dtype) : roundDyadicToDtype(false, v, e, dtype));
  const a = end(mid - radius);
  return Object.is(a, end(mid + radius)) ? a : undefined;
}

/**
 * A narrow dtype's rounding in doubles, when the ball is clear of both boundaries around the
 * candidate: |mid| ≈ a within 2^−52 relative (mantissa's double, times an exact power of two), the
 * comparisons' own roundings within 2^−52 more; a margin of 2^−48·a plus the radius covers both.
 * Undefined: not clear (or outside the range where the dtype's values are normal doubles) — the
 * exact test decides. Float32, bfloat16 and float16 have 29 bits or more to spare in a double, so
 * it decides all but about one value in 10⁸.
 */
function clearInDoubles(b: Ball, dtype: Dtype): number | undefined {
  const top = b.bits - 1 + b.exponent;
  if (top > 130 || top < -170) return undefined;
  const a = mantissa(b.coefficient, b.bits) * p2(top);
  const r = b.rad === 0 ? 0 : b.rad * p2(b.exponent) * UP;
  const slack = (a * 2 ** -48 + r) * UP;
  const v = roundDoubleToDtype(a, dtype);
  if (v === 0 || !(v < Infinity)) return undefined;
  const { precision, emin } = FORMATS[dtype];
  // a narrow dtype's values are normal doubles
  const e2 = exponentBits(v);
  const up = p2(Math.max(e2, emin) - precision + 1);
  // below a power of two (above the subnormals) the spacing halves
  const down = e2 > emin && p2(e2) === v ? up / 2 : up;
  if (a - slack <= v - down / 2 || a + slack >= v + up / 2) return undefined;
  return b.negative ? -v : v;
}

/**
 * A finite ball's midpoint against a dtype's grid: |mid| = (q·2^s + r)·2^e, 2^k = 2^(e+s) the
 * dtype's spacing there (subnormal spacing below its normal range), the half-point between q and
 * q + 1 at r = half = 2^(s−1). Undefined past the dtype's largest binade (it overflows: the callers
 * say how) or where the midpoint is on the grid (s ≤ 0).
 */
interface GridPosition {
  readonly k: number;
  readonly s: number;
  readonly q: bigint;
  readonly r: bigint;
  readonly half: bigint;
}

function gridPosition(b: Ball, dtype: Dtype): GridPosition | undefined {
  const { precision: p, emin, emax } = FORMATS[dtype];
  const top = b.bits - 1 + b.exponent;
  if (top > emax) return undefined;
  const k = Math.max(top, emin) - p + 1;
  const s = k - b.exponent;
  if (s <= 0) return undefined;
  const q = b.coefficient >> big(s);
  return { k, s, q, r: b.coefficient - (q << big(s)), half: pow2(s - 1) };
}

/** kept·2^k with the ball's sign, ±∞ past the dtype's largest finite value. */
function signedGridValue(b: Ball, kept: bigint, k: number, dtype: Dtype): number {
  const v = Number(kept) * 2 ** k;
  const value = v > MAX_FINITE[dtype] ? Infinity : v;
  return b.negative ? -value : value;
}

/**
 * A dtype's rounding of an inexact ball clear of 0 and of the half-points around its midpoint: the
 * candidates are q and q + 1 (gridPosition); the ball rounds as its midpoint when r is farther than
 * the radius from the half, and — rounding down to a power of two, where the spacing below halves —
 * farther than the radius from the half-point a quarter spacing below q. Undefined: not clear (or
 * overflowing, or too few bits below the spacing) — the exact test decides.
 */
function clearOfBoundaries(b: Ball, dtype: Dtype): number | undefined {
  const at = gridPosition(b, dtype);
  if (at === undefined || at.s < 3) return undefined;
  const radius = BigInt(Math.ceil(b.rad * UP)) + 1n;
  if (b.coefficient <= radius) return undefined;
  const { q, r, half } = at;
  let kept: bigint;
  if (r - half > radius) kept = q + 1n;
  else if (half - r > radius && r + (half >> 1n) > radius) kept = q;
  else return undefined;
  return signedGridValue(b, kept, at.k, dtype);
}

/** NOTE-5: an exact non-zero ball rounded to a dtype, half-even: q, or q + 1 when r passes the half or meets it with q odd (gridPosition). */
function roundExact(b: Ball, dtype: Dtype): number {
  const { emax } = FORMATS[dtype];
  if (b.bits - 1 + b.exponent > emax) return roundDyadicToDtype(b.negative, b.coefficient, b.exponent, dtype);
  const at = gridPosition(b, dtype);
  // on the grid: the value is one of the dtype's (below 2^p units of 2^k ≥ 2^−1074, so exact in a double)
  if (at === undefined) return (b.negative ? -1 : 1) * Number(b.coefficient) * 2 ** b.exponent;
  const { q, r, half } = at;
  return signedGridValue(b, r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q, at.k, dtype);
}

/** A ball's value as decimal digits: a decimal midpoint and a radius in units of its last digit. */
interface DecimalBall {
  readonly mid: BigDecimal;
  readonly rad: number;
}

const LOG10_2 = Math.log10(2);
/** The decimal digits a midpoint of b's bits is worth, two more. */
const bitsWorth = (b: Ball): number => Math.floor(b.bits * LOG10_2) + 2;
const LOG2_10 = Math.log2(10);

/** 10^j for −300 ≤ j ≤ 300, each the double nearest (within 2^−53 relative). */
const TEN_TO_THE = Float64Array.from({ length: 601 }, (_, i) => Number(`1e${i - 300}`));

/**
 * 2^e/10^k within 2^−51 relative: two table entries (each within 2^−53) and a product; outside the
 * tables, 2^(e − k·log₂10) in one power (its argument's rounding within the same margin for these e, k).
 */
function twoToTheOverTenToThe(e: number, k: number): number {
  return e >= -1000 && e <= 1000 && k >= -300 && k <= 300 ? p2(e) * TEN_TO_THE[300 - k] : 2 ** (e - k * LOG2_10);
}

/**
 * A ball c·2^e ± rad·2^e as a decimal ball: the floor of c·2^e/10^k, k chosen for `digits` digits or
 * one more (by default as many as c has bits' worth, a little more), within one unit of 10^k, plus the radius in
 * those units (2^(e − k·log₂10) computed in a double, with 2^−30 relative to spare for its roundings).
 * Undefined for a zero midpoint (the ball holds 0: no digit is decided).
 */
function decimalBall(b: Ball, digits = bitsWorth(b)): DecimalBall | undefined {
  if (b.bits === 0) return undefined;
  const c = b.coefficient;
  const e = b.exponent;
  const lead = Math.floor((b.bits - 1 + e) * LOG10_2);
  const k = lead - digits + 1;
  let q: bigint;
  if (k <= 0) {
    const scaled = k < 0 ? c * pow10(-k) : c;
    q = e >= 0 ? scaled << big(e) : scaled >> big(-e);
  } else {
    q = e >= 0 ? (c << big(e)) / pow10(k) : c / (pow10(k) << big(-e));
  }
  const rad = (1 + b.rad * twoToTheOverTenToThe(e, k) * (1 + 2 ** -30)) * UP;
  return { mid: BigDecimal.of(b.negative ? -1 : 1, q, k), rad };
}

/** The ends of a finite decimal ball, exactly (the radius rad·10^e is the double rad's exact value, shifted). */
function ends(b: DecimalBall): [BigDecimal, BigDecimal] {
  const r = BigDecimal.exact(b.rad);
  const shifted = BigDecimal.of(1, r.coefficient, r.exponent + b.mid.exponent);
  return [exactSum(b.mid, -1, shifted), exactSum(b.mid, 1, shifted)];
}

/** NOTE-4: the exact value correctly rounded to `digits` significant digits (half-even) when the ball decides it. */
export function ballDigits(b: Ball, digits: number): BigDecimal | undefined {
  if (b.special !== 0) return b.isExact ? b.mid : undefined;
  if (b.rad === Infinity) return undefined;
  // clear of the half-points within the conversion's unit and the radius (undefined for a zero midpoint)
  const d = decimalBall(b, Math.max(bitsWorth(b), digits + 3));
  const quick = d !== undefined && d.mid.digits > digits ? clearOfHalfPoints(d.mid, d.rad, d.mid.digits - digits) : undefined;
  if (quick !== undefined) return quick;
  // an exact ball is rounded from every digit; an inexact one decides where both ends round alike
  if (b.isExact) return toDigits(b.mid, digits);
  if (d === undefined || !(d.rad < Infinity)) return undefined;
  const [lo, hi] = ends(d);
  if (lo.coefficient === 0n || hi.coefficient === 0n || lo.sign !== hi.sign) return undefined;
  const a = toDigits(lo, digits);
  return compare(a, toDigits(hi, digits)) === 0 ? a : undefined;
}

/**
 * NOTE-4: ballDigits's string, made from the decimal midpoint's digits as a string: the digits past
 * the `digits`-th (at most 15, exact in a double) compared with their half-point, the radius and the
 * conversion's unit allowed for; the kept digits, the last one raised when the rest is above the
 * half (a raised 9 carries: ballDigits then). Any case not clear here goes to ballDigits.
 */
export function ballText(b: Ball, digits: number): string | undefined {
  // digits + 3 of them: the conversion's unit is then a thousandth of the last digit printed
  const d = b.special !== 0 || b.bits === 0 || b.rad === Infinity ? undefined : decimalBall(b, digits + 3);
  if (d === undefined || !(d.rad < 2 ** 40)) return ballDigits(b, digits)?.toString();
  const all = d.mid.coefficient.toString();
  const extra = all.length - digits;
  const kept = all.slice(0, digits);
  // the kept digits a power of ten: the grid below is finer (clearOfHalfPoints)
  if (extra > 15 || (kept.charCodeAt(0) === 49 && /^10*$/.test(kept))) return ballDigits(b, digits)?.toString();
  const side = sideOfHalfInDoubles(Number(all.slice(digits)), extra, d.rad);
  if (side < 0) return decimalText(b.negative, kept, d.mid.exponent + extra);
  const last = kept.charCodeAt(digits - 1);
  if (side > 0 && last !== 57) return decimalText(b.negative, kept.slice(0, digits - 1) + String.fromCharCode(last + 1), d.mid.exponent + extra);
  return ballDigits(b, digits)?.toString();
}

/**
 * mid = c·10^e rounded at 10^(e+k), when it is farther than rad·10^e from the half-points around
 * it: |c mod 10^k − 10^k/2| > rad (then it is no tie either, and rounds to the nearer end). Not
 * when the kept digits are a power of ten (the grid below it is finer, so the half-point below is
 * nearer than it looks).
 */
function clearOfHalfPoints(mid: BigDecimal, rad: number, k: number): BigDecimal | undefined {
  if (!(rad < 2 ** 52)) return undefined;
  const unit = pow10(k);
  const q = mid.coefficient / unit;
  const kept = mid.digits - k;
  if (q === pow10(kept - 1)) return undefined;
  const side = sideOfHalf(mid.coefficient - q * unit, k, rad);
  if (side === 0) return undefined;
  if (side < 0) return BigDecimal.of(mid.sign, q, mid.exponent + k, kept);
  // rounding up may carry into a new digit: 99…9 → 100…0
  const up = q + 1n;
  return up === pow10(kept) ? BigDecimal.of(mid.sign, pow10(kept - 1), mid.exponent + k + 1, kept) : BigDecimal.of(mid.sign, up, mid.exponent + k, kept);
}

/** −1 or 1 as rest (0 ≤ rest < 10^k) is below or above 10^k/2 by more than rad, else 0: in doubles while both are exact integers (k ≤ 15), else in BigInts. */
function sideOfHalf(rest: bigint, k: number, rad: number): number {
  if (k <= 15) return sideOfHalfInDoubles(Number(rest), k, rad);
  const d = rest - halfPow10(k);
  const big = BigInt(Math.ceil(rad * UP));
  return d > big ? 1 : d < -big ? -1 : 0;
}

/** sideOfHalf for k ≤ 15, rest given as a double (exact: below 10^15). */
function sideOfHalfInDoubles(rest: number, k: number, rad: number): number {
  const r = Math.ceil(rad * UP);
  const d = rest - 5 * TEN_TO_THE[299 + k]; // 10^(k−1), exact for k ≤ 15
  return d > r ? 1 : d < -r ? -1 : 0;
}
