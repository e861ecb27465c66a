/**
 * Checking one case's reply against the reference within the error model (spec/precision.md).
 * When the implementation returns its state, each step is checked from its own previous state
 * (PREC-7), so error does not compound; otherwise the error bound is carried along the whole
 * trajectory. float64 cases compare against the decimal reference (ball arithmetic on the BigInt
 * engine, each value's rounding decided: NOTE-4, NOTE-6); other dtypes against the float64
 * evaluation, its own error folded into the tolerance (PREC-6).
 */
import { Ball } from '../../reference/ball.ts';
import { BigDecimal } from '../../reference/big-decimal.ts';
import type { Dec } from '../../reference/decimal.ts';
import { uniform } from '../../reference/random.ts';
import { FORMATS, maxFinite, roundDoubleToDtype, roundToDtype, ulp, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper, type ElementState, type Hyper } from '../../reference/notation.ts';
import { freshArray, type OptimizerDef } from '../../reference/registry.ts';
import { Settled, replayElement, replayElementExactly, type Replay, type ReplayExactly } from '../../reference/rounded-trajectory.ts';
import type { Rational } from '../../reference/rational.ts';
import type { CaseInput } from '../../reference/trajectory.ts';
import type { Case } from './case.ts';
import { Bounded, ORDER_FACTOR, precisionOf } from './error-model.ts';
import { evaluateStep, exactFields, screenStep, settledFields, type Fields, type StepFields, type StepSpec } from './kernel.ts';
import { unboundedOutputs } from './unbounded.ts';
import type { WireStepOutput } from '../protocol/messages.ts';
import { base64DtypeOf, decodeWireArray } from '../protocol/wire.ts';
import { SAMPLES_PER_CASE, SCREEN_MIN_ELEMENTS } from '../limits.ts';

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

/**
 * How close an output came to its bound: error over bound, 0 under an infinite bound (PREC-4). The
 * worst output of a case or a clause is the one of largest margin.
 */
export function margin(r: { readonly errorUlps: number; readonly boundUlps: number }): number {
  return r.boundUlps === Infinity ? 0 : r.errorUlps / Math.max(r.boundUlps, Number.MIN_VALUE);
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
 * A bounded, deterministic uniform sample (reservoir sampling driven by reference/random.ts's seeded
 * generator, never Math.random), so the same check keeps the same samples and a report is reproducible.
 */
export class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  private readonly next: () => number;
  constructor(
    readonly capacity: number,
    seed = 0,
  ) {
    this.next = uniform(seed);
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

export interface CaseCheck {
  readonly ok: boolean;
  /** the output whose error came closest to (or furthest past) its bound */
  readonly worst?: OutputCheck;
  /** PROTO-8: of a passing case, the output of largest error in ulps (the earliest on a tie), whatever its bound */
  readonly largest?: OutputCheck;
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

/**
 * PREC-1, PREC-5, PREC-6: one output against its reference value and allowed error, in ulps;
 * `nonFiniteInput`: whether a NaN or ±∞ among the step's inputs reaches it (NOTE-7).
 */
export function compareOutput(
  expected: Expected,
  got: number,
  dtype: Dtype,
  nonFiniteInput = false,
): { errorUlps: number; boundUlps: number; ok: boolean; expected: string } {
  const { bounded } = expected;
  const expectedText = expected.exact !== undefined ? expected.exact.toSignificantDigits(25).toString() : String(bounded.v);
  const reference = expected.exact !== undefined ? { value: roundToDtype(expected.exact, dtype), mid: BigDecimal.fromDecimal(expected.exact) } : undefined;
  return { ...compareFields(bounded.v, bounded.bound, bounded.r, reference, got, dtype, nonFiniteInput), expected: expectedText };
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

/** NOTE-5: the smallest magnitude that rounds to ±∞ in the dtype, halfway from the largest finite value to 2^(emax+1). */
function overflowThreshold(dtype: Dtype): number {
  const { precision: p, emax } = FORMATS[dtype];
  return (2 - 2 ** -p) * 2 ** emax;
}

const sameNonFinite = (got: number, expected: number): boolean => (Number.isNaN(expected) ? Number.isNaN(got) : got === expected);

/**
 * PREC-1, PREC-5, PREC-6: one output against its reference value, as `compareOutput` computes it,
 * from the fields of a bounded value (v, e + w, r) and, for float64, the reference value: the exact
 * value's correct rounding to the dtype and a midpoint within 2^−30 ulp of it (NOTE-4, NOTE-5). NOTE-7,
 * PROTO-8: a NaN or ±∞ the reference computes from non-finite inputs (`nonFiniteInput`) is matched
 * exactly, whatever the bound — except that a NaN passes for ±∞ where the step's finite part is
 * unbounded (`finitePartUnbounded`, asked only then: PREC-4 beside θ = ±∞); from finite inputs it can
 * only be where nothing is bounded (PREC-4: a root of a value that may be negative, a division by
 * one that may be zero). A NaN where the reference is finite fails unless nothing is bounded there;
 * an infinity passes only as an overflow the bound reaches.
 */
function compareFields(
  v: number,
  bound: number,
  r: number,
  reference: Pick<Settled, 'value' | 'mid'> | undefined,
  got: number,
  dtype: Dtype,
  nonFiniteInput: boolean,
  finitePartUnbounded?: () => boolean,
): { errorUlps: number; boundUlps: number; ok: boolean } {
  const exactValue = reference?.mid;
  const expectedValue = reference === undefined ? roundDoubleToDtype(v, dtype) : reference.value;
  const allowed = ORDER_FACTOR * bound + (exactValue !== undefined ? 0 : 2 * r);
  const referenceFinite = exactValue !== undefined ? exactValue.finite : Number.isFinite(v);
  if (!referenceFinite && nonFiniteInput) {
    if (sameNonFinite(got, expectedValue)) return { errorUlps: 0, boundUlps: 0, ok: true };
    // NOTE-7: −∞ − x is −∞ or NaN whatever x is; an unbounded x (PREC-4) may be anything
    if (Number.isNaN(got) && finitePartUnbounded?.() === true) return { errorUlps: 0, boundUlps: Infinity, ok: true };
    return { errorUlps: Infinity, boundUlps: 0, ok: false };
  }
  if (!referenceFinite) return { errorUlps: 0, boundUlps: Infinity, ok: true };
  // a finite reference value that rounds to ±∞ is measured in ulps of the largest finite value
  const unit = fastUlp(Number.isFinite(expectedValue) ? expectedValue : maxFinite(dtype), dtype);
  if (!Number.isFinite(allowed)) return { errorUlps: 0, boundUlps: Infinity, ok: true };
  if (Number.isNaN(got)) return { errorUlps: Infinity, boundUlps: allowed / unit, ok: false };
  const near = exactValue !== undefined ? exactValue.toNumber() : v;
  if (!Number.isFinite(got)) {
    // an overflow within the bound: the reference's magnitude plus the allowed error reaches the threshold (NOTE-5)
    const overflows = Math.sign(got) === Math.sign(near) && Math.abs(near) + allowed >= overflowThreshold(dtype);
    return { errorUlps: overflows ? 0 : Infinity, boundUlps: allowed / unit, ok: overflows };
  }
  const error = exactValue !== undefined ? BigDecimal.exact(got).minus(exactValue).abs().toNumber() : Math.abs(got - v) * (1 + 2 ** -52);
  return { errorUlps: error / unit, boundUlps: allowed / unit, ok: error <= allowed };
}

/**
 * PROTO-3: the index of the first value of `a` that is not a value of the dtype, or −1. NaN and the
 * infinities are values of every dtype. An array read from float32 base64 holds float32 values by
 * construction, and every double is a float64 value: neither is looked at.
 */
export function firstUnrepresentable(a: Float64Array, dtype: Dtype): number {
  if (dtype === 'float64' || (dtype === 'float32' && base64DtypeOf(a) === 'float32')) return -1;
  if (dtype === 'float32') {
    for (let i = 0; i < a.length; i++) if (Math.fround(a[i]) !== a[i] && a[i] === a[i]) return i;
    return -1;
  }
  const largest = maxFinite(dtype);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x !== x || x === Infinity || x === -Infinity) continue;
    // a multiple of the dtype's spacing at x (the division by a power of two is exact) and no larger than its largest value
    if (Math.abs(x) > largest || (x / fastUlp(x, dtype)) % 1 !== 0) return i;
  }
  return -1;
}

/** PROTO-3: the reply's array, refused with the first value that is not of the case's dtype. */
function ofDtype(a: Float64Array, dtype: Dtype, step: number, name: string): Float64Array {
  const i = firstUnrepresentable(a, dtype);
  if (i >= 0) throw new Error(`step ${step} ${name}[${i}] = ${a[i]} is not a ${dtype} value`);
  return a;
}

/** Compared outputs kept for plots, the failing one last; and the worst output so far, and the largest error. */
class CaseTrack {
  worst?: OutputCheck;
  worstRatio = -1;
  largest?: OutputCheck;
  largestUlps = -1;
  readonly sampled?: Reservoir<OutputSample>;
  constructor(options: CheckCaseOptions) {
    if (options.samples) this.sampled = new Reservoir<OutputSample>(options.maxSamples ?? SAMPLES_PER_CASE);
  }

  static sample(r: OutputCheck): OutputSample {
    return { step: r.step, element: r.element, output: r.output, magnitude: Math.abs(Number(r.expected)), errorUlps: r.errorUlps, boundUlps: r.boundUlps };
  }

  /** The failing output is the one a reader wants to see: it always takes the last place. */
  samples(failure?: OutputCheck): { samples?: OutputSample[] } {
    const sampled = this.sampled;
    if (sampled === undefined) return {};
    return { samples: failure ? [...sampled.items.slice(0, Math.max(0, sampled.capacity - 1)), CaseTrack.sample(failure)] : sampled.items };
  }
}

export interface CheckCaseOptions {
  readonly samples?: boolean;
  readonly maxSamples?: number;
  /** screen or not whatever the size (a worker's slice follows the whole case: parallel.ts) */
  readonly screen?: boolean;
}

/** Where the reference stands in a case: the steps taken and the next step's inputs, bounded and (float64) exact. */
interface Position {
  t: number;
  params: Fields;
  states: Record<string, Fields>;
  /** per element, 1 when an input of the step (param, gradient, state) is NaN or ±∞ (NOTE-7) */
  nonFinite: Uint8Array;
  /**
   * NOTE-7, PREC-4: per element with a non-finite input, the inputs (`params` or a state name) an
   * earlier step of a trajectory the reference carries left unbounded in their finite part
   */
  unbounded: Map<number, ReadonlySet<string>>;
  decParams?: Ball[];
  decStates?: ElementState<Ball>[];
  /**
   * NOTE-4: where the exact run starts — the case's inputs, or the implementation's own state after
   * a step (PREC-7) — so one undecided value can be evaluated again alone at a higher precision
   */
  restart: Restart;
}

interface Restart {
  /** 0-based step the exact run starts at */
  readonly k0: number;
  readonly t0: number;
  readonly params: ArrayLike<number>;
  readonly states: Readonly<Record<string, ArrayLike<number>>>;
  readonly fresh: boolean;
}

/** NOTE-4: the case from the last restart point up to step k (0-based), to evaluate one element again. */
function restartInput(c: Case, names: readonly string[], r: Restart, k: number): CaseInput {
  return {
    hyper: Object.assign({}, c.hyper, ...c.steps.slice(0, r.k0).map((s) => s.hyper ?? {})),
    params: Array.from(r.params),
    state: r.fresh ? null : { step: r.t0, ...Object.fromEntries(names.map((name) => [name, Array.from(r.states[name])])) },
    steps: c.steps.slice(r.k0, k + 1),
  };
}

/** NOTE-7: marks (1) the elements where one of the arrays holds NaN or ±∞. */
function markNonFinite(into: Uint8Array, arrays: readonly ArrayLike<number>[]): Uint8Array {
  // a loop per kind of array (a reply's Float64Arrays, a case's JS arrays): one loop over both kinds
  // read each element through a generic access, a third of a float32 check's time (bench, measurement 2)
  for (const a of arrays) {
    if (a instanceof Float64Array) markIn(into, a);
    else markInArray(into, a);
  }
  return into;
}

// x − x is 0 for a finite x, NaN for NaN and ±∞
function markIn(into: Uint8Array, a: Float64Array): void {
  const n = into.length;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (x - x !== 0) into[i] = 1;
  }
}

function markInArray(into: Uint8Array, a: ArrayLike<number>): void {
  const n = into.length;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (x - x !== 0) into[i] = 1;
  }
}

/** The case's starting point: its params and state, a fresh optimizer's start values for a state it starts without (NOTE-2). */
function startOf(def: OptimizerDef, c: Case, names: readonly string[], useDecimal: boolean): Position {
  const n = c.params.length;
  const t = c.state?.step ?? 0;
  // zeros as a Float64Array: `new Array(n).fill(0)` costs 25 ns an element here, most of it first-touched memory
  const initialState = (name: string): ArrayLike<number> =>
    c.state === null || (t === 0 && c.state[name] === undefined) ? freshArray(def, name, { ...c.hyper, ...c.steps[0]?.hyper }, n) : (c.state[name] as number[]);
  const initial = names.map(initialState);
  return {
    t,
    params: exactFields(toF64(c.params as number[])),
    states: Object.fromEntries(names.map((name, k) => [name, exactFields(toF64(initial[k]))])),
    nonFinite: markNonFinite(new Uint8Array(n), [c.params, ...initial]),
    unbounded: new Map(),
    // Array.from, not map: a slice checked by a worker (parallel.ts) holds Float64Arrays
    decParams: useDecimal ? Array.from(c.params, (x) => Ball.exact(x)) : undefined,
    decStates: useDecimal ? Array.from(c.params, (_, i) => Object.fromEntries(names.map((name, k) => [name, Ball.exact(initial[k][i])]))) : undefined,
    restart: { k0: 0, t0: t, params: c.params, states: Object.fromEntries(names.map((name, k) => [name, initial[k]])), fresh: c.state === null },
  };
}

/** One step's reply: params decoded at once, each state output once, when first read. */
class StepReply {
  readonly params: Float64Array;
  readonly state: Record<string, Float64Array> = {};
  constructor(
    private readonly out: WireStepOutput,
    private readonly n: number,
    /** 1-based */
    readonly step: number,
    private readonly dtype: Dtype,
  ) {
    this.params = ofDtype(decodeWireArray(out.params, n, `step ${step} params`), dtype, step, 'params');
  }

  /** An output's values, each checked to be a value of the case's dtype (PROTO-3: replies follow the rules requests do). */
  readonly got = (name: string): Float64Array =>
    name === 'params'
      ? this.params
      : (this.state[name] ??= ofDtype(decodeWireArray(this.out.state?.[name], this.n, `step ${this.step} state.${name}`), this.dtype, this.step, name));

  get stepCounter(): unknown {
    return this.out.state?.step;
  }

  /** The outputs compared: params, and each state array the reply carries (every one, when the check continues from its state). */
  compared(stateNames: readonly string[], fromOwnState: boolean): string[] {
    const compared = ['params'];
    if (!fromOwnState && this.out.state === undefined) return compared;
    for (const name of stateNames) {
      if (this.out.state?.[name] === undefined) {
        if (fromOwnState) throw new Error(`step ${this.step} state.${name} is missing`);
        continue;
      }
      this.got(name);
      compared.push(name);
    }
    return compared;
  }
}

/**
 * PREC-6: the reference's bounded step. A large check from the implementation's own states screens
 * every output first; only the elements the screen does not settle (and the closest call) are
 * bounded (`indices`). Otherwise every element is.
 */
function boundStep(step: StepSpec, at: Position, grad: ArrayLike<number>, screenAgainst?: StepReply): { rb: StepFields; indices?: Int32Array } {
  const { names } = step;
  const stateValues = () => Object.fromEntries(names.map((name) => [name, at.states[name].v]));
  const open = screenAgainst ? screenStep(step, { param: at.params.v, grad, state: stateValues() }, screenAgainst.got) : undefined;
  if (open === undefined) return { rb: evaluateStep(step, { param: at.params, grad: exactFields(toF64(grad)), state: at.states }) };
  const pick = (a: ArrayLike<number>) => exactFields(Float64Array.from(open, (i) => a[i]));
  const state = Object.fromEntries(names.map((name) => [name, pick(at.states[name].v)]));
  return { rb: evaluateStep(step, { param: pick(at.params.v), grad: pick(grad), state }), indices: open };
}

/** One step's comparison: the bounded reference, the elements bounded, the decimal reference (float64) and the reply. */
interface StepComparison {
  readonly def: OptimizerDef;
  /** the step as the error model evaluates it (NOTE-7: its finite part asked again, element by element) */
  readonly step: StepSpec;
  readonly c: Case;
  /** 0-based index of the step in the case */
  readonly k: number;
  readonly at: Position;
  readonly hd?: Hyper<Ball>;
  readonly names: readonly string[];
  readonly rb: StepFields;
  readonly indices?: Int32Array;
  readonly outputs: readonly { readonly name: string; readonly f: Fields; readonly got: Float64Array }[];
}

/**
 * PREC-1, PREC-5: every output of a step against its bound, element by element: the first failing
 * output, or none (the worst and the samples kept in `track`); and the decimal reference's next
 * inputs for a float64 case.
 */
function compareStep(s: StepComparison, track: CaseTrack): { failure?: OutputCheck; nextDec: { param: Ball; state: ElementState<Ball> }[] } {
  const { def, c, k, at, hd, indices, outputs } = s;
  const nextDec: { param: Ball; state: ElementState<Ball> }[] = [];
  // NOTE-4: an undecided float64 reference value is evaluated again alone, from the last restart point
  const replay: Replay = (i, name, w) => {
    const settled = replayElement(def, restartInput(c, s.names, at.restart, k), i, w);
    return settled && (name === 'params' ? settled.params[0] : (settled.state[name] as Ball[])[0]);
  };
  const exactly: ReplayExactly = (i, name) => {
    const settled = replayElementExactly(def, restartInput(c, s.names, at.restart, k), i);
    return settled && (name === 'params' ? settled.params[0] : (settled.state[name] as Rational[])[0]);
  };
  const count = indices === undefined ? c.params.length : indices.length;
  const sampled = track.sampled;
  const { decParams, decStates, t } = at;
  const grad = c.steps[k].grad;
  const dtype = c.dtype;
  // the worst so far in locals: this loop runs for every element bounded
  let worst = track.worst;
  let worstRatio = track.worstRatio;
  let largest = track.largest;
  let largestUlps = track.largestUlps;
  for (let a = 0; a < count; a++) {
    // `a` indexes the bounded values, `i` the element (they differ when screened)
    const i = indices === undefined ? a : indices[a];
    const rd = hd && decParams && decStates ? def.step(decParams[i], Ball.exact(grad[i]), decStates[i], hd, t) : undefined;
    if (rd) nextDec.push(rd);
    // NOTE-7: an element with a non-finite input, its unbounded outputs found when first asked
    const nonFinite = at.nonFinite[i] === 1 ? new UnboundedAt(s, i) : undefined;
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs[j];
      const f = o.f;
      const e = f.e === null ? 0 : f.e[a] + (f.w as Float64Array)[a];
      const rr = f.r === null ? 0 : f.r[a];
      // NOTE-4: the float64 reference value, decided (an undecided one is evaluated again alone)
      const reference = rd ? new Settled(j === 0 ? rd.param : rd.state[o.name], i, o.name, replay, 25, exactly) : undefined;
      const got = o.got[i];
      const r = compareFields(f.v[a], e, rr, reference, got, dtype, nonFinite !== undefined, nonFinite && (() => nonFinite.has(o.name)));
      const ratio = margin(r);
      if (!r.ok || sampled !== undefined || ratio > worstRatio || r.errorUlps > largestUlps) {
        const expected = reference !== undefined ? reference.text() : String(f.v[a]);
        const check: OutputCheck = { step: k + 1, element: i, output: o.name, got, expected, errorUlps: r.errorUlps, boundUlps: r.boundUlps };
        if (!r.ok) return { failure: check, nextDec };
        sampled?.add(CaseTrack.sample(check));
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worst = check;
        }
        if (r.errorUlps > largestUlps) {
          largestUlps = r.errorUlps;
          largest = check;
        }
      }
    }
  }
  track.worst = worst;
  track.worstRatio = worstRatio;
  track.largest = largest;
  track.largestUlps = largestUlps;
  return { nextDec };
}

/** NOTE-7, PREC-4: element i's outputs whose finite part the step leaves unbounded, from the step's inputs. */
function unboundedAt(s: StepComparison, i: number): ReadonlySet<string> {
  const { at } = s;
  return unboundedOutputs(s.step, { param: at.params, grad: s.c.steps[s.k].grad, state: at.states }, i, at.unbounded.get(i));
}

/** NOTE-7: `unboundedAt`, evaluated once, when a NaN first meets a reference ±∞ of the element. */
class UnboundedAt {
  private outputs?: ReadonlySet<string>;
  constructor(
    private readonly s: StepComparison,
    private readonly i: number,
  ) {}
  has(name: string): boolean {
    return (this.outputs ??= unboundedAt(this.s, this.i)).has(name);
  }
}

/**
 * NOTE-7, PREC-4: for a trajectory the reference carries, the outputs of each element with a
 * non-finite input that the step leaves unbounded, to be the next step's marked inputs: a NaN the
 * implementation was allowed there stays allowed where the reference carries ±∞.
 */
function carriedUnbounded(s: StepComparison): Map<number, ReadonlySet<string>> {
  const marks = new Map<number, ReadonlySet<string>>();
  const { nonFinite } = s.at;
  for (let i = 0; i < nonFinite.length; i++) {
    if (nonFinite[i] !== 1) continue;
    const outputs = unboundedAt(s, i);
    if (outputs.size > 0) marks.set(i, outputs);
  }
  return marks;
}

/**
 * PREC-6, PREC-7: a whole case's reply, step by step, from the implementation's own state when it
 * returns one. The bounds come from the compiled error model (conformance/check/kernel.ts), bit for bit
 * those of `Bounded`; float64 outputs are also compared with the decimal reference.
 */
export function checkCase(def: OptimizerDef, c: Case, reply: readonly WireStepOutput[], options: CheckCaseOptions = {}): CaseCheck {
  const track = new CaseTrack(options);
  const n = c.params.length;
  const p = precisionOf(c.dtype);
  const useDecimal = c.dtype === 'float64';
  if (reply.length !== c.steps.length) return { ok: false, message: `reply has ${reply.length} steps, the case has ${c.steps.length}` };
  const names = def.stateNames(resolveHyper(def.hyper, c.hyper, [c.steps[0]?.hyper]));
  const fromOwnState = ownStates(reply, names, n);
  const at = startOf(def, c, names, useDecimal);
  // PREC-6: screening needs exact inputs every step (the implementation's own states) and no samples
  const screen = !useDecimal && fromOwnState && track.sampled === undefined && (options.screen ?? n >= SCREEN_MIN_ELEMENTS);
  try {
    for (let k = 0; k < c.steps.length; k++) {
      const overrides = c.steps.slice(0, k + 1).map((s) => s.hyper);
      const hb = resolveHyper(def.hyper, c.hyper, overrides, (x) => Bounded.hyper(x, p));
      const hd = useDecimal ? resolveHyper(def.hyper, c.hyper, overrides, (x) => Ball.exact(x)) : undefined;
      at.t += 1;
      markNonFinite(at.nonFinite, [c.steps[k].grad]);
      const replied = new StepReply(reply[k], n, k + 1, c.dtype);
      // the case's gradient as it is (a JS array, or a worker's Float64Array view): the screen reads it
      // directly, and only the full bounds take it as a Float64Array — a copy per step is 1.6 MB of
      // first-touched memory per 200 k elements, a quarter of a screened check here (issue 5)
      const step: StepSpec = { def, h: hb, t: at.t, p, names };
      const { rb, indices } = boundStep(step, at, c.steps[k].grad, screen ? replied : undefined);
      const compared = replied.compared(Object.keys(rb.state), fromOwnState);
      const outputs = compared.map((name) => ({ name, f: name === 'params' ? rb.param : rb.state[name], got: replied.got(name) }));
      const comparison: StepComparison = { def, step, c, k, at, hd, names, rb, indices, outputs };
      const { failure, nextDec } = compareStep(comparison, track);
      if (failure) return { ok: false, worst: failure, failure, message: describeFailure(failure, c.dtype), ...track.samples(failure) };
      if (fromOwnState) continueFromReply(at, names, replied);
      else continueFromReference(at, rb, nextDec, carriedUnbounded(comparison));
    }
  } catch (e) {
    return { ok: false, message: (e as Error).message, ...track.samples() };
  }
  return { ok: true, worst: track.worst, largest: track.largest, ...track.samples() };
}

/** PREC-7: the next step starts from the implementation's own state, taken as exact inputs (its step counter must be the reference's). */
function continueFromReply(at: Position, names: readonly string[], reply: StepReply): void {
  const counter = reply.stepCounter;
  if (counter !== at.t) throw new Error(`step ${reply.step} state.step is ${JSON.stringify(counter)}, expected ${at.t}`);
  at.params = exactFields(reply.params);
  at.states = Object.fromEntries(names.map((name) => [name, exactFields(reply.state[name])]));
  at.nonFinite = markNonFinite(new Uint8Array(reply.params.length), [reply.params, ...names.map((name) => reply.state[name])]);
  at.unbounded = new Map();
  if (at.decParams === undefined) return;
  at.decParams = Array.from(reply.params, (x) => Ball.exact(x));
  at.decStates = Array.from(reply.params, (_, i) => Object.fromEntries(names.map((name) => [name, Ball.exact(reply.state[name][i])])));
  at.restart = { k0: reply.step, t0: at.t, params: reply.params, states: reply.state, fresh: false };
}

/**
 * Without the implementation's state, the next step starts from the reference's own outputs, their
 * bounds carried along (PREC-8: settled); an element keeps its mark of a non-finite input (NOTE-7)
 * from the case's own inputs only, so a NaN the reference met where nothing is bounded (PREC-4) is
 * not one an implementation must repeat; and its outputs whose finite part was unbounded (`unbounded`).
 */
function continueFromReference(
  at: Position,
  rb: StepFields,
  nextDec: readonly { param: Ball; state: ElementState<Ball> }[],
  unbounded: Map<number, ReadonlySet<string>>,
): void {
  at.unbounded = unbounded;
  at.params = settledFields(rb.param);
  at.states = Object.fromEntries(Object.entries(rb.state).map(([name, f]) => [name, settledFields(f)]));
  if (at.decParams === undefined) return;
  at.decParams = nextDec.map((r) => r.param);
  at.decStates = nextDec.map((r) => r.state);
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
