/**
 * The arithmetic a step is written in. decimal.js's Decimal provides it (the reference), and so
 * does the error model's bounded arithmetic (conformance/error-model.ts), so every formula is
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

/** 1 − w, the complement weight of an interpolation (EWMA-1) or a dampening. */
export function oneMinus<T extends Scalar<T>>(w: T): T {
  return w.neg().plus(1);
}

/** The larger of a and b (ADAM-6). */
export function maximum<T extends Scalar<T>>(a: T, b: T): T {
  return a.max ? a.max(b) : a.gte(b) ? a : b;
}
