/**
 * NOTE-4: the ball arithmetic's contract, operation by operation — the exact value (decimal.js at
 * 2,000 digits, on operands that are exact doubles) lies within the radius of the midpoint, and a
 * result is marked exact exactly when it is: + − × that fit the working precision, ÷ and √ with no
 * remainder. Chains carry the bound across operations, cancellation included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ball, withWorkingPrecision } from '../../reference/ball.ts';
import { Dec } from '../../reference/decimal.ts';
import { atPrecision, nonZeroDouble } from './helpers.ts';
import { exact } from '../../reference/dtype.ts';

const FC = { seed: 20261211, numRuns: 150 };

/** The ball's radius rad·2^e as a decimal. */
const radiusOf = (b: Ball): Dec => exact(b.rad).times(new Dec(2).pow(b.exponent));

/** Asserts |truth − mid| ≤ radius, and radius 0 ⇒ mid = truth. */
function expectHolds(b: Ball, truth: Dec, what: string): void {
  const error = b.mid.toDecimal().minus(truth).abs();
  expect(error.lte(radiusOf(b)), `${what}: |${truth.toSignificantDigits(30).toString()} − ${b.toString()}| = ${error.toExponential(3)}`).toBe(true);
}

const at2000 = <R>(f: () => R): R => atPrecision(2000, f);

describe('NOTE-4: balls hold the exact value', () => {
  it('NOTE-4: + − × ÷ √ of exact doubles: the exact result lies in the ball (property)', () => {
    fc.assert(
      fc.property(nonZeroDouble, nonZeroDouble, (x, y) => {
        const [a, b] = [Ball.exact(x), Ball.exact(y)];
        const [dx, dy] = [exact(x), exact(y)];
        const truth = at2000(() => ({ sum: dx.plus(dy), diff: dx.minus(dy), prod: dx.times(dy), quot: dx.div(dy), root: dx.abs().sqrt() }));
        expectHolds(a.plus(b), truth.sum, 'x + y');
        expectHolds(a.minus(b), truth.diff, 'x − y');
        expectHolds(a.times(b), truth.prod, 'x × y');
        expectHolds(a.div(b), truth.quot, 'x ÷ y');
        expectHolds((x < 0 ? a.neg() : a).sqrt(), truth.root, '√|x|');
      }),
      FC,
    );
  });

  it('NOTE-4: chains with cancellation keep the bound: (x/3)·3 − x, √(x²)·… (property)', () => {
    fc.assert(
      fc.property(nonZeroDouble, nonZeroDouble, (x, y) => {
        const [a, b] = [Ball.exact(x), Ball.exact(y)];
        const three = Ball.exact(3);
        const [dx, dy] = [exact(x), exact(y)];
        const chain = a.div(three).times(three).minus(a).plus(b.div(a)).times(b.times(b).sqrt());
        const truth = at2000(() => dy.div(dx).times(dy.abs()));
        expectHolds(chain, truth, '(x/3)·3 − x + y/x, times |y|');
      }),
      FC,
    );
  });

  it("NOTE-4: a midpoint knows its own size — its bit count is its coefficient's, after every operation (property)", () => {
    const bitsOf = (b: Ball) => (b.coefficient === 0n ? 0 : b.coefficient.toString(2).length);
    fc.assert(
      fc.property(nonZeroDouble, nonZeroDouble, (x, y) => {
        const [a, b] = [Ball.exact(x), Ball.exact(y)];
        // inexact operands of P bits (÷3), the same exact divisor twice (the reciprocal's path), sums that carry
        const [ia, ib] = [a.div(Ball.exact(3)), b.div(Ball.exact(7))];
        const divisor = Ball.exact(y);
        const results = [
          a.plus(b),
          a.minus(b),
          a.times(b),
          a.div(b),
          a.abs().sqrt(),
          ia,
          ib,
          ia.plus(ib),
          ia.minus(ib),
          ia.times(ib),
          ia.div(ib),
          ia.abs().sqrt(),
        ];
        results.push(ia.div(divisor), ib.div(divisor), ia.plus(ia), ia.times(a), a.plus(Ball.exact(x)));
        for (const r of results) expect(r.bits, r.toString()).toBe(bitsOf(r));
      }),
      FC,
    );
  });

  it('NOTE-4 · NOTE-7: an exact ∞ with a ball of finite values: ∞ ± x and max(±∞, x) are exact whatever x is; ∞·x stays unknown while x may be 0', () => {
    withWorkingPrecision(60, () => {
      const third = Ball.exact(1).div(Ball.exact(3));
      // (1/3)·3 − 1: a ball around 0, not known to be 0 or not
      const nearZero = third.times(Ball.exact(3)).minus(Ball.exact(1));
      expect(nearZero.containsZero()).toBe(true);
      const [inf, minusInf] = [Ball.exact(Infinity), Ball.exact(-Infinity)];
      for (const [what, b, value] of [
        ['∞ + x', inf.plus(nearZero), Infinity],
        ['x − ∞', nearZero.minus(inf), -Infinity],
        ['max(x, ∞)', third.max(inf), Infinity],
        ['max(∞, x)', inf.max(nearZero), Infinity],
      ] as const) {
        expect(b.isExact, what).toBe(true);
        expect(b.special, what).toBe(value);
      }
      expect(minusInf.max(third), 'max(−∞, x) is x, its ball as it was').toBe(third);
      expect(inf.times(nearZero).isExact, '∞·x: NaN if x is 0').toBe(false);
    });
  });

  it('NOTE-4: exact results are marked exact, and only they', () => {
    withWorkingPrecision(60, () => {
      const one = Ball.exact(1);
      expect(one.minus(Ball.exact(2 ** -54)).isExact, '1 − 2^-54 (55 digits) is exact').toBe(true);
      expect(Ball.exact(0.75).div(Ball.exact(0.25)).isExact, '0.75 / 0.25 = 3').toBe(true);
      expect(Ball.exact(0.0625).sqrt().isExact, '√0.0625 = 0.25').toBe(true);
      expect(one.div(Ball.exact(3)).isExact, '1/3 is not').toBe(false);
      expect(Ball.exact(2).sqrt().isExact, '√2 is not').toBe(false);
      // midpoints are dyadic: 2^-1075 is one bit, exact at any precision (751 decimal digits)
      expect(Ball.exact(2 ** -1074).times(Ball.exact(0.5)).isExact, '2^-1075 is exact').toBe(true);
      // (1 + 2^-52)^4 has 209 bits, more than 60 digits' 200
      const a = Ball.exact(1 + 2 ** -52);
      expect(a.times(a).times(a.times(a)).isExact, '(1 + 2^-52)^4 at 60 digits is not').toBe(false);
    });
    withWorkingPrecision(1000, () => {
      const a = Ball.exact(1 + 2 ** -52);
      expect(a.times(a).times(a.times(a)).isExact, '(1 + 2^-52)^4 at 1,000 digits is').toBe(true);
    });
  });
});
