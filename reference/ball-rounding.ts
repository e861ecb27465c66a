/**
 * Deciding a rounding from a ball (NOTE-4, NOTE-5): rounding — to a dtype, or to a number of
 * significant digits — is monotone, so when both ends of the ball round to the same value, every
 * value in it does, the exact one included; otherwise the ball holds a rounding boundary and the
 * caller evaluates again at a higher precision (Ziv's strategy). An exact ball (radius 0) always
 * decides, ties to even. A quick test first sees whether the ball is clear of every boundary by a
 * margin that covers its own rounding errors; only when it is not are the ends rounded exactly.
 */
import { BigDecimal, binadeScaled, compare, exactSum, halfPow10, pow10, scaledDivisor, scaledQuotient, scaledRemainder, toDigits } from './big-decimal.ts';
import type { Ball } from './ball.ts';
import { FORMATS, roundDoubleToDtype, roundScaledToDtype, type Dtype } from './dtype.ts';
import { UP, magE, magM, magnitude, p10 } from './radius.ts';

/** The ends of a finite ball, exactly (the radius rad·10^e is the double rad's exact value, shifted). */
function ends(b: Ball): [BigDecimal, BigDecimal] {
  const r = BigDecimal.exact(b.rad);
  const shifted = BigDecimal.of(1, r.coefficient, r.exponent + b.mid.exponent);
  return [exactSum(b.mid, -1, shifted), exactSum(b.mid, 1, shifted)];
}

const toDtype = (d: BigDecimal, dtype: Dtype): number => roundScaledToDtype(d.sign < 0, d.coefficient, d.exponent, dtype);

/** NOTE-5: the exact value rounded to a dtype when the ball decides it, else undefined. */
export function roundBall(b: Ball, dtype: Dtype): number | undefined {
  if (!b.mid.finite) return b.isExact ? b.mid.toNumber() : undefined;
  if (b.rad === Infinity) return undefined;
  if (b.mid.coefficient !== 0n) {
    const quick = dtype === 'float64' ? clearFloat64(b) : clearNarrow(b, dtype);
    if (quick !== undefined) return quick;
  }
  if (b.isExact) return toDtype(b.mid, dtype);
  const [lo, hi] = ends(b);
  const a = toDtype(lo, dtype);
  return Object.is(a, toDtype(hi, dtype)) ? a : undefined;
}

/**
 * A narrow dtype's rounding in doubles, when the ball is clear of both boundaries around the
 * candidate: |mid| ≈ m·10^e within 7·2^−53 (radius.ts), the comparisons' own roundings within
 * 2^−52 more; a margin of 2^−48·|mid| plus the radius covers both. Undefined: not clear (or out of
 * the double's comfortable range) — the exact test decides.
 */
function clearNarrow(b: Ball, dtype: Dtype): number | undefined {
  magnitude(b.mid);
  if (magE > 38 || magE < -60) return undefined;
  const a = magM * p10(magE);
  const r = b.rad === 0 ? 0 : b.rad * p10(b.mid.exponent) * UP;
  const slack = (a * 2 ** -48 + r) * UP;
  const v = roundDoubleToDtype(a, dtype);
  if (v === 0 || !(v < Infinity)) return undefined;
  const { precision, emin } = FORMATS[dtype];
  const e2 = exponentOf(v);
  const up = 2 ** (Math.max(e2, emin) - precision + 1);
  // below a power of two (above the subnormals) the spacing halves
  const down = e2 > emin && 2 ** e2 === v ? up / 2 : up;
  if (a - slack <= v - down / 2 || a + slack >= v + up / 2) return undefined;
  return b.mid.sign < 0 ? -v : v;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** ⌊log₂ v⌋ of a normal double v > 0, from its exponent bits (a narrow dtype's values are normal doubles). */
function exponentOf(v: number): number {
  F64[0] = v;
  return ((U32[HI] >>> 20) & 0x7ff) - 1023;
}

/**
 * float64's rounding of a normal ball, when it is clear of the half-points around its value:
 * |mid|/h = q + f exactly (binadeScaled: h = 2^(e2−53), half the spacing, q in [2^53, 2^54)), so the
 * doubles lie at even q and the half-points at odd q. The radius in units of h, and the distances
 * from q + f to the half-points on either side, in doubles with a 2^−40 margin for their roundings
 * (f is within 2^−51 of the exact fraction). Undefined: not clear — the exact test decides.
 */
function clearFloat64(b: Ball): number | undefined {
  const mid = b.mid;
  if (mid.exponent < -300 || mid.exponent > 300) return undefined;
  const e2 = binadeScaled(mid);
  if (e2 === undefined) return undefined;
  // the radius's scale 10^e/h, and the divisor, in the double's range (else the exact test)
  const scale = p10(mid.exponent) * 2 ** (53 - e2);
  const divisor = Number(scaledDivisor);
  if (!(scale > 1e-290 && scale < 1e290 && divisor < Infinity)) return undefined;
  const q = scaledQuotient;
  const f = Number(scaledRemainder) / divisor;
  const even = (q & 1n) === 0n;
  // the double: q itself when even, else q + 1 (f > 0 puts it past the half-point q; f = 0 is a tie, not clear)
  const j = even ? q : q + 1n;
  // distances to the half-points below and above, in units of h (below 2^e2·2^53 the spacing halves)
  const below = even ? (q === TWO_53 ? 0.5 : 1) + f : f;
  const above = even ? 1 - f : 2 - f;
  const rh = b.rad === 0 ? 0 : b.rad * scale * UP;
  const slack = 2 ** -40;
  if (rh * (1 + slack) + slack >= Math.min(below, above)) return undefined;
  const v = Number(j >> 1n) * 2 ** (e2 - 52);
  return mid.sign < 0 ? -v : v;
}

const TWO_53 = 1n << 53n;

/** NOTE-4: the exact value correctly rounded to `digits` significant digits (half-even) when the ball decides it. */
export function ballDigits(b: Ball, digits: number): BigDecimal | undefined {
  if (!b.mid.finite) return b.isExact ? b.mid : undefined;
  if (b.isExact) return toDigits(b.mid, digits);
  if (b.rad === Infinity) return undefined;
  const quick = b.mid.digits > digits ? clearOfHalfPoints(b.mid, b.rad, b.mid.digits - digits) : undefined;
  if (quick !== undefined) return quick;
  const [lo, hi] = ends(b);
  if (lo.coefficient === 0n || hi.coefficient === 0n || lo.sign !== hi.sign) return undefined;
  const a = toDigits(lo, digits);
  return compare(a, toDigits(hi, digits)) === 0 ? a : undefined;
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

/** −1 or 1 as rest is below or above 10^k/2 by more than rad, else 0: in doubles while both are exact integers (k ≤ 15), else in BigInts. */
function sideOfHalf(rest: bigint, k: number, rad: number): number {
  const r = Math.ceil(rad * UP);
  if (k <= 15) {
    const d = Number(rest) - 5 * p10(k - 1);
    return d > r ? 1 : d < -r ? -1 : 0;
  }
  const d = rest - halfPow10(k);
  const big = BigInt(r);
  return d > big ? 1 : d < -big ? -1 : 0;
}
