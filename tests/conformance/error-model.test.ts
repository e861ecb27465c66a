/**
 * The error model (spec/precision.md) against independent honest float implementations written
 * here, and its float64 evaluation against the decimal reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bounded, precisionOf } from '../../conformance/check/error-model.ts';
import { checkCase, compareOutput } from '../../conformance/check/compare.ts';
import type { Case } from '../../conformance/check/case.ts';
import { exact, roundToDtype } from '../../reference/dtype.ts';
import { resolveHyper } from '../../reference/notation.ts';
import { findOptimizer, OPTIMIZERS } from '../../reference/registry.ts';

const f = Math.fround;
const adam = findOptimizer('adam')!;
const p32 = precisionOf('float32');

const float32 = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true }).map(f);
const small = fc.oneof(float32(-1e-6, 1e-6), float32(-10, 10), float32(-1e-9, 1e-9));

interface Adam32 {
  theta: number;
  m: number;
  v: number;
}

/** PyTorch 1.13's single-tensor float32 Adam (catalog §6.2): scalars in double, fused multiply-adds. */
function torchAdam(s: Adam32, g: number, t: number, lr: number, b1: number, b2: number, eps: number): Adam32 {
  const fma = (a: number, b: number, c: number) => f(a * b + c); // exact product in double, one rounding (rare double rounding is ≤ 1 ulp)
  const m = fma(f(1 - b1), g, f(s.m * f(b1)));
  const v = fma(f(f(1 - b2) * g), g, f(s.v * f(b2)));
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  const den = f(f(Math.sqrt(v) / f(Math.sqrt(bc2))) + f(eps));
  return { theta: f(s.theta + f(f(f(-lr / bc1) * m) / den)), m, v };
}

/** TensorFlow.js 4.22's float32 Adam (catalog §6.2): βᵗ as a running float32 product, 1 − f32(β₂). */
function tfjsAdam(s: Adam32, g: number, t: number, lr: number, b1: number, b2: number, eps: number): Adam32 {
  let acc1 = f(b1);
  let acc2 = f(b2);
  for (let k = 1; k < t; k++) {
    acc1 = f(acc1 * f(b1));
    acc2 = f(acc2 * f(b2));
  }
  const m = f(f(s.m * f(b1)) + f(g * f(1 - b1)));
  const v = f(f(s.v * f(b2)) + f(f(g * g) * f(1 - b2)));
  const mh = f(m / f(1 - acc1));
  const vh = f(v / f(1 - acc2));
  return { theta: f(f(f(mh / f(Math.sqrt(vh) + f(eps))) * f(-lr)) + s.theta), m, v };
}

const hyperArb = fc.record({
  lr: fc.constantFrom(1e-3, 0.1, 1).map(f),
  beta1: fc.constantFrom(0.9, 0.5, 0).map(f),
  beta2: fc.constantFrom(0.999, 0.9, 0.99).map(f),
  eps: fc.constantFrom(1e-8, 1e-6, 0).map(f),
});

function adamBoth(h: { lr: number; beta1: number; beta2: number; eps: number }, s: Adam32, g: number, t: number) {
  const hyper = { ...h, weight_decay: 0, amsgrad: false };
  const exactStep = adam.step(exact(s.theta), exact(g), { exp_avg: exact(s.m), exp_avg_sq: exact(s.v) }, resolveHyper(adam.hyper, hyper), t);
  const bounded = adam.step(
    Bounded.input(s.theta, p32),
    Bounded.input(g, p32),
    { exp_avg: Bounded.input(s.m, p32), exp_avg_sq: Bounded.input(s.v, p32) },
    resolveHyper(adam.hyper, hyper, [], (x) => Bounded.hyper(x, p32)),
    t,
  );
  return { exactStep, bounded };
}

describe('PREC-2 · PREC-3 · PREC-5 · honest float32 Adams stay inside the bound', () => {
  it('PREC-5 · PyTorch-order and TensorFlow.js-order float32 Adam pass on random inputs (ADAM-5)', () => {
    fc.assert(
      fc.property(hyperArb, float32(-4, 4), small, small, float32(0, 1e-3), fc.integer({ min: 1, max: 60 }), (h, theta, g, m, v, t) => {
        const { exactStep, bounded } = adamBoth(h, { theta, m, v }, g, t);
        for (const impl of [torchAdam, tfjsAdam]) {
          const out = impl({ theta, m, v }, g, t, h.lr, h.beta1, h.beta2, h.eps);
          const checks: [number, typeof bounded.param, typeof exactStep.param][] = [
            [out.theta, bounded.param, exactStep.param],
            [out.m, bounded.state.exp_avg, exactStep.state.exp_avg],
            [out.v, bounded.state.exp_avg_sq, exactStep.state.exp_avg_sq],
          ];
          for (const [got, b, x] of checks) {
            const r = compareOutput({ bounded: b, exact: x }, got, 'float32');
            if (!r.ok) throw new Error(`${impl.name} at t=${t}: got ${got}, exact ${x}, ${r.errorUlps} ulps > ${r.boundUlps} (PREC-5)`);
          }
        }
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });

  it('PREC-3 · TensorFlow.js’s 1 − f32(β₂) at t = 1 is 1.3e-5 relative off, and admitted', () => {
    // f32(0.999) = 0.99900001287460327148437500, so 1 − f32(0.999) = 0.000999987125 while
    // f32(1 − 0.999) = 0.00100000004750: v̂ is 1.29e-5 too large, Δθ 6.4e-6 relative too small.
    const h = { lr: f(1e-3), beta1: f(0.9), beta2: f(0.999), eps: f(1e-8) };
    const s = { theta: 1, m: 0, v: 0 };
    const out = tfjsAdam(s, 1, 1, h.lr, h.beta1, h.beta2, h.eps);
    const { exactStep, bounded } = adamBoth(h, s, 1, 1);
    const r = compareOutput({ bounded: bounded.param, exact: exactStep.param }, out.theta, 'float32');
    expect(r.ok, `tfjs step 1: ${r.errorUlps} ulps vs bound ${r.boundUlps}`).toBe(true);
  });

  it('PREC-5 · a bias correction one step late is rejected at t = 1 (ADAM-4)', () => {
    const h = { lr: f(1e-3), beta1: f(0.9), beta2: f(0.999), eps: f(1e-8) };
    const s = { theta: 1, m: 0, v: 0 };
    const late = torchAdam(s, 1, 2, h.lr, h.beta1, h.beta2, h.eps); // uses t = 2 at step 1
    const { exactStep, bounded } = adamBoth(h, s, 1, 1);
    expect(compareOutput({ bounded: bounded.param, exact: exactStep.param }, late.theta, 'float32').ok).toBe(false);
  });
});

describe('PREC-1 · errors in ulps of the output dtype', () => {
  it('PREC-1 · 1 + 2⁻²³ against exactly 1 in float32 is one ulp', () => {
    // 0x1.000002p+0 = 1.00000011920928955078125 is the float32 after 1; ulp(1) = 2⁻²³.
    const bounded = Bounded.input(1, p32);
    const r = compareOutput({ bounded, exact: exact(1) }, 1 + 2 ** -23, 'float32');
    expect(r.errorUlps).toBe(1);
    expect(r.ok, 'an exact input has bound 0: one ulp off fails').toBe(false);
  });

  it('PREC-1 · NaN where the reference is finite fails', () => {
    const r = compareOutput({ bounded: Bounded.input(0.5, p32), exact: exact(0.5) }, NaN, 'float32');
    expect(r.ok).toBe(false);
  });
});

describe('PREC-4 · a denominator or root that may vanish bounds nothing', () => {
  it('PREC-4 · Adam at ε = 0 with a zero gradient history accepts any value, NaN included', () => {
    const { bounded } = adamBoth({ lr: 0.5, beta1: 0.5, beta2: 0.5, eps: 0 }, { theta: 1, m: 0, v: 0 }, 0, 1);
    expect(bounded.param.bound).toBe(Infinity);
  });

  it('PREC-4 · centered RMSprop with v − ḡ² at rounding level has an infinite bound (RMSPROP-3)', () => {
    const rms = findOptimizer('rmsprop')!;
    const h = resolveHyper(rms.hyper, { lr: 0.01, centered: true, eps: 0, alpha: 0.5 }, [], (x) => Bounded.hyper(x, p32));
    // constant gradient 1 from v = ḡ² = 1: v − ḡ² = 0 exactly, with rounding error in both terms.
    const r = rms.step(Bounded.input(1, p32), Bounded.input(1, p32), { square_avg: Bounded.input(1, p32), grad_avg: Bounded.input(1, p32) }, h, 2);
    expect(r.param.bound).toBe(Infinity);
  });
});

describe('PREC-6 · the float64 evaluation is within its own bound of the decimal reference', () => {
  const families = OPTIMIZERS.filter((o) => o.family !== 'ewma');
  it('PREC-6 · every family and variant, random inputs', () => {
    const p = precisionOf('float32');
    fc.assert(
      fc.property(fc.constantFrom(...families), small, small, float32(-1, 1), float32(0, 1), fc.integer({ min: 1, max: 30 }), (def, theta, g, s1, s2, t) => {
        const base = { lr: f(0.01), momentum: def.family === 'sgd' || def.family === 'rmsprop' ? f(0.9) : undefined, weight_decay: f(0.01) };
        const hyper = Object.fromEntries(Object.entries(base).filter(([k, v]) => v !== undefined && def.hyper.some((s) => s.name === k)));
        const hd = resolveHyper(def.hyper, hyper);
        const hb = resolveHyper(def.hyper, hyper, [], (x) => Bounded.hyper(x, p));
        const names = def.stateNames(hd);
        const values = [s1, s2, s2, s2];
        const sd = Object.fromEntries(names.map((n, i) => [n, exact(Math.abs(values[i]))]));
        const sb = Object.fromEntries(names.map((n, i) => [n, Bounded.input(Math.abs(values[i]), p)]));
        const rd = def.step(exact(theta), exact(g), sd, hd, t);
        const rb = def.step(Bounded.input(theta, p), Bounded.input(g, p), sb, hb, t);
        const pairs: [typeof rb.param, typeof rd.param][] = [
          [rb.param, rd.param],
          ...Object.keys(rd.state).map((k) => [rb.state[k], rd.state[k]] as [typeof rb.param, typeof rd.param]),
        ];
        for (const [b, d] of pairs) {
          const err = exact(b.v).minus(d).abs().toNumber();
          if (!(err <= b.r)) throw new Error(`${def.name}: float64 value ${b.v} is ${err} from ${d}, bound r = ${b.r}`);
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('PREC-7 · steps checked from the implementation’s own state', () => {
  const c: Case = { optimizer: 'adam', dtype: 'float32', hyper: { lr: f(0.1) }, params: [1], state: null, steps: [{ grad: [1] }, { grad: [0.5] }] };

  function referenceReply(perturb?: (x: number) => number) {
    const def = adam;
    const h = resolveHyper(def.hyper, c.hyper);
    let theta = exact(1);
    let st = { exp_avg: exact(0), exp_avg_sq: exact(0) };
    return c.steps.map((s, k) => {
      const r = def.step(theta, exact(s.grad[0]), st, h, k + 1);
      theta = r.param;
      st = r.state as typeof st;
      const m = roundToDtype(st.exp_avg, 'float32');
      return {
        params: [roundToDtype(theta, 'float32')],
        state: { step: k + 1, exp_avg: [perturb && k === 1 ? perturb(m) : m], exp_avg_sq: [roundToDtype(st.exp_avg_sq, 'float32')] },
      };
    });
  }

  it('PREC-7 · the correctly rounded trajectory passes', () => {
    expect(checkCase(adam, c, referenceReply()).ok).toBe(true);
  });

  it('PREC-7 · a state value 2⁻¹⁰ relative off fails, naming the state', () => {
    const r = checkCase(
      adam,
      c,
      referenceReply((m) => f(m * (1 + 2 ** -10))),
    );
    expect(r.ok).toBe(false);
    expect(r.message).toContain('state.exp_avg[0]');
  });

  it('PREC-7 · a wrong step counter is reported (NOTE-1)', () => {
    const reply = referenceReply().map((s) => ({ ...s, state: { ...s.state, step: 7 } }));
    const r = checkCase(adam, c, reply);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('state.step');
  });
});

describe('PROTO-8 · NOTE-7 · non-finite values and overflow are checked, and reply values must be of the dtype', () => {
  const sgd = findOptimizer('sgd')!;
  const one = (dtype: Case['dtype'], param: number, grad: number): Case => ({
    optimizer: 'sgd',
    dtype,
    hyper: { lr: 0.5, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false },
    params: [param],
    state: null,
    steps: [{ grad: [grad] }],
  });
  const verdict = (c: Case, got: number | string) => checkCase(sgd, c, [{ params: [got as number], state: { step: 1 } }]);

  it('NOTE-7 · an infinite gradient gives θ − lr·∞ = −∞: only −∞ passes; +∞, NaN and a finite value fail', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const c = one(dtype, 1, Infinity);
      expect(verdict(c, -Infinity).ok, dtype).toBe(true);
      for (const wrong of [Infinity, NaN, 1, -3.4e38]) expect(verdict(c, wrong).ok, `${dtype} ${wrong}`).toBe(false);
      expect(verdict(c, 1).message).toMatch(/got 1, expected -Infinity/);
    }
  });

  it('NOTE-7 · a NaN gradient gives NaN: the unchanged parameter of an implementation that skips it fails', () => {
    const c = one('float32', 1, NaN);
    expect(verdict(c, NaN).ok).toBe(true);
    expect(verdict(c, 1).ok).toBe(false);
  });

  describe('NOTE-7 · PREC-4 · beside θ = −∞ a NaN passes only where the finite part of the step is unbounded', () => {
    const rmsprop = findOptimizer('rmsprop')!;
    const hyper = { lr: 0.00099945068359375, alpha: 0, eps: 1.0011717677116394e-8, weight_decay: 0, momentum: 0, centered: true };
    // torch 1.13's minimal case (bfloat16, seed 1): v − ḡ² = g² − g² = 0 exactly, negative once v = g² is rounded
    const centered = (dtype: Case['dtype'], over: Partial<Case> = {}): Case => ({
      optimizer: 'rmsprop',
      dtype,
      hyper,
      params: [-Infinity],
      state: { step: 101, square_avg: [1], grad_avg: [-0.462890625] },
      steps: [{ grad: [1.28125] }],
      ...over,
    });
    const replies = (...thetas: number[]) => thetas.map((theta, k) => ({ params: [theta], state: { step: 102 + k } }));

    it('NOTE-7 · centered RMSprop, √(v − ḡ²) unbounded: −∞ and NaN pass, +∞ and a finite value fail', () => {
      for (const dtype of ['bfloat16', 'float32', 'float64'] as const) {
        const c = centered(dtype);
        expect(checkCase(rmsprop, c, replies(-Infinity)).ok, dtype).toBe(true);
        expect(checkCase(rmsprop, c, replies(NaN)).ok, dtype).toBe(true);
        for (const wrong of [Infinity, -1]) expect(checkCase(rmsprop, c, replies(wrong)).ok, `${dtype} ${wrong}`).toBe(false);
      }
    });

    it('NOTE-7 · non-centered RMSprop and SGD beside θ = −∞ are bounded: only −∞ passes, NaN fails', () => {
      const plain = centered('bfloat16', { hyper: { ...hyper, centered: false }, state: { step: 101, square_avg: [1] } });
      expect(checkCase(rmsprop, plain, replies(-Infinity)).ok).toBe(true);
      expect(checkCase(rmsprop, plain, replies(NaN)).message).toMatch(/got NaN, expected -Infinity/);
      expect(verdict(one('bfloat16', -Infinity, 1.28125), -Infinity).ok).toBe(true);
      expect(verdict(one('bfloat16', -Infinity, 1.28125), NaN).ok).toBe(false);
    });

    it('NOTE-7 · a NaN allowed at one step stays allowed where the reference carries θ = −∞ on; a bounded step alone refuses it', () => {
      // α = 1/2: step 1 has v − ḡ² = 1 − 1 = 0 (unbounded), step 2 (g = −1) has v − ḡ² = 1 − 0 = 1
      const two = centered('float32', {
        hyper: { ...hyper, alpha: 0.5 },
        state: { step: 101, square_avg: [1], grad_avg: [1] },
        steps: [{ grad: [1] }, { grad: [-1] }],
      });
      expect(checkCase(rmsprop, two, replies(NaN, NaN)).ok).toBe(true);
      const second = centered('float32', { hyper: { ...hyper, alpha: 0.5 }, state: { step: 102, square_avg: [1], grad_avg: [1] }, steps: [{ grad: [-1] }] });
      expect(checkCase(rmsprop, second, replies(-Infinity)).ok).toBe(true);
      expect(checkCase(rmsprop, second, replies(NaN)).ok).toBe(false);
    });
  });

  it('NOTE-5 · PREC-1 · an update past the largest value overflows: ±∞ of its sign passes, the largest value and −∞ do not', () => {
    const max = 3.4028234663852886e38;
    const c = one('float32', max, -max); // θ − lr·g = 1.5·max
    expect(verdict(c, Infinity).ok).toBe(true);
    expect(verdict(c, max).ok).toBe(false);
    expect(verdict(c, -Infinity).ok).toBe(false);
  });

  it('PROTO-3 · a reply value that is not of the dtype fails, named', () => {
    const c = one('float32', 1, 0.5);
    expect(verdict(c, 0.75).ok).toBe(true);
    const r = verdict(c, 0.7500000000000001);
    expect(r.ok).toBe(false);
    expect(r.message).toBe('step 1 params[0] = 0.7500000000000001 is not a float32 value');
    expect(verdict({ ...c, dtype: 'bfloat16' }, 0.75 + 2 ** -20).message).toMatch(/is not a bfloat16 value/);
  });
});
