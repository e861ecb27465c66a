/**
 * Hyperparameters: float32-exact, finite, valid per the family's `invalid` rule (registry.ts),
 * with the canonical value first in every weighted `fc.oneof` so failures shrink to defaults
 * (weight_decay 0, momentum 0, amsgrad false). In 16-bit dtypes every number is also a value of
 * the dtype, so holding hyperparameters in the dtype changes nothing, and no β rounds to 1.
 */
import fc from 'fast-check';
import { FORMATS, roundDoubleToDtype, type Dtype } from '../../../reference/dtype.ts';
import { findOptimizer, type Family } from '../../../reference/registry.ts';
import type { WireHyper, WireRanges } from '../../protocol/messages.ts';
import { checkRanges, choicesWithin, intervalOf, type Interval } from './ranges.ts';

/** PROTO-4: the wire ranges as intervals, by name. */
export const intervals = (ranges: WireRanges = {}): Record<string, Interval> =>
  Object.fromEntries(Object.entries(ranges).map(([name, r]) => [name, intervalOf(r)]));
import { CROSS } from './magnitudes.ts';

type Weighted<T> = readonly (readonly [T, number])[];

/** A weighted choice among constants; shrinks toward the first. */
export function weighted<T>(choices: Weighted<T>): fc.Arbitrary<T> {
  return fc.oneof(CROSS, ...choices.filter(([, w]) => w > 0).map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));
}

const sixteenBit = (dtype: Dtype): boolean => dtype === 'float16' || dtype === 'bfloat16';

/** A nominal value as the hyperparameter sent: float32-exact, and a value of a 16-bit dtype. */
export function hyperValue(nominal: number, dtype: Dtype): number {
  const f = Math.fround(nominal);
  return sixteenBit(dtype) ? roundDoubleToDtype(f, dtype) : f;
}

/** A decay rate in [0, 1): rounded like `hyperValue`, but never to 1 (bfloat16 holds 0.999 as 1). */
export function rateValue(nominal: number, dtype: Dtype): number {
  const r = hyperValue(nominal, dtype);
  if (r < 1) return r;
  return sixteenBit(dtype) ? 1 - 2 ** -FORMATS[dtype].precision : Math.fround(1 - 2 ** -24);
}

/** PROTO-4: the choices as values sent (`value`), kept inside `range` when there is one. */
const numbers = (
  dtype: Dtype,
  value: (x: number, d: Dtype) => number,
  choices: Weighted<number>,
  named?: { name: string; range?: Interval },
): fc.Arbitrary<number> => {
  const sent = choices.map(([x, w]) => [value(x, dtype), w] as const);
  return weighted(named === undefined ? sent : choicesWithin(named.name, sent, named.range, (x) => value(x, dtype)));
};

/** Learning rates; float16 leaves out the large ones so a run cannot drift past 65504. */
export function lrChoices(dtype: Dtype): Weighted<number> {
  const big = dtype === 'float16' ? 0 : 1;
  return [
    [1e-3, 6],
    [1e-2, 4],
    [1e-4, 2],
    [0.1, 2 * big],
    [0.5, big],
    [0, 1],
  ];
}
export const lrArb = (dtype: Dtype, range?: Interval): fc.Arbitrary<number> => numbers(dtype, hyperValue, lrChoices(dtype), { name: 'lr', range });

/** ε per dtype: 1e-8 is below float16's smallest subnormal, so float16 starts at tfjs's 1e-4. */
export function epsChoices(dtype: Dtype): Weighted<number> {
  if (dtype === 'float16')
    return [
      [1e-4, 3],
      [1e-3, 1],
      [1e-2, 1],
      [0.1, 1],
    ];
  return [
    [1e-8, 3],
    [1e-6, 1],
    [1e-3, 1],
    [0.1, 1],
  ];
}

const noF16 = (dtype: Dtype): number => (dtype === 'float16' ? 0 : 1);

/** Adagrad's ε (default 1e-10, below float16's range: there the smallest choices start at 1e-4). */
function adagradEpsChoices(dtype: Dtype): Weighted<number> {
  return dtype === 'float16' ? epsChoices(dtype) : [[1e-10, 3], ...epsChoices(dtype)];
}

/**
 * β₂ for RAdam, aimed at the threshold crossing at small t (RADAM-3): 0.999 crosses ρₜ > 5 at t = 6,
 * 0.99 at t = 6 too, 0.9 at t = 7, 0.8 at t = 9, 0.75 at t = 8 (ρ∞ = 7), 0.6 never (ρ∞ = 4 ≤ 5), and
 * 0.7 has ρ∞ ≈ 5.67 with ρₜ inside (4, 5] for t = 6 … 8, where the paper's threshold 4 and PyTorch's 5 part.
 */
const radamBeta2 = (dtype: Dtype): Weighted<number> => [
  [0.999, 4],
  [0.99, 1],
  [0.9, 1],
  [0.8, 1],
  [0.75, 1],
  [0.7, 2],
  [0.6, 1],
  [0.9999, noF16(dtype)],
];

/** The families of issue 12 (Adagrad … Lion), one arbitrary per hyperparameter name. */
function perNameAdaptive(
  family: Family,
  dtype: Dtype,
  common: { weightDecay: fc.Arbitrary<number>; eps: fc.Arbitrary<number>; lr: fc.Arbitrary<number> },
): Record<string, fc.Arbitrary<number | boolean>> | undefined {
  const rate = (choices: Weighted<number>) => numbers(dtype, rateValue, choices);
  const value = (choices: Weighted<number>) => numbers(dtype, hyperValue, choices);
  const beta1 = rate([
    [0.9, 4],
    [0, 1],
    [0.5, 2],
    [0.99, 1],
  ]);
  const beta2 = rate([
    [0.999, 4],
    [0.99, 1],
    [0.9, 1],
    [0.5, 1],
  ]);
  switch (family) {
    case 'adagrad':
      return {
        lr: common.lr,
        lr_decay: value([
          [0, 3],
          [0.1, 1],
          [1e-3, 1],
          [0.5, 1],
        ]),
        weight_decay: common.weightDecay,
        // 0 (PyTorch) and 0.1 (TensorFlow, Keras, optax, TF.js)
        initial_accumulator_value: value([
          [0, 3],
          [0.1, 2],
          [1e-3, 1],
          [1, 1],
        ]),
        eps: value(adagradEpsChoices(dtype)),
      };
    case 'adadelta':
      return {
        lr: value([
          [1, 4],
          [0.1, 1],
          [1e-2, 1],
          [0.5, 1],
        ]),
        // ρ = 1 is admissible (PyTorch): the square averages never move
        rho: weighted<number>([
          [rateValue(0.9, dtype), 4],
          [rateValue(0.5, dtype), 1],
          [rateValue(0.95, dtype), 1],
          [rateValue(0.99, dtype), noF16(dtype)],
          [0, 1],
          [1, 1],
        ]),
        // ε-dominated start (ADADELTA-3): the first steps are √ε-sized whatever the gradient
        eps: value(
          dtype === 'float16'
            ? [
                [1e-4, 3],
                [1e-3, 1],
                [1e-2, 1],
              ]
            : [
                [1e-6, 3],
                [1e-8, 1],
                [1e-3, 1],
                [0.1, 1],
              ],
        ),
        weight_decay: common.weightDecay,
      };
    case 'adamax':
      // β₂ below 0.999 lets |g′| + ε overtake β₂·u often: the maximum switches sides (ADAMAX-3)
      return {
        lr: common.lr,
        beta1,
        beta2: rate([
          [0.999, 3],
          [0.9, 2],
          [0.5, 2],
          [0.99, 1],
          [0, 1],
        ]),
        eps: common.eps,
        weight_decay: common.weightDecay,
      };
    case 'nadam':
      return {
        lr: common.lr,
        beta1,
        beta2,
        eps: common.eps,
        weight_decay: common.weightDecay,
        // 0.004 (PyTorch), 1 (Keras's schedule, NADAM-2), 0 (μ = β₁/2), 0.1
        momentum_decay: value([
          [0.004, 4],
          [1, 1],
          [0, 1],
          [0.1, 1],
        ]),
      };
    case 'radam':
      return { lr: common.lr, beta1, beta2: rate(radamBeta2(dtype)), eps: common.eps, weight_decay: common.weightDecay };
    case 'lion':
      return {
        lr: value([
          [1e-4, 4],
          [1e-3, 2],
          [1e-2, 1],
          [0.1, noF16(dtype)],
        ]),
        // β₁ = 0.5 makes c = (m + g)/2 exact, so c = 0 exactly where g = −m (LION-2)
        beta1: rate([
          [0.9, 4],
          [0.5, 2],
          [0.95, 1],
          [0, 1],
        ]),
        beta2: rate([
          [0.99, 4],
          [0.98, 1],
          [0.9, 1],
          [0.5, 1],
        ]),
        weight_decay: value([
          [1e-3, 3],
          [0, 2],
          [1e-2, 1],
          [0.1, 1],
        ]),
      };
    default:
      return undefined;
  }
}

/** One arbitrary per hyperparameter name, inside its range (PROTO-4), before the cross-constraints (Nesterov) are applied. */
function perName(family: Family, dtype: Dtype, ranges: Readonly<Record<string, Interval>> = {}): Record<string, fc.Arbitrary<number | boolean>> {
  const num = (name: string, value: (x: number, d: Dtype) => number, choices: Weighted<number>) =>
    numbers(dtype, value, choices, { name, range: ranges[name] });
  const lr = lrArb(dtype, ranges.lr);
  const momentum = num('momentum', rateValue, [
    [0, 4],
    [0.9, 4],
    [0.5, 1],
    [0.99, noF16(dtype)],
  ]);
  const weightDecay = num('weight_decay', hyperValue, [
    [0, 4],
    [1e-2, 2],
    [1e-4, 1],
    [0.1, 1],
  ]);
  const eps = num('eps', hyperValue, epsChoices(dtype));
  const bool = (pTrue: number): fc.Arbitrary<boolean> =>
    weighted([
      [false, 3 - pTrue],
      [true, pTrue],
    ]);
  // PROTO-4: the learning rate's range holds for these families too; their other ranges are not yet honoured
  const adaptive = perNameAdaptive(family, dtype, { weightDecay, eps, lr });
  if (adaptive !== undefined) return adaptive;
  switch (family) {
    case 'sgd':
      return {
        lr,
        momentum,
        dampening: num('dampening', hyperValue, [
          [0, 3],
          [0.1, 1],
          [0.5, 1],
          [0.9, 1],
          [1, 1],
        ]),
        weight_decay: weightDecay,
        nesterov: bool(1),
      };
    case 'rmsprop':
      return {
        lr,
        alpha: num('alpha', rateValue, [
          [0.99, 3],
          [0.9, 1],
          [0.5, 1],
          [0.999, noF16(dtype)],
          [0, noF16(dtype)],
        ]),
        eps,
        weight_decay: weightDecay,
        momentum,
        centered: bool(1),
      };
    case 'adam':
    case 'adamw':
      return {
        lr,
        beta1: num('beta1', rateValue, [
          [0.9, 4],
          [0, 1],
          [0.5, 1],
          [0.99, 1],
        ]),
        beta2: num('beta2', rateValue, [
          [0.999, 4],
          [0.99, 1],
          [0.9, 1],
          [0.9999, 1],
          [0.5, 1],
        ]),
        eps,
        weight_decay: weightDecay,
        amsgrad: bool(1),
      };
    default:
      return {
        beta: num('beta', rateValue, [
          [0.98, 3],
          [0.9, 1],
          [0.99, 1],
          [0.5, 1],
          [0, 1],
          [0.999, 1],
        ]),
      };
  }
}

/**
 * Checks pins against the family once, when the arbitrary is built: unknown names, wrong kinds
 * and pins that admit no valid case are errors (a runner must not silently test something else).
 */
export function checkPins(family: Family, fixed: WireHyper): void {
  const def = findOptimizer(family);
  if (!def) throw new Error(`unknown optimizer family ${family}`);
  for (const [name, value] of Object.entries(fixed)) {
    const spec = def.hyper.find((s) => s.name === name);
    if (!spec) throw new Error(`fixed: ${family} has no hyperparameter ${name}`);
    if (typeof value !== (spec.kind === 'boolean' ? 'boolean' : 'number') || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new Error(`fixed: ${family}.${name} must be ${spec.kind === 'boolean' ? 'true or false' : 'a finite number'}`);
    }
  }
  const num = (name: string): number | undefined => (typeof fixed[name] === 'number' ? (fixed[name] as number) : undefined);
  const bad = (what: string): never => {
    throw new Error(`fixed: ${family} pins admit no valid case (${what})`);
  };
  const rates = ['momentum', 'alpha', 'beta1', 'beta2', 'beta'];
  for (const name of rates) {
    const v = num(name);
    if (v !== undefined && (v < 0 || v >= 1)) bad(`${name} must be in [0, 1)`);
  }
  const rho = num('rho');
  if (rho !== undefined && (rho < 0 || rho > 1)) bad('rho must be in [0, 1]');
  for (const name of ['lr', 'eps', 'weight_decay', 'lr_decay', 'initial_accumulator_value', 'momentum_decay']) {
    const v = num(name);
    if (v !== undefined && v < 0) bad(`${name} must be ≥ 0`);
  }
  const d = num('dampening');
  if (d !== undefined && (d < 0 || d > 1)) bad('dampening must be in [0, 1]');
  if (family === 'sgd' && fixed.nesterov === true && (num('momentum') === 0 || (d !== undefined && d !== 0))) {
    bad('nesterov needs momentum > 0 and dampening = 0');
  }
}

/** SGD's Nesterov rule, repaired toward validity without touching a pinned name (a map, not a filter). */
function repairSgd(h: Record<string, number | boolean>, fixed: WireHyper, dtype: Dtype): Record<string, number | boolean> {
  if (h.nesterov !== true || ((h.momentum as number) > 0 && h.dampening === 0)) return h;
  if (fixed.nesterov === undefined) return { ...h, nesterov: false };
  return {
    ...h,
    momentum: (h.momentum as number) > 0 ? h.momentum : rateValue(0.9, dtype),
    dampening: 0,
  };
}

/** The case's hyperparameters: every name the family has, in the registry's order, pins as given, the rest inside their ranges (PROTO-4). */
export function hyperArb(family: Family, dtype: Dtype, fixed: WireHyper = {}, ranges: WireRanges = {}): fc.Arbitrary<WireHyper> {
  checkPins(family, fixed);
  checkRanges(family, ranges, fixed, (x) => hyperValue(x, dtype));
  const arbs = perName(family, dtype, intervals(ranges));
  const record: Record<string, fc.Arbitrary<number | boolean>> = {};
  for (const [name, arb] of Object.entries(arbs)) {
    const pin = fixed[name];
    record[name] = pin === undefined ? arb : fc.constant(pin);
  }
  return fc.record(record).map((h) => (family === 'sgd' ? repairSgd(h, fixed, dtype) : h));
}

/** Whether the family has a learning rate (all but the EWMA loss average). */
export const hasLr = (family: Family): boolean => family !== 'ewma';
/** Whether the family has an ε its gradients can be compared with. */
export const hasEps = (family: Family): boolean => family !== 'sgd' && family !== 'lion' && family !== 'ewma';

/**
 * The scale of |g| at which ε matters: ε itself where it is added to a root or to |g| (√v + ε,
 * |g| + ε), √ε where it is added to squares under a root (Adadelta's √(v + ε), ADADELTA-3).
 */
export function epsScale(family: Family, eps: number): number {
  return family === 'adadelta' ? Math.sqrt(eps) : eps;
}
