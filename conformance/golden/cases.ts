/**
 * The curated golden cases (spec/golden-format.md): every family and named variant, every dtype,
 * the notes' worked problem, long runs, edge regions and one 100,000-element case. Inputs come
 * from fixed seeds through mulberry32 (reference/random.ts) — never Math.random — so the set is
 * the same on every machine.
 */
import { Dec, setPrecision, precision } from '../../reference/decimal.ts';
import { exact, roundToDtype, type Dtype } from '../../reference/dtype.ts';
import { analyticGradient } from '../../reference/gradients.ts';
import { freshState, resolveHyper, type ElementState } from '../../reference/notation.ts';
import { mulberry32 } from '../../reference/random.ts';
import { SPREADSHEET_DATA } from '../../reference/training.ts';
import type { Case } from '../check/case.ts';
import { GOLDEN_PRECISION, definitionOf, type GoldenSpec } from './format.ts';
import type { WireHyper } from '../protocol/messages.ts';
import { ADAM, CHECKED, basic, f32, hv, positive, vector, type Rng } from './case-builders.ts';
import { adaptiveSpecs } from './cases-adaptive.ts';

// ---------------------------------------------------------------------------------------------
// The notes' worked problem

/**
 * The spreadsheet's online training of y = a·x + b on SPREADSHEET_DATA (GRAD-1), with the per-step
 * gradients (GRAD-6) recorded as inputs: each is the chain-rule gradient at the reference's exact
 * parameters, rounded to float32, and the trajectory is the reference run on those recorded
 * gradients — so an implementation replaying the file follows the same run.
 */
function spreadsheet(
  name: string,
  definition: string,
  description: string,
  hyper: WireHyper,
  epochs: number,
  initialState?: Record<string, number>,
): GoldenSpec {
  const def = definitionOf(definition);
  const saved = precision();
  setPrecision(GOLDEN_PRECISION);
  try {
    const h = resolveHyper(def.hyper, hyper);
    const names = def.stateNames(h);
    let a: Dec = new Dec(1);
    let b: Dec = new Dec(1);
    const init: ElementState = { ...freshState(names), ...Object.fromEntries(Object.entries(initialState ?? {}).map(([k, v]) => [k, exact(v)])) };
    let sa = init;
    let sb = init;
    const steps: { grad: number[] }[] = [];
    let t = 0;
    for (let e = 0; e < epochs; e++) {
      for (const sample of SPREADSHEET_DATA) {
        const g = analyticGradient({ a, b }, [sample]);
        const grad = [roundToDtype(g.a, 'float32'), roundToDtype(g.b, 'float32')];
        steps.push({ grad });
        t += 1;
        const ra = def.step(a, exact(grad[0]), sa, h, t);
        const rb = def.step(b, exact(grad[1]), sb, h, t);
        a = ra.param;
        b = rb.param;
        sa = ra.state;
        sb = rb.state;
      }
    }
    const state: Case['state'] = initialState ? { step: 0, ...Object.fromEntries(Object.entries(initialState).map(([k, v]) => [k, [v, v]])) } : null;
    return { name, description, definition, dtypes: CHECKED.float32, hyper, params: [1, 1], state, steps, extraClauses: ['GRAD-1', 'GRAD-6'] };
  } finally {
    setPrecision(saved);
  }
}

// ---------------------------------------------------------------------------------------------
// The set

const adamState = (next: Rng, n: number, dtype: Dtype, step: number): Case['state'] => ({
  step,
  exp_avg: vector(next, n, dtype, 0.5),
  exp_avg_sq: positive(next, n, dtype, 1e-4, 0.5),
});

/** The 100,000-element case: dyadic inputs with few bits, so the file stays small (GOLD-2). */
function large(): GoldenSpec {
  const next = mulberry32(100_000);
  const n = 100_000;
  const params = Array.from({ length: n }, () => ((next() % 129) - 64) / 16);
  const grad = Array.from({ length: n }, () => ((next() % 65) - 32) / 8);
  return {
    name: 'sgd-100k-float32',
    description: 'SGD with L2 decay on 100,000 elements, one step: large-tensor handling, per-element bounds (float32)',
    definition: 'sgd',
    dtypes: ['float32'],
    hyper: { lr: 0.125, weight_decay: 0.25 },
    params,
    state: null,
    steps: [{ grad }],
  };
}

/** GOLD-2, GOLD-8: every curated golden case (in file-name order of no significance), each chosen to tell right from wrong at every dtype it lists. */
export function goldenSpecs(): GoldenSpec[] {
  const specs: GoldenSpec[] = [
    // --- SGD family
    basic({
      name: 'sgd-float64',
      definition: 'sgd',
      seed: 101,
      dtype: 'float64',
      n: 6,
      steps: 8,
      description: 'torch.optim.SGD with L2 decay, momentum and dampening (float64 inputs)',
      hyper: { lr: f32(0.01), momentum: f32(0.9), dampening: f32(0.25), weight_decay: f32(0.01) },
    }),
    basic({
      name: 'sgd-dampening-float32',
      definition: 'sgd',
      seed: 108,
      dtype: 'float32',
      steps: 6,
      description: 'SGD with momentum, dampening and L2 decay: the first step clones g′, later ones dampen it',
      hyper: { lr: f32(0.05), momentum: f32(0.9), dampening: f32(0.5), weight_decay: f32(0.01) },
    }),
    basic({
      name: 'sgd-nesterov-float32',
      definition: 'sgd',
      seed: 102,
      dtype: 'float32',
      steps: 6,
      description: 'SGD with Nesterov momentum and L2 decay',
      hyper: { lr: f32(0.05), momentum: f32(0.9), weight_decay: f32(1e-3), nesterov: true },
    }),
    basic({
      name: 'sgd-float16',
      definition: 'sgd',
      seed: 103,
      dtype: 'float16',
      steps: 6,
      description: 'SGD with momentum in float16 (hyperparameters exact in float16)',
      hyper: { lr: hv(0.01, 'float16'), momentum: hv(0.9, 'float16') },
    }),
    basic({
      name: 'sgd-lerp-momentum-float32',
      definition: 'sgd/lerp-momentum',
      seed: 104,
      dtype: 'float32',
      steps: 6,
      description: "the notes' interpolated momentum, b = β·b + (1−β)·g",
      hyper: { lr: f32(0.1), momentum: f32(0.9) },
    }),
    basic({
      name: 'sgd-decoupled-decay-float32',
      definition: 'sgd/decoupled-decay',
      seed: 105,
      dtype: 'float32',
      steps: 6,
      description: 'SGDW: decay θ −= lr·λ·θ decoupled from the momentum buffer',
      hyper: { lr: f32(0.1), momentum: f32(0.9), weight_decay: f32(0.1) },
    }),
    basic({
      name: 'sgd-lr-in-buffer-float32',
      definition: 'sgd/lr-in-buffer',
      seed: 106,
      dtype: 'float32',
      steps: 8,
      description: 'lr inside the momentum buffer (Keras), under a learning-rate schedule where it differs from SGD-3',
      hyper: { lr: f32(0.1), momentum: f32(0.9) },
      schedule: (k) => (k === 3 ? { lr: f32(0.01) } : k === 6 ? { lr: f32(0.001) } : undefined),
    }),
    basic({
      name: 'sgd-lr-schedule-float32',
      definition: 'sgd',
      seed: 107,
      dtype: 'float32',
      steps: 12,
      description: 'SGD with momentum under a step learning-rate schedule (warm-up, then decay)',
      hyper: { lr: f32(0.001), momentum: f32(0.9) },
      schedule: (k) => ([1, 2, 6, 9].includes(k) ? { lr: f32([0, 0.01, 0.1, 0, 0, 0, 0.03, 0, 0, 0.003][k]) } : undefined),
    }),
    // --- RMSprop family
    basic({
      name: 'rmsprop-float32',
      definition: 'rmsprop',
      seed: 201,
      dtype: 'float32',
      steps: 6,
      description: 'torch.optim.RMSprop, plain',
      hyper: { lr: f32(0.01), alpha: f32(0.99), eps: f32(1e-8) },
    }),
    basic({
      name: 'rmsprop-centered-momentum-float64',
      definition: 'rmsprop',
      seed: 202,
      dtype: 'float64',
      steps: 8,
      description: 'RMSprop centered, with momentum and L2 decay (float64 inputs)',
      hyper: { lr: f32(0.01), alpha: f32(0.9), eps: f32(1e-8), momentum: f32(0.5), centered: true, weight_decay: f32(0.01) },
    }),
    basic({
      name: 'rmsprop-centered-float32',
      definition: 'rmsprop',
      seed: 206,
      dtype: 'float32',
      steps: 6,
      description: 'RMSprop centered with L2 decay',
      hyper: { lr: f32(0.01), alpha: f32(0.9), eps: f32(1e-8), centered: true, weight_decay: f32(0.1) },
    }),
    basic({
      name: 'rmsprop-bfloat16',
      definition: 'rmsprop',
      seed: 215,
      dtype: 'bfloat16',
      steps: 6,
      description: 'RMSprop with momentum in bfloat16',
      hyper: { lr: hv(0.01, 'bfloat16'), alpha: hv(0.9, 'bfloat16'), eps: hv(1e-6, 'bfloat16'), momentum: hv(0.5, 'bfloat16') },
    }),
    basic({
      name: 'rmsprop-tensorflow-float32',
      definition: 'rmsprop/tensorflow',
      seed: 204,
      dtype: 'float32',
      steps: 6,
      gradScale: 1e-3,
      description: 'TensorFlow RMSprop: ε inside the root, lr inside the momentum accumulator, with small gradients and an lr change where both show',
      hyper: { lr: f32(0.01), alpha: f32(0.9), eps: f32(1e-6), momentum: f32(0.5) },
      schedule: (k) => (k === 3 ? { lr: f32(0.001) } : undefined),
    }),
    basic({
      name: 'rmsprop-eps-dominated-float32',
      definition: 'rmsprop',
      seed: 205,
      dtype: 'float32',
      steps: 4,
      gradScale: 2 ** -30,
      description: 'RMSprop where √v is far below ε (gradients ~1e-9): ε outside the root decides the step',
      hyper: { lr: f32(0.01), alpha: f32(0.99), eps: f32(1e-8) },
    }),
    // --- Adam family
    basic({
      name: 'adam-float32',
      definition: 'adam',
      seed: 301,
      dtype: 'float32',
      steps: 6,
      description: 'torch.optim.Adam with defaults',
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'adam-amsgrad-float64',
      definition: 'adam',
      seed: 302,
      dtype: 'float64',
      steps: 8,
      description: 'Adam with AMSGrad and L2 decay (float64 inputs)',
      hyper: ADAM('float64', { weight_decay: f32(0.01), amsgrad: true }),
    }),
    basic({
      name: 'adam-amsgrad-float32',
      definition: 'adam',
      seed: 311,
      dtype: 'float32',
      steps: 8,
      description: 'Adam with AMSGrad and L2 decay: the maximum of the raw second moment, λ in the gradient',
      hyper: ADAM('float32', { weight_decay: f32(0.1), amsgrad: true }),
    }),
    basic({
      name: 'adam-bfloat16',
      definition: 'adam',
      seed: 303,
      dtype: 'bfloat16',
      steps: 6,
      description: 'Adam in bfloat16 (β₂ = 0.99: bfloat16 holds 0.999 as 1; lr 0.05, so every step moves the weights by ULPs of bfloat16)',
      hyper: { lr: hv(0.05, 'bfloat16'), beta1: hv(0.9, 'bfloat16'), beta2: hv(0.99, 'bfloat16'), eps: hv(1e-8, 'bfloat16') },
    }),
    basic({
      name: 'adam-no-bias-correction-float32',
      definition: 'adam/no-bias-correction',
      seed: 304,
      dtype: 'float32',
      steps: 6,
      description: "the notes' spreadsheet Adam form: no bias correction",
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'adam-eps-inside-sqrt-float32',
      definition: 'adam/eps-inside-sqrt',
      seed: 305,
      dtype: 'float32',
      steps: 5,
      gradScale: 2 ** -20,
      description: 'ε inside the square root, with gradients ~1e-6 where it shows',
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'adam-eps-hat-float32',
      definition: 'adam/eps-hat',
      seed: 306,
      dtype: 'float32',
      steps: 5,
      gradScale: 2 ** -20,
      description: "Kingma & Ba's ε̂ form, with gradients ~1e-6 where it shows",
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'adam-eps-dominated-float32',
      definition: 'adam',
      seed: 307,
      dtype: 'float32',
      n: 8,
      steps: 3,
      gradScale: 2 ** -30,
      description: 'Adam where √v̂ is far below ε (gradients ~1e-9): the placement of ε decides the step',
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'adam-large-eps-dominated-float32',
      definition: 'adam',
      seed: 312,
      dtype: 'float32',
      dtypes: ['float32'],
      n: 4100,
      steps: 1,
      gradScale: 2 ** -30,
      description: 'Adam on 4,100 elements where ε decides the step (gradients ~1e-9): every element, past index 4096 too, holds its own bound',
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'adam-first-step-float64',
      definition: 'adam',
      seed: 308,
      dtype: 'float64',
      n: 16,
      steps: 1,
      description: 'the first Adam step, where 1 − β₂ᵗ cancels most (float64 inputs)',
      hyper: { lr: f32(0.001), beta1: f32(0.9), beta2: f32(0.9999), eps: f32(1e-8) },
    }),
    basic({
      name: 'adam-resume-float32',
      definition: 'adam',
      seed: 309,
      dtype: 'float32',
      steps: 3,
      description: 'Adam resumed from a given state at step 1000',
      hyper: ADAM('float32'),
      state: (next, n) => adamState(next, n, 'float32', 1000),
    }),
    // NOTE-1, PROTO-8: resumed past step 100,000 with β near 1, where βᵗ still moves the bias corrections
    ...(
      [
        ['float64', 311],
        ['float32', 312],
      ] as const
    ).map(([dtype, seed]) =>
      basic({
        name: `adam-resume-past-100k-${dtype}`,
        definition: 'adam',
        seed,
        dtype,
        steps: 3,
        description: `Adam resumed at step 200,000 with β₁ = 1 − 2⁻¹⁶ and β₂ = 1 − 2⁻²⁰, where βᵗ still moves the bias corrections (${dtype})`,
        hyper: ADAM(dtype, { beta1: 1 - 2 ** -16, beta2: 1 - 2 ** -20 }),
        state: (next, n) => adamState(next, n, dtype, 200_000),
      }),
    ),
    basic({
      name: 'adam-lr-schedule-float32',
      definition: 'adam',
      seed: 310,
      dtype: 'float32',
      steps: 10,
      description: 'Adam under a warm-up then decay learning-rate schedule',
      hyper: ADAM('float32', { lr: f32(1e-4) }),
      schedule: (k) => (k > 0 ? { lr: f32([1e-4, 2e-4, 4e-4, 8e-4, 1e-3, 8e-4, 5e-4, 2e-4, 1e-4, 0][k]) } : undefined),
    }),
    basic({
      name: 'adamw-float32',
      definition: 'adamw',
      seed: 401,
      dtype: 'float32',
      steps: 6,
      description: 'torch.optim.AdamW with defaults (weight_decay 0.01)',
      hyper: ADAM('float32', { weight_decay: f32(0.01) }),
    }),
    basic({
      name: 'adamw-float16',
      definition: 'adamw',
      seed: 402,
      dtype: 'float16',
      steps: 6,
      description: 'AdamW in float16 (ε = 1e-4: float16 cannot hold 1e-8; β₂ = 0.99)',
      hyper: { lr: hv(1e-3, 'float16'), beta1: hv(0.9, 'float16'), beta2: hv(0.99, 'float16'), eps: hv(1e-4, 'float16'), weight_decay: hv(0.01, 'float16') },
    }),
    basic({
      name: 'adamw-large-decay-float32',
      definition: 'adamw',
      seed: 403,
      dtype: 'float32',
      steps: 10,
      paramScale: 100,
      description: 'AdamW with a large decay (lr 0.1, λ 0.5) on large weights: the decay dominates the update',
      hyper: ADAM('float32', { lr: f32(0.1), weight_decay: f32(0.5) }),
    }),
    basic({
      name: 'adamw-paper-float32',
      definition: 'adamw/paper',
      seed: 404,
      dtype: 'float32',
      steps: 6,
      description: "the AdamW paper's Algorithm 2: decay not scaled by lr, under a schedule multiplier",
      hyper: ADAM('float32', { weight_decay: f32(0.1), schedule_multiplier: 1 }),
      schedule: (k) => (k >= 2 ? { schedule_multiplier: f32(1 - k / 8) } : undefined),
    }),
    basic({
      name: 'adamw-l2-coupled-float32',
      definition: 'adamw/l2-coupled',
      seed: 405,
      dtype: 'float32',
      steps: 6,
      paramScale: 10,
      description: 'Adam with L2 decay under the AdamW name (the decay enters the moments)',
      hyper: ADAM('float32', { weight_decay: f32(0.1) }),
    }),
    // --- EWMA family
    {
      ...basic({
        name: 'ewma-float32',
        definition: 'ewma',
        seed: 501,
        dtype: 'float32',
        steps: 8,
        description: 'the fastai loss average from zero, debiased',
        hyper: { beta: f32(0.98) },
      }),
      params: [0, 0, 0, 0],
    },
    basic({
      name: 'ewma-float16',
      definition: 'ewma',
      seed: 502,
      dtype: 'float16',
      steps: 8,
      description: 'the loss average in float16 (β = 0.875)',
      hyper: { beta: 0.875 },
    }),
    // --- The notes' worked problem (graddesc.xlsm)
    spreadsheet(
      'spreadsheet-sgd',
      'sgd',
      "the notes' spreadsheet: online SGD on the 29 rows of y = 2x + 30 from a = b = 1, lr 1e-4 (as float32), 5 epochs",
      { lr: f32(1e-4) },
      5,
    ),
    spreadsheet(
      'spreadsheet-momentum',
      'sgd/lerp-momentum',
      "the notes' spreadsheet momentum sheet: b = 0.9·b + 0.1·g, lr 1e-4 (as float32), 5 epochs",
      { lr: f32(1e-4), momentum: f32(0.9) },
      5,
    ),
    spreadsheet(
      'spreadsheet-adam',
      'adam/no-bias-correction',
      "the notes' spreadsheet Adam sheet: β₁ = β₂ = 0.9, ε = 0, no bias correction, v reset to 10000, lr 0.1 (as float32), 10 epochs",
      { lr: f32(0.1), beta1: f32(0.9), beta2: f32(0.9), eps: 0 },
      10,
      { exp_avg: 0, exp_avg_sq: 10000 },
    ),
    // --- Long runs
    basic({
      name: 'adam-long-float32',
      definition: 'adam',
      seed: 601,
      dtype: 'float32',
      dtypes: ['float32'],
      n: 2,
      steps: 1000,
      description: 'Adam over 1,000 steps of noisy gradients',
      hyper: ADAM('float32'),
    }),
    basic({
      name: 'sgd-momentum-long-float64',
      definition: 'sgd',
      seed: 602,
      dtype: 'float64',
      n: 2,
      steps: 1000,
      description: 'SGD with momentum over 1,000 steps (float64 inputs)',
      hyper: { lr: f32(0.01), momentum: f32(0.9), weight_decay: f32(0.001) },
    }),
    basic({
      name: 'rmsprop-long-float32',
      definition: 'rmsprop',
      seed: 603,
      dtype: 'float32',
      dtypes: ['float32'],
      n: 2,
      steps: 1000,
      description: 'RMSprop with momentum over 1,000 steps',
      hyper: { lr: f32(0.001), alpha: f32(0.99), eps: f32(1e-8), momentum: f32(0.9) },
    }),
    {
      ...basic({
        name: 'ewma-long-float32',
        definition: 'ewma',
        seed: 604,
        dtype: 'float32',
        dtypes: ['float32'],
        n: 2,
        steps: 1000,
        description: 'the loss average over 1,000 observations',
        hyper: { beta: f32(0.98) },
      }),
      params: [0, 0],
    },
    large(),
    // --- Adagrad, Adadelta, Adamax, NAdam, RAdam, Lion (issue 12)
    ...adaptiveSpecs(),
  ];
  return specs;
}
