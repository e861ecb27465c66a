/**
 * Capability ranges (spec/protocol.md PROTO-4): a hello reply's `ranges` say which values of a
 * numeric hyperparameter an implementation accepts — `[lo, hi]`, both ends included, or
 * `{"exclusiveMinimum": lo, "exclusiveMaximum": hi}` and the like, JSON Schema's words, for open
 * ends. Generation keeps every value it sends inside them, per-step overrides included, so shrinking
 * (which only picks among generated values) does too.
 */
import { findOptimizer, type Family } from '../../../reference/registry.ts';
import type { WireRange, WireRanges } from '../../protocol/messages.ts';

export interface Interval {
  readonly lo: number;
  readonly hi: number;
  readonly loOpen: boolean;
  readonly hiOpen: boolean;
}

/** PROTO-4: a wire range as an interval; an end not given is unbounded. */
export function intervalOf(range: WireRange): Interval {
  if (Array.isArray(range)) return { lo: range[0], hi: range[1], loOpen: false, hiOpen: false };
  const r = range as Exclude<WireRange, readonly number[]>;
  const lo = r.exclusiveMinimum ?? r.minimum ?? -Infinity;
  const hi = r.exclusiveMaximum ?? r.maximum ?? Infinity;
  return { lo, hi, loOpen: r.exclusiveMinimum !== undefined, hiOpen: r.exclusiveMaximum !== undefined };
}

/** Whether x lies in the interval. */
export function inside(x: number, r: Interval): boolean {
  return (r.loOpen ? x > r.lo : x >= r.lo) && (r.hiOpen ? x < r.hi : x <= r.hi);
}

/** The interval as spec/protocol.md writes it: `(0, 1)`, `[0, 1]`, `[0.001, ∞)`. */
export function describeInterval(r: Interval): string {
  const end = (x: number) => (x === Infinity ? '∞' : x === -Infinity ? '−∞' : String(x));
  return `${r.loOpen || r.lo === -Infinity ? '(' : '['}${end(r.lo)}, ${end(r.hi)}${r.hiOpen || r.hi === Infinity ? ')' : ']'}`;
}

/** What the runner may send for a numeric hyperparameter, before any range (the pins' rule, hyperparameters.ts `checkPins`). */
function domainOf(name: string): Interval {
  if (['momentum', 'alpha', 'beta1', 'beta2', 'beta'].includes(name)) return { lo: 0, hi: 1, loOpen: false, hiOpen: true };
  if (name === 'dampening') return { lo: 0, hi: 1, loOpen: false, hiOpen: false };
  return { lo: 0, hi: Infinity, loOpen: false, hiOpen: true };
}

/**
 * Values to try inside an interval none of the usual choices falls in: its closed ends, its
 * midpoint and (for a positive one) its geometric midpoint, each made a value the runner can send
 * (`value`) and kept only when still inside both the interval and the hyperparameter's domain.
 */
function fallbacks(name: string, r: Interval, value: (x: number) => number): number[] {
  const domain = domainOf(name);
  const lo = Math.max(r.lo, domain.lo);
  const hi = Math.min(r.hi, domain.hi);
  const raw = [
    ...(r.loOpen ? [] : [lo]),
    ...(Number.isFinite(hi) ? [(lo + hi) / 2] : [lo + 1, lo * 2]),
    ...(lo > 0 && Number.isFinite(hi) ? [Math.sqrt(lo * hi)] : []),
    ...(r.hiOpen || !Number.isFinite(hi) ? [] : [hi]),
  ];
  const values = raw.map(value).filter((x) => inside(x, r) && inside(x, domain));
  return [...new Set(values)];
}

/**
 * PROTO-4: the weighted choices of a hyperparameter kept inside its range (the canonical value
 * first still, so failures shrink toward it); when none is inside, values inside the range instead.
 */
export function choicesWithin<T extends number>(
  name: string,
  choices: readonly (readonly [T, number])[],
  range: Interval | undefined,
  value: (x: number) => number,
): (readonly [number, number])[] {
  if (range === undefined) return [...choices];
  const kept = choices.filter(([x]) => inside(x, range));
  return kept.length > 0 ? kept : fallbacks(name, range, value).map((x) => [x, 1] as const);
}

/**
 * PROTO-4: checks the ranges against the family once, when the arbitrary is built: unknown or
 * boolean names, an empty interval, a pin outside its range and a range the runner has no value
 * to send in are errors naming the hyperparameter.
 */
export function checkRanges(family: Family, ranges: WireRanges, fixed: Readonly<Record<string, number | boolean>>, value: (x: number) => number): void {
  const def = findOptimizer(family);
  if (!def) throw new Error(`unknown optimizer family ${family}`);
  for (const [name, wire] of Object.entries(ranges)) {
    const spec = def.hyper.find((s) => s.name === name);
    if (!spec) throw new Error(`ranges: ${family} has no hyperparameter ${name}`);
    if (spec.kind === 'boolean') throw new Error(`ranges: ${family}.${name} is true or false, not a number`);
    const r = intervalOf(wire);
    if (!(r.lo < r.hi || (r.lo === r.hi && !r.loOpen && !r.hiOpen))) throw new Error(`ranges: ${family}.${name} ${describeInterval(r)} is empty`);
    const pin = fixed[name];
    if (typeof pin === 'number' && !inside(pin, r)) throw new Error(`ranges: ${family}.${name} is pinned to ${pin}, outside its range ${describeInterval(r)}`);
    if (fallbacks(name, r, value).length === 0 && !(typeof pin === 'number'))
      throw new Error(`ranges: ${family}.${name} ${describeInterval(r)} holds no value the runner can send (float32-exact, valid for ${name})`);
  }
}
