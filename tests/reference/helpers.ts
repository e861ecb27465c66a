/**
 * Small assertion helpers for the reference tests. Expected values are written by hand (decimal
 * strings or numbers that are exact in binary), never produced by the code under test.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Dec, precision, setPrecision } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import type { Hyper } from '../../reference/notation.ts';

/** A decimal from a literal written in the test (a string, or an integer / dyadic number). */
export function d(x: string | number): Dec {
  return typeof x === 'number' ? exact(x) : new Dec(x);
}

/** Asserts got = expected exactly, with a message naming the clause. */
export function expectDec(got: Dec, expected: Dec | string | number, clause: string, what = 'value'): void {
  const e = expected instanceof Dec ? expected : d(expected);
  expect(got.eq(e), `${clause}: ${what} expected ${e.toString()}, got ${got.toString()}`).toBe(true);
}

/** Asserts |got − expected| ≤ tol·max(1, |expected|), with a message naming the clause. */
export function expectClose(got: Dec, expected: Dec | string | number, clause: string, tol = '1e-45', what = 'value'): void {
  const e = expected instanceof Dec ? expected : d(expected);
  const bound = new Dec(tol).times(Dec.max(1, e.abs()));
  const err = got.minus(e).abs();
  expect(
    err.lte(bound),
    `${clause}: ${what} expected ${e.toString()}, got ${got.toString()} (|error| ${err.toExponential(3)} > ${bound.toExponential(3)})`,
  ).toBe(true);
}

/** Hyperparameters for calling an element step directly: numbers become their exact decimals. */
export function hyper(h: Record<string, number | boolean | string>): Hyper {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, typeof v === 'boolean' ? v : d(v)]));
}

/** Every clause ID the spec defines (a test title must start with one of these). */
export const CLAUSES = [
  'NOTE-1',
  'NOTE-2',
  'NOTE-3',
  'NOTE-4',
  'NOTE-5',
  'NOTE-6',
  'GRAD-1',
  'GRAD-2',
  'GRAD-3',
  'GRAD-4',
  'GRAD-5',
  'GRAD-6',
  'SGD-1',
  'SGD-2',
  'SGD-3',
  'SGD-4',
  'SGD-5',
  'SGD-6',
  'SGD-7',
  'RMSPROP-1',
  'RMSPROP-2',
  'RMSPROP-3',
  'RMSPROP-4',
  'RMSPROP-5',
  'RMSPROP-6',
  'RMSPROP-7',
  'ADAM-1',
  'ADAM-2',
  'ADAM-3',
  'ADAM-4',
  'ADAM-5',
  'ADAM-6',
  'ADAM-7',
  'ADAM-8',
  'ADAM-9',
  'ADAMW-1',
  'ADAMW-2',
  'ADAMW-3',
  'EWMA-1',
  'EWMA-2',
  'EWMA-3',
  'EWMA-4',
  'ADAGRAD-1',
  'ADAGRAD-2',
  'ADAGRAD-3',
  'ADAGRAD-4',
  'ADAGRAD-5',
  'ADADELTA-1',
  'ADADELTA-2',
  'ADADELTA-3',
  'ADADELTA-4',
  'ADADELTA-5',
  'ADAMAX-1',
  'ADAMAX-2',
  'ADAMAX-3',
  'ADAMAX-4',
  'ADAMAX-5',
  'NADAM-1',
  'NADAM-2',
  'NADAM-3',
  'NADAM-4',
  'NADAM-5',
  'NADAM-6',
  'RADAM-1',
  'RADAM-2',
  'RADAM-3',
  'RADAM-4',
  'RADAM-5',
  'RADAM-6',
  'RADAM-8',
  'LION-1',
  'LION-2',
  'LION-3',
  'LION-4',
  'DEFECT-1',
  'DEFECT-2',
  'DEFECT-3',
  'DEFECT-4',
] as const;

/** fast-check settings: fixed seed, few runs (decimal arithmetic is slow). */
export const FC = { seed: 42, numRuns: 50 } as const;

/** Asserts a reference trajectory's θ after every step is within `rel`·max(1, |x|) of PyTorch's (tests/reference/torch-1.13.ts). */
export function expectTrajectory(got: readonly { params: readonly Dec[] }[], expected: readonly (readonly number[])[], clause: string, rel: string): void {
  expect(got.length, `${clause}: steps`).toBe(expected.length);
  expected.forEach((row, k) => row.forEach((x, i) => expectClose(got[k].params[i], exact(x), clause, rel, `θ${k + 1}[${i}]`)));
}

/** decimal.js at `digits` significant digits while `f` runs, the previous precision restored after: the tests' high-precision truth. */
export function atPrecision<R>(digits: number, f: () => R): R {
  const saved = precision();
  setPrecision(digits);
  try {
    return f();
  } finally {
    setPrecision(saved);
  }
}

/** Non-zero finite doubles up to 1e30 in magnitude: operands for the arithmetics' properties. */
export const nonZeroDouble = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).filter((x) => x !== 0);
