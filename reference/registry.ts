/**
 * Every optimizer family and named variant the reference knows: its hyperparameters (names and
 * PyTorch's defaults), its state names, the clauses it implements and its element step.
 */
import { adadeltaStaleDenominatorStep, adadeltaStep } from './adadelta.ts';
import { adagradEpsInsideRootStep, adagradForeachLrFloat32Step, adagradStep } from './adagrad.ts';
import { adamEpsHatStep, adamEpsInsideSqrtStep, adamNoBiasCorrectionStep, adamStep } from './adam.ts';
import { adamaxEpsAfterMaxStep, adamaxStep } from './adamax.ts';
import { adamwPaperStep, adamwStep } from './adamw.ts';
import { ewmaStep } from './ewma.ts';
import { lionStep } from './lion.ts';
import { nadamMuProductTwiceStep, nadamNoScheduleStep, nadamStep } from './nadam.ts';
import { flag, num, resolveHyper, type ElementStep, type Hyper, type HyperSpec } from './notation.ts';
import { radamEpsAfterCorrectionStep, radamForeachNoEpsStep, radamStep, radamThreshold4Step } from './radam.ts';
import { rmspropStep, rmspropTensorflowStep } from './rmsprop.ts';
import { sgdDecoupledDecayStep, sgdLerpMomentumStep, sgdLrInBufferStep, sgdStep } from './sgd.ts';

export type Family = 'sgd' | 'rmsprop' | 'adam' | 'adamw' | 'adagrad' | 'adadelta' | 'adamax' | 'nadam' | 'radam' | 'lion' | 'ewma';
export const FAMILIES: readonly Family[] = ['sgd', 'rmsprop', 'adam', 'adamw', 'adagrad', 'adadelta', 'adamax', 'nadam', 'radam', 'lion', 'ewma'];

export interface OptimizerDef {
  readonly family: Family;
  /** `adam` for the canonical step, `adam/eps-inside-sqrt` for a variant */
  readonly name: string;
  readonly summary: string;
  readonly clauses: readonly string[];
  readonly hyper: readonly HyperSpec[];
  /** per-element state names an input state must carry (NOTE-2) */
  stateNames(h: Hyper): readonly string[];
  /** a message naming the first inadmissible hyperparameter, or undefined */
  invalid(h: Hyper): string | undefined;
  readonly step: ElementStep;
  /**
   * NOTE-2, ADAGRAD-3, NADAM-3: state arrays a fresh optimizer does not start at zero — a constant,
   * or the name of the hyperparameter whose value fills them
   */
  readonly fresh?: Readonly<Record<string, number | string>>;
}

/** A known defect (spec/defects.md): a released library's deviation, built from the family's parts like a variant, never sent to an implementation. */
export interface DefectDef extends OptimizerDef {
  /** `torch-1.13/radam-foreach-eps` */
  readonly name: string;
  /** the upstream report or fix (`pytorch/pytorch#92551`), or what is known instead */
  readonly upstream: string;
  /** the first release with the fix, or undefined where none is known */
  readonly fixedIn?: string;
}

const n = (name: string, dflt?: number): HyperSpec => ({ name, kind: 'number', default: dflt });
const b = (name: string, dflt: boolean): HyperSpec => ({ name, kind: 'boolean', default: dflt });

function firstInvalid(checks: readonly [boolean, string][]): string | undefined {
  return checks.find(([bad]) => bad)?.[1];
}
const nonNegative = (h: Hyper, name: string): [boolean, string] => [num(h, name).isNegative(), `${name} must be ≥ 0`];
const unitInterval = (h: Hyper, name: string): [boolean, string] => [num(h, name).isNegative() || num(h, name).gte(1), `${name} must be in [0, 1)`];

const SGD_HYPER = [n('lr'), n('momentum', 0), n('dampening', 0), n('weight_decay', 0), b('nesterov', false)];
const sgdBase = {
  family: 'sgd' as const,
  hyper: SGD_HYPER,
  stateNames: (h: Hyper) => (num(h, 'momentum').isZero() ? [] : ['momentum_buffer']),
  invalid: (h: Hyper) =>
    firstInvalid([
      nonNegative(h, 'lr'),
      unitInterval(h, 'momentum'),
      [num(h, 'dampening').isNegative() || num(h, 'dampening').gt(1), 'dampening must be in [0, 1]'],
      nonNegative(h, 'weight_decay'),
      [flag(h, 'nesterov') && (num(h, 'momentum').isZero() || !num(h, 'dampening').isZero()), 'nesterov needs momentum > 0 and dampening = 0'],
    ]),
};

const RMSPROP_HYPER = [n('lr', 0.01), n('alpha', 0.99), n('eps', 1e-8), n('weight_decay', 0), n('momentum', 0), b('centered', false)];
const rmspropBase = {
  family: 'rmsprop' as const,
  hyper: RMSPROP_HYPER,
  stateNames: (h: Hyper) => ['square_avg', ...(num(h, 'momentum').isZero() ? [] : ['momentum_buffer']), ...(flag(h, 'centered') ? ['grad_avg'] : [])],
  invalid: (h: Hyper) =>
    firstInvalid([nonNegative(h, 'lr'), unitInterval(h, 'alpha'), nonNegative(h, 'eps'), nonNegative(h, 'weight_decay'), unitInterval(h, 'momentum')]),
};

const adamHyper = (weightDecay: number) => [
  n('lr', 0.001),
  n('beta1', 0.9),
  n('beta2', 0.999),
  n('eps', 1e-8),
  n('weight_decay', weightDecay),
  b('amsgrad', false),
];
const adamInvalid = (h: Hyper) =>
  firstInvalid([nonNegative(h, 'lr'), unitInterval(h, 'beta1'), unitInterval(h, 'beta2'), nonNegative(h, 'eps'), nonNegative(h, 'weight_decay')]);
const adamStateNames = (h: Hyper) => ['exp_avg', 'exp_avg_sq', ...(flag(h, 'amsgrad') ? ['max_exp_avg_sq'] : [])];
const adamLikeHyper = [n('lr', 0.002), n('beta1', 0.9), n('beta2', 0.999), n('eps', 1e-8), n('weight_decay', 0)];
const adamLikeInvalid = adamInvalid;
const adamBase = { family: 'adam' as const, hyper: adamHyper(0), stateNames: adamStateNames, invalid: adamInvalid };
const adamwBase = { family: 'adamw' as const, hyper: adamHyper(0.01), stateNames: adamStateNames, invalid: adamInvalid };

const adagradBase = {
  family: 'adagrad' as const,
  hyper: [n('lr', 0.01), n('lr_decay', 0), n('weight_decay', 0), n('initial_accumulator_value', 0), n('eps', 1e-10)],
  stateNames: () => ['sum'],
  fresh: { sum: 'initial_accumulator_value' },
  invalid: (h: Hyper) => firstInvalid(['lr', 'lr_decay', 'weight_decay', 'initial_accumulator_value', 'eps'].map((name) => nonNegative(h, name))),
};
const adadeltaBase = {
  family: 'adadelta' as const,
  hyper: [n('lr', 1.0), n('rho', 0.9), n('eps', 1e-6), n('weight_decay', 0)],
  stateNames: () => ['square_avg', 'acc_delta'],
  invalid: (h: Hyper) =>
    firstInvalid([
      nonNegative(h, 'lr'),
      [num(h, 'rho').isNegative() || num(h, 'rho').gt(1), 'rho must be in [0, 1]'],
      nonNegative(h, 'eps'),
      nonNegative(h, 'weight_decay'),
    ]),
};
const adamaxBase = { family: 'adamax' as const, hyper: adamLikeHyper, stateNames: () => ['exp_avg', 'exp_inf'], invalid: adamLikeInvalid };
const nadamBase = {
  family: 'nadam' as const,
  hyper: [...adamLikeHyper, n('momentum_decay', 0.004)],
  stateNames: () => ['exp_avg', 'exp_avg_sq', 'mu_product'],
  fresh: { mu_product: 1 },
  invalid: (h: Hyper) => adamLikeInvalid(h) ?? firstInvalid([nonNegative(h, 'momentum_decay')]),
};
const radamBase = {
  family: 'radam' as const,
  hyper: [n('lr', 0.001), ...adamLikeHyper.slice(1)],
  stateNames: () => ['exp_avg', 'exp_avg_sq'],
  invalid: adamLikeInvalid,
};

/** PROTO-7: every family and variant with its hyperparameters, defaults and state names. */
export const OPTIMIZERS: readonly OptimizerDef[] = [
  {
    ...sgdBase,
    name: 'sgd',
    summary: 'torch.optim.SGD: L2 decay, PyTorch momentum buffer, dampening, Nesterov',
    clauses: ['SGD-1', 'SGD-2', 'SGD-3', 'SGD-4'],
    step: sgdStep,
  },
  { ...sgdBase, name: 'sgd/lerp-momentum', summary: "the notes' momentum, step = β·step + (1−β)·grad", clauses: ['SGD-5'], step: sgdLerpMomentumStep },
  { ...sgdBase, name: 'sgd/decoupled-decay', summary: 'SGDW: θ ← θ − lr·λ·θ instead of L2', clauses: ['SGD-6'], step: sgdDecoupledDecayStep },
  { ...sgdBase, name: 'sgd/lr-in-buffer', summary: 'v = μ·v − lr·g, θ += v (Keras, scikit-learn)', clauses: ['SGD-7'], step: sgdLrInBufferStep },
  {
    ...rmspropBase,
    name: 'rmsprop',
    summary: 'torch.optim.RMSprop: ε outside the root, lr outside the momentum buffer',
    clauses: ['RMSPROP-1', 'RMSPROP-2', 'RMSPROP-3', 'RMSPROP-4', 'RMSPROP-5', 'RMSPROP-6'],
    step: rmspropStep,
  },
  {
    ...rmspropBase,
    name: 'rmsprop/tensorflow',
    summary: 'TensorFlow: ε inside the root, lr inside the momentum accumulator',
    clauses: ['RMSPROP-7'],
    step: rmspropTensorflowStep,
  },
  {
    ...adamBase,
    name: 'adam',
    summary: 'torch.optim.Adam: bias correction, ε added to √v̂, L2 decay, AMSGrad',
    clauses: ['ADAM-1', 'ADAM-2', 'ADAM-3', 'ADAM-4', 'ADAM-5', 'ADAM-6'],
    step: adamStep,
  },
  {
    ...adamBase,
    name: 'adam/no-bias-correction',
    summary: "the notes' spreadsheet Adam: no bias correction",
    clauses: ['ADAM-7'],
    step: adamNoBiasCorrectionStep,
  },
  { ...adamBase, name: 'adam/eps-inside-sqrt', summary: 'ε inside the square root, m̂/√(v̂ + ε)', clauses: ['ADAM-8'], step: adamEpsInsideSqrtStep },
  { ...adamBase, name: 'adam/eps-hat', summary: "Kingma & Ba's efficient form, ε̂ added to the uncorrected √v", clauses: ['ADAM-9'], step: adamEpsHatStep },
  { ...adamwBase, name: 'adamw', summary: 'torch.optim.AdamW: decay decoupled and scaled by lr', clauses: ['ADAMW-1', 'ADAMW-2'], step: adamwStep },
  {
    ...adamwBase,
    name: 'adamw/paper',
    summary: 'AdamW paper, Algorithm 2: θ −= η·(α·d + λ·θ), decay not scaled by α',
    clauses: ['ADAMW-3'],
    step: adamwPaperStep,
    hyper: [...adamHyper(0.01), n('schedule_multiplier', 1)],
  },
  {
    ...adamwBase,
    name: 'adamw/l2-coupled',
    summary: 'Adam with L2 (torch.optim.Adam(weight_decay=λ)) under the AdamW name',
    clauses: ['ADAM-1'],
    step: adamStep,
  },
  {
    ...adagradBase,
    name: 'adagrad',
    summary: 'torch.optim.Adagrad: accumulated squares, ε outside the root, lr_decay, L2',
    clauses: ['ADAGRAD-1', 'ADAGRAD-2', 'ADAGRAD-3', 'ADAGRAD-4'],
    step: adagradStep,
  },
  {
    ...adagradBase,
    name: 'adagrad/eps-inside-sqrt',
    summary: 'ε inside the root, √(sum + ε) (TensorFlow, Keras, optax, TF.js)',
    clauses: ['ADAGRAD-5'],
    step: adagradEpsInsideRootStep,
  },
  {
    ...adadeltaBase,
    name: 'adadelta',
    summary: 'torch.optim.Adadelta: Zeiler’s Algorithm 1 with lr, ε inside both roots',
    clauses: ['ADADELTA-1', 'ADADELTA-2', 'ADADELTA-3', 'ADADELTA-4', 'ADADELTA-5'],
    step: adadeltaStep,
  },
  {
    ...adamaxBase,
    name: 'adamax',
    summary: 'torch.optim.Adamax: u = max(β₂·u, |g| + ε), first moment bias-corrected',
    clauses: ['ADAMAX-1', 'ADAMAX-2', 'ADAMAX-3', 'ADAMAX-4'],
    step: adamaxStep,
  },
  {
    ...adamaxBase,
    name: 'adamax/eps-after-max',
    summary: 'u = max(β₂·u, |g|), ε added to u in the update (Keras, TensorFlow, TF.js)',
    clauses: ['ADAMAX-5'],
    step: adamaxEpsAfterMaxStep,
  },
  {
    ...nadamBase,
    name: 'nadam',
    summary: 'torch.optim.NAdam (foreach, 2.x): momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)), μ products',
    clauses: ['NADAM-1', 'NADAM-2', 'NADAM-3', 'NADAM-4', 'NADAM-5'],
    step: nadamStep,
  },
  {
    ...nadamBase,
    name: 'nadam/no-schedule',
    summary: 'μₜ = β₁, no schedule: optax’s Nesterov Adam (momentum_decay ignored)',
    clauses: ['NADAM-6'],
    step: nadamNoScheduleStep,
  },
  {
    ...radamBase,
    name: 'radam',
    summary: 'torch.optim.RAdam: rectified when ρₜ > 5, ε on the uncorrected root',
    clauses: ['RADAM-1', 'RADAM-2', 'RADAM-3', 'RADAM-4', 'RADAM-5'],
    step: radamStep,
  },
  { ...radamBase, name: 'radam/threshold-4', summary: 'rectified when ρₜ > 4, the paper’s threshold', clauses: ['RADAM-6'], step: radamThreshold4Step },
  {
    ...radamBase,
    name: 'radam/eps-after-correction',
    summary: 'ε added to √v̂ after the bias correction in the rectified step (fastai, optax)',
    clauses: ['RADAM-8'],
    step: radamEpsAfterCorrectionStep,
  },
  {
    family: 'lion',
    name: 'lion',
    summary: 'optax.lion: sign(β₁·m + (1−β₁)·g), decoupled decay scaled by lr, m updated at β₂',
    clauses: ['LION-1', 'LION-2', 'LION-3', 'LION-4'],
    hyper: [n('lr'), n('beta1', 0.9), n('beta2', 0.99), n('weight_decay', 0.001)],
    stateNames: () => ['exp_avg'],
    invalid: (h) => firstInvalid([nonNegative(h, 'lr'), unitInterval(h, 'beta1'), unitInterval(h, 'beta2'), nonNegative(h, 'weight_decay')]),
    step: lionStep,
  },
  {
    family: 'ewma',
    name: 'ewma',
    summary: 'the fastai loss average, avg = avg·β + x·(1−β), debiased by 1 − βᵗ',
    clauses: ['EWMA-2', 'EWMA-3', 'EWMA-4'],
    hyper: [n('beta', 0.98)],
    stateNames: () => [],
    invalid: (h) => firstInvalid([unitInterval(h, 'beta')]),
    step: ewmaStep,
  },
];

/** DEFECT-1, DEFECT-2, DEFECT-3, DEFECT-4: the known defects (spec/defects.md), each its family's step with one part replaced. */
export const KNOWN_DEFECTS: readonly DefectDef[] = [
  {
    ...radamBase,
    name: 'torch-1.13/radam-foreach-eps',
    summary: 'PyTorch 1.13 RAdam(foreach=True): no ε anywhere, both branches every step (NaN where v = 0)',
    clauses: ['DEFECT-1'],
    step: radamForeachNoEpsStep,
    upstream: 'pytorch/pytorch#92551',
    fixedIn: '2.0.0',
  },
  {
    ...nadamBase,
    name: 'torch-1.13/nadam-mu-product',
    summary: 'PyTorch 1.13 NAdam single-tensor: μₜ counted twice in the next-step product',
    clauses: ['DEFECT-2'],
    step: nadamMuProductTwiceStep,
    upstream: 'pytorch/pytorch#92699',
    fixedIn: '2.0.0',
  },
  {
    ...adagradBase,
    name: 'torch-1.13/adagrad-foreach-lr-float32',
    summary: 'PyTorch 1.13 Adagrad(foreach=True): lr/(1 + (t−1)·lr_decay) computed in float32',
    clauses: ['DEFECT-3'],
    step: adagradForeachLrFloat32Step,
    upstream: 'no fix identified; PyTorch 2.x computes it in double',
  },
  {
    ...adadeltaBase,
    name: 'tfjs-4.22/adadelta-stale-denominator',
    summary: 'TF.js 4.22 tf.train.adadelta: the delta divided by √(vₜ₋₁ + ε), the previous square average',
    clauses: ['DEFECT-4'],
    step: adadeltaStaleDenominatorStep,
    upstream: 'no report or fix found',
  },
];

/** The known defects of a family (DEFECT-1 …). */
export function defectsOf(family: Family): DefectDef[] {
  return KNOWN_DEFECTS.filter((d) => d.family === family);
}

/** DEFECT-1, DEFECT-2, DEFECT-3, DEFECT-4: where a known defect was reported and fixed: `fixed by pytorch/pytorch#92551`, or the catalog's words. */
export function defectSource(d: DefectDef): string {
  return d.fixedIn !== undefined ? `fixed by ${d.upstream}` : d.upstream;
}

/** How a report names a known defect: `known defect torch-1.13/radam-foreach-eps (fixed by pytorch/pytorch#92551)`. */
export function describeDefect(d: DefectDef): string {
  return `known defect ${d.name} (${defectSource(d)})`;
}

/** DEFECT-1, DEFECT-2, DEFECT-3, DEFECT-4: the known defect a fingerprint entry names (as `describeDefect` writes it), if any. */
export function defectDescribedAs(entry: string): DefectDef | undefined {
  return KNOWN_DEFECTS.find((d) => describeDefect(d) === entry);
}

/**
 * NOTE-2, ADAGRAD-3, NADAM-3: the double every element of a fresh state array starts at — 0, or the
 * family's constant (NAdam's μ product, 1), or a hyperparameter's value (Adagrad's
 * `initial_accumulator_value`) as in force at the first step.
 */
export function freshValue(def: OptimizerDef, name: string, hyper: Readonly<Record<string, unknown>>): number {
  const fresh = def.fresh?.[name];
  if (fresh === undefined) return 0;
  if (typeof fresh === 'number') return fresh;
  return num(
    resolveHyper<number>(def.hyper, hyper, [], (x) => x),
    fresh,
  );
}

/** NOTE-2: a fresh state array of n doubles (zeros as a Float64Array, or `freshValue` in every element). */
export function freshArray(def: OptimizerDef, name: string, hyper: Readonly<Record<string, unknown>>, n: number): Float64Array {
  const start = freshValue(def, name, hyper);
  return start === 0 ? new Float64Array(n) : new Float64Array(n).fill(start);
}

/** The canonical definition of a family, or a named variant (`adam/eps-inside-sqrt` or `eps-inside-sqrt`). */
export function findOptimizer(family: string, variant?: string): OptimizerDef | undefined {
  const name = variant === undefined || variant === '' || variant === family ? family : variant.includes('/') ? variant : `${family}/${variant}`;
  return OPTIMIZERS.find((o) => o.name === name && o.family === family);
}

/** A definition by family and name, canonical, variant or known defect (worker threads look the checked definition up by name). */
export function findDefinition(family: string, name: string): OptimizerDef | undefined {
  return findOptimizer(family, name) ?? KNOWN_DEFECTS.find((d) => d.family === family && d.name === name);
}

/** The named variants of a family (not its canonical step). */
export function variantsOf(family: Family): OptimizerDef[] {
  return OPTIMIZERS.filter((o) => o.family === family && o.name !== family);
}
