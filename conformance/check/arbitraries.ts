/**
 * Conformance cases for property tests and the runner: `caseArbitrary(family, dtype)` composes
 * the per-concern arbitraries under conformance/arbitraries/ — magnitudes, hyperparameters,
 * schedules, states — into `Case`s biased toward where optimizer variants part: |g| near ε,
 * λ·θ ≈ g, the first steps (bias correction) and longer runs, learning-rate schedules, mid-run
 * states, ±0, subnormals, mixed magnitudes and vectors longer than 4096 elements — and, at the
 * rates PROTO-8 states, the extremes of conformance/check/arbitraries/extremes.ts: NaN and ±∞, updates that
 * overflow, and step counts from 10⁵ past 2²⁴ with β near 1.
 */
import fc from 'fast-check';
import type { Dtype } from '../../reference/dtype.ts';
import type { Family } from '../../reference/registry.ts';
import type { Case, CaseStep } from './case.ts';
import type { WireHyper, WireRanges } from '../protocol/messages.ts';
import { epsScale, hasEps, hasLr, hyperArb, intervals, weighted } from './arbitraries/hyperparameters.ts';
import type { Interval } from './arbitraries/ranges.ts';
import { clampBand, exponentOf, vectorArb, weightsFor, wideBand, type Band, type ElementSpec, type Style } from './arbitraries/magnitudes.ts';
import { overrideArb, scheduleArb, shapeArb, startArb, type Profile, type Shape } from './arbitraries/schedules.ts';
import { stateArb, type StateSpecs } from './arbitraries/states.ts';
import { extremeArb, largeStepArb, largeStepHyper, overflowHyper, withNonFinite, withOverflow, type Extreme } from './arbitraries/extremes.ts';

export type { Profile } from './arbitraries/schedules.ts';

export interface CaseOptions {
  /** hyperparameters the implementation cannot vary (a `Support`'s `fixed`) */
  readonly fixed?: WireHyper;
  /** PROTO-4: numeric hyperparameters it accepts only within these ranges (a `Support`'s `ranges`) */
  readonly ranges?: WireRanges;
  /** `long` adds 100,000+ elements and 200–1,000 steps */
  readonly profile?: Profile;
}

type ParamAnchor = 'fresh' | 'unit' | 'large' | 'small';
type GradAnchor = 'unit' | 'eps' | 'decay' | 'small' | 'large';

interface Plan {
  readonly hyper: WireHyper;
  readonly shape: Shape;
  readonly params: { readonly anchor: ParamAnchor; readonly style: Style };
  readonly grads: { readonly anchor: GradAnchor; readonly style: Style };
  /** null: fresh; else the step counter of a mid-run state */
  readonly start: number | null;
  readonly scheduled: boolean;
  /** NaN and ±∞, an overflowing update, a large step count, or none (PROTO-8's rates) */
  readonly extreme: Extreme;
  /** the seed the non-finite values or the overflowing values are drawn from */
  readonly seed: number;
  /** PROTO-4: the learning rate's range, which step overrides keep to */
  readonly lrRange?: Interval;
}

/**
 * |θ| < 2^10. In float16 the EWMA's debiased average avg/(1 − βᵗ) is up to 1/(1 − β) ≈ 1024
 * times the average, so its averages and losses stay below 2^5.
 */
function paramCapExp(family: Family, dtype: Dtype): number {
  return dtype === 'float16' && family === 'ewma' ? 5 : 10;
}

/**
 * |g| < 2^7 in float16 so g′² (with λ·θ ≤ 102) and momentum buffers stay below 65504 over a
 * run (2^3 for Adagrad, whose sum accumulates); elsewhere 2^10.
 */
function gradCapExp(family: Family, dtype: Dtype): number {
  if (dtype !== 'float16') return 10;
  // Adagrad's sum only grows (ADAGRAD-3): |g| < 2^3 keeps 1,000 steps of g′² below 65504
  return family === 'ewma' ? 5 : family === 'adagrad' ? 3 : 7;
}

const styleArb = weighted<Style>([
  ['band', 4],
  ['mixed', 1],
]);

function paramAnchorArb(family: Family): fc.Arbitrary<ParamAnchor> {
  // EWMA: the running average starts at 0 in fastai, so a fresh average comes first.
  if (family === 'ewma')
    return weighted<ParamAnchor>([
      ['fresh', 3],
      ['unit', 4],
      ['large', 1],
      ['small', 1],
    ]);
  return weighted<ParamAnchor>([
    ['unit', 6],
    ['large', 2],
    ['small', 2],
  ]);
}

function gradAnchorArb(family: Family): fc.Arbitrary<GradAnchor> {
  if (family === 'ewma')
    return weighted<GradAnchor>([
      ['unit', 4],
      ['large', 1],
      ['small', 1],
    ]);
  return weighted<GradAnchor>([
    ['unit', 4],
    ['eps', hasEps(family) ? 4 : 0],
    ['decay', 2],
    ['small', 2],
    ['large', 1],
  ]);
}

function paramBand(anchor: ParamAnchor, dtype: Dtype, capExp: number): Band {
  switch (anchor) {
    case 'fresh':
    case 'unit':
      return clampBand(dtype, -3, 3, capExp);
    case 'large':
      return clampBand(dtype, capExp - 5, capExp - 1, capExp);
    case 'small':
      return clampBand(dtype, -16, -8, capExp);
  }
}

/** The gradients' band: near ε (ε/16 … 64ε), or λ·θ, or fixed scales. */
function gradBand(family: Family, anchor: GradAnchor, h: WireHyper, params: Band, dtype: Dtype, capExp: number): Band {
  const eps = typeof h.eps === 'number' && h.eps > 0 ? epsScale(family, h.eps) : undefined;
  const wd = typeof h.weight_decay === 'number' && h.weight_decay > 0 ? h.weight_decay : undefined;
  if (anchor === 'eps' && eps !== undefined) {
    const c = exponentOf(eps);
    return clampBand(dtype, c - 4, c + 6, capExp);
  }
  if (anchor === 'decay' && wd !== undefined) {
    const c = exponentOf(wd) + Math.round((params.lo + params.hi) / 2);
    return clampBand(dtype, c - 2, c + 2, capExp);
  }
  switch (anchor) {
    case 'small':
      return clampBand(dtype, -24, -16, capExp);
    case 'large':
      return clampBand(dtype, capExp - 3, capExp - 1, capExp);
    default:
      return clampBand(dtype, -3, 3, capExp);
  }
}

function spec(dtype: Dtype, band: Band, capExp: number, style: Style, nonNegative: boolean): ElementSpec {
  return { dtype, band, wide: wideBand(dtype, capExp), nonNegative, weights: weightsFor(style, dtype) };
}

function build(family: Family, dtype: Dtype, p: Plan): fc.Arbitrary<Case> {
  const { n, steps } = p.shape;
  const ewma = family === 'ewma';
  const gCap = gradCapExp(family, dtype);
  const pCap = paramCapExp(family, dtype);
  const pBand = paramBand(p.params.anchor, dtype, pCap);
  const gBand = gradBand(family, p.grads.anchor, p.hyper, pBand, dtype, gCap);
  const pSpec = spec(dtype, pBand, pCap, p.params.style, ewma);
  // EWMA observations are losses, ≥ 0.
  const gSpec = spec(dtype, gBand, gCap, p.grads.style, ewma);
  // float16: a mid-run Adagrad sum leaves room for the run's own squares
  const squareCap = dtype === 'float16' ? (family === 'adagrad' ? 12 : 15) : 2 * gCap;
  const states: StateSpecs = {
    signed: spec(dtype, gBand, gCap, 'band', false),
    square: spec(dtype, clampBand(dtype, 2 * gBand.lo, 2 * gBand.hi, squareCap), squareCap, 'band', true),
    normalised: spec(dtype, clampBand(dtype, -4, 3, gCap), gCap, 'band', false),
  };
  const params = p.params.anchor === 'fresh' ? fc.constant(new Array<number>(n).fill(0)) : vectorArb(n, pSpec);
  const step = fc
    .record({ grad: vectorArb(n, gSpec), hyper: overrideArb(p.scheduled, dtype, p.lrRange) })
    .map(({ grad, hyper }): CaseStep => (hyper === undefined ? { grad } : { grad, hyper }));
  const state = p.start === null ? fc.constant(null) : stateArb(family, p.hyper, dtype, n, p.start, states);
  return fc.record({ params, state, steps: fc.array(step, { minLength: steps, maxLength: steps }) }).map((body): Case => ({
    optimizer: family,
    dtype,
    hyper: p.hyper,
    params: body.params,
    state: body.state,
    steps: cancelling(family, p.hyper, body.state, body.steps),
  }));
}

/**
 * LION-2: with β₁ = 0.5 and a mid-run state, every third element's first gradient is −m, so
 * c = (m + g)/2 is exactly 0 there and only the decay may move it (sign(0) = 0).
 */
function cancelling(family: Family, h: WireHyper, state: Case['state'], steps: CaseStep[]): CaseStep[] {
  const m = state?.exp_avg;
  if (family !== 'lion' || h.beta1 !== 0.5 || !Array.isArray(m) || steps.length === 0) return steps;
  const first = { ...steps[0], grad: steps[0].grad.map((g, i) => (i % 3 === 0 ? -(m[i] as number) : g)) };
  return [first, ...steps.slice(1)];
}

/**
 * Cases for one family and dtype: tensor values exact in the dtype, hyperparameters float32-exact
 * and valid, pins in `options.fixed` held everywhere (including per-step overrides), every value
 * inside `options.ranges` (PROTO-4).
 */
export function caseArbitrary(family: Family, dtype: Dtype, options: CaseOptions = {}): fc.Arbitrary<Case> {
  const fixed = options.fixed ?? {};
  const drawn = fc.record({
    hyper: hyperArb(family, dtype, fixed, options.ranges),
    shape: shapeArb(options.profile ?? 'default'),
    params: fc.record({ anchor: paramAnchorArb(family), style: styleArb }),
    grads: fc.record({ anchor: gradAnchorArb(family), style: styleArb }),
    start: startArb(family !== 'ewma', family === 'radam'),
    scheduled: scheduleArb(hasLr(family) && fixed.lr === undefined),
    extreme: extremeArb(family),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    lrRange: fc.constant(intervals(options.ranges).lr),
  });
  const large = fc.record({ t: largeStepArb, shift: fc.integer({ min: -1, max: 2 }) });
  const plan: fc.Arbitrary<Plan> = fc.tuple(drawn, large).map(([p, l]) => withExtreme(family, dtype, fixed, p, l));
  return plan.chain((p) =>
    build(family, dtype, p).map((c) => (p.extreme === 'non-finite' ? withNonFinite(c, p.seed) : p.extreme === 'overflow' ? withOverflow(c, p.seed) : c)),
  );
}

/** A plan with its extreme applied to the hyperparameters and the start: a large step count with β near 1, or an overflow's (PROTO-8). */
function withExtreme(family: Family, dtype: Dtype, fixed: WireHyper, p: Plan, large: { t: number; shift: number }): Plan {
  if (p.extreme === 'large-step') return { ...p, start: large.t, hyper: largeStepHyper(family, dtype, p.hyper, fixed, large.t, large.shift) };
  if (p.extreme !== 'overflow') return p;
  const hyper = overflowHyper(family, p.hyper, fixed);
  return hyper === undefined ? { ...p, extreme: 'none' } : { ...p, hyper };
}

const short = (x: number): string => (Object.is(x, -0) ? '-0' : String(Number(x.toPrecision(3))));

/** One line for reports: `adam float32 n=5 steps=3 lr=0.001 β1=0.9 … amsgrad; from step 57; lr changes ×2`. */
export function summariseCase(c: Case): string {
  const name = c.variant === undefined ? c.optimizer : `${c.optimizer} (${c.variant})`;
  const hyper = Object.entries(c.hyper)
    .filter(([, v]) => v !== false)
    .map(([k, v]) => (typeof v === 'boolean' ? k : `${k}=${short(v)}`))
    .join(' ');
  const overrides = c.steps.filter((s) => s.hyper !== undefined).length;
  const all = [c.params, ...c.steps.map((s) => s.grad)];
  const zeros = all.some((a) => a.some((x) => Object.is(x, -0)));
  const nonFinite = all.some((a) => a.some((x) => !Number.isFinite(x)));
  const parts = [
    `${name} ${c.dtype} n=${c.params.length} steps=${c.steps.length}${hyper === '' ? '' : ` ${hyper}`}`,
    c.state === null ? 'fresh' : `from step ${c.state.step}`,
    ...(overrides > 0 ? [`lr overridden on ${overrides} step${overrides === 1 ? '' : 's'}`] : []),
    ...(zeros ? ['has −0'] : []),
    ...(nonFinite ? ['has NaN/±∞'] : []),
  ];
  return parts.join('; ');
}
