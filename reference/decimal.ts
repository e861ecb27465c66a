/**
 * The reference's own decimal.js context (NOTE-4). Every reference computation uses `Dec`,
 * never the global `Decimal`, so precision and rounding set here never leak elsewhere.
 *
 * Precision P: 50 significant digits by default (DESIGN.md, "Reference"), overridable with the
 * environment variable OPTCONF_PRECISION or `setPrecision`. Rounding: half-even. The reported
 * values do not depend on it (NOTE-4): P is the digits of the `exact` strings and where the ball
 * arithmetic starts.
 */
import { Decimal } from 'decimal.js';

export const DEFAULT_PRECISION = 50;
export const MIN_PRECISION = 50;

function initialPrecision(): number {
  const raw = process.env.OPTCONF_PRECISION;
  if (raw === undefined || raw === '') return DEFAULT_PRECISION;
  const n = Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || String(n) !== raw.trim() || n < MIN_PRECISION || n > 1000) {
    throw new Error(`OPTCONF_PRECISION must be an integer from ${MIN_PRECISION} to 1000, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export const Dec = Decimal.clone({
  precision: initialPrecision(),
  rounding: Decimal.ROUND_HALF_EVEN,
  // Exponents of 16-bit subnormals and float64 extremes fit easily; keep toString plain.
  toExpNeg: -7,
  toExpPos: 21,
  minE: -9e15,
  maxE: 9e15,
});
export type Dec = Decimal;

/** Sets the reference precision (significant digits); at least MIN_PRECISION. */
export function setPrecision(digits: number): void {
  if (!Number.isInteger(digits) || digits < MIN_PRECISION) {
    throw new Error(`reference precision must be an integer ≥ ${MIN_PRECISION}, got ${digits}`);
  }
  Dec.set({ precision: digits });
}

export function precision(): number {
  return Dec.precision;
}

export const ZERO = new Dec(0);
export const ONE = new Dec(1);
export const TWO = new Dec(2);
