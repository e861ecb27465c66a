/**
 * reference/decimal.ts and reference/dtype.ts: the decimal context and the exact conversions
 * between binary floats and decimals (NOTE-4), and rounding to a dtype (NOTE-5).
 *
 * Hard cases are spelt out in hexadecimal float notation, test262-style: `0x1.000001p+0` is
 * 1 + 2⁻²⁴ = 1.0000000596046448, exactly halfway between the float32 neighbours 1 and 1 + 2⁻²³.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PRECISION, Dec, MIN_PRECISION, precision, setPrecision } from '../../reference/decimal.ts';
import {
  DTYPES,
  FORMATS,
  decompose,
  exact,
  exactString,
  isDtype,
  isRepresentable,
  maxFinite,
  minSubnormal,
  roundDoubleToDtype,
  roundToDtype,
  ulp,
  unitRoundoff,
  type Dtype,
} from '../../reference/dtype.ts';
import { FC, d, expectDec } from './helpers.ts';

/** Object.is with a message: distinguishes −0 from +0 and compares NaN to NaN. */
function expectSame(got: number, expected: number, clause: string, what: string): void {
  expect(Object.is(got, expected), `${clause}: ${what} expected ${Object.is(expected, -0) ? '-0' : expected}, got ${Object.is(got, -0) ? '-0' : got}`).toBe(
    true,
  );
}

describe('NOTE-4 · the reference decimal context', () => {
  it('NOTE-4 · 50 significant digits, round-half-even, by default', () => {
    expect(DEFAULT_PRECISION, 'NOTE-4: default precision').toBe(50);
    expect(MIN_PRECISION, 'NOTE-4: minimum precision').toBe(50);
    expect(precision(), 'NOTE-4: precision() expected 50').toBe(50);
    expect(Dec.precision).toBe(50);
    expect(Dec.rounding, 'NOTE-4: rounding mode expected ROUND_HALF_EVEN (6)').toBe(Dec.ROUND_HALF_EVEN);
  });

  it('NOTE-4 · a 51-digit tie rounds to the even 50th digit', () => {
    // 10⁵⁰ + 25 has 51 digits; at 50 digits it lies halfway between 10⁵⁰ + 20 and 10⁵⁰ + 30:
    // half-even keeps …2 (even). 10⁵⁰ + 35 lies halfway between …30 and …40: goes to …4 (even).
    const p50 = 10n ** 50n;
    expectDec(new Dec((p50 + 25n).toString()).plus(0), (p50 + 20n).toString(), 'NOTE-4', '(10⁵⁰+25) at 50 digits');
    expectDec(new Dec((p50 + 35n).toString()).plus(0), (p50 + 40n).toString(), 'NOTE-4', '(10⁵⁰+35) at 50 digits');
    // 1/3 to 50 digits: fifty 3s.
    expectDec(new Dec(1).div(3), `0.${'3'.repeat(50)}`, 'NOTE-4', '1/3');
  });

  it('NOTE-4 · setPrecision changes the context and refuses fewer than 50 digits', () => {
    try {
      setPrecision(60);
      expect(precision()).toBe(60);
      expectDec(new Dec(1).div(3), `0.${'3'.repeat(60)}`, 'NOTE-4', '1/3 at 60 digits');
    } finally {
      setPrecision(50);
    }
    expect(precision()).toBe(50);
    expect(() => setPrecision(49)).toThrow(/≥ 50, got 49/);
    expect(() => setPrecision(50.5)).toThrow(/integer/);
  });

  describe('NOTE-4 · OPTCONF_PRECISION', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });
    const load = async () => (await import('../../reference/decimal.ts')).Dec;

    it('NOTE-4 · OPTCONF_PRECISION=64 sets the precision of a freshly loaded context', async () => {
      vi.stubEnv('OPTCONF_PRECISION', '64');
      vi.resetModules();
      expect((await load()).precision).toBe(64);
    });
    it('NOTE-4 · an empty OPTCONF_PRECISION means the default', async () => {
      vi.stubEnv('OPTCONF_PRECISION', '');
      vi.resetModules();
      expect((await load()).precision).toBe(50);
    });
    it.each(['abc', '40', '2000', '60.5'])('NOTE-4 · OPTCONF_PRECISION=%s is refused', async (raw) => {
      vi.stubEnv('OPTCONF_PRECISION', raw);
      vi.resetModules();
      await expect(load()).rejects.toThrow(/OPTCONF_PRECISION must be an integer from 50 to 1000/);
    });
  });
});

describe('NOTE-4 · exact binary inputs', () => {
  it('NOTE-4 · 0.1 as a double is 0x1.999999999999ap-4, not 0.1', () => {
    // 0.1 = 0x1.999999999999ap-4 = 3602879701896397·2⁻⁵⁵
    //     = 0.1000000000000000055511151231257827021181583404541015625 (55 significant digits)
    const s = '0.1000000000000000055511151231257827021181583404541015625';
    expect(exactString(0.1), 'NOTE-4: exactString(0.1)').toBe(s);
    expect(exact(0.1).toFixed(), 'NOTE-4: exact(0.1)').toBe(s);
    expect(exact(0.1).eq('0.1'), 'NOTE-4: exact(0.1) must not equal the decimal 0.1').toBe(false);
    // decimal.js's own constructor takes the shortest round-trip string — the wrong value here.
    expect(new Dec(0.1).toFixed()).toBe('0.1');
    // 3602879701896397 · 5⁵⁵ / 10⁵⁵, computed here with BigInt, independently of dtype.ts.
    expect(`0.${(3602879701896397n * 5n ** 55n).toString().padStart(55, '0')}`).toBe(s);
  });

  it('NOTE-4 · other non-dyadic hyperparameters keep their binary value', () => {
    // 0.9 = 0x1.ccccccccccccdp-1 = 0.90000000000000002220446049250313080847263336181640625
    expect(exactString(0.9)).toBe('0.90000000000000002220446049250313080847263336181640625');
    // 1e-8 = 0x1.5798ee2308c3ap-27 (a 53-bit significand times 2⁻⁷⁹)
    expect(exactString(1e-8)).toBe(`0.${(0x15798ee2308c3an * 5n ** 79n).toString().padStart(79, '0')}`.replace(/0+$/, ''));
    // 0.999 = 0x1.ff7ced916872bp-1 = 0x1ff7ced916872b · 2⁻⁵³
    expect(exactString(0.999)).toBe(`0.${(0x1ff7ced916872bn * 5n ** 53n).toString().padStart(53, '0')}`.replace(/0+$/, ''));
  });

  it('NOTE-4 · integers, dyadic fractions, signs, zeros and non-finite values', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [1, '1'],
      [-0.5, '-0.5'],
      [0.75, '0.75'],
      [3, '3'],
      [2 ** 70, '1180591620717411303424'],
      [-(2 ** 53 + 2), '-9007199254740994'],
      [2 ** -10, '0.0009765625'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
    ];
    for (const [x, s] of cases) expect(exactString(x), `NOTE-4: exactString(${x})`).toBe(s);
    expect(exact(-0).isNegative() && exact(-0).isZero(), 'NOTE-4: exact(-0) keeps its sign').toBe(true);
    expect(exact(NaN).isNaN()).toBe(true);
    expect(exact(-Infinity).eq(-Infinity)).toBe(true);
  });

  it('NOTE-4 · the extremes of float64: 2⁻¹⁰⁷⁴ and the largest finite double', () => {
    // 2⁻¹⁰⁷⁴ = 5¹⁰⁷⁴/10¹⁰⁷⁴: 751 significant digits, 4.9406564584124654…e-324.
    const tiny = `0.${(5n ** 1074n).toString().padStart(1074, '0')}`;
    expect(exactString(2 ** -1074), 'NOTE-4: exactString(2⁻¹⁰⁷⁴)').toBe(tiny);
    expect(exactString(-(2 ** -1074))).toBe(`-${tiny}`);
    // the smallest normal 2⁻¹⁰²² = 5¹⁰²²/10¹⁰²²
    expect(exactString(2 ** -1022)).toBe(`0.${(5n ** 1022n).toString().padStart(1022, '0')}`);
    // Number.MAX_VALUE = 0x1.fffffffffffffp+1023 = (2⁵³ − 1)·2⁹⁷¹
    expect(exactString(Number.MAX_VALUE)).toBe(((2n ** 53n - 1n) * 2n ** 971n).toString());
  });

  it('NOTE-4 · exact() round-trips every double (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        // Number(string) is correctly rounded, so the exact decimal must read back as x itself.
        expect(Object.is(Number(exactString(x)), x), `NOTE-4: Number(exactString(${x}))`).toBe(true);
        expect(Object.is(roundToDtype(exact(x), 'float64'), x), `NOTE-4: roundToDtype(exact(${x}), float64)`).toBe(true);
      }),
      { ...FC, numRuns: 200 },
    );
  });

  it('NOTE-4 · decompose(x) is ±m·2^e exactly, with m < 2⁵³ odd whenever e < 0 (property)', () => {
    const doubles = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x)),
      // subnormals, and values whose trailing zero bits all sit in the high word
      fc.integer({ min: 1, max: 2 ** 20 }).map((k) => k * 2 ** -1074),
      fc.integer({ min: 1, max: 2 ** 21 - 1 }).map((k) => k * 2 ** 32 * 2 ** -80),
    );
    fc.assert(
      fc.property(doubles, (x) => {
        const { negative, m, e } = decompose(x);
        expect(Number.isInteger(m) && m >= 0 && m < 2 ** 53, `NOTE-4: decompose(${x}).m = ${m}`).toBe(true);
        if (m !== 0 && e < 0) expect(m % 2, `NOTE-4: decompose(${x}) = ${m}·2^${e} keeps a trailing zero bit`).toBe(1);
        // m and 2^e are exact doubles and so is their product, |x| itself (independent of exact(), which uses decompose)
        expect(m * 2 ** e, `NOTE-4: decompose(${x}) = ${m}·2^${e}`).toBe(Math.abs(x));
        expect(negative, `NOTE-4: decompose(${x}).negative`).toBe(x < 0 || Object.is(x, -0));
      }),
      { ...FC, numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// An independent oracle for the 16-bit formats: every finite value, decoded from its bit pattern,
// then round-to-nearest-even by search. Differences below are exact in double (Sterbenz: the
// input lies between neighbours lo and hi with hi ≤ 2·lo).

function float16Value(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  return exp === 0 ? frac * 2 ** -24 : (1024 + frac) * 2 ** (exp - 25);
}
function bfloat16Value(bits: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, bits << 16);
  return dv.getFloat32(0);
}
/** Positive finite values by bit pattern, plus 2^(emax+1) standing for overflow (even pattern). */
const TABLES: Record<'float16' | 'bfloat16', number[]> = {
  float16: [...Array.from({ length: 0x7c00 }, (_, i) => float16Value(i)), 2 ** 16],
  bfloat16: [...Array.from({ length: 0x7f80 }, (_, i) => bfloat16Value(i)), 2 ** 128],
};

function oracleRound(x: number, dtype: 'float16' | 'bfloat16'): number {
  if (Number.isNaN(x)) return NaN;
  const t = TABLES[dtype];
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let r: number;
  if (a >= t[t.length - 1]) r = Infinity;
  else {
    let lo = 0;
    let hi = t.length - 1; // t[lo] ≤ a < t[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (t[mid] <= a) lo = mid;
      else hi = mid;
    }
    const dl = a - t[lo];
    const dh = t[hi] - a;
    const i = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
    r = i === t.length - 1 ? Infinity : t[i];
  }
  return negative ? -r : r;
}

describe('NOTE-5 · rounding to a dtype', () => {
  it('NOTE-5 · float32: 0x1.000001p+0 = 1.0000000596046448 is a tie and rounds to even, 1', () => {
    // float32 has 24 significand bits: neighbours of 1 + 2⁻²⁴ are 1 (even) and 1 + 2⁻²³ (odd).
    expectSame(roundToDtype(exact(1 + 2 ** -24), 'float32'), 1, 'NOTE-5', 'round(0x1.000001p+0, float32)');
    // 0x1.000003p+0 = 1 + 3·2⁻²⁴ lies between 1 + 2⁻²³ (odd) and 1 + 2⁻²² (even): rounds up.
    expectSame(roundToDtype(exact(1 + 3 * 2 ** -24), 'float32'), 1 + 2 ** -22, 'NOTE-5', 'round(0x1.000003p+0, float32)');
    // just above the tie: 1 + 2⁻²⁴ + 2⁻⁵² rounds up to 1 + 2⁻²³
    expectSame(roundToDtype(exact(1 + 2 ** -24 + 2 ** -52), 'float32'), 1 + 2 ** -23, 'NOTE-5', 'round(0x1.0000010000001p+0, float32)');
    // negative tie: −(1 + 2⁻²⁴) → −1
    expectSame(roundToDtype(exact(-(1 + 2 ** -24)), 'float32'), -1, 'NOTE-5', 'round(−0x1.000001p+0, float32)');
  });

  it('NOTE-5 · a decimal is rounded once, with no double rounding through float64', () => {
    // 1 + 2⁻²⁴ + 2⁻⁸⁰ is not a double: rounded to float64 first it would become the tie 1 + 2⁻²⁴
    // and then 1 in float32. Rounded once it is above the tie and must give 1 + 2⁻²³. (Built with
    // 50-digit Dec arithmetic it is 1 + 2⁻²⁴ + 8.27…e-25 to 50 digits: still strictly above the tie.)
    const above = new Dec(2).pow(-24).plus(new Dec(2).pow(-80)).plus(1);
    expectSame(roundToDtype(above, 'float32'), 1 + 2 ** -23, 'NOTE-5', 'round(1 + 2⁻²⁴ + 2⁻⁸⁰, float32)');
    expectSame(roundToDtype(above, 'float64'), 1 + 2 ** -24, 'NOTE-5', 'round(1 + 2⁻²⁴ + 2⁻⁸⁰, float64)');
    // 0.1 (the decimal) to float64 is the double 0.1, and to float32 0x1.99999ap-4 = 0.100000001490116119384765625
    expectSame(roundToDtype(new Dec('0.1'), 'float64'), 0.1, 'NOTE-5', 'round(0.1, float64)');
    expectSame(roundToDtype(new Dec('0.1'), 'float32'), 0.100000001490116119384765625, 'NOTE-5', 'round(0.1, float32)');
    // 1/3 to bfloat16: 0x1.555…p-2 keeps 8 bits: 0x1.56p-2 = 0.333984375 (the 9th bit is 1, rest > 0)
    expectSame(roundToDtype(new Dec(1).div(3), 'bfloat16'), 0.333984375, 'NOTE-5', 'round(1/3, bfloat16)');
  });

  it('NOTE-5 · bfloat16 and float16 ties go to even', () => {
    // bfloat16, 8 bits: 1 + 2⁻⁸ (tie) → 1; 1 + 3·2⁻⁸ → 1 + 2⁻⁶ = 1.015625; 257 → 256; 259 → 260
    expectSame(roundToDtype(exact(1 + 2 ** -8), 'bfloat16'), 1, 'NOTE-5', 'round(1 + 2⁻⁸, bfloat16)');
    expectSame(roundToDtype(exact(1 + 3 * 2 ** -8), 'bfloat16'), 1.015625, 'NOTE-5', 'round(1 + 3·2⁻⁸, bfloat16)');
    expectSame(roundToDtype(d(257), 'bfloat16'), 256, 'NOTE-5', 'round(257, bfloat16)');
    expectSame(roundToDtype(d(259), 'bfloat16'), 260, 'NOTE-5', 'round(259, bfloat16)');
    // float16, 11 bits: 2049 → 2048 (tie, even); 2051 → 2052; 1 + 2⁻¹¹ → 1; 1 + 3·2⁻¹¹ → 1 + 2⁻⁹
    expectSame(roundToDtype(d(2049), 'float16'), 2048, 'NOTE-5', 'round(2049, float16)');
    expectSame(roundToDtype(d(2051), 'float16'), 2052, 'NOTE-5', 'round(2051, float16)');
    expectSame(roundToDtype(exact(1 + 2 ** -11), 'float16'), 1, 'NOTE-5', 'round(1 + 2⁻¹¹, float16)');
    expectSame(roundToDtype(exact(1 + 3 * 2 ** -11), 'float16'), 1 + 2 ** -9, 'NOTE-5', 'round(1 + 3·2⁻¹¹, float16)');
    // 0.1 to float16: 0x1.998p-4 = 0.0999755859375 (0x1.999…: the 12th bit is 1 with more after → up)
    expectSame(roundToDtype(exact(0.1), 'float16'), 0.0999755859375, 'NOTE-5', 'round(0.1, float16)');
  });

  it('NOTE-5 · subnormals: gradual underflow, ties to even, and up into the normals', () => {
    // float32: the smallest subnormal is 2⁻¹⁴⁹ = 0x1p-149 ≈ 1.401298464324817e-45.
    expectSame(roundToDtype(exact(2 ** -150), 'float32'), 0, 'NOTE-5', 'round(2⁻¹⁵⁰, float32) (tie 0 | 2⁻¹⁴⁹)');
    expectSame(roundToDtype(exact(2 ** -150 + 2 ** -200), 'float32'), 2 ** -149, 'NOTE-5', 'round(2⁻¹⁵⁰ + 2⁻²⁰⁰, float32)');
    expectSame(roundToDtype(exact(3 * 2 ** -150), 'float32'), 2 ** -148, 'NOTE-5', 'round(3·2⁻¹⁵⁰, float32) (tie 2⁻¹⁴⁹ | 2⁻¹⁴⁸)');
    expectSame(roundToDtype(exact(5 * 2 ** -150), 'float32'), 2 * 2 ** -149, 'NOTE-5', 'round(5·2⁻¹⁵⁰, float32) (tie 2·2⁻¹⁴⁹ | 3·2⁻¹⁴⁹)');
    // float16: subnormals are k·2⁻²⁴, k < 1024; the smallest normal is 2⁻¹⁴.
    expectSame(roundToDtype(exact(2 ** -25), 'float16'), 0, 'NOTE-5', 'round(2⁻²⁵, float16)');
    expectSame(roundToDtype(exact(3 * 2 ** -25), 'float16'), 2 ** -23, 'NOTE-5', 'round(3·2⁻²⁵, float16)');
    expectSame(roundToDtype(exact(1023.5 * 2 ** -24), 'float16'), 2 ** -14, 'NOTE-5', 'round(1023.5·2⁻²⁴, float16) → smallest normal');
    expectSame(roundToDtype(exact(1022.5 * 2 ** -24), 'float16'), 1022 * 2 ** -24, 'NOTE-5', 'round(1022.5·2⁻²⁴, float16)');
    // bfloat16 shares float32's exponent range: smallest subnormal 2⁻¹³³.
    expectSame(roundToDtype(exact(1.5 * 2 ** -133), 'bfloat16'), 2 ** -132, 'NOTE-5', 'round(1.5·2⁻¹³³, bfloat16)');
    expectSame(roundToDtype(exact(2 ** -134), 'bfloat16'), 0, 'NOTE-5', 'round(2⁻¹³⁴, bfloat16)');
    // float64 subnormals: 2⁻¹⁰⁷⁵ (not a double) ties to 0; 3·2⁻¹⁰⁷⁵ ties to 2⁻¹⁰⁷³ (even). Written as
    // exact decimal strings k·5¹⁰⁷⁵/10¹⁰⁷⁵ — Dec arithmetic would round them to 50 digits.
    const half = (k: bigint) => new Dec(`0.${(k * 5n ** 1075n).toString().padStart(1075, '0')}`);
    expectSame(roundToDtype(half(1n), 'float64'), 0, 'NOTE-5', 'round(2⁻¹⁰⁷⁵, float64)');
    expectSame(roundToDtype(half(3n), 'float64'), 2 ** -1073, 'NOTE-5', 'round(3·2⁻¹⁰⁷⁵, float64)');
    expectSame(roundToDtype(half(5n), 'float64'), 2 ** -1073, 'NOTE-5', 'round(5·2⁻¹⁰⁷⁵, float64)');
  });

  it('NOTE-5 · −0 keeps its sign, and so does a negative value that underflows', () => {
    for (const dt of DTYPES) {
      expectSame(roundToDtype(new Dec('-0'), dt), -0, 'NOTE-5', `round(−0, ${dt})`);
      expectSame(roundToDtype(new Dec('0'), dt), 0, 'NOTE-5', `round(+0, ${dt})`);
      expectSame(roundToDtype(new Dec('-1e-400'), dt), -0, 'NOTE-5', `round(−1e-400, ${dt})`);
      expectSame(roundDoubleToDtype(-0, dt), -0, 'NOTE-5', `roundDoubleToDtype(−0, ${dt})`);
    }
    expectSame(roundToDtype(exact(-(2 ** -25)), 'float16'), -0, 'NOTE-5', 'round(−2⁻²⁵, float16)');
  });

  it('NOTE-5 · the largest finite values, and overflow to ±Infinity', () => {
    // float16: 65504 = 0x1.ffcp+15; next step would be 65536, so the tie is 65520.
    expectSame(roundToDtype(d(65519), 'float16'), 65504, 'NOTE-5', 'round(65519, float16)');
    expectSame(roundToDtype(d(65520), 'float16'), Infinity, 'NOTE-5', 'round(65520, float16) (tie → even → overflow)');
    expectSame(roundToDtype(d(-65520), 'float16'), -Infinity, 'NOTE-5', 'round(−65520, float16)');
    expectSame(roundToDtype(d('65519.99999'), 'float16'), 65504, 'NOTE-5', 'round(65519.99999, float16)');
    // float32: max = 0x1.fffffep+127 = 3.4028234663852886e38; the tie is 0x1.ffffffp+127.
    const f32max = (2 - 2 ** -23) * 2 ** 127;
    expectSame(roundToDtype(exact(f32max), 'float32'), 3.4028234663852886e38, 'NOTE-5', 'round(max, float32)');
    expectSame(roundToDtype(exact((2 - 2 ** -24) * 2 ** 127), 'float32'), Infinity, 'NOTE-5', 'round(0x1.ffffffp+127, float32)');
    expectSame(roundToDtype(exact((2 - 2 ** -23 - 2 ** -30) * 2 ** 127 + 2 ** 100), 'float32'), f32max, 'NOTE-5', 'just below the float32 tie');
    // bfloat16: max = 0x1.fep+127 = 3.3895313892515355e38; the tie 0x1.ffp+127 overflows.
    expectSame(roundToDtype(exact(0x1fe * 2 ** 119), 'bfloat16'), 3.3895313892515355e38, 'NOTE-5', 'round(max, bfloat16)');
    expectSame(roundToDtype(exact(0x1ff * 2 ** 119), 'bfloat16'), Infinity, 'NOTE-5', 'round(0x1.ffp+127, bfloat16)');
    // float64: a decimal above MAX_VALUE + ulp/2 overflows; MAX_VALUE itself does not.
    expectSame(roundToDtype(exact(Number.MAX_VALUE), 'float64'), Number.MAX_VALUE, 'NOTE-5', 'round(MAX_VALUE, float64)');
    expectSame(roundToDtype(new Dec('1e309'), 'float64'), Infinity, 'NOTE-5', 'round(1e309, float64)');
    // non-finite inputs pass through
    expectSame(roundToDtype(new Dec(NaN), 'float16'), NaN, 'NOTE-5', 'round(NaN)');
    expectSame(roundToDtype(new Dec(-Infinity), 'bfloat16'), -Infinity, 'NOTE-5', 'round(−Infinity)');
    expectSame(roundToDtype(new Dec(Infinity), 'float32'), Infinity, 'NOTE-5', 'round(Infinity)');
  });

  it('NOTE-5 · maxFinite, minSubnormal, unitRoundoff and FORMATS', () => {
    expect(maxFinite('float64')).toBe(Number.MAX_VALUE);
    expect(maxFinite('float32')).toBe(3.4028234663852886e38);
    expect(maxFinite('bfloat16')).toBe(3.3895313892515355e38);
    expect(maxFinite('float16')).toBe(65504);
    expect(minSubnormal('float64')).toBe(5e-324);
    expect(minSubnormal('float32')).toBe(1.401298464324817e-45);
    expect(minSubnormal('bfloat16')).toBe(2 ** -133);
    expect(minSubnormal('float16')).toBe(5.960464477539063e-8);
    expect([unitRoundoff('float64'), unitRoundoff('float32'), unitRoundoff('bfloat16'), unitRoundoff('float16')]).toEqual([
      2 ** -53,
      2 ** -24,
      2 ** -8,
      2 ** -11,
    ]);
    expect(FORMATS.float16).toEqual({ precision: 11, emin: -14, emax: 15 });
    expect(FORMATS.bfloat16).toEqual({ precision: 8, emin: -126, emax: 127 });
    expect(DTYPES).toEqual(['float64', 'float32', 'bfloat16', 'float16']);
    expect(isDtype('float16') && isDtype('bfloat16')).toBe(true);
    expect(isDtype('float8') || isDtype(32) || isDtype(undefined)).toBe(false);
  });

  it('NOTE-5 · ulp: the spacing of the dtype, with gradual underflow', () => {
    const cases: [number, Dtype, number][] = [
      [1, 'float32', 2 ** -23],
      [1.5, 'float32', 2 ** -23],
      [0.75, 'float16', 2 ** -11],
      [65504, 'float16', 32],
      [-3, 'bfloat16', 2 ** -6],
      [0, 'float16', 2 ** -24],
      [2 ** -20, 'float16', 2 ** -24],
      [2 ** -14, 'float16', 2 ** -24],
      [1e-45, 'float32', 2 ** -149],
      [0.1, 'float64', 2 ** -56],
      [Number.MAX_VALUE, 'float64', 2 ** 971],
      [5e-324, 'float64', 5e-324],
    ];
    for (const [x, dt, u] of cases) expect(ulp(x, dt), `NOTE-5: ulp(${x}, ${dt})`).toBe(u);
    // at and just below every power of two, where Math.log2 may be off by one
    for (let k = -1022; k <= 1023; k += 1) {
      expect(ulp(2 ** k, 'float64'), `NOTE-5: ulp(2^${k})`).toBe(2 ** (k - 52));
      const below = 2 ** k - 2 ** (k - 53);
      if (k > -1022) expect(ulp(below, 'float64'), `NOTE-5: ulp(2^${k} − ulp)`).toBe(2 ** (k - 53));
    }
  });

  it('NOTE-5 · isRepresentable and roundDoubleToDtype', () => {
    expect(isRepresentable(0.1, 'float32'), 'NOTE-5: 0.1 is not a float32').toBe(false);
    expect(isRepresentable(0.1, 'float64')).toBe(true);
    expect(isRepresentable(0.5, 'float16')).toBe(true);
    expect(isRepresentable(65504, 'float16')).toBe(true);
    expect(isRepresentable(65505, 'float16')).toBe(false);
    expect(isRepresentable(2 ** -24, 'float16')).toBe(true);
    expect(isRepresentable(2 ** -25, 'float16')).toBe(false);
    expect(isRepresentable(1 + 2 ** -7, 'bfloat16')).toBe(true);
    expect(isRepresentable(1 + 2 ** -8, 'bfloat16')).toBe(false);
    expect(isRepresentable(-0, 'float16') && isRepresentable(Infinity, 'bfloat16') && isRepresentable(NaN, 'float32')).toBe(true);
    expectSame(roundDoubleToDtype(0.1, 'float64'), 0.1, 'NOTE-5', 'roundDoubleToDtype(0.1, float64)');
    expectSame(roundDoubleToDtype(0.1, 'float32'), 0.100000001490116119384765625, 'NOTE-5', 'roundDoubleToDtype(0.1, float32)');
    expectSame(roundDoubleToDtype(0.1, 'bfloat16'), 0.10009765625, 'NOTE-5', 'roundDoubleToDtype(0.1, bfloat16)');
    expectSame(roundDoubleToDtype(NaN, 'float16'), NaN, 'NOTE-5', 'roundDoubleToDtype(NaN)');
    expectSame(roundDoubleToDtype(-Infinity, 'float16'), -Infinity, 'NOTE-5', 'roundDoubleToDtype(−Infinity)');
    expectSame(roundDoubleToDtype(70000, 'float16'), Infinity, 'NOTE-5', 'roundDoubleToDtype(70000, float16)');
  });

  // Doubles biased towards the hard regions: everywhere, the 16-bit range, subnormals, exact ties.
  const doubles = (dtype: 'float16' | 'bfloat16' | 'float32') => {
    const t = dtype === 'float32' ? TABLES.float16 : TABLES[dtype];
    const tie = fc.tuple(fc.integer({ min: 0, max: t.length - 2 }), fc.boolean(), fc.constantFrom(0, 1, -1)).map(([i, neg, nudge]) => {
      const m = (t[i] + t[i + 1]) / 2; // exact in binary: both have few bits
      const x = nudge === 0 ? m : m * (1 + nudge * 2 ** -40);
      return neg ? -x : x;
    });
    return fc.oneof(
      { arbitrary: fc.double({ noNaN: true }), weight: 2 },
      { arbitrary: fc.double({ min: -70000, max: 70000, noNaN: true }), weight: 2 },
      { arbitrary: fc.double({ min: -1e-4, max: 1e-4, noNaN: true }), weight: 2 },
      { arbitrary: fc.double({ min: -1e-38, max: 1e-38, noNaN: true }), weight: 1 },
      { arbitrary: tie, weight: 3 },
    );
  };

  it('NOTE-5 · roundToDtype agrees with Math.fround on random doubles (property)', () => {
    fc.assert(
      fc.property(doubles('float32'), (x) => {
        expectSame(roundToDtype(exact(x), 'float32'), Math.fround(x), 'NOTE-5', `roundToDtype(exact(${x}), float32) vs Math.fround`);
      }),
      { ...FC, numRuns: 300 },
    );
  });

  it.each(['float16', 'bfloat16'] as const)('NOTE-5 · roundToDtype agrees with a table of every %s value (property)', (dt) => {
    fc.assert(
      fc.property(doubles(dt), (x) => {
        const want = oracleRound(x, dt);
        expectSame(roundToDtype(exact(x), dt), want, 'NOTE-5', `roundToDtype(exact(${x}), ${dt})`);
        expectSame(roundDoubleToDtype(x, dt), want, 'NOTE-5', `roundDoubleToDtype(${x}, ${dt})`);
      }),
      { ...FC, numRuns: 300 },
    );
  });
});
