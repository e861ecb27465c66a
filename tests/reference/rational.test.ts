/**
 * NOTE-4: the precision cap's last resort, exact rationals (reference/rational.ts). Their operations
 * and roundings are held to decimal.js at 1,200 digits on exact doubles (a rational whose decimal
 * expansion ends within them is compared digit for digit), and a tie the ball arithmetic can only
 * approach — reached through a quotient that is not dyadic — is decided, with hand-derived values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceRun } from '../../conformance/adapters/reference.ts';
import { Dec } from '../../reference/decimal.ts';
import { atPrecision, nonZeroDouble } from './helpers.ts';
import { exact, roundToDtype, type Dtype } from '../../reference/dtype.ts';
import { NotRational, Rational, SIZE_LIMIT_BITS } from '../../reference/rational.ts';
import { findOptimizer, type OptimizerDef } from '../../reference/registry.ts';
import { toRunRequest, type Case } from '../../conformance/check/case.ts';
import { checkCase } from '../../conformance/check/compare.ts';

const FC = { seed: 20261129, numRuns: 200 };

const at1200 = <R>(f: () => R): R => atPrecision(1200, f);

/**
 * The dtype roundings of an exact decimal, decided apart from the code under test (which rounds
 * through dtype.ts's roundRational, as roundToDtype does): float64 by JavaScript's own string
 * conversion, correctly rounded in V8; the narrow dtypes by roundToDtype, tested in dtype.test.ts.
 */
function expectRoundings(got: (dtype: Dtype) => number, truth: Dec, dtypes: readonly Dtype[], what: string): void {
  expect(Object.is(got('float64'), Number(truth.toString())), `${what} float64`).toBe(true);
  for (const dtype of dtypes) expect(Object.is(got(dtype), roundToDtype(truth, dtype)), `${what} ${dtype}`).toBe(true);
}

describe('NOTE-4 · exact rationals, for what the balls leave open', () => {
  it('NOTE-4 · NOTE-5 · + − × of exact doubles: the same float32 and float64 roundings and 50-digit strings as decimal.js at 1,200 digits (property)', () => {
    fc.assert(
      fc.property(nonZeroDouble, nonZeroDouble, (x, y) => {
        const [a, b] = [Rational.exact(x), Rational.exact(y)];
        const truth = at1200(() => [exact(x).plus(exact(y)), exact(x).minus(exact(y)), exact(x).times(exact(y))]);
        [a.plus(b), a.minus(b), a.times(b)].forEach((r, k) => {
          expectRoundings((d) => r.toDtype(d), truth[k], ['float32', 'bfloat16'], `${k}`);
          // exact: these are dyadic, their expansions end within 1,200 digits
          expect(r.toDigits(50), `${k}`).toBe(new Dec(truth[k]).toSignificantDigits(50, Dec.ROUND_HALF_EVEN).toString());
        });
      }),
      FC,
    );
  });

  it('NOTE-4 · ÷ of exact doubles, a repeating expansion: the 50-digit string and the roundings of decimal.js at 1,200 digits (property)', () => {
    fc.assert(
      fc.property(nonZeroDouble, nonZeroDouble, (x, y) => {
        const q = Rational.exact(x).div(Rational.exact(y));
        const truth = at1200(() => exact(x).div(exact(y)));
        expectRoundings((d) => q.toDtype(d), truth, ['float16'], 'x ÷ y');
        expect(q.toDigits(50)).toBe(new Dec(truth).toSignificantDigits(50, Dec.ROUND_HALF_EVEN).toString());
      }),
      FC,
    );
  });

  it('NOTE-4 · a root is exact where it is rational, and ends the attempt where it is not; so do a real power and numbers past the size limit', () => {
    expect(Rational.exact(0.140625).sqrt().toDigits(50), '√(9/64) = 3/8').toBe('0.375');
    expect(Rational.exact(2.25).div(Rational.exact(49)).sqrt().toDigits(50), '√(9/196) = 3/14').toBe('0.21428571428571428571428571428571428571428571428571');
    expect(() => Rational.exact(2).sqrt()).toThrow(NotRational);
    expect(() => Rational.exact(0.5).powerOf(0.96)).toThrow(NotRational);
    expect(Rational.exact(3).powerOf(0.5).toDigits(50), '0.5³').toBe('0.125');
    expect(() => Rational.exact(0.9).pow(2 ** 24), `0.9 to the 2²⁴th: past ${SIZE_LIMIT_BITS} bits`).toThrow(NotRational);
  });

  it('NOTE-4 · NOTE-7 · signed zeros, NaN and infinities as IEEE 754 has them', () => {
    const [zero, minusZero, one] = [Rational.exact(0), Rational.exact(-0), Rational.exact(1)];
    expect(minusZero.plus(minusZero).toDtype('float64')).toBe(-0);
    expect(minusZero.plus(zero).toDtype('float64')).toBe(0);
    expect(one.minus(one).toDtype('float64'), 'an exact cancellation is +0').toBe(0);
    expect(minusZero.times(one).toDtype('float64')).toBe(-0);
    expect(one.div(minusZero).toDtype('float64')).toBe(-Infinity);
    expect(Rational.exact(Infinity).minus(Rational.exact(Infinity)).toDtype('float64')).toBeNaN();
    expect(Rational.exact(NaN).max(one).toDtype('float64'), 'max with NaN is NaN').toBeNaN();
    expect(Rational.exact(Infinity).toDigits(50)).toBe('Infinity');
  });
});

/** One plain Adagrad step of one element as `optconf reference` answers it: θ₁ in the dtype and its exact string. */
function adagradStep(dtype: Dtype, lr: number, eps: number, param: number, grad: number): { value: number; text: string } {
  const reply = referenceRun({
    op: 'run',
    id: 'adagrad',
    optimizer: 'adagrad',
    dtype,
    hyper: { lr, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps },
    params: [param],
    state: null,
    steps: [{ grad: [grad] }],
  });
  if (reply.op !== 'result') throw new Error(JSON.stringify(reply));
  return { value: reply.steps[0].params[0] as number, text: (reply.steps[0].exact?.params as readonly string[])[0] };
}

describe('NOTE-4 · NOTE-5 · a tie no ball can show to be one, decided in rationals', () => {
  it('NOTE-5 · ADAGRAD-3 · ADAGRAD-4 · float16: θ + lr·|g|/(|g| + ε) is exactly halfway between two float16 values, through the non-dyadic |g|/(|g| + ε) = 503/1049', () => {
    // lr = 2098/2²¹ = 2·1049/2²¹, |g| = 1509/2¹⁴ = 3·503/2¹⁴, ε = 819/2¹³, so |g| + ε = 3147/2¹⁴ = 3·1049/2¹⁴ and
    // lr·|g|/(|g| + ε) = 2·503/2²¹; θ = 7/2¹² = 3584/2²¹: θ' = 4590/2²¹ = 2295/2²⁰ = 1147.5·2⁻¹⁹, a float16 tie
    // (spacing 2⁻¹⁹ in [2⁻⁹, 2⁻⁸)), rounded to the even 1148·2⁻¹⁹
    const { value, text } = adagradStep('float16', 2098 / 2 ** 21, 819 / 2 ** 13, 7 / 2 ** 12, -1509 / 2 ** 14);
    expect(value).toBe(1148 * 2 ** -19);
    expect(text).toBe('0.00218868255615234375');
  });

  it('NOTE-4 · PREC-1 · RMSPROP-2 · RMSPROP-3 · a float64 check whose reference value is exactly 0, reached through g/ε with lr = ε (centered, α = 0: √(v − ḡ²) = 0), is decided: the honest reply passes', () => {
    // θ − lr·g/(√0 + ε) = 1 − ε·(1/ε) = 0 exactly, through the non-dyadic 1/ε: no ball shows it is 0
    const eps = Math.fround(0.001);
    const c: Case = {
      optimizer: 'rmsprop',
      dtype: 'float64',
      hyper: { lr: eps, alpha: 0, eps, weight_decay: 0, momentum: 0, centered: true },
      params: [1, 1],
      state: null,
      steps: [{ grad: [1, 1] }, { grad: [1, 1] }],
    };
    const reply = referenceRun(toRunRequest(c, 'zero'));
    expect(reply.op, JSON.stringify(reply)).toBe('result');
    if (reply.op !== 'result') return;
    expect(reply.steps[0].params[0], 'θ₁ = 0').toBe(0);
    expect(checkCase(findOptimizer('rmsprop') as OptimizerDef, c, reply.steps).ok).toBe(true);
  });

  it('NOTE-4 · ADAGRAD-3 · ADAGRAD-4 · a 50-digit decimal tie through a non-dyadic quotient is printed in full, rounded half-even (not cut to fewer digits)', () => {
    // θ' = θ − lr·g/(g + ε) with lr = 1049·2⁻⁵⁰, g = 1509/2¹⁰, ε = 1638/2¹⁰: g/(g + ε) = 503/1049, so
    // θ' = (1 + 504·2⁻⁵⁰) − 503·2⁻⁵⁰ = 1 + 2⁻⁵⁰ = 1.00000000000000088817841970012523233890533447265625, 51
    // digits ending in 5: at 50 digits a tie, the even …2 kept (Python's decimal gives the same)
    const { value, text } = adagradStep('float64', 1049 * 2 ** -50, 1638 / 1024, 1 + 504 * 2 ** -50, 1509 / 1024);
    expect(value).toBe(1 + 2 ** -50);
    expect(text).toBe('1.0000000000000008881784197001252323389053344726562');
  });
});
