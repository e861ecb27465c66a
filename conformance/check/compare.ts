/**
 * Checking one case's reply against the reference within the error model (spec/precision.md).
 * When the implementation returns its state, each step is checked from its own previous state
 * (PREC-7), so error does not compound; otherwise the error bound is carried along the whole
 * trajectory. float64 cases compare against the decimal reference (run in BigDecimal, which gives
 * decimal.js's digits: NOTE-6); other dtypes against the float64 evaluation, its own error folded
 * into the tolerance (PREC-6).
 */
import { BigDecimal } from '../../reference/big-decimal.ts';
import type { Dec } from '../../reference/decimal.ts';
import { FORMATS, roundDoubleToDtype, roundToDtype, ulp, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper, type ElementState } from '../../reference/notation.ts';
import { freshArray, type OptimizerDef } from '../../reference/registry.ts';
import type { Case } from './case.ts';
import { Bounded, ORDER_FACTOR, precisionOf } from './error-model.ts';
import { evaluateStep, exactFields, screenStep, type Fields } from './kernel.ts';
import type { WireStepOutput } from '../protocol/messages.ts';
import { decodeWireArray } from '../protocol/wire.ts';

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

/** One compared output, kept for plotting (conformance/report/html.ts). */
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
  constructor(
    readonly capacity: number,
    seed = 0,
  ) {
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
  const expectedText = expected.exact !== undefined ? expected.exact.toSignificantDigits(25).toString() : String(bounded.v);
  const exactValue = expected.exact !== undefined ? BigDecimal.fromDecimal(expected.exact) : undefined;
  return { ...compareFields(bounded.v, bounded.bound, bounded.r, exactValue, got, dtype), expected: expectedText };
}

const isArrayLike = (x: unknown): x is ArrayLike<unknown> => Array.isArray(x) || x instanceof Float64Array;

/** Whether a reply carries a usable state after every step (names, lengths, step counter). */
function ownStates(reply: readonly WireStepOutput[], names: readonly string[], n: number): boolean {
  return reply.every(
    (s) => s.state !== undefined && names.every((name) => isArrayLike(s.state?.[name]) && (s.state?.[name] as ArrayLike<unknown>).length === n),
  );
}

/** The numbers as a Float64Array: as they are when they already are one (a worker's slice, a reader's array), else copied. */
const toF64 = (a: ArrayLike<number>) => (a instanceof Float64Array ? a : Float64Array.from(a));

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // the high word's index (little-endian: 1)

/**
 * PREC-1: `ulp(x, dtype)` of reference/dtype.ts, read from the double's exponent bits instead of
 * Math.log2 (the same power of two; tests/conformance/kernel.test.ts checks it). float64 keeps `ulp`.
 */
export function fastUlp(x: number, dtype: Dtype): number {
  if (dtype === 'float64') return ulp(x, dtype);
  const { precision: p, emin } = FORMATS[dtype];
  F64[0] = x;
  const biased = (U32[HI] >>> 20) & 0x7ff;
  // zero, subnormal doubles and non-finite values take emin, as `ulp` does
  const e = biased === 0 || biased === 0x7ff ? emin : Math.max(biased - 1023, emin);
  const k = e - p + 1;
  F64[0] = 0;
  U32[HI] = (k + 1023) << 20;
  return F64[0];
}

/**
 * PREC-1, PREC-5, PREC-6: one output against its reference value, as `compareOutput` computes it,
 * from the fields of a bounded value (v, e + w, r) and, for float64, the exact decimal.
 */
function compareFields(
  v: number,
  bound: number,
  r: number,
  exactValue: BigDecimal | undefined,
  got: number,
  dtype: Dtype,
): { errorUlps: number; boundUlps: number; ok: boolean } {
  // BigDecimal's toNumber is roundToDtype(·, 'float64') (NOTE-5, NOTE-6); other dtypes go through decimal.js
  const expectedValue =
    exactValue === undefined ? roundDoubleToDtype(v, dtype) : dtype === 'float64' ? exactValue.toNumber() : roundToDtype(exactValue.toDecimal(), dtype);
  const unit = fastUlp(expectedValue, dtype);
  const allowed = ORDER_FACTOR * bound + (exactValue !== undefined ? 0 : 2 * r);
  if (!Number.isFinite(allowed)) return { errorUlps: 0, boundUlps: Infinity, ok: true };
  if (Number.isNaN(got)) return { errorUlps: Infinity, boundUlps: allowed / unit, ok: false };
  if (!Number.isFinite(got)) return { errorUlps: got === expectedValue ? 0 : Infinity, boundUlps: allowed / unit, ok: got === expectedValue };
  const error = exactValue !== undefined ? BigDecimal.exact(got).minus(exactValue).abs().toNumber() : Math.abs(got - v) * (1 + 2 ** -52);
  return { errorUlps: error / unit, boundUlps: allowed / unit, ok: error <= allowed };
}

/** Tensors at least this large are screened (PREC-6); smaller ones are bounded element by element, as before. */
export const SCREEN_MIN_ELEMENTS = 4096;

/**
 * PREC-6, PREC-7: a whole case's reply, step by step, from the implementation's own state when it
 * returns one. The bounds come from the compiled error model (conformance/check/kernel.ts), bit for bit
 * those of `Bounded`; float64 outputs are also compared with the decimal reference.
 */
export function checkCase(
  def: OptimizerDef,
  c: Case,
  reply: readonly WireStepOutput[],
  options: { samples?: boolean; maxSamples?: number; screen?: boolean } = {},
): CaseCheck {
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
  // zeros as a Float64Array: `new Array(n).fill(0)` costs 25 ns an element here, most of it first-touched memory
  const initialState = (name: string): ArrayLike<number> =>
    c.state === null || (t === 0 && c.state[name] === undefined) ? freshArray(def, name, { ...c.hyper, ...c.steps[0]?.hyper }, n) : (c.state[name] as number[]);
  const initial = names.map(initialState);
  let params: Fields = exactFields(toF64(c.params as number[]));
  let states: Record<string, Fields> = Object.fromEntries(names.map((name, k) => [name, exactFields(toF64(initial[k]))]));
  // Array.from, not map: a slice checked by a worker (parallel.ts) holds Float64Arrays;
  // `initial` holds zeros for a fresh optimizer (NOTE-2)
  let decParams: BigDecimal[] | undefined = useDecimal ? Array.from(c.params, (x) => BigDecimal.exact(x)) : undefined;
  let decStates: ElementState<BigDecimal>[] | undefined = useDecimal
    ? Array.from(c.params, (_, i) => Object.fromEntries(names.map((name, k) => [name, BigDecimal.exact(initial[k][i])])))
    : undefined;

  // PREC-6: screening needs exact inputs every step (the implementation's own states) and no samples;
  // `options.screen` overrides the size rule (a worker's slice follows the whole case: parallel.ts)
  const screen = !useDecimal && fromOwnState && sampled === undefined && (options.screen ?? n >= SCREEN_MIN_ELEMENTS);
  let worst: OutputCheck | undefined;
  let worstRatio = -1;
  try {
    for (let k = 0; k < c.steps.length; k++) {
      const overrides = c.steps.slice(0, k + 1).map((s) => s.hyper);
      const hb = resolveHyper(def.hyper, c.hyper, overrides, (x) => Bounded.hyper(x, p));
      const hd = useDecimal ? resolveHyper(def.hyper, c.hyper, overrides, (x) => BigDecimal.exact(x)) : undefined;
      t += 1;
      const out = reply[k];
      const gotParams = decodeWireArray(out.params, n, `step ${k + 1} params`);
      const gotState: Record<string, Float64Array> = {};
      // the case's gradient as it is (a JS array, or a worker's Float64Array view): the screen reads it
      // directly, and only the full bounds take it as a Float64Array — a copy per step is 1.6 MB of
      // first-touched memory per 200 k elements, a quarter of a screened check here (issue 5)
      const gradValues: ArrayLike<number> = c.steps[k].grad;
      // the implementation's values of an output, decoded once
      const got = (name: string) => (name === 'params' ? gotParams : (gotState[name] ??= decodeWireArray(out.state?.[name], n, `step ${k + 1} state.${name}`)));
      // which outputs are compared: params, and each state array the reply carries
      const outputNames = (stateNames: readonly string[]) => {
        const compared = ['params'];
        if (fromOwnState || out.state !== undefined) {
          for (const name of stateNames) {
            if (out.state?.[name] === undefined) {
              if (fromOwnState) throw new Error(`step ${k + 1} state.${name} is missing`);
              continue;
            }
            got(name);
            compared.push(name);
          }
        }
        return compared;
      };
      // PREC-6: a large check from the implementation's own states screens every output first;
      // only those the screen does not settle (and the closest call) are bounded and compared.
      const open = screen
        ? screenStep(def, hb, t, p, params.v, gradValues, Object.fromEntries(names.map((name) => [name, states[name].v])), names, got)
        : undefined;
      let indices: Int32Array | undefined;
      let rb;
      if (open !== undefined) {
        indices = open;
        const pick = (a: ArrayLike<number>) => Float64Array.from(open, (i) => a[i]);
        rb = evaluateStep(
          def,
          hb,
          t,
          p,
          exactFields(pick(params.v)),
          exactFields(pick(gradValues)),
          Object.fromEntries(names.map((name) => [name, exactFields(pick(states[name].v))])),
          names,
        );
      } else {
        rb = evaluateStep(def, hb, t, p, params, exactFields(toF64(gradValues)), states, names);
      }
      const outputs = outputNames(Object.keys(rb.state)).map((name) => ({ name, f: name === 'params' ? rb.param : rb.state[name], got: got(name) }));
      const nextDec: { param: BigDecimal; state: ElementState<BigDecimal> }[] = [];
      const count = indices === undefined ? n : indices.length;
      for (let at = 0; at < count; at++) {
        // `at` indexes the bounded values, `i` the element (they differ when screened)
        const i = indices === undefined ? at : indices[at];
        const rd = hd && decParams && decStates ? def.step(decParams[i], BigDecimal.exact(c.steps[k].grad[i]), decStates[i], hd, t) : undefined;
        if (rd) nextDec.push(rd);
        for (let j = 0; j < outputs.length; j++) {
          const o = outputs[j];
          const f = o.f;
          const e = f.e === null ? 0 : f.e[at] + (f.w as Float64Array)[at];
          const rr = f.r === null ? 0 : f.r[at];
          const exactValue = rd ? (j === 0 ? rd.param : rd.state[o.name]) : undefined;
          const got = o.got[i];
          const r = compareFields(f.v[at], e, rr, exactValue, got, c.dtype);
          const ratio = r.boundUlps === Infinity ? 0 : r.errorUlps / Math.max(r.boundUlps, Number.MIN_VALUE);
          if (!r.ok || sampled !== undefined || ratio > worstRatio) {
            const expected = exactValue !== undefined ? exactValue.toDecimal().toSignificantDigits(25).toString() : String(f.v[at]);
            const check: OutputCheck = { step: k + 1, element: i, output: o.name, got, expected, errorUlps: r.errorUlps, boundUlps: r.boundUlps };
            if (!r.ok) return { ok: false, worst: check, failure: check, message: describeFailure(check, c.dtype), ...samples(check) };
            sampled?.add(sample(check));
            if (ratio > worstRatio) {
              worstRatio = ratio;
              worst = check;
            }
          }
        }
      }
      if (fromOwnState) {
        // PREC-7: continue from the implementation's own state, taken as exact inputs.
        const counter = out.state?.step;
        if (counter !== t) throw new Error(`step ${k + 1} state.step is ${JSON.stringify(counter)}, expected ${t}`);
        params = exactFields(gotParams);
        states = Object.fromEntries(names.map((name) => [name, exactFields(gotState[name])]));
        if (useDecimal) {
          decParams = Array.from(gotParams, (x) => BigDecimal.exact(x));
          decStates = Array.from(gotParams, (_, i) => Object.fromEntries(names.map((name) => [name, BigDecimal.exact(gotState[name][i])])));
        }
      } else {
        params = rb.param;
        states = rb.state as Record<string, Fields>;
        if (useDecimal) {
          decParams = nextDec.map((r) => r.param);
          decStates = nextDec.map((r) => r.state);
        }
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
