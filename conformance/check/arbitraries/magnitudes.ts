/**
 * Magnitudes: exactly representable tensor values of a dtype, built from sign, binary exponent
 * and significand so no rounding is ever needed (NOTE-4), biased by weighted `fc.oneof` toward
 * the regions where optimizer variants part: values near ε, zeros of either sign, subnormals of
 * 16-bit dtypes and vectors that mix magnitudes.
 */
import fc from 'fast-check';
import { FORMATS, maxFinite, type Dtype } from '../../../reference/dtype.ts';
import { uniform } from '../../../reference/random.ts';

/**
 * Options for every weighted `fc.oneof` here: cross-shrinking lets a counterexample move to the
 * first (simplest, canonical) branch, which plain `fc.oneof` never does.
 */
export const CROSS = { withCrossShrink: true } as const;

/** Binary exponents e (2^e ≤ |x| < 2^(e+1)), inclusive. */
export interface Band {
  readonly lo: number;
  readonly hi: number;
}

/** Relative odds of each kind of element in a vector. */
export interface ElementWeights {
  readonly band: number;
  readonly zero: number;
  readonly wide: number;
  readonly subnormal: number;
}

export interface ElementSpec {
  readonly dtype: Dtype;
  /** the vector's own magnitude */
  readonly band: Band;
  /** any magnitude the dtype and the cap allow, for vectors that mix magnitudes */
  readonly wide: Band;
  readonly nonNegative: boolean;
  readonly weights: ElementWeights;
}

/** Significand bits generated below the leading one: all of them up to float64's 52. */
const fractionBits = (dtype: Dtype): number => FORMATS[dtype].precision - 1;

/** ±(1 + k/2^bits)·2^e, exact for k < 2^bits and e within the dtype's normal range. */
export function normalValue(dtype: Dtype, negative: boolean, e: number, k: number): number {
  const bits = fractionBits(dtype);
  const x = (2 ** bits + k) * 2 ** (e - bits);
  return negative ? -x : x;
}

/** ±k·2^(emin−p+1): a subnormal of the dtype for 0 < k < 2^(p−1). */
export function subnormalValue(dtype: Dtype, negative: boolean, k: number): number {
  const { precision, emin } = FORMATS[dtype];
  const x = k * 2 ** (emin - precision + 1);
  return negative ? -x : x;
}

/** A band centred on `center`, clamped to the dtype's normal exponents and below 2^capExp. */
export function clampBand(dtype: Dtype, lo: number, hi: number, capExp: number): Band {
  const top = Math.min(capExp - 1, FORMATS[dtype].emax);
  const bottom = FORMATS[dtype].emin;
  const l = Math.min(Math.max(lo, bottom), top);
  const h = Math.min(Math.max(hi, bottom), top);
  return { lo: Math.min(l, h), hi: Math.max(l, h) };
}

/** The widest band a vector mixing magnitudes uses (not below 2^-40: beyond that nothing new shows). */
export function wideBand(dtype: Dtype, capExp: number): Band {
  return clampBand(dtype, -40, capExp - 1, capExp);
}

/** floor(log2 x) for a positive finite double, exact near powers of two. */
export function exponentOf(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e -= 1;
  else if (2 ** (e + 1) <= x) e += 1;
  return e;
}

/**
 * Round a double to the dtype, half-even, without decimals (the hot path for long vectors).
 * Same result as `roundDoubleToDtype` for finite values below the dtype's largest finite value:
 * dividing by the spacing, a power of two, is exact, so is the half-even rounding of the quotient.
 */
export function fastRound(x: number, dtype: Dtype): number {
  if (dtype === 'float64' || x === 0 || !Number.isFinite(x)) return x;
  if (dtype === 'float32') return Math.fround(x);
  const { precision, emin } = FORMATS[dtype];
  const spacing = 2 ** (Math.max(exponentOf(Math.abs(x)), emin) - precision + 1);
  const y = Math.abs(x) / spacing;
  let q = Math.floor(y);
  const rest = y - q;
  if (rest > 0.5 || (rest === 0.5 && q % 2 === 1)) q += 1;
  // Derived state values (v ≥ m², max_exp_avg_sq ≥ v) must stay values of the dtype: clamp, don't overflow.
  const r = Math.min(q * spacing, maxFinite(dtype));
  return x < 0 ? -r : r;
}

/** fast-check's integer for k < 2^bits; float64's 52 bits come as two 26-bit halves. */
function significandArb(dtype: Dtype): fc.Arbitrary<number> {
  const bits = fractionBits(dtype);
  if (bits <= 30) return fc.integer({ min: 0, max: 2 ** bits - 1 });
  const half = bits / 2;
  return fc.tuple(fc.integer({ min: 0, max: 2 ** half - 1 }), fc.integer({ min: 0, max: 2 ** half - 1 })).map(([h, l]) => h * 2 ** half + l);
}

const signArb = (nonNegative: boolean): fc.Arbitrary<boolean> => (nonNegative ? fc.constant(false) : fc.boolean());

function inBand(spec: ElementSpec, band: Band): fc.Arbitrary<number> {
  return fc
    .tuple(signArb(spec.nonNegative), fc.integer({ min: band.lo, max: band.hi }), significandArb(spec.dtype))
    .map(([negative, e, k]) => normalValue(spec.dtype, negative, e, k));
}

function subnormalArb(spec: ElementSpec): fc.Arbitrary<number> {
  const max = 2 ** Math.min(fractionBits(spec.dtype), 30) - 1;
  return fc.tuple(signArb(spec.nonNegative), fc.integer({ min: 1, max })).map(([negative, k]) => subnormalValue(spec.dtype, negative, k));
}

/** One element: the band first so a failure shrinks to it (toward 1·2^e, positive), then ±0, then the rest. */
export function elementArb(spec: ElementSpec): fc.Arbitrary<number> {
  const w = spec.weights;
  const branches: fc.WeightedArbitrary<number>[] = [{ weight: w.band, arbitrary: inBand(spec, spec.band) }];
  if (w.zero > 0) branches.push({ weight: w.zero, arbitrary: spec.nonNegative ? fc.constant(0) : fc.constantFrom(0, -0) });
  if (w.wide > 0) branches.push({ weight: w.wide, arbitrary: inBand(spec, spec.wide) });
  if (w.subnormal > 0) branches.push({ weight: w.subnormal, arbitrary: subnormalArb(spec) });
  return fc.oneof(CROSS, ...branches);
}

/** The same distribution as `elementArb`, drawn from a seeded generator (fast, for 100,000+ elements). */
export function sampleElement(spec: ElementSpec, rng: () => number): number {
  const w = spec.weights;
  const total = w.band + w.zero + w.wide + w.subnormal;
  let r = rng() * total;
  const negative = !spec.nonNegative && rng() < 0.5;
  const bits = fractionBits(spec.dtype);
  const significand = (): number =>
    bits <= 26 ? Math.floor(rng() * 2 ** bits) : Math.floor(rng() * 2 ** 26) * 2 ** (bits - 26) + Math.floor(rng() * 2 ** (bits - 26));
  const fromBand = (b: Band): number => normalValue(spec.dtype, negative, b.lo + Math.floor(rng() * (b.hi - b.lo + 1)), significand());
  if ((r -= w.band) < 0) return fromBand(spec.band);
  if ((r -= w.zero) < 0) return negative ? -0 : 0;
  if ((r -= w.wide) < 0) return fromBand(spec.wide);
  return subnormalValue(spec.dtype, negative, 1 + Math.floor(rng() * (2 ** Math.min(bits, 30) - 1)));
}

/** Vectors up to this length are generated (and shrunk) element by element. */
export const SHORT_VECTOR = 64;
/** Elements of a long vector generated by fast-check, at its end (past index 4096). */
const TAIL = 8;

/**
 * A vector of exactly n elements. Long vectors get a seeded body and a fast-check tail, so
 * generating 100,000 elements stays cheap and a shrunk counterexample still varies the elements
 * past index 4096.
 */
export function vectorArb(n: number, spec: ElementSpec): fc.Arbitrary<number[]> {
  if (n <= SHORT_VECTOR) return fc.array(elementArb(spec), { minLength: n, maxLength: n });
  return fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), fc.array(elementArb(spec), { minLength: TAIL, maxLength: TAIL })).map(([seed, tail]) => {
    const rng = uniform(seed);
    const out = new Array<number>(n);
    for (let i = 0; i < n - TAIL; i++) out[i] = sampleElement(spec, rng);
    for (let i = 0; i < TAIL; i++) out[n - TAIL + i] = tail[i];
    return out;
  });
}

export type Style = 'band' | 'mixed';

/** Element odds for a vector of one magnitude or of mixed magnitudes; subnormals mostly in 16-bit dtypes. */
export function weightsFor(style: Style, dtype: Dtype): ElementWeights {
  const sixteen = dtype === 'float16' || dtype === 'bfloat16';
  if (style === 'band') return { band: 24, zero: 2, wide: 0, subnormal: sixteen ? 1 : 0 };
  return { band: 4, zero: 2, wide: 4, subnormal: sixteen ? 2 : dtype === 'float32' ? 1 : 0 };
}
