/**
 * The midpoints of balls (NOTE-4, reference/ball.ts): + − × ÷ √ of finite dyadic values c·2^e
 * (c ≥ 0 a BigInt), the result exact when it is and has at most p bits, else cut (truncated toward
 * zero) to p bits. A ball's midpoint need not be the nearest p-bit value, only within its radius of
 * the exact value: cutting errs by less than one unit in the last bit kept, which the ball adds to
 * its radius, and it costs a shift — no remainder, no guard bits, no power of ten.
 *
 * Every double is a dyadic rational, and + − × of dyadic values are dyadic: the inputs and their
 * exact combinations are held exactly; ÷ and √ are exact when the remainder is zero.
 *
 * Each function leaves its result in `midC`, `midE` (and its bit count in `midBits`, 0 for zero),
 * and in `cutUnits` a bound on its error in units of its last bit: 0 when it is the exact value on
 * its operands, 1 when bits were dropped (strictly below one unit), or 2 where a dropped term adds
 * to a cut.
 */
import { big, bitLength, pow2 } from './radius.ts';

/** The last result's coefficient, exponent and bit count (module fields, not an object: every operation sets them). */
export let midC = 0n;
export let midE = 0;
export let midBits = 0;
/** The last result's error bound in units of its last bit (strictly below it: 1 means < 1 unit). */
export let cutUnits = 0;

/** c·2^e (c of exactly `bits` bits) cut to its first p bits. */
export function cut(c: bigint, e: number, bits: number, p: number): void {
  if (bits <= p) {
    midC = c;
    midE = e;
    midBits = bits;
    cutUnits = 0;
    return;
  }
  const k = bits - p;
  midC = c >> big(k);
  midE = e + k;
  midBits = p;
  cutUnits = 1;
}

/** An exact zero at scale 2^e. */
export function zero(e: number): void {
  midC = 0n;
  midE = e;
  midBits = 0;
  cutUnits = 0;
}

/** The bits of c > 0 known to have `lo` or lo + 1 of them: one comparison, no conversion (products, sums, quotients). */
function bitsFrom(c: bigint, lo: number): number {
  return c >= pow2(lo) ? lo + 1 : lo;
}

/** NOTE-4: cx·2^ex × cy·2^ey (of bx and by bits), cut to p bits. */
export function cutProduct(cx: bigint, ex: number, bx: number, cy: bigint, ey: number, by: number, p: number): void {
  if (cx === 0n || cy === 0n) return zero(ex + ey);
  const c = cx * cy;
  cut(c, ex + ey, bitsFrom(c, bx + by - 1), p);
}

/** NOTE-4: whether cutSum's difference came out negative (an exact cancellation is +0). */
export let midNegative = false;

/**
 * NOTE-4: cx·2^ex ± cy·2^ey (`subtract`: the difference), of non-zero magnitudes, cut to p bits;
 * `midNegative` tells whether a difference came out negative (an exact cancellation is +0, at the
 * operands' scale). A term wholly below the other's p + 3rd bit is dropped, its size within the
 * units the cut allows for.
 */
export function cutSum(cx: bigint, ex: number, bx: number, cy: bigint, ey: number, by: number, subtract: boolean, p: number): void {
  midNegative = false;
  const xTop = ex + bx;
  const yTop = ey + by;
  // a term entirely below 2^(top − p − 3) is under an eighth of a unit: the other, cut (< 1 unit), with 2 units allowed
  if (yTop <= xTop - p - 3 || xTop <= yTop - p - 3) {
    const xBig = xTop > yTop;
    const [c, e, b] = xBig ? [cx, ex, bx] : [cy, ey, by];
    if (b >= p) cut(c, e, b, p);
    else {
      midC = c << big(p - b);
      midE = e - (p - b);
      midBits = p;
    }
    midNegative = subtract && !xBig;
    cutUnits = 2;
    return;
  }
  const e = Math.min(ex, ey);
  const ax = ex === e ? cx : cx << big(ex - e);
  const ay = ey === e ? cy : cy << big(ey - e);
  if (!subtract) {
    const c = ax + ay;
    return cut(c, e, bitsFrom(c, Math.max(bx + ex, by + ey) - e), p);
  }
  const difference = ax - ay;
  if (difference === 0n) return zero(e);
  midNegative = difference < 0n;
  const c = midNegative ? -difference : difference;
  cut(c, e, bitLength(c), p);
}

/**
 * NOTE-4: cx·2^ex ÷ cy·2^ey (cy > 0), the quotient cut to p or p + 1 bits; exact (cutUnits 0) when
 * `exact` operands divide with no remainder. With s ≥ cy's bits, cx·2^s/cy is an integer whenever
 * the quotient is dyadic, so no exact quotient is missed.
 */
export function cutQuotient(cx: bigint, ex: number, bx: number, cy: bigint, ey: number, by: number, p: number, exact: boolean): void {
  if (cx === 0n) return zero(ex - ey);
  let s = p + by - bx;
  if (exact && s < by) s = by;
  const num = s > 0 ? cx << big(s) : cx;
  const den = s < 0 ? cy << big(-s) : cy;
  const q = num / den;
  const e = ex - ey - s;
  if (exact && q * den === num) return exactResult(q, e);
  // ⌊num/den⌋ of bx + max(s, 0) and by + max(−s, 0) bits: as many bits as their difference, bx + s − by, or one more
  cut(q, e, bitsFrom(q, bx + s - by), p + 1);
  cutUnits = 1;
}

/**
 * The reciprocal ⌊2^t/cy⌋, t = p + by + 2, of a divisor cy of `by` bits: an exact divisor met again
 * and again (1 − βᵗ, for every element of a tensor) is divided by through it, a product in place of
 * a division (`cutQuotientByReciprocal`).
 */
export function reciprocal(cy: bigint, by: number, p: number): bigint {
  return pow2(p + by + 2) / cy;
}

/**
 * NOTE-4: cx·2^ex ÷ cy·2^ey (cx ≠ 0 of `bx` bits, an inexact dividend) through R = reciprocal(cy,
 * by, p): q = ⌊cx·R·2^(s−t)⌋ with s = p + by − bx, so q has p or p + 1 bits. cx·2^s/cy − cx·R·2^(s−t)
 * = cx·2^(s−t)·(2^t/cy − R) lies in [0, 2^(bx+s−t)) = [0, 1/4), and the floor adds less than one:
 * under 2 units.
 */
export function cutQuotientByReciprocal(cx: bigint, ex: number, bx: number, R: bigint, ey: number, by: number, p: number): void {
  const s = p + by - bx;
  // 2^(s−t): t − s = (p + by + 2) − (p + by − bx) = bx + 2
  const q = (cx * R) >> big(bx + 2);
  // 2^(p+2) ≤ R ≤ 2^(p+3) and 2^(bx−1) ≤ cx < 2^bx: 2^(p−1) ≤ q < 2^(p+1)
  cut(q, ex - ey - s, bitsFrom(q, p), p + 1);
  cutUnits = 2;
}

/** NOTE-4: √(c·2^e) of c > 0, cut to about p bits: ⌊√⌋ of the radicand cut to 2p − 1 or 2p bits (⌊√⌊a⌋⌋ = ⌊√a⌋); exact when it is a perfect square. */
export function cutRoot(c: bigint, e: number, bits: number, p: number): void {
  if (e % 2 !== 0) {
    c <<= 1n;
    e -= 1;
    bits += 1;
  }
  // c·2^(2j) with 2p − 1 or 2p bits (j < 0: bits dropped, the floor taken)
  const j = Math.floor((2 * p - bits) / 2);
  if (j > 0) c <<= big(2 * j);
  else if (j < 0) c >>= big(-2 * j);
  e -= 2 * j;
  bits += 2 * j;
  const r = isqrtBits(c, bits);
  if (j >= 0 && r * r === c) return exactResult(r, e / 2);
  midC = r;
  midE = e / 2;
  midBits = Math.ceil(bits / 2);
  cutUnits = 1;
}

/**
 * An exact quotient or root, q·2^e, without the trailing zero bits the scaling gave it (they would
 * count against the P bits an exact product or sum may have).
 */
function exactResult(q: bigint, e: number): void {
  const zeros = bitLength(q & -q) - 1;
  midC = zeros > 0 ? q >> big(zeros) : q;
  midE = e + zeros;
  midBits = bitLength(midC);
  cutUnits = 0;
}

/**
 * ⌊√n⌋ of n > 0 of `bits` bits: an estimate, then one Newton step x ← ⌊(x + ⌊n/x⌋)/2⌋ on n and
 * steps down while x² > n. An integer Newton step never goes below ⌊√n⌋, so the result is exact
 * whatever the estimate was; a good one only saves steps down. The estimate is the root of n's
 * leading bits (a little over half of them) — the same, recursively, down to a double's root — so
 * only the last division is at full length.
 */
export function isqrtBits(n: bigint, bits: number): bigint {
  const x = rootEstimate(n, bits);
  let r = (x + n / x) >> 1n;
  while (r * r > n) r -= 1n;
  return r;
}

/** About ⌊√n⌋ (n > 0 of `bits` bits), to within a few parts in 2^(bits/2 − 4): a positive integer. */
function rootEstimate(n: bigint, bits: number): bigint {
  // a double's root of n within 2^−52 relative: one Newton step above makes it good to 2^−104 (P = 200 bits: 400 → 208 → 112 bits, two divisions)
  if (bits <= 120) return BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  // the root of n's leading bits/2 + 8 bits (an even shift), one Newton step on them, scaled back
  const shift = (bits - (bits >> 1) - 8) & ~1;
  const m = n >> big(shift);
  const y = rootEstimate(m, bits - shift);
  return ((y + m / y) >> 1n) << big(shift / 2);
}

/** NOTE-4: the exact comparison of cx·2^ex and cy·2^ey (magnitudes of `bx`, `by` bits; 0 bits for zero). */
export function compareMagnitudes(cx: bigint, ex: number, bx: number, cy: bigint, ey: number, by: number): number {
  if (bx === 0 || by === 0) return bx === by ? 0 : bx === 0 ? -1 : 1;
  const tx = ex + bx;
  const ty = ey + by;
  if (tx !== ty) return tx > ty ? 1 : -1;
  const e = Math.min(ex, ey);
  const ax = cx << big(ex - e);
  const ay = cy << big(ey - e);
  return ax === ay ? 0 : ax > ay ? 1 : -1;
}
