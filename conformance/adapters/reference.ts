/**
 * The reference as an implementation (`optconf reference`): it answers every family, variant and
 * dtype, rounding each output correctly to the case's dtype (NOTE-5) and adding the exact values,
 * correctly rounded to P significant digits (NOTE-4), as decimal strings in the extension field `exact`.
 *
 * A case is computed a slice of its elements at a time (every step is elementwise, NOTE-1): only a
 * slice's values live as engine objects, each slice's outputs go straight into the reply's arrays,
 * and a long case reports its progress between slices (reference-progress.ts).
 */
import { precision } from '../../reference/decimal.ts';
import { DTYPES, type Dtype } from '../../reference/dtype.ts';
import { FAMILIES, OPTIMIZERS, findOptimizer, type OptimizerDef } from '../../reference/registry.ts';
import { roundedTrajectory, type RoundedStep, type RoundedValues } from '../../reference/rounded-trajectory.ts';
import type { CaseInput } from '../../reference/trajectory.ts';
import type { Implementation } from '../protocol/implementation.ts';
import {
  PROTOCOL,
  type ExactStrings,
  type HelloReply,
  type RunReply,
  type RunRequest,
  type WireArray,
  type WireState,
  type WireStepOutput,
} from '../protocol/messages.ts';
import { decodeNumber, type WireNumber } from '../protocol/wire.ts';
import { caseProgress, type ProgressSink } from './reference-progress.ts';
import { checkReferenceRequest } from './reference-request.ts';

const VERSION = '0.1.0';

/** Elements computed together: enough that the per-step scalars (bias corrections) are computed rarely, few enough to stay small. */
export const SLICE_ELEMENTS = 4096;

export function referenceHello(): HelloReply {
  return {
    op: 'hello',
    protocol: PROTOCOL,
    implementation: `optconf reference ${VERSION} (BigInt ball arithmetic, correctly rounded, ${precision()}-digit exact strings)`,
    supports: FAMILIES.map((f) => ({ optimizer: f, dtypes: [...DTYPES] })),
  };
}

/** NOTE-4, NOTE-6: (a slice of) a case on the BigInt engine, every output correctly rounded: the one place the engine is called. */
function roundedSlice(def: OptimizerDef, input: CaseInput, dtype: Dtype): RoundedStep[] {
  return roundedTrajectory(def, input, { dtypes: [dtype] });
}

/** Elements [from, to) of a wire array as doubles (checkReferenceRequest has checked every one). */
function decodeSlice(values: WireArray, from: number, to: number): number[] {
  const out = new Array<number>(to - from);
  for (let i = from; i < to; i++) out[i - from] = decodeNumber(values[i] as WireNumber) as number;
  return out;
}

/** Elements [from, to) of the request as the engine's input. */
function sliceInput(request: RunRequest, from: number, to: number): CaseInput {
  let state: CaseInput['state'] = null;
  if (request.state !== null) {
    const decoded: Record<string, unknown> = { step: request.state.step };
    for (const [name, values] of Object.entries(request.state)) {
      // an array of another length is one the family ignores (PROTO-5; checkReferenceRequest checked the others)
      if (name !== 'step' && (values as WireArray).length === request.params.length) decoded[name] = decodeSlice(values as WireArray, from, to);
    }
    state = decoded;
  }
  return {
    hyper: request.hyper,
    params: decodeSlice(request.params, from, to),
    state,
    steps: request.steps.map((s) => ({ grad: decodeSlice(s.grad, from, to), hyper: s.hyper })),
  };
}

/** One step of the reply being filled: every array of n elements, rounded values and exact strings side by side. */
interface StepArrays {
  readonly step: number;
  readonly values: Map<string, number[]>;
  readonly texts: Map<string, string[]>;
}

/**
 * n copies of x, in an array of V8's compact kind: `new Array(n)` of a large n is a dictionary, which
 * stays one when filled out of order (slices from workers) and then takes four times the memory.
 */
function filled<T>(n: number, x: T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(x);
  return out;
}

/** Arrays of n elements for one step, to be filled: `params` and the state arrays (outputNames). */
function stepArrays(step: number, names: readonly string[], n: number): StepArrays {
  return {
    step,
    // 0.5, not 0: a double, so the array holds unboxed doubles from the start
    values: new Map(names.map((name) => [name, filled(n, 0.5)])),
    texts: new Map(names.map((name) => [name, filled(n, '')])),
  };
}

const stateNamesOf = (state: Readonly<Record<string, unknown>>) => Object.keys(state).filter((name) => name !== 'step');

/** NOTE-4, NOTE-5, PROTO-6: a slice's rounded step into the reply's arrays at `from`: its values in the dtype, and its exact strings. */
function putRoundedSlice(step: RoundedStep, into: StepArrays, from: number, dtype: Dtype): void {
  for (const [name, values] of into.values) {
    const slice = (name === 'params' ? step.params : step.state[name]) as RoundedValues;
    const rounded = slice.rounded[dtype] as number[];
    const texts = into.texts.get(name) as string[];
    for (let i = 0; i < rounded.length; i++) {
      values[from + i] = rounded[i];
      texts[from + i] = slice.text[i];
    }
  }
}

/** PROTO-6: a step's outputs (`params`, then each state array, by name) and their exact strings as a wire step. */
export function wireStep(step: number, values: ReadonlyMap<string, WireArray>, exact: ReadonlyMap<string, ExactStrings>): WireStepOutput {
  const state: Record<string, WireArray | number> = { step };
  const exactState: Record<string, ExactStrings | number> = { step };
  for (const [name, v] of values) {
    if (name === 'params') continue;
    state[name] = v;
    exactState[name] = exact.get(name) as ExactStrings;
  }
  return {
    params: values.get('params') as WireArray,
    state: state as WireState,
    exact: { params: exact.get('params') as ExactStrings, state: exactState },
  };
}

export function resolveDefinition(request: Pick<RunRequest, 'optimizer' | 'variant'>): OptimizerDef {
  const def = findOptimizer(request.optimizer, request.variant);
  if (def) return def;
  const known = OPTIMIZERS.map((o) => o.name).join(', ');
  throw new Error(`unknown optimizer ${JSON.stringify(request.variant ?? request.optimizer)}; known: ${known}`);
}

/**
 * The steps of a checked request (checkReferenceRequest), computed SLICE_ELEMENTS elements at a
 * time; `onSlice` hears how many elements are done after each slice. `def` is the request's
 * definition unless another is given (a known defect, DEFECT-1…, which is never requested by name).
 */
export function computeSteps(
  request: RunRequest,
  onSlice: (done: number) => void = () => undefined,
  def: OptimizerDef = resolveDefinition(request),
): WireStepOutput[] {
  const n = request.params.length;
  let steps: StepArrays[] = [];
  forEachRoundedSlice(request, SLICE_ELEMENTS, def, (from, to, rounded) => {
    if (from === 0) steps = rounded.map((s) => stepArrays(s.state.step, outputNames(s), n));
    rounded.forEach((s, k) => putRoundedSlice(s, steps[k], from, request.dtype));
    onSlice(to);
  });
  return steps.map((s) => wireStep(s.step, s.values, s.texts));
}

/**
 * A checked request computed `size` elements at a time (every step is elementwise, NOTE-1), each
 * slice's rounded steps told to `onSlice` as they come: only one slice's values are alive at once.
 */
export function forEachRoundedSlice(
  request: RunRequest,
  size: number,
  def: OptimizerDef,
  onSlice: (from: number, to: number, rounded: RoundedStep[]) => void,
): void {
  const n = request.params.length;
  for (let from = 0; from < n; from += size) {
    const to = Math.min(n, from + size);
    onSlice(from, to, roundedSlice(def, sliceInput(request, from, to), request.dtype));
  }
}

/** The names of a rounded step's outputs: `params`, then its state arrays. */
export function outputNames(step: RoundedStep): string[] {
  return ['params', ...stateNamesOf(step.state)];
}

/** PROTO-6: the reply to a run request; `progress` (stderr, say) hears how a long case goes. */
export function referenceRun(request: RunRequest, progress?: ProgressSink): RunReply {
  try {
    checkReferenceRequest(request, resolveDefinition(request));
    const report = caseProgress(request.id, request.params.length, request.steps.length, progress);
    try {
      return { op: 'result', id: request.id, steps: computeSteps(request, (done) => report.update(done)) };
    } finally {
      report.stop();
    }
  } catch (e) {
    return { op: 'error', id: request.id, message: (e as Error).message };
  }
}

export const referenceImplementation: Implementation = { hello: referenceHello, run: (request) => referenceRun(request) };
