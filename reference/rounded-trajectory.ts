/**
 * The reference's reported values (NOTE-4, NOTE-5): a case run in ball arithmetic and every output
 * rounded correctly — to each dtype asked for, and to a number of significant digits for the
 * `exact` strings — by Ziv's strategy: decide each rounding from the ball; an element whose ball
 * holds a rounding boundary is evaluated again, alone (elements never interact), at twice the
 * working precision — and from 4P digits on in exact rationals, where its operations are rational —
 * until every rounding is decided or the precision cap is reached (an error naming it, never a guess).
 */
import { Ball, Undecided, withWorkingPrecision } from './ball.ts';
import { ballDigits, ballText, roundBall } from './ball-rounding.ts';
import { precision } from './decimal.ts';
import type { BigDecimal } from './big-decimal.ts';
import { ulp, type Dtype } from './dtype.ts';
import { NotRational, Rational } from './rational.ts';
import { UP, p2 } from './radius.ts';
import type { OptimizerDef } from './registry.ts';
import { referenceTrajectory, type Arithmetic, type CaseInput, type ExactStep } from './trajectory.ts';

/** NOTE-4: ball arithmetic on the BigInt engine, with the exact conversion of a double. */
export const BALL: Arithmetic<Ball> = { exact: (x) => Ball.exact(x), zero: Ball.exact(0) };

/** NOTE-4: the first evaluation works at this many digits beyond those printed. */
export const GUARD_DIGITS = 10;
/** NOTE-4: the highest working precision tried; a rounding still undecided there is an error. */
export const MAX_WORKING_PRECISION = 20_000;

/** One output of every element: its value rounded to each dtype asked for, and its `exact` string. */
export interface RoundedValues {
  readonly rounded: Partial<Record<Dtype, number[]>>;
  readonly text: string[];
}

export interface RoundedStep {
  readonly params: RoundedValues;
  readonly state: { readonly step: number; readonly [name: string]: RoundedValues | number };
}

export interface RoundingRequest {
  readonly dtypes: readonly Dtype[];
  /** significant digits of the `exact` strings; the reference precision P by default */
  readonly digits?: number;
}

/**
 * NOTE-1…NOTE-5: the trajectory of a case, every output correctly rounded (ties to even) to each
 * dtype of the request and to `digits` significant digits. The state is carried exactly (as balls)
 * from step to step; only what is reported is rounded.
 */
export function roundedTrajectory(def: OptimizerDef, input: CaseInput, request: RoundingRequest): RoundedStep[] {
  const digits = request.digits ?? precision();
  const start = Math.max(digits, precision()) + GUARD_DIGITS;
  const n = input.params.length;
  // each step decided as it is computed (at the precision evaluated at), so one step's balls are held at a time
  let out: RoundedStep[] = [];
  const pending = new Set<number>();
  const whole = evaluate(def, input, start, (k, step) => {
    out.push(...allocate([step], n, request.dtypes));
    decideStep(out[k], step, request.dtypes, digits, pending);
  });
  let undecided = [...pending].sort((x, y) => x - y);
  if (whole === undefined) {
    // a comparison undecided for the whole case: every element alone, from the start
    out = allocate(evaluate(def, elementInput(input, 0), MAX_WORKING_PRECISION), n, request.dtypes);
    undecided = input.params.map((_, i) => i);
  }
  return decidePending(def, input, request, out, undecided, start, digits);
}

/** Whether every gradient and state array of a case has as many elements as its params. */
function inShape(input: CaseInput): boolean {
  const n = input.params.length;
  const state = input.state === null ? [] : Object.values(input.state);
  return input.steps.every((s) => s.grad.length === n) && state.every((v) => !Array.isArray(v) || v.length === n);
}

/** Ziv's strategy for the elements left undecided: each alone at 2W, 4W, … digits (in rationals from 4P), up to the cap. */
function decidePending(
  def: OptimizerDef,
  input: CaseInput,
  request: RoundingRequest,
  out: RoundedStep[],
  pending: readonly number[],
  start: number,
  digits: number,
): RoundedStep[] {
  // first every pending element together at 2W (most are exact ties whose digits outrun W, decided
  // there), then each one left alone at 4W, 8W, … (alone at 2W too, if together a comparison was undecided)
  let left = pending;
  let alone = start;
  if (pending.length > 1 && inShape(input)) {
    const together = evaluate(def, pickedInput(input, pending), 2 * start);
    if (together !== undefined) {
      left = withWorkingPrecision(2 * start, () => pending.filter((i, k) => !decideElement(out, together, k, i, request.dtypes, digits)));
      alone = 2 * start;
    }
  }
  for (const i of left) {
    let w = alone;
    let done = false;
    let rationalsTried = false;
    while (!done) {
      w *= 2;
      // from 4P digits on, where a string would be cut to fewer digits (decidedDigits), and at the
      // cap: exact rationals first, which decide every tie a non-dyadic quotient leads to in full
      if (!rationalsTried && (w >= 4 * digits || w > MAX_WORKING_PRECISION)) {
        rationalsTried = true;
        if (decideByRationals(def, input, i, out, request.dtypes, digits)) break;
      }
      if (w > MAX_WORKING_PRECISION) throw new Error(undecidedMessage(out, i, MAX_WORKING_PRECISION));
      const balls = evaluate(def, elementInput(input, i), w);
      // decided at the precision evaluated at: decidedDigits's fallback reads it
      done = balls !== undefined && withWorkingPrecision(w, () => decideElement(out, balls, 0, i, request.dtypes, digits));
    }
  }
  return out;
}

/** NOTE-4: exact rationals (reference/rational.ts), for what the balls leave open. */
const RATIONAL: Arithmetic<Rational> = { exact: (x) => Rational.exact(x), zero: Rational.exact(0) };

/**
 * NOTE-4: element i, undecided at 4P digits or at the cap, evaluated in exact rationals: where every operation of
 * its trajectory is rational (no irrational root, no real power, numbers of bounded size) each
 * output left undecided gets its exact rounding and string; false where one is not.
 */
function decideByRationals(def: OptimizerDef, input: CaseInput, i: number, out: RoundedStep[], dtypes: readonly Dtype[], digits: number): boolean {
  const steps = rationalTrajectory(def, input, i);
  if (steps === undefined) return false;
  const fill = (target: RoundedValues, r: Rational) => {
    if (target.text[i] !== undefined) return;
    for (const d of dtypes) (target.rounded[d] as number[])[i] = r.toDtype(d);
    target.text[i] = r.toDigits(digits);
  };
  steps.forEach((s, k) => {
    fill(out[k].params, s.params[0]);
    for (const [name, v] of Object.entries(s.state)) if (typeof v !== 'number') fill(out[k].state[name] as RoundedValues, v[0]);
  });
  return true;
}

/** The case in ball arithmetic at w digits (each step told to `onStep`, then not kept); undefined when a comparison is undecided there. */
function evaluate(def: OptimizerDef, input: CaseInput, w: number, onStep?: (k: number, step: ExactStep<Ball>) => void): ExactStep<Ball>[] | undefined {
  try {
    return withWorkingPrecision(w, () => referenceTrajectory(def, input, BALL, onStep));
  } catch (e) {
    if (e instanceof Undecided) return undefined;
    throw e;
  }
}

/** Element i of a case as a case of its own (the hyperparameters and step counter unchanged). */
export function elementInput(input: CaseInput, i: number): CaseInput {
  return pickedInput(input, [i]);
}

/** The elements `indices` of a case as a case of their own (the hyperparameters and step counter unchanged). */
function pickedInput(input: CaseInput, indices: readonly number[]): CaseInput {
  const pick = (a: readonly unknown[]) => indices.map((i) => a[i]);
  const state = input.state === null ? null : Object.fromEntries(Object.entries(input.state).map(([k, v]) => [k, Array.isArray(v) ? pick(v) : v]));
  return {
    hyper: input.hyper,
    params: pick(input.params) as number[],
    state,
    steps: input.steps.map((s) => ({ grad: pick(s.grad) as number[], hyper: s.hyper })),
  };
}

function allocate(shape: ExactStep<Ball>[] | undefined, n: number, dtypes: readonly Dtype[]): RoundedStep[] {
  if (shape === undefined) throw new Error(`a comparison is not decided at ${MAX_WORKING_PRECISION} digits (NOTE-4's precision cap)`);
  const values = (): RoundedValues => ({
    rounded: Object.fromEntries(dtypes.map((d) => [d, new Array<number>(n)])),
    text: new Array<string>(n),
  });
  return shape.map((s) => {
    const state: Record<string, RoundedValues | number> = {};
    for (const [name, v] of Object.entries(s.state)) state[name] = typeof v === 'number' ? v : values();
    return { params: values(), state: state as RoundedStep['state'] };
  });
}

/** Decides every output of every element of one step, output by output; the elements left undecided go to `pending`. */
function decideStep(out: RoundedStep, s: ExactStep<Ball>, dtypes: readonly Dtype[], digits: number, pending: Set<number>): void {
  const outputs: [RoundedValues, Ball[]][] = [[out.params, s.params]];
  for (const [name, v] of Object.entries(s.state)) if (typeof v !== 'number') outputs.push([out.state[name] as RoundedValues, v]);
  for (const [target, values] of outputs) {
    for (let i = 0; i < values.length; i++) if (!decideOne(target, values[i], i, dtypes, digits)) pending.add(i);
  }
}

/** Decides every output of element `to` from element `from` of a ball trajectory; whether all are decided. */
function decideElement(out: RoundedStep[], balls: ExactStep<Ball>[], from: number, to: number, dtypes: readonly Dtype[], digits: number): boolean {
  let all = true;
  balls.forEach((s, k) => {
    all = decideOne(out[k].params, s.params[from], to, dtypes, digits) && all;
    for (const [name, v] of Object.entries(s.state)) {
      if (typeof v !== 'number') all = decideOne(out[k].state[name] as RoundedValues, v[from], to, dtypes, digits) && all;
    }
  });
  return all;
}

/** NOTE-4: the fewest significant digits an `exact` string is cut to. */
export const MIN_EXACT_DIGITS = 45;

/**
 * NOTE-4: the `digits`-digit string of a ball, or — once the working precision is four times the
 * digits asked and that rounding is still open (a decimal tie reached through an irrational
 * intermediate, which no precision proves; rational ones were decided by decideByRationals first)
 * — the string cut to the most digits, down to MIN_EXACT_DIGITS, whose rounding is decided.
 */
function decidedDigits(b: Ball, digits: number): string | undefined {
  const text = ballText(b, digits);
  if (text !== undefined || Ball.precision < 4 * digits) return text;
  for (let k = digits - 1; k >= Math.min(digits, MIN_EXACT_DIGITS); k--) {
    const cut = ballDigits(b, k);
    if (cut !== undefined) return cut.toString();
  }
  return undefined;
}

function decideOne(target: RoundedValues, b: Ball, i: number, dtypes: readonly Dtype[], digits: number): boolean {
  if (target.text[i] !== undefined) return true;
  const text = decidedDigits(b, digits);
  if (text === undefined) return false;
  for (const d of dtypes) {
    const v = roundBall(b, d);
    if (v === undefined) return false;
    (target.rounded[d] as number[])[i] = v;
  }
  target.text[i] = text;
  return true;
}

function undecidedMessage(out: RoundedStep[], i: number, cap: number): string {
  for (let k = 0; k < out.length; k++) {
    const names = ['params', ...Object.keys(out[k].state).filter((n) => n !== 'step')];
    for (const name of names) {
      const v = (name === 'params' ? out[k].params : out[k].state[name]) as RoundedValues;
      if (v.text[i] === undefined) {
        const where = name === 'params' ? `params[${i}]` : `state.${name}[${i}]`;
        return `the rounding of ${where} after step ${k + 1} is not decided at ${cap} digits, the reference's precision cap (NOTE-4): the exact value lies within 10^-${cap - 5} relative of a rounding boundary without being known to be on it`;
      }
    }
  }
  return `element ${i} is not decided at ${cap} digits (NOTE-4's precision cap)`;
}

/** NOTE-4: element i's balls after the last step of `input`, at w digits (undefined: a comparison undecided there). */
export function replayElement(def: OptimizerDef, input: CaseInput, i: number, w: number): ExactStep<Ball> | undefined {
  const run = evaluate(def, elementInput(input, i), w);
  return run?.[run.length - 1];
}

/** NOTE-4: element i of a case in exact rationals, every step (undefined: a root or a power that is not rational, or numbers too large). */
function rationalTrajectory(def: OptimizerDef, input: CaseInput, i: number): ExactStep<Rational>[] | undefined {
  try {
    return referenceTrajectory(def, elementInput(input, i), RATIONAL);
  } catch (e) {
    if (e instanceof NotRational) return undefined;
    throw e;
  }
}

/** NOTE-4: element i's values after the last step of `input` in exact rationals (undefined as for rationalTrajectory). */
export function replayElementExactly(def: OptimizerDef, input: CaseInput, i: number): ExactStep<Rational> | undefined {
  const run = rationalTrajectory(def, input, i);
  return run?.[run.length - 1];
}

/** Evaluates element i's output `name` (`params` or a state name) again at w digits (undefined: a comparison undecided there). */
export type Replay = (i: number, name: string, w: number) => Ball | undefined;
/** Evaluates element i's output `name` in exact rationals, after the balls' last precision (undefined where rationals do not reach it). */
export type ReplayExactly = (i: number, name: string) => Rational | undefined;

/**
 * NOTE-4, NOTE-5: a value settled for comparing a float64 output (PREC-1): its float64 rounding
 * decided and its radius below 2^−30 of the float64 spacing there, so an error measured from the
 * midpoint is the exact error to a billionth of an ulp; its `digits`-digit string, decided too,
 * when asked (a failure message). An undecided ball is evaluated again by `replay` at 2W, 4W, …
 * digits, up to the precision cap, then by `exactly` in rationals.
 */
export class Settled {
  readonly value: number;
  readonly mid: BigDecimal;

  constructor(
    private readonly ball: Ball,
    private readonly i: number,
    private readonly name: string,
    private readonly replay: Replay,
    private readonly digits: number,
    private readonly exactly?: ReplayExactly,
  ) {
    const found = settled64(ball) ?? this.decide(settled64, (r) => ({ value: r.toDtype('float64'), mid: r.toBigDecimal(precision() + GUARD_DIGITS) }));
    this.value = found.value;
    this.mid = found.mid;
  }

  text(): string {
    return (
      ballDigits(this.ball, this.digits)?.toString() ??
      this.decide(
        (b) => ballDigits(b, this.digits)?.toString(),
        (r) => r.toDigits(this.digits),
      )
    );
  }

  /** The first decision `decide` makes at 2W, 4W, … digits, else the exact rational's (`fromRational`). */
  private decide<R>(decide: (ball: Ball) => R | undefined, fromRational: (r: Rational) => R): R {
    for (let w = 2 * Ball.precision; w <= MAX_WORKING_PRECISION; w *= 2) {
      const ball = this.replay(this.i, this.name, w);
      const decided = ball === undefined ? undefined : decide(ball);
      if (decided !== undefined) return decided;
    }
    const r = this.exactly?.(this.i, this.name);
    if (r !== undefined) return fromRational(r);
    throw new Error(`a float64 reference value is not decided at ${MAX_WORKING_PRECISION} digits, the reference's precision cap (NOTE-4)`);
  }
}

/** The float64 rounding and midpoint when decided, and the radius below 2^−30 ulp (2^−83·|v| bounds it for normal v). */
function settled64(b: Ball): { value: number; mid: BigDecimal } | undefined {
  const value = roundBall(b, 'float64');
  if (value === undefined) return undefined;
  if (b.rad !== 0) {
    const av = Math.abs(value);
    const quick = av >= 2 ** -1000 && b.exponent > -1000 && b.rad * p2(b.exponent) * UP <= av * 2 ** -84;
    // otherwise log2 of radius and spacing, compared with a tenth of a bit to spare
    if (!quick && Math.log2(b.rad) + b.exponent > Math.log2(ulp(value, 'float64')) - 30 - 0.1) return undefined;
  }
  return { value, mid: b.mid };
}
