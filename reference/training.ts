/**
 * The notes' worked problem (spec/gradients.md, spec/sgd.md, spec/adam.md): learn a and b of
 * y = a·x + b from samples, online (batch size one), with any element step of the registry —
 * as the fast.ai spreadsheet graddesc.xlsm does on its `basic`, `momentum` and `adam` sheets.
 *
 * Values are decimal.js only; `number` appears only as counters, indices, the PRNG's uint32
 * state, and the integers x are drawn as (converted to decimals exactly).
 */
import { Dec } from './decimal.ts';
import { exact } from './dtype.ts';
import { analyticGradient, batchLoss, centralDifference, finiteDifferenceGradient, forwardDifference, type LinearParams, type Sample } from './gradients.ts';
import { freshState, resolveHyper, type ElementState, type Hyper } from './notation.ts';
import type { OptimizerDef } from './registry.ts';
import { mulberry32 } from './random.ts';

// ---------------------------------------------------------------------------------------------
// Data

/**
 * An integer uniform on [lo, hi] from one uint32 r, like Excel's RANDBETWEEN(lo, hi):
 * lo + ⌊r·(hi − lo + 1)/2³²⌋. Integer-exact: r·(hi − lo + 1) < 2⁵³ for spans below 2²¹.
 */
export function randBetween(next: () => number, lo: number, hi: number): number {
  const span = hi - lo + 1;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || span < 1 || span > 2 ** 20) {
    throw new Error(`randBetween needs integers lo ≤ hi with a span of at most 2^20, got [${lo}, ${hi}]`);
  }
  return lo + Math.floor((next() * span) / 2 ** 32);
}

export interface SyntheticDataOptions {
  /** number of rows; graddesc.xlsm has 29 */
  readonly rows?: number;
  /** slope; a double is taken at its exact value (NOTE-4); default 2 */
  readonly a?: Dec | number;
  /** intercept; default 30 */
  readonly b?: Dec | number;
  /** x range, inclusive, integers; default 1..100 like RANDBETWEEN(1,100) */
  readonly xMin?: number;
  readonly xMax?: number;
}

const asDec = (v: Dec | number): Dec => (typeof v === 'number' ? exact(v) : v);

/**
 * GRAD-1: seeded synthetic data for the linear model, as the spreadsheet's `data` sheet makes it:
 * x = RANDBETWEEN(1, 100) (here: `randBetween` on mulberry32(seed), one draw per row, in row
 * order), y = a·x + b exactly (defaults a = 2, b = 30, 29 rows). The same seed and options give
 * the same data; no noise is added, so the true (a, b) has loss zero.
 */
export function syntheticData(seed: number, options: SyntheticDataOptions = {}): Sample[] {
  const { rows = 29, a = 2, b = 30, xMin = 1, xMax = 100 } = options;
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a positive integer, got ${rows}`);
  const slope = asDec(a);
  const intercept = asDec(b);
  const next = mulberry32(seed);
  const out: Sample[] = [];
  for (let i = 0; i < rows; i++) {
    const x = new Dec(randBetween(next, xMin, xMax));
    out.push({ x, y: slope.times(x).plus(intercept) });
  }
  return out;
}

/**
 * GRAD-1: the 29 (x, y) rows pasted into every training sheet of graddesc.xlsm (A4:B32), in
 * order; y = 2x + 30 (research catalog §F).
 */
export const SPREADSHEET_DATA: readonly Sample[] = (
  [
    [14, 58],
    [86, 202],
    [28, 86],
    [51, 132],
    [28, 86],
    [29, 88],
    [72, 174],
    [62, 154],
    [84, 198],
    [15, 60],
    [42, 114],
    [62, 154],
    [47, 124],
    [35, 100],
    [9, 48],
    [38, 106],
    [44, 118],
    [99, 228],
    [13, 56],
    [21, 72],
    [28, 86],
    [20, 70],
    [8, 46],
    [64, 158],
    [99, 228],
    [70, 170],
    [27, 84],
    [17, 64],
    [8, 46],
  ] as const
).map(([x, y]) => ({ x: new Dec(x), y: new Dec(y) }));

// ---------------------------------------------------------------------------------------------
// Training

/** NOTE-3, NOTE-4: hyperparameters for a definition, exact, with defaults; throws if inadmissible. */
export function hyperFor(def: OptimizerDef, raw: Readonly<Record<string, unknown>>): Hyper {
  const h = resolveHyper(def.hyper, raw);
  const bad = def.invalid(h);
  if (bad !== undefined) throw new Error(`${def.name}: ${bad}`);
  return h;
}

export interface TrainOptions {
  readonly epochs: number;
  /** starting parameters; default a = b = 1, the spreadsheet's `reset` */
  readonly init?: LinearParams;
  /** state values overriding the fresh zeros for both a and b (the spreadsheet Adam resets v to 10000) */
  readonly initialState?: ElementState;
  /** stop after the first epoch whose loss exceeds this (divergence); default: never stop */
  readonly stopAbove?: Dec;
  /** called after every step with the step number t and the new parameters */
  readonly onStep?: (t: number, params: LinearParams) => void;
}

export interface TrainResult {
  /** GRAD-3 loss over the whole data set at the starting parameters */
  readonly initialLoss: Dec;
  /** GRAD-3 loss over the whole data set after each epoch (shorter than `epochs` if stopped) */
  readonly epochLoss: Dec[];
  readonly params: LinearParams;
  /** optimizer steps taken (one per sample) */
  readonly steps: number;
  /** whether `stopAbove` ended the run */
  readonly stopped: boolean;
}

/**
 * GRAD-3, GRAD-6, SGD-1 (and whichever clauses `def` implements): online training of
 * ŷ = a·x + b — for each sample in order, the GRAD-6 gradient on that one sample, then
 * `def.step` on a and on b, each with its own state; the step counter t counts samples across
 * epochs (NOTE-1). After each epoch the GRAD-3 mean squared error over the whole data set is
 * recorded, at the epoch-end parameters (the spreadsheet's sheets show the sum instead).
 */
export function trainOnline(def: OptimizerDef, hyper: Hyper, data: readonly Sample[], options: TrainOptions): TrainResult {
  const { epochs, init = { a: new Dec(1), b: new Dec(1) }, initialState = {}, stopAbove, onStep } = options;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`epochs must be an integer ≥ 0, got ${epochs}`);
  if (data.length === 0) throw new Error('training needs at least one sample');
  const names = def.stateNames(hyper);
  const start: ElementState = { ...freshState(names), ...initialState };
  let a = init.a;
  let b = init.b;
  let stateA = start;
  let stateB = start;
  let t = 0;
  const initialLoss = batchLoss({ a, b }, data);
  const epochLoss: Dec[] = [];
  let stopped = false;
  for (let epoch = 0; epoch < epochs && !stopped; epoch++) {
    for (const sample of data) {
      const g = analyticGradient({ a, b }, [sample]);
      t += 1;
      const ra = def.step(a, g.a, stateA, hyper, t);
      const rb = def.step(b, g.b, stateB, hyper, t);
      a = ra.param;
      b = rb.param;
      stateA = ra.state;
      stateB = rb.state;
      onStep?.(t, { a, b });
    }
    const loss = batchLoss({ a, b }, data);
    epochLoss.push(loss);
    if (stopAbove !== undefined && (loss.isNaN() || loss.gt(stopAbove))) stopped = true;
  }
  return { initialLoss, epochLoss, params: { a, b }, steps: t, stopped };
}

/** The first epoch (1-based) whose loss is below `threshold`, or undefined if none is. */
export function epochsToReach(result: TrainResult, threshold: Dec): number | undefined {
  const i = result.epochLoss.findIndex((l) => l.lt(threshold));
  return i < 0 ? undefined : i + 1;
}

/**
 * NOTE-1: one element driven by a given gradient sequence (gradients that do not depend on the
 * parameter, e.g. pure noise), returning the parameter after every step.
 */
export function runOnSequence(def: OptimizerDef, hyper: Hyper, param: Dec, grads: readonly Dec[], initialState: ElementState = {}): Dec[] {
  let p = param;
  let state: ElementState = { ...freshState(def.stateNames(hyper)), ...initialState };
  return grads.map((g, i) => {
    const r = def.step(p, g, state, hyper, i + 1);
    p = r.param;
    state = r.state;
    return p;
  });
}

// ---------------------------------------------------------------------------------------------
// Gradient checking

export interface GradientComparison {
  /** GRAD-6 */
  readonly analytic: LinearParams;
  /** GRAD-4 */
  readonly forward: LinearParams;
  /** GRAD-5 */
  readonly central: LinearParams;
}

function compare(p: LinearParams, batch: readonly Sample[], h: Dec): GradientComparison {
  return {
    analytic: analyticGradient(p, batch),
    forward: finiteDifferenceGradient(p, batch, h, forwardDifference),
    central: finiteDifferenceGradient(p, batch, h, centralDifference),
  };
}

/**
 * GRAD-4, GRAD-5, GRAD-6: finite differences against the analytic gradient — per row, as the
 * spreadsheet's `basic` sheet shows them (its "est de/db" columns, forward, h = 0.01), and for
 * the mean loss over the whole data set.
 */
export function gradientCheck(p: LinearParams, data: readonly Sample[], h: Dec): { readonly rows: GradientComparison[]; readonly dataset: GradientComparison } {
  return { rows: data.map((s) => compare(p, [s], h)), dataset: compare(p, data, h) };
}
