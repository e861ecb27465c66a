/**
 * The `ewma` family (spec/ewma.md): the fastai loss average. Its parts — linear interpolation,
 * the moving average and its debiasing (EWMA-1 … EWMA-3) — are shared with Adam's moments and the
 * notes' momentum, and live in reference/parts.ts.
 */
import { Dec } from './decimal.ts';
import { num, type ElementStep } from './notation.ts';
import { debias, ewmaUpdate } from './parts.ts';

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
