/**
 * Mid-run states (NOTE-2): a step counter and one array per state name, plausible for the family
 * so late-step behaviour shows without long runs — second moments ≥ 0 and at least the square of
 * the first, AMSGrad's maximum ≥ exp_avg_sq, centered RMSprop's grad_avg² ≤ square_avg.
 */
import fc from 'fast-check';
import type { Dtype } from '../../../reference/dtype.ts';
import type { Family } from '../../../reference/registry.ts';
import type { Case } from '../case.ts';
import type { WireHyper } from '../../protocol/messages.ts';
import { uniform } from '../../../reference/random.ts';
import { fastRound, vectorArb, type ElementSpec } from './magnitudes.ts';

type State = NonNullable<Case['state']>;

/** The state names a case of this family carries (registry.ts `stateNames`, on wire values). */
export function stateNames(family: Family, h: WireHyper): string[] {
  switch (family) {
    case 'sgd':
      return h.momentum === 0 ? [] : ['momentum_buffer'];
    case 'rmsprop':
      return ['square_avg', ...(h.momentum === 0 ? [] : ['momentum_buffer']), ...(h.centered === true ? ['grad_avg'] : [])];
    case 'adam':
    case 'adamw':
      return ['exp_avg', 'exp_avg_sq', ...(h.amsgrad === true ? ['max_exp_avg_sq'] : [])];
    case 'adagrad':
      return ['sum'];
    case 'adadelta':
      return ['square_avg', 'acc_delta'];
    case 'adamax':
      return ['exp_avg', 'exp_inf'];
    case 'nadam':
      return ['exp_avg', 'exp_avg_sq', 'mu_product'];
    case 'radam':
      return ['exp_avg', 'exp_avg_sq'];
    case 'lion':
      return ['exp_avg'];
    case 'ewma':
      return [];
  }
}

/**
 * NADAM-3: the μ product after `step` steps of the schedule (NADAM-2) with these hyperparameters,
 * as PyTorch keeps it (float32), in the dtype — one value for every element.
 */
export function muProductAt(h: WireHyper, step: number, dtype: Dtype): number {
  const { products, settled } = muProducts(h.beta1 as number, h.momentum_decay as number);
  // μᵢ only grows with i, so a product that a step leaves unchanged (0, or the smallest subnormal
  // that μᵢ > 1/2 rounds back to) stays there: large step counts (PROTO-8's) end the loop early
  for (let i = products.length; i <= step && !settled.done; i++) {
    const next = Math.fround(products[i - 1] * Math.fround((h.beta1 as number) * (1 - 0.5 * 0.96 ** (i * (h.momentum_decay as number)))));
    if (next === products[i - 1] && (h.momentum_decay as number) >= 0) settled.done = true;
    else products.push(next);
  }
  return fastRound(products[Math.min(step, products.length - 1)], dtype);
}

const MU_PRODUCTS = new Map<string, { products: number[]; settled: { done: boolean } }>();
/** The products Π₀ = 1, Π₁, … computed so far for one (β₁, ψ): generation asks for many steps of few schedules. */
function muProducts(beta1: number, psi: number): { products: number[]; settled: { done: boolean } } {
  const key = `${beta1} ${psi}`;
  let entry = MU_PRODUCTS.get(key);
  if (entry === undefined) MU_PRODUCTS.set(key, (entry = { products: [1], settled: { done: false } }));
  return entry;
}

export interface StateSpecs {
  /** signed, of the gradients' magnitude: momentum buffers, exp_avg */
  readonly signed: ElementSpec;
  /** ≥ 0, of the squared gradients' magnitude: exp_avg_sq, square_avg */
  readonly square: ElementSpec;
  /** signed, around 1: RMSprop's buffer of normalised steps g/√v */
  readonly normalised: ElementSpec;
}

const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

/** v ≥ m² (rounded), so m/√v stays near 1 as in a real run and nothing overflows. */
function atLeastSquare(w: readonly number[], m: readonly number[], dtype: Dtype): number[] {
  return w.map((x, i) => Math.max(x, fastRound(m[i] * m[i], dtype)));
}

/** max_exp_avg_sq: equal to exp_avg_sq (simplest), or up to 5× it. */
function maxOf(v: readonly number[], seed: number, dtype: Dtype): number[] {
  if (seed === 0) return [...v];
  const rng = uniform(seed);
  return v.map((x) => Math.max(x, fastRound(x * (1 + 4 * rng()), dtype)));
}

/** grad_avg with grad_avg² ≤ square_avg: √s·f, |f| ≤ 0.99, checked exactly (c·c is exact for ≤ 26-bit significands). */
function gradAvgOf(s: readonly number[], seed: number, dtype: Dtype): number[] {
  const rng = uniform(seed);
  return s.map((x) => {
    const c = fastRound(Math.sqrt(x) * (1.98 * rng() - 0.99), dtype);
    return c * c <= x ? c : 0;
  });
}

/** A state at step `step` ≥ 1 for the family and hyperparameters, n elements per array. */
export function stateArb(family: Family, h: WireHyper, dtype: Dtype, n: number, step: number, specs: StateSpecs): fc.Arbitrary<State> {
  const names = stateNames(family, h);
  const vec = (spec: ElementSpec): fc.Arbitrary<number[]> => vectorArb(n, spec);
  const has = (name: string): boolean => names.includes(name);
  switch (family) {
    case 'sgd':
      return has('momentum_buffer') ? vec(specs.signed).map((b) => ({ step, momentum_buffer: b })) : fc.constant({ step });
    case 'rmsprop':
      return fc.record({ s: vec(specs.square), b: has('momentum_buffer') ? vec(specs.normalised) : fc.constant([]), seed: seedArb }).map(({ s, b, seed }) => ({
        step,
        square_avg: s,
        ...(has('momentum_buffer') ? { momentum_buffer: b } : {}),
        ...(has('grad_avg') ? { grad_avg: gradAvgOf(s, seed, dtype) } : {}),
      }));
    case 'adam':
    case 'adamw':
      return fc.record({ m: vec(specs.signed), w: vec(specs.square), seed: seedArb }).map(({ m, w, seed }) => {
        const v = atLeastSquare(w, m, dtype);
        return { step, exp_avg: m, exp_avg_sq: v, ...(has('max_exp_avg_sq') ? { max_exp_avg_sq: maxOf(v, seed, dtype) } : {}) };
      });
    case 'adagrad':
      return vec(specs.square).map((sum) => ({ step, sum }));
    case 'adadelta':
      return fc.record({ v: vec(specs.square), u: vec(specs.square) }).map(({ v, u }) => ({ step, square_avg: v, acc_delta: u }));
    case 'adamax':
      // u of the gradients' magnitude, so β₂·u and |g′| + ε trade places (ADAMAX-3)
      return fc.record({ m: vec(specs.signed), u: vec(specs.signed) }).map(({ m, u }) => ({ step, exp_avg: m, exp_inf: u.map(Math.abs) }));
    case 'nadam':
    case 'radam':
      return fc.record({ m: vec(specs.signed), w: vec(specs.square) }).map(({ m, w }) => ({
        step,
        exp_avg: m,
        exp_avg_sq: atLeastSquare(w, m, dtype),
        ...(family === 'nadam' ? { mu_product: new Array<number>(n).fill(muProductAt(h, step, dtype)) } : {}),
      }));
    case 'lion':
      return vec(specs.signed).map((m) => ({ step, exp_avg: m }));
    case 'ewma':
      return fc.constant({ step });
  }
}
