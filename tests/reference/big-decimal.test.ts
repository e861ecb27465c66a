/**
 * reference/big-decimal.ts against decimal.js (NOTE-6): the reference may evaluate with an engine
 * other than decimal.js only if every operation gives decimal.js's result digit for digit. Every
 * property here computes one operation both ways, on the same exact operands, at the current
 * `Dec.precision`, and asks for the same value and the same sign (of zero too).
 *
 * Operands are never rounded to the precision first: decimal.js keeps every digit of its inputs
 * (an exact float64 subnormal has ~750 significant digits) and rounds only the result. Operands are
 * drawn to find the hard cases: exact doubles and float32 values across the whole range, decimals of
 * 1 to 120 digits with exponents from −400 to 400, results that land exactly on (or a hair beside) a
 * rounding tie at the precision, huge exponent gaps, cancellation, signed zeros, perfect squares,
 * exact and repeating quotients, and βᵗ for t up to 10000. Operands travel as strings, so a
 * counterexample prints them exactly. A subset runs again at 56 (a whole number of decimal.js's
 * 7-digit words) and 80 digits: the engine reads the precision at each operation.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigDecimal } from '../../reference/big-decimal.ts';
import { Dec, setPrecision } from '../../reference/decimal.ts';
import { exact, exactString, roundToDtype } from '../../reference/dtype.ts';

/** One fixed seed: runs are deterministic (fast-check prints it with any counterexample). */
const SEED = 0x6e07e6;
const RUNS = 10000;
/** The precision the file starts at (50 unless OPTCONF_PRECISION says otherwise), restored after each change. */
const P0 = Dec.precision;

// ───────────────────────────── comparing the two engines ─────────────────────────────

/** A decimal's value as text, −0 included (decimal.js's toString writes −0 as "0"). */
function show(d: Dec): string {
  return d.isZero() ? (d.isNeg() ? '-0' : '0') : d.toString();
}

const B = (s: string): BigDecimal => BigDecimal.fromDecimal(new Dec(s));

/**
 * NOTE-6: BigDecimal's result equals decimal.js's: the same value (eq) and the same sign (which
 * tells −0 from +0); its own isZero/isNegative agree too.
 */
function same(got: BigDecimal, want: Dec, what: string): void {
  const g = got.toDecimal();
  if (!g.eq(want) || g.isNeg() !== want.isNeg() || got.isNegative() !== want.isNeg() || got.isZero() !== want.isZero()) {
    throw new Error(`NOTE-6: ${what} at precision ${Dec.precision}: decimal.js gives ${show(want)}, BigDecimal gives ${show(g)}`);
  }
}

type Binary = 'plus' | 'minus' | 'times' | 'div';

/** x op y both ways, on the exact operands x and y (decimal strings). */
function checkBinary(op: Binary, x: string, y: string): void {
  const dx = new Dec(x);
  const dy = new Dec(y);
  same(B(x)[op](B(y)), dx[op](dy), `(${x}).${op}(${y})`);
}

function checkSqrt(x: string): void {
  same(B(x).sqrt(), new Dec(x).sqrt(), `(${x}).sqrt()`);
}

function checkPow(x: string, n: number): void {
  same(B(x).pow(n), new Dec(x).pow(n), `(${x}).pow(${n})`);
}

function run<T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS): void {
  fc.assert(
    fc.property(arb, (v) => {
      check(v);
    }),
    { seed: SEED, numRuns },
  );
}

// ───────────────────────────── operands ─────────────────────────────

const pow10 = (k: number): bigint => 10n ** BigInt(k);
const digitsOf = (c: bigint): number => (c < 0n ? -c : c).toString().length;

/** ±c·10^q as a decimal string (c an integer coefficient, q the exponent of its last digit). */
function dec(c: bigint, q: number, negative = false): string {
  return `${negative ? '-' : ''}${c}e${q}`;
}

/** ±c with its leading digit at 10^E (scientific exponent E). */
function sci(c: bigint, E: number, negative = false): string {
  return dec(c, E - digitsOf(c) + 1, negative);
}

/** n random decimal digits (leading zeros allowed), as text. */
function digitText(n: number): fc.Arbitrary<string> {
  return n === 0 ? fc.constant('') : fc.bigInt({ min: 0n, max: pow10(n) - 1n }).map((v) => v.toString().padStart(n, '0'));
}

/**
 * A coefficient of exactly L digits: random (fast-check leans to 10^(L−1) and 10^L − 1), or random
 * digits ending in a run of 9s, 0s, 5s, 4s or 1s (carries, exact ties, near ties).
 */
function coefficientOf(L: number): fc.Arbitrary<bigint> {
  const random = fc.bigInt({ min: pow10(L - 1), max: pow10(L) - 1n });
  const patterned = fc
    .tuple(random, fc.integer({ min: 1, max: L }), fc.constantFrom('9', '0', '5', '4', '1'))
    .map(([c, keep, tail]) => BigInt(c.toString().slice(0, keep) + tail.repeat(L - keep)));
  return fc.oneof({ weight: 3, arbitrary: random }, { weight: 1, arbitrary: patterned });
}

/** Lengths 1 to 120, often right at a precision boundary. */
function lengths(p: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 120 }) },
    { weight: 2, arbitrary: fc.constantFrom(1, 2, 7, 8, 16, 17, 49, 50, 51, 52, 53, p - 1, p, p + 1, p + 2) },
  );
}

function coefficient(p: number): fc.Arbitrary<bigint> {
  return lengths(p).chain(coefficientOf);
}

const exponent = fc.integer({ min: -400, max: 400 });

/** A decimal of 1 to 120 significant digits, exponent −400 to 400, either sign. */
function decimal(p: number): fc.Arbitrary<string> {
  return fc.tuple(coefficient(p), exponent, fc.boolean()).map(([c, E, neg]) => sci(c, E, neg));
}

const SPECIAL_DOUBLES = [
  0,
  -0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2 * Number.MIN_VALUE,
  3 * Number.MIN_VALUE,
  2 ** -1022,
  2 ** -1022 - Number.MIN_VALUE,
  -(2 ** -1022),
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1,
  -1,
  1 - 2 ** -53,
  1 + 2 ** -52,
  1 - 2 ** -52,
  2,
  0.5,
  0.1,
  0.2,
  0.3,
  0.9,
  0.99,
  0.999,
  0.9999,
  1e-8,
  1e-300,
  1e300,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 1023,
  2 ** -1074,
  Math.fround(0.9),
  Math.fround(0.999),
  Math.fround(0.1),
  2 ** -126,
  2 ** -149,
  3.4028234663852886e38,
];

/** Every double (−0, subnormals, the largest), with extra weight near 1 and on the subnormals. */
const double: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_DOUBLES) },
  // near 1: 1 + k·2⁻⁵², 1 − k·2⁻⁵³
  { weight: 1, arbitrary: fc.integer({ min: -4096, max: 4096 }).map((k) => (k >= 0 ? 1 + k * 2 ** -52 : 1 + k * 2 ** -53)) },
  // subnormals k·2⁻¹⁰⁷⁴
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 52 - 1 }).map((k) => (k % 2 ? -k : k) * Number.MIN_VALUE) },
  // huge and tiny magnitudes
  { weight: 1, arbitrary: fc.double({ min: 1e280, max: Number.MAX_VALUE, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: 2 ** -1022, max: 1e-280, noNaN: true }) },
);

/** float32 values, widened (exact as doubles). */
const float32: fc.Arbitrary<number> = fc.float({ noNaN: true, noDefaultInfinity: true });

/** Any operand: an exact double or float32 value, a random decimal, or a constant (signed zeros among them). */
function operand(p: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: double.map(exactString) },
    { weight: 1, arbitrary: float32.map(exactString) },
    { weight: 4, arbitrary: decimal(p) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-0', '1', '-1', '0.5', '1e-300', '1e300', '-1e300') },
  );
}

/** A p+1-digit coefficient ending in 5 (a tie at p digits), its p-th digit even or odd. */
function tieCoefficient(p: number): fc.Arbitrary<bigint> {
  return fc
    .tuple(coefficientOf(p), fc.boolean())
    .map(([T, odd]) => ((T - (T % 2n) + (odd ? 1n : 0n)) % pow10(p)) * 10n + 5n)
    .map((c) => (c < pow10(p) ? c + pow10(p) : c));
}

/** Exactly a tie at p digits: a tie coefficient, possibly with trailing zeros, any exponent and sign. */
function tie(p: number): fc.Arbitrary<string> {
  return fc.tuple(tieCoefficient(p), fc.integer({ min: 0, max: 30 }), exponent, fc.boolean()).map(([c, z, E, neg]) => sci(c * pow10(z), E, neg));
}

/** A hair beside a tie: the tie ± 10^(−k) of its last unit, k from 1 to 1000. */
function nearTie(p: number): fc.Arbitrary<string> {
  return fc
    .tuple(tieCoefficient(p), fc.integer({ min: 1, max: 1000 }), fc.boolean(), exponent, fc.boolean())
    .map(([c, k, up, E, neg]) => sci(c * pow10(k) + (up ? 1n : -1n), E, neg));
}

// ───────────────────────────── pairs for plus and minus ─────────────────────────────

/** Both leading digits within p+10 of each other. */
function closePair(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(coefficient(p), coefficient(p), exponent, fc.integer({ min: -(p + 10), max: p + 10 }), fc.boolean(), fc.boolean())
    .map(([a, b, E, delta, na, nb]) => [sci(a, E, na), sci(b, E + delta, nb)]);
}

/** x and y equal in their first p−3 to p+1 digits (cancellation in x − y, and x + (−y)). */
function cancellingPair(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(fc.integer({ min: p - 2, max: p + 30 }), fc.integer({ min: 0, max: 40 }), exponent, fc.boolean(), fc.boolean())
    .chain(([L, tailLength, E, neg, flip]) =>
      fc
        .tuple(coefficientOf(L), fc.integer({ min: Math.max(1, p - 3), max: Math.min(L, p + 1) }), digitText(tailLength))
        .map(([c, shared, tail]): [string, string] => {
          const s = c.toString();
          const t = s.slice(0, shared) + tail;
          const x = sci(c, E, neg);
          // y's leading digit sits where x's does: both start with the same digit
          const y = sci(BigInt(t), E, neg !== flip);
          return [x, y];
        }),
    );
}

/**
 * x of at most p digits and y = ±(half an ulp of x at p digits), or that ∓ 10^(−k) of it (just
 * below / just above half an ulp), k up to 400: ties, near ties and huge gaps.
 */
function halfUlpPair(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(
      fc.oneof(fc.constant(p), fc.integer({ min: 1, max: p })).chain(coefficientOf),
      exponent,
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom('half', 'below', 'above'),
      fc.integer({ min: 1, max: 400 }),
    )
    .map(([c, E, nx, ny, where, k]): [string, string] => {
      const x = sci(c, E, nx);
      // half an ulp of x at p digits: 5·10^(E−p)
      const y = where === 'half' ? dec(5n, E - p, ny) : dec(5n * pow10(k) + (where === 'below' ? -1n : 1n), E - p - k, ny);
      return [x, y];
    });
}

/** Leading digits 0 to 1200 places apart (y far below x's last digit kept). */
function gapPair(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(coefficient(p), coefficient(p), exponent, fc.integer({ min: p - 5, max: 1200 }), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([a, b, E, gap, na, nb, swap]): [string, string] => {
      const x = sci(a, E, na);
      const y = sci(b, E - gap, nb);
      return swap ? [y, x] : [x, y];
    });
}

/** A tie (or a hair beside one), with zero or with something far below its last digit. */
function tiePlusTiny(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(fc.oneof(tie(p), nearTie(p)), fc.integer({ min: 1, max: 1200 }), coefficientOf(3), fc.boolean(), fc.constantFrom('tiny', '0', '-0'), fc.boolean())
    .map(([x, k, c, ny, what, swap]): [string, string] => {
      const E = new Dec(x).e;
      const y = what === 'tiny' ? sci(c, E - p - k, ny) : what;
      return swap ? [y, x] : [x, y];
    });
}

/**
 * x whose digits past the p-th are near half (…5, …49, …50, …4999, …5001, …) and y whose leading
 * digit sits within a few places of x's last digit: a y of a unit or less of x decides the rounding.
 */
function edgePair(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(
      fc.integer({ min: p - 2, max: p }).chain(coefficientOf),
      fc.constantFrom('5', '49', '50', '51', '495', '505', '499', '500', '501', '4999', '5000', '5001', '0', '9', '99', '999'),
      fc.integer({ min: 1, max: 4 }).chain(coefficientOf),
      fc.integer({ min: -4, max: 2 }),
      exponent,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([head, tail, c, offset, E, nx, ny, swap]): [string, string] => {
      const coefficient = BigInt(`${head}${tail}`);
      const last = E - digitsOf(coefficient) + 1;
      const x = sci(coefficient, E, nx);
      const y = sci(c, last + offset, ny);
      return swap ? [y, x] : [x, y];
    });
}

const SIGNED_ZEROS = ['0', '-0'];

function plusMinusPair(p: number): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(operand(p), operand(p)) },
    { weight: 2, arbitrary: closePair(p) },
    { weight: 2, arbitrary: cancellingPair(p) },
    { weight: 2, arbitrary: halfUlpPair(p) },
    { weight: 1, arbitrary: gapPair(p) },
    { weight: 2, arbitrary: tiePlusTiny(p) },
    { weight: 2, arbitrary: edgePair(p) },
    { weight: 1, arbitrary: fc.tuple(operand(p), fc.constantFrom(...SIGNED_ZEROS)) },
    { weight: 1, arbitrary: operand(p).map((x): [string, string] => [x, x]) },
  );
}

// ───────────────────────────── pairs for times ─────────────────────────────

/**
 * a·b exactly a tie at p digits: a = 5w, b = q with 5wq of p+1 digits and wq odd (so 5wq ends in
 * 5); the digit before the 5 is even or odd at random.
 */
function tieProduct(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(
      fc.integer({ min: 1, max: 30 }).chain(coefficientOf),
      fc.bigInt({ min: 0n, max: 1n << 200n }),
      exponent,
      exponent,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([w0, r, e1, e2, na, nb, swap]): [string, string] => {
      const w = w0 | 1n;
      const lo = (pow10(p) + 5n * w - 1n) / (5n * w);
      const hi = (pow10(p + 1) - 1n) / (5n * w);
      let q = lo + (r % (hi - lo + 1n));
      if (q % 2n === 0n) q = q + 1n <= hi ? q + 1n : q - 1n;
      const a = sci(5n * w, e1 % 200, na);
      const b = sci(q, e2 % 200, nb);
      return swap ? [b, a] : [a, b];
    });
}

/** Two ⌈(p+1)/2⌉-digit numbers ending in 5 (26 digits at p = 50): products of p+1 or p+2 digits ending in 25 or 75. */
function fivesPair(p: number): fc.Arbitrary<[string, string]> {
  const L = Math.ceil((p + 1) / 2);
  const five = fc.tuple(coefficientOf(L - 1), exponent, fc.boolean()).map(([c, E, neg]) => sci(c * 10n + 5n, E % 200, neg));
  return fc.tuple(five, five);
}

function timesPair(p: number): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(operand(p), operand(p)) },
    { weight: 2, arbitrary: tieProduct(p) },
    { weight: 2, arbitrary: fivesPair(p) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(tie(p), nearTie(p)), fc.constantFrom('1', '-1', '10', '0.1', '1e-300', '2', '0.5')) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SIGNED_ZEROS), operand(p)) },
  );
}

// ───────────────────────────── pairs for div ─────────────────────────────

/** A non-zero operand. */
function nonZero(p: number): fc.Arbitrary<string> {
  return operand(p).map((s) => (new Dec(s).isZero() ? (s.startsWith('-') ? '-3' : '7') : s));
}

/** a = q·b exactly, q of at most p digits (exact quotient) or a tie at p digits, or a·b ± 1 in the last unit (a hair beside it). */
function exactQuotient(p: number): fc.Arbitrary<[string, string]> {
  const quotient = fc.oneof(fc.integer({ min: 1, max: p }).chain(coefficientOf), tieCoefficient(p));
  return fc
    .tuple(
      quotient,
      coefficient(p),
      fc.integer({ min: -200, max: 200 }),
      fc.integer({ min: -200, max: 200 }),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom(0n, 0n, 1n, -1n),
      fc.integer({ min: 0, max: 60 }),
    )
    .map(([q, b, eq, eb, nq, nb, nudge, scale]): [string, string] => {
      const a = q * b * pow10(scale) + nudge;
      return [dec(a, eq + eb - scale, nq !== nb), dec(b, eb, nb)];
    });
}

/** Repeating quotients: x/3, x/7, … scaled by 10^k. */
function repeatingQuotient(p: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(
      operand(p),
      fc.constantFrom(3n, 7n, 9n, 11n, 13n, 17n, 19n, 81n, 97n, 999999937n, 12345678901234567891n),
      fc.integer({ min: -400, max: 400 }),
      fc.boolean(),
    )
    .map(([x, d, k, neg]) => [x, dec(d, k, neg)]);
}

function divPair(p: number): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(operand(p), nonZero(p)) },
    { weight: 3, arbitrary: exactQuotient(p) },
    { weight: 2, arbitrary: repeatingQuotient(p) },
    // numerators much smaller and much larger than denominators
    {
      weight: 1,
      arbitrary: fc
        .tuple(coefficient(p), coefficient(p), exponent, fc.integer({ min: -800, max: 800 }), fc.boolean(), fc.boolean())
        .map(([a, b, E, shift, na, nb]): [string, string] => [sci(a, E, na), sci(b, E + shift, nb)]),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SIGNED_ZEROS), nonZero(p)) },
  );
}

// ───────────────────────────── sqrt operands ─────────────────────────────

/**
 * r² exactly (an exact root; a tie at p digits when r is one), or r²·10^j ± 1 in the last unit
 * (just above and below a perfect square), with r of 1 to p+10 digits.
 */
function squareish(p: number): fc.Arbitrary<string> {
  const root = fc.oneof(fc.integer({ min: 1, max: p + 10 }).chain(coefficientOf), tieCoefficient(p));
  return fc
    .tuple(root, fc.integer({ min: -200, max: 200 }), fc.constantFrom(0n, 0n, 1n, -1n), fc.integer({ min: 0, max: 120 }))
    .map(([r, q, nudge, j]) => dec(r * r * pow10(j) + (nudge === 0n ? 0n : nudge), 2 * q - j));
}

function sqrtOperand(p: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: operand(p).map((s) => (s.startsWith('-') && s !== '-0' ? s.slice(1) : s)) },
    { weight: 3, arbitrary: squareish(p) },
    { weight: 1, arbitrary: fc.oneof(tie(p), nearTie(p)).map((s) => s.replace(/^-/, '')) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-0', '1', '2', '0.25', '1e-400', '1e401') },
  );
}

// ───────────────────────────── pow operands ─────────────────────────────

const BETA_LIKE = [
  '0.9',
  '0.99',
  '0.999',
  '0.9999',
  '0.5',
  '0.1',
  '1.5',
  '2',
  '-0.9',
  '-1',
  '1',
  '0',
  '-0',
  '10',
  exactString(0.9),
  exactString(0.99),
  exactString(0.999),
  exactString(0.9999),
  exactString(1 - 2 ** -53),
  exactString(Math.fround(0.9)),
  exactString(Math.fround(0.999)),
  exactString(Math.fround(0.99)),
  exactString(1 + 2 ** -52),
  '0.99999999999999999999999999999999999999999999999999',
  `0.${'9'.repeat(60)}`,
];

function powBase(p: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...BETA_LIKE) },
    { weight: 2, arbitrary: fc.double({ min: 0.5, max: 1, noNaN: true }).map(exactString) },
    { weight: 1, arbitrary: fc.float({ min: Math.fround(0.5), max: 1, noNaN: true }).map(exactString) },
    { weight: 1, arbitrary: fc.tuple(coefficient(p), fc.integer({ min: -3, max: 3 }), fc.boolean()).map(([c, E, neg]) => sci(c, E, neg)) },
  );
}

const powExponent: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 5, 10, 100, 1000, 9999, 10000),
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 0, max: 10000 }),
);

// ───────────────────────────── the properties ─────────────────────────────

function arithmeticProperties(p: number, runs: number): void {
  it(`NOTE-6: plus agrees with decimal.js at ${p} digits (doubles, decimals, ties, gaps, cancellation, zeros)`, () => {
    run(plusMinusPair(p), ([x, y]) => checkBinary('plus', x, y), runs);
  });

  it(`NOTE-6: minus agrees with decimal.js at ${p} digits (doubles, decimals, ties, gaps, cancellation, zeros)`, () => {
    run(plusMinusPair(p), ([x, y]) => checkBinary('minus', x, y), runs);
  });

  it(`NOTE-6: times agrees with decimal.js at ${p} digits (doubles, decimals, products landing on ties)`, () => {
    run(timesPair(p), ([x, y]) => checkBinary('times', x, y), runs);
  });

  it(`NOTE-6: div agrees with decimal.js at ${p} digits (exact, tie and repeating quotients, far magnitudes)`, () => {
    run(divPair(p), ([x, y]) => checkBinary('div', x, y), runs);
  });

  it(`NOTE-6: sqrt agrees with decimal.js at ${p} digits (perfect squares, ±1 beside them, ties, long operands)`, () => {
    run(sqrtOperand(p), checkSqrt, runs);
  });
}

describe(`NOTE-6: BigDecimal gives decimal.js's results at the starting precision (${P0}, 50 by default)`, () => {
  it("NOTE-6: the precision is decimal.js's, read at each call", () => {
    expect(BigDecimal.precision).toBe(P0);
    try {
      setPrecision(P0 + 10);
      expect(BigDecimal.precision).toBe(P0 + 10);
      // a value made before the change, divided after it: P0 + 10 threes
      const one = B('1');
      same(one.div(B('3')), new Dec(1).div(3), '1/3');
      expect(one.div(B('3')).toDecimal().toString()).toBe(`0.${'3'.repeat(P0 + 10)}`);
    } finally {
      setPrecision(P0);
    }
    expect(BigDecimal.precision).toBe(P0);
    expect(B('1').div(B('3')).toDecimal().toString()).toBe(`0.${'3'.repeat(P0)}`);
  });

  it("NOTE-6: exact(x) is dtype.ts's exact(x) for every double, the sign of −0 kept, and toNumber() gives x back", () => {
    run(
      fc.oneof(double, float32),
      (x) => {
        const b = BigDecimal.exact(x);
        same(b, exact(x), `exact(${Object.is(x, -0) ? '-0' : x})`);
        if (!Object.is(b.toNumber(), x)) throw new Error(`NOTE-6: exact(${x}).toNumber() gives ${b.toNumber()}`);
      },
      5000,
    );
    for (const x of [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, 2 ** -1022 - Number.MIN_VALUE, 0.1]) {
      same(BigDecimal.exact(x), exact(x), `exact(${x})`);
    }
    expect(BigDecimal.exact(-0).isNegative()).toBe(true);
    expect(BigDecimal.exact(0).isNegative()).toBe(false);
    expect(BigDecimal.exact(Number.MIN_VALUE).toDecimal().toFixed()).toBe(exactString(Number.MIN_VALUE));
  });

  it('NOTE-6: fromDecimal and toDecimal keep every digit (no rounding), the sign of zero too', () => {
    run(fc.oneof(operand(P0), tie(P0), nearTie(P0)), (s) => {
      const d = new Dec(s);
      const back = B(s).toDecimal();
      if (!back.eq(d) || back.isNeg() !== d.isNeg()) throw new Error(`NOTE-6: fromDecimal(${s}).toDecimal() gives ${show(back)}`);
    });
  });

  it("NOTE-6: toNumber() is decimal.js's toNumber() and roundToDtype(·, float64), at and beside midpoints between doubles", () => {
    const view = new DataView(new ArrayBuffer(8));
    /** the exact midpoint between |x| and the next double up, ± 10^(−j) of its last digit, with x's sign */
    const midpoint = fc.tuple(double, fc.constantFrom(0n, 0n, 1n, -1n), fc.integer({ min: 1, max: 40 })).map(([x, nudge, j]) => {
      view.setFloat64(0, Math.abs(x));
      const biased = (view.getUint32(0) >>> 20) & 0x7ff;
      const m = (BigInt(view.getUint32(0) & 0xfffff) << 32n) | BigInt(view.getUint32(4));
      const mant = biased === 0 ? m : m | (1n << 52n);
      const e = (biased === 0 ? -1074 : biased - 1075) - 1;
      // (2m+1)·2^e = N·10^−s
      const n = 2n * mant + 1n;
      const [N, s] = e >= 0 ? [n << BigInt(e), 0] : [n * 5n ** BigInt(-e), -e];
      const v = nudge === 0n ? N : N * pow10(j) + nudge;
      return dec(v, -(s + (nudge === 0n ? 0 : j)), x < 0 || Object.is(x, -0));
    });
    // beyond the range, and half the smallest subnormal (a tie between −0/+0 and MIN_VALUE)
    const beyond = fc.constantFrom(
      '1e309',
      '-1e309',
      '1e-400',
      '-1e-400',
      '-0',
      '0',
      dec(5n ** 1075n, -1075),
      dec(5n ** 1075n, -1075, true),
      dec(3n * 5n ** 1075n, -1075),
    );
    run(
      fc.oneof(operand(P0), tie(P0), midpoint, beyond),
      (s) => {
        const d = new Dec(s);
        const got = B(s).toNumber();
        const want = d.toNumber();
        if (!Object.is(got, want)) throw new Error(`NOTE-6: (${s}).toNumber(): decimal.js gives ${want}, BigDecimal gives ${got}`);
        if (!Object.is(got, roundToDtype(d, 'float64')))
          throw new Error(`NOTE-6: (${s}).toNumber() ${got} is not roundToDtype(·, float64) ${roundToDtype(d, 'float64')}`);
      },
      4000,
    );
  });

  arithmeticProperties(P0, RUNS);

  it("NOTE-6: plus and minus with an integer number argument are decimal.js's x.plus(n), x.minus(n)", () => {
    const n = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(0, -0, 1, -1, 2, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER));
    run(
      fc.tuple(fc.oneof(operand(P0), tie(P0), nearTie(P0)), n),
      ([x, k]) => {
        same(B(x).plus(k), new Dec(x).plus(k), `(${x}).plus(${Object.is(k, -0) ? '-0' : k})`);
        same(B(x).minus(k), new Dec(x).minus(k), `(${x}).minus(${Object.is(k, -0) ? '-0' : k})`);
      },
      2000,
    );
    for (const x of ['0', '-0', '1', '-1', exactString(-Number.MIN_VALUE)]) {
      for (const k of [0, -0, 1, -1]) {
        same(B(x).plus(k), new Dec(x).plus(k), `(${x}).plus(${Object.is(k, -0) ? '-0' : k})`);
        same(B(x).minus(k), new Dec(x).minus(k), `(${x}).minus(${Object.is(k, -0) ? '-0' : k})`);
      }
    }
    // 1 − β, the one use the reference makes of it
    for (const beta of [0.9, 0.999, Math.fround(0.9)]) same(BigDecimal.exact(beta).neg().plus(1), exact(beta).neg().plus(1), `1 − ${beta}`);
    expect(() => B('1').plus(0.5)).toThrow();
    expect(() => B('1').minus(0.1)).toThrow();
    expect(() => B('1').plus(Number.NaN)).toThrow();
    expect(() => B('1').plus(Infinity)).toThrow();
  });

  it("NOTE-6: neg and abs are exact (not rounded), as decimal.js's; abs(−0) = +0, neg(0) = −0", () => {
    run(fc.oneof(operand(P0), tie(P0), nearTie(P0)), (x) => {
      same(B(x).neg(), new Dec(x).neg(), `(${x}).neg()`);
      same(B(x).abs(), new Dec(x).abs(), `(${x}).abs()`);
    });
    same(B('-0').abs(), new Dec('-0').abs(), 'abs(−0)');
    same(B('0').neg(), new Dec('0').neg(), 'neg(0)');
    same(B('-0').neg(), new Dec('-0').neg(), 'neg(−0)');
  });

  it("NOTE-6: signed zeros and exact cancellations give decimal.js's zero (value and sign)", () => {
    const zeros = ['0', '-0'];
    for (const x of zeros) {
      for (const y of zeros) {
        checkBinary('plus', x, y);
        checkBinary('minus', x, y);
        checkBinary('times', x, y);
      }
    }
    for (const x of ['0', '-0']) {
      for (const y of ['3', '-3', '1e-400', '-0.1', exactString(Number.MIN_VALUE), exactString(-Number.MAX_VALUE)]) {
        checkBinary('times', x, y);
        checkBinary('times', y, x);
        checkBinary('div', x, y);
        checkBinary('plus', x, y);
        checkBinary('plus', y, x);
        checkBinary('minus', x, y);
        checkBinary('minus', y, x);
      }
      checkSqrt(x);
      for (const n of [0, 1, 2, 3, 10000]) checkPow(x, n);
    }
    for (const x of ['1', '-1', '0.1', '1e300', '-1e-300', exactString(0.1), exactString(-Number.MIN_VALUE), `1${'0'.repeat(60)}1`]) {
      checkBinary('minus', x, x);
      checkBinary('plus', x, new Dec(x).neg().toFixed());
      checkBinary('plus', new Dec(x).neg().toFixed(), x);
    }
    checkBinary('plus', '1e300', '1e-300');
    checkBinary('minus', '1e300', '1e-300');
    checkBinary('minus', '1e-300', '1e300');
    checkBinary('plus', '-1e300', '1e-300');
  });

  it("NOTE-6: sqrt of a negative number, division by zero and non-finite doubles give decimal.js's NaN / ±Infinity", () => {
    const nonFinite = (f: () => BigDecimal, want: Dec, what: string): void => {
      const g = f().toDecimal();
      const agrees = want.isNaN() ? g.isNaN() : !g.isFinite() && g.isNeg() === want.isNeg();
      if (!agrees) throw new Error(`NOTE-6: ${what}: decimal.js gives ${want.toString()}, BigDecimal gives ${g.toString()}`);
    };
    for (const x of ['-1', '-1e-400', exactString(-Number.MIN_VALUE), '-2']) nonFinite(() => B(x).sqrt(), new Dec(x).sqrt(), `sqrt(${x})`);
    for (const x of ['1', '-1', '0', '-0', '1e-400']) {
      for (const z of ['0', '-0']) nonFinite(() => B(x).div(B(z)), new Dec(x).div(new Dec(z)), `${x} / ${z}`);
    }
    for (const x of [Number.NaN, Infinity, -Infinity]) nonFinite(() => BigDecimal.exact(x), new Dec(x), `exact(${x})`);
  });

  it('NOTE-6: pow(n), n from 0 to 10000, agrees with decimal.js on β-like bases (0.9, 0.999, their doubles and float32s)', () => {
    run(fc.tuple(powBase(P0), powExponent), ([x, n]) => checkPow(x, n), 2000);
    for (const x of BETA_LIKE) for (const n of [0, 1, 2, 3, 10000]) checkPow(x, n);
  });

  it('NOTE-6: pow(n) agrees with decimal.js on long and tie operands (decimal.js truncates its intermediate powers)', () => {
    const base = fc.oneof(operand(P0), tie(P0), nearTie(P0));
    run(fc.tuple(base, fc.integer({ min: 0, max: 12 })), ([x, n]) => checkPow(x, n), 3000);
  });

  it("NOTE-6: pow(n) is decimal.js's even where decimal.js's power is not the correctly rounded one", () => {
    // decimal.js's intPow truncates the base and its intermediate powers to ⌈p/7 + 4⌉ = 12 words
    // (78 to 84 digits at p = 50) and marks a truncation only by bumping a last word that became 0.
    // x = 1 + 5·10⁻⁵⁰ − 10⁻⁹⁹ (100 digits): x³ = 1 + 1.5·10⁻⁴⁹ + 4.5·10⁻⁹⁹ − …, just above the tie
    // between …0001 and …0002, so it rounds correctly to …0002 (as x·x·x at 50 digits does), but
    // decimal.js drops x's tail of 9s first and gives …0001 (and …0002 for x⁵, correctly …0003).
    // The next x has 79 digits: x³ exceeds the tie 4433.2368…6604750 by 8.2·10⁻⁷⁷, correctly …6048,
    // decimal.js …6047 (likewise …7602 for …7603 and …925 for …92501 below). The reference's value
    // is decimal.js's (DESIGN.md), so an engine that rounds the exact power disagrees with it.
    const near1 = `1.${'0'.repeat(49)}4${'9'.repeat(49)}`;
    const cases: [string, number, string][] = [
      [near1, 3, `1.${'0'.repeat(48)}1`],
      [near1, 5, `1.${'0'.repeat(48)}2`],
      ['16.42758198843289364462199831453371408580469354558899707615314457459009889484917', 3, '4433.2368055016014898602907878021549074010612466047'],
      ['11.505840712429228410421727089272944041611773982380246630624970771977319339754', 4, '17525.621552626710516007398094233677403026165037602'],
      ['1.02153087016958292314537424439659472015332958076388163297635153050823834307567257688644', 100, '8.41684895572149737203143269777477409232164773925'],
    ];
    try {
      setPrecision(50);
      for (const [x, n, decimalJs] of cases) {
        expect(new Dec(x).pow(n).toString(), `decimal.js's (${x}).pow(${n})`).toBe(decimalJs);
        checkPow(x, n);
      }
    } finally {
      setPrecision(P0);
    }
  });

  it('NOTE-6: gte, gt, isZero and isNegative agree with decimal.js (−0 equals +0; isNegative(−0) is true)', () => {
    const pair = fc.oneof(
      fc.tuple(operand(P0), operand(P0)),
      operand(P0).map((x): [string, string] => [x, x]),
      operand(P0).map((x): [string, string] => [x, new Dec(x).neg().toString()]),
      cancellingPair(P0),
      halfUlpPair(P0),
      nearTie(P0).map((x): [string, string] => [x, x.replace(/^-/, '')]),
      fc.tuple(fc.constantFrom(...SIGNED_ZEROS), fc.constantFrom(...SIGNED_ZEROS, '1e-400', '-1e-400')),
    );
    run(
      pair,
      ([x, y]) => {
        // the operands, and results of arithmetic (whose coefficients may end in zeros: 0.5 + 0.5 = 1.0)
        const b = [B(x), B(y)];
        const d = [new Dec(x), new Dec(y)];
        b.push(b[0].plus(b[1]), b[0].minus(b[1]), b[0].times(B('10')), b[0].plus(0), b[1].neg());
        d.push(d[0].plus(d[1]), d[0].minus(d[1]), d[0].times(10), d[0].plus(0), d[1].neg());
        for (let i = 0; i < b.length; i += 1) {
          if (b[i].isZero() !== d[i].isZero() || b[i].isNegative() !== d[i].isNeg()) {
            throw new Error(`NOTE-6: isZero/isNegative of ${show(d[i])} disagree with decimal.js`);
          }
          for (let j = 0; j < b.length; j += 1) {
            if (b[i].gte(b[j]) !== d[i].gte(d[j]) || b[i].gt(b[j]) !== d[i].gt(d[j])) {
              throw new Error(`NOTE-6: gte/gt of ${show(d[i])} and ${show(d[j])} disagree with decimal.js (operands ${x}, ${y})`);
            }
          }
        }
      },
      2000,
    );
    // an integer double holds a coefficient with trailing zeros (1e22 = 10²² exactly)
    for (const [x, y] of [
      [1e22, '1e22'],
      [100, '100'],
      [2 ** 60, exactString(2 ** 60)],
      [0, '-0'],
      [-0, '0'],
    ] as const) {
      const bx = BigDecimal.exact(x);
      const by = B(y);
      expect(bx.gte(by) && by.gte(bx) && !bx.gt(by) && !by.gt(bx), `NOTE-6: ${x} = ${y}`).toBe(true);
      expect(bx.gt(B('1e-400').neg()) && !bx.gt(B('1e30'))).toBe(true);
    }
    expect(B('-0').gte(B('0'))).toBe(true);
    expect(B('0').gte(B('-0'))).toBe(true);
    expect(B('-0').gt(B('0'))).toBe(false);
    expect(B('-0').isNegative()).toBe(true);
    expect(B('-0').isZero()).toBe(true);
  });
});

for (const p of [56, 80]) {
  describe(`NOTE-6: BigDecimal gives decimal.js's results at ${p} digits`, () => {
    beforeAll(() => setPrecision(p));
    afterAll(() => setPrecision(P0));

    it(`NOTE-6: BigDecimal.precision follows setPrecision(${p})`, () => {
      expect(BigDecimal.precision).toBe(p);
      same(B('1').div(B('7')), new Dec(1).div(7), `1/7 at ${p} digits`);
    });

    arithmeticProperties(p, 3000);

    it(`NOTE-6: pow(n) agrees with decimal.js at ${p} digits`, () => {
      run(fc.tuple(powBase(p), powExponent), ([x, n]) => checkPow(x, n), 500);
    });
  });
}
