/**
 * The radii of the ball arithmetic (NOTE-4, reference/ball.ts), in a cheap form: a double `rad`
 * counting units in the last digit of the ball's midpoint, so the radius is rad·10^e for a midpoint
 * c·10^e. A rounded midpoint adds half a unit; the terms an operation propagates are scaled by
 * powers of ten whose exponents stay small (a midpoint's digits track its value), and a scaling far
 * outside the double's range is replaced by an upper bound (never by 0). Infinity means unknown.
 *
 * Every result is rounded upward by hand: a double operation rounds to nearest, off by at most
 * 2^−53 relative; an expression of at most seven such roundings of positive terms, multiplied by
 * UP = 1 + 2^−50 (= 1 + 8·2^−53, itself rounded), is at least its exact value. Each formula in
 * ball.ts counts its roundings and applies UP once per seven.
 */
import type { BigDecimal } from './big-decimal.ts';

export const UP = 1 + 2 ** -50;

const P10: number[] = Array.from({ length: 601 }, (_, i) => Number(`1e${i - 300}`));

/** An upper bound of 10^k within one rounding: the nearest double for |k| ≤ 300, 1e−300 below, Infinity above. */
export function p10(k: number): number {
  return k < -300 ? 1e-300 : k > 300 ? Infinity : P10[k + 300];
}

/** magnitude's result, m and e (module fields, not an object: it runs on every inexact operation). */
export let magM = 0;
export let magE = 0;

/**
 * |d| ≈ m·10^e for a finite non-zero decimal, m within 5·2^−53 relative of the exact mantissa
 * (read from the coefficient's leading digits; about in [1, 10]), left in magM and magE and cached
 * on the decimal.
 */
export function magnitude(d: BigDecimal): void {
  if (d.approxMantissa !== d.approxMantissa) {
    const n = d.digits;
    d.approxExponent = d.exponent + n - 1;
    // beyond 290 digits, the leading 20: the cut is below 10^−19 relative
    d.approxMantissa = n <= 290 ? Number(d.coefficient) * P10[301 - n] : Number(d.coefficient / 10n ** BigInt(n - 20)) * 1e-19;
  }
  magM = d.approxMantissa;
  magE = d.approxExponent;
}

/** Whether rad units of 10^e are below q·|d| for a finite d (false when unsure: the magnitude's error allowed for). */
export function below(rad: number, e: number, d: BigDecimal, q: number): boolean {
  if (rad === 0) return true;
  if (!(rad < Infinity) || d.coefficient === 0n) return false;
  magnitude(d);
  const k = e - magE;
  if (k < -290) return rad < 1e280 * q;
  if (k > 290) return false;
  return rad * P10[k + 300] * UP < (magM * q) / UP;
}
