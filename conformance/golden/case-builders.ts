/**
 * The building blocks of the curated golden cases (spec/golden-format.md, GOLD-2): deterministic
 * draws from fixed seeds through mulberry32 (reference/random.ts), rounded into the case's dtype,
 * and `basic`, a case of random parameters and gradients in one dtype, checked in it and every
 * wider one.
 */
import { roundDoubleToDtype, type Dtype } from '../../reference/dtype.ts';
import { mulberry32 } from '../../reference/random.ts';
import type { Case } from '../check/case.ts';
import type { GoldenSpec } from './format.ts';
import type { WireHyper } from '../protocol/messages.ts';

export const f32 = Math.fround;
export type Rng = () => number;

/** A value uniform in [−scale, scale), with all the significand bits of the dtype, rounded into it. */
function draw(next: Rng, dtype: Dtype, scale: number): number {
  // 53 random bits for float64; fewer are rounded away for the narrower dtypes.
  const u = (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53;
  return roundDoubleToDtype((u * 2 - 1) * scale, dtype);
}

export const vector = (next: Rng, n: number, dtype: Dtype, scale: number): number[] => Array.from({ length: n }, () => draw(next, dtype, scale));

/** Positive values in [lo, hi), rounded into the dtype (losses for the ewma family, second moments). */
export const positive = (next: Rng, n: number, dtype: Dtype, lo: number, hi: number): number[] =>
  Array.from({ length: n }, () => roundDoubleToDtype(lo + ((next() >>> 0) / 2 ** 32) * (hi - lo), dtype));

function gradSteps(
  next: Rng,
  steps: number,
  n: number,
  dtype: Dtype,
  scale: number,
  hyper: (k: number) => WireHyper | undefined = () => undefined,
): Case['steps'] {
  return Array.from({ length: steps }, (_, k) => {
    const h = hyper(k);
    return { grad: vector(next, n, dtype, scale), ...(h ? { hyper: h } : {}) };
  });
}

/** A hyperparameter as sent with a case of `dtype`: float32-exact, and a value of a 16-bit dtype (PROTO-3). */
export function hv(x: number, dtype: Dtype): number {
  const v = f32(x);
  return dtype === 'bfloat16' || dtype === 'float16' ? roundDoubleToDtype(v, dtype) : v;
}

export const CHECKED: Record<Dtype, Dtype[]> = {
  float64: ['float64'],
  float32: ['float32', 'float64'],
  bfloat16: ['bfloat16', 'float32', 'float64'],
  float16: ['float16', 'float32', 'float64'],
};

export interface Basic {
  readonly name: string;
  readonly definition: string;
  readonly description: string;
  readonly seed: number;
  /** the dtype the inputs are drawn in; expected values are given for it and every wider dtype */
  readonly dtype: Dtype;
  readonly hyper: WireHyper;
  readonly n?: number;
  readonly steps?: number;
  readonly paramScale?: number;
  readonly gradScale?: number;
  readonly state?: (next: Rng, n: number) => Case['state'];
  readonly schedule?: (k: number) => WireHyper | undefined;
  /** the dtypes checked, when not the input dtype and every wider one (long runs keep files small) */
  readonly dtypes?: readonly Dtype[];
  /** GOLD-8: the known defects whose reference fails the case, with their dtypes */
  readonly knownDefects?: GoldenSpec['knownDefects'];
}

export function basic(b: Basic): GoldenSpec {
  const next = mulberry32(b.seed);
  const n = b.n ?? 4;
  const params = vector(next, n, b.dtype, b.paramScale ?? 1);
  const state = b.state ? b.state(next, n) : null;
  return {
    name: b.name,
    description: b.description,
    definition: b.definition,
    dtypes: b.dtypes ?? CHECKED[b.dtype],
    hyper: b.hyper,
    params,
    state,
    steps: gradSteps(next, b.steps ?? 5, n, b.dtype, b.gradScale ?? 1, b.schedule),
    ...(b.knownDefects ? { knownDefects: b.knownDefects } : {}),
  };
}

/** torch.optim.Adam's defaults (lr 1e-3, β 0.9 and 0.999, ε 1e-8) as sent with a case of `dtype`, with `extra` over them. */
export const ADAM = (dtype: Dtype, extra: WireHyper = {}): WireHyper => ({
  lr: hv(1e-3, dtype),
  beta1: hv(0.9, dtype),
  beta2: hv(0.999, dtype),
  eps: hv(1e-8, dtype),
  ...extra,
});
