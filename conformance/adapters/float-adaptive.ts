/**
 * The honest float kernels of Adagrad, Adadelta, Adamax, NAdam, RAdam and Lion (issue 12), written
 * as PyTorch 1.13 (optax for Lion) writes them — tensor operations rounded to the dtype, scalars
 * (step sizes, bias corrections, NAdam's schedule, RAdam's ρₜ) host doubles, NAdam's μ product a
 * float32 scalar (PREC-12) — each from small named parts, so that a mutation replaces exactly one
 * (conformance/adapters/mutants.ts). The arithmetic and the shared parts are adapters/float-ops.ts.
 */
import { descend, ewma, hn, l2Gradient, squareAverage, type Ctx, type Kernel } from './float-ops.ts';

// ---------------------------------------------------------------------------------------------
// Adagrad (spec/adagrad.md)

export interface AdagradParts {
  /** ADAGRAD-2: the step size, a host double */
  readonly stepSize: (c: Ctx) => number;
  /** ADAGRAD-3: the accumulator */
  readonly accumulate: (sum: number, g: number, c: Ctx) => number;
  /** ADAGRAD-4: √sum + ε */
  readonly denominator: (sum: number, c: Ctx) => number;
  /** ADAGRAD-3: the fresh accumulator, from the registry's `initial_accumulator_value` */
  readonly freshSum: (registryValue: number) => number;
}

const canonicalAdagrad: AdagradParts = {
  stepSize: (c) => hn(c, 'lr') / (1 + (c.t - 1) * hn(c, 'lr_decay')),
  accumulate: (sum, g, c) => c.o.add(sum, c.o.mul(g, g)),
  denominator: (sum, c) => c.o.add(c.o.sqrt(sum), hn(c, 'eps')),
  freshSum: (x) => x,
};

function adagradKernel(parts: AdagradParts): Kernel {
  return {
    step(param, grad, state, c) {
      const g = l2Gradient(grad, param, c);
      const sum = parts.accumulate(state.sum, g, c);
      // addcdiv_(grad, std, value=−clr)
      return { param: c.o.add(param, c.o.div(c.o.mul(-parts.stepSize(c), g), parts.denominator(sum, c))), state: { sum } };
    },
    fresh: (_name, x) => parts.freshSum(x),
  };
}

// ---------------------------------------------------------------------------------------------
// Adadelta (spec/adadelta.md)

export interface AdadeltaParts {
  /** ADADELTA-2 and ADADELTA-4: ρ·s + (1−ρ)·x² */
  readonly average: (s: number, x: number, c: Ctx) => number;
  /** ADADELTA-3: Δ from uₜ₋₁, vₜ₋₁, vₜ and g′ */
  readonly delta: (u: number, vOld: number, v: number, g: number, c: Ctx) => number;
  /** ADADELTA-4: what the delta accumulator is fed (Δ, before lr) */
  readonly accumulated: (delta: number, c: Ctx) => number;
}

const canonicalAdadelta: AdadeltaParts = {
  average: (s, x, c) => squareAverage(s, x, hn(c, 'rho'), c),
  delta: (u, _vOld, v, g, c) => c.o.mul(c.o.div(c.o.sqrt(c.o.add(u, hn(c, 'eps'))), c.o.sqrt(c.o.add(v, hn(c, 'eps')))), g),
  accumulated: (delta) => delta,
};

function adadeltaKernel(parts: AdadeltaParts): Kernel {
  return {
    step(param, grad, state, c) {
      const g = l2Gradient(grad, param, c);
      const v = parts.average(state.square_avg, g, c);
      const delta = parts.delta(state.acc_delta, state.square_avg, v, g, c);
      const u = parts.average(state.acc_delta, parts.accumulated(delta, c), c);
      return { param: descend(param, delta, c), state: { square_avg: v, acc_delta: u } };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Adamax (spec/adamax.md)

export interface AdamaxParts {
  /** ADAMAX-3: the new infinity norm */
  readonly norm: (u: number, g: number, c: Ctx) => number;
  /** ADAMAX-4: the denominator from the norm */
  readonly denominator: (u: number, c: Ctx) => number;
  /** ADAMAX-4: lr/(1 − β₁ᵗ), a host double */
  readonly stepSize: (c: Ctx) => number;
}

const canonicalAdamax: AdamaxParts = {
  norm: (u, g, c) => c.o.max(c.o.mul(hn(c, 'beta2'), u), c.o.add(c.o.abs(g), hn(c, 'eps'))),
  denominator: (u) => u,
  stepSize: (c) => hn(c, 'lr') / (1 - hn(c, 'beta1') ** c.t),
};

function adamaxKernel(parts: AdamaxParts): Kernel {
  return {
    step(param, grad, state, c) {
      const g = l2Gradient(grad, param, c);
      const m = ewma(state.exp_avg, g, hn(c, 'beta1'), c);
      const u = parts.norm(state.exp_inf, g, c);
      // addcdiv_(exp_avg, exp_inf, value=−clr)
      return { param: c.o.add(param, c.o.div(c.o.mul(-parts.stepSize(c), m), parts.denominator(u, c))), state: { exp_avg: m, exp_inf: u } };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// NAdam (spec/nadam.md), PyTorch 1.13's foreach path

export interface NadamParts {
  /** NADAM-2: μₖ, a host double */
  readonly mu: (k: number, c: Ctx) => number;
  /** NADAM-3: Πₜ from Πₜ₋₁ and μₜ — a float32 scalar in PyTorch, stored in the dtype on the wire */
  readonly product: (previous: number, mu: number, c: Ctx) => number;
  /** NADAM-3: the next-step product the moment's weight divides by, a host double */
  readonly nextProduct: (product: number, mu: number, muNext: number) => number;
}

const canonicalNadam: NadamParts = {
  mu: (k, c) => hn(c, 'beta1') * (1 - 0.5 * 0.96 ** (k * hn(c, 'momentum_decay'))),
  product: (previous, mu, c) => c.o.round(Math.fround(previous * Math.fround(mu))),
  nextProduct: (product, _mu, muNext) => product * muNext,
};

function nadamKernel(parts: NadamParts): Kernel {
  return {
    step(param, grad, state, c) {
      const g = l2Gradient(grad, param, c);
      const mu = parts.mu(c.t, c);
      const muNext = parts.mu(c.t + 1, c);
      const product = parts.product(state.mu_product, mu, c);
      const m = ewma(state.exp_avg, g, hn(c, 'beta1'), c);
      const v = squareAverage(state.exp_avg_sq, g, hn(c, 'beta2'), c);
      const den = c.o.add(c.o.div(c.o.sqrt(v), Math.sqrt(1 - hn(c, 'beta2') ** c.t)), hn(c, 'eps'));
      const lr = hn(c, 'lr');
      const gradSize = (lr * (1 - mu)) / (1 - product);
      const momentSize = (lr * muNext) / (1 - parts.nextProduct(product, mu, muNext));
      const afterGrad = c.o.add(param, c.o.div(c.o.mul(-gradSize, g), den));
      return { param: c.o.add(afterGrad, c.o.div(c.o.mul(-momentSize, m), den)), state: { exp_avg: m, exp_avg_sq: v, mu_product: product } };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// RAdam (spec/radam.md)

export interface RadamParts {
  /** RADAM-5: the threshold ρₜ must exceed */
  readonly threshold: number;
  /** RADAM-4: rₜ from ρₜ and ρ∞ */
  readonly rectification: (rho: number, rhoInf: number) => number;
  /** RADAM-5: the rectified update */
  readonly rectified: (p: number, m: number, v: number, rect: number, c: Ctx) => number;
  /** RADAM-5: the unrectified update */
  readonly unrectified: (p: number, m: number, c: Ctx) => number;
}

const bc = (beta: number, c: Ctx) => 1 - beta ** c.t;

const canonicalRadam: RadamParts = {
  threshold: 5,
  rectification: (rho, rhoInf) => Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)),
  rectified: (p, m, v, rect, c) => {
    const mHat = c.o.div(m, bc(hn(c, 'beta1'), c));
    const adaptive = c.o.div(Math.sqrt(bc(hn(c, 'beta2'), c)), c.o.add(c.o.sqrt(v), hn(c, 'eps')));
    return c.o.sub(p, c.o.mul(c.o.mul(c.o.mul(mHat, hn(c, 'lr')), adaptive), rect));
  },
  unrectified: (p, m, c) => c.o.sub(p, c.o.mul(c.o.div(m, bc(hn(c, 'beta1'), c)), hn(c, 'lr'))),
};

function radamKernel(parts: RadamParts): Kernel {
  return {
    step(param, grad, state, c) {
      const g = l2Gradient(grad, param, c);
      const m = ewma(state.exp_avg, g, hn(c, 'beta1'), c);
      const v = squareAverage(state.exp_avg_sq, g, hn(c, 'beta2'), c);
      const beta2 = hn(c, 'beta2');
      const rhoInf = 2 / (1 - beta2) - 1;
      const rho = rhoInf - (2 * c.t * beta2 ** c.t) / bc(beta2, c);
      const next = rho > parts.threshold ? parts.rectified(param, m, v, parts.rectification(rho, rhoInf), c) : parts.unrectified(param, m, c);
      return { param: next, state: { exp_avg: m, exp_avg_sq: v } };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Lion (spec/lion.md), as optax computes it

export interface LionParts {
  /** LION-1: c = β₁·m + (1−β₁)·g */
  readonly interpolation: (m: number, g: number, c: Ctx) => number;
  /** LION-2: sign(c) */
  readonly sign: (x: number, c: Ctx) => number;
  /** LION-3: θ − lr·(s + λ·θ) */
  readonly update: (p: number, s: number, c: Ctx) => number;
  /** LION-4: the momentum, from mₜ₋₁ */
  readonly momentum: (m: number, g: number, c: Ctx) => number;
  /** LION-1/LION-4: whether the interpolation reads the momentum after its update (a mutant) */
  readonly momentumFirst: boolean;
}

const canonicalLion: LionParts = {
  interpolation: (m, g, c) => ewma(m, g, hn(c, 'beta1'), c),
  sign: (x, c) => c.o.sign(x),
  update: (p, s, c) => c.o.sub(p, c.o.mul(hn(c, 'lr'), c.o.add(s, c.o.mul(hn(c, 'weight_decay'), p)))),
  momentum: (m, g, c) => ewma(m, g, hn(c, 'beta2'), c),
  momentumFirst: false,
};

function lionKernel(parts: LionParts): Kernel {
  return {
    step(param, grad, state, c) {
      const m = parts.momentum(state.exp_avg, grad, c);
      const s = parts.sign(parts.interpolation(parts.momentumFirst ? m : state.exp_avg, grad, c), c);
      return { param: parts.update(param, s, c), state: { exp_avg: m } };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Mutations: one part each

const ADAGRAD_MUTATIONS = {
  /** ε inside the root, √(sum + ε) (ADAGRAD-5, TensorFlow) */
  'adagrad/eps-inside-root': { denominator: (sum, c) => c.o.sqrt(c.o.add(sum, hn(c, 'eps'))) },
  /** |g′| accumulated instead of g′² */
  'adagrad/sum-of-abs': { accumulate: (sum, g, c) => c.o.add(sum, c.o.abs(g)) },
  /** the decay counted from t, lr/(1 + t·lr_decay) */
  'adagrad/lr-decay-from-t': { stepSize: (c) => hn(c, 'lr') / (1 + c.t * hn(c, 'lr_decay')) },
  /** initial_accumulator_value ignored: a fresh sum starts at 0 */
  'adagrad/initial-accumulator-ignored': { freshSum: () => 0 },
} satisfies Record<string, Partial<AdagradParts>>;

const ADADELTA_MUTATIONS = {
  /** TF.js 4.22: the delta over √(vₜ₋₁ + ε) (DEFECT-4) */
  'adadelta/stale-denominator': {
    delta: (u, vOld, _v, g, c) => canonicalAdadelta.delta(u, vOld, vOld, g, c),
  },
  /** ε outside both roots, (√u + ε)/(√v + ε) */
  'adadelta/eps-outside-roots': {
    delta: (u, _vOld, v, g, c) => c.o.mul(c.o.div(c.o.add(c.o.sqrt(u), hn(c, 'eps')), c.o.add(c.o.sqrt(v), hn(c, 'eps'))), g),
  },
  /** the delta accumulator fed lr·Δ instead of Δ */
  'adadelta/lr-in-accumulator': { accumulated: (delta, c) => c.o.mul(hn(c, 'lr'), delta) },
  /** ρ and 1−ρ swapped in both averages */
  'adadelta/rho-swapped': { average: (s, x, c) => c.o.add(c.o.mul(1 - hn(c, 'rho'), s), c.o.mul(c.o.mul(hn(c, 'rho'), x), x)) },
} satisfies Record<string, Partial<AdadeltaParts>>;

const ADAMAX_MUTATIONS = {
  /** ε after the maximum, m/(u + ε) with u = max(β₂·u, |g′|) (ADAMAX-5, Keras, TF.js) */
  'adamax/eps-after-max': {
    norm: (u, g, c) => c.o.max(c.o.mul(hn(c, 'beta2'), u), c.o.abs(g)),
    denominator: (u, c) => c.o.add(u, hn(c, 'eps')),
  },
  /** no bias correction, lr·m/u */
  'adamax/no-bias-correction': { stepSize: (c) => hn(c, 'lr') },
  /** the norm never decays, u = max(u, |g′| + ε) */
  'adamax/norm-not-decayed': { norm: (u, g, c) => c.o.max(u, c.o.add(c.o.abs(g), hn(c, 'eps'))) },
  /** the signed gradient in the maximum, max(β₂·u, g′ + ε) */
  'adamax/norm-without-abs': { norm: (u, g, c) => c.o.max(c.o.mul(hn(c, 'beta2'), u), c.o.add(g, hn(c, 'eps'))) },
} satisfies Record<string, Partial<AdamaxParts>>;

const NADAM_MUTATIONS = {
  /** no schedule, μ ≡ β₁ (NADAM-6, optax) */
  'nadam/no-schedule': { mu: (_k, c) => hn(c, 'beta1') },
  /** PyTorch 1.13 single-tensor: Πₜ·μₜ·μₜ₊₁ (DEFECT-2) */
  'nadam/mu-product-twice': { nextProduct: (product, mu, muNext) => product * mu * muNext },
  /** the next-step product not advanced: the moment divided by 1 − Πₜ */
  'nadam/next-product-not-advanced': { nextProduct: (product) => product },
  /** the schedule's base 0.9 instead of 0.96 */
  'nadam/schedule-base-0.9': { mu: (k, c) => hn(c, 'beta1') * (1 - 0.5 * 0.9 ** (k * hn(c, 'momentum_decay'))) },
} satisfies Record<string, Partial<NadamParts>>;

const RADAM_MUTATIONS = {
  /** the paper's threshold, rectify when ρₜ > 4 (RADAM-6) */
  'radam/threshold-4': { threshold: 4 },
  /** ε after the bias correction, r·m̂/(√v̂ + ε) (RADAM-8, fastai) */
  'radam/eps-after-correction': {
    rectified: (p, m, v, rect, c) => {
      const mHat = c.o.div(m, bc(hn(c, 'beta1'), c));
      const den = c.o.add(c.o.sqrt(c.o.div(v, bc(hn(c, 'beta2'), c))), hn(c, 'eps'));
      return c.o.sub(p, c.o.mul(hn(c, 'lr') * rect, c.o.div(mHat, den)));
    },
  },
  /** no rectification term, rₜ = 1 */
  'radam/no-rectification': { rectification: () => 1 },
  /** the unrectified step without its bias correction, θ − lr·m */
  'radam/unrectified-uncorrected': { unrectified: (p, m, c) => c.o.sub(p, c.o.mul(m, hn(c, 'lr'))) },
} satisfies Record<string, Partial<RadamParts>>;

const LION_MUTATIONS = {
  /** sign(0) taken as +1 (copysign), so a zero c moves by lr */
  'lion/sign-zero-is-one': { sign: (x) => (Number.isNaN(x) ? NaN : x < 0 || Object.is(x, -0) ? -1 : 1) },
  /** the momentum updated before the sign reads it */
  'lion/momentum-first': { momentumFirst: true },
  /** the decay not scaled by lr, θ − lr·s − λ·θ */
  'lion/decay-not-lr-scaled': {
    update: (p, s, c) => c.o.sub(c.o.sub(p, c.o.mul(hn(c, 'lr'), s)), c.o.mul(hn(c, 'weight_decay'), p)),
  },
  /** the interpolation at β₂ instead of β₁ */
  'lion/interpolation-at-beta2': { interpolation: (m, g, c) => ewma(m, g, hn(c, 'beta2'), c) },
} satisfies Record<string, Partial<LionParts>>;

export const ADAPTIVE_MUTATIONS = {
  ...ADAGRAD_MUTATIONS,
  ...ADADELTA_MUTATIONS,
  ...ADAMAX_MUTATIONS,
  ...NADAM_MUTATIONS,
  ...RADAM_MUTATIONS,
  ...LION_MUTATIONS,
};
export type AdaptiveMutationName = keyof typeof ADAPTIVE_MUTATIONS;

export type AdaptiveFamily = 'adagrad' | 'adadelta' | 'adamax' | 'nadam' | 'radam' | 'lion';
export const ADAPTIVE_FAMILIES: readonly AdaptiveFamily[] = ['adagrad', 'adadelta', 'adamax', 'nadam', 'radam', 'lion'];

/** The kernels of the six families, with the one part a mutation replaces swapped in. */
export function adaptiveKernels(mutation?: string): Record<AdaptiveFamily, Kernel> {
  const pick = <T extends object>(table: Record<string, Partial<T>>): Partial<T> =>
    mutation !== undefined && mutation in table ? (table[mutation] as Partial<T>) : {};
  return {
    adagrad: adagradKernel({ ...canonicalAdagrad, ...pick<AdagradParts>(ADAGRAD_MUTATIONS) }),
    adadelta: adadeltaKernel({ ...canonicalAdadelta, ...pick<AdadeltaParts>(ADADELTA_MUTATIONS) }),
    adamax: adamaxKernel({ ...canonicalAdamax, ...pick<AdamaxParts>(ADAMAX_MUTATIONS) }),
    nadam: nadamKernel({ ...canonicalNadam, ...pick<NadamParts>(NADAM_MUTATIONS) }),
    radam: radamKernel({ ...canonicalRadam, ...pick<RadamParts>(RADAM_MUTATIONS) }),
    lion: lionKernel({ ...canonicalLion, ...pick<LionParts>(LION_MUTATIONS) }),
  };
}
