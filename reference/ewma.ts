/**
 * Linear interpolation and exponentially weighted averages (spec/ewma.md). The parts that
 * Adam's moments, the notes' momentum and the fastai loss average are built from.
 */
import { Dec } from './decimal.ts';
import { num, type ElementStep } from './notation.ts';
import { memoize, oneMinus, type Scalar } from './scalar.ts';

/** EWMA-1: lerp(a, b, w) = w·a + (1−w)·b — "whenever you see α(…) + (1−α)(…)". */
export function lerp<T extends Scalar<T>>(a: T, b: T, w: T): T {
  return w.times(a).plus(oneMinus(w).times(b));
}

/** EWMA-2: s_t = β·s_{t−1} + (1−β)·x_t, the exponentially weighted moving average. */
export function ewmaUpdate<T extends Scalar<T>>(previous: T, x: T, beta: T): T {
  return lerp(previous, x, beta);
}

/** EWMA-3: the bias correction 1 − βᵗ of an average started at zero. */
export function biasCorrection<T extends Scalar<T>>(beta: T, t: number): T {
  // one table per β, keyed by t: no key string built per element
  const byStep = memoize(beta, 'biasCorrection', () => new Map<number, T>());
  let value = byStep.get(t);
  if (value === undefined) byStep.set(t, (value = oneMinus(beta.pow(t))));
  return value;
}

/** EWMA-3: the debiased average s_t / (1 − βᵗ). */
export function debias<T extends Scalar<T>>(s: T, beta: T, t: number): T {
  return s.div(biasCorrection(beta, t));
}

/**
 * EWMA-4: the fastai loss average as a protocol step — the element's "param" is avg_loss,
 * its "grad" the observed loss; state `debiased` is avg_loss / (1 − avg_mom^batch_num).
 */
export const ewmaStep: ElementStep = (avg, loss, _state, h, t) => {
  const beta = num(h, 'beta');
  const next = ewmaUpdate(avg, loss, beta);
  return { param: next, state: { debiased: debias(next, beta, t) } };
};

/**
 * EWMA-4: fastai 0.7's `fit()` loss average over a sequence of losses:
 * avg_loss = avg_loss·avg_mom + loss·(1−avg_mom), debiased by 1 − avg_mom^batch_num.
 */
export function fastaiLossAverage(losses: readonly Dec[], avgMom: Dec): { avg: Dec[]; debiased: Dec[] } {
  const avg: Dec[] = [];
  const debiased: Dec[] = [];
  let a: Dec = new Dec(0);
  losses.forEach((loss, i) => {
    a = ewmaUpdate(a, loss, avgMom);
    avg.push(a);
    debiased.push(debias(a, avgMom, i + 1));
  });
  return { avg, debiased };
}
