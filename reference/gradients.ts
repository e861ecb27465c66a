/**
 * The notes' gradients (spec/gradients.md): the linear model y = a·x + b, its squared error,
 * the mini-batch mean, finite-difference derivatives and the analytic gradient by the chain rule.
 */
import { Dec, TWO } from './decimal.ts';

export interface LinearParams {
  readonly a: Dec;
  readonly b: Dec;
}

export interface Sample {
  readonly x: Dec;
  readonly y: Dec;
}

/** GRAD-1: the prediction ŷ = a·x + b. */
export function predict(p: LinearParams, x: Dec): Dec {
  return p.a.times(x).plus(p.b);
}

/** GRAD-2: the squared error e = (ŷ − y)². */
export function squaredError(prediction: Dec, y: Dec): Dec {
  const r = prediction.minus(y);
  return r.times(r);
}

/** GRAD-3: the mean squared error over a mini-batch, L = (1/n)·Σ eᵢ; online training is n = 1. */
export function batchLoss(p: LinearParams, batch: readonly Sample[]): Dec {
  if (batch.length === 0) throw new Error('a mini-batch needs at least one sample');
  return Dec.sum(...batch.map((s) => squaredError(predict(p, s.x), s.y))).div(batch.length);
}

/** GRAD-4: the forward difference (f(θ + h) − f(θ))/h, truncation error O(h). */
export function forwardDifference(f: (theta: Dec) => Dec, theta: Dec, h: Dec): Dec {
  return f(theta.plus(h)).minus(f(theta)).div(h);
}

/** GRAD-5: the central difference (f(θ + h) − f(θ − h))/(2h), truncation error O(h²). */
export function centralDifference(f: (theta: Dec) => Dec, theta: Dec, h: Dec): Dec {
  return f(theta.plus(h))
    .minus(f(theta.minus(h)))
    .div(TWO.times(h));
}

/**
 * GRAD-6: the analytic gradient by the chain rule, averaged over the batch:
 * ∂e/∂b = 2(ŷ − y), ∂e/∂a = 2(ŷ − y)·x.
 */
export function analyticGradient(p: LinearParams, batch: readonly Sample[]): LinearParams {
  if (batch.length === 0) throw new Error('a mini-batch needs at least one sample');
  const dbs = batch.map((s) => TWO.times(predict(p, s.x).minus(s.y)));
  const das = dbs.map((db, i) => db.times(batch[i].x));
  return { a: Dec.sum(...das).div(batch.length), b: Dec.sum(...dbs).div(batch.length) };
}

/** GRAD-4, GRAD-5: a finite-difference gradient of the batch loss in both parameters. */
export function finiteDifferenceGradient(
  p: LinearParams,
  batch: readonly Sample[],
  h: Dec,
  difference: typeof forwardDifference = forwardDifference,
): LinearParams {
  return {
    a: difference((a) => batchLoss({ a, b: p.b }, batch), p.a, h),
    b: difference((b) => batchLoss({ a: p.a, b }, batch), p.b, h),
  };
}
