/**
 * A user's JavaScript optimizer: `optconf run --impl module:./my-adam.mjs` (run in a process of its
 * own, `optconf serve module:…`, so a step that never returns is killed at the case limit), or
 * `moduleImplementation(myAdam)` in process, from a test. The module describes one family and makes, per case,
 * an object whose `step` updates typed arrays in place (the contract is in adapters/README.md,
 * "Your own JavaScript optimizer"):
 *
 *     export default {
 *       family: 'adam',                      // a family of spec/protocol.md#PROTO-7
 *       dtypes: ['float32', 'float64'],      // Float32Array, Float64Array
 *       fixed: { amsgrad: false },           // optional: hyperparameters it cannot vary (PROTO-4)
 *       create(hyper, dtype) {               // once per case
 *         return { step(params, grads, state, hyper) { … } };
 *       },
 *     };
 *
 * `state` holds `step` (the steps taken: `step` adds one, as torch.optim does) and one typed array
 * per state name of the family, fresh (NOTE-2) or loaded from the case. Every array the module sees
 * is a copy, and every array it leaves is copied out, so it can alias nothing of the runner's.
 * A throw, a wrong return or a wrongly shaped state is an `error` reply naming the module (PROTO-6).
 */
import { isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Dtype } from '../../reference/dtype.ts';
import { resolveHyper } from '../../reference/notation.ts';
import { FAMILIES, findOptimizer, freshValue, type Family, type OptimizerDef } from '../../reference/registry.ts';
import type { Implementation } from '../protocol/implementation.ts';
import {
  PROTOCOL,
  checkHello,
  type HelloReply,
  type RunReply,
  type RunRequest,
  type WireHyper,
  type WireRanges,
  type WireState,
  type WireStepOutput,
} from '../protocol/messages.ts';
import { hyperArb } from '../check/arbitraries/hyperparameters.ts';
import { decodeArray, dtypeRounder, hyperPerStep, wireOutput, type FloatHyper } from './float.ts';

export type ModuleDtype = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/** What `step` is given and leaves: the steps taken, and one typed array per state name. */
export interface ModuleState {
  step: number;
  [name: string]: FloatArray | number;
}

/** One case's optimizer: updates `params` and `state` in place (or returns new params). */
export interface ModuleOptimizer {
  step(params: FloatArray, grads: FloatArray, state: ModuleState, hyper: FloatHyper): FloatArray | void | Promise<FloatArray | void>;
}

/** A user's optimizer module: its default export (or its named exports). */
export interface OptimizerModule {
  /** the family it implements: `adam`, `sgd`, … (spec/protocol.md#PROTO-7) */
  readonly family: string;
  /** the dtypes it runs: float32 (Float32Array), float64 (Float64Array) */
  readonly dtypes: readonly ModuleDtype[];
  /** PROTO-4: hyperparameters it cannot vary, pinned to these values */
  readonly fixed?: WireHyper;
  /** PROTO-4: numeric hyperparameters it accepts only within these ranges */
  readonly ranges?: WireRanges;
  /** its name in reports (default: the module's path) */
  readonly name?: string;
  /** makes the optimizer of one case, from the case's first hyperparameters (defaults filled in) */
  create(hyper: FloatHyper, dtype: ModuleDtype): ModuleOptimizer | Promise<ModuleOptimizer>;
}

const ARRAY_TYPES = { float32: Float32Array, float64: Float64Array } as const;

const CONTRACT = 'export default { family, dtypes, create(hyper, dtype) } (see conformance/adapters/README.md, "Your own JavaScript optimizer")';

/** PROTO-4: the module's shape checked, or a one-line error naming what is wrong. */
function checkOptimizerModule(value: unknown, who: string): OptimizerModule {
  const m = (value ?? {}) as Partial<OptimizerModule>;
  const missing = (['family', 'dtypes', 'create'] as const).filter((k) => m[k] === undefined);
  if (missing.length > 0) throw new Error(`${who} exports no ${missing.join(', ')}: expected ${CONTRACT}`);
  if (typeof m.family !== 'string' || !findOptimizer(m.family))
    throw new Error(`${who}: family ${JSON.stringify(m.family)} is not one of ${FAMILIES.join(', ')}`);
  const dtypes = m.dtypes as unknown;
  if (!Array.isArray(dtypes) || dtypes.length === 0 || !dtypes.every((d) => typeof d === 'string' && Object.hasOwn(ARRAY_TYPES, d))) {
    throw new Error(`${who}: dtypes must be a non-empty array of 'float32' and 'float64', got ${JSON.stringify(dtypes)}`);
  }
  if (typeof m.create !== 'function') throw new Error(`${who}: create must be a function (hyper, dtype) → { step(params, grads, state, hyper) }`);
  if (m.ranges !== undefined) checkRangeShapes(m as OptimizerModule, who);
  // PROTO-4: pins and ranges by the runner's own rules (hyperparameters.ts checkPins, checkRanges), for each dtype
  try {
    for (const dtype of dtypes as ModuleDtype[]) hyperArb(m.family as Family, dtype, m.fixed, m.ranges);
  } catch (e) {
    throw new Error(`${who}: ${(e as Error).message}`);
  }
  return m as OptimizerModule;
}

/**
 * PROTO-4: `ranges` as the hello reply carries them (the protocol's schema: a process's hello is held
 * to it), name by name — in process, a range of 5 would otherwise read as no bound at all.
 */
function checkRangeShapes(m: OptimizerModule, who: string): void {
  const ranges = m.ranges as unknown;
  if (typeof ranges !== 'object' || ranges === null || Array.isArray(ranges))
    throw new Error(`${who}: ranges must be an object of hyperparameter names, each [lo, hi] or bounds; got ${JSON.stringify(ranges)}`);
  for (const [name, range] of Object.entries(ranges)) {
    const hello = checkHello({
      op: 'hello',
      protocol: PROTOCOL,
      implementation: who,
      supports: [{ optimizer: m.family, dtypes: m.dtypes, ranges: { [name]: range } }],
    });
    if (!hello.ok) throw new Error(`${who}: ranges.${name}: ${hello.error}, got ${JSON.stringify(range)}`);
  }
}

/** Why the module cannot run this case, or undefined. */
function unsupportedReason(m: OptimizerModule, request: RunRequest, hypers: readonly FloatHyper[]): string | undefined {
  if (request.optimizer !== m.family) return `the module implements ${m.family}, not ${request.optimizer}`;
  if (request.variant !== undefined && request.variant !== '' && request.variant !== m.family) return `no variants (${request.variant})`;
  if (!(m.dtypes as readonly string[]).includes(request.dtype)) return `the module runs ${m.dtypes.join(', ')}, not ${request.dtype}`;
  for (const [k, h] of hypers.entries()) {
    for (const [name, value] of Object.entries(m.fixed ?? {})) if (h[name] !== value) return `steps[${k}]: ${name} is pinned to ${String(value)}`;
  }
  return undefined;
}

/** NOTE-2: the state the first step sees: fresh arrays at the family's start value, or the case's, as copies in the dtype. */
function initialState(def: OptimizerDef, request: RunRequest, names: readonly string[], hyper: FloatHyper): ModuleState {
  const Arr = ARRAY_TYPES[request.dtype as ModuleDtype];
  const round = dtypeRounder(request.dtype);
  const size = request.params.length;
  const given = request.state;
  const state: ModuleState = { step: given?.step ?? 0 };
  for (const name of names) {
    const wire = given?.[name];
    if (typeof wire === 'number') throw new Error(`state.${name} must be an array of ${size} numbers`);
    if (wire === undefined) {
      // NOTE-2: only a step-0 state may leave an array out
      if (given && given.step !== 0) throw new Error(`state.${name} is missing`);
      state[name] = new Arr(size).fill(round(freshValue(def, name, hyper)));
    } else {
      if (wire.length !== size) throw new Error(`state.${name} must be an array of ${size} numbers`);
      state[name] = Arr.from(decodeArray(wire, `state.${name}`, round));
    }
  }
  return state;
}

/** A typed array of the case's dtype and size, or why `what` is not one. */
function wrongArray(value: unknown, what: string, dtype: ModuleDtype, size: number): string | undefined {
  const Arr = ARRAY_TYPES[dtype];
  if (value instanceof Arr && value.length === size) return undefined;
  const kind = (value as object | null)?.constructor?.name ?? '';
  const got =
    ArrayBuffer.isView(value) || Array.isArray(value)
      ? `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} of ${(value as ArrayLike<number>).length} elements`
      : value === null
        ? 'null'
        : typeof value;
  return `${what} is ${got}; expected a ${Arr.name} of ${size} elements`;
}

/** The reply's copy of the params and state after a step, or why the module left them wrong. */
function stepOutput(
  params: unknown,
  returned: boolean,
  state: ModuleState,
  before: number,
  c: CaseInputs,
  request: RunRequest,
): { ok: WireStepOutput; params: FloatArray } | { error: string } {
  const dtype = request.dtype as ModuleDtype;
  const size = request.params.length;
  const bad =
    wrongArray(params, returned ? 'the returned params' : 'params', dtype, size) ??
    c.names.map((n) => wrongArray(state[n], `state.${n}`, dtype, size)).find((e) => e !== undefined);
  if (bad !== undefined) return { error: bad };
  if (state.step !== before + 1)
    return { error: `state.step went from ${before} to ${String(state.step)}; step() must add one (it counts the steps taken, NOTE-1)` };
  const typed = request.params instanceof Float64Array;
  const wireState: Record<string, unknown> = { step: state.step };
  for (const n of c.names) wireState[n] = wireOutput(Float64Array.from(state[n] as FloatArray), typed);
  const p = params as FloatArray;
  return { ok: { params: wireOutput(Float64Array.from(p), typed), state: wireState as WireState }, params: p };
}

/** What a case gives the module: the hyperparameters of every step, the state names, and copies of the params and state. */
interface CaseInputs {
  readonly hypers: readonly FloatHyper[];
  readonly names: readonly string[];
  readonly state: ModuleState;
  readonly params: FloatArray;
}

/** PROTO-5: the case decoded into fresh typed arrays, or the reply that refuses it (unsupported, or an error in the request). */
function caseInputs(m: OptimizerModule, request: RunRequest): CaseInputs | RunReply {
  const id = request.id;
  const def = findOptimizer(m.family)!;
  try {
    const hypers = hyperPerStep(def, request);
    const reason = unsupportedReason(m, request, hypers);
    if (reason !== undefined) return { op: 'unsupported', id, reason };
    const names = def.stateNames(resolveHyper(def.hyper, hypers[0]));
    const state = initialState(def, request, names, hypers[0]);
    const params = ARRAY_TYPES[request.dtype as ModuleDtype].from(decodeArray(request.params, 'params', dtypeRounder(request.dtype)));
    return { hypers, names, state, params };
  } catch (e) {
    return { op: 'error', id, message: (e as Error).message };
  }
}

/** PROTO-6: one case through the module; anything the module does wrong is an `error` reply naming it. */
async function runModule(m: OptimizerModule, who: string, request: RunRequest): Promise<RunReply> {
  const id = request.id;
  const c = caseInputs(m, request);
  if ('op' in c) return c;
  const fail = (message: string): RunReply => ({ op: 'error', id, message: `${who}: ${message}` });
  let optimizer: ModuleOptimizer;
  try {
    optimizer = await m.create({ ...c.hypers[0] }, request.dtype as ModuleDtype);
  } catch (e) {
    return fail(`create() threw: ${describeThrown(e)}`);
  }
  if (typeof optimizer?.step !== 'function') return fail('create() must return an object with a step(params, grads, state, hyper) function');
  const { state } = c;
  let params = c.params;
  const steps: WireStepOutput[] = [];
  for (const [k, s] of request.steps.entries()) {
    if (s.grad.length !== params.length) return { op: 'error', id, message: `steps[${k}].grad has ${s.grad.length} elements, params has ${params.length}` };
    const grads = ARRAY_TYPES[request.dtype as ModuleDtype].from(decodeArray(s.grad, `steps[${k}].grad`, dtypeRounder(request.dtype)));
    const before = state.step;
    let returned: FloatArray | void;
    try {
      returned = await optimizer.step(params, grads, state, Object.freeze({ ...c.hypers[k] }));
    } catch (e) {
      return fail(`step() threw at steps[${k}]: ${describeThrown(e)}`);
    }
    const out = stepOutput(returned === undefined ? params : returned, returned !== undefined, state, before, c, request);
    if ('error' in out) return fail(`after steps[${k}], ${out.error}`);
    params = out.params;
    steps.push(out.ok);
  }
  return { op: 'result', id, steps };
}

function describeThrown(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * PROTO-4, PROTO-6: a user's optimizer module (the object its default export holds) as an
 * `Implementation`. Throws a one-line error when the module does not have the contract's shape.
 * `name` is how errors name the module (default: its own `name`, else "the optimizer module").
 */
export function moduleImplementation(module: unknown, options: { name?: string } = {}): Implementation {
  const own = (module as { name?: unknown } | null)?.name;
  const who = options.name ?? (typeof own === 'string' ? own : 'the optimizer module');
  const m = checkOptimizerModule(module, who);
  const hello = (): HelloReply => ({
    op: 'hello',
    protocol: PROTOCOL,
    implementation: typeof own === 'string' && own !== who ? `${own} (${who})` : who,
    supports: [
      {
        optimizer: m.family,
        dtypes: [...m.dtypes] as Dtype[],
        ...(m.fixed ? { fixed: m.fixed } : {}),
        ...(m.ranges ? { ranges: m.ranges } : {}),
        returnsState: true,
      },
    ],
  });
  return { hello, run: (request) => runModule(m, who, request) };
}

/** The `--impl` form naming a module: `module:./my-adam.mjs`. */
export const MODULE_PREFIX = 'module:';

/**
 * A user's optimizer module by path (relative to the working directory), imported and checked:
 * a missing file, an import that fails or an export without the contract's shape is a one-line error.
 */
export async function loadOptimizerModule(path: string): Promise<Implementation> {
  const who = `${MODULE_PREFIX}${path}`;
  if (path.trim() === '') throw new Error(`${MODULE_PREFIX} needs a path: --impl module:./my-adam.mjs`);
  const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
  if (!existsSync(file)) throw new Error(`${who}: no such file (${file})`);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${who}: could not import it: ${describeThrown(e).split('\n')[0]}`);
  }
  // the default export, or the named exports themselves (`export const family = …; export function create …`)
  return moduleImplementation(namespace.default ?? namespace, { name: who });
}
