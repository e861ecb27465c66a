/**
 * The streaming reader (conformance/protocol/stream-json.ts) never throws outside its handler
 * (spec/protocol.md PROTO-8): every reply, honest or malformed, read in pieces cut anywhere gives
 * exactly what it gives read whole — the same values, or the same clean protocol error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLineReader, type ParsedLine } from '../../conformance/protocol/stream-json.ts';

/** 40 doubles as float64 base64: a string past the reader's long-string fast path. */
const LONG_BASE64 = Buffer.from(new Float64Array(Array.from({ length: 40 }, (_, k) => k / 3)).buffer).toString('base64');

/** Reply lines and what reading each whole gives: `true` for a value, else the error (written here, not copied from the code). */
const CORPUS: [string, true | string][] = [
  ['{"op":"hello","protocol":"optconf/1","implementation":"x é ü 😀 ✓","supports":[{"optimizer":"sgd","dtypes":["float64"]}],"base64Arrays":true}', true],
  [
    '{"op":"result","id":"c1","steps":[{"params":[0.10000000149011612,-0,1e-308,"NaN","Infinity","-Infinity",123456789012345678,5e-324,-1.5E+3],"state":{"step":1,"momentum_buffer":[1.5,-2.25e10]}}]}',
    true,
  ],
  [`{"op":"result","id":"c2","steps":[{"params":{"dtype":"float64","base64":"${LONG_BASE64}"}}]}`, true],
  [
    '{"op":"error","id":"c3","message":"a \\"quoted\\" \\\\ back\\\\nslash \\u00e9 \\ud83d\\ude00 tab\\t and a long tail ' + 'z'.repeat(300) + ' \\n end"}',
    true,
  ],
  ['{"t":true,"f":false,"n":null,"nested":[[1,2],[],["NaN","x"],["NaN"],[{"a":[3]}]]}\r', true],
  ['', true], // a blank line: nothing
  ['{"op":"result","id":"c1","steps":[{"params":[nan,inf,-inf]}]}', 'unexpected "nan"'], // C's %.17g
  ['{"op":"result","id":"c1","steps":[{"params":[1.5,inf]}]}', 'unexpected "inf"'],
  ['{"op":"result","id":"c1","steps":[{"params":[-inf,1]}]}', 'bad number'],
  ['{"op":"result","id":"c1","steps":[{"params":[1,-nan]}]}', 'bad number'],
  ['[NaN]', 'unexpected character "N"'],
  ['[Infinity]', 'unexpected character "I"'],
  ['Loading library... done', 'unexpected character "L"'],
  ['loading library… ✓', 'unexpected "loading"'],
  ['Traceback (most recent call last):', 'unexpected character "T"'],
  ['[1e,2]', 'bad number (no exponent digits)'],
  ['[01]', 'bad number (leading zero)'],
  ['{"x":1.}', 'bad number (no digits after the point)'],
  ['[-]', 'bad number'],
  ['{"a":"unterminated', 'unterminated string'],
  ['{"a":"escaped newline\\', 'unterminated string'],
  ['{"a":"bad \\x escape"}', 'bad string'],
  ['{"a":"raw\ttab"}', 'bad string'], // a control character unescaped: JSON forbids it, on the plain-text path too
  ['{"exact":["1.5","-2.25e-10","caf\u00e9","café"]}', true],
  ['tru', 'unexpected "tru"'],
  ['[1,]', 'trailing comma in an array'],
  ['{"a" 1}', 'unexpected value'],
  ['{"a":1}}', 'unexpected }'],
  ['{"a":1} {"b":2}', 'more than one value on the line'],
  ['{"a":[1,2', 'unexpected end of line'],
];

const STREAM = Buffer.from(CORPUS.map(([line]) => `${line}\n`).join(''));

/** What the reader gives for the stream cut at the positions: every line, Float64Arrays as plain arrays (Object.is kept by toEqual). */
function read(positions: readonly number[]): unknown[] {
  const at = [...new Set(positions)].sort((a, b) => a - b);
  const reader = new JsonLineReader();
  const lines: ParsedLine[] = [];
  let from = 0;
  for (const to of [...at, STREAM.length]) {
    lines.push(...reader.push(STREAM.subarray(from, to)));
    from = to;
  }
  lines.push(...reader.end());
  return lines.map((l) => JSON.parse(JSON.stringify(l, (_k, x: unknown) => (x instanceof Float64Array ? { f64: Array.from(x, String) } : x))));
}

const WHOLE = read([]);

describe('PROTO-8 · the streaming reader gives the same outcome however a reply is cut', () => {
  it('PROTO-8 · read whole, each line gives its value or its own protocol error', () => {
    const expected = CORPUS.filter(([line]) => line.trim() !== '');
    expect(WHOLE).toHaveLength(expected.length);
    WHOLE.forEach((line, k) => {
      const [text, outcome] = expected[k];
      if (outcome === true) expect(line, text).toMatchObject({ ok: true });
      else expect(line, text).toMatchObject({ ok: false, error: outcome, head: text.replace(/\r$/, '') });
    });
  });

  it('PROTO-8 · cut at every byte boundary, the stream of replies reads as it does whole (no throw, the same errors)', () => {
    for (let p = 1; p < STREAM.length; p++) expect(read([p]), `cut at byte ${p}`).toEqual(WHOLE);
  });

  it('PROTO-8 · one byte at a time, and cut at random sets of boundaries, it reads as it does whole', () => {
    expect(read(Array.from({ length: STREAM.length }, (_, k) => k))).toEqual(WHOLE);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 40 }), (positions) => {
        expect(read(positions)).toEqual(WHOLE);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
