/**
 * reference/gradients.ts: the seed's spreadsheet — y = a·x + b, the squared error, the mean over a
 * mini-batch, finite differences (forward O(h), central O(h²)) and the analytic gradient.
 * The spreadsheet's data are y = 2x + 30, its start a = b = 1 and its forward step h = 0.01.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import {
  analyticGradient,
  batchLoss,
  centralDifference,
  finiteDifferenceGradient,
  forwardDifference,
  predict,
  squaredError,
  type Sample,
} from '../../reference/gradients.ts';
import { FC, d, expectClose, expectDec } from './helpers.ts';

const ONE_ONE = { a: d(1), b: d(1) };
const s = (x: number, y: number): Sample => ({ x: d(x), y: d(y) });
const cube = (t: Dec) => t.pow(3);

describe('GRAD-1 · the linear model ŷ = a·x + b', () => {
  it('GRAD-1 · the spreadsheet data: a = 2, b = 30, x = 14 → 58; a = b = 1 → 15', () => {
    expectDec(predict({ a: d(2), b: d(30) }, d(14)), 58, 'GRAD-1', 'ŷ(2, 30; 14)');
    expectDec(predict(ONE_ONE, d(14)), 15, 'GRAD-1', 'ŷ(1, 1; 14)');
    // a multiplies x, b is added: a = 0.5, b = 3, x = 0.25 → 0.125 + 3
    expectDec(predict({ a: d(0.5), b: d(3) }, d(0.25)), 3.125, 'GRAD-1', 'ŷ(0.5, 3; 0.25)');
  });
});

describe('GRAD-2 · the squared error e = (ŷ − y)²', () => {
  it('GRAD-2 · worked example: ŷ = 15, y = 58 → (−43)² = 1849', () => {
    expectDec(squaredError(d(15), d(58)), 1849, 'GRAD-2', '(15 − 58)²');
    expectDec(squaredError(d(0.75), d(0.25)), 0.25, 'GRAD-2', '(0.75 − 0.25)²');
  });
});

describe('GRAD-3 · the batch mean loss', () => {
  it('GRAD-3 · worked example: a = b = 1 on (14, 58), (86, 202) → (1849 + 13225)/2 = 7537', () => {
    // ŷ = 15, 87; errors (−43)² = 1849, (−115)² = 13225; mean 7537
    expectDec(batchLoss(ONE_ONE, [s(14, 58), s(86, 202)]), 7537, 'GRAD-3', 'L');
    // online training: a batch of one is the squared error itself
    expectDec(batchLoss(ONE_ONE, [s(14, 58)]), 1849, 'GRAD-3', 'L (n = 1)');
    // a mean, not a sum: three samples with errors 1, 0, 0.25 → 1.25/3
    expectClose(batchLoss({ a: d(1), b: d(0) }, [s(1, 0), s(2, 2), s(0.5, 1)]), new Dec(1.25).div(3), 'GRAD-3', '1e-49', 'L (n = 3)');
  });
  it('GRAD-3 · an empty batch is an error', () => {
    expect(() => batchLoss(ONE_ONE, [])).toThrow(/at least one sample/);
  });
});

describe('GRAD-6 · the analytic gradient by the chain rule', () => {
  it('GRAD-6 · worked example: (14, 58) at a = b = 1 → de/db = 2(15 − 58) = −86, de/da = −86·14 = −1204', () => {
    const g = analyticGradient(ONE_ONE, [s(14, 58)]);
    expectDec(g.b, -86, 'GRAD-6', 'de/db');
    expectDec(g.a, -1204, 'GRAD-6', 'de/da');
  });
  it('GRAD-6 · the batch mean: (14, 58), (86, 202) → de/db = (−86 − 230)/2 = −158, de/da = (−1204 − 19780)/2 = −10492', () => {
    const g = analyticGradient(ONE_ONE, [s(14, 58), s(86, 202)]);
    expectDec(g.b, -158, 'GRAD-6', 'dL/db');
    expectDec(g.a, -10492, 'GRAD-6', 'dL/da');
    expect(() => analyticGradient(ONE_ONE, [])).toThrow(/at least one sample/);
  });
  it('GRAD-6 · at the data-generating parameters the gradient is zero', () => {
    const g = analyticGradient({ a: d(2), b: d(30) }, [s(14, 58), s(86, 202), s(99, 228)]);
    expect(g.a.isZero() && g.b.isZero(), `GRAD-6: expected 0, 0, got ${g.a}, ${g.b}`).toBe(true);
  });
});

describe('GRAD-4 · forward difference, error O(h)', () => {
  it("GRAD-4 · the spreadsheet's h = 0.01: est de/db = 2r + h = −85.99, est de/da = 2rx + hx² = −1202.04", () => {
    // e(b) = (r)² with r = ŷ − y = −43: ((r + h)² − r²)/h = 2r + h = −86 + 0.01
    // e(a): r(a + h) = r + 14h: ((r + 14h)² − r²)/h = 28r + 196h = −1204 + 1.96
    const g = finiteDifferenceGradient(ONE_ONE, [s(14, 58)], d('0.01'));
    expectDec(g.b, '-85.99', 'GRAD-4', 'est de/db');
    expectDec(g.a, '-1202.04', 'GRAD-4', 'est de/da');
  });
  it('GRAD-4 · worked example f(θ) = θ³ at θ = 1, h = 0.25: 3 + 3h + h² = 3.8125', () => {
    expectDec(forwardDifference(cube, d(1), d(0.25)), 3.8125, 'GRAD-4', 'forward difference of θ³');
  });
  it('GRAD-4 · halving h halves the error (ratio → 2) for θ³ and exp', () => {
    for (const [name, f, fprime, theta] of [
      ['θ³', cube, (t: Dec) => t.pow(2).times(3), d(1)],
      ['exp', (t: Dec) => t.exp(), (t: Dec) => t.exp(), d(0.5)],
    ] as const) {
      const err = (k: number) => forwardDifference(f, theta, new Dec(2).pow(-k)).minus(fprime(theta)).abs();
      for (let k = 8; k <= 14; k += 2) {
        const ratio = err(k).div(err(k + 1));
        expectClose(ratio, 2, 'GRAD-4', '0.01', `${name}: error(h = 2^-${k}) / error(h = 2^-${k + 1})`);
      }
    }
  });
  it('GRAD-4 · on the batch loss the forward error is exactly h for b and h·mean(x²) for a (property)', () => {
    // L is quadratic: (L(θ + h) − L(θ))/h = L′ + h·L″/2 with L″/2 = 1 in b and mean(x²) in a.
    const dy = fc.integer({ min: -64, max: 64 }).map((k) => k / 4);
    fc.assert(
      fc.property(fc.array(fc.tuple(dy, dy), { minLength: 1, maxLength: 4 }), dy, dy, (pts, a, b) => {
        const batch = pts.map(([x, y]) => s(x, y));
        const p = { a: d(a), b: d(b) };
        const h = d(2 ** -10);
        const g = analyticGradient(p, batch);
        const fd = finiteDifferenceGradient(p, batch, h);
        const meanX2 = Dec.sum(...batch.map((q) => q.x.pow(2))).div(batch.length);
        expectClose(fd.b, g.b.plus(h), 'GRAD-4', '1e-40', 'forward dL/db');
        expectClose(fd.a, g.a.plus(h.times(meanX2)), 'GRAD-4', '1e-40', 'forward dL/da');
      }),
      FC,
    );
  });
});

describe('GRAD-5 · central difference, error O(h²)', () => {
  it('GRAD-5 · worked example f(θ) = θ³ at θ = 1, h = 0.25: 3 + h² = 3.0625', () => {
    // ((1 + h)³ − (1 − h)³)/(2h) = (6h + 2h³)/(2h) = 3 + h²
    expectDec(centralDifference(cube, d(1), d(0.25)), 3.0625, 'GRAD-5', 'central difference of θ³');
  });
  it('GRAD-5 · halving h quarters the error (ratio → 4) for θ³ and exp', () => {
    for (const [name, f, fprime, theta] of [
      ['θ³', cube, (t: Dec) => t.pow(2).times(3), d(1)],
      ['exp', (t: Dec) => t.exp(), (t: Dec) => t.exp(), d(0.5)],
    ] as const) {
      const err = (k: number) => centralDifference(f, theta, new Dec(2).pow(-k)).minus(fprime(theta)).abs();
      for (let k = 6; k <= 12; k += 2) {
        const ratio = err(k).div(err(k + 1));
        expectClose(ratio, 4, 'GRAD-5', '0.01', `${name}: error(h = 2^-${k}) / error(h = 2^-${k + 1})`);
      }
    }
  });
  it("GRAD-5 · on the spreadsheet's quadratic loss the central difference is exact: −86, −1204", () => {
    // ((r + h)² − (r − h)²)/(2h) = 4rh/(2h) = 2r, with no O(h²) term: f‴ = 0.
    const g = finiteDifferenceGradient(ONE_ONE, [s(14, 58)], d('0.01'), centralDifference);
    expectDec(g.b, -86, 'GRAD-5', 'central de/db');
    expectDec(g.a, -1204, 'GRAD-5', 'central de/da');
  });
  it('GRAD-5 · on any batch the central difference equals the analytic gradient up to rounding (property)', () => {
    const v = fc.double({ min: -100, max: 100, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(v, v), { minLength: 1, maxLength: 4 }), v, v, (pts, a, b) => {
        const batch = pts.map(([x, y]) => s(x, y));
        const p = { a: d(a), b: d(b) };
        const g = analyticGradient(p, batch);
        const fd = finiteDifferenceGradient(p, batch, d('0.001'), centralDifference);
        // cancellation: L ~ 1e8 differenced over 2h = 0.002 loses ~11 of the 50 digits
        expectClose(fd.b, g.b, 'GRAD-5', '1e-30', 'central dL/db');
        expectClose(fd.a, g.a, 'GRAD-5', '1e-30', 'central dL/da');
      }),
      FC,
    );
  });
});
