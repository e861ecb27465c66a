/**
 * The arithmetic a step is written in. decimal.js's Decimal provides it (the reference), and so
 * does the error model's bounded arithmetic (conformance/check/error-model.ts), so every formula is
 * written once and evaluated exactly or with its error bound.
 */
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
  if (entry.table.has(key)) return entry.table.get(key) as R;
  const value = compute();
  entry.table.set(key, value);
  return value;
}

/** EWMA-1: 1 − w, the complement weight of an interpolation or a dampening (memoized per w). */
export function oneMinus<T extends Scalar<T>>(w: T): T {
  return memoize(w, 'oneMinus', () => w.neg().plus(1));
}

/**
 * The larger of a and b (ADAM-6), NaN when either is NaN, as `torch.maximum` (NOTE-7): two values
 * neither of which is ≥ the other are a NaN and something, and the NaN is returned.
 */
export function maximum<T extends Scalar<T>>(a: T, b: T): T {
  if (a.max) return a.max(b);
  if (a.gte(b)) return a;
  if (b.gte(a)) return b;
  return a.gte(a) ? b : a;
}
