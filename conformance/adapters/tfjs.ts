/**
 * TensorFlow.js 4.22 (CPU backend) as an in-process implementation: `tf.train.sgd`/`momentum`,
 * `adam`, `rmsprop`, `adagrad`, `adadelta` and `adamax` on a float32 `tf.variable`, checked against
 * the spec's PyTorch semantics. Each is offered under its family's name, honestly, so that the suite
 * says what it computes instead: a failure's fingerprint names the variant or known defect it matches.
 *
 * What tfjs can and cannot be asked (read from tfjs-core 4.22 `dist/optimizers/*.js`):
 * - No weight decay anywhere, no dampening, no AMSGrad: pinned to 0 / false in `hello`.
 * - An optimizer cannot start from a given state (its moments are created lazily as zeros and
 *   `setWeights` takes tfjs's own names; Adamax's throws), so `state !== null` is unsupported and no
 *   state is returned.
 * - Learning-rate changes: SGD and Momentum cache `−lr` as a scalar tensor at construction and
 *   only `setLearningRate` refreshes it (assigning `learningRate` does nothing); the others read
 *   `this.learningRate` on every `applyGradients`, so assigning it works.
 * - Other changes: Momentum also caches μ as a scalar and `setMomentum` does not refresh it;
 *   Adam's and Adamax's bias corrections are a running product of β₁ (`accBeta1 ← accBeta1·β₁`), so
 *   a β₁ change would not give 1 − β₁ᵗ. Cases that change those (or nesterov, centered) are unsupported.
 * - tfjs's RMSprop is TensorFlow's (ε inside the root, lr inside the momentum accumulator,
 *   RMSPROP-7).
 * - Adagrad (ADAGRAD-5, `adagrad/eps-inside-sqrt`): `g/√(sum + ε)` with ε the backend's 1e-7 (as a
 *   float32), not configurable, so `eps` is pinned to it; `initialAccumulatorValue` is a constructor
 *   argument (sum₀, ADAGRAD-3); no `lr_decay`.
 * - Adadelta: divides by √(vₜ₋₁ + ε), the square average before this step's gradient — the known
 *   defect DEFECT-4 `tfjs-4.22/adadelta-stale-denominator`.
 * - Adamax (ADAMAX-5, `adamax/eps-after-max`): `u = max(β₂·u, |g|)`, ε added to u in the update;
 *   its extra `decay` (lr/(1 + (t−1)·decay)) is left at 0, which no case can ask otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { findOptimizer } from '../../reference/registry.ts';
import type { Implementation } from '../protocol/implementation.ts';
import { PROTOCOL, type HelloReply, type RunReply, type RunRequest, type Support, type WireHyper, type WireStepOutput } from '../protocol/messages.ts';
import { decodeArray, hyperPerStep, wireOutput, type FloatHyper } from './float.ts';

const SUPPORTS: readonly Support[] = [
  { optimizer: 'sgd', dtypes: ['float32'], fixed: { dampening: 0, weight_decay: 0 }, returnsState: false },
  { optimizer: 'adam', dtypes: ['float32'], fixed: { weight_decay: 0, amsgrad: false }, returnsState: false },
  // Centered RMSprop is pinned off: tfjs 4.22 computes √(v − ḡ² − ε), ε subtracted, which matches
  // neither PyTorch (RMSPROP-3) nor TensorFlow's kernel (RMSPROP-7) and gives NaN for a zero gradient.
  { optimizer: 'rmsprop', dtypes: ['float32'], fixed: { weight_decay: 0, centered: false }, returnsState: false },
  // ADAGRAD-5: ε is `ENGINE.backend.epsilon()`, 1e-7 added to a float32 tensor, so float32's 1e-7
  { optimizer: 'adagrad', dtypes: ['float32'], fixed: { lr_decay: 0, weight_decay: 0, eps: Math.fround(1e-7) }, returnsState: false },
  { optimizer: 'adadelta', dtypes: ['float32'], fixed: { weight_decay: 0 }, returnsState: false },
  { optimizer: 'adamax', dtypes: ['float32'], fixed: { weight_decay: 0 }, returnsState: false },
];

const OFFERED = SUPPORTS.map((s) => s.optimizer).join(', ');

/** Hyperparameters a step may change, per optimizer: those tfjs re-reads (or lets us refresh) each step. */
const CHANGEABLE: Readonly<Record<string, readonly string[]>> = {
  sgd: ['lr'],
  adam: ['lr', 'eps'],
  rmsprop: ['lr', 'alpha', 'momentum', 'eps'],
  // initial_accumulator_value acts only when the accumulator is created (ADAGRAD-3, NOTE-3), in tfjs too
  adagrad: ['lr', 'initial_accumulator_value'],
  adadelta: ['lr', 'rho', 'eps'],
  adamax: ['lr', 'beta2', 'eps'],
};

/** The fields tfjs 4.22 reads on every `applyGradients` (protected in its typings, public in JS). */
interface Rereads {
  learningRate: number;
  epsilon: number;
  decay: number;
  momentum: number;
  rho: number;
  beta2: number;
}

/** One tfjs optimizer for a case, and how a step's hyperparameters reach it. */
interface Driver {
  readonly optimizer: tf.Optimizer;
  set(h: FloatHyper): void;
}

function driver(name: string, h: FloatHyper): Driver {
  const n = (k: string) => h[k] as number;
  if (name === 'sgd') {
    const sgd = n('momentum') === 0 ? tf.train.sgd(n('lr')) : tf.train.momentum(n('lr'), n('momentum'), h.nesterov as boolean);
    // SGD caches −lr as a scalar tensor; only setLearningRate refreshes it
    return { optimizer: sgd, set: (s) => sgd.setLearningRate(s.lr as number) };
  }
  const { optimizer, rereads } = rereading(name, n, h);
  const fields = optimizer as unknown as Rereads;
  return {
    optimizer,
    set: (s) => {
      for (const [field, hyper] of Object.entries(rereads)) fields[field as keyof Rereads] = s[hyper] as number;
    },
  };
}

/** The optimizers that re-read their fields on every `applyGradients`: each, and which field holds which hyperparameter. */
function rereading(name: string, n: (k: string) => number, h: FloatHyper): { optimizer: tf.Optimizer; rereads: Partial<Record<keyof Rereads, string>> } {
  switch (name) {
    case 'adam':
      return { optimizer: tf.train.adam(n('lr'), n('beta1'), n('beta2'), n('eps')), rereads: { learningRate: 'lr', epsilon: 'eps' } };
    case 'rmsprop':
      return {
        optimizer: tf.train.rmsprop(n('lr'), n('alpha'), n('momentum'), n('eps'), h.centered as boolean),
        rereads: { learningRate: 'lr', decay: 'alpha', momentum: 'momentum', epsilon: 'eps' },
      };
    case 'adagrad':
      return { optimizer: tf.train.adagrad(n('lr'), n('initial_accumulator_value')), rereads: { learningRate: 'lr' } };
    case 'adadelta':
      return { optimizer: tf.train.adadelta(n('lr'), n('rho'), n('eps')), rereads: { learningRate: 'lr', rho: 'rho', epsilon: 'eps' } };
    case 'adamax':
      // decay 0: tfjs's lr/(1 + iteration·decay) is lr, as in PyTorch's Adamax
      return { optimizer: tf.train.adamax(n('lr'), n('beta1'), n('beta2'), n('eps'), 0), rereads: { learningRate: 'lr', beta2: 'beta2', epsilon: 'eps' } };
    default:
      throw new Error(`tfjs has no ${name} here (${OFFERED})`);
  }
}

/** Why tfjs cannot run this case as asked, or undefined. */
function unsupportedReason(request: RunRequest, hypers: readonly FloatHyper[], supports: readonly Support[]): string | undefined {
  const support = supports.find((s) => s.optimizer === request.optimizer);
  if (!support) return `tfjs has no ${request.optimizer} here (${OFFERED})`;
  if (request.variant !== undefined && request.variant !== '' && request.variant !== request.optimizer) return `no variants (${request.variant})`;
  if (!support.dtypes.includes(request.dtype)) return `tfjs optimizers run in float32 only, not ${request.dtype}`;
  if (request.state !== null) return 'tfjs optimizers cannot start from a given state';
  for (const [k, h] of hypers.entries()) {
    for (const [name, value] of Object.entries(support.fixed ?? ({} as WireHyper))) {
      if (h[name] !== value) return `steps[${k}]: tfjs has no ${name} (pinned to ${String(value)})`;
    }
    if (k > 0) {
      const changed = Object.keys(h).filter((name) => h[name] !== hypers[k - 1][name] && !CHANGEABLE[request.optimizer].includes(name));
      if (changed.length > 0) return `steps[${k}]: tfjs cannot change ${changed.join(', ')} mid-run`;
    }
  }
  return undefined;
}

let backend: Promise<void> | undefined;

/** The CPU backend, set once per process. */
function cpuBackend(): Promise<void> {
  backend ??= tf.setBackend('cpu').then((ok) => {
    if (!ok) throw new Error('tfjs could not initialise its cpu backend');
    // the backend prints a "install tfjs-node" banner on its first write; it is noise in a report
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  });
  return backend;
}

async function runTfjs(request: RunRequest, supports: readonly Support[]): Promise<RunReply> {
  const id = request.id;
  try {
    const def = findOptimizer(request.optimizer);
    if (!def || !supports.some((s) => s.optimizer === request.optimizer)) {
      return { op: 'unsupported', id, reason: `tfjs has no ${request.optimizer} here (${OFFERED})` };
    }
    const hypers = hyperPerStep(def, request);
    const reason = unsupportedReason(request, hypers, supports);
    if (reason !== undefined) return { op: 'unsupported', id, reason };
    await cpuBackend();
    const typed = request.params instanceof Float64Array;
    // float32 values (checked by decodeArray), so Float32Array holds them exactly
    const params = Float32Array.from(decodeArray(request.params, 'params', Math.fround));
    // inside tidy so the initial tensor (not the variable) is disposed
    const variable = tf.tidy(() => tf.variable(tf.tensor1d(params, 'float32')));
    const d = driver(request.optimizer, hypers[0]);
    const steps: WireStepOutput[] = [];
    try {
      request.steps.forEach((s, k) => {
        if (s.grad.length !== params.length) throw new Error(`steps[${k}].grad has ${s.grad.length} elements, params has ${params.length}`);
        const grad = Float32Array.from(decodeArray(s.grad, `steps[${k}].grad`, Math.fround));
        d.set(hypers[k]);
        // tidy disposes the gradient tensor and every intermediate of the update
        tf.tidy(() => d.optimizer.applyGradients({ [variable.name]: tf.tensor1d(grad, 'float32') }));
        steps.push({ params: wireOutput(Float64Array.from(variable.dataSync()), typed) });
      });
    } finally {
      d.optimizer.dispose();
      // MomentumOptimizer.dispose does not dispose SGD's cached −lr scalar
      (d.optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
      variable.dispose();
    }
    return { op: 'result', id, steps };
  } catch (e) {
    return { op: 'error', id, message: (e as Error).message };
  }
}

/**
 * TensorFlow.js 4.22's sgd, momentum, adam, rmsprop, adagrad, adadelta and adamax on its CPU
 * backend, float32, fresh state only. `centeredRmsprop: true` lifts the pin
 * on centered RMSprop, to show what tfjs computes there.
 */
export function tfjsImplementation(options: { centeredRmsprop?: boolean } = {}): Implementation {
  const supports = options.centeredRmsprop ? SUPPORTS.map((s) => (s.optimizer === 'rmsprop' ? { ...s, fixed: { weight_decay: 0 } } : s)) : SUPPORTS;
  const hello = async (): Promise<HelloReply> => {
    await cpuBackend();
    return { op: 'hello', protocol: PROTOCOL, implementation: `tfjs-core ${tf.version_core} (cpu)`, supports };
  };
  return { hello, run: (request) => runTfjs(request, supports) };
}
