/**
 * Conformance cases for property tests and the runner: `caseArbitrary(family, dtype)` composes
 * the per-concern arbitraries under conformance/arbitraries/ — magnitudes, hyperparameters,
 * schedules, states — into `Case`s biased toward where optimizer variants part: |g| near ε,
 * λ·θ ≈ g, the first steps (bias correction) and longer runs, learning-rate schedules, mid-run
 * states, ±0, subnormals, mixed magnitudes and vectors longer than 4096 elements.
 */
import fc from 'fast-check';
import type { Dtype } from '../../reference/dtype.ts';
import type { Family } from '../../reference/registry.ts';
import type { Case, CaseStep } from './case.ts';
import type { WireHyper, WireRanges } from '../protocol/messages.ts';
import { hasEps, hasLr, hyperArb, intervals, weighted } from './arbitraries/hyperparameters.ts';
import type { Interval } from './arbitraries/ranges.ts';
import { clampBand, exponentOf, vectorArb, weightsFor, wideBand, type Band, type ElementSpec, type Style } from './arbitraries/magnitudes.ts';
import { overrideArb, scheduleArb, shapeArb, startArb, type Profile, type Shape } from './arbitraries/schedules.ts';
import { stateArb, type StateSpecs } from './arbitraries/states.ts';

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
 * run; elsewhere 2^10.
 */
function gradCapExp(family: Family, dtype: Dtype): number {
  if (dtype !== 'float16') return 10;
  return family === 'ewma' ? 5 : 7;
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
function gradBand(anchor: GradAnchor, h: WireHyper, params: Band, dtype: Dtype, capExp: number): Band {
  const eps = typeof h.eps === 'number' && h.eps > 0 ? h.eps : undefined;
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
  const gBand = gradBand(p.grads.anchor, p.hyper, pBand, dtype, gCap);
  const pSpec = spec(dtype, pBand, pCap, p.params.style, ewma);
  // EWMA observations are losses, ≥ 0.
  const gSpec = spec(dtype, gBand, gCap, p.grads.style, ewma);
  const squareCap = dtype === 'float16' ? 15 : 2 * gCap;
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
  return fc
    .record({ params, state, steps: fc.array(step, { minLength: steps, maxLength: steps }) })
    .map((body): Case => ({ optimizer: family, dtype, hyper: p.hyper, params: body.params, state: body.state, steps: body.steps }));
}

/**
 * Cases for one family and dtype: tensor values exact in the dtype, hyperparameters float32-exact
 * and valid, pins in `options.fixed` held everywhere (including per-step overrides), every value
 * inside `options.ranges` (PROTO-4).
 */
export function caseArbitrary(family: Family, dtype: Dtype, options: CaseOptions = {}): fc.Arbitrary<Case> {
  const fixed = options.fixed ?? {};
  const plan: fc.Arbitrary<Plan> = fc.record({
    hyper: hyperArb(family, dtype, fixed, options.ranges),
    shape: shapeArb(options.profile ?? 'default'),
    params: fc.record({ anchor: paramAnchorArb(family), style: styleArb }),
    grads: fc.record({ anchor: gradAnchorArb(family), style: styleArb }),
    start: startArb(family !== 'ewma'),
    scheduled: scheduleArb(hasLr(family) && fixed.lr === undefined),
    lrRange: fc.constant(intervals(options.ranges).lr),
  });
  return plan.chain((p) => build(family, dtype, p));
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
  const parts = [
    `${name} ${c.dtype} n=${c.params.length} steps=${c.steps.length}${hyper === '' ? '' : ` ${hyper}`}`,
    c.state === null ? 'fresh' : `from step ${c.state.step}`,
    ...(overrides > 0 ? [`lr overridden on ${overrides} step${overrides === 1 ? '' : 's'}`] : []),
    ...(zeros ? ['has −0'] : []),
  ];
  return parts.join('; ');
}
