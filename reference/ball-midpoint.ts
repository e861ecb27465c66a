/**
 * The midpoints of inexact balls (NOTE-4, reference/ball.ts): + − × ÷ √ of finite decimals, the
 * result cut (truncated toward zero) to at most W significant digits. A ball's midpoint need not be
 * the nearest W-digit decimal, only within its radius of the exact value: cutting errs by less than
 * one unit in the last digit kept, which the ball adds to its radius, and it spares what rounding
 * costs — the remainder of every division by 10^k, and the guard digits of ÷ and √. Exact operands
 * keep big-decimal.ts's exact operations (an exact result must be known to be exact).
 *
 * Each function leaves in `cutUnits` a bound on the result's error, in units of its last digit: 0
 * when it is the exact value on its operands, else 1 (digits dropped, a remainder not looked at),
 * or 2 where a dropped term adds to a cut.
 */
import { BigDecimal, evenScaled, isqrt, pow10 } from './big-decimal.ts';

/** The last cut result's error bound in units of its last digit (strictly below it: 1 means < 1 unit). */
export let cutUnits = 0;

/** sign·c·10^e (c of exactly d digits) cut to its first p digits. */
function cut(sign: 1 | -1, c: bigint, e: number, d: number, p: number): BigDecimal {
  if (d <= p) {
    cutUnits = 0;
    return BigDecimal.of(sign, c, e, d);
  }
  cutUnits = 1;
  const k = d - p;
  return BigDecimal.of(sign, c / pow10(k), e + k, p);
}

/** NOTE-4: x × y of finite values, cut to p digits. */
export function cutProduct(x: BigDecimal, y: BigDecimal, p: number): BigDecimal {
  const sign = x.sign === y.sign ? 1 : -1;
  if (x.coefficient === 0n || y.coefficient === 0n) {
    cutUnits = 0;
    return BigDecimal.of(sign, 0n, 0);
  }
  const c = x.coefficient * y.coefficient;
  const lo = x.digits + y.digits - 1;
  return cut(sign, c, x.exponent + y.exponent, c >= pow10(lo) ? lo + 1 : lo, p);
}

/**
 * NOTE-4: x + (ySign·|y|) of finite values, cut to p digits, with big-decimal.ts `add`'s zeros (an
 * exact cancellation is +0). A term wholly below the other's p + 3rd digit is dropped, its size
 * within the unit the cut allows for.
 */
export function cutSum(x: BigDecimal, ySign: 1 | -1, y: BigDecimal, p: number): BigDecimal {
  const xZero = x.coefficient === 0n;
  if (xZero || y.coefficient === 0n) {
    if (xZero && y.coefficient === 0n) {
      cutUnits = 0;
      return x.sign === ySign ? x : BigDecimal.of(1, 0n, 0);
    }
    return xZero ? cut(ySign, y.coefficient, y.exponent, y.digits, p) : cut(x.sign, x.coefficient, x.exponent, x.digits, p);
  }
  const dx = x.digits;
  const dy = y.digits;
  const xTop = x.exponent + dx;
  const yTop = y.exponent + dy;
  // a term entirely below 10^(top − p − 3) is under a thousandth of a unit: the other, cut (< 1 unit), with 2 units allowed
  if (yTop <= xTop - p - 3 || xTop <= yTop - p - 3) {
    const [big, bigSign] = xTop > yTop ? [x, x.sign] : [y, ySign];
    const d = big.digits;
    const r = d >= p ? cut(bigSign, big.coefficient, big.exponent, d, p) : BigDecimal.of(bigSign, big.coefficient * pow10(p - d), big.exponent - (p - d), p);
    cutUnits = 2;
    return r;
  }
  const e = Math.min(x.exponent, y.exponent);
  const cx = x.coefficient * pow10(x.exponent - e);
  const cy = y.coefficient * pow10(y.exponent - e);
  const top = Math.max(xTop, yTop) - e;
  if (x.sign === ySign) {
    const c = cx + cy;
    return cut(x.sign, c, e, c >= pow10(top) ? top + 1 : top, p);
  }
  const difference = cx - cy;
  if (difference === 0n) {
    cutUnits = 0;
    return BigDecimal.of(1, 0n, 0);
  }
  const [sign, c] = difference > 0n ? [x.sign, difference] : [ySign, -difference];
  return cut(sign, c, e, BigDecimal.of(1, c, 0).digits, p);
}

/** NOTE-4: x ÷ y of finite values, y ≠ 0, the quotient cut to p − 1 or p digits (the remainder is not looked at). */
export function cutQuotient(x: BigDecimal, y: BigDecimal, p: number): BigDecimal {
  const sign = x.sign === y.sign ? 1 : -1;
  if (x.coefficient === 0n) {
    cutUnits = 0;
    return BigDecimal.of(sign, 0n, 0);
  }
  // num has x.digits + max(k, 0) digits, den y.digits + max(−k, 0): the quotient has p − 1 or p
  const k = p - 1 + y.digits - x.digits;
  const num = k > 0 ? x.coefficient * pow10(k) : x.coefficient;
  const den = k < 0 ? y.coefficient * pow10(-k) : y.coefficient;
  const q = num / den;
  cutUnits = 1;
  return BigDecimal.of(sign, q, x.exponent - y.exponent - k, q >= pow10(p - 1) ? p : p - 1);
}

/** NOTE-4: √x of a finite x > 0, cut to p digits: ⌊√⌋ of the radicand cut to 2p − 1 or 2p digits (⌊√⌊a⌋⌋ = ⌊√a⌋). */
export function cutRoot(x: BigDecimal, p: number): BigDecimal {
  let [c, e, d] = evenScaled(x);
  // c·10^(2j) with 2p − 1 or 2p digits (j < 0: digits dropped, the floor taken)
  const j = Math.floor((2 * p - d) / 2);
  if (j > 0) c *= pow10(2 * j);
  else if (j < 0) c /= pow10(-2 * j);
  e -= 2 * j;
  d += 2 * j;
  const r = isqrt(c, d);
  cutUnits = 1;
  return BigDecimal.of(1, r, e / 2, Math.ceil(d / 2));
}
