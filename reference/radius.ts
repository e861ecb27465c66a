/**
 * The radii of the ball arithmetic (NOTE-4, reference/ball.ts), in a cheap form: a double `rad`
 * counting units in the last bit of the ball's midpoint, so the radius is rad·2^e for a midpoint
 * c·2^e. A cut midpoint adds up to a unit or two; the terms an operation propagates are scaled by
 * powers of two (exact in a double) whose exponents stay small (a midpoint's bits track its value),
 * and a scaling far outside the double's range is replaced by an upper bound (never by 0).
 * Infinity means unknown.
 *
 * Every result is rounded upward by hand: a double operation rounds to nearest, off by at most
 * 2^−53 relative; an expression of at most seven such roundings of positive terms, multiplied by
 * UP = 1 + 2^−50 (= 1 + 8·2^−53, itself rounded), is at least its exact value. Each formula in
 * ball.ts counts its roundings and applies UP once per seven.
 */
export const UP = 1 + 2 ** -50;

/**
 * The smallest radius an inexact result carries: a radius computed below it (the terms' doubles
 * underflowing) is at most this, so rounding it up here keeps it an upper bound, and a radius
 * never becomes 0 (which would claim an exact value).
 */
export const MIN_RAD = 2 ** -1000;

/** 2^k for −1000 ≤ k ≤ 1000, exact doubles (a table: Math.pow on every operation showed in profiles). */
const P2 = Float64Array.from({ length: 2001 }, (_, i) => 2 ** (i - 1000));

/** An upper bound of 2^k: exact for |k| ≤ 1000, 2^−1000 below, Infinity above. */
export function p2(k: number): number {
  return k < -1000 ? MIN_RAD : k > 1000 ? Infinity : P2[k + 1000];
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** ⌊log₂ v⌋ of a normal double v > 0, from its exponent bits. */
export function exponentBits(v: number): number {
  F64[0] = v;
  return ((U32[HI] >>> 20) & 0x7ff) - 1023;
}

/** Whether a normal double is a power of two (its fraction bits all 0). */
const isPowerOfTwo = (v: number): boolean => {
  F64[0] = v;
  return (U32[HI] & 0xfffff) === 0 && U32[1 - HI] === 0;
};

const SMALL: bigint[] = [];
/** k as a BigInt (shift counts), from a table. */
export function big(k: number): bigint {
  if (k < 4096) {
    let b = SMALL[k];
    if (b === undefined) SMALL[k] = b = BigInt(k);
    return b;
  }
  return BigInt(k);
}

const POW2: bigint[] = [];
/** 2^k as a BigInt (k < 4096 from a table). */
export function pow2(k: number): bigint {
  if (k < 4096) {
    let b = POW2[k];
    if (b === undefined) POW2[k] = b = 1n << BigInt(k);
    return b;
  }
  return 1n << BigInt(k);
}

/** The number of bits of c > 0 (⌊log₂ c⌋ + 1), from the double nearest c, corrected where that rounded up to a power of two. */
export function bitLength(c: bigint): number {
  const x = Number(c);
  if (x < 2 ** 1023) {
    const b = exponentBits(x) + 1;
    // Number(c) rounds to nearest: c just below 2^k may read as 2^k
    return b > 53 && isPowerOfTwo(x) && c < pow2(b - 1) ? b - 1 : b;
  }
  const hex = c.toString(16);
  return 4 * (hex.length - 1) + (32 - Math.clz32(parseInt(hex[0], 16)));
}

/**
 * c ≈ m·2^(bits − 1) for c > 0 of `bits` bits, m in [1, 2] within 2^−52 relative (the double
 * nearest c, or nearest its leading 64 bits: the cut is below 2^−63 relative).
 */
export function mantissa(c: bigint, bits: number): number {
  return bits <= 1000 ? Number(c) * P2[1001 - bits] : Number(c >> big(bits - 64)) * 2 ** -63;
}

/** Whether rad units are below q·c units (c ≥ 0; false when unsure, the double's roundings allowed for). */
export function below(rad: number, c: bigint, q: number): boolean {
  if (rad === 0) return true;
  if (!(rad < Infinity) || c === 0n) return false;
  return rad * UP < (Number(c) * q) / UP;
}
