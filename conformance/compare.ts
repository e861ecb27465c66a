/**
 * Checking one case's reply against the reference within the error model (spec/precision.md).
 * When the implementation returns its state, each step is checked from its own previous state
 * (PREC-7), so error does not compound; otherwise the error bound is carried along the whole
 * trajectory. float64 cases compare against the decimal reference; other dtypes against the
 * float64 evaluation, its own error folded into the tolerance (PREC-6).
 */
import type { Dec } from '../reference/decimal.ts';
import { exact, roundToDtype, ulp, type Dtype } from '../reference/dtype.ts';
import { freshState, resolveHyper, type ElementState } from '../reference/notation.ts';
import type { OptimizerDef } from '../reference/registry.ts';
import type { Case } from './case.ts';
import { Bounded, ORDER_FACTOR, precisionOf } from './error-model.ts';
import type { WireStepOutput } from './protocol.ts';
import { decodeNumber } from './wire.ts';

export interface OutputCheck {
  /** 1-based step of the case */
  readonly step: number;
  readonly element: number;
  /** `params` or a state name */
  readonly output: string;
  readonly got: number;
  /** the reference value (decimal string) */
  readonly expected: string;
  readonly errorUlps: number;
  readonly boundUlps: number;
}

/** One compared output, kept for plotting (conformance/report-html.ts). */
export interface OutputSample {
  readonly step: number;
  readonly element: number;
  readonly output: string;
  /** |reference value| of the output */
  readonly magnitude: number;
  readonly errorUlps: number;
  readonly boundUlps: number;
}

/**
 * A bounded, deterministic uniform sample (reservoir sampling driven by a seeded mulberry32, never
 * Math.random), so the same check keeps the same samples and a report is reproducible.
 */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  private state: number;
  constructor(readonly capacity: number, seed = 0) {
    this.state = seed >>> 0;
  }
  private next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  add(item: T): void {
    this.seen++;
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      const j = Math.floor(this.next() * this.seen);
      if (j < this.capacity) this.items[j] = item;
    }
  }
}

/** Outputs sampled per case when asked (`checkCase(…, { samples })`). */
export const SAMPLES_PER_CASE = 64;

export interface CaseCheck {
  readonly ok: boolean;
  /** the output whose error came closest to (or furthest past) its bound */
  readonly worst?: OutputCheck;
  /** why the reply could not be compared (wrong length, missing state, …) or the first failure in words */
  readonly message?: string;
  readonly failure?: OutputCheck;
  /** with `options.samples`: at most `options.maxSamples` compared outputs, the failing one included */
  readonly samples?: readonly OutputSample[];
}

/** Outputs compared to an exact decimal (float64) or to a float64 evaluation with its own error bound. */
export interface Expected {
  readonly bounded: Bounded;
  readonly exact?: Dec;
}

/** PREC-1, PREC-5, PREC-6: one output against its reference value and allowed error, in ulps. */
export function compareOutput(expected: Expected, got: number, dtype: Dtype): { errorUlps: number; boundUlps: number; ok: boolean; expected: string } {
  const { bounded } = expected;
  const expectedValue = expected.exact !== undefined ? roundToDtype(expected.exact, dtype) : roundToDtype(exact(bounded.v), dtype);
  const unit = ulp(expectedValue, dtype);
  const allowed = ORDER_FACTOR * bounded.bound + (expected.exact !== undefined ? 0 : 2 * bounded.r);
  const expectedText = expected.exact !== undefined ? expected.exact.toSignificantDigits(25).toString() : String(bounded.v);
  if (!Number.isFinite(allowed)) return { errorUlps: 0, boundUlps: Infinity, ok: true, expected: expectedText };
  if (Number.isNaN(got)) return { errorUlps: Infinity, boundUlps: allowed / unit, ok: false, expected: expectedText };
  if (!Number.isFinite(got)) return { errorUlps: got === expectedValue ? 0 : Infinity, boundUlps: allowed / unit, ok: got === expectedValue, expected: expectedText };
  const error = expected.exact !== undefined ? exact(got).minus(expected.exact).abs().toNumber() : Math.abs(got - bounded.v) * (1 + 2 ** -52);
  return { errorUlps: error / unit, boundUlps: allowed / unit, ok: error <= allowed, expected: expectedText };
}

function decodeArray(values: unknown, n: number, what: string): number[] {
  if (!Array.isArray(values)) throw new Error(`${what} is missing`);
  if (values.length !== n) throw new Error(`${what} has ${values.length} elements, expected ${n}`);
  return values.map((x, i) => {
    const d = decodeNumber(x);
    if (d === undefined) throw new Error(`${what}[${i}] is not a number: ${JSON.stringify(x)}`);
    return d;
  });
}

/** Whether a reply carries a usable state after every step (names, lengths, step counter). */
function ownStates(reply: readonly WireStepOutput[], names: readonly string[], n: number): boolean {
  return reply.every((s) => s.state !== undefined && names.every((name) => Array.isArray(s.state?.[name]) && (s.state?.[name] as unknown[]).length === n));
}

/** PREC-6, PREC-7: a whole case's reply, step by step, from the implementation's own state when it returns one. */
export function checkCase(def: OptimizerDef, c: Case, reply: readonly WireStepOutput[], options: { samples?: boolean; maxSamples?: number } = {}): CaseCheck {
  const sampled = options.samples ? new Reservoir<OutputSample>(options.maxSamples ?? SAMPLES_PER_CASE) : undefined;
  const sample = (r: OutputCheck): OutputSample => ({
    step: r.step,
    element: r.element,
    output: r.output,
    magnitude: Math.abs(Number(r.expected)),
    errorUlps: r.errorUlps,
    boundUlps: r.boundUlps,
  });
  // The failing output is the one a reader wants to see: it always takes the last place.
  const samples = (failure?: OutputCheck) =>
    sampled === undefined ? {} : { samples: failure ? [...sampled.items.slice(0, Math.max(0, sampled.capacity - 1)), sample(failure)] : sampled.items };
  const n = c.params.length;
  const p = precisionOf(c.dtype);
  const useDecimal = c.dtype === 'float64';
  if (reply.length !== c.steps.length) return { ok: false, message: `reply has ${reply.length} steps, the case has ${c.steps.length}` };
  const h0 = resolveHyper(def.hyper, c.hyper, [c.steps[0]?.hyper]);
  const names = def.stateNames(h0);
  const fromOwnState = ownStates(reply, names, n);

  let t = c.state?.step ?? 0;
  const initialState = (name: string): number[] => (c.state === null || (t === 0 && c.state[name] === undefined) ? new Array(n).fill(0) : (c.state[name] as number[]));
  let params: { b: Bounded; d?: Dec }[] = c.params.map((x) => ({ b: Bounded.input(x, p), d: useDecimal ? exact(x) : undefined }));
  let states: { b: ElementState<Bounded>; d?: ElementState<Dec> }[] = [];
  const initial = names.map(initialState);
  for (let i = 0; i < n; i++) {
    states.push({
      b: Object.fromEntries(names.map((name, k) => [name, Bounded.input(initial[k][i], p)])),
      d: useDecimal ? (c.state === null ? freshState(names) : Object.fromEntries(names.map((name, k) => [name, exact(initial[k][i])]))) : undefined,
    });
  }

  let worst: OutputCheck | undefined;
  let worstRatio = -1;
  try {
    for (let k = 0; k < c.steps.length; k++) {
      const overrides = c.steps.slice(0, k + 1).map((s) => s.hyper);
      const hb = resolveHyper(def.hyper, c.hyper, overrides, (x) => Bounded.hyper(x, p));
      const hd = useDecimal ? resolveHyper(def.hyper, c.hyper, overrides) : undefined;
      t += 1;
      const out = reply[k];
      const gotParams = decodeArray(out.params, n, `step ${k + 1} params`);
      const gotState: Record<string, number[]> = {};
      const stepGrad = c.steps[k].grad;
      const nextParams: typeof params = [];
      const nextStates: typeof states = [];
      for (let i = 0; i < n; i++) {
        const rb = def.step(params[i].b, Bounded.input(stepGrad[i], p), states[i].b, hb, t);
        const rd = hd && params[i].d !== undefined && states[i].d ? def.step(params[i].d as Dec, exact(stepGrad[i]), states[i].d as ElementState<Dec>, hd, t) : undefined;
        const outputs: [string, Expected, number][] = [['params', { bounded: rb.param, exact: rd?.param }, gotParams[i]]];
        if (fromOwnState || out.state !== undefined) {
          for (const name of Object.keys(rb.state)) {
            if (out.state?.[name] === undefined) {
              if (fromOwnState) throw new Error(`step ${k + 1} state.${name} is missing`);
              continue;
            }
            gotState[name] ??= decodeArray(out.state[name], n, `step ${k + 1} state.${name}`);
            outputs.push([name, { bounded: rb.state[name], exact: rd?.state[name] }, gotState[name][i]]);
          }
        }
        for (const [output, expected, got] of outputs) {
          const r = compareOutput(expected, got, c.dtype);
          const check: OutputCheck = { step: k + 1, element: i, output, got, expected: r.expected, errorUlps: r.errorUlps, boundUlps: r.boundUlps };
          if (!r.ok) return { ok: false, worst: check, failure: check, message: describeFailure(check, c.dtype), ...samples(check) };
          sampled?.add(sample(check));
          const ratio = r.boundUlps === Infinity ? 0 : r.errorUlps / Math.max(r.boundUlps, Number.MIN_VALUE);
          if (ratio > worstRatio) {
            worstRatio = ratio;
            worst = check;
          }
        }
        nextParams.push({ b: rb.param, d: rd?.param });
        nextStates.push({ b: rb.state, d: rd?.state });
      }
      if (fromOwnState) {
        // PREC-7: continue from the implementation's own state, taken as exact inputs.
        const counter = out.state?.step;
        if (counter !== t) throw new Error(`step ${k + 1} state.step is ${JSON.stringify(counter)}, expected ${t}`);
        params = gotParams.map((x) => ({ b: Bounded.input(x, p), d: useDecimal ? exact(x) : undefined }));
        states = gotParams.map((_, i) => ({
          b: Object.fromEntries(names.map((name) => [name, Bounded.input(gotState[name][i], p)])),
          d: useDecimal ? Object.fromEntries(names.map((name) => [name, exact(gotState[name][i])])) : undefined,
        }));
      } else {
        params = nextParams;
        states = nextStates;
      }
    }
  } catch (e) {
    return { ok: false, message: (e as Error).message, ...samples() };
  }
  return { ok: true, worst, ...samples() };
}

export function describeFailure(f: OutputCheck, dtype: Dtype): string {
  const what = f.output === 'params' ? `params[${f.element}]` : `state.${f.output}[${f.element}]`;
  const err = Number.isFinite(f.errorUlps) ? `${formatUlps(f.errorUlps)} ulps` : 'not finite';
  return `step ${f.step} ${what}: got ${f.got}, expected ${f.expected} (${dtype}); error ${err} > bound ${formatUlps(f.boundUlps)} ulps`;
}

export function formatUlps(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  if (x >= 1e6 || x < 1e-3) return x.toExponential(2);
  return x < 10 ? x.toFixed(2) : x.toFixed(0);
}
