/**
 * Extremes (spec/protocol.md PROTO-8, spec/notation.md NOTE-7): cases that carry NaN and ±∞, cases
 * whose update overflows the dtype, and cases that start at a large step count with β near 1, so
 * that βᵗ still matters there. A case is plain (no extreme) first in every choice, so a failure
 * that does not need its extreme shrinks to a case without it.
 */
import fc from 'fast-check';
import { maxFinite, type Dtype } from '../../../reference/dtype.ts';
import { uniform } from '../../../reference/random.ts';
import type { Family } from '../../../reference/registry.ts';
import type { Case, CaseStep } from '../case.ts';
import type { WireHyper } from '../../protocol/messages.ts';
import { CROSS } from './magnitudes.ts';

export type Extreme = 'none' | 'non-finite' | 'large-step' | 'overflow';

/**
 * PROTO-8's stated rates, in cases of 50: 7 carry non-finite values, 5 start at a large step count,
 * and 3 of SGD's and the EWMA's overflow (their plain share grows by those 3 elsewhere).
 */
export const EXTREME_WEIGHTS: Readonly<Record<Extreme, number>> = { none: 35, 'non-finite': 7, 'large-step': 5, overflow: 3 };

/** Families whose update can overflow in its last operation only (NOTE-7): θ − lr·g, and the EWMA's debiasing. */
const overflows = (family: Family): boolean => family === 'sgd' || family === 'ewma';

export function extremeArb(family: Family): fc.Arbitrary<Extreme> {
  const w = EXTREME_WEIGHTS;
  const choices: fc.WeightedArbitrary<Extreme>[] = [
    { weight: w.none + (overflows(family) ? 0 : w.overflow), arbitrary: fc.constant<Extreme>('none') },
    { weight: w['non-finite'], arbitrary: fc.constant<Extreme>('non-finite') },
    { weight: w['large-step'], arbitrary: fc.constant<Extreme>('large-step') },
  ];
  if (overflows(family)) choices.push({ weight: w.overflow, arbitrary: fc.constant<Extreme>('overflow') });
  return fc.oneof(CROSS, ...choices);
}

/** 2²⁴: where a float32 step counter stops counting (PyTorch 1.13's Adam, NOTE-1). */
export const FLOAT32_COUNTER_LIMIT = 2 ** 24;

/** A large step count: 10⁵ up to 2²⁴, around 2²⁴, and beyond it up to 2²⁷. */
export const largeStepArb: fc.Arbitrary<number> = fc.oneof(
  CROSS,
  { weight: 2, arbitrary: fc.integer({ min: 100_000, max: FLOAT32_COUNTER_LIMIT - 64 }) },
  { weight: 2, arbitrary: fc.integer({ min: FLOAT32_COUNTER_LIMIT - 64, max: FLOAT32_COUNTER_LIMIT + 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: FLOAT32_COUNTER_LIMIT + 9, max: 2 ** 27 }) },
);

/**
 * β = 1 − 2⁻ᵏ with 2ᵏ near t·2^shift, so βᵗ = e^(−t/2ᵏ) lies between about e^−8 and e^−0.2: k at
 * most 24, where 1 − 2⁻ᵏ is still a float32 value below 1 (PROTO-3).
 */
export function nearOneBeta(t: number, shift: number): number {
  const k = Math.min(24, Math.max(1, Math.round(Math.log2(t)) + shift));
  return 1 - 2 ** -k;
}

/** The decay rates whose powers βᵗ a family's step uses. */
const POWERED: Partial<Record<Family, readonly string[]>> = { adam: ['beta1', 'beta2'], adamw: ['beta1', 'beta2'], ewma: ['beta'] };

/**
 * A large-step case's hyperparameters: each powered β not pinned moved near 1 for t (float32 and
 * float64; a 16-bit dtype has no β near enough to 1, and keeps its own).
 */
export function largeStepHyper(family: Family, dtype: Dtype, h: WireHyper, fixed: WireHyper, t: number, shift: number): WireHyper {
  if (dtype !== 'float32' && dtype !== 'float64') return h;
  const out: Record<string, number | boolean> = { ...h };
  (POWERED[family] ?? []).forEach((name, j) => {
    if (fixed[name] === undefined) out[name] = nearOneBeta(t, shift - j);
  });
  return out;
}

/**
 * An overflow case's hyperparameters: SGD with no momentum and no weight decay, so the only
 * operation that can overflow is the last, θ − lr·g (NOTE-7); undefined when pins forbid it.
 */
export function overflowHyper(family: Family, h: WireHyper, fixed: WireHyper): WireHyper | undefined {
  if (family !== 'sgd') return h;
  const wants: WireHyper = { momentum: 0, weight_decay: 0, nesterov: false, dampening: 0 };
  for (const [name, value] of Object.entries(wants)) if (fixed[name] !== undefined && fixed[name] !== value) return undefined;
  return { ...h, ...wants };
}

const NON_FINITE = [Number.NaN, Infinity, -Infinity] as const;

/** State arrays that hold one scalar in every element (NADAM-3's μ product): never spoiled element by element. */
const SCALAR_STATES = new Set(['mu_product']);

/** State arrays that hold squares or magnitudes (≥ 0: v, v_max, square averages, Adagrad's sum, Adadelta's Δ average, Adamax's u): +∞ or NaN there, never −∞. */
const SQUARES = new Set(['exp_avg_sq', 'max_exp_avg_sq', 'square_avg', 'sum', 'acc_delta', 'exp_inf']);

/**
 * NOTE-7: where a family's propagation of ±∞ is the same in every honest order. AdamW's decay
 * θ − lr·λ·θ is NaN at θ = ±∞ where PyTorch's θ·(1 − lr·λ) stays ±∞, and its variant `adamw/paper`
 * computes λ·θ even at λ = 0 (0·∞ = NaN), so AdamW's parameters and first moments (which reach θ)
 * carry only NaN.
 */
function infinitiesAllowed(c: Case, name: string): boolean {
  if (NAN_ONLY.has(c.optimizer)) return false;
  return !(c.optimizer === 'adamw' && (name === 'params' || name === 'exp_avg'));
}

/**
 * NOTE-7: the families whose propagation of ±∞ is not tabulated: Lion (its decoupled decay is
 * AdamW's, and no library the suite runs computes it to hold a row to) gets NaN only, everywhere.
 */
const NAN_ONLY: ReadonlySet<string> = new Set(['lion']);

/**
 * NaN and ±∞ put into a case, from a seed: each gradient element with odds 1 in 4, each parameter
 * and state element with odds 1 in 8, of the kinds NOTE-7 allows there.
 */
export function withNonFinite(c: Case, seed: number): Case {
  const rng = uniform(seed);
  const pick = (name: string): number => {
    const kinds = !infinitiesAllowed(c, name) ? [Number.NaN] : SQUARES.has(name) ? [Number.NaN, Infinity] : NON_FINITE;
    return kinds[Math.floor(rng() * kinds.length)];
  };
  const spoil = (a: readonly number[], odds: number, name: string): number[] => a.map((x) => (rng() < odds ? pick(name) : x));
  const steps = c.steps.map((s): CaseStep => ({ ...s, grad: spoil(s.grad, 1 / 4, 'grad') }));
  const state =
    c.state === null
      ? null
      : (Object.fromEntries(
          Object.entries(c.state).map(([k, v]) => [k, typeof v === 'number' || SCALAR_STATES.has(k) ? v : spoil(v, 1 / 8, k)]),
        ) as Case['state']);
  return { ...c, params: spoil(c.params, 1 / 8, 'params'), state, steps };
}

/**
 * Values whose update overflows (NOTE-5, NOTE-7), from a seed: SGD parameters at ±the largest finite
 * value and gradients of half or all of it, three times in four of the opposite sign, so θ − lr·g
 * passes it, in one step; EWMA averages there, started at step 1 … 3 with the debiasing 1 − βᵗ small enough to
 * divide them past it.
 */
export function withOverflow(c: Case, seed: number): Case {
  const rng = uniform(seed);
  const max = maxFinite(c.dtype);
  // the largest value and half of it are values of the dtype (its own significand times a power of two)
  const params = c.params.map(() => (rng() < 0.5 ? -max : max));
  if (c.optimizer === 'ewma') return { ...c, params: params.map(Math.abs), state: { step: 1 + Math.floor(rng() * 3) } };
  const push = (p: number) => (rng() < 0.5 ? max : max / 2) * (rng() < 0.75 ? -Math.sign(p) : Math.sign(p));
  // one step: after it an honest implementation holds ±∞, while the reference's trajectory (exact
  // between steps, rounded only where reported) may come back below the largest value
  return { ...c, params, steps: c.steps.slice(0, 1).map((s) => ({ ...s, grad: params.map(push) })) };
}
