/**
 * reference/notation.ts, reference/trajectory.ts and reference/registry.ts: step numbering
 * (NOTE-1), fresh and resumed state (NOTE-2), per-step hyperparameter overrides and their
 * validation (NOTE-3), and exact binary inputs (NOTE-4) as the trajectory runner applies them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import { flag, freshState, num, resolveHyper, type ElementStep, type HyperSpec } from '../../reference/notation.ts';
import {
  FAMILIES,
  KNOWN_DEFECTS,
  OPTIMIZERS,
  defectsOf,
  describeDefect,
  findDefinition,
  findOptimizer,
  freshValue,
  variantsOf,
  type OptimizerDef,
} from '../../reference/registry.ts';
import { referenceTrajectory, type CaseInput } from '../../reference/trajectory.ts';
import { CLAUSES, FC, d, expectClose, expectDec, hyper } from './helpers.ts';

const SGD = findOptimizer('sgd')!;
const ADAM = findOptimizer('adam')!;

/** A definition whose step records the step number it is given and returns θ + t. */
function spyDef(seen: number[]): OptimizerDef {
  const step: ElementStep = (param, _grad, state, _h, t) => {
    seen.push(t);
    return { param: param.plus(t), state: { count: state.count.plus(1) } };
  };
  return { ...SGD, name: 'spy', stateNames: () => ['count'], invalid: () => undefined, step };
}

describe('NOTE-1 · step numbering', () => {
  it('NOTE-1 · the first step is t = 1; the state reports the step after the increment', () => {
    const seen: number[] = [];
    const out = referenceTrajectory(spyDef(seen), {
      hyper: { lr: 1 },
      params: [0, 10],
      state: null,
      steps: [{ grad: [0, 0] }, { grad: [0, 0] }, { grad: [0, 0] }],
    });
    expect(seen, 'NOTE-1: t passed to the step, per element').toEqual([1, 1, 2, 2, 3, 3]);
    expect(out.map((s) => s.state.step)).toEqual([1, 2, 3]);
    // θ = 0 + 1 + 2 + 3 = 6 and 10 + 6 = 16
    expectDec(out[2].params[0], 6, 'NOTE-1', 'θ₃[0]');
    expectDec(out[2].params[1], 16, 'NOTE-1', 'θ₃[1]');
  });
  it('NOTE-1 · resuming from state.step = 5 numbers the next step 6', () => {
    const seen: number[] = [];
    const out = referenceTrajectory(spyDef(seen), { hyper: { lr: 1 }, params: [0], state: { step: 5, count: [5] }, steps: [{ grad: [0] }, { grad: [0] }] });
    expect(seen).toEqual([6, 7]);
    expect(out.map((s) => s.state.step)).toEqual([6, 7]);
    expectDec((out[1].state.count as Dec[])[0], 7, 'NOTE-1', 'count');
  });
  it("NOTE-1 · PyTorch's buffer: dampening is skipped at t = 1 only, also when resuming at t = 2", () => {
    // μ = 0.5, τ = 0.5, g = 1. Fresh: b₁ = g = 1. Resumed from step 1 with b = 1: b₂ = 0.5 + 0.5 = 1.
    // Resumed from step 1 with b = 3: b₂ = 1.5 + 0.5 = 2, θ = 0 − 2 = −2 (a fresh step would give −1).
    const h = { lr: 1, momentum: 0.5, dampening: 0.5 };
    const out = referenceTrajectory(SGD, { hyper: h, params: [0], state: { step: 1, momentum_buffer: [3] }, steps: [{ grad: [1] }] });
    expectDec((out[0].state.momentum_buffer as Dec[])[0], 2, 'NOTE-1', 'b₂');
    expectDec(out[0].params[0], -2, 'NOTE-1', 'θ');
    expectDec(referenceTrajectory(SGD, { hyper: h, params: [0], state: null, steps: [{ grad: [1] }] })[0].params[0], -1, 'NOTE-1', 'fresh θ₁');
  });
  it('NOTE-1 · Adam bias correction follows the resumed step number', () => {
    // Resume at step 1 with m = 0.25, v = 0.0625 (what step 1 of g = 0.5 gives at β = (0.5, 0.75)),
    // then g = 0.5 at t = 2: m = 0.375, v = 0.109375, m̂ = 0.5, v̂ = 0.25, Δ = lr = 0.25.
    const h = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 0 };
    const out = referenceTrajectory(ADAM, { hyper: h, params: [0.75], state: { step: 1, exp_avg: [0.25], exp_avg_sq: [0.0625] }, steps: [{ grad: [0.5] }] });
    expectDec(out[0].params[0], 0.5, 'NOTE-1', 'θ₂');
    // the same moments numbered as step 1 (state.step = 0) would be corrected by 0.5 and 0.25
    const wrong = referenceTrajectory(ADAM, { hyper: h, params: [0.75], state: { step: 0, exp_avg: [0.25], exp_avg_sq: [0.0625] }, steps: [{ grad: [0.5] }] });
    expect(wrong[0].params[0].eq(0.5)).toBe(false);
  });
});

describe('NOTE-2 · fresh state', () => {
  it('NOTE-2 · freshState: every named value zero', () => {
    const s = freshState(['exp_avg', 'exp_avg_sq']);
    expect(Object.keys(s)).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(s.exp_avg.isZero() && s.exp_avg_sq.isZero()).toBe(true);
    expect(freshState([])).toEqual({});
  });
  it('NOTE-2 · state null, { step: 0 } and explicit zeros are the same fresh optimizer', () => {
    const base = { hyper: { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 0, amsgrad: true }, params: [1, -2], steps: [{ grad: [0.5, 3] }, { grad: [-1, 0.25] }] };
    const a = referenceTrajectory(ADAM, { ...base, state: null });
    const b = referenceTrajectory(ADAM, { ...base, state: { step: 0 } });
    const c = referenceTrajectory(ADAM, { ...base, state: { step: 0, exp_avg: [0, 0], exp_avg_sq: [0, -0], max_exp_avg_sq: [0, 0] } });
    for (const other of [b, c]) {
      other.forEach((s, i) => s.params.forEach((p, j) => expectDec(p, a[i].params[j], 'NOTE-2', `θ${i + 1}[${j}]`)));
    }
    // worked value: element 0 is the running example, θ₁ = 1 − 0.25 = 0.75
    expectDec(a[0].params[0], 0.75, 'NOTE-2', 'θ₁[0]');
  });
  it('NOTE-2/NOTE-3 · two steps at once equal one step, then one step from the returned state (dyadic, via the protocol)', () => {
    // Adam at β = (0.5, 0.75), g = 0.5 then 0.25: every state value is dyadic, so it travels as a double.
    const h = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 0, amsgrad: true };
    const steps = [{ grad: [0.5] }, { grad: [0.25], hyper: { lr: 0.125 } }];
    const both = referenceTrajectory(ADAM, { hyper: h, params: [1], state: null, steps });
    const first = referenceTrajectory(ADAM, { hyper: h, params: [1], state: null, steps: steps.slice(0, 1) });
    const toNum = (x: Dec) => {
      const n = Number(x.toString());
      expectDec(exact(n), x, 'NOTE-2', 'state value is a double'); // exact: the state is dyadic here
      return n;
    };
    const s1 = first[0].state;
    const resumed = referenceTrajectory(ADAM, {
      hyper: { ...h, lr: 0.125 },
      params: [toNum(first[0].params[0])],
      state: {
        step: s1.step,
        exp_avg: [toNum((s1.exp_avg as Dec[])[0])],
        exp_avg_sq: [toNum((s1.exp_avg_sq as Dec[])[0])],
        max_exp_avg_sq: [toNum((s1.max_exp_avg_sq as Dec[])[0])],
      },
      steps: [{ grad: [0.25] }],
    });
    expectDec(resumed[0].params[0], both[1].params[0], 'NOTE-2', 'θ₂ resumed vs in one run');
    for (const name of ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']) {
      expectDec((resumed[0].state[name] as Dec[])[0], (both[1].state[name] as Dec[])[0], 'NOTE-2', `${name}₂`);
    }
    expect(resumed[0].state.step).toBe(2);
    // worked: m₂ = 0.125 + 0.125 = 0.25, v₂ = 0.046875 + 0.015625 = 0.0625
    expectDec((both[1].state.exp_avg as Dec[])[0], 0.25, 'NOTE-2', 'm₂');
    expectDec((both[1].state.exp_avg_sq as Dec[])[0], 0.0625, 'NOTE-2', 'v₂');
  });

  /** Hyperparameters valid for every optimizer of a family, exercising its state. */
  const FAMILY_HYPER: Record<string, Record<string, unknown>> = {
    sgd: { lr: 0.5, momentum: 0.75, weight_decay: 0.25 },
    rmsprop: { lr: 0.5, momentum: 0.5, centered: true, weight_decay: 0.125 },
    adam: { lr: 0.25, amsgrad: true, weight_decay: 0.125 },
    adamw: { lr: 0.25, amsgrad: true, schedule_multiplier: undefined },
    ewma: { beta: 0.75 },
    adagrad: { lr: 0.25, lr_decay: 0.125, weight_decay: 0.125, initial_accumulator_value: 0.5 },
    adadelta: { lr: 0.5, rho: 0.75, weight_decay: 0.125 },
    adamax: { lr: 0.25, weight_decay: 0.125 },
    nadam: { lr: 0.25, weight_decay: 0.125 },
    radam: { lr: 0.25, beta2: 0.5, weight_decay: 0.125 },
    lion: { lr: 0.25, weight_decay: 0.125 },
  };
  it.each(OPTIMIZERS.map((o) => [o.name, o] as const))('NOTE-2 · %s: resuming from the exact state after step 1 reproduces step 2 (property)', (_name, def) => {
    const h = Object.fromEntries(Object.entries(FAMILY_HYPER[def.family]).filter(([k, v]) => v !== undefined && def.hyper.some((s) => s.name === k)));
    const g = fc.double({ min: -4, max: 4, noNaN: true }).filter((x) => Math.abs(x) > 2 ** -30);
    fc.assert(
      fc.property(fc.double({ min: -4, max: 4, noNaN: true }), g, g, (theta, g1, g2) => {
        const both = referenceTrajectory(def, { hyper: h, params: [theta], state: null, steps: [{ grad: [g1] }, { grad: [g2] }] });
        const one = referenceTrajectory(def, { hyper: h, params: [theta], state: null, steps: [{ grad: [g1] }] })[0];
        const resolved = resolveHyper(def.hyper, h);
        const state = Object.fromEntries(def.stateNames(resolved).map((n) => [n, (one.state[n] as Dec[])[0]]));
        const r = def.step(one.params[0], exact(g2), state, resolved, one.state.step + 1);
        expectDec(r.param, both[1].params[0], 'NOTE-2', `${def.name}: θ₂`);
        for (const n of Object.keys(r.state)) expectDec(r.state[n], (both[1].state[n] as Dec[])[0], 'NOTE-2', `${def.name}: ${n}₂`);
      }),
      { ...FC, numRuns: 10 },
    );
  });
});

describe('NOTE-3 · per-step hyperparameter overrides', () => {
  it('NOTE-3 · an override holds from its step on: lr 0.5, then 0.25 from step 2 → θ = 0.5, 0.25, 0', () => {
    // θ₀ = 1, g = 1: θ₁ = 1 − 0.5, θ₂ = 0.5 − 0.25, θ₃ = 0.25 − 0.25 (step 3 names no lr: 0.25 persists)
    const out = referenceTrajectory(SGD, {
      hyper: { lr: 0.5 },
      params: [1],
      state: null,
      steps: [{ grad: [1] }, { grad: [1], hyper: { lr: 0.25 } }, { grad: [1] }],
    });
    [0.5, 0.25, 0].forEach((t, i) => expectDec(out[i].params[0], t, 'NOTE-3', `θ${i + 1}`));
  });
  it('NOTE-3 · resolveHyper: defaults, overrides in order, exact binary values (NOTE-4)', () => {
    const h = resolveHyper(ADAM.hyper, { lr: 0.1 }, [undefined, { beta1: 0.5 }, { beta1: 0.25, amsgrad: true }]);
    expectDec(num(h, 'lr'), '0.1000000000000000055511151231257827021181583404541015625', 'NOTE-3', 'lr (binary 0.1)');
    expectDec(num(h, 'beta1'), 0.25, 'NOTE-3', 'beta1 (the later override)');
    expectDec(num(h, 'beta2'), '0.99899999999999999911182158029987476766109466552734375', 'NOTE-3', 'beta2 default (binary 0.999)');
    expectDec(num(h, 'weight_decay'), 0, 'NOTE-3', 'weight_decay default');
    expect(flag(h, 'amsgrad')).toBe(true);
    expect(Object.keys(h).sort()).toEqual(['amsgrad', 'beta1', 'beta2', 'eps', 'lr', 'weight_decay']);
  });
  it('NOTE-3 · resolveHyper errors name the hyperparameter', () => {
    const specs: HyperSpec[] = [
      { name: 'lr', kind: 'number' },
      { name: 'flag', kind: 'boolean', default: false },
    ];
    expect(() => resolveHyper(specs, {})).toThrow('hyperparameter lr is required');
    expect(() => resolveHyper(specs, { lr: 1, lrr: 2 })).toThrow('unknown hyperparameter lrr');
    expect(() => resolveHyper(specs, { lr: 1 }, [{ beta: 1, gamma: 2 }])).toThrow('unknown hyperparameter beta, gamma');
    expect(() => resolveHyper(specs, { lr: '0.1' })).toThrow('hyperparameter lr must be a finite number, got "0.1"');
    expect(() => resolveHyper(specs, { lr: NaN })).toThrow(/hyperparameter lr must be a finite number/);
    expect(() => resolveHyper(specs, { lr: Infinity })).toThrow(/hyperparameter lr must be a finite number/);
    expect(() => resolveHyper(specs, { lr: 1, flag: 1 })).toThrow('hyperparameter flag must be true or false, got 1');
    expect(() => num(hyper({ nesterov: true }), 'nesterov')).toThrow('hyperparameter nesterov must be a number');
    expect(() => num(hyper({}), 'lr')).toThrow('hyperparameter lr must be a number');
    expect(() => flag(hyper({ lr: 1 }), 'lr')).toThrow('hyperparameter lr must be a boolean');
  });
  it('NOTE-3 · an inadmissible override fails at its step, naming it', () => {
    const input: CaseInput = { hyper: { lr: 0.5 }, params: [1], state: null, steps: [{ grad: [1] }, { grad: [1], hyper: { lr: -0.5 } }] };
    expect(() => referenceTrajectory(SGD, input)).toThrow('steps[1]: lr must be ≥ 0');
    expect(() => referenceTrajectory(SGD, { ...input, steps: [{ grad: [1], hyper: { momentum: 1 } }] })).toThrow('steps[0]: momentum must be in [0, 1)');
    expect(() => referenceTrajectory(ADAM, { hyper: { beta2: 1 }, params: [1], state: null, steps: [{ grad: [1] }] })).toThrow(
      'steps[0]: beta2 must be in [0, 1)',
    );
    expect(() => referenceTrajectory(ADAM, { hyper: { betas: [0.9, 0.999] }, params: [1], state: null, steps: [{ grad: [1] }] })).toThrow(
      'unknown hyperparameter betas',
    );
  });
  it('NOTE-3 · an override may not switch a part of the state on or off', () => {
    const input: CaseInput = { hyper: { lr: 0.5 }, params: [1], state: null, steps: [{ grad: [1] }, { grad: [1], hyper: { momentum: 0.5 } }] };
    expect(() => referenceTrajectory(SGD, input)).toThrow('steps[1].hyper changes the state (none → momentum_buffer), which NOTE-3 does not allow');
    const ams = { hyper: { amsgrad: true }, params: [1], state: null, steps: [{ grad: [1] }, { grad: [1], hyper: { amsgrad: false } }] };
    expect(() => referenceTrajectory(ADAM, ams)).toThrow(/steps\[1\].hyper changes the state \(exp_avg, exp_avg_sq, max_exp_avg_sq → exp_avg, exp_avg_sq\)/);
    // a momentum override that keeps momentum on is fine: μ 0.5 → 0.25, g = 1, lr = 1: b = 1, 1.25; θ = −1, −2.25
    const out = referenceTrajectory(SGD, {
      hyper: { lr: 1, momentum: 0.5 },
      params: [0],
      state: null,
      steps: [{ grad: [1] }, { grad: [1], hyper: { momentum: 0.25 } }],
    });
    expectDec(out[1].params[0], -2.25, 'NOTE-3', 'θ₂');
  });
  it('NOTE-3 · the registry: names, families, variants and clause IDs', () => {
    expect(FAMILIES).toEqual(['sgd', 'rmsprop', 'adam', 'adamw', 'adagrad', 'adadelta', 'adamax', 'nadam', 'radam', 'lion', 'ewma']);
    expect(findOptimizer('adam')?.name).toBe('adam');
    expect(findOptimizer('adam', '')?.name).toBe('adam');
    expect(findOptimizer('adam', 'adam')?.name).toBe('adam');
    expect(findOptimizer('adam', 'eps-inside-sqrt')?.name).toBe('adam/eps-inside-sqrt');
    expect(findOptimizer('adam', 'adam/eps-hat')?.name).toBe('adam/eps-hat');
    expect(findOptimizer('sgd', 'eps-hat')).toBeUndefined();
    expect(findOptimizer('sgd', 'adam/eps-hat'), 'NOTE-3: a variant of another family is not found').toBeUndefined();
    expect(findOptimizer('lamb')).toBeUndefined();
    expect(variantsOf('ewma')).toEqual([]);
    const names = OPTIMIZERS.map((o) => o.name);
    expect(new Set(names).size, 'NOTE-3: optimizer names are unique').toBe(names.length);
    for (const o of OPTIMIZERS) {
      expect(o.name === o.family || o.name.startsWith(`${o.family}/`), `NOTE-3: ${o.name} belongs to ${o.family}`).toBe(true);
      for (const c of o.clauses) expect(CLAUSES as readonly string[], `NOTE-3: ${o.name} names unknown clause ${c}`).toContain(c);
      expect(o.summary.length).toBeGreaterThan(0);
    }
  });
});

describe('NOTE-2 · trajectory input errors', () => {
  const ok: CaseInput = { hyper: { lr: 0.5, momentum: 0.5 }, params: [1, 2], state: null, steps: [{ grad: [1, 1] }] };
  it('NOTE-2 · a gradient of the wrong length', () => {
    expect(() => referenceTrajectory(SGD, { ...ok, steps: [{ grad: [1, 1] }, { grad: [1] }] })).toThrow('steps[1].grad has 1 elements, params has 2');
  });
  it('NOTE-2 · a bad step counter', () => {
    for (const step of [-1, 1.5, '1', undefined]) {
      expect(() => referenceTrajectory(SGD, { ...ok, state: { step, momentum_buffer: [0, 0] } }), `NOTE-2: step ${String(step)}`).toThrow(
        'state.step must be an integer ≥ 0',
      );
    }
  });
  it('NOTE-2 · a missing or misshapen state array after step 0', () => {
    expect(() => referenceTrajectory(SGD, { ...ok, state: { step: 1 } })).toThrow('state.momentum_buffer must be an array of 2 numbers');
    expect(() => referenceTrajectory(SGD, { ...ok, state: { step: 1, momentum_buffer: [0] } })).toThrow('state.momentum_buffer must be an array of 2 numbers');
    expect(() => referenceTrajectory(SGD, { ...ok, state: { step: 1, momentum_buffer: [0, '1'] } })).toThrow('state.momentum_buffer[1] must be a number');
    expect(() => referenceTrajectory(SGD, { ...ok, state: { step: 0, momentum_buffer: 'x' } })).toThrow(/state.momentum_buffer must be an array/);
  });
  it('NOTE-2 · no steps, no output; no params, empty vectors', () => {
    expect(referenceTrajectory(SGD, { ...ok, steps: [] })).toEqual([]);
    const out = referenceTrajectory(SGD, { ...ok, params: [], steps: [{ grad: [] }] });
    expect(out).toHaveLength(1);
    expect(out[0].params).toEqual([]);
    expect(out[0].state).toEqual({ step: 1 });
  });
  it('NOTE-4 · parameters, gradients and state are taken at their binary values', () => {
    // θ = 0.1 (binary, 55 digits), g = 0.1, lr = 1, λ = 0: θ − lr·g is 0 in exact arithmetic, and the
    // buffer is binary 0.1 = 0.1000000000000000055511151231257827021181583404541015625. Products and
    // sums are rounded to 50 digits (lr·g → 0.1000000000000000055511151231257827021181583404541), so
    // θ₁ may be off by 1.5625e-51 = 0.1 − r₅₀(0.1): the 50-digit context bounds the error by ½·10⁻⁴⁹
    // relative, not by zero. A decimal 0.1 input would instead give a buffer of exactly 0.1.
    const out = referenceTrajectory(SGD, { hyper: { lr: 1, momentum: 0.5 }, params: [0.1], state: null, steps: [{ grad: [0.1] }] });
    expectClose(out[0].params[0], 0, 'NOTE-4', '2e-51', 'θ₁ (0 up to the 50-digit rounding)');
    expectClose((out[0].state.momentum_buffer as Dec[])[0], '0.1000000000000000055511151231257827021181583404541015625', 'NOTE-4', '1e-50', 'b₁');
    expect((out[0].state.momentum_buffer as Dec[])[0].minus('0.1').abs().gt('5e-18'), 'NOTE-4: b₁ must be binary 0.1, not decimal 0.1').toBe(true);
    // resumed state values too: b = 0.1 (binary), μ = 0.5, g = 0 → b₂ = 0.05000000000000000277555756156289135105907917022705078125
    const r = referenceTrajectory(SGD, { hyper: { lr: 1, momentum: 0.5 }, params: [0], state: { step: 1, momentum_buffer: [0.1] }, steps: [{ grad: [0] }] });
    expectDec(
      (r[0].state.momentum_buffer as Dec[])[0],
      new Dec('0.05000000000000000277555756156289135105907917022705078125').plus(0),
      'NOTE-4',
      'b₂ (to 50 digits)',
    );
    expect(d(0.1).eq(exact(0.1))).toBe(true);
  });
});

describe('PROTO-7 · the families of issue 12 in the registry (typed from spec/protocol.md)', () => {
  /** name → [defaults in the table's order, state names, named variants] */
  const TABLE: Record<string, [Record<string, number | undefined>, string[], string[]]> = {
    adagrad: [{ lr: 0.01, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10 }, ['sum'], ['adagrad/eps-inside-sqrt']],
    adadelta: [{ lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0 }, ['square_avg', 'acc_delta'], []],
    adamax: [{ lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 }, ['exp_avg', 'exp_inf'], ['adamax/eps-after-max']],
    nadam: [
      { lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, momentum_decay: 0.004 },
      ['exp_avg', 'exp_avg_sq', 'mu_product'],
      ['nadam/no-schedule'],
    ],
    radam: [
      { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 },
      ['exp_avg', 'exp_avg_sq'],
      ['radam/threshold-4', 'radam/eps-after-correction'],
    ],
    lion: [{ lr: undefined, beta1: 0.9, beta2: 0.99, weight_decay: 0.001 }, ['exp_avg'], []],
  };
  for (const [family, [defaults, states, variants]] of Object.entries(TABLE)) {
    it(`PROTO-7 · ${family}: hyperparameters, defaults, state names and variants`, () => {
      const def = findOptimizer(family)!;
      expect(def.hyper.map((s) => [s.name, s.default])).toEqual(Object.entries(defaults));
      expect(def.stateNames(resolveHyper(def.hyper, { lr: 0.5 }))).toEqual(states);
      expect(variantsOf(def.family).map((v) => v.name)).toEqual(variants);
      expect(def.invalid(resolveHyper(def.hyper, { lr: -1 })), `PROTO-7: ${family} rejects a negative lr`).toBe('lr must be ≥ 0');
    });
  }
  it('PROTO-7 · rho = 1 is admissible for adadelta, beta2 = 1 is not for radam', () => {
    expect(findOptimizer('adadelta')!.invalid(resolveHyper(findOptimizer('adadelta')!.hyper, { rho: 1 }))).toBeUndefined();
    expect(findOptimizer('radam')!.invalid(resolveHyper(findOptimizer('radam')!.hyper, { beta2: 1 }))).toBe('beta2 must be in [0, 1)');
  });
  it('PROTO-7 · the known defects: never found as variants, named with their upstream fix', () => {
    expect(KNOWN_DEFECTS.map((x) => x.name)).toEqual([
      'torch-1.13/radam-foreach-eps',
      'torch-1.13/nadam-mu-product',
      'torch-1.13/adagrad-foreach-lr-float32',
      'tfjs-4.22/adadelta-stale-denominator',
    ]);
    expect(findOptimizer('radam', 'torch-1.13/radam-foreach-eps'), 'PROTO-7: the runner never sends a defect').toBeUndefined();
    expect(findDefinition('radam', 'torch-1.13/radam-foreach-eps')?.clauses).toEqual(['DEFECT-1']);
    expect(describeDefect(defectsOf('radam')[0])).toBe('known defect torch-1.13/radam-foreach-eps (fixed by pytorch/pytorch#92551)');
    for (const x of KNOWN_DEFECTS) for (const c of x.clauses) expect(CLAUSES as readonly string[]).toContain(c);
  });
  it('NOTE-2 · fresh values: zero, Adagrad’s initial accumulator as in force at step 1, NAdam’s 1', () => {
    expect(freshValue(findOptimizer('adam')!, 'exp_avg', {})).toBe(0);
    expect(freshValue(findOptimizer('adagrad')!, 'sum', { initial_accumulator_value: 0.25 })).toBe(0.25);
    expect(freshValue(findOptimizer('nadam')!, 'mu_product', {})).toBe(1);
    expect(freshState(['sum'], d(0), { sum: d(0.5) }).sum.toNumber()).toBe(0.5);
  });
});
