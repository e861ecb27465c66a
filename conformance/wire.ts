/**
 * Number encoding on the optconf/1 wire (spec/protocol.md): JSON numbers are doubles read and
 * written exactly; NaN and the infinities travel as strings; negative zero is written `-0`.
 */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** PROTO-3: a double as it travels. */
export function encodeNumber(x: number): WireNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

/** PROTO-3: a wire value as a double, or undefined when it is not a number on the wire. */
export function decodeNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (x === 'NaN') return NaN;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  return undefined;
}

const NEG_ZERO = '\u0000optconf-negative-zero\u0000';

/** PROTO-3: one JSON line, with -0 kept as `-0` (JSON.stringify would write `0`) and non-finite numbers as strings. */
export function stringifyLine(message: unknown): string {
  const text = JSON.stringify(message, (_key, value: unknown) => {
    if (typeof value !== 'number') return value;
    if (Object.is(value, -0)) return NEG_ZERO;
    return encodeNumber(value);
  });
  return text.split(JSON.stringify(NEG_ZERO)).join('-0');
}

/** PROTO-3: wire numbers (or a reply already parsed into a Float64Array, conformance/stream-json.ts) as doubles. */
export function decodeWireArray(values: unknown, n: number, what: string): Float64Array {
  if (values instanceof Float64Array) {
    if (values.length !== n) throw new Error(`${what} has ${values.length} elements, expected ${n}`);
    return values;
  }
  if (!Array.isArray(values)) throw new Error(`${what} is missing`);
  if (values.length !== n) throw new Error(`${what} has ${values.length} elements, expected ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = decodeNumber(values[i]);
    if (d === undefined) throw new Error(`${what}[${i}] is not a number: ${JSON.stringify(values[i])}`);
    out[i] = d;
  }
  return out;
}
