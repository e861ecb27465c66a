/**
 * The curated golden cases of issue 12's families — Adagrad, Adadelta, Adamax, NAdam, RAdam, Lion
 * (spec/golden-format.md, GOLD-2, GOLD-8): each family's canonical step in float32 and float64,
 * in bfloat16 where PyTorch 1.13 runs it on the CPU (float16 it does not: `addcmul_cpu_out` is not
 * implemented for Half), every named variant, and the hard regions where a case tells right from
 * wrong — Adagrad's ε-dominated root and `lr_decay`, Adadelta's ε-dominated start, Adamax's
 * maximum switching sides, NAdam's μ products over a long run, RAdam's threshold crossing at
 * small t, Lion's sign at a zero interpolation. Which files each known defect (spec/defects.md)
 * fails, and in which dtypes, is declared per file in `knownDefects` (GOLD-8) and held exact both
 * ways by tests/golden/curation.test.ts.
 */
import type { Dtype } from '../../reference/dtype.ts';
import { mulberry32 } from '../../reference/random.ts';
import type { Case } from '../check/case.ts';
import type { GoldenSpec } from './format.ts';
import type { WireHyper } from '../protocol/messages.ts';
import { ADAM, basic, f32, hv, positive, vector, type Basic } from './case-builders.ts';

/** The spec with element `i`'s gradient zero at the steps listed (all steps when none). */
function zeroGradient(spec: GoldenSpec, i: number, steps?: readonly number[]): GoldenSpec {
  return {
    ...spec,
    steps: spec.steps.map((s, k) => (steps === undefined || steps.includes(k) ? { ...s, grad: s.grad.map((g, j) => (j === i ? 0 : g)) } : s)),
  };
}

/**
 * A `basic` case whose step k draws its gradients at scale `scales[k]`: a large gradient after
 * small ones and small ones after a large one, so a running maximum (Adamax's u) is set now by the
 * decayed norm, now by the new gradient.
 */
function scaledSteps(b: Basic & { readonly scales: readonly number[] }): GoldenSpec {
  const spec = basic({ ...b, steps: 0 });
  const next = mulberry32(b.seed * 7919);
  const n = spec.params.length;
  const steps: Case['steps'] = b.scales.map((scale) => ({ grad: vector(next, n, b.dtype, scale) }));
  return { ...spec, steps };
}

// The known defects (spec/defects.md, reference/registry.ts KNOWN_DEFECTS) a file declares it catches.
const RADAM_EPS = 'torch-1.13/radam-foreach-eps';
const NADAM_MU = 'torch-1.13/nadam-mu-product';
const ADAGRAD_LR = 'torch-1.13/adagrad-foreach-lr-float32';
const ADADELTA_STALE = 'tfjs-4.22/adadelta-stale-denominator';

/** Adamax's and NAdam's defaults: Adam's with lr 2e-3. */
const ADAM_LIKE = (dtype: Dtype, extra: WireHyper = {}): WireHyper => ADAM(dtype, { lr: hv(2e-3, dtype), ...extra });

function adagradSpecs(): GoldenSpec[] {
  return [
    basic({
      name: 'adagrad-float32',
      knownDefects: { [ADAGRAD_LR]: ['float64'] },
      definition: 'adagrad',
      seed: 701,
      dtype: 'float32',
      steps: 6,
      description: 'torch.optim.Adagrad with lr_decay, L2 decay and an initial accumulator of 0.1',
      hyper: { lr: f32(0.1), lr_decay: f32(0.05), weight_decay: f32(0.01), initial_accumulator_value: f32(0.1), eps: f32(1e-10) },
    }),
    basic({
      name: 'adagrad-lr-decay-float64',
      knownDefects: { [ADAGRAD_LR]: ['float64'] },
      definition: 'adagrad',
      seed: 702,
      dtype: 'float64',
      steps: 6,
      description: 'Adagrad with lr_decay 0.1 in float64: the decayed step size lr/(1 + (t−1)·lr_decay) to float64 precision (float64 inputs)',
      hyper: { lr: f32(0.25), lr_decay: f32(0.1), eps: f32(1e-10) },
    }),
    basic({
      name: 'adagrad-bfloat16',
      knownDefects: { [ADAGRAD_LR]: ['float64'] },
      definition: 'adagrad',
      seed: 703,
      dtype: 'bfloat16',
      steps: 6,
      description: 'Adagrad in bfloat16 with lr_decay and L2 decay (lr 0.05, so every step moves the weights by ULPs of bfloat16)',
      hyper: { lr: hv(0.05, 'bfloat16'), lr_decay: hv(0.01, 'bfloat16'), weight_decay: hv(0.01, 'bfloat16'), eps: hv(1e-10, 'bfloat16') },
    }),
    basic({
      name: 'adagrad-eps-dominated-float32',
      definition: 'adagrad',
      seed: 704,
      dtype: 'float32',
      steps: 5,
      gradScale: 2 ** -30,
      description: 'Adagrad where √sum is far below ε (gradients ~1e-9, no initial accumulator): ε outside the root decides the step',
      hyper: { lr: f32(0.01), eps: f32(1e-10) },
    }),
    basic({
      name: 'adagrad-eps-inside-sqrt-float32',
      definition: 'adagrad/eps-inside-sqrt',
      seed: 705,
      dtype: 'float32',
      steps: 5,
      gradScale: 2 ** -20,
      description: 'ε inside the root, √(sum + ε) (TensorFlow, Keras, optax), with gradients ~1e-6 where it shows',
      hyper: { lr: f32(0.01), lr_decay: f32(0.01), eps: f32(1e-7) },
    }),
  ];
}

function adadeltaSpecs(): GoldenSpec[] {
  return [
    basic({
      name: 'adadelta-float32',
      knownDefects: { [ADADELTA_STALE]: ['float32', 'float64'] },
      definition: 'adadelta',
      seed: 711,
      dtype: 'float32',
      steps: 8,
      description: 'torch.optim.Adadelta from a fresh state, lr 0.5 and L2 decay: the ε-dominated start, then the delta accumulator taking over',
      hyper: { lr: f32(0.5), rho: f32(0.9), eps: f32(1e-6), weight_decay: f32(0.01) },
    }),
    basic({
      name: 'adadelta-float64',
      knownDefects: { [ADADELTA_STALE]: ['float64'] },
      definition: 'adadelta',
      seed: 712,
      dtype: 'float64',
      steps: 8,
      description: 'Adadelta at the defaults, lr 1 (float64 inputs)',
      hyper: { lr: 1, rho: f32(0.9), eps: f32(1e-6) },
    }),
    basic({
      name: 'adadelta-bfloat16',
      knownDefects: { [ADADELTA_STALE]: ['bfloat16', 'float32', 'float64'] },
      definition: 'adadelta',
      seed: 1313,
      dtype: 'bfloat16',
      steps: 6,
      description: 'Adadelta in bfloat16 (ε = 1e-4 and lr 2, so every step moves the weights by ULPs of bfloat16)',
      hyper: { lr: 2, rho: hv(0.9, 'bfloat16'), eps: hv(1e-4, 'bfloat16') },
    }),
    basic({
      name: 'adadelta-resume-float32',
      knownDefects: { [ADADELTA_STALE]: ['float32', 'float64'] },
      definition: 'adadelta',
      seed: 714,
      dtype: 'float32',
      steps: 4,
      gradScale: 2 ** -10,
      description: 'Adadelta resumed at step 50 from given averages, with gradients ~1e-3 below the square average',
      hyper: { lr: f32(1), rho: f32(0.95), eps: f32(1e-6) },
      state: (next, n) => ({ step: 50, square_avg: positive(next, n, 'float32', 1e-6, 1e-4), acc_delta: positive(next, n, 'float32', 1e-6, 1e-4) }),
    }),
  ];
}

function adamaxSpecs(): GoldenSpec[] {
  const scales = [1, 2 ** -4, 2, 2 ** -6, 2 ** -2, 4, 1, 2 ** -8];
  return [
    scaledSteps({
      name: 'adamax-float32',
      definition: 'adamax',
      seed: 721,
      dtype: 'float32',
      scales,
      description: 'torch.optim.Adamax with L2 decay, gradients of changing scale: the maximum taken now from β₂·u, now from |g′| + ε',
      hyper: ADAM_LIKE('float32', { beta2: f32(0.99), weight_decay: f32(0.01) }),
    }),
    scaledSteps({
      name: 'adamax-float64',
      definition: 'adamax',
      seed: 722,
      dtype: 'float64',
      scales,
      description: 'Adamax at the defaults, gradients of changing scale (float64 inputs)',
      hyper: ADAM_LIKE('float64'),
    }),
    scaledSteps({
      name: 'adamax-bfloat16',
      definition: 'adamax',
      seed: 1323,
      dtype: 'bfloat16',
      scales: scales.slice(0, 6),
      description: 'Adamax in bfloat16 (lr 0.05, β₂ = 0.99), gradients of changing scale',
      hyper: ADAM_LIKE('bfloat16', { lr: hv(0.05, 'bfloat16'), beta2: hv(0.99, 'bfloat16') }),
    }),
    basic({
      name: 'adamax-eps-dominated-float32',
      definition: 'adamax',
      seed: 724,
      dtype: 'float32',
      steps: 6,
      gradScale: 2 ** -26,
      description: 'Adamax with gradients ~1e-8, the size of ε: where ε enters the maximum decides the step',
      hyper: ADAM_LIKE('float32'),
    }),
    basic({
      name: 'adamax-eps-after-max-float32',
      definition: 'adamax/eps-after-max',
      seed: 725,
      dtype: 'float32',
      steps: 6,
      gradScale: 2 ** -26,
      description: 'ε added after the maximum (Keras, TensorFlow, TF.js), with gradients ~1e-8 where it shows',
      hyper: ADAM_LIKE('float32'),
    }),
  ];
}

function nadamSpecs(): GoldenSpec[] {
  return [
    basic({
      name: 'nadam-float32',
      knownDefects: { [NADAM_MU]: ['float32', 'float64'] },
      definition: 'nadam',
      seed: 731,
      dtype: 'float32',
      steps: 8,
      description: 'torch.optim.NAdam with L2 decay: the μ schedule and its products from step 1',
      hyper: ADAM_LIKE('float32', { weight_decay: f32(0.01) }),
    }),
    basic({
      name: 'nadam-float64',
      knownDefects: { [NADAM_MU]: ['float64'] },
      definition: 'nadam',
      seed: 732,
      dtype: 'float64',
      steps: 8,
      description: 'NAdam at the defaults (float64 inputs; the μ product is held to float32, PREC-12)',
      hyper: ADAM_LIKE('float64'),
    }),
    basic({
      name: 'nadam-bfloat16',
      knownDefects: { [NADAM_MU]: ['float32', 'float64'] },
      definition: 'nadam',
      seed: 1333,
      dtype: 'bfloat16',
      steps: 6,
      description: 'NAdam in bfloat16 (lr 0.05, β₂ = 0.99)',
      hyper: ADAM_LIKE('bfloat16', { lr: hv(0.05, 'bfloat16'), beta2: hv(0.99, 'bfloat16') }),
    }),
    basic({
      name: 'nadam-long-float32',
      knownDefects: { [NADAM_MU]: ['float32'] },
      definition: 'nadam',
      seed: 734,
      dtype: 'float32',
      dtypes: ['float32'],
      n: 2,
      steps: 100,
      description: 'NAdam over 100 steps with a fast schedule (ψ = 0.04): the μ products Πₜ and Πₜ·μₜ₊₁ as they shrink',
      hyper: ADAM_LIKE('float32', { momentum_decay: f32(0.04) }),
    }),
    basic({
      name: 'nadam-no-schedule-float32',
      definition: 'nadam/no-schedule',
      seed: 735,
      dtype: 'float32',
      steps: 8,
      description: "optax's Nesterov Adam: μ ≡ β₁, no schedule",
      hyper: ADAM_LIKE('float32'),
    }),
  ];
}

function radamSpecs(): GoldenSpec[] {
  // β₂ = 0.99: ρ₄ = 3.975, ρ₅ = 4.960 (unrectified; the paper's threshold 4 rectifies it), ρ₆ = 5.941
  // (rectified) — near the thresholds, yet far enough that the error of ρₜ decides the branch (at
  // β₂ = 0.999, ρ₅ = 4.996 and 1 − β₂ᵗ cancels so much in float32 that the branch is undecided)
  const RADAM = (dtype: Dtype, extra: WireHyper = {}) => ADAM(dtype, { beta2: hv(0.99, dtype), ...extra });
  return [
    zeroGradient(
      basic({
        name: 'radam-float32',
        knownDefects: { [RADAM_EPS]: ['float64'] },
        definition: 'radam',
        seed: 741,
        dtype: 'float32',
        steps: 8,
        description:
          'torch.optim.RAdam with L2 decay over 8 steps: unrectified to step 5 (ρ₅ = 4.960), rectified from step 6; element 0 has a zero gradient (only L2 moves it)',
        hyper: RADAM('float32', { weight_decay: f32(0.01) }),
      }),
      0,
    ),
    zeroGradient(
      basic({
        name: 'radam-float64',
        knownDefects: { [RADAM_EPS]: ['float64'] },
        definition: 'radam',
        seed: 742,
        dtype: 'float64',
        steps: 8,
        description: 'RAdam across the threshold (float64 inputs); element 0 never has a gradient',
        hyper: RADAM('float64'),
      }),
      0,
    ),
    basic({
      name: 'radam-bfloat16',
      knownDefects: { [RADAM_EPS]: ['float64'] },
      definition: 'radam',
      seed: 743,
      dtype: 'bfloat16',
      steps: 8,
      paramScale: 0.25,
      description: 'RAdam in bfloat16 (lr 0.1, β₂ = 0.99, weights below 0.25 so the small rectified steps still move them by ULPs of bfloat16)',
      hyper: RADAM('bfloat16', { lr: hv(0.1, 'bfloat16') }),
    }),
    basic({
      name: 'radam-eps-dominated-float32',
      knownDefects: { [RADAM_EPS]: ['float32', 'float64'] },
      definition: 'radam',
      seed: 744,
      dtype: 'float32',
      steps: 8,
      gradScale: 2 ** -26,
      description: 'RAdam with gradients ~1e-8, the size of ε: where ε meets the bias correction decides the rectified steps',
      hyper: RADAM('float32'),
    }),
    basic({
      name: 'radam-threshold-4-float32',
      definition: 'radam/threshold-4',
      seed: 745,
      dtype: 'float32',
      steps: 8,
      description: "the paper's threshold: rectified when ρₜ > 4, so from step 5 (β₂ = 0.99, ρ₅ = 4.960)",
      hyper: RADAM('float32'),
    }),
    basic({
      name: 'radam-eps-after-correction-float32',
      definition: 'radam/eps-after-correction',
      seed: 746,
      dtype: 'float32',
      steps: 8,
      gradScale: 2 ** -26,
      description: 'ε added after the bias correction in the rectified step (fastai, optax), with gradients ~1e-8 where it shows',
      hyper: RADAM('float32'),
    }),
  ];
}

/**
 * LION-2 near zero: resumed with a given momentum m and a first gradient g = −8.5·m, so the
 * interpolation β₁·m + (1−β₁)·g = 0.05·m is small and keeps m's sign, while one computed from the
 * momentum already updated at β₂ (0.891·m + 0.109·g = −0.0355·m) has the other sign.
 */
function lionNearZero(): GoldenSpec {
  const spec = basic({
    name: 'lion-sign-near-zero-float32',
    definition: 'lion',
    seed: 753,
    dtype: 'float32',
    steps: 4,
    description: 'Lion resumed at step 20 with a first gradient of −8.5 times the momentum: the interpolation near zero, its sign from m',
    hyper: { lr: f32(0.01), beta1: f32(0.9), beta2: f32(0.99), weight_decay: f32(0.01) },
    state: (next, n) => ({ step: 20, exp_avg: vector(next, n, 'float32', 0.1) }),
  });
  const m = spec.state!.exp_avg as number[];
  return { ...spec, steps: spec.steps.map((s, k) => (k === 0 ? { grad: m.map((x) => f32(-8.5 * x)) } : s)) };
}

function lionSpecs(): GoldenSpec[] {
  return [
    zeroGradient(
      basic({
        name: 'lion-float32',
        definition: 'lion',
        seed: 751,
        dtype: 'float32',
        steps: 6,
        description: 'optax.lion with decoupled decay; element 0 has no gradient at steps 1 and 2, where the interpolation is 0 and its sign 0',
        hyper: { lr: f32(0.01), beta1: f32(0.9), beta2: f32(0.99), weight_decay: f32(0.1) },
      }),
      0,
      [0, 1],
    ),
    lionNearZero(),
    zeroGradient(
      basic({
        name: 'lion-float64',
        definition: 'lion',
        seed: 752,
        dtype: 'float64',
        steps: 6,
        description: 'Lion at the defaults, lr 1e-3 (float64 inputs); element 0 has no gradient at step 1',
        hyper: { lr: f32(1e-3), beta1: f32(0.9), beta2: f32(0.99), weight_decay: f32(1e-3) },
      }),
      0,
      [0],
    ),
  ];
}

/** GOLD-2, GOLD-8: the curated cases of the six families, each chosen to tell right from wrong at every dtype it lists. */
export function adaptiveSpecs(): GoldenSpec[] {
  return [...adagradSpecs(), ...adadeltaSpecs(), ...adamaxSpecs(), ...nadamSpecs(), ...radamSpecs(), ...lionSpecs()];
}
