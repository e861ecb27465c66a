/**
 * An independent oracle for correct rounding (NOTE-4, NOTE-5, NOTE-6): the case run in decimal.js
 * at ORACLE_DIGITS digits, and each value rounded by nearest-candidate search in decimal.js — the
 * candidates come from a double's rounding, the choice from exact distances — with an explicit tie
 * analysis: a value on a rounding boundary is taken for an exact tie only where the case is built
 * of exact operations (then decimal.js computed it exactly), or where decimal.js's value has at
 * least 100 digits fewer than its precision (no rounding at 1,200 digits leaves 100 trailing zeros
 * short of an exact result, short of a cancellation the test would have to construct on purpose);
 * a value closer to a boundary than the oracle's own error is reported as ambiguous, so a test fails
 * instead of trusting it. Shares no code with the ball arithmetic or its rounding.
 */
import { Dec, precision, setPrecision } from '../../reference/decimal.ts';
import { DTYPES, exact, maxFinite, roundDoubleToDtype, ulp, type Dtype } from '../../reference/dtype.ts';
import type { OptimizerDef } from '../../reference/registry.ts';
import { referenceTrajectory, type CaseInput } from '../../reference/trajectory.ts';

export const ORACLE_DIGITS = 1200;
/**
 * Screening precisions for cases that aim at no tie (screenedOracleTrajectory): the case runs at
 * SCREEN_DIGITS and again at CHECK_DIGITS; where every value agrees to AGREEMENT and lies more than
 * 1e-200 from every boundary, the rounding is the exact value's, as ORACLE_DIGITS would find it.
 */
export const SCREEN_DIGITS = 300;
const CHECK_DIGITS = 400;
/**
 * A cancellation that loses k digits leaves an error near 10^(k−P) at P digits, so the runs at 300
 * and 400 digits differ by about the 300-digit run's own error: agreeing to 1e-250 shows fewer than
 * 50 digits lost, and the value five orders inside its 1e-200 distance from any boundary.
 */
const AGREEMENT = new Dec('1e-250');
/** A value this close to a boundary (relative) is beyond the resolution of an oracle run at `oracleDigits`. */
const resolution = (oracleDigits: number) => new Dec(`1e-${oracleDigits - 100}`);

/** Thrown by a screening run for a value it cannot decide: a boundary within its resolution. */
class Undecided extends Error {}

export interface OracleValue {
  readonly where: string;
  readonly exact: Dec;
  readonly rounded: Partial<Record<Dtype, number>>;
  readonly text: string;
  /** a dtype rounding or the text that was an exact tie */
  readonly ties: number;
  /** a dtype rounding within 1e-45 relative of its boundary without being on it */
  readonly nearTies: number;
}

/** The dtype value nearest d, ties to even; `gap`: the distance from d to the boundary, relative to |d|. */
export function nearest(d: Dec, dtype: Dtype): { value: number; gap: Dec } {
  if (d.isZero()) return { value: d.isNeg() ? -0 : 0, gap: new Dec(Infinity) };
  const top = maxFinite(dtype);
  const limit = exact(top).plus(exact(ulp(top, dtype)).div(2));
  if (d.abs().gte(limit)) return { value: d.isNeg() ? -Infinity : Infinity, gap: d.abs().minus(limit).div(d.abs()) };
  const a = roundDoubleToDtype(Number(d.toString()), dtype);
  // a and its neighbours (± half a spacing reaches the finer neighbour below a power of two)
  const u = ulp(a, dtype);
  const around = [a, a + u, a - u, a + u / 2, a - u / 2].map((x) => roundDoubleToDtype(x, dtype));
  const candidates = [...new Set(around.filter((x) => Number.isFinite(x) && Math.abs(x) <= top))];
  const scored = candidates.map((c) => ({ c, dist: exact(c).minus(d).abs() })).sort((x, y) => x.dist.cmp(y.dist));
  const [best, second] = scored;
  const gap = second.dist.minus(best.dist).div(2).div(d.abs());
  let value = best.c;
  if (best.dist.eq(second.dist)) value = even(best.c, dtype) ? best.c : second.c;
  return { value: value === 0 ? (d.isNeg() ? -0 : 0) : value, gap };
}

function even(x: number, dtype: Dtype): boolean {
  if (x === 0) return true;
  return (Math.abs(x) / ulp(x, dtype)) % 2 === 0;
}

/** d correctly rounded to `digits` significant digits, and its gap to the half-points (relative). */
export function nearestDigits(d: Dec, digits: number): { text: string; gap: Dec } {
  if (!d.isFinite() || d.isZero()) return { text: d.toString(), gap: new Dec(Infinity) };
  const r = d.toSignificantDigits(digits, Dec.ROUND_HALF_EVEN);
  const down = d.toSignificantDigits(digits, Dec.ROUND_DOWN);
  const half = down.minus(d.toSignificantDigits(digits, Dec.ROUND_UP)).abs().div(2);
  const gap = half.eq(0) ? new Dec(Infinity) : half.minus(d.minus(down).abs()).abs().div(d.abs());
  return { text: r.toString(), gap };
}

/**
 * Every output of a case, by the oracle: each dtype's rounding and the `digits`-digit string.
 * `exactTies`: the case is built of exact operations, so a value on a boundary is a tie.
 */
export function oracleTrajectory(
  def: OptimizerDef,
  input: CaseInput,
  dtypes: readonly Dtype[],
  digits: number,
  exactTies: boolean,
  oracleDigits = ORACLE_DIGITS,
  screening = false,
): OracleValue[] {
  const saved = precision();
  setPrecision(oracleDigits);
  try {
    const out: OracleValue[] = [];
    referenceTrajectory(def, input).forEach((s, k) => {
      const outputs: [string, Dec[]][] = [['params', s.params], ...Object.entries(s.state).filter((e): e is [string, Dec[]] => typeof e[1] !== 'number')];
      for (const [name, values] of outputs)
        values.forEach((d, i) => out.push(judge(`step ${k + 1} ${name}[${i}]`, d, dtypes, digits, exactTies, oracleDigits, screening)));
    });
    return out;
  } finally {
    setPrecision(saved);
  }
}

/**
 * The same verdict as oracleTrajectory at ORACLE_DIGITS, for a case not built to hold ties, at a
 * fraction of its cost (NAdam's 0.96^(t·ψ) costs ten times less at 400 digits than at 1,200): the
 * runs at SCREEN_DIGITS and CHECK_DIGITS decide it where they agree (AGREEMENT) — a value on a
 * boundary, or zero, only where both hold it exactly, which is the 1,200-digit run's own test of an
 * exact value (short of its precision) — and ORACLE_DIGITS does wherever they do not, or a value
 * lies within a run's resolution of a boundary.
 */
export function screenedOracleTrajectory(def: OptimizerDef, input: CaseInput, dtypes: readonly Dtype[], digits: number): OracleValue[] {
  try {
    const screen = oracleTrajectory(def, input, dtypes, digits, false, SCREEN_DIGITS, true);
    const check = oracleTrajectory(def, input, dtypes, digits, false, CHECK_DIGITS, true);
    if (screen.length === check.length && screen.every((v, k) => agree(v, check[k]))) return screen;
  } catch (e) {
    if (!(e instanceof Undecided)) throw e;
  }
  return oracleTrajectory(def, input, dtypes, digits, false);
}

/** Two runs' values of one output agree: the same verdicts, and the same value (exactly, for a tie) or within AGREEMENT. */
function agree(a: OracleValue, b: OracleValue): boolean {
  const verdicts = a.where === b.where && a.text === b.text && a.ties === b.ties && a.nearTies === b.nearTies;
  if (!verdicts || Object.entries(a.rounded).some(([dtype, x]) => !Object.is(x, b.rounded[dtype as Dtype]))) return false;
  if (a.ties > 0 || !a.exact.isFinite() || a.exact.isZero()) return a.exact.eq(b.exact) || (a.exact.isNaN() && b.exact.isNaN());
  return a.exact.minus(b.exact).abs().lte(a.exact.abs().times(AGREEMENT));
}

function judge(where: string, d: Dec, dtypes: readonly Dtype[], digits: number, exactTies: boolean, oracleDigits: number, screening: boolean): OracleValue {
  let ties = 0;
  let nearTies = 0;
  const short = d.isFinite() && !d.isZero() && d.sd() <= oracleDigits - 100;
  // a screening run hands what it cannot decide to ORACLE_DIGITS; a short value on a boundary it
  // decides as that run would (taken for exact, it is the same value at every precision)
  const undecided = (message: string) => (screening ? new Undecided(message) : new Error(message));
  const check = (gap: Dec, what: string) => {
    if (gap.isZero()) {
      if (!exactTies && !short) throw undecided(`oracle: ${where} ${what} lies on a rounding boundary in a case not built of exact operations`);
      ties += 1;
    } else if (gap.lt(resolution(oracleDigits)))
      throw undecided(`oracle: ${where} ${what} is within ${gap.toExponential(2)} of a boundary, beyond the oracle's resolution`);
    else if (gap.lt('1e-45')) nearTies += 1;
  };
  const rounded: Partial<Record<Dtype, number>> = {};
  if (d.isFinite()) {
    for (const dtype of dtypes) {
      const { value, gap } = nearest(d, dtype);
      check(gap, dtype);
      rounded[dtype] = value;
    }
  } else for (const dtype of dtypes) rounded[dtype] = d.toNumber();
  const { text, gap } = nearestDigits(d, digits);
  check(gap, `${digits}-digit string`);
  return { where, exact: d, rounded, text, ties, nearTies };
}

export { DTYPES };
