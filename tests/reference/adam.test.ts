/**
 * reference/adam.ts: Kingma & Ba's Algorithm 1 as torch.optim.Adam computes it (ADAM-1 … ADAM-6)
 * and the named variants: no bias correction (ADAM-7, the notes' spreadsheet), ε inside the root
 * (ADAM-8) and the paper's ε̂ form (ADAM-9).
 *
 * The running example: g = 0.5 (exact in binary), β₁ = 0.5, β₂ = 0.75, lr = 0.25, ε = 0, θ₀ = 1:
 *   m₁ = 0.5·0.5 = 0.25, v₁ = 0.25·0.25 = 0.0625, m̂₁ = 0.25/0.5 = 0.5, v̂₁ = 0.0625/0.25 = 0.25,
 *   Δ₁ = 0.25·0.5/√0.25 = 0.25, θ₁ = 0.75.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exact } from '../../reference/dtype.ts';
import {
  adamEpsHatStep,
  adamEpsInsideSqrtStep,
  adamNoBiasCorrectionStep,
  adamStep,
  amsgradMax,
  biasCorrectedDirection,
  epsHatDirection,
  epsInsideSqrtDirection,
  uncorrectedDirection,
} from '../../reference/adam.ts';
import { ewmaOfSquares, ewmaUpdate } from '../../reference/parts.ts';
import type { ElementState, ElementStep } from '../../reference/notation.ts';
import { findOptimizer, variantsOf } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import { FC, d, expectClose, expectDec, hyper } from './helpers.ts';

const ADAM = findOptimizer('adam')!;
const H = { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 0, weight_decay: 0, amsgrad: false };

function run(def: typeof ADAM, h: Record<string, unknown>, theta0: number, gs: number[]) {
  return referenceTrajectory(def, { hyper: h, params: [theta0], state: null, steps: gs.map((g) => ({ grad: [g] })) });
}
const st = (out: ReturnType<typeof run>, i: number, name: string) => (out[i].state[name] as Dec[])[0];

/** θ after each step of an element step, driven directly with exact decimal gradients. */
function thetas(step: ElementStep, h: Record<string, number | boolean>, theta0: Dec, gs: Dec[]): Dec[] {
  let theta = theta0;
  let state: ElementState = { exp_avg: d(0), exp_avg_sq: d(0), max_exp_avg_sq: d(0) };
  return gs.map((g, i) => {
    const r = step(theta, g, state, hyper(h), i + 1);
    theta = r.param;
    state = { ...r.state, max_exp_avg_sq: r.state.max_exp_avg_sq ?? d(0) };
    return theta;
  });
}

/** Gradients that are never all-zero at step 1 (ε = 0 would give 0/0). */
const grad = fc.tuple(fc.double({ min: 2 ** -20, max: 16, noNaN: true }), fc.boolean()).map(([x, neg]) => (neg ? -x : x));
const beta = fc.oneof(fc.constantFrom(0, 0.5, 0.9, 0.99, 0.999), fc.double({ min: 0, max: 0.999, noNaN: true }));

describe('ADAM-2 · first moment m ← β₁·m + (1−β₁)·g′', () => {
  it('ADAM-2 · worked example: m₁ = 0.5·0.5 = 0.25, m₂ = 0.125 + 0.25 = 0.375', () => {
    expectDec(ewmaUpdate(d(0), d(0.5), d(0.5)), 0.25, 'ADAM-2', 'm₁');
    const out = run(ADAM, H, 1, [0.5, 0.5]);
    expectDec(st(out, 0, 'exp_avg'), 0.25, 'ADAM-2', 'exp_avg₁');
    expectDec(st(out, 1, 'exp_avg'), 0.375, 'ADAM-2', 'exp_avg₂');
  });
  it('ADAM-2 · β₁ = 0.9 at its binary value: m₁ = (1 − 0x1.ccccccccccccdp-1)·1', () => {
    // 1 − 0.90000000000000002220446049250313080847263336181640625, to 50 digits
    expectDec(ewmaUpdate(d(0), d(1), exact(0.9)), '0.099999999999999977795539507496869191527366638183594', 'ADAM-2', 'm₁');
  });
});

describe('ADAM-3 · second moment v ← β₂·v + (1−β₂)·g′²', () => {
  it('ADAM-3 · worked example: v₁ = 0.25·0.25 = 0.0625, v₂ = 0.046875 + 0.0625 = 0.109375', () => {
    expectDec(ewmaOfSquares(d(0), d(0.5), d(0.75)), 0.0625, 'ADAM-3', 'v₁');
    expectDec(ewmaOfSquares(d(0.0625), d(-0.5), d(0.75)), 0.109375, 'ADAM-3', 'v₂ (g² is sign-free)');
    const out = run(ADAM, H, 1, [0.5, 0.5]);
    expectDec(st(out, 1, 'exp_avg_sq'), 0.109375, 'ADAM-3', 'exp_avg_sq₂');
  });
});

describe('ADAM-4 · bias correction m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)', () => {
  it('ADAM-4 · worked example at t = 2: m̂ = 0.375/0.75 = 0.5, v̂ = 0.109375/0.4375 = 0.25 → direction 1', () => {
    expectDec(biasCorrectedDirection(d(0.375), d(0.109375), hyper(H), 2), 1, 'ADAM-4', 'm̂₂/√v̂₂');
    // with t = 1 the same moments would be corrected by 0.5 and 0.25: 0.75/√0.4375 ≠ 1
    expect(biasCorrectedDirection(d(0.375), d(0.109375), hyper(H), 1).eq(1)).toBe(false);
  });
  it('ADAM-4 · a constant gradient gives m̂ = g and v̂ = g² at every step', () => {
    // so at ε = 0 every step is lr·sign(g): θ = 0.75, 0.5, 0.25
    const out = run(ADAM, H, 1, [0.5, 0.5, 0.5]);
    [0.75, 0.5, 0.25].forEach((t, i) => expectClose(out[i].params[0], t, 'ADAM-4', '1e-48', `θ${i + 1}`));
  });
});

describe('ADAM-5 · the update θ ← θ − lr·m̂/(√v̂ + ε)', () => {
  it('ADAM-5 · worked example: Δ₁ = 0.25·0.5/0.5 = 0.25, θ₁ = 0.75', () => {
    const out = run(ADAM, H, 1, [0.5]);
    expectDec(out[0].params[0], 0.75, 'ADAM-5', 'θ₁');
    expect(out[0].state.step).toBe(1);
  });
  it('ADAM-5 · ε is added after the root: ε = 0.75 → Δ₁ = 0.25·0.5/(0.5 + 0.75) = 0.1', () => {
    expectDec(run(ADAM, { ...H, eps: 0.75 }, 1, [0.5])[0].params[0], '0.9', 'ADAM-5', 'θ₁');
  });
  it('ADAM-5 · the registry defaults: lr 1e-3, β (0.9, 0.999), ε 1e-8, at step 1 Δ = lr·|g|/(|g| + ε)', () => {
    // m̂₁ = g and v̂₁ = g² exactly in rationals (m₁ = (1−β₁)g over 1 − β₁ once rounded the same way);
    // g = 1: Δ₁ = 1e-3·1/(1 + 1e-8), with lr and ε at their binary values.
    const out = run(ADAM, {}, 0, [1]);
    expectClose(
      out[0].params[0],
      d(0.001)
        .neg()
        .div(d(1).plus(d(1e-8))),
      'ADAM-5',
      '1e-47',
      'θ₁',
    );
  });
  it('ADAM-5 · scaling the gradients by c > 0 leaves the update unchanged at ε = 0 (property)', () => {
    fc.assert(
      fc.property(fc.array(grad, { minLength: 1, maxLength: 6 }), fc.double({ min: 2 ** -30, max: 2 ** 30, noNaN: true }), beta, beta, (gs, c, b1, b2) => {
        const h = { ...H, beta1: b1, beta2: b2 };
        const base = thetas(
          adamStep,
          h,
          d(1),
          gs.map((g) => exact(g)),
        );
        const scaled = thetas(
          adamStep,
          h,
          d(1),
          gs.map((g) => exact(g).times(exact(c))),
        );
        base.forEach((t, i) => expectClose(scaled[i], t, 'ADAM-5', '1e-40', `θ${i + 1} with gradients ×${c}`));
      }),
      FC,
    );
  });
  it('ADAM-5 · the paper bound |Δ| ≤ α holds for gradients of constant magnitude (property)', () => {
    // |mₜ| ≤ (1−β₁ᵗ)·G and vₜ = (1−β₂ᵗ)·G², so |m̂ₜ|/√v̂ₜ ≤ 1 — the case the paper's "|Δ| ≤ α"
    // (and a fortiori α·(1−β₁)/√(1−β₂) when that is larger) describes. Checked at every step.
    fc.assert(
      fc.property(
        fc.double({ min: 2 ** -20, max: 2 ** 20, noNaN: true }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        beta,
        beta,
        (G, signs, b1, b2) => {
          const h = { ...H, lr: 1, beta1: b1, beta2: b2 };
          const gs = signs.map((s) => (s ? exact(G) : exact(-G)));
          const paper = d(1)
            .minus(exact(b1))
            .div(d(1).minus(exact(b2)).sqrt());
          const bound = Dec.max(1, paper);
          let prev = d(0);
          thetas(adamStep, h, d(0), gs).forEach((t, i) => {
            const step = t.minus(prev).abs();
            prev = t;
            expect(step.lte(new Dec(1).plus('1e-45')), `ADAM-5: |Δ${i + 1}| = ${step} > α = 1 (β = ${b1}, ${b2})`).toBe(true);
            expect(step.lte(bound.plus('1e-45'))).toBe(true);
          });
        },
      ),
      FC,
    );
  });
  it('ADAM-5 · every step obeys the exact Cauchy–Schwarz bound α·(1−β₁)/√(1−β₂)·√(1−β₂ᵗ)/(1−β₁ᵗ)·√Σₖ₍₀..ₜ₋₁₎(β₁²/β₂)ᵏ (property)', () => {
    // |Σ wᵢgᵢ| ≤ √(Σ wᵢ²/uᵢ)·√(Σ uᵢgᵢ²) with wᵢ = (1−β₁)β₁ᵗ⁻ⁱ, uᵢ = (1−β₂)β₂ᵗ⁻ⁱ; equality is reachable.
    fc.assert(
      fc.property(fc.array(grad, { minLength: 1, maxLength: 8 }), beta, fc.double({ min: 0.01, max: 0.999, noNaN: true }), (gs, b1, b2) => {
        const h = { ...H, lr: 1, beta1: b1, beta2: b2 };
        const B1 = exact(b1);
        const B2 = exact(b2);
        const gamma = B1.pow(2).div(B2);
        let prev = d(0);
        let sum = d(0);
        thetas(
          adamStep,
          h,
          d(0),
          gs.map((g) => exact(g)),
        ).forEach((t, i) => {
          const k = i + 1;
          sum = sum.plus(gamma.pow(i));
          const bound = d(1)
            .minus(B1)
            .div(d(1).minus(B2).sqrt())
            .times(d(1).minus(B2.pow(k)).sqrt())
            .div(d(1).minus(B1.pow(k)))
            .times(sum.sqrt());
          const step = t.minus(prev).abs();
          prev = t;
          expect(step.lte(bound.times(d(1).plus('1e-40'))), `ADAM-5: |Δ${k}| = ${step} > ${bound}`).toBe(true);
        });
      }),
      FC,
    );
  });
  it("ADAM-5 · the paper's bound is not strict: β = (0.5, 0.75), g = 2, 3 gives |Δ₂| = (8/3)/√(48/7)·α ≈ 1.018α", () => {
    // (1−β₁) = 0.5 = √(1−β₂): the "otherwise" case, |Δ| ≤ α. But
    // m₁ = 1, v₁ = 1; m₂ = 0.5 + 1.5 = 2, v₂ = 0.75 + 0.25·9 = 3; m̂₂ = 2/0.75 = 8/3, v̂₂ = 3/0.4375 = 48/7,
    // Δ₂ = α·(8/3)/√(48/7) = α·1.01835… > α. (Gradients ∝ wᵢ/uᵢ attain the Cauchy–Schwarz bound.)
    const out = run(ADAM, { ...H, lr: 1 }, 0, [2, 3]);
    expectDec(out[0].params[0], -1, 'ADAM-5', 'θ₁ (|Δ₁| = α)');
    const delta2 = out[0].params[0].minus(out[1].params[0]);
    expectClose(delta2, new Dec(8).div(3).div(new Dec(48).div(7).sqrt()), 'ADAM-5', '1e-48', 'Δ₂');
    expect(delta2.gt(1), 'ADAM-5: Δ₂ exceeds α').toBe(true);
  });
});

describe('ADAM-1 · L2 weight decay coupled into the gradient', () => {
  it('ADAM-1 · worked example: θ = 1, g = 0.5, λ = 0.5 → g′ = 1; m = 0.5, v = 0.25; Δ = 0.25 → θ = 0.75', () => {
    const out = run(ADAM, { ...H, weight_decay: 0.5 }, 1, [0.5]);
    expectDec(st(out, 0, 'exp_avg'), 0.5, 'ADAM-1', 'm₁ (from g′ = 1)');
    expectDec(st(out, 0, 'exp_avg_sq'), 0.25, 'ADAM-1', 'v₁ (from g′ = 1)');
    expectDec(out[0].params[0], 0.75, 'ADAM-1', 'θ₁');
  });
  it('ADAM-1 · adamw/l2-coupled is this step under the AdamW name (default λ 0.01)', () => {
    const l2 = findOptimizer('adamw', 'l2-coupled')!;
    expect(l2.step).toBe(adamStep);
    expect(l2.clauses).toEqual(['ADAM-1']);
    expect(l2.hyper.find((s) => s.name === 'weight_decay')?.default).toBe(0.01);
    expect(ADAM.hyper.find((s) => s.name === 'weight_decay')?.default).toBe(0);
  });
});

describe('ADAM-6 · AMSGrad: the largest v seen', () => {
  it('ADAM-6 · worked example: β = (0.5, 0.75), lr = 1, g = 2, 0 → v = 1, 0.75; v_max = 1, 1; Δ₂ = √7/6', () => {
    // step 1: m = 1, v = 1, v_max = 1; m̂ = 2, v̂ = 4 → Δ₁ = 1, θ₁ = −1
    // step 2: m = 0.5, v = 0.75, v_max = 1; m̂ = 0.5/0.75 = 2/3; v_max/(1 − 0.5625) = 16/7
    //         Δ₂ = (2/3)/(4/√7) = √7/6 (without AMSGrad: (2/3)/√(12/7) = √21/9)
    expectDec(amsgradMax(d(1), d(0.75)), 1, 'ADAM-6', 'max(1, 0.75)');
    const ams = run(ADAM, { ...H, lr: 1, amsgrad: true }, 0, [2, 0]);
    expectDec(st(ams, 0, 'max_exp_avg_sq'), 1, 'ADAM-6', 'v_max₁');
    expectDec(st(ams, 1, 'max_exp_avg_sq'), 1, 'ADAM-6', 'v_max₂');
    expectDec(st(ams, 1, 'exp_avg_sq'), 0.75, 'ADAM-6', 'v₂ (kept as well)');
    expectDec(ams[0].params[0], -1, 'ADAM-6', 'θ₁');
    expectClose(ams[1].params[0], new Dec(7).sqrt().div(6).plus(1).neg(), 'ADAM-6', '1e-48', 'θ₂ = −1 − √7/6');
    const plain = run(ADAM, { ...H, lr: 1 }, 0, [2, 0]);
    expectClose(plain[1].params[0], new Dec(21).sqrt().div(9).plus(1).neg(), 'ADAM-6', '1e-48', 'θ₂ without AMSGrad = −1 − √21/9');
  });
  it('ADAM-6 · v_max never decreases and is never below v (property)', () => {
    fc.assert(
      fc.property(fc.array(grad, { minLength: 1, maxLength: 6 }), beta, beta, (gs, b1, b2) => {
        const out = run(ADAM, { ...H, beta1: b1, beta2: b2, amsgrad: true }, 0, gs);
        let prev = d(0);
        out.forEach((s, i) => {
          const vmax = (s.state.max_exp_avg_sq as Dec[])[0];
          expect(vmax.gte(prev) && vmax.gte((s.state.exp_avg_sq as Dec[])[0]), `ADAM-6: v_max${i + 1} = ${vmax}`).toBe(true);
          prev = vmax;
        });
      }),
      FC,
    );
  });
  it('ADAM-6 · state names and invalid hyperparameters', () => {
    expect(ADAM.stateNames(hyper(H))).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(ADAM.stateNames(hyper({ ...H, amsgrad: true }))).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(ADAM.invalid(hyper(H))).toBeUndefined();
    expect(ADAM.invalid(hyper({ ...H, lr: -1 }))).toBe('lr must be ≥ 0');
    expect(ADAM.invalid(hyper({ ...H, beta1: 1 }))).toBe('beta1 must be in [0, 1)');
    expect(ADAM.invalid(hyper({ ...H, beta2: -0.5 }))).toBe('beta2 must be in [0, 1)');
    expect(ADAM.invalid(hyper({ ...H, eps: -1e-8 }))).toBe('eps must be ≥ 0');
    expect(ADAM.invalid(hyper({ ...H, weight_decay: -0.01 }))).toBe('weight_decay must be ≥ 0');
    expect(variantsOf('adam').map((o) => o.name)).toEqual(['adam/no-bias-correction', 'adam/eps-inside-sqrt', 'adam/eps-hat']);
  });
});

describe('ADAM-7 · adam/no-bias-correction: m/(√v + ε)', () => {
  it('ADAM-7 · worked example: β = (0.75, 0.75), g = 0.5 → m = 0.125, v = 0.0625; Δ = 0.25·0.125/0.25 = 0.125', () => {
    // canonical: m̂ = 0.5, v̂ = 0.25 → Δ = 0.25; the spreadsheet form takes half that step
    expectDec(uncorrectedDirection(d(0.125), d(0.0625), hyper({ ...H, beta1: 0.75 })), 0.5, 'ADAM-7', 'm/√v');
    const h = { ...H, beta1: 0.75 };
    expectDec(run(findOptimizer('adam', 'no-bias-correction')!, h, 1, [0.5])[0].params[0], 0.875, 'ADAM-7', 'θ₁');
    expectDec(run(ADAM, h, 1, [0.5])[0].params[0], 0.75, 'ADAM-7', 'canonical θ₁');
    expect(findOptimizer('adam', 'no-bias-correction')!.step).toBe(adamNoBiasCorrectionStep);
  });
});

/** A variant that moves only ε (H has ε = 0): on any gradients and β's, the canonical Adam's parameters. */
function agreesWithAdamAtEpsZero(variant: ElementStep, clause: string): void {
  fc.assert(
    fc.property(fc.array(grad, { minLength: 1, maxLength: 5 }), beta, beta, (gs, b1, b2) => {
      const h = { ...H, beta1: b1, beta2: b2 };
      const [a, b] = [variant, adamStep].map((step) =>
        thetas(
          step,
          h,
          d(1),
          gs.map((g) => exact(g)),
        ),
      );
      a.forEach((x, i) => expectClose(x, b[i], clause, '1e-44', `θ${i + 1}`));
    }),
    FC,
  );
}

describe('ADAM-8 · adam/eps-inside-sqrt: m̂/√(v̂ + ε)', () => {
  it('ADAM-8 · worked example: v̂ = 0.25, ε = 0.75 → √1 = 1, Δ = 0.125 (outside: 0.5 + 0.75, Δ = 0.1)', () => {
    const h = { ...H, eps: 0.75 };
    expectDec(epsInsideSqrtDirection(d(0.25), d(0.0625), hyper(h), 1), 0.5, 'ADAM-8', 'm̂/√(v̂ + ε)');
    expectDec(run(findOptimizer('adam', 'eps-inside-sqrt')!, h, 1, [0.5])[0].params[0], 0.875, 'ADAM-8', 'θ₁');
    expectDec(run(ADAM, h, 1, [0.5])[0].params[0], '0.9', 'ADAM-8', 'canonical θ₁');
  });
  it('ADAM-8 · at ε = 0 it is canonical Adam (property)', () => agreesWithAdamAtEpsZero(adamEpsInsideSqrtStep, 'ADAM-8'));
});

describe('ADAM-9 · adam/eps-hat: (√(1−β₂ᵗ)/(1−β₁ᵗ))·m/(√v + ε̂)', () => {
  it('ADAM-9 · worked example: ε̂ = 0.75 → 1·0.25/(0.25 + 0.75), Δ = 0.0625; ε̂ = ε·√(1−β₂) = 0.375 matches ε = 0.75', () => {
    // step scale √(1 − 0.75)/(1 − 0.5) = 1; m = 0.25, √v = 0.25
    const h = { ...H, eps: 0.75 };
    expectDec(epsHatDirection(d(0.25), d(0.0625), hyper(h), 1), 0.25, 'ADAM-9', 'direction with ε̂ = 0.75');
    expectDec(run(findOptimizer('adam', 'eps-hat')!, h, 1, [0.5])[0].params[0], 0.9375, 'ADAM-9', 'θ₁');
    // 0.25/(0.25 + 0.375) = 0.4 = 0.5/(0.5 + 0.75), the canonical direction at ε = 0.75
    expectDec(epsHatDirection(d(0.25), d(0.0625), hyper({ ...H, eps: 0.375 }), 1), '0.4', 'ADAM-9', 'direction with ε̂ = 0.375');
    expectDec(biasCorrectedDirection(d(0.25), d(0.0625), hyper(h), 1), '0.4', 'ADAM-9', 'canonical direction with ε = 0.75');
  });
  it('ADAM-9 · at ε = 0 it is canonical Adam (property)', () => agreesWithAdamAtEpsZero(adamEpsHatStep, 'ADAM-9'));
});
