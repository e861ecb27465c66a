/**
 * Running a whole case through a reference step (NOTE-1, NOTE-2, NOTE-3): exact inputs, per-step
 * hyperparameter overrides, the step counter, and the state after every step.
 */
import { BigDecimal } from './big-decimal.ts';
import { Dec, ZERO } from './decimal.ts';
import { exact } from './dtype.ts';
import { freshState, resolveHyper, type ElementState } from './notation.ts';
import { freshValue, type OptimizerDef } from './registry.ts';
import type { Scalar } from './scalar.ts';

/**
 * NOTE-4, NOTE-6: an arithmetic the reference evaluates in — decimal.js, which defines the
 * reference, or an engine whose every operation gives decimal.js's result (NOTE-6) — with the
 * exact conversion of a double into it.
 */
export interface Arithmetic<T extends Scalar<T>> {
  exact(x: number): T;
  readonly zero: T;
}

/** NOTE-4: decimal.js in the reference's context (reference/decimal.ts). */
export const DECIMAL_JS: Arithmetic<Dec> = { exact, zero: ZERO };

/** NOTE-6: decimal.js's arithmetic on BigInt coefficients (reference/big-decimal.ts): the same digits, faster. */
export const BIG_DECIMAL: Arithmetic<BigDecimal> = { exact: (x) => BigDecimal.exact(x), zero: BigDecimal.exact(0) };

export interface CaseInput {
  readonly hyper: Readonly<Record<string, unknown>>;
  readonly params: readonly number[];
  /** null: a fresh optimizer (NOTE-2); else `step` and one array per state name */
  readonly state: Readonly<Record<string, unknown>> | null;
  readonly steps: readonly { readonly grad: readonly number[]; readonly hyper?: Readonly<Record<string, unknown>> }[];
}

export interface ExactStep<T = Dec> {
  readonly params: T[];
  readonly state: { readonly step: number; readonly [name: string]: T[] | number };
}

/**
 * NOTE-1, NOTE-2, NOTE-3: the exact trajectory of a case. The state is carried exactly from step
 * to step (not rounded to the dtype); callers round what they report.
 */
export function referenceTrajectory(def: OptimizerDef, input: CaseInput): ExactStep[];
export function referenceTrajectory<T extends Scalar<T>>(
  def: OptimizerDef,
  input: CaseInput,
  arithmetic: Arithmetic<T>,
  onStep?: (k: number, step: ExactStep<T>) => void,
): ExactStep<T>[];
/**
 * `onStep`: hears each step as it is computed, and the steps are then not kept (the result is
 * empty): a caller that reports every step as it comes holds one step's values at a time, not the
 * whole trajectory's (the young generation's collections copy what is still held).
 */
export function referenceTrajectory<T extends Scalar<T>>(
  def: OptimizerDef,
  input: CaseInput,
  arithmetic: Arithmetic<T> = DECIMAL_JS as unknown as Arithmetic<T>,
  onStep?: (k: number, step: ExactStep<T>) => void,
): ExactStep<T>[] {
  const size = input.params.length;
  const hyper0 = resolveHyper(def.hyper, input.hyper, [input.steps[0]?.hyper]);
  const names = def.stateNames(hyper0);
  const toExact = (x: number) => arithmetic.exact(x);
  // NOTE-2: a fresh array is zeros, or the family's start value (Adagrad's sum, NAdam's μ product)
  const fresh = (name: string) => arithmetic.exact(freshValue(def, name, { ...input.hyper, ...input.steps[0]?.hyper }));
  let step = 0;
  let params: T[] = input.params.map(toExact);
  let states: ElementState<T>[];
  if (input.state === null) {
    const start = Object.fromEntries(names.map((name) => [name, fresh(name)]));
    states = params.map(() => freshState(names, arithmetic.zero, start));
  } else {
    const s = input.state;
    if (typeof s.step !== 'number' || !Number.isInteger(s.step) || s.step < 0) throw new Error('state.step must be an integer ≥ 0');
    step = s.step;
    const arrays = names.map((name) => {
      const a = s[name];
      if (step === 0 && a === undefined) return params.map(() => fresh(name));
      if (!Array.isArray(a) || a.length !== size) throw new Error(`state.${name} must be an array of ${size} numbers`);
      return a.map((x, i) => {
        if (typeof x !== 'number') throw new Error(`state.${name}[${i}] must be a number`);
        return toExact(x);
      });
    });
    states = params.map((_, i) => Object.fromEntries(names.map((name, k) => [name, arrays[k][i]])));
  }
  const out: ExactStep<T>[] = [];
  input.steps.forEach((s, k) => {
    if (s.grad.length !== size) throw new Error(`steps[${k}].grad has ${s.grad.length} elements, params has ${size}`);
    const overrides = input.steps.slice(0, k + 1).map((x) => x.hyper);
    // validity and the state's shape are decided on the decimal.js values; the step runs in the arithmetic
    const hd = resolveHyper(def.hyper, input.hyper, overrides);
    const h = resolveHyper(def.hyper, input.hyper, overrides, toExact);
    const bad = def.invalid(hd);
    if (bad !== undefined) throw new Error(`steps[${k}]: ${bad}`);
    // NOTE-3: an override may not switch a part of the state on or off (momentum, centered, amsgrad).
    const namesNow = def.stateNames(hd);
    if (namesNow.join() !== names.join())
      throw new Error(`steps[${k}].hyper changes the state (${names.join(', ') || 'none'} → ${namesNow.join(', ') || 'none'}), which NOTE-3 does not allow`);
    step += 1;
    // one pass over the elements (the engine's steps take microseconds: maps over results showed in profiles)
    const nextParams = new Array<T>(size);
    const nextStates = new Array<ElementState<T>>(size);
    for (let i = 0; i < size; i++) {
      const r = def.step(params[i], toExact(s.grad[i]), states[i], h, step);
      nextParams[i] = r.param;
      nextStates[i] = r.state;
    }
    params = nextParams;
    states = nextStates;
    const stateOut: Record<string, T[] | number> = { step };
    for (const name of Object.keys(states[0] ?? {})) {
      const values = new Array<T>(size);
      for (let i = 0; i < size; i++) values[i] = states[i][name];
      stateOut[name] = values;
    }
    const computed = { params, state: stateOut as ExactStep<T>['state'] };
    if (onStep) onStep(k, computed);
    else out.push(computed);
  });
  return out;
}
