/**
 * The arithmetic a step is written in. decimal.js's Decimal provides it (the reference), and so
 * does the error model's bounded arithmetic (conformance/check/error-model.ts), so every formula is
 * written once and evaluated exactly or with its error bound.
 */
import { Decimal } from 'decimal.js';
import { exact, roundToDtype } from './dtype.ts';

export interface Scalar<T> {
  plus(y: T | number): T;
  minus(y: T | number): T;
  times(y: T): T;
  div(y: T): T;
  sqrt(): T;
  neg(): T;
  /** integer powers only (βᵗ) */
  pow(n: number): T;
  isZero(): boolean;
  isNegative(): boolean;
  gte(y: T): boolean;
  gt(y: T): boolean;
  /** the larger of the two; arithmetic that tracks errors provides its own */
  max?(y: T): T;
  /** |x|, exact (ADAMAX-3, PREC-9) */
  abs(): T;
  // The operations below are optional: decimal.js values get them from the helpers of this module.
  /** LION-2: −1, 0 or +1 (±0 for ±0, NaN for NaN) */
  signum?(): T;
  /** NADAM-2: base^this for a literal base taken at its exact binary value, a real exponent */
  powerOf?(base: number): T;
  /** an exact small integer in this arithmetic */
  integer?(n: number): T;
  /** PREC-12: a value an implementation may keep in float32 whatever the dtype (the same value; an arithmetic that tracks errors charges the rounding) */
  heldInFloat32?(): T;
  /** DEFECT-3: the value rounded to float32 (a defect's reference computes these roundings) */
  roundedToFloat32?(): T;
  /** PREC-10: `this > 0 ? above() : below()` for a scalar difference; an arithmetic that tracks errors admits both where the sign is not certain */
  whenPositive?(above: () => T, below: () => T): T;
}

const MEMO = new WeakMap<object, { precision: unknown; table: Map<string, unknown> }>();

/**
 * A value computed from `x` alone (and `key`), computed once per object: the per-step scalars
 * 1 − β, βᵗ, 1 − βᵗ are the same for every element of a tensor, and hyperparameters are one object
 * per step. It changes no value — the same operations on the same operands — and the table is
 * dropped when the arithmetic's precision (decimal.js's, where it has one) has changed since.
 */
export function memoize<T extends object, R>(x: T, key: string, compute: () => R): R {
  const precision = (x.constructor as { precision?: unknown }).precision;
  let entry = MEMO.get(x);
  if (entry === undefined || entry.precision !== precision) MEMO.set(x, (entry = { precision, table: new Map() }));
  // one lookup when the value is there (every element of a tensor asks)
  let value = entry.table.get(key) as R | undefined;
  if (value === undefined && !entry.table.has(key)) entry.table.set(key, (value = compute()));
  return value as R;
}

/** EWMA-1: 1 − w, the complement weight of an interpolation or a dampening (memoized per w). */
export function oneMinus<T extends Scalar<T>>(w: T): T {
  return memoize(w, 'oneMinus', () => w.neg().plus(1));
}

/**
 * The larger of a and b (ADAM-6, ADAMAX-3), NaN when either is NaN, as `torch.maximum` (NOTE-7): two values
 * neither of which is ≥ the other are a NaN and something, and the NaN is returned.
 */
export function maximum<T extends Scalar<T>>(a: T, b: T): T {
  if (a.max) return a.max(b);
  if (a.gte(b)) return a;
  if (b.gte(a)) return b;
  return a.gte(a) ? b : a;
}

/** decimal.js values (the reference's Dec) get the optional operations here; any other arithmetic must provide them. */
function decimalOf<T>(x: T, what: string): Decimal {
  if (!Decimal.isDecimal(x)) throw new Error(`this arithmetic has no ${what}`);
  return x as unknown as Decimal;
}

/** LION-2: sign(x) ∈ {−1, 0, +1}, sign(±0) = ±0, NaN for NaN. */
export function signum<T extends Scalar<T>>(x: T): T {
  if (x.signum) return x.signum();
  const d = decimalOf(x, 'sign');
  return new (d.constructor as typeof Decimal)(Decimal.sign(d)) as unknown as T;
}

/** NADAM-2, NOTE-4, PREC-11: base^exponent, the base a literal (0.96) at its exact binary value, the exponent real (its error bound: `Bounded.powerOf`). */
export function literalPower<T extends Scalar<T>>(base: number, exponent: T): T {
  if (exponent.powerOf) return exponent.powerOf(base);
  const d = decimalOf(exponent, 'real power');
  return new (d.constructor as typeof Decimal)(exact(base)).pow(d) as unknown as T;
}

/** An exact small integer in the arithmetic of `like` (2 in RAdam's 2/(1 − β₂), t in NAdam's t·ψ). */
export function integer<T extends Scalar<T>>(like: T, n: number): T {
  if (!Number.isSafeInteger(n)) throw new Error(`${n} is not an integer`);
  if (like.integer) return like.integer(n);
  const d = decimalOf(like, 'integer constant');
  return new (d.constructor as typeof Decimal)(n) as unknown as T;
}

/** PREC-12: a value an implementation may hold as a float32 scalar; exact arithmetic keeps it as it is. */
export function heldInFloat32<T extends Scalar<T>>(x: T): T {
  return x.heldInFloat32 ? x.heldInFloat32() : x;
}

/** DEFECT-3, NOTE-5: x rounded to float32, half-even (a defect's reference computes its roundings). */
export function roundedToFloat32<T extends Scalar<T>>(x: T): T {
  if (x.roundedToFloat32) return x.roundedToFloat32();
  const d = decimalOf(x, 'rounding to float32');
  return new (d.constructor as typeof Decimal)(exact(roundToDtype(d, 'float32'))) as unknown as T;
}

/** PREC-10, RADAM-5: `difference > 0 ? above() : below()`, a branch decided on a scalar; see `Scalar.whenPositive`. */
export function whenPositive<T extends Scalar<T>>(difference: T, above: () => T, below: () => T): T {
  if (difference.whenPositive) return difference.whenPositive(above, below);
  return difference.isNegative() || difference.isZero() || !difference.gte(difference) ? below() : above();
}
