/**
 * conformance/adapters/float.ts, conformance/adapters/mutants.ts and conformance/adapters/tfjs.ts, checked
 * without the runner: fixed small cases (fresh state, 1–5 steps, 3–8 elements) compared with the
 * reference (`referenceRun`, exact values correctly rounded to the dtype).
 *
 * Inputs are chosen so no output suffers cancellation (gradients keep their sign across steps,
 * parameters stay far from zero), so a plain relative bound is fair: the honest float64 kernel is
 * within 16 ulps, float32 within 1e-6 relative (about 8 float32 ulps), tfjs within 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { roundDoubleToDtype, ulp, type Dtype } from '../../reference/dtype.ts';
import { dtypeRounder, floatImplementation, MUTATION_NAMES, type MutationName } from '../../conformance/adapters/float.ts';
import { tfjsImplementation } from '../../conformance/adapters/tfjs.ts';
import type { Implementation } from '../../conformance/protocol/implementation.ts';
import { MUTANTS } from '../../conformance/adapters/mutants.ts';
import type { RunReply, RunRequest, WireHyper, WireStepInput, WireStepOutput } from '../../conformance/protocol/messages.ts';
import { referenceRun } from '../../conformance/adapters/reference.ts';

const f = Math.fround;

/** A request whose inputs are the given doubles rounded to the dtype (hyperparameters to float32). */
function request(
  optimizer: string,
  dtype: Dtype,
  hyper: WireHyper,
  params: number[],
  grads: number[][],
  overrides: Record<number, WireHyper> = {},
): RunRequest {
  const r = (x: number) => roundDoubleToDtype(x, dtype);
  const h = Object.fromEntries(Object.entries(hyper).map(([k, v]) => [k, typeof v === 'number' ? f(v) : v]));
  const steps: WireStepInput[] = grads.map((g, k) => ({ grad: g.map(r), ...(overrides[k] ? { hyper: overrides[k] } : {}) }));
  return { op: 'run', id: `${optimizer}-${dtype}`, optimizer, dtype, hyper: h, params: params.map(r), state: null, steps };
}

function stepsOf(reply: RunReply, who: string): readonly WireStepOutput[] {
  if (reply.op !== 'result') throw new Error(`${who}: expected a result, got ${JSON.stringify(reply)}`);
  return reply.steps;
}

/** Every param and state value, with a label, in step order. */
function values(steps: readonly WireStepOutput[], withState: boolean): [string, number][] {
  const out: [string, number][] = [];
  steps.forEach((s, k) => {
    s.params.forEach((x, i) => out.push([`step ${k + 1} params[${i}]`, x as number]));
    if (!withState || !s.state) return;
    for (const [name, arr] of Object.entries(s.state)) {
      if (Array.isArray(arr)) arr.forEach((x, i) => out.push([`step ${k + 1} ${name}[${i}]`, x as number]));
    }
  });
  return out;
}

/** Asserts each value of `got` is within `bound(expected)` of the reference's, naming the clause. */
async function expectNear(clause: string, impl: Implementation, q: RunRequest, bound: (expected: number) => number, withState = true) {
  const got = values(stepsOf(await impl.run(q), 'implementation'), withState);
  const want = values(stepsOf(referenceRun(q), 'reference'), withState);
  expect(got.length, `${clause}: number of values`).toBe(want.length);
  got.forEach(([where, x], n) => {
    const y = want[n][1];
    const b = bound(y);
    expect(Math.abs(x - y) <= b, `${clause}: ${q.optimizer} ${q.dtype} ${where}: expected ${y} ± ${b.toExponential(2)}, got ${x}`).toBe(true);
  });
}

const ulps = (n: number) => (y: number) => n * ulp(y, 'float64');
const relative = (r: number) => (y: number) => r * Math.abs(y);

// Gradients keep their sign per element across steps (no cancellation in the moments).
const P4 = [0.5, -1.25, 2, -3];
const G4 = [
  [0.1, -0.2, 0.3, -1],
  [0.3, -0.1, 0.1, -0.5],
  [0.2, -0.4, 0.2, -0.25],
  [0.05, -0.3, 0.4, -2],
];

interface FixedCase {
  readonly clauses: string;
  readonly optimizer: string;
  readonly hyper: WireHyper;
  readonly steps: number;
  readonly overrides?: Record<number, WireHyper>;
  /** a relative bound for float64 instead of 16 ulps (NAdam's float32 μ product, PREC-12) */
  readonly float64Relative?: number;
}

const FIXED: readonly FixedCase[] = [
  { clauses: 'SGD-1', optimizer: 'sgd', hyper: { lr: 0.1 }, steps: 2 },
  { clauses: 'SGD-2, SGD-3', optimizer: 'sgd', hyper: { lr: 0.1, momentum: 0.9, dampening: 0.25, weight_decay: 0.01 }, steps: 4 },
  { clauses: 'SGD-4', optimizer: 'sgd', hyper: { lr: 0.05, momentum: 0.875, nesterov: true }, steps: 3 },
  { clauses: 'RMSPROP-1, RMSPROP-2, RMSPROP-4', optimizer: 'rmsprop', hyper: { lr: 0.01 }, steps: 3 },
  { clauses: 'RMSPROP-3, RMSPROP-5, RMSPROP-6', optimizer: 'rmsprop', hyper: { lr: 0.01, momentum: 0.5, centered: true, weight_decay: 0.01 }, steps: 4 },
  { clauses: 'ADAM-2, ADAM-3, ADAM-4, ADAM-5', optimizer: 'adam', hyper: { lr: 0.01 }, steps: 4 },
  { clauses: 'ADAM-1, ADAM-6', optimizer: 'adam', hyper: { lr: 0.01, weight_decay: 0.05, amsgrad: true }, steps: 4 },
  { clauses: 'ADAMW-1, ADAMW-2', optimizer: 'adamw', hyper: { lr: 0.01, weight_decay: 0.1 }, steps: 3 },
  { clauses: 'NOTE-3', optimizer: 'adamw', hyper: { lr: 0.01, weight_decay: 0.1 }, steps: 4, overrides: { 2: { lr: f(0.005) } } },
  { clauses: 'NOTE-3', optimizer: 'sgd', hyper: { lr: 0.1, momentum: 0.9 }, steps: 4, overrides: { 1: { lr: f(0.025) } } },
  {
    clauses: 'ADAGRAD-1, ADAGRAD-2, ADAGRAD-3, ADAGRAD-4',
    optimizer: 'adagrad',
    hyper: { lr: 0.1, lr_decay: 0.5, weight_decay: 0.01, initial_accumulator_value: 0.5 },
    steps: 4,
  },
  { clauses: 'ADADELTA-1, ADADELTA-2, ADADELTA-3, ADADELTA-4, ADADELTA-5', optimizer: 'adadelta', hyper: { weight_decay: 0.01 }, steps: 4 },
  { clauses: 'ADAMAX-1, ADAMAX-2, ADAMAX-3, ADAMAX-4', optimizer: 'adamax', hyper: { weight_decay: 0.01, beta2: 0.5 }, steps: 4 },
  // PREC-12: the μ product is a float32 scalar in every dtype, so float64 NAdam is within float32's precision
  { clauses: 'NADAM-1, NADAM-2, NADAM-3, NADAM-4, NADAM-5, PREC-12', optimizer: 'nadam', hyper: { weight_decay: 0.01 }, steps: 4, float64Relative: 1e-6 },
  { clauses: 'RADAM-1, RADAM-2, RADAM-3, RADAM-5', optimizer: 'radam', hyper: { weight_decay: 0.01, beta2: 0.75 }, steps: 4 },
  { clauses: 'LION-1, LION-2, LION-3, LION-4', optimizer: 'lion', hyper: { lr: 0.01 }, steps: 4 },
];

describe('conformance/adapters/float.ts: the honest kernels against the reference', () => {
  const honest = floatImplementation();
  for (const c of FIXED) {
    const q = (dtype: Dtype) => request(c.optimizer, dtype, c.hyper, P4, G4.slice(0, c.steps), c.overrides);
    it(`${c.clauses}: float64 ${c.optimizer} ${JSON.stringify(c.hyper)} is within ${c.float64Relative ? `${c.float64Relative} relative` : '16 ulps'} of the reference`, async () => {
      await expectNear(c.clauses, honest, q('float64'), c.float64Relative ? relative(c.float64Relative) : ulps(16));
    });
    it(`${c.clauses}: float32 ${c.optimizer} ${JSON.stringify(c.hyper)} is within 1e-6 relative of the reference`, async () => {
      await expectNear(c.clauses, honest, q('float32'), relative(1e-6));
    });
  }

  it('NOTE-1, NOTE-2: two steps from the returned state give bit for bit the last two of four', async () => {
    for (const [optimizer, hyper] of [
      ['sgd', { lr: 0.1, momentum: 0.9, nesterov: true }],
      ['rmsprop', { lr: 0.01, momentum: 0.5, centered: true }],
      ['adam', { lr: 0.01, amsgrad: true }],
      ['adamw', { lr: 0.01 }],
    ] as const) {
      const whole = request(optimizer, 'float32', hyper, P4, G4);
      const all = stepsOf(honest.run(whole) as RunReply, 'four steps');
      const resumed: RunRequest = { ...whole, state: all[1].state!, params: all[1].params, steps: whole.steps.slice(2) };
      const tail = stepsOf(honest.run(resumed) as RunReply, 'resumed');
      expect(tail, `NOTE-2: ${optimizer} resumed from its own state (step ${all[1].state!.step}) must continue exactly`).toEqual(all.slice(2));
      expect(all[3].state!.step, 'NOTE-1: the step counter after four steps').toBe(4);
    }
  });

  it('NOTE-4: values the dtype cannot hold are an error, not silently rounded', () => {
    const q = request('sgd', 'float32', { lr: 0.1 }, [0.5], [[0.25]]);
    const reply = honest.run({ ...q, params: [0.1] }) as RunReply;
    expect(reply.op, 'NOTE-4: 0.1 (0x1.999999999999ap-4) is not a float32').toBe('error');
  });

  it('NOTE-5: the fast rounding agrees with roundDoubleToDtype on ties, subnormals and overflow', () => {
    // bfloat16 keeps 8 significant bits: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 → 1 (even);
    // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6 → 1 + 2^-6 (even).
    // float16: 65520 = (2 − 2^-11)·2^15 is the overflow threshold (→ ∞); 2^-25 is half the smallest
    // subnormal 2^-24 (a tie → 0); 3·2^-26 is above it (→ 2^-24).
    const hard = [
      1 + 2 ** -8,
      1 + 3 * 2 ** -8,
      65504,
      65519.99,
      65520,
      2 ** -25,
      3 * 2 ** -26,
      2 ** -24,
      -0,
      0.1,
      -0.1,
      1e-40,
      3.3895313892515355e38,
      3.4e38,
      5e-324,
    ];
    let seed = 12345;
    const random = Array.from({ length: 3000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 2 ** ((seed % 80) - 40);
    });
    for (const dtype of ['bfloat16', 'float16', 'float32', 'float64'] as const) {
      const fast = dtypeRounder(dtype);
      for (const x of [...hard, ...hard.map((v) => -v), ...random]) {
        expect(
          Object.is(fast(x), roundDoubleToDtype(x, dtype)),
          `NOTE-5: ${dtype} rounding of ${x}: expected ${roundDoubleToDtype(x, dtype)}, got ${fast(x)}`,
        ).toBe(true);
      }
    }
  });
});

/** A case on which the mutant's one wrong part shows, and (optionally) one on which it cannot. */
interface MutantCase {
  readonly clause: string;
  readonly reached: RunRequest;
  readonly unreached?: RunRequest;
  /** the relative difference it must show where reached (default 1e-4) */
  readonly visible?: number;
}

/** An Adam case from step `step` with β₁ = 1 − 2⁻¹⁶, β₂ = 1 − 2⁻¹⁷, so βᵗ still matters at t ≈ 10⁵ (PROTO-8). */
function lateAdam(dtype: Dtype, step: number): RunRequest {
  const late = request('adam', dtype, { lr: 0.001, beta1: 1 - 2 ** -16, beta2: 1 - 2 ** -17 }, [...P4], [G4[0], G4[1]]);
  const r = (x: number) => roundDoubleToDtype(x, dtype);
  return { ...late, state: { step, exp_avg: G4[2].map((g) => r(g / 4)), exp_avg_sq: G4[3].map((g) => r(g * g)) } };
}

function mutantCases(name: MutationName): MutantCase {
  const q = (optimizer: string, hyper: WireHyper, steps = 4, overrides: Record<number, WireHyper> = {}, size = 4) =>
    request(
      optimizer,
      'float32',
      hyper,
      Array.from({ length: size }, (_, i) => P4[i % 4]),
      // G4's rows repeated: longer cases and larger tensors keep the signs per element
      Array.from({ length: steps }, (_, k) => Array.from({ length: size }, (_, i) => G4[k % 4][i % 4])),
      overrides,
    );
  const lrChange = { 2: { lr: f(0.025) } };
  // the gradient turns at step 2 and the momentum, at β₂ = 0.5, turns with it: which average the sign reads shows
  const lionTurn = request('lion', 'float32', { lr: 0.01, beta2: 0.5 }, P4, [
    [1, 1, 1, 1],
    [-1, -1, -1, -1],
  ]);
  const table: Record<MutationName, MutantCase> = {
    'sgd/dampening-on-first-step': {
      clause: 'SGD-3',
      reached: q('sgd', { lr: 0.1, momentum: 0.9, dampening: 0.5 }),
      unreached: q('sgd', { lr: 0.1, momentum: 0.9 }),
    },
    'sgd/dampening-ignored': {
      clause: 'SGD-3',
      reached: q('sgd', { lr: 0.1, momentum: 0.9, dampening: 0.5 }),
      unreached: q('sgd', { lr: 0.1, momentum: 0.9 }),
    },
    'sgd/lerp-momentum': { clause: 'SGD-3', reached: q('sgd', { lr: 0.1, momentum: 0.9 }), unreached: q('sgd', { lr: 0.1 }) },
    'sgd/nesterov-old-buffer': {
      clause: 'SGD-4',
      reached: q('sgd', { lr: 0.1, momentum: 0.9, nesterov: true }),
      unreached: q('sgd', { lr: 0.1, momentum: 0.9 }),
    },
    'sgd/weight-decay-sign': { clause: 'SGD-2', reached: q('sgd', { lr: 0.1, weight_decay: 0.5 }), unreached: q('sgd', { lr: 0.1 }) },
    'sgd/lr-in-buffer': { clause: 'SGD-7', reached: q('sgd', { lr: 0.1, momentum: 0.9 }, 4, lrChange), unreached: q('sgd', { lr: 0.1, momentum: 0.9 }) },
    'rmsprop/eps-inside-root': { clause: 'RMSPROP-2', reached: q('rmsprop', { lr: 0.01, eps: 0.01 }) },
    'rmsprop/centered-without-mean': { clause: 'RMSPROP-3', reached: q('rmsprop', { lr: 0.01, centered: true }), unreached: q('rmsprop', { lr: 0.01 }) },
    'rmsprop/alpha-swapped': { clause: 'RMSPROP-1', reached: q('rmsprop', { lr: 0.01 }) },
    'rmsprop/momentum-on-raw-gradient': { clause: 'RMSPROP-5', reached: q('rmsprop', { lr: 0.01, momentum: 0.5 }), unreached: q('rmsprop', { lr: 0.01 }) },
    'adam/eps-inside-root': { clause: 'ADAM-5', reached: q('adam', { eps: 0.01 }) },
    'adam/eps-hat': { clause: 'ADAM-5', reached: q('adam', { eps: 0.01 }) },
    'adam/no-bias-correction': { clause: 'ADAM-4', reached: q('adam', {}) },
    'adam/bias-correction-t-plus-1': { clause: 'ADAM-4', reached: q('adam', {}) },
    'adam/bias-correction-stops-after-10': { clause: 'ADAM-4', reached: q('adam', {}, 12), unreached: q('adam', {}, 10) },
    'adam/betas-swapped-in-bias-correction': { clause: 'ADAM-4', reached: q('adam', {}) },
    'adam/eps-doubled-past-4096': { clause: 'ADAM-5', reached: q('adam', { eps: 0.01 }, 2, {}, 4100), unreached: q('adam', { eps: 0.01 }, 2, {}, 4096) },
    'adam/bfloat16-state': { clause: 'ADAM-2', reached: q('adam', {}) },
    'adam/amsgrad-max-of-corrected': { clause: 'ADAM-6', reached: q('adam', { amsgrad: true }), unreached: q('adam', {}) },
    'adam/decoupled-decay': { clause: 'ADAM-1', reached: q('adam', { weight_decay: 0.1 }), unreached: q('adam', {}) },
    'adam/skips-nan-gradients': {
      clause: 'ADAM-2',
      reached: request('adam', 'float32', {}, [...P4], [G4[0], [NaN, ...G4[1].slice(1)]]),
      unreached: q('adam', {}),
    },
    // float64: in float32 the bound on βᵗ (PREC-3) covers t ± 1 at t > 10⁵, and the values show it too little
    'adam/power-t-minus-1-past-100k': { clause: 'ADAM-4', reached: lateAdam('float64', 150_000), unreached: lateAdam('float64', 1000), visible: 1e-10 },
    'adam/one-minus-beta-past-100k': { clause: 'ADAM-4', reached: lateAdam('float32', 150_000), unreached: lateAdam('float32', 1000) },
    'adamw/l2-coupled': { clause: 'ADAMW-2', reached: q('adamw', {}), unreached: q('adamw', { weight_decay: 0 }) },
    'adamw/decay-after-update': { clause: 'ADAMW-1', reached: q('adamw', { lr: 0.1, weight_decay: 0.5 }), unreached: q('adamw', { weight_decay: 0 }) },
    'adamw/decay-not-lr-scaled': { clause: 'ADAMW-1', reached: q('adamw', {}), unreached: q('adamw', { weight_decay: 0 }) },
    'adagrad/eps-inside-root': { clause: 'ADAGRAD-4', reached: q('adagrad', { lr: 0.1, eps: 0.01 }) },
    'adagrad/lr-decay-from-t': { clause: 'ADAGRAD-2', reached: q('adagrad', { lr: 0.1, lr_decay: 0.5 }), unreached: q('adagrad', { lr: 0.1 }) },
    'adagrad/initial-accumulator-ignored': {
      clause: 'ADAGRAD-3',
      reached: q('adagrad', { lr: 0.1, initial_accumulator_value: 0.5 }),
      unreached: q('adagrad', { lr: 0.1 }),
    },
    'adagrad/sum-of-abs': { clause: 'ADAGRAD-3', reached: q('adagrad', { lr: 0.1 }) },
    'adadelta/stale-denominator': { clause: 'ADADELTA-3', reached: q('adadelta', {}) },
    'adadelta/eps-outside-roots': { clause: 'ADADELTA-3', reached: q('adadelta', { eps: 0.01 }) },
    'adadelta/lr-in-accumulator': { clause: 'ADADELTA-4', reached: q('adadelta', { lr: 0.5 }), unreached: q('adadelta', { lr: 1 }) },
    'adadelta/rho-swapped': { clause: 'ADADELTA-2', reached: q('adadelta', { rho: 0.9 }), unreached: q('adadelta', { rho: 0.5 }) },
    'adamax/eps-after-max': { clause: 'ADAMAX-3', reached: q('adamax', { eps: 0.01 }) },
    'adamax/no-bias-correction': { clause: 'ADAMAX-4', reached: q('adamax', {}) },
    'adamax/norm-not-decayed': { clause: 'ADAMAX-3', reached: q('adamax', { beta2: 0.5 }) },
    'adamax/norm-without-abs': { clause: 'ADAMAX-3', reached: q('adamax', {}) },
    'nadam/no-schedule': { clause: 'NADAM-2', reached: q('nadam', {}) },
    'nadam/mu-product-twice': { clause: 'NADAM-3', reached: q('nadam', { lr: 0.1 }) },
    'nadam/next-product-not-advanced': { clause: 'NADAM-5', reached: q('nadam', {}) },
    'nadam/schedule-base-0.9': { clause: 'NADAM-2', reached: q('nadam', { momentum_decay: 1 }), unreached: q('nadam', { momentum_decay: 0 }) },
    // β₂ = 0.75: ρ₆ ≈ 4.40, ρ₇ ≈ 4.84 (rectified only at threshold 4), ρ₈ ≈ 5.22 (rectified); the defaults rectify nothing before step 6
    'radam/threshold-4': { clause: 'RADAM-5', reached: q('radam', { beta2: 0.75 }, 8), unreached: q('radam', {}, 4) },
    'radam/eps-after-correction': {
      clause: 'RADAM-5',
      reached: q('radam', { lr: 0.1, beta2: 0.75, eps: 0.1 }, 10),
      unreached: q('radam', { lr: 0.1, eps: 0.1 }, 4),
    },
    'radam/no-rectification': { clause: 'RADAM-4', reached: q('radam', { beta2: 0.75 }, 10), unreached: q('radam', {}, 4) },
    'radam/unrectified-uncorrected': { clause: 'RADAM-5', reached: q('radam', {}) },
    // c = 0 exactly where a fresh state meets a zero gradient
    'lion/sign-zero-is-one': { clause: 'LION-2', reached: request('lion', 'float32', { lr: 0.01 }, P4, [[0, 0.5, 0, -1]]), unreached: q('lion', { lr: 0.01 }) },
    'lion/momentum-first': { clause: 'LION-4', reached: lionTurn },
    'lion/decay-not-lr-scaled': { clause: 'LION-3', reached: q('lion', { lr: 0.01, weight_decay: 0.1 }), unreached: q('lion', { lr: 0.01, weight_decay: 0 }) },
    'lion/interpolation-at-beta2': { clause: 'LION-1', reached: lionTurn },
  };
  return table[name];
}

/** The largest relative difference between two replies' params and state (floor 1e-30). */
function largestDifference(a: RunReply, b: RunReply): number {
  const mutantSteps = stepsOf(a, 'mutant');
  // a mutant that hides its state (sgd/lr-in-buffer) is compared on params alone
  const withState = mutantSteps[0]?.state !== undefined;
  const x = values(mutantSteps, withState);
  const y = values(stepsOf(b, 'honest'), withState);
  expect(x.length, 'mutant and honest replies carry the same values').toBe(y.length);
  // NaN against a number is as different as can be; NaN against NaN not at all
  const relative = (v: number, w: number) =>
    Number.isNaN(v) || Number.isNaN(w) ? (Number.isNaN(v) === Number.isNaN(w) ? 0 : Infinity) : Math.abs(v - w) / Math.max(Math.abs(w), 1e-30);
  // wire values: "NaN" and "±Infinity" as strings (PROTO-3)
  return Math.max(...x.map(([, v], n) => relative(Number(v), Number(y[n][1]))));
}

describe('conformance/adapters/mutants.ts: every mutant changes one part, where a case reaches it', () => {
  const honest = floatImplementation({ dtypes: ['float32', 'float64'] });
  // one test per mutation in adapters/float.ts, so a mutation missing from the corpus fails
  for (const name of MUTATION_NAMES) {
    const c = mutantCases(name);
    it(`${c.clause}: mutant ${name} is in the corpus and differs from the honest kernel by > 1e-4 where reached${c.unreached ? ', by < 1e-5 where not' : ''}`, async () => {
      const entries = MUTANTS.filter((x) => x.name === name);
      expect(entries.length, `${c.clause}: ${name} appears once in MUTANTS`).toBe(1);
      const m = entries[0];
      expect(
        m.name.startsWith(`${m.optimizer}/`) && m.dtype === c.reached.dtype && m.description.length > 10,
        `${name}: claims its family, its case's dtype, described`,
      ).toBe(true);
      const impl = m.impl();
      const hello = await impl.hello();
      expect(
        hello.supports.map((s) => s.optimizer),
        `${m.name} claims ${m.optimizer}`,
      ).toContain(m.optimizer);
      const reached = largestDifference(await impl.run(c.reached), honest.run(c.reached) as RunReply);
      expect(reached > (c.visible ?? 1e-4), `${c.clause}: ${m.name} should visibly differ on its case, largest relative difference ${reached}`).toBe(true);
      if (c.unreached) {
        const unreached = largestDifference(await impl.run(c.unreached), honest.run(c.unreached) as RunReply);
        expect(unreached < 1e-5, `${c.clause}: ${m.name} should match where its part is not reached, largest relative difference ${unreached}`).toBe(true);
      }
    });
  }
});

describe('conformance/adapters/tfjs.ts: TensorFlow.js 4.22 CPU against the reference', () => {
  const tfjs = tfjsImplementation();
  const q = (optimizer: string, hyper: WireHyper, steps: number, overrides: Record<number, WireHyper> = {}) =>
    request(optimizer, 'float32', hyper, P4, G4.slice(0, steps), overrides);

  it('SGD-3: tf.train.momentum matches PyTorch momentum (τ = 0) within 1e-5, with an lr change (setLearningRate)', async () => {
    await expectNear('SGD-3', tfjs, q('sgd', { lr: 0.1, momentum: 0.9 }, 4, { 2: { lr: f(0.025) } }), relative(1e-5), false);
  });

  it('SGD-4: tf.train.momentum(useNesterov) matches PyTorch Nesterov within 1e-5', async () => {
    await expectNear('SGD-4', tfjs, q('sgd', { lr: 0.05, momentum: 0.875, nesterov: true }, 4), relative(1e-5), false);
  });

  it('SGD-1: tf.train.sgd matches plain SGD within 1e-5', async () => {
    await expectNear('SGD-1', tfjs, q('sgd', { lr: 0.1 }, 3), relative(1e-5), false);
  });

  it('ADAM-5: tf.train.adam matches PyTorch Adam within 1e-5, with an lr change (learningRate re-read)', async () => {
    await expectNear('ADAM-5', tfjs, q('adam', { lr: 0.01 }, 4, { 2: { lr: f(0.005) } }), relative(1e-5), false);
    // tfjs's update is off by up to ~1e-5 of itself (ADAM-4 below), so lr stays small next to θ
    await expectNear('ADAM-5', tfjs, q('adam', { lr: 0.01, eps: 1e-3 }, 3), relative(1e-5), false);
  });

  it('ADAM-4: tfjs corrects by 1 − f32(β₂) where v carries f32(1 − β₂), so step 1 with g = 1 moves 0.9999934·lr', async () => {
    // v₁ = f32(0.001000000047) = 0x1.0624dep-10, but 1 − accBeta2 = 1 − f32(0.999) = 0.000999987125:
    // v̂₁ is 1.29e-5 too large and the step is lr/√(1 + 1.29e-5) ≈ 0.9999936·lr, not lr.
    const reply = stepsOf(await tfjs.run(request('adam', 'float32', { lr: 0.001 }, [0], [[1]])), 'tfjs');
    expect(reply[0].params[0], 'ADAM-4: tfjs 4.22 first Adam step (research §6.2)').toBe(f(-0.0009999934118241072));
  });

  it('RMSPROP-7: tfjs centered RMSprop subtracts ε, √(v − ḡ² − ε), so a small centered variance gives NaN', async () => {
    // g = 2^-13 ≈ 1.2e-4 at step 1: v − ḡ² = α(1−α)·g² ≈ 1.5e-10 < ε = 1e-8 → NaN; PyTorch gives a finite step.
    const c = request('rmsprop', 'float32', { lr: 0.01, centered: true, eps: 1e-8 }, [1], [[2 ** -13]]);
    const got = stepsOf(await tfjsImplementation({ centeredRmsprop: true }).run(c), 'tfjs')[0].params[0];
    const want = stepsOf(referenceRun(c), 'reference')[0].params[0];
    expect(got, 'RMSPROP-7: tfjs 4.22 centered RMSprop (rmsprop_optimizer.js)').toBe('NaN');
    expect(Number.isFinite(want), 'RMSPROP-3: the reference step is finite').toBe(true);
  });

  it('NOTE-2: tfjs declares no state and refuses a given state, weight decay, and a momentum change', async () => {
    const hello = await tfjs.hello();
    expect(
      hello.supports.every((s) => s.returnsState === false && s.dtypes.join() === 'float32'),
      'tfjs supports: float32, no state',
    ).toBe(true);
    const base = q('sgd', { lr: 0.1, momentum: 0.9 }, 2);
    const refusals: RunRequest[] = [
      { ...base, state: { step: 1, momentum_buffer: [0, 0, 0, 0] } },
      q('adam', { weight_decay: 0.01 }, 2),
      q('sgd', { lr: 0.1, momentum: 0.9 }, 2, { 1: { momentum: 0.5 } }),
      q('adam', {}, 2, { 1: { beta2: f(0.99) } }),
      { ...base, dtype: 'float64' },
      q('adamw', {}, 1),
    ];
    for (const r of refusals)
      expect((await tfjs.run(r)).op, `NOTE-2/NOTE-3: ${JSON.stringify({ ...r, params: undefined, steps: undefined })}`).toBe('unsupported');
  });

  it('ADAM-5: a 100k-element tfjs Adam case returns every element and leaves no tensors behind', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const n = 100_000;
    const big = request('adam', 'float32', {}, new Array(n).fill(0.5), [new Array(n).fill(0.125), new Array(n).fill(0.25)]);
    await tfjs.run(big); // backend set up before counting
    const before = tf.memory().numTensors;
    const steps = stepsOf(await tfjs.run(big), 'tfjs');
    expect(steps[1].params.length, 'ADAM-5: every element returned').toBe(n);
    expect(tf.memory().numTensors, 'tensors after the run').toBe(before);
  });
});
