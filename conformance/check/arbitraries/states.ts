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
    case 'ewma':
      return [];
  }
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
    case 'ewma':
      return fc.constant({ step });
  }
}
