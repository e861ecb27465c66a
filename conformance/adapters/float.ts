/**
 * An honest binary-float implementation of every family (sgd, rmsprop, adam, adamw here; adagrad,
 * adadelta, adamax, nadam, radam and lion in adapters/float-adaptive.ts) with PyTorch's semantics,
 * written the way a framework author writes a kernel: every tensor operation is rounded to the
 * case's dtype, while hyperparameters and the bias-correction scalars stay doubles (host scalars).
 *
 * Arithmetic per dtype:
 * - float64: plain JavaScript arithmetic.
 * - float32: `Math.fround` after every operation (exact IEEE binary32, as tfjs's CPU backend).
 * - bfloat16, float16: each operation is evaluated in double ("opmath") from dtype-valued operands
 *   and double scalars, then rounded once to the dtype. This is PyTorch's `opmath_t` approach
 *   with double instead of float; it can differ from float32 opmath by a double rounding only.
 *
 * Each optimizer is composed of small named parts (the reference's structure, see reference/*.ts);
 * a `mutation` replaces exactly one part with a wrong formula, which is how conformance/adapters/mutants.ts
 * builds its corpus of optimizers that claim to be canonical and are not.
 */
import { DTYPES, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper, type HyperSpec } from '../../reference/notation.ts';
import { findOptimizer, freshValue, type OptimizerDef } from '../../reference/registry.ts';
import {
  descend,
  dtypeRounder,
  ewma,
  hb,
  hn,
  l2Gradient,
  opsFor,
  type Ctx,
  type ElementResult,
  type FloatHyper,
  type Kernel,
  type Round,
  type State,
} from './float-ops.ts';
import { ADAPTIVE_FAMILIES, ADAPTIVE_MUTATIONS, adaptiveKernels, type AdaptiveFamily, type AdaptiveMutationName } from './float-adaptive.ts';
import type { Implementation } from '../protocol/implementation.ts';
import { PROTOCOL, type HelloReply, type RunReply, type RunRequest, type WireArray, type WireState, type WireStepOutput } from '../protocol/messages.ts';
import { decodeNumber, encodeNumber } from '../protocol/wire.ts';

export { dtypeRounder, opsFor, type Ctx, type FloatHyper, type Ops, type Round } from './float-ops.ts';

// ---------------------------------------------------------------------------------------------
// SGD

/** A momentum scheme: the buffer and the step it drives, and how its buffer reads on the wire. */
interface MomentumScheme {
  step(p: number, g: number, buffer: number, c: Ctx, parts: SgdParts): { param: number; buffer: number };
  toWire(buffer: number, c: Ctx): number;
  fromWire(buffer: number, c: Ctx): number;
}

export interface SgdParts {
  /** SGD-2: the gradient the buffer sees */
  readonly gradient: (g: number, p: number, c: Ctx) => number;
  /** SGD-3: the momentum buffer from the old one */
  readonly buffer: (old: number, g: number, c: Ctx) => number;
  /** SGD-4: the direction, the buffer or Nesterov's g′ + μ·b */
  readonly direction: (g: number, oldBuffer: number, newBuffer: number, c: Ctx) => number;
  /** SGD-1: the descent step */
  readonly descend: (p: number, d: number, c: Ctx) => number;
  /** SGD-3/4 composed: lr outside the buffer (PyTorch) — or inside it, a variant */
  readonly momentum: MomentumScheme;
}

/** SGD-3: b₁ = g′ (no dampening on the first step), then b = μ·b + (1−τ)·g′. */
function torchBuffer(old: number, g: number, c: Ctx): number {
  if (c.t === 1) return g;
  const tau = hn(c, 'dampening');
  return c.o.add(c.o.mul(hn(c, 'momentum'), old), tau === 0 ? g : c.o.mul(1 - tau, g));
}

/** SGD-4: Nesterov's d = g′ + μ·bₜ with the buffer just updated, else d = bₜ. */
function torchDirection(g: number, _old: number, buffer: number, c: Ctx): number {
  return hb(c, 'nesterov') ? c.o.add(g, c.o.mul(hn(c, 'momentum'), buffer)) : buffer;
}

/** SGD-3 + SGD-1: the buffer is lr-free, lr multiplies the direction. */
const lrOutsideBuffer: MomentumScheme = {
  step(p, g, old, c, parts) {
    const buffer = parts.buffer(old, g, c);
    return { param: parts.descend(p, parts.direction(g, old, buffer, c), c), buffer };
  },
  toWire: (b) => b,
  fromWire: (b) => b,
};

export const canonicalSgdParts: SgdParts = {
  gradient: l2Gradient,
  buffer: torchBuffer,
  direction: torchDirection,
  descend,
  momentum: lrOutsideBuffer,
};

function sgdKernel(parts: SgdParts): Kernel {
  return {
    step(param, grad, state, c): ElementResult {
      const g = parts.gradient(grad, param, c);
      if (hn(c, 'momentum') === 0) return { param: parts.descend(param, g, c), state: {} };
      const { param: next, buffer } = parts.momentum.step(param, g, state.momentum_buffer ?? 0, c, parts);
      return { param: next, state: { momentum_buffer: buffer } };
    },
    toWire: (name, x, c) => (name === 'momentum_buffer' ? parts.momentum.toWire(x, c) : x),
    fromWire: (name, x, c) => (name === 'momentum_buffer' ? parts.momentum.fromWire(x, c) : x),
  };
}

// ---------------------------------------------------------------------------------------------
// RMSprop

export interface RmspropParts {
  readonly gradient: (g: number, p: number, c: Ctx) => number;
  /** RMSPROP-1: v ← α·v + (1−α)·g′² */
  readonly squareAverage: (v: number, g: number, c: Ctx) => number;
  /** RMSPROP-3: the centered estimate v − ḡ² (or v when not centered) */
  readonly meanSquare: (v: number, gradAvg: number, c: Ctx) => number;
  /** RMSPROP-2: ε outside the root, √s + ε */
  readonly denominator: (s: number, c: Ctx) => number;
  /** RMSPROP-4/5: the parameter (and momentum buffer) from g′ and the denominator */
  readonly apply: (p: number, g: number, den: number, buffer: number, c: Ctx) => { param: number; buffer?: number };
}

export const canonicalRmspropParts: RmspropParts = {
  gradient: l2Gradient,
  // (1−α)·g′·g′ as PyTorch's addcmul: ((1−α)·g′)·g′
  squareAverage: (v, g, c) => c.o.add(c.o.mul(hn(c, 'alpha'), v), c.o.mul(c.o.mul(1 - hn(c, 'alpha'), g), g)),
  meanSquare: (v, gAvg, c) => (hb(c, 'centered') ? c.o.sub(v, c.o.mul(gAvg, gAvg)) : v),
  denominator: (s, c) => c.o.add(c.o.sqrt(s), hn(c, 'eps')),
  apply: (p, g, den, old, c) => {
    const mu = hn(c, 'momentum');
    // no momentum: addcdiv_(g, den, value=−lr) = θ + (−lr·g)/den
    if (mu === 0) return { param: c.o.add(p, c.o.div(c.o.mul(-hn(c, 'lr'), g), den)) };
    const buffer = c.o.add(c.o.mul(mu, old), c.o.div(g, den));
    return { param: descend(p, buffer, c), buffer };
  },
};

function rmspropKernel(parts: RmspropParts): Kernel {
  return {
    step(param, grad, state, c) {
      const g = parts.gradient(grad, param, c);
      const squareAvg = parts.squareAverage(state.square_avg ?? 0, g, c);
      const next: State = { square_avg: squareAvg };
      let gradAvg = 0;
      if (hb(c, 'centered')) {
        gradAvg = ewma(state.grad_avg ?? 0, g, hn(c, 'alpha'), c);
        next.grad_avg = gradAvg;
      }
      const den = parts.denominator(parts.meanSquare(squareAvg, gradAvg, c), c);
      const applied = parts.apply(param, g, den, state.momentum_buffer ?? 0, c);
      if (applied.buffer !== undefined) next.momentum_buffer = applied.buffer;
      return { param: applied.param, state: next };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Adam and AdamW

/** Where weight decay acts: in the gradient (L2) or on the weights (decoupled). */
export interface DecayScheme {
  /** the gradient the moments see */
  gradient(g: number, p: number, c: Ctx): number;
  /** the new parameter, given the Adam update as a function of the parameter it starts from */
  apply(p: number, update: (p: number) => number, c: Ctx): number;
}

export interface AdamParts {
  /** ADAM-1 (coupled L2) or ADAMW-1 (decoupled, scaled by lr, before the step) */
  readonly decay: DecayScheme;
  /** ADAM-2: m ← β₁·m + (1−β₁)·g′ */
  readonly firstMoment: (m: number, g: number, c: Ctx) => number;
  /** ADAM-3: v ← β₂·v + (1−β₂)·g′² */
  readonly secondMoment: (v: number, g: number, c: Ctx) => number;
  /** ADAM-4: the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ, host doubles */
  readonly biasCorrections: (c: Ctx) => { bc1: number; bc2: number };
  /** ADAM-6: AMSGrad's running max (stored) and the correction the denominator then applies to it */
  readonly amsgradMax: (vMax: number, v: number, bc2: number, c: Ctx) => { max: number; bc2: number };
  /** ADAM-5: √v̂ + ε, computed as PyTorch does, √v/√(1−β₂ᵗ) + ε */
  readonly denominator: (v: number, bc2: number, c: Ctx) => number;
  /** ADAM-5: θ − (lr/(1−β₁ᵗ))·m/den */
  readonly descend: (p: number, m: number, den: number, bc1: number, c: Ctx) => number;
  /** how a state value is stored between steps (as computed, in the dtype) */
  readonly store: (x: number, c: Ctx) => number;
}

/** ADAM-1: `torch.optim.Adam(weight_decay=λ)`. */
export const coupledL2: DecayScheme = { gradient: l2Gradient, apply: (p, update) => update(p) };

/** ADAMW-1: `torch.optim.AdamW`, θ ← θ·(1 − lr·λ) first (the factor a host double), then Adam on the raw g. */
export const decoupledLrScaled: DecayScheme = {
  gradient: (g) => g,
  apply: (p, update, c) => update(c.o.mul(p, 1 - hn(c, 'lr') * hn(c, 'weight_decay'))),
};

export const canonicalAdamParts: AdamParts = {
  decay: coupledL2,
  firstMoment: (m, g, c) => ewma(m, g, hn(c, 'beta1'), c),
  secondMoment: (v, g, c) => c.o.add(c.o.mul(hn(c, 'beta2'), v), c.o.mul(c.o.mul(1 - hn(c, 'beta2'), g), g)),
  biasCorrections: (c) => ({ bc1: 1 - hn(c, 'beta1') ** c.t, bc2: 1 - hn(c, 'beta2') ** c.t }),
  amsgradMax: (vMax, v, bc2, c) => ({ max: c.o.max(vMax, v), bc2 }),
  denominator: (v, bc2, c) => c.o.add(c.o.div(c.o.sqrt(v), Math.sqrt(bc2)), hn(c, 'eps')),
  descend: (p, m, den, bc1, c) => c.o.sub(p, c.o.div(c.o.mul(hn(c, 'lr') / bc1, m), den)),
  store: (x) => x,
};

export const canonicalAdamwParts: AdamParts = { ...canonicalAdamParts, decay: decoupledLrScaled };

function adamKernel(parts: AdamParts): Kernel {
  return {
    step(param, grad, state, c) {
      const next: State = {};
      const update = (p: number): number => {
        const g = parts.decay.gradient(grad, p, c);
        const m = parts.firstMoment(state.exp_avg ?? 0, g, c);
        const v = parts.secondMoment(state.exp_avg_sq ?? 0, g, c);
        const { bc1, bc2: bc2Raw } = parts.biasCorrections(c);
        let bc2 = bc2Raw;
        next.exp_avg = parts.store(m, c);
        next.exp_avg_sq = parts.store(v, c);
        let vRoot = v;
        if (hb(c, 'amsgrad')) {
          const ams = parts.amsgradMax(state.max_exp_avg_sq ?? 0, v, bc2, c);
          next.max_exp_avg_sq = parts.store(ams.max, c);
          vRoot = ams.max;
          bc2 = ams.bc2;
        }
        return parts.descend(p, m, parts.denominator(vRoot, bc2, c), bc1, c);
      };
      return { param: parts.decay.apply(param, update, c), state: next };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Mutations: one part each

const bfloat16 = dtypeRounder('bfloat16');

const SGD_MUTATIONS = {
  /** dampening applied on the first step too: b₁ = (1−τ)·g′ */
  'sgd/dampening-on-first-step': {
    buffer: (old, g, c) => (c.t === 1 ? c.o.mul(1 - hn(c, 'dampening'), g) : torchBuffer(old, g, c)),
  },
  /** dampening ignored: b = μ·b + g′ whatever τ is */
  'sgd/dampening-ignored': {
    buffer: (old, g, c) => (c.t === 1 ? g : c.o.add(c.o.mul(hn(c, 'momentum'), old), g)),
  },
  /** the notes' interpolated momentum b = μ·b + (1−μ)·g′ from b₀ = 0 (SGD-5) claimed as PyTorch's */
  'sgd/lerp-momentum': { buffer: (old, g, c) => ewma(c.t === 1 ? 0 : old, g, hn(c, 'momentum'), c) },
  /** Nesterov from the buffer before this step's update: d = g′ + μ·bₜ₋₁ */
  'sgd/nesterov-old-buffer': {
    direction: (g, old, buffer, c) => (hb(c, 'nesterov') ? c.o.add(g, c.o.mul(hn(c, 'momentum'), c.t === 1 ? 0 : old)) : buffer),
  },
  /** weight decay with the wrong sign: g′ = g − λ·θ */
  'sgd/weight-decay-sign': {
    gradient: (g, p, c) => (hn(c, 'weight_decay') === 0 ? g : c.o.sub(g, c.o.mul(hn(c, 'weight_decay'), p))),
  },
  /**
   * lr inside the buffer (Sutskever; Keras, scikit-learn): v = μ·v − lr·g′, θ += v, reported on the
   * wire as b = v/(−lr) with the current lr, so it matches while lr is constant.
   */
  'sgd/lr-in-buffer': {
    momentum: {
      step(p, g, old, c) {
        const lr = hn(c, 'lr');
        const mu = hn(c, 'momentum');
        const tau = hn(c, 'dampening');
        const scaled = c.o.mul(lr, tau === 0 || c.t === 1 ? g : c.o.mul(1 - tau, g));
        const v = c.t === 1 ? -scaled : c.o.sub(c.o.mul(mu, old), scaled);
        const stepped = hb(c, 'nesterov') ? c.o.sub(c.o.mul(mu, v), c.o.mul(lr, g)) : v;
        return { param: c.o.add(p, stepped), buffer: v };
      },
      toWire: (v, c) => c.o.div(v, -hn(c, 'lr')),
      fromWire: (b, c) => c.o.mul(-hn(c, 'lr'), b),
    },
  },
} satisfies Record<string, Partial<SgdParts>>;

const RMSPROP_MUTATIONS = {
  /** ε inside the root, √(s + ε) (TensorFlow, Keras) claimed as PyTorch's */
  'rmsprop/eps-inside-root': { denominator: (s, c) => c.o.sqrt(c.o.add(s, hn(c, 'eps'))) },
  /** centered, but without subtracting ḡ²: the denominator is plain √v + ε */
  'rmsprop/centered-without-mean': { meanSquare: (v) => v },
  /** α and 1−α swapped in the square average: v ← (1−α)·v + α·g′² */
  'rmsprop/alpha-swapped': {
    squareAverage: (v, g, c) => c.o.add(c.o.mul(1 - hn(c, 'alpha'), v), c.o.mul(c.o.mul(hn(c, 'alpha'), g), g)),
  },
  /** fastai v2: momentum on the raw gradient, b = μ·b + g′, θ −= lr·b/den */
  'rmsprop/momentum-on-raw-gradient': {
    apply: (p, g, den, old, c) => {
      const mu = hn(c, 'momentum');
      if (mu === 0) return canonicalRmspropParts.apply(p, g, den, old, c);
      const buffer = c.o.add(c.o.mul(mu, old), g);
      return { param: c.o.sub(p, c.o.div(c.o.mul(hn(c, 'lr'), buffer), den)), buffer };
    },
  },
} satisfies Record<string, Partial<RmspropParts>>;

const ADAM_MUTATIONS = {
  /** ε inside the root, m̂/√(v̂ + ε) (ADAM-8) */
  'adam/eps-inside-root': { denominator: (v, bc2, c) => c.o.sqrt(c.o.add(c.o.div(v, bc2), hn(c, 'eps'))) },
  /** Kingma & Ba's efficient form, ε̂ on the uncorrected root: √bc2·m/(bc1·(√v + ε)) (ADAM-9) */
  'adam/eps-hat': { denominator: (v, bc2, c) => c.o.div(c.o.add(c.o.sqrt(v), hn(c, 'eps')), Math.sqrt(bc2)) },
  /** no bias correction, the notes' spreadsheet form (ADAM-7) */
  'adam/no-bias-correction': { biasCorrections: () => ({ bc1: 1, bc2: 1 }) },
  /** bias correction one step ahead, 1 − βᵗ⁺¹ */
  'adam/bias-correction-t-plus-1': {
    biasCorrections: (c) => ({ bc1: 1 - hn(c, 'beta1') ** (c.t + 1), bc2: 1 - hn(c, 'beta2') ** (c.t + 1) }),
  },
  /** stops bias-correcting after step 10 (a "warm-up only" shortcut) */
  'adam/bias-correction-stops-after-10': {
    biasCorrections: (c) => (c.t > 10 ? { bc1: 1, bc2: 1 } : canonicalAdamParts.biasCorrections(c)),
  },
  /** β₁ and β₂ swapped in the bias corrections: m/(1−β₂ᵗ), v/(1−β₁ᵗ) */
  'adam/betas-swapped-in-bias-correction': {
    biasCorrections: (c) => ({ bc1: 1 - hn(c, 'beta2') ** c.t, bc2: 1 - hn(c, 'beta1') ** c.t }),
  },
  /** ε doubled for elements with index ≥ 4096 (a second kernel for the tail of the tensor) */
  'adam/eps-doubled-past-4096': {
    denominator: (v, bc2, c) => c.o.add(c.o.div(c.o.sqrt(v), Math.sqrt(bc2)), c.i >= 4096 ? 2 * hn(c, 'eps') : hn(c, 'eps')),
  },
  /** state kept in bfloat16 (moments rounded to 8 significant bits) under a wider claim */
  'adam/bfloat16-state': { store: (x) => bfloat16(x) },
  /** AMSGrad's max over the bias-corrected v̂ (optax) instead of the raw v */
  'adam/amsgrad-max-of-corrected': { amsgradMax: (vMax, v, bc2, c) => ({ max: c.o.max(vMax, c.o.div(v, bc2)), bc2: 1 }) },
  /** AdamW's decoupled decay where `torch.optim.Adam`'s L2 is claimed */
  'adam/decoupled-decay': { decay: decoupledLrScaled },
  /** a NaN gradient element skipped: its parameter and moments left as they were (NOTE-7 says NaN) */
  'adam/skips-nan-gradients': {
    decay: {
      gradient: coupledL2.gradient,
      apply: (p, update, c) => (Number.isNaN(c.grad) ? p : coupledL2.apply(p, update, c)),
    },
    firstMoment: (m, g, c) => (Number.isNaN(c.grad) ? m : canonicalAdamParts.firstMoment(m, g, c)),
    secondMoment: (v, g, c) => (Number.isNaN(c.grad) ? v : canonicalAdamParts.secondMoment(v, g, c)),
  },
  /** βᵗ⁻¹ in the bias corrections past step 100,000 (t − 1 in the power); right before */
  'adam/power-t-minus-1-past-100k': {
    biasCorrections: (c) =>
      c.t > 100_000 ? { bc1: 1 - hn(c, 'beta1') ** (c.t - 1), bc2: 1 - hn(c, 'beta2') ** (c.t - 1) } : canonicalAdamParts.biasCorrections(c),
  },
  /** 1 − β in place of β in the bias corrections past step 100,000; right before */
  'adam/one-minus-beta-past-100k': {
    biasCorrections: (c) =>
      c.t > 100_000 ? { bc1: 1 - (1 - hn(c, 'beta1')) ** c.t, bc2: 1 - (1 - hn(c, 'beta2')) ** c.t } : canonicalAdamParts.biasCorrections(c),
  },
} satisfies Record<string, Partial<AdamParts>>;

const ADAMW_MUTATIONS = {
  /** L2: the decay added to the gradient where decoupled decay is claimed */
  'adamw/l2-coupled': { decay: coupledL2 },
  /** decay applied after the update, to the updated weights: θ ← θ′·(1 − lr·λ) */
  'adamw/decay-after-update': {
    decay: { gradient: (g) => g, apply: (p, update, c) => c.o.mul(update(p), 1 - hn(c, 'lr') * hn(c, 'weight_decay')) },
  },
  /** decay not multiplied by lr (the paper's Algorithm 2 with η = 1): θ·(1 − λ) */
  'adamw/decay-not-lr-scaled': {
    decay: { gradient: (g) => g, apply: (p, update, c) => update(c.o.mul(p, 1 - hn(c, 'weight_decay'))) },
  },
} satisfies Record<string, Partial<AdamParts>>;

export type MutationName =
  keyof typeof SGD_MUTATIONS | keyof typeof RMSPROP_MUTATIONS | keyof typeof ADAM_MUTATIONS | keyof typeof ADAMW_MUTATIONS | AdaptiveMutationName;

export const MUTATION_NAMES: readonly MutationName[] = [
  ...(Object.keys(SGD_MUTATIONS) as MutationName[]),
  ...(Object.keys(RMSPROP_MUTATIONS) as MutationName[]),
  ...(Object.keys(ADAM_MUTATIONS) as MutationName[]),
  ...(Object.keys(ADAMW_MUTATIONS) as MutationName[]),
  ...(Object.keys(ADAPTIVE_MUTATIONS) as MutationName[]),
];

/** The family a mutation belongs to (its name's prefix). */
export function mutationFamily(name: MutationName): FloatFamily {
  return name.slice(0, name.indexOf('/')) as FloatFamily;
}

export type FloatFamily = 'sgd' | 'rmsprop' | 'adam' | 'adamw' | AdaptiveFamily;
export const FLOAT_FAMILIES: readonly FloatFamily[] = ['sgd', 'rmsprop', 'adam', 'adamw', ...ADAPTIVE_FAMILIES];

/** The kernels of every family, with the one part a mutation replaces swapped in. */
function kernels(mutation?: MutationName): Record<FloatFamily, Kernel> {
  const pick = <T extends object>(table: Record<string, Partial<T>>): Partial<T> =>
    mutation !== undefined && mutation in table ? (table[mutation] as Partial<T>) : {};
  return {
    sgd: sgdKernel({ ...canonicalSgdParts, ...pick<SgdParts>(SGD_MUTATIONS) }),
    rmsprop: rmspropKernel({ ...canonicalRmspropParts, ...pick<RmspropParts>(RMSPROP_MUTATIONS) }),
    adam: adamKernel({ ...canonicalAdamParts, ...pick<AdamParts>(ADAM_MUTATIONS) }),
    adamw: adamKernel({ ...canonicalAdamwParts, ...pick<AdamParts>(ADAMW_MUTATIONS) }),
    ...adaptiveKernels(mutation),
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

/** NOTE-3: the hyperparameters in force at each step as doubles, defaults filled in from the registry. */
export function hyperPerStep(def: OptimizerDef, request: Pick<RunRequest, 'hyper' | 'steps'>): FloatHyper[] {
  const merged: Record<string, number | boolean> = { ...request.hyper };
  return request.steps.map((s, k) => {
    Object.assign(merged, s.hyper ?? {});
    // the registry's own validation names unknown, missing and inadmissible hyperparameters
    const bad = def.invalid(resolveHyper(def.hyper, merged));
    if (bad !== undefined) throw new Error(`steps[${k}]: ${bad}`);
    return Object.fromEntries(def.hyper.map((spec: HyperSpec) => [spec.name, merged[spec.name] ?? (spec.default as number | boolean)]));
  });
}

/**
 * Wire numbers as doubles, each checked to be a value of the dtype (the protocol promises it). A
 * Float64Array (a request read by the streaming reader, conformance/protocol/serve.ts) is checked in place.
 */
export function decodeArray(values: WireArray, where: string, r: Round): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = decodeNumber(values[i]);
    if (x === undefined) throw new Error(`${where}[${i}] is not a number`);
    if (!Object.is(r(x), x) && !Number.isNaN(x)) throw new Error(`${where}[${i}] = ${x} is not a value of the case's dtype`);
    out[i] = x;
  }
  return out;
}

/**
 * Outputs as the request came: plain wire numbers for a plain request, Float64Arrays for one read
 * into Float64Arrays — so a served 10⁶-element case never holds its outputs as boxed values.
 */
export function wireOutput(values: Float64Array, typed: boolean): WireArray {
  return typed ? values : Array.from(values, encodeNumber);
}

export interface FloatOptions {
  /** the implementation's name in `hello` */
  readonly name?: string;
  /** the dtypes it claims (all four by default) */
  readonly dtypes?: readonly Dtype[];
  /** one part replaced by a wrong formula */
  readonly mutation?: MutationName;
}

/** Run one request through a family kernel in the request's dtype. */
function runKernel(kernel: Kernel, def: OptimizerDef, request: RunRequest): WireStepOutput[] {
  const o = opsFor(request.dtype);
  const hypers = hyperPerStep(def, request);
  const size = request.params.length;
  const typed = request.params instanceof Float64Array;
  let params = decodeArray(request.params, 'params', o.round);
  const names = def.stateNames(resolveHyper(def.hyper, { ...request.hyper, ...request.steps[0]?.hyper }));
  let step = 0;
  const arrays: Record<string, Float64Array> = {};
  const ctx0 = (i: number): Ctx => ({ o, h: hypers[0] ?? {}, t: step + 1, i });
  // NOTE-2: a missing array (fresh, or step 0) starts at the family's value — zeros, Adagrad's initial accumulator, NAdam's 1
  const fresh = Object.fromEntries(
    names.map((name) => {
      const registryValue = o.round(freshValue(def, name, { ...request.hyper, ...request.steps[0]?.hyper }));
      return [name, kernel.fresh ? kernel.fresh(name, registryValue, ctx0(0)) : registryValue];
    }),
  );
  if (request.state !== null) {
    const state = request.state;
    step = state.step;
    for (const name of names) {
      const wire = state[name];
      if (wire === undefined && step === 0) continue; // NOTE-2: a missing array at step 0 is fresh
      if (!(Array.isArray(wire) || wire instanceof Float64Array) || wire.length !== size) throw new Error(`state.${name} must be an array of ${size} numbers`);
      const values = decodeArray(wire, `state.${name}`, o.round);
      arrays[name] = kernel.fromWire ? values.map((x, i) => kernel.fromWire!(name, x, ctx0(i))) : values;
    }
  }
  const out: WireStepOutput[] = [];
  request.steps.forEach((s, k) => {
    if (s.grad.length !== size) throw new Error(`steps[${k}].grad has ${s.grad.length} elements, params has ${size}`);
    const grad = decodeArray(s.grad, `steps[${k}].grad`, o.round);
    step += 1;
    const h = hypers[k];
    const nextParams = new Float64Array(size);
    const nextArrays: Record<string, Float64Array> = {};
    const element: State = {};
    for (let i = 0; i < size; i++) {
      for (const name of names) element[name] = arrays[name]?.[i] ?? fresh[name];
      const r = kernel.step(params[i], grad[i], element, { o, h, t: step, i, grad: grad[i] });
      nextParams[i] = r.param;
      for (const name in r.state) (nextArrays[name] ??= new Float64Array(size))[i] = r.state[name];
    }
    params = nextParams;
    Object.assign(arrays, nextArrays);
    const wireState: Record<string, WireArray | number> = { step };
    for (const name of Object.keys(nextArrays)) {
      const a = nextArrays[name];
      wireState[name] = wireOutput(kernel.toWire ? a.map((x, i) => kernel.toWire!(name, x, { o, h, t: step, i })) : a, typed);
    }
    out.push({ params: wireOutput(params, typed), state: wireState as unknown as WireState });
  });
  return out;
}

/**
 * An honest float implementation of every family but ewma — or, with `mutation`, one that
 * computes one part wrongly while claiming the canonical optimizer.
 */
export function floatImplementation(options: FloatOptions = {}): Implementation {
  const dtypes = options.dtypes ?? DTYPES;
  const table = kernels(options.mutation);
  const name = options.name ?? `optconf float${options.mutation ? ` (${options.mutation})` : ''}`;
  const hello = (): HelloReply => ({
    op: 'hello',
    protocol: PROTOCOL,
    implementation: name,
    supports: FLOAT_FAMILIES.map((f) => ({ optimizer: f, dtypes: [...dtypes], returnsState: true })),
  });
  const run = (request: RunRequest): RunReply => {
    const family = request.optimizer as FloatFamily;
    if (!FLOAT_FAMILIES.includes(family)) return { op: 'unsupported', id: request.id, reason: `no optimizer ${request.optimizer}` };
    if (request.variant !== undefined && request.variant !== '' && request.variant !== family) {
      return { op: 'unsupported', id: request.id, reason: `variants are not implemented (${request.variant})` };
    }
    if (!dtypes.includes(request.dtype)) return { op: 'unsupported', id: request.id, reason: `dtype ${request.dtype} not claimed` };
    try {
      const def = findOptimizer(family);
      if (!def) throw new Error(`registry has no ${family}`);
      return { op: 'result', id: request.id, steps: runKernel(table[family], def, request) };
    } catch (e) {
      return { op: 'error', id: request.id, message: (e as Error).message };
    }
  };
  return { hello, run };
}
