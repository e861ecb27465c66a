/**
 * What `optconf reference` refuses before it computes anything, with a message that names the
 * problem and says what to send instead: an unknown hyperparameter (with the family's names, and
 * the spec's name where the one sent is another library's: `betas`, `learning_rate`), an empty
 * tensor, arrays of the wrong length or missing, and values that are not numbers of the dtype
 * (PROTO-3, PROTO-5, PROTO-7). The schema (messages.ts) has already checked the message's shape.
 * Everything element by element is checked here, once, in a fixed order, so that the computation,
 * however it is split (reference-pool.ts), cannot fail on an element and the first problem named
 * is always the same.
 */
import { isRepresentable, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper } from '../../reference/notation.ts';
import type { OptimizerDef } from '../../reference/registry.ts';
import type { RunRequest, WireArray, WireHyper } from '../protocol/messages.ts';
import { decodeNumber, type WireNumber } from '../protocol/wire.ts';

/**
 * Names other libraries (PyTorch's constructor, Keras, optax) give hyperparameters, with the
 * spec's names for them (PROTO-7). A hint is shown only when the family has the names it suggests.
 */
const OTHER_NAMES: Readonly<Record<string, readonly string[]>> = {
  betas: ['beta1', 'beta2'],
  beta_1: ['beta1'],
  beta_2: ['beta2'],
  b1: ['beta1'],
  b2: ['beta2'],
  learning_rate: ['lr'],
  epsilon: ['eps'],
  rho: ['alpha'],
  decay: ['weight_decay'],
  wd: ['weight_decay'],
  weightDecay: ['weight_decay'],
};

/** PyTorch's switches that choose a code path, not a value the step depends on (PROTO-7). */
const TORCH_SWITCHES = new Set(['foreach', 'fused', 'capturable', 'differentiable', 'maximize']);

/** PROTO-7: the message for a hyperparameter name the family does not have. */
export function unknownHyperMessage(name: string, def: OptimizerDef): string {
  const known = def.hyper.map((s) => s.name);
  const hinted = OTHER_NAMES[name]?.filter((n) => known.includes(n)) ?? [];
  const hint = hinted.length > 0 ? ` (use ${hinted.join(', ')})` : TORCH_SWITCHES.has(name) ? ' (a PyTorch option, not a hyperparameter: leave it out)' : '';
  return `unknown hyperparameter ${name}${hint}; ${def.name} takes ${known.join(', ')}`;
}

function checkHyperNames(hyper: WireHyper | undefined, def: OptimizerDef, where: string): void {
  for (const name of Object.keys(hyper ?? {})) {
    if (!def.hyper.some((s) => s.name === name)) throw new Error(`${where}${unknownHyperMessage(name, def)}`);
  }
}

/** PROTO-3: every element a number (NaN and the infinities as their strings) exactly representable in the dtype. */
function checkValues(values: WireArray, where: string, dtype: Dtype): void {
  for (let i = 0; i < values.length; i++) {
    const x = decodeNumber(values[i] as WireNumber);
    if (x === undefined) throw new Error(`${where}[${i}] is not a number`);
    if (!isRepresentable(x, dtype)) throw new Error(`${where}[${i}] = ${x} is not exactly representable in ${dtype}`);
  }
}

/** PROTO-5: an array of the case's n elements. */
function checkLength(values: WireArray, n: number, what: string): void {
  if (values.length !== n) throw new Error(`${what} has ${values.length} elements, params has ${n}`);
}

/** PROTO-5: the state arrays the family keeps with the first step's hyperparameters: n elements each, all there from step 1 on. */
function checkStateArrays(request: RunRequest, def: OptimizerDef): void {
  if (request.state === null) return;
  const n = request.params.length;
  const kept = def.stateNames(resolveHyper(def.hyper, request.hyper, [request.steps[0]?.hyper]));
  for (const name of kept) {
    const values = request.state[name];
    if (typeof values === 'object') checkLength(values, n, `state.${name}`);
    else if (request.state.step > 0)
      throw new Error(`state.${name} is missing: from state.step 1 on, ${def.name} with these hyperparameters keeps ${kept.join(', ')} (PROTO-5)`);
  }
}

/**
 * PROTO-3, PROTO-5, PROTO-7: the request's hyperparameter names, its size (n ≥ 1), the lengths of
 * its grads and state arrays, and every element's value, checked before anything is computed, in
 * that order; throws an error naming the first problem.
 */
export function checkReferenceRequest(request: RunRequest, def: OptimizerDef): void {
  checkHyperNames(request.hyper, def, '');
  request.steps.forEach((s, k) => checkHyperNames(s.hyper, def, `steps[${k}].hyper: `));
  const n = request.params.length;
  if (n === 0) throw new Error('params is empty: a case has at least one element (PROTO-5)');
  request.steps.forEach((s, k) => checkLength(s.grad, n, `steps[${k}].grad`));
  checkStateArrays(request, def);
  const { dtype } = request;
  checkValues(request.params, 'params', dtype);
  // every array sent is checked, those the family ignores too (PROTO-3 holds for the whole message)
  for (const [name, values] of Object.entries(request.state ?? {})) if (name !== 'step') checkValues(values as WireArray, `state.${name}`, dtype);
  request.steps.forEach((s, k) => checkValues(s.grad, `steps[${k}].grad`, dtype));
}
