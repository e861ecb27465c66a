/**
 * The notes' worked problem (lesson 5, graddesc.xlsm): learning y = a·x + b by finite differences,
 * the chain rule, online SGD, momentum, the spreadsheet Adam, and weight decay under Adam vs AdamW.
 * Every expectation is worked out by hand in the comments or is a property that can fail; none is
 * copied from the reference's output.
 */
import { describe, expect, it } from 'vitest';
import { Dec, ONE } from '../reference/decimal.ts';
import { exact } from '../reference/dtype.ts';
import { analyticGradient, batchLoss, predict, squaredError, type LinearParams, type Sample } from '../reference/gradients.ts';
import type { Hyper } from '../reference/notation.ts';
import { findOptimizer, type OptimizerDef } from '../reference/registry.ts';
import { mulberry32 } from '../reference/random.ts';
import { SPREADSHEET_DATA, epochsToReach, gradientCheck, hyperFor, runOnSequence, syntheticData, trainOnline } from '../reference/training.ts';

function def(family: string, variant?: string): OptimizerDef {
  const d = findOptimizer(family, variant);
  if (d === undefined) throw new Error(`no optimizer ${family} ${variant ?? ''}`);
  return d;
}
const SGD = def('sgd');
const SGD_LERP = def('sgd', 'lerp-momentum');
const ADAM = def('adam');
const ADAM_SHEET = def('adam', 'no-bias-correction');
const ADAMW = def('adamw');

const D = (v: string | number) => new Dec(v);
const ONE_ONE: LinearParams = { a: D(1), b: D(1) };

/** |actual − expected| ≤ tol, with a message naming both. */
function expectClose(actual: Dec, expected: Dec, tol: Dec, what: string): void {
  const err = actual.minus(expected).abs();
  expect(err.lte(tol), `${what}: expected ${expected.toString()}, got ${actual.toString()} (|diff| ${err.toExponential(3)} > ${tol.toExponential(1)})`).toBe(
    true,
  );
}

function expectEq(actual: Dec, expected: Dec, what: string): void {
  expect(actual.eq(expected), `${what}: expected exactly ${expected.toString()}, got ${actual.toString()}`).toBe(true);
}

const distanceSq = (p: LinearParams, target: LinearParams): Dec => {
  const da = p.a.minus(target.a);
  const db = p.b.minus(target.b);
  return da.times(da).plus(db.times(db));
};

describe('GRAD-1: the data — y = a·x + b, seeded like RANDBETWEEN(1,100)', () => {
  it('GRAD-1: the same seed gives the same data, another seed different data', () => {
    const one = syntheticData(7);
    const again = syntheticData(7);
    const other = syntheticData(8);
    expect(one.length, 'default rows, as graddesc.xlsm').toBe(29);
    expect(
      one.every((s, i) => s.x.eq(again[i].x) && s.y.eq(again[i].y)),
      'seed 7 twice',
    ).toBe(true);
    expect(
      one.some((s, i) => !s.x.eq(other[i].x)),
      'seeds 7 and 8 give the same x column',
    ).toBe(true);
  });

  it('GRAD-1: every row lies exactly on the line, with integer x in 1..100', () => {
    // Defaults a = 2, b = 30; and a non-integer line whose coefficients are exact doubles
    // (0.5 = 0x1p-1, −1.25 = −0x1.4p+0), so y − b = a·x must hold with no rounding at all.
    for (const [a, b, data] of [
      [D(2), D(30), syntheticData(1)],
      [D('0.5'), D('-1.25'), syntheticData(2, { a: 0.5, b: -1.25, rows: 200 })],
    ] as const) {
      for (const { x, y } of data) {
        expect(x.isInteger() && x.gte(1) && x.lte(100), `x = ${x.toString()} outside 1..100`).toBe(true);
        expectEq(y, a.times(x).plus(b), `y at x = ${x.toString()}`);
      }
    }
  });

  it('GRAD-1: mulberry32 is pinned — seed 42 draws x = 61, 45, 86, 67, 18, 53', () => {
    // From an independent Python transcription of the documented recurrence:
    // uint32 outputs 2581720956, 1925393290, 3661312704, …; x = 1 + ⌊r·100/2³²⌋.
    const next = mulberry32(42);
    expect([next(), next(), next()], 'first three uint32 outputs of seed 42').toEqual([2581720956, 1925393290, 3661312704]);
    expect(
      syntheticData(42, { rows: 6 }).map((s) => s.x.toNumber()),
      'x column of seed 42',
    ).toEqual([61, 45, 86, 67, 18, 53]);
  });

  it('GRAD-1: bad seeds, ranges and row counts are refused, not wrapped or truncated', () => {
    expect(() => mulberry32(-1), 'negative seed').toThrow(/seed/);
    expect(() => mulberry32(2 ** 32), 'seed beyond uint32').toThrow(/seed/);
    expect(() => mulberry32(1.5), 'fractional seed').toThrow(/seed/);
    expect(() => syntheticData(1, { rows: 0 }), 'zero rows').toThrow(/rows/);
    expect(() => syntheticData(1, { xMin: 5, xMax: 4 }), 'empty x range').toThrow(/randBetween/);
    // x = 7 for every draw when the range is one integer: lo + ⌊r·1/2³²⌋ = lo.
    expect(
      syntheticData(3, { xMin: 7, xMax: 7, rows: 5 }).every((s) => s.x.eq(7)),
      'one-value range',
    ).toBe(true);
  });

  it('GRAD-1: SPREADSHEET_DATA is the sheet’s 29 rows, on y = 2x + 30, Σx = 1220, Σx² = 72952', () => {
    expect(SPREADSHEET_DATA.length, 'rows A4:B32').toBe(29);
    expect([SPREADSHEET_DATA[0].x.toNumber(), SPREADSHEET_DATA[0].y.toNumber()], 'first row').toEqual([14, 58]);
    expect([SPREADSHEET_DATA[28].x.toNumber(), SPREADSHEET_DATA[28].y.toNumber()], 'last row').toEqual([8, 46]);
    for (const { x, y } of SPREADSHEET_DATA) expectEq(y, x.times(2).plus(30), `y at x = ${x.toString()}`);
    // Checksums of the catalog's list, summed by hand.
    expectEq(Dec.sum(...SPREADSHEET_DATA.map((s) => s.x)), D(1220), 'Σx');
    expectEq(Dec.sum(...SPREADSHEET_DATA.map((s) => s.x.times(s.x))), D(72952), 'Σx²');
  });
});

describe('GRAD-2, GRAD-6, SGD-1: the first spreadsheet row by hand', () => {
  const row: Sample = SPREADSHEET_DATA[0]; // (x, y) = (14, 58), a = b = 1 after `reset`

  it('GRAD-2: ŷ = 1·14 + 1 = 15 and e = (15 − 58)² = 1849', () => {
    const yHat = predict(ONE_ONE, row.x);
    expectEq(yHat, D(15), 'ŷ');
    expectEq(squaredError(yHat, row.y), D(1849), 'e');
  });

  it('GRAD-6: ∂e/∂b = 2·(15 − 58) = −86 and ∂e/∂a = −86·14 = −1204', () => {
    const g = analyticGradient(ONE_ONE, [row]);
    expectEq(g.b, D(-86), '∂e/∂b');
    expectEq(g.a, D(-1204), '∂e/∂a');
  });

  it('GRAD-4: the sheet’s forward estimates at h = 0.01 are −85.99 and −1202.04', () => {
    // e(b + 0.01) = (15.01 − 58)² = 1848.1401 → (1848.1401 − 1849)/0.01 = −85.99;
    // e(a + 0.01) = (14.14 + 1 − 58)² = 1836.9796 → (1836.9796 − 1849)/0.01 = −1202.04.
    const { rows } = gradientCheck(ONE_ONE, [row], D('0.01'));
    expectEq(rows[0].forward.b, D('-85.99'), 'est ∂e/∂b');
    expectEq(rows[0].forward.a, D('-1202.04'), 'est ∂e/∂a');
  });

  it('SGD-1: one step at lr = 1e-4 gives a = 1 + 1204·lr, b = 1 + 86·lr, with lr the double’s exact value', () => {
    // lr = 1e-4 as a double (0x1.a36e2eb1c432dp-14) is
    //   0.000100000000000000004792173602385929598312941379845142364501953125,
    // 4.79e-21 above 1e-4, so a = 1.1204 + 1204·4.79e-21 = 1.1204 + 5.77e-18, not 1.1204. Exactly
    // (by hand, 1 + 1204·lr and 1 + 86·lr):
    const aExact = D('1.1204000000000000057697770172726592363687814213335514068603515625');
    const bExact = D('1.008600000000000000412126929805189945454912958666682243347167968750');
    const r = trainOnline(SGD, hyperFor(SGD, { lr: 1e-4 }), [row], { epochs: 1 });
    expect(r.steps, 'one sample, one epoch').toBe(1);
    // Two roundings (lr·g, then θ − …) at ≥ 50 significant digits of numbers below 2: ≤ 1e-49 each.
    expectClose(r.params.a, aExact, D('1e-48'), 'new a');
    expectClose(r.params.b, bExact, D('1e-48'), 'new b');
    // …and the 5.77e-18 excess over the decimal 1.1204 is really there (NOTE-4).
    expectClose(r.params.a.minus('1.1204'), D('5.7697770172726592e-18'), D('1e-33'), 'a − 1.1204');
  });
});

describe('GRAD-4, GRAD-5, GRAD-6: finite differences against the chain rule on the spreadsheet data', () => {
  // Forward differences as the `basic` sheet shows them: h = 0.01, a = b = 1. The decimal 0.01 is
  // used (the sheet's literal) so every intermediate is a short decimal the 50-digit reference
  // holds exactly, and the identities below are exact equalities.
  const h = D('0.01');
  const { rows, dataset } = gradientCheck(ONE_ONE, SPREADSHEET_DATA, h);

  it('GRAD-4: forward estimates are within 0.4% of the analytic gradient on every row', () => {
    // At a = b = 1, ŷ − y = −(x + 29), so |∂e/∂b| = 2(x + 29) ≥ 74 and |∂e/∂a| = 2x(x + 29).
    // The relative errors h/(2(x+29)) and h·x/(2(x+29)) are at most 0.01·99/256 < 0.0039.
    rows.forEach((r, i) => {
      for (const k of ['a', 'b'] as const) {
        const rel = r.forward[k].minus(r.analytic[k]).div(r.analytic[k]).abs();
        expect(rel.lt('0.004'), `row ${i + 1}, ∂e/∂${k}: relative error ${rel.toExponential(3)}`).toBe(true);
      }
    });
  });

  it('GRAD-4: the forward error is exactly h·½·∂²e — h for b (∂²e/∂b² = 2), h·x² for a (∂²e/∂a² = 2x²)', () => {
    // e(θ + h) − e(θ) = h·∂e/∂θ + ½h²·∂²e/∂θ² exactly for a quadratic; divide by h.
    rows.forEach((r, i) => {
      const x = SPREADSHEET_DATA[i].x;
      expectEq(r.forward.b.minus(r.analytic.b), h, `row ${i + 1}, forward − analytic for b`);
      expectEq(r.forward.a.minus(r.analytic.a), h.times(x).times(x), `row ${i + 1}, forward − analytic for a`);
    });
  });

  it('GRAD-4, GRAD-3: over the data set the mean loss’s forward error is h for b and h·Σx²/n = 0.01·72952/29 for a', () => {
    // The mean divides by 29, which 50 digits cannot hold exactly: allow a few units in the 45th digit.
    expectClose(dataset.forward.b.minus(dataset.analytic.b), h, D('1e-44'), 'data set, b');
    expectClose(dataset.forward.a.minus(dataset.analytic.a), D('729.52').div(29), D('1e-44'), 'data set, a');
  });

  it('GRAD-5: central differences are exact for the quadratic loss, on every row', () => {
    // (e(θ+h) − e(θ−h))/(2h): the ½h²·∂²e terms cancel, and there are no higher terms.
    rows.forEach((r, i) => {
      expectEq(r.central.a, r.analytic.a, `row ${i + 1}, central ∂e/∂a`);
      expectEq(r.central.b, r.analytic.b, `row ${i + 1}, central ∂e/∂b`);
    });
  });

  it('GRAD-4: with h the double 0.01 (exactly 0.01000000000000000020816681711721685132943093776702880859375) the identity holds to the reference precision', () => {
    // θ + h now has more than 50 significant digits and rounds (≤ 5e-51 relative); divided by
    // h that perturbs the estimate by ~|∂e/∂θ|·1e-48 ≤ 1e-44 — far below the h·x² being checked.
    const hd = exact(0.01);
    const check = gradientCheck(ONE_ONE, SPREADSHEET_DATA, hd);
    check.rows.forEach((r, i) => {
      const x = SPREADSHEET_DATA[i].x;
      expectClose(r.forward.b.minus(r.analytic.b), hd, D('1e-40'), `row ${i + 1}, b`);
      expectClose(r.forward.a.minus(r.analytic.a), hd.times(x).times(x), D('1e-40'), `row ${i + 1}, a`);
    });
  });
});

describe('GRAD-3, SGD-1: online SGD (batch size one) on the spreadsheet data', () => {
  const target: LinearParams = { a: D(2), b: D(30) };

  it('GRAD-3: the loss at a = b = 1 is (Σx² + 58·Σx + 29·29²)/29 = 168101/29, and zero at (2, 30)', () => {
    // ŷ − y = −(x + 29) at a = b = 1: mean of (x + 29)² = (72952 + 58·1220 + 29·841)/29.
    expectClose(batchLoss(ONE_ONE, SPREADSHEET_DATA), D(168101).div(29), D('1e-45'), 'initial loss');
    expect(batchLoss(target, SPREADSHEET_DATA).isZero(), 'loss at the generating line').toBe(true);
    const g = analyticGradient(target, SPREADSHEET_DATA);
    expect(g.a.isZero() && g.b.isZero(), 'gradient at the generating line').toBe(true);
  });

  it('SGD-1: at lr = 1e-4 < 1/(99² + 1) no step moves (a, b) away from (2, 30), and every epoch lowers the loss', () => {
    // One sample's step maps the error δ = (a−2, b−30) to (I − 2·lr·v·vᵀ)·δ with v = (x, 1):
    // eigenvalues 1 and 1 − 2·lr·(x² + 1), so ‖δ‖ cannot grow while lr ≤ 1/(x² + 1) = 1/9802 at x = 99.
    let previous = distanceSq(ONE_ONE, target);
    let grew = 0;
    const r = trainOnline(SGD, hyperFor(SGD, { lr: 1e-4 }), SPREADSHEET_DATA, {
      epochs: 30,
      onStep: (_t, p) => {
        const d = distanceSq(p, target);
        if (d.gt(previous)) grew += 1;
        previous = d;
      },
    });
    expect(grew, 'steps that moved (a, b) away from (2, 30)').toBe(0);
    let last = r.initialLoss;
    r.epochLoss.forEach((l, i) => {
      expect(l.lt(last), `epoch ${i + 1}: loss ${l.toSignificantDigits(6).toString()} not below ${last.toSignificantDigits(6).toString()}`).toBe(true);
      last = l;
    });
    expect(r.epochLoss[29].lt(r.initialLoss.div(10)), 'loss after 30 epochs below a tenth of the start').toBe(true);
  });

  it('GRAD-3: training refuses a negative epoch count, an empty data set and inadmissible hyperparameters', () => {
    const h = hyperFor(SGD, { lr: 1e-4 });
    expect(() => trainOnline(SGD, h, SPREADSHEET_DATA, { epochs: -1 }), 'epochs −1').toThrow(/epochs/);
    expect(() => trainOnline(SGD, h, [], { epochs: 1 }), 'no samples').toThrow(/sample/);
    expect(() => hyperFor(SGD, { lr: -1 }), 'negative lr').toThrow(/lr/);
    const none = trainOnline(SGD, h, SPREADSHEET_DATA, { epochs: 0 });
    expect(none.epochLoss.length === 0 && none.params.a.eq(1) && none.params.b.eq(1), 'zero epochs leave a = b = 1').toBe(true);
  });

  it('SGD-1: at lr = 1e-3 the rows with x ≥ 32 expand the error (|1 − 2·lr·(x²+1)| > 1) and training diverges', () => {
    const r = trainOnline(SGD, hyperFor(SGD, { lr: 1e-3 }), SPREADSHEET_DATA, { epochs: 10, stopAbove: D('1e10') });
    expect(r.stopped, `loss stayed below 1e10: ${r.epochLoss.at(-1)?.toExponential(3)}`).toBe(true);
  });
});

describe('SGD-3, SGD-5: momentum', () => {
  it('SGD-5: the notes’ interpolated momentum at lr/(1 − β) takes the same steps as PyTorch’s buffer (SGD-3) at lr', () => {
    // lerp: sₜ = β·sₜ₋₁ + (1−β)·g, θ −= lr′·sₜ; PyTorch: bₜ = β·bₜ₋₁ + g (b₁ = g), θ −= lr·bₜ.
    // With s₀ = 0, sₜ = (1−β)·bₜ for every t, so lr′ = lr/(1−β) gives the same iterates. This is
    // why the canonical form is used below: the notes' form is the same optimizer reparameterised.
    const hTorch = hyperFor(SGD, { lr: 2e-5, momentum: 0.9 });
    const base = hyperFor(SGD_LERP, { lr: 2e-5, momentum: 0.9 });
    const lrLerp = (base.lr as Dec).div(ONE.minus(base.momentum as Dec));
    const hLerp: Hyper = { ...base, lr: lrLerp };
    const torch: LinearParams[] = [];
    const lerp: LinearParams[] = [];
    trainOnline(SGD, hTorch, SPREADSHEET_DATA, { epochs: 5, onStep: (_t, p) => torch.push(p) });
    trainOnline(SGD_LERP, hLerp, SPREADSHEET_DATA, { epochs: 5, onStep: (_t, p) => lerp.push(p) });
    expect(lerp.length, 'steps').toBe(145);
    // lr/(1−β) and the lerp's products round at 50 digits; allow 1e-40 relative over 145 steps.
    torch.forEach((p, i) => {
      expectClose(lerp[i].a, p.a, p.a.abs().times('1e-40'), `step ${i + 1}, a`);
      expectClose(lerp[i].b, p.b, p.b.abs().times('1e-40'), `step ${i + 1}, b`);
    });
  });

  it('SGD-3: momentum 0.9 reaches loss < 240 in fewer epochs than plain SGD at the same lr = 2e-5', () => {
    // The loss is dominated by b, whose curvature (2) is tiny beside a's (2·x², up to 19602):
    // plain SGD creeps along b, momentum keeps going "in the same direction … a little faster".
    // lr = 2e-5 because online heavy-ball with β = 0.9 amplifies steps ~10×, and lr ≥ 3e-5
    // diverges on this data (the rows with x ≈ 99).
    const threshold = D(240);
    const plain = trainOnline(SGD, hyperFor(SGD, { lr: 2e-5 }), SPREADSHEET_DATA, { epochs: 100 });
    const heavy = trainOnline(SGD, hyperFor(SGD, { lr: 2e-5, momentum: 0.9 }), SPREADSHEET_DATA, { epochs: 100 });
    const nPlain = epochsToReach(plain, threshold);
    const nHeavy = epochsToReach(heavy, threshold);
    expect(nHeavy, 'momentum never reached loss < 240 in 100 epochs').toBeDefined();
    expect(nPlain, 'plain SGD never reached loss < 240 in 100 epochs').toBeDefined();
    expect(nHeavy! < nPlain!, `momentum took ${nHeavy} epochs, plain SGD ${nPlain}`).toBe(true);
  });
});

describe('ADAM-7: the spreadsheet Adam (β₁ = β₂ = 0.9, no bias correction, no ε)', () => {
  const sheet = (lr: number) => hyperFor(ADAM_SHEET, { lr, beta1: 0.9, beta2: 0.9, eps: 0 });

  it('ADAM-7: with β₁ = β₂ no step moves a parameter by more than lr, at lr = 1 and lr = 0.1', () => {
    // mₜ = (1−β)·Σ βᵏ·gₜ₋ₖ and vₜ = (1−β)·Σ βᵏ·gₜ₋ₖ²; by Cauchy–Schwarz
    // |mₜ| ≤ (1−β)·√(Σ βᵏ)·√(Σ βᵏ·gₜ₋ₖ²) < (1−β)·(1−β)^(−½)·√(vₜ/(1−β)) = √vₜ, so |Δθ| = lr·|mₜ|/√vₜ < lr
    // whatever the gradients' scale — the "dividing by the square root" of the notes.
    for (const lr of [1, 0.1]) {
      const bound = exact(lr).times('1.000000000000000000000000000000000000001');
      let previous = ONE_ONE;
      let worst = D(0);
      trainOnline(ADAM_SHEET, sheet(lr), SPREADSHEET_DATA, {
        epochs: 10,
        onStep: (_t, p) => {
          worst = Dec.max(worst, p.a.minus(previous.a).abs(), p.b.minus(previous.b).abs());
          previous = p;
        },
      });
      expect(worst.lte(bound), `lr = ${lr}: a step of ${worst.toString()}`).toBe(true);
    }
  });

  it('ADAM-7: at lr = 0.1, where online SGD diverges in its first epoch, the spreadsheet Adam gets the loss from 5797 to below 20', () => {
    // SGD at lr = 0.1: the x = 99 row alone multiplies the error by |1 − 0.2·9802| ≈ 1960.
    const sgd = trainOnline(SGD, hyperFor(SGD, { lr: 0.1 }), SPREADSHEET_DATA, { epochs: 5, stopAbove: D('1e10') });
    expect(sgd.stopped && sgd.epochLoss.length === 1, `SGD at lr = 0.1 did not pass 1e10 in one epoch`).toBe(true);
    const adam = trainOnline(ADAM_SHEET, sheet(0.1), SPREADSHEET_DATA, { epochs: 40 });
    const last = adam.epochLoss[39];
    expect(last.lt(20), `Adam at lr = 0.1: loss after 40 epochs ${last.toSignificantDigits(6).toString()}`).toBe(true);
    expect(last.lt(adam.initialLoss.div(100)), 'Adam at lr = 0.1: less than 1% of the starting loss').toBe(true);
  });

  it('ADAM-7: at the sheet’s lr = 1 (after `reset`) Adam stays below its starting loss every epoch; SGD passes 1e10 at once', () => {
    const sgd = trainOnline(SGD, hyperFor(SGD, { lr: 1 }), SPREADSHEET_DATA, { epochs: 5, stopAbove: D('1e10') });
    expect(sgd.stopped && sgd.epochLoss.length === 1, 'SGD at lr = 1 did not pass 1e10 in one epoch').toBe(true);
    const adam = trainOnline(ADAM_SHEET, sheet(1), SPREADSHEET_DATA, { epochs: 20 });
    adam.epochLoss.forEach((l, i) => {
      expect(l.lt(adam.initialLoss), `Adam at lr = 1, epoch ${i + 1}: loss ${l.toSignificantDigits(6).toString()}`).toBe(true);
    });
  });
});

describe('ADAM-1, ADAMW-1, ADAMW-2: weight decay when gradients are noisy', () => {
  // Two weights, both θ₀ = 1, both with zero-mean gradients: the same seeded sign sequence
  // scaled by σ = 1 and σ = 100. Using one sign sequence makes the variance the only difference;
  // powers of ten scale every decimal exactly, so ε = 0 Adam directions are then identical.
  const T = 200;
  const next = mulberry32(5);
  const signs = Array.from({ length: T }, () => (next() & 1) === 0);
  const noise = (sigma: Dec) => signs.map((s) => (s ? sigma : sigma.neg()));
  const theta0 = D(1);
  const hyper = (d: OptimizerDef, weight_decay: number) => hyperFor(d, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 0, weight_decay });
  /** decay-induced shrinkage: θ_T(λ = 0) − θ_T(λ) */
  const shrinkage = (d: OptimizerDef, sigma: Dec) =>
    runOnSequence(d, hyper(d, 0), theta0, noise(sigma))[T - 1].minus(runOnSequence(d, hyper(d, 0.1), theta0, noise(sigma))[T - 1]);

  it('ADAMW-1: under AdamW the two weights shrink by exactly the same amount', () => {
    // θₜ = (1 − lr·λ)·θₜ₋₁ − lr·dₜ and dₜ = m̂ₜ/√v̂ₜ does not change when every g is scaled by
    // 100 (m by 100, v by 10⁴, √v by 100 — exact in decimal), so the whole trajectories agree.
    const low = shrinkage(ADAMW, D(1));
    const high = shrinkage(ADAMW, D(100));
    expect(low.gt(0), `shrinkage ${low.toString()} not positive`).toBe(true);
    expectEq(high, low, 'AdamW shrinkage at σ = 100 vs σ = 1');
  });

  it('ADAM-1: under Adam + L2 the noisier weight shrinks over 50× less', () => {
    // With L2 the moments see σ·s + λθ: λθ/σ is 100× smaller for σ = 100, and Adam's
    // normalisation by √v ≈ σ turns that into a ~100× smaller decay ("penalise large weights
    // unless gradients vary a lot").
    const low = shrinkage(ADAM, D(1));
    const high = shrinkage(ADAM, D(100));
    expect(high.gt(0), `shrinkage ${high.toString()} not positive`).toBe(true);
    const ratio = low.div(high);
    expect(ratio.gt(50), `shrinkage ratio σ=1 : σ=100 is ${ratio.toSignificantDigits(6).toString()}`).toBe(true);
  });

  it('ADAMW-2: with any noise sequence, θ under decay is (1 − lr·λ)-decay of the λ = 0 run’s own steps; Adam + L2 is not', () => {
    // ADAMW-2: the moments see the raw gradient, so the directions dₜ are those of the λ = 0 run:
    // θₜ(λ) = (1 − lr·λ)·θₜ₋₁(λ) − Δₜ with Δₜ = θₜ₋₁(0) − θₜ(0) = lr·dₜ. An independent,
    // non-power-of-ten noise sequence (σ = 0.3) so nothing rests on the scaling argument above.
    const other = mulberry32(6);
    const g = Array.from({ length: T }, () => exact((((other() & 0xffff) - 32768) / 65536) * 0.3));
    const lrLambda = exact(0.01).times(exact(0.1));
    const predicted = (d: OptimizerDef) => {
      const free = [theta0, ...runOnSequence(d, hyper(d, 0), theta0, g)];
      let theta = theta0;
      for (let t = 1; t <= T; t++) theta = theta.minus(lrLambda.times(theta)).minus(free[t - 1].minus(free[t]));
      return theta;
    };
    const adamwFinal = runOnSequence(ADAMW, hyper(ADAMW, 0.1), theta0, g)[T - 1];
    expectClose(adamwFinal, predicted(ADAMW), D('1e-44'), 'AdamW final θ against decayed λ = 0 steps');
    const adamFinal = runOnSequence(ADAM, hyper(ADAM, 0.1), theta0, g)[T - 1];
    const miss = adamFinal.minus(predicted(ADAM)).abs();
    expect(miss.gt('1e-6'), `Adam + L2 matched the decoupled prediction to ${miss.toExponential(3)}`).toBe(true);
  });
});
