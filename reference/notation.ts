/**
 * Shared notation (spec/notation.md): hyperparameters, per-element state, the step counter,
 * fresh states and per-step hyperparameter overrides. Every optimizer in reference/ is a
 * per-element step function of this shape, composed from small named parts.
 */
import { Dec, ZERO } from './decimal.ts';
import { exact } from './dtype.ts';
import type { Scalar } from './scalar.ts';

/** Hyperparameters under the spec's names: numbers (exact decimals in the reference), flags booleans. */
export type Hyper<T = Dec> = Readonly<Record<string, T | boolean>>;

/** One element's optimizer state, by PyTorch's state names (the step counter is kept apart). */
export type ElementState<T = Dec> = Readonly<Record<string, T>>;

export interface ElementResult<T = Dec> {
  readonly param: T;
  readonly state: ElementState<T>;
}

/**
 * One optimizer step for one element (NOTE-1): `t` is the number of this step, 1 for the first,
 * counted after the increment as PyTorch does. Generic in its arithmetic (reference/scalar.ts).
 */
export type ElementStep = <T extends Scalar<T>>(param: T, grad: T, state: ElementState<T>, hyper: Hyper<T>, t: number) => ElementResult<T>;

export interface HyperSpec {
  readonly name: string;
  readonly kind: 'number' | 'boolean';
  /** PyTorch's default where it has one; undefined means required. */
  readonly default?: number | boolean;
}

/** A numeric hyperparameter (throws, naming it, when absent or not a number). */
export function num<T>(h: Hyper<T>, name: string): T {
  const v = h[name];
  if (typeof v === 'boolean' || v === undefined) throw new Error(`hyperparameter ${name} must be a number`);
  return v;
}

/** A boolean hyperparameter. */
export function flag<T>(h: Hyper<T>, name: string): boolean {
  const v = h[name];
  if (typeof v !== 'boolean') throw new Error(`hyperparameter ${name} must be a boolean`);
  return v;
}

/**
 * NOTE-3: the hyperparameters in force at a step — the case's, overridden by every step's
 * `hyper` up to and including this one; unnamed ones take their defaults. Numbers are taken
 * at their exact binary value (NOTE-4).
 */
export function resolveHyper<T = Dec>(
  specs: readonly HyperSpec[],
  base: Readonly<Record<string, unknown>>,
  overrides: readonly (Readonly<Record<string, unknown>> | undefined)[] = [],
  convert: (x: number) => T = exact as unknown as (x: number) => T,
): Hyper<T> {
  const merged: Record<string, unknown> = { ...base };
  for (const o of overrides) if (o) Object.assign(merged, o);
  const out: Record<string, T | boolean> = {};
  for (const s of specs) {
    const v = merged[s.name] ?? s.default;
    if (v === undefined) throw new Error(`hyperparameter ${s.name} is required`);
    if (s.kind === 'boolean') {
      if (typeof v !== 'boolean') throw new Error(`hyperparameter ${s.name} must be true or false, got ${JSON.stringify(v)}`);
      out[s.name] = v;
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`hyperparameter ${s.name} must be a finite number, got ${JSON.stringify(v)}`);
      }
      out[s.name] = convert(v);
    }
  }
  const unknown = Object.keys(merged).filter((k) => !specs.some((s) => s.name === k));
  if (unknown.length > 0) throw new Error(`unknown hyperparameter ${unknown.join(', ')}`);
  return out;
}

/**
 * NOTE-2: a fresh element state — every named state value zero (the arithmetic's zero; decimal.js's
 * by default), or the value `start` gives it (Adagrad's `sum`, NAdam's `mu_product`), step 0.
 */
export function freshState<T = Dec>(names: readonly string[], zero: T = ZERO as T, start: Readonly<Record<string, T>> = {}): ElementState<T> {
  return Object.fromEntries(names.map((n) => [n, start[n] ?? zero]));
}
