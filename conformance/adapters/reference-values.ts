/**
 * A value of the BigInt engine (NOTE-6) as `optconf reference` sends it: rounded to the case's
 * dtype (NOTE-5) and as the `exact` decimal string (PROTO-6), from one conversion of its
 * coefficient to digits. Going through decimal.js (`toDecimal()`, then `roundToDtype` and
 * `toString`) gives the same number and the same text but cost twice the step itself; these are
 * the server's serialisation, checked against that path in tests/conformance/reference-serve.test.ts.
 */
import type { BigDecimal } from '../../reference/big-decimal.ts';
import { roundToDtype, type Dtype } from '../../reference/dtype.ts';

/** decimal.js's toString switches to exponential notation at these exponents (reference/decimal.ts). */
const TO_EXP_NEG = -7;
const TO_EXP_POS = 21;

/** A non-finite value (NaN, ±Infinity): the engine holds it with a zero coefficient, yet it is not zero. */
const isNonFinite = (d: BigDecimal) => d.coefficient === 0n && !d.isZero();

/** Where a decimal string is put together, so that it becomes one flat string of its own (below). */
let scratch = Buffer.alloc(256);

/**
 * PROTO-6: ±`digits`·10^exponent as decimal.js's toString writes it. Written byte by byte into a
 * buffer and read out once: a string built with slices and concatenation is a tree of pieces that
 * keeps the whole digit string alive, three times the memory in a reply of 10⁶ values.
 */
function decimalText(negative: boolean, digits: string, exponent: number): string {
  // trailing zeros of the coefficient are not digits decimal.js keeps
  let len = digits.length;
  while (len > 1 && digits.charCodeAt(len - 1) === 48) len--;
  const e = exponent + digits.length - 1; // the exponent of the leading digit
  if (scratch.length < len + Math.abs(e) + 32) scratch = Buffer.alloc(2 * (len + Math.abs(e) + 32));
  const out = scratch;
  let at = 0;
  const put = (text: string, from: number, to: number) => {
    for (let i = from; i < to; i++) out[at++] = text.charCodeAt(i);
  };
  const zeros = (k: number) => {
    out.fill(48, at, at + k);
    at += k;
  };
  if (negative) put('-', 0, 1);
  if (e <= TO_EXP_NEG || e >= TO_EXP_POS) {
    put(digits, 0, 1);
    if (len > 1) {
      put('.', 0, 1);
      put(digits, 1, len);
    }
    const power = `e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
    put(power, 0, power.length);
  } else if (e < 0) {
    put('0.', 0, 2);
    zeros(-e - 1);
    put(digits, 0, len);
  } else if (e >= len - 1) {
    put(digits, 0, len);
    zeros(e + 1 - len);
  } else {
    put(digits, 0, e + 1);
    put('.', 0, 1);
    put(digits, e + 1, len);
  }
  return out.toString('latin1', 0, at);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
/** The largest float32 plus half its spacing, 2¹²⁸ − 2¹⁰³: the boundary where float32 overflows. */
const FLOAT32_OVERFLOW = 2 ** 128 - 2 ** 103;

/**
 * NOTE-5: |x| rounded to float32 when x is the double nearest the exact value v > 0. Rounding v to
 * the double x and then to float32 gives v's own rounding unless x lands exactly on a float32
 * midpoint (a midpoint is a double: a double strictly between v and x would be nearer v); undefined
 * then, and the caller rounds the exact value instead.
 */
function float32OfNearestDouble(x: number): number | undefined {
  const y = Math.fround(x);
  if (y === x) return y;
  if (y === Infinity) return x === FLOAT32_OVERFLOW ? undefined : y;
  // y's neighbour on x's side: one unit in the last place up or down (y ≥ 0)
  F32[0] = y;
  U32[0] += x > y ? 1 : -1;
  return x === (y + F32[0]) / 2 ? undefined : y;
}

/**
 * NOTE-5, PROTO-6: the engine's value `d` as the case's dtype (correctly rounded, ties to even, a
 * zero keeping its sign) and as its exact decimal string, written into `values[i]` and `texts[i]`.
 */
export function putWireValue(d: BigDecimal, dtype: Dtype, values: number[], texts: string[], i: number): void {
  if (isNonFinite(d)) {
    values[i] = d.toNumber();
    texts[i] = d.toString();
    return;
  }
  const negative = d.isNegative();
  if (d.isZero()) {
    values[i] = negative ? -0 : 0;
    texts[i] = '0'; // decimal.js writes −0 as "0"
    return;
  }
  const digits = d.coefficient.toString();
  texts[i] = decimalText(negative, digits, d.exponent);
  // the double nearest the exact value: JavaScript's string-to-number conversion is correctly rounded
  const x = Number(`${digits}e${d.exponent}`);
  const magnitude = dtype === 'float64' ? x : dtype === 'float32' ? float32OfNearestDouble(x) : undefined;
  values[i] = magnitude === undefined ? roundToDtype(d.toDecimal(), dtype) : negative ? -magnitude : magnitude;
}
