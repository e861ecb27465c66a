/**
 * Every optimizer family and named variant the reference knows: its hyperparameters (names and
 * PyTorch's defaults), its state names, the clauses it implements and its element step.
 */
import { adamEpsHatStep, adamEpsInsideSqrtStep, adamNoBiasCorrectionStep, adamStep } from './adam.ts';
import { adamwPaperStep, adamwStep } from './adamw.ts';
import { ewmaStep } from './ewma.ts';
import { flag, num, type ElementStep, type Hyper, type HyperSpec } from './notation.ts';
import { rmspropStep, rmspropTensorflowStep } from './rmsprop.ts';
import { sgdDecoupledDecayStep, sgdLerpMomentumStep, sgdLrInBufferStep, sgdStep } from './sgd.ts';

export type Family = 'sgd' | 'rmsprop' | 'adam' | 'adamw' | 'ewma';
export const FAMILIES: readonly Family[] = ['sgd', 'rmsprop', 'adam', 'adamw', 'ewma'];

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
const adamBase = { family: 'adam' as const, hyper: adamHyper(0), stateNames: adamStateNames, invalid: adamInvalid };
const adamwBase = { family: 'adamw' as const, hyper: adamHyper(0.01), stateNames: adamStateNames, invalid: adamInvalid };

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

/** The canonical definition of a family, or a named variant (`adam/eps-inside-sqrt` or `eps-inside-sqrt`). */
export function findOptimizer(family: string, variant?: string): OptimizerDef | undefined {
  const name = variant === undefined || variant === '' || variant === family ? family : variant.includes('/') ? variant : `${family}/${variant}`;
  return OPTIMIZERS.find((o) => o.name === name && o.family === family);
}

/** The named variants of a family (not its canonical step). */
export function variantsOf(family: Family): OptimizerDef[] {
  return OPTIMIZERS.filter((o) => o.family === family && o.name !== family);
}
