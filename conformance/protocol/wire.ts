/**
 * Number encoding on the optconf/1 wire (spec/protocol.md): JSON numbers are doubles read and
 * written exactly; NaN and the infinities travel as strings; negative zero is written `-0`. A
 * tensor array may instead travel as base64 bytes (PROTO-9).
 */
import type { Dtype } from '../../reference/dtype.ts';

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

/**
 * PROTO-6: an array of strings already written as JSON — its elements' text in pieces, each a run
 * of comma-separated JSON strings, as ASCII bytes — that the writer (stream-json.ts) sends as they
 * are. A large reply's `exact` strings travel so from the reference's worker threads to the wire:
 * some buffers, moved between threads, not hundreds of thousands of strings to copy, collect,
 * encode and write one by one.
 */
export class JsonStrings {
  readonly pieces: readonly Uint8Array[];

  constructor(
    /** the number of strings */
    readonly length: number,
    pieces: readonly Uint8Array[],
  ) {
    // a piece of no strings would leave a stray comma
    this.pieces = pieces.filter((piece) => piece.length > 0);
  }

  /** The JSON text of the array. */
  private text(): string {
    return `[${this.pieces.map((piece) => latin1(piece, 0, piece.length)).join(',')}]`;
  }

  /** The strings themselves (JSON.stringify, and a reader in process, see the array). */
  toJSON(): string[] {
    return JSON.parse(this.text()) as string[];
  }
}

/** Bytes [start, end) as a string, one character per byte (ASCII JSON text, base64). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  return b instanceof Buffer
    ? (b as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(start, end)
    : Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

const NEG_ZERO = '\u0000optconf-negative-zero\u0000';

/** PROTO-3: one JSON line, with -0 kept as `-0` (JSON.stringify would write `0`) and non-finite numbers as strings. */
export function stringifyLine(message: unknown): string {
  return stringifyWire(message);
}

/**
 * PROTO-3: JSON text numbered as the wire numbers it — -0 kept, NaN and ±∞ as `"NaN"`,
 * `"Infinity"`, `"-Infinity"` (JSON.stringify would write `0` and `null`) — so a case printed in a
 * report replays; `space` indents as JSON.stringify's.
 */
export function stringifyWire(value: unknown, space?: number): string {
  const text = JSON.stringify(
    value,
    (_key, x: unknown) => {
      if (typeof x !== 'number') return x;
      if (Object.is(x, -0)) return NEG_ZERO;
      return encodeNumber(x);
    },
    space,
  );
  return text.split(JSON.stringify(NEG_ZERO)).join('-0');
}

/**
 * PROTO-3, PROTO-9: wire numbers (or a reply already parsed into a Float64Array,
 * conformance/protocol/stream-json.ts, or a base64 array) as doubles; a malformed array throws an error
 * that begins with `what`.
 */
export function decodeWireArray(values: unknown, n: number, what: string): Float64Array {
  if (looksBase64Encoded(values)) values = decodeBase64Array(values, what);
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

// ---------------------------------------------------------------------------------------------
// PROTO-9: tensor arrays as base64

/** The element types a base64 array may carry (PROTO-9). */
export type Base64Dtype = 'float32' | 'float64';

/** PROTO-9: a tensor array as the bytes of its values, little-endian IEEE 754, in base64. */
export interface Base64Array {
  readonly dtype: Base64Dtype;
  readonly base64: string;
}

const ELEMENT_BYTES: Readonly<Record<Base64Dtype, number>> = { float32: 4, float64: 8 };

/** Typed arrays use the platform's byte order; the wire's is little-endian (a big-endian host goes through a DataView). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Arrays decoded from base64 and the dtype of their bytes, so a server can answer in the encoding it
 * was asked in (conformance/protocol/serve.ts) and a float32 array needs no representability check.
 */
const FROM_BASE64 = new WeakMap<Float64Array, Base64Dtype>();

/** PROTO-9: float32 carries every float32, bfloat16 and float16 value exactly; float64 the rest. */
export function base64DtypeFor(dtype: Dtype): Base64Dtype {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/** PROTO-9: whether a parsed value is an object: where a tensor array belongs, that can only be a base64 array, well-formed or not. */
export function looksBase64Encoded(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** PROTO-9: whether an array was read from a base64 array (by `decodeBase64Array`). */
export function cameAsBase64(values: unknown): boolean {
  return values instanceof Float64Array && FROM_BASE64.has(values);
}

/** PROTO-9: the dtype of the bytes an array was read from, when it was read from a base64 array. */
export function base64DtypeOf(values: unknown): Base64Dtype | undefined {
  return values instanceof Float64Array ? FROM_BASE64.get(values) : undefined;
}

/**
 * PROTO-9: standard base64 with padding (RFC 4648 §4), nothing else. Buffer.from skips characters
 * it does not know and also takes the URL-safe alphabet, so the text is checked by encoding the
 * decoded bytes again: only canonical base64 survives the round trip.
 */
export function isStrictBase64(text: string, bytes: Buffer = Buffer.from(text, 'base64')): boolean {
  if (text.length % 4 !== 0 || bytes.length !== (text.length / 4) * 3 - padding(text)) return false;
  // every character was decoded (a skipped one shortens the bytes); the URL-safe alphabet decodes too, so refuse it
  if (text.includes('-') || text.includes('_')) return false;
  // canonical: only the last quantum can hide nonzero unused bits, so encoding its bytes again must give it back
  const tail = 3 - padding(text);
  return text.length === 0 || bytes.subarray(bytes.length - tail).toString('base64') === text.slice(-4);
}

function padding(text: string): number {
  return text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
}

/** Why text is not strict base64, for the error message. */
function base64Problem(text: string): string {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) return `base64 has ${JSON.stringify(bad[0])} at character ${bad.index}`;
  // padding: one or two "=" at the very end, nowhere else
  const pad = text.indexOf('=');
  if (pad !== -1 && (pad < text.length - 2 || /[^=]/.test(text.slice(pad)))) return `base64 has "=" at character ${pad}`;
  if (text.length % 4 !== 0) return `base64 text has length ${text.length}, not a multiple of 4`;
  return 'base64 is not canonical (padding or unused bits)';
}

/**
 * PROTO-9: an encoded array as doubles, exactly (−0, the infinities and NaN included). Malformed
 * input — an unknown or missing dtype, text that is not strict base64, a byte count that is not a
 * whole number of elements, a field other than `dtype` and `base64` — throws an error that begins
 * with `what`, the array's name (`step 2 params: …`). The length is the caller's to check.
 */
export function decodeBase64Array(value: unknown, what: string, allocate: (n: number) => Float64Array = (n) => new Float64Array(n)): Float64Array {
  if (!looksBase64Encoded(value)) throw new Error(`${what} is not a base64 array`);
  for (const key of Object.keys(value))
    if (key !== 'dtype' && key !== 'base64') throw new Error(`${what}: unexpected field ${JSON.stringify(key)} in a base64 array`);
  const { dtype, base64 } = value;
  if (dtype === undefined) throw new Error(`${what}: base64 array has no dtype`);
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${what}: base64 dtype ${JSON.stringify(dtype)} is neither float32 nor float64`);
  if (base64 === undefined) throw new Error(`${what}: base64 array has no base64 field`);
  if (typeof base64 !== 'string') throw new Error(`${what}: base64 is not a string`);
  const bytes = decodeIntoScratch(base64);
  if (!isStrictBase64(base64, bytes)) throw new Error(`${what}: ${base64Problem(base64)}`);
  const size = ELEMENT_BYTES[dtype];
  if (bytes.length % size !== 0) throw new Error(`${what}: base64 holds ${bytes.length} bytes, not a multiple of ${size} (${dtype})`);
  const out = allocate(bytes.length / size);
  readElements(bytes, dtype, out);
  FROM_BASE64.set(out, dtype);
  return out;
}

/**
 * Base64 text decoded into one reused buffer (the bytes are copied out at once by `readElements`):
 * a fresh buffer per array would be memory touched for the first time, which costs here more than
 * the decoding itself (issue 5). Buffer.write decodes as leniently as Buffer.from; isStrictBase64
 * checks the result the same way.
 */
let SCRATCH = Buffer.allocUnsafeSlow(1 << 16);
function decodeIntoScratch(base64: string): Buffer {
  const most = Math.ceil(base64.length / 4) * 3;
  // allocUnsafeSlow: a buffer of its own, never a slice of Node's pool, so it starts aligned
  if (SCRATCH.length < most) SCRATCH = Buffer.allocUnsafeSlow(Math.max(most, 2 * SCRATCH.length));
  return SCRATCH.subarray(0, SCRATCH.write(base64, 'base64'));
}

/** Little-endian elements into doubles; `bytes` is the scratch buffer, which starts at offset 0 of its own memory. */
function readElements(bytes: Buffer, dtype: Base64Dtype, out: Float64Array): void {
  const size = ELEMENT_BYTES[dtype];
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = dtype === 'float32' ? view.getFloat32(i * size, true) : view.getFloat64(i * size, true);
    return;
  }
  const View = dtype === 'float32' ? Float32Array : Float64Array;
  out.set(new View(bytes.buffer as ArrayBuffer, bytes.byteOffset, out.length));
}

/**
 * PROTO-9: wire numbers (or doubles) as a base64 array of `dtype`. A value float32 cannot hold
 * exactly goes out as float64 instead, so the bytes always carry exactly the values given (only a
 * request that breaks PROTO-3 on purpose has such a value; the implementation reports it as before).
 */
export function encodeBase64Array(values: ArrayLike<WireNumber>, dtype: Base64Dtype): Base64Array {
  const doubles = values instanceof Float64Array ? values : wireDoubles(values);
  if (dtype === 'float32') {
    const narrow = Float32Array.from(doubles);
    if (holdsExactly(narrow, doubles)) return { dtype, base64: elementBytes(narrow).toString('base64') };
  }
  return { dtype: 'float64', base64: elementBytes(doubles).toString('base64') };
}

function wireDoubles(values: ArrayLike<WireNumber>): Float64Array {
  const doubles = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = decodeNumber(values[i]);
    if (d === undefined) throw new Error(`element ${i} is not a number: ${JSON.stringify(values[i])}`);
    doubles[i] = d;
  }
  return doubles;
}

/** Whether narrowing lost nothing (a NaN stays a NaN; its payload is not carried, PROTO-9). */
function holdsExactly(narrow: Float32Array, doubles: Float64Array): boolean {
  for (let i = 0; i < narrow.length; i++) if (narrow[i] !== doubles[i] && !Number.isNaN(doubles[i])) return false;
  return true;
}

/** The little-endian bytes of a typed array. */
function elementBytes(values: Float32Array | Float64Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.byteLength);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  values.forEach((x, i) => (values instanceof Float32Array ? view.setFloat32(i * 4, x, true) : view.setFloat64(i * 8, x, true)));
  return out;
}
