/**
 * Streaming JSON Lines for large optconf/1 messages (spec/protocol.md, PROTO-1, PROTO-3, PROTO-9): a
 * reader that parses a reply as its bytes arrive — numbers and base64 arrays straight into
 * Float64Arrays, so a 360 MB reply never exists as one string or as arrays of boxed values — and a
 * writer that sends a request in chunks. The wire format is unchanged: the writer's bytes are
 * `stringifyLine`'s.
 */
import { JsonStrings, decodeBase64Array, encodeNumber, latin1 } from './wire.ts';

/** A parsed line, or why it is not JSON (with the line's first bytes, for the message). */
export type ParsedLine =
  | { readonly ok: true; readonly value: unknown; readonly bytes: number }
  | { readonly ok: false; readonly error: string; readonly head: string; readonly bytes: number };

/** Arrays of at least this many numbers are read into a SharedArrayBuffer. */
export const SHARED_MIN_ELEMENTS = 65536;

/** A Float64Array for n numbers read off the wire: a large one in shared memory, which checking workers (parallel.ts) read without a copy. */
function numbersArray(n: number): Float64Array {
  return n < SHARED_MIN_ELEMENTS ? new Float64Array(n) : new Float64Array(new SharedArrayBuffer(n * 8));
}

/**
 * After this many bytes of one string the scan jumps to the next quote with indexOf: a base64 array
 * (PROTO-9) is megabytes of plain text, too many to look at one byte at a time in JavaScript.
 */
const LONG_STRING_BYTES = 256;

/** How much of a line a message about it quotes. */
const HEAD_BYTES = 200;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

class NumberList {
  data = new Float64Array(16);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = x;
  }
  take(): Float64Array {
    if (this.length < SHARED_MIN_ELEMENTS) return this.data.slice(0, this.length);
    const out = numbersArray(this.length);
    out.set(this.data.subarray(0, this.length));
    return out;
  }
}

interface ArrayFrame {
  readonly kind: 'array';
  numbers: NumberList | null;
  items: unknown[] | null;
  /** wire strings ("NaN", …) taken as numbers, by position, to give back if the array turns out not numeric */
  wireStrings?: [number, string][];
  /** 0 expecting a value or ], 1 expecting a value, 2 expecting , or ] */
  state: 0 | 1 | 2;
}
interface ObjectFrame {
  readonly kind: 'object';
  readonly value: Record<string, unknown>;
  key: string | undefined;
  /** 0 key or }, 1 key, 2 colon, 3 value, 4 , or } */
  state: 0 | 1 | 2 | 3 | 4;
}
type Frame = ArrayFrame | ObjectFrame;

class Malformed extends Error {}

/** A byte that makes a chunk's strings more than their bytes: a control character other than the newline, a backslash, DEL or non-ASCII. */
const NOT_PLAIN = /[\x00-\x09\x0b-\x1f\\\x7f-\xff]/;

const isWireString = (s: string) => s === 'NaN' || s === 'Infinity' || s === '-Infinity';

/**
 * PROTO-1, PROTO-3, PROTO-9: an incremental parser of JSON Lines. `push` takes bytes as they arrive
 * and returns every line completed by them. An array holding at least one number and nothing but
 * numbers and the wire's "NaN", "Infinity", "-Infinity" becomes a Float64Array (-0 kept); so does a
 * well-formed base64 array (`{"dtype":…,"base64":…}`; a malformed one stays an object, for the
 * layer that knows its name to refuse). Every other value is what JSON.parse gives. A token cut by
 * chunk boundaries is kept as its pieces and joined once, so a multi-megabyte string costs linear
 * time. `maxLineBytes` bounds a line (an output flood).
 */
export class JsonLineReader {
  private stack: Frame[] = [];
  private root: { value: unknown; done: boolean } = { value: undefined, done: false };
  /** a token cut by chunk boundaries: its bytes so far, one piece per chunk */
  private partial: Buffer[] | null = null;
  private partialKind: 'string' | 'number' | 'literal' | null = null;
  /** the partial string ended on a backslash: the next chunk's first byte is escaped */
  private partialEscaped = false;
  private error: string | null = null;
  /** the line's first bytes (at most HEAD_BYTES), for the message about a line that is not JSON */
  private head: Buffer[] = [];
  private headBytes = 0;
  private lineBytes = 0;
  private sawContent = false;
  /** the chunk `text` was read from, its text when plain (plainText), and where its next newline is */
  private textOf: Buffer | null = null;
  private text: string | undefined;
  private newlineAt = -1;

  constructor(readonly maxLineBytes: number = Infinity) {}

  /** Bytes of the line being read so far. */
  get pendingBytes(): number {
    return this.lineBytes;
  }

  /**
   * Gives up on the line being read (too long, say): the rest of it is skipped unparsed, what was
   * parsed is dropped, and the line ends as a malformed one with `reason`.
   */
  abandon(reason: string): void {
    if (this.error !== null) return;
    this.malformed(reason);
    this.stack = [];
    this.root = { value: undefined, done: false };
    this.sawContent = true;
  }

  /** The end of the input: a last line without its newline, if any. */
  end(): ParsedLine[] {
    return this.push(Buffer.from('\n'));
  }

  /**
   * The lines this chunk completes. The reader keeps views of a chunk's bytes while a token runs
   * on past its end (a base64 array spans many chunks), so a chunk must not be changed once pushed —
   * as a stream's 'data' chunks never are.
   */
  push(chunk: Buffer): ParsedLine[] {
    const out: ParsedLine[] = [];
    let i = 0;
    const n = chunk.length;
    let lineStart = 0;
    while (i < n) {
      if (this.partial !== null) {
        i = this.guarded(chunk, i);
        continue;
      }
      const c = chunk[i];
      if (c === 10) {
        this.noteHead(chunk, lineStart, i);
        this.lineBytes += i - lineStart;
        const line = this.finishLine();
        if (line) out.push(line);
        i++;
        lineStart = i;
        continue;
      }
      if (this.error !== null) {
        // skip the rest of a malformed line
        const nl = chunk.indexOf(10, i);
        i = nl === -1 ? n : nl;
        continue;
      }
      if (c === 32 || c === 9 || c === 13) {
        i++;
        continue;
      }
      this.sawContent = true;
      i = this.guarded(chunk, i);
    }
    this.noteHead(chunk, lineStart, n);
    this.lineBytes += n - lineStart;
    return out;
  }

  /**
   * PROTO-8: reads the token at i, or the rest of one cut by the previous chunk, in one handler: however
   * the bytes arrive, a malformed line ends as the same malformed line, never as a throw.
   */
  private guarded(chunk: Buffer, i: number): number {
    try {
      return this.partial !== null ? this.continuePartial(chunk, i) : this.token(chunk, i);
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      this.malformed(e.message);
      return i;
    }
  }

  /** The line is malformed: the rest of it is skipped (a cut token's pieces with it). */
  private malformed(reason: string): void {
    this.error = reason;
    this.partial = null;
    this.partialKind = null;
    this.partialEscaped = false;
  }

  /** Keeps the line's first bytes as bytes, decoded once the line ends: a character cut by a chunk boundary reads the same. */
  private noteHead(chunk: Buffer, from: number, to: number): void {
    const room = HEAD_BYTES - this.headBytes;
    if (room <= 0 || to <= from) return;
    const piece = chunk.subarray(from, Math.min(to, from + room));
    this.head.push(piece);
    this.headBytes += piece.length;
  }

  private finishLine(): ParsedLine | null {
    const bytes = this.lineBytes;
    const head = Buffer.concat(this.head).toString('utf8');
    const error = this.error;
    const complete = this.root.done && this.stack.length === 0;
    const saw = this.sawContent;
    const value = this.root.value;
    this.reset();
    if (!saw && error === null) return null; // a blank line
    if (error !== null) return { ok: false, error, head, bytes };
    if (!complete) return { ok: false, error: 'unexpected end of line', head, bytes };
    return { ok: true, value, bytes };
  }

  private reset(): void {
    this.stack = [];
    this.root = { value: undefined, done: false };
    this.partial = null;
    this.partialKind = null;
    this.error = null;
    this.partialEscaped = false;
    this.head = [];
    this.headBytes = 0;
    this.lineBytes = 0;
    this.sawContent = false;
  }

  /** A complete value for the innermost container (or the root). */
  private value(v: unknown, isNumber: boolean): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      if (this.root.done) throw new Malformed('more than one value on the line');
      this.root.value = v;
      this.root.done = true;
      return;
    }
    if (top.kind === 'array') {
      if (top.state === 2) throw new Malformed('expected , or ] in an array');
      if (top.items === null && (isNumber || (typeof v === 'string' && isWireString(v)))) {
        const x = typeof v === 'number' ? v : Number(v);
        (top.numbers ??= new NumberList()).push(x);
      } else {
        if (top.items === null) {
          top.items = [];
          const nums = top.numbers;
          if (nums) for (let k = 0; k < nums.length; k++) top.items.push(nums.data[k]);
          top.numbers = null;
          // strings that were taken as wire numbers are given back as they came
          if (top.wireStrings) for (const [k, s] of top.wireStrings) top.items[k] = s;
        }
        top.items.push(v);
      }
      if (top.items === null && typeof v === 'string') (top.wireStrings ??= []).push([(top.numbers as NumberList).length - 1, v]);
      top.state = 2;
      return;
    }
    if (top.state === 0 || top.state === 1) {
      if (typeof v !== 'string') throw new Malformed('expected a key in an object');
      top.key = v;
      top.state = 2;
      return;
    }
    if (top.state !== 3) throw new Malformed('unexpected value in an object');
    top.value[top.key as string] = v;
    top.state = 4;
  }

  private close(kind: 'array' | 'object'): void {
    const top = this.stack.pop();
    if (top === undefined || top.kind !== kind) throw new Malformed(`unexpected ${kind === 'array' ? ']' : '}'}`);
    if (top.kind === 'array') {
      if (top.state === 1) throw new Malformed('trailing comma in an array');
      // an array of wire strings only (no number) stays an array of strings
      const value =
        top.items ??
        (top.numbers === null ? [] : top.wireStrings && top.wireStrings.length === top.numbers.length ? top.wireStrings.map(([, s]) => s) : top.numbers.take());
      this.value(value, false);
    } else {
      if (top.state === 1 || top.state === 2 || top.state === 3) throw new Malformed('unfinished object');
      // only an object with both fields is tried: the others (the message, its steps) are not arrays
      this.value('base64' in top.value && 'dtype' in top.value ? decodedIfWellFormed(top.value) : top.value, false);
    }
  }

  private token(b: Buffer, i: number): number {
    const c = b[i];
    switch (c) {
      case 123: // {
        this.checkValuePosition();
        this.stack.push({ kind: 'object', value: {}, key: undefined, state: 0 });
        return i + 1;
      case 91: // [
        this.checkValuePosition();
        this.stack.push({ kind: 'array', numbers: null, items: null, state: 0 });
        return i + 1;
      case 125: // }
        this.close('object');
        return i + 1;
      case 93: // ]
        this.close('array');
        return i + 1;
      case 58: {
        // :
        const top = this.stack[this.stack.length - 1];
        if (top?.kind !== 'object' || top.state !== 2) throw new Malformed('unexpected :');
        top.state = 3;
        return i + 1;
      }
      case 44: {
        // ,
        const top = this.stack[this.stack.length - 1];
        if (top === undefined) throw new Malformed('unexpected ,');
        if (top.kind === 'array') {
          if (top.state !== 2) throw new Malformed('unexpected , in an array');
          top.state = 1;
        } else {
          if (top.state !== 4) throw new Malformed('unexpected , in an object');
          top.state = 1;
        }
        return i + 1;
      }
      case 34: // "
        return this.scanString(b, i, i + 1);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.scanNumber(b, i);
        if (c >= 97 && c <= 122) return this.scanLiteral(b, i);
        throw new Malformed(`unexpected character ${JSON.stringify(String.fromCharCode(c))}`);
    }
  }

  private checkValuePosition(): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      if (this.root.done) throw new Malformed('more than one value on the line');
    } else if (top.kind === 'array' ? top.state === 2 : top.state !== 3) throw new Malformed('unexpected value');
  }

  private scanString(b: Buffer, start: number, from: number): number {
    let i = from;
    const n = b.length;
    if (this.partial === null) {
      // a chunk of printable ASCII without escapes: the string is its text up to the next quote, found natively
      const text = this.plainText(b);
      const end = text === undefined ? -1 : text.indexOf('"', from);
      if (end !== -1 && this.nextNewline(text as string, from) > end) {
        this.emitText((text as string).slice(from, end));
        return end + 1;
      }
    }
    // printable ASCII without escapes, in one chunk: the string is its bytes (the reference's millions of `exact` strings)
    let plain = this.partial === null;
    while (i < n) {
      const c = b[i];
      if (c === 92) {
        // a newline ends the line even after a backslash (JSON has no escaped newline)
        if (b[i + 1] === 10) throw new Malformed('unterminated string');
        plain = false;
        i += 2;
        continue;
      }
      if (c === 34) {
        if (plain) this.emitText(latin1(b, start + 1, i));
        else this.emitString(this.partial ? Buffer.concat([...this.partial, b.subarray(start, i + 1)]) : b.subarray(start, i + 1));
        this.partial = null;
        this.partialKind = null;
        return i + 1;
      }
      if (c === 10) throw new Malformed('unterminated string');
      if (c < 32 || c > 126) plain = false;
      i++;
      if (i - from === LONG_STRING_BYTES) {
        i = plainRunEnd(b, i);
        plain = false;
      }
    }
    // i is n, or n + 1 when the chunk ended on a backslash: then the next chunk begins escaped
    this.keepPartial(b, start, 'string');
    this.partialEscaped = i > n;
    return n;
  }

  /**
   * The chunk as text when it holds only printable ASCII (and line ends): no escape, no control
   * character, nothing to decode, so a string in it is its text between the quotes. Computed once
   * per chunk, when a string starts in it (a chunk wholly inside a base64 payload is not looked at).
   */
  private plainText(b: Buffer): string | undefined {
    if (this.textOf !== b) {
      this.textOf = b;
      const text = latin1(b, 0, b.length);
      this.text = NOT_PLAIN.test(text) ? undefined : text;
      this.newlineAt = -1;
    }
    return this.text;
  }

  /** The first newline at or after i in the plain chunk's text (its length when none). */
  private nextNewline(text: string, i: number): number {
    if (this.newlineAt < i) {
      const at = text.indexOf('\n', i);
      this.newlineAt = at === -1 ? text.length : at;
    }
    return this.newlineAt;
  }

  /** A string of printable ASCII without escapes: JSON.parse would give its bytes as they are. */
  private emitText(s: string): void {
    this.checkStringPosition();
    this.value(s, false);
  }

  /** A string may stand where a value may, and as an object's key; the frame on top. */
  private checkStringPosition(): Frame | undefined {
    const top = this.stack[this.stack.length - 1];
    if (!(top !== undefined && top.kind === 'object' && (top.state === 0 || top.state === 1 || top.state === 3))) this.checkValuePosition();
    return top;
  }

  private emitString(bytes: Buffer): void {
    const top = this.checkStringPosition();
    let s: unknown;
    if (top?.kind === 'object' && top.state === 3 && top.key === 'base64' && bytes.indexOf(92) === -1) {
      // PROTO-9: a base64 payload without escapes, taken as it is (one copy, not a UTF-8 decode and a
      // JSON parse of megabytes); a byte outside the base64 alphabet, control characters included,
      // is then refused by the strict base64 check with its position
      s = bytes.toString('latin1', 1, bytes.length - 1);
    } else {
      try {
        s = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new Malformed('bad string');
      }
    }
    this.value(s, false);
  }

  private keepPartial(b: Buffer, start: number, kind: 'string' | 'number' | 'literal'): void {
    // a view, not a copy: chunks are not changed once pushed (see push), and the pieces are joined once
    (this.partial ??= []).push(b.subarray(start));
    this.partialKind = kind;
  }

  /** Continues a token cut by the previous chunk. */
  private continuePartial(b: Buffer, i: number): number {
    const kind = this.partialKind;
    if (kind === 'string') {
      if (this.partialEscaped && b[i] === 10) throw new Malformed('unterminated string');
      return this.scanString(b, i, this.partialEscaped ? i + 1 : i);
    }
    let j = i;
    const n = b.length;
    if (kind === 'number') while (j < n && isNumberByte(b[j])) j++;
    else while (j < n && b[j] >= 97 && b[j] <= 122) j++;
    if (j === n) {
      this.keepPartial(b, i, kind as 'number' | 'literal');
      return n;
    }
    const whole = Buffer.concat([...(this.partial as Buffer[]), b.subarray(i, j)]);
    this.partial = null;
    this.partialKind = null;
    if (kind === 'number') this.emitNumber(whole, 0, whole.length);
    else this.emitLiteral(whole.toString('latin1'));
    return j;
  }

  private scanLiteral(b: Buffer, i: number): number {
    let j = i;
    const n = b.length;
    while (j < n && b[j] >= 97 && b[j] <= 122) j++;
    if (j === n) {
      this.keepPartial(b, i, 'literal');
      return n;
    }
    this.emitLiteral(b.toString('latin1', i, j));
    return j;
  }

  private emitLiteral(s: string): void {
    this.checkValuePosition();
    if (s === 'true') this.value(true, false);
    else if (s === 'false') this.value(false, false);
    else if (s === 'null') this.value(null, false);
    else throw new Malformed(`unexpected ${JSON.stringify(s)}`);
  }

  private scanNumber(b: Buffer, i: number): number {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.kind === 'array' && top.items === null && top.state !== 2) {
      // the hot path: a run of numbers in a numeric array, read without going through the token machinery
      const list = (top.numbers ??= new NumberList());
      const n = b.length;
      let k = i;
      for (;;) {
        let j = k;
        while (j < n && isNumberByte(b[j])) j++;
        if (j === n) {
          top.state = k === i ? top.state : 1;
          this.keepPartial(b, k, 'number');
          return n;
        }
        list.push(parseJsonNumber(b, k, j));
        top.state = 2;
        // "," followed directly by the next number continues the run
        if (b[j] === 44 && j + 1 < n) {
          const c = b[j + 1];
          if (c === 45 || (c >= 48 && c <= 57)) {
            top.state = 1;
            k = j + 1;
            continue;
          }
        }
        return j;
      }
    }
    let j = i;
    const n = b.length;
    while (j < n && isNumberByte(b[j])) j++;
    if (j === n) {
      this.keepPartial(b, i, 'number');
      return n;
    }
    this.emitNumber(b, i, j);
    return j;
  }

  /** A JSON number from bytes [i, j): checked against JSON's grammar, converted exactly. */
  private emitNumber(b: Buffer, i: number, j: number): void {
    this.checkValuePosition();
    this.value(parseJsonNumber(b, i, j), true);
  }
}

/**
 * Where a run of plain string bytes from i ends: at the next quote (or the chunk's end) when no
 * backslash or newline comes before it, else at i (the byte-wise scan takes over).
 */
function plainRunEnd(b: Buffer, i: number): number {
  const quote = b.indexOf(34, i);
  const run = b.subarray(i, quote === -1 ? b.length : quote);
  return run.indexOf(92) === -1 && run.indexOf(10) === -1 ? i + run.length : i;
}

/** PROTO-9: a well-formed base64 array as its doubles; anything else as it came. */
function decodedIfWellFormed(value: Record<string, unknown>): unknown {
  try {
    return decodeBase64Array(value, 'base64 array', numbersArray);
  } catch {
    return value;
  }
}

function isNumberByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69;
}

/**
 * PROTO-3: a JSON number as the double JSON.parse gives (correctly rounded). Up to 15 significant
 * digits and a power of ten up to 22 are converted exactly in double arithmetic (Clinger's fast
 * path); anything else goes through `Number`.
 */
export function parseJsonNumber(b: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = b[i] === 45;
  if (negative) i++;
  if (i >= end) throw new Malformed('bad number');
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  if (b[i] === 48) {
    i++;
    if (i < end && b[i] >= 48 && b[i] <= 57) throw new Malformed('bad number (leading zero)');
  } else if (b[i] >= 49 && b[i] <= 57) {
    while (i < end && b[i] >= 48 && b[i] <= 57) {
      if (digits > 0 || b[i] !== 48) digits++;
      mantissa = mantissa * 10 + (b[i] - 48);
      i++;
    }
  } else throw new Malformed('bad number');
  if (i < end && b[i] === 46) {
    i++;
    const first = i;
    while (i < end && b[i] >= 48 && b[i] <= 57) {
      if (digits > 0 || b[i] !== 48) digits++;
      mantissa = mantissa * 10 + (b[i] - 48);
      scale--;
      i++;
    }
    if (i === first) throw new Malformed('bad number (no digits after the point)');
  }
  let exponent = 0;
  if (i < end && (b[i] === 101 || b[i] === 69)) {
    i++;
    let expNegative = false;
    if (i < end && (b[i] === 43 || b[i] === 45)) {
      expNegative = b[i] === 45;
      i++;
    }
    const first = i;
    while (i < end && b[i] >= 48 && b[i] <= 57) {
      exponent = exponent * 10 + (b[i] - 48);
      i++;
    }
    if (i === first) throw new Malformed('bad number (no exponent digits)');
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) throw new Malformed('bad number');
  const e10 = scale + exponent;
  if (digits <= 15 && e10 >= -22 && e10 <= 22) {
    const x = e10 < 0 ? mantissa / POW10[-e10] : mantissa * POW10[e10];
    return negative ? -x : x;
  }
  const text = latin1(b, start, end);
  const x = Number(text);
  // PROTO-3: every number is a double, and infinities travel as strings; 1e400 is neither
  if (!Number.isFinite(x))
    throw new Malformed(`the number ${text.slice(0, 40)} overflows a double (non-finite values travel as "Infinity" and "-Infinity", PROTO-3)`);
  return x;
}

/** The wire text of a double in an array (PROTO-3): `-0`, "NaN", "Infinity", "-Infinity". */
function numberText(x: number): string {
  if (Object.is(x, -0)) return '-0';
  const w = encodeNumber(x);
  return typeof w === 'string' ? `"${w}"` : String(w);
}

const CHUNK_ELEMENTS = 16384;

/**
 * PROTO-1, PROTO-3: a message as `stringifyLine` writes it, in pieces: long arrays of numbers
 * (plain arrays or Float64Arrays) are written some thousands of numbers at a time.
 */
export function* lineChunks(message: unknown): Generator<string> {
  for (const chunk of wireChunks(message)) yield typeof chunk === 'string' ? chunk : latin1(chunk, 0, chunk.length);
}

/** lineChunks's pieces, with JSON text held as bytes (JsonStrings) left as bytes. */
function* wireChunks(message: unknown): Generator<string | Uint8Array> {
  yield* valueChunks(message);
  yield '\n';
}

function* valueChunks(v: unknown): Generator<string | Uint8Array> {
  if (v instanceof JsonStrings) {
    yield '[';
    for (let k = 0; k < v.pieces.length; k++) {
      if (k > 0) yield ',';
      yield v.pieces[k];
    }
    yield ']';
    return;
  }
  // long arrays of numbers, or of strings (the reference's `exact`), a chunk of elements at a time
  if (v instanceof Float64Array || (Array.isArray(v) && v.length > CHUNK_ELEMENTS && v.every((x) => typeof x === 'number' || typeof x === 'string'))) {
    const a = v as ArrayLike<number | string>;
    for (let s = 0; s < a.length; s += CHUNK_ELEMENTS) {
      const end = Math.min(a.length, s + CHUNK_ELEMENTS);
      // a chunk of strings (the reference's millions of `exact` strings) in one native stringify: the same bytes
      const strings = Array.isArray(v) && typeof v[s] === 'string' ? (v.slice(s, end) as unknown[]) : undefined;
      if (strings !== undefined && allStrings(strings)) {
        yield `${s === 0 ? '[' : ','}${JSON.stringify(strings).slice(1, -1)}`;
        continue;
      }
      const parts: string[] = [];
      for (let k = s; k < end; k++) {
        const x = a[k];
        parts.push(typeof x === 'number' ? numberText(x) : JSON.stringify(x));
      }
      yield `${s === 0 ? '[' : ','}${parts.join(',')}`;
    }
    yield a.length === 0 ? '[]' : ']';
    return;
  }
  if (Array.isArray(v)) {
    if (v.length <= CHUNK_ELEMENTS && !v.some((x) => typeof x === 'object' && x !== null)) {
      yield arrayText(v);
      return;
    }
    yield '[';
    for (let k = 0; k < v.length; k++) {
      if (k > 0) yield ',';
      yield* valueChunks(v[k] === undefined || typeof v[k] === 'function' ? null : v[k]);
    }
    yield ']';
    return;
  }
  if (typeof v === 'object' && v !== null) {
    yield '{';
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || typeof x === 'function') continue;
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* valueChunks(x);
    }
    yield '}';
    return;
  }
  if (typeof v === 'number') {
    yield numberText(v);
    return;
  }
  yield JSON.stringify(v);
}

function allStrings(v: readonly unknown[]): boolean {
  for (let k = 0; k < v.length; k++) if (typeof v[k] !== 'string') return false;
  return true;
}

function arrayText(v: readonly unknown[]): string {
  // strings only (the reference's `exact`): one native stringify, the same bytes
  if (allStrings(v)) return JSON.stringify(v);
  return `[${v.map((x) => (typeof x === 'number' ? numberText(x) : x === undefined || typeof x === 'function' ? 'null' : JSON.stringify(x))).join(',')}]`;
}

/**
 * PROTO-1: writes one message as a line, in pieces of about 1 MiB (the same bytes as stringifyLine's),
 * never as one string; text already held as bytes (JsonStrings) is written as it is.
 */
export async function writeMessageLine(message: unknown, write: (chunk: string | Uint8Array) => Promise<void>): Promise<void> {
  let batch = '';
  for (const piece of wireChunks(message)) {
    if (typeof piece !== 'string') {
      if (batch !== '') await write(batch);
      batch = '';
      await write(piece);
      continue;
    }
    batch += piece;
    if (batch.length >= 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  if (batch !== '') await write(batch);
}

/** A parsed message with every Float64Array (numbers only, by construction) replaced by an empty array, for schema validation. */
export function schemaSkeleton(v: unknown): unknown {
  if (v instanceof Float64Array) return [];
  if (Array.isArray(v)) return v.map(schemaSkeleton);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, schemaSkeleton(x)]));
  return v;
}
