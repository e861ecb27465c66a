/**
 * Base64 arrays (spec/protocol.md PROTO-9): the encoding and its errors, the streaming reader and
 * writer, the schemas, and optconf's own processes (`optconf serve float`, `optconf serve
 * reference`) negotiating it — the same replies and verdicts as with plain JSON arrays.
 */
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spawnImplementation } from '../../conformance/protocol/process.ts';
import { checkHello, checkRunReply, checkRunRequest, type RunRequest } from '../../conformance/protocol/messages.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import { JsonLineReader, lineChunks } from '../../conformance/protocol/stream-json.ts';
import { encodeRequestArrays } from '../../conformance/protocol/tensor-arrays.ts';
import { cameAsBase64, decodeBase64Array, decodeWireArray, encodeBase64Array } from '../../conformance/protocol/wire.ts';
import type { Dtype } from '../../reference/dtype.ts';
import { optconfAsync } from '../reports/cli.ts';

/** Little-endian bytes of values in base64, written independently of the code under test (a DataView). */
function base64Of(values: readonly number[], dtype: 'float32' | 'float64'): string {
  const size = dtype === 'float32' ? 4 : 8;
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((x, i) => (dtype === 'float32' ? view.setFloat32(i * size, x, true) : view.setFloat64(i * size, x, true)));
  return Buffer.from(view.buffer).toString('base64');
}

/** Element by element with Object.is: −0 is not +0, NaN is NaN. */
function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
}

const FLOAT32_SPECIALS = [-0, 0, Infinity, -Infinity, NaN, 2 ** -149, -(2 ** -149), 2 ** -126 - 2 ** -149, 2 ** -126, 3.4028234663852886e38, Math.fround(0.1)];
const FLOAT64_SPECIALS = [
  -0,
  0,
  Infinity,
  -Infinity,
  NaN,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2 ** -1022 - Number.MIN_VALUE,
  2 ** -1022,
  Number.MAX_VALUE,
  0.1,
];

/** A run request with the same values in every tensor position (params, a state array, two grads). */
const requestOf = (dtype: Dtype, values: readonly number[]): RunRequest => ({
  op: 'run',
  id: 'r',
  optimizer: 'adam',
  dtype,
  hyper: { lr: 0.125 },
  params: values,
  state: { step: 1, exp_avg: values, exp_avg_sq: [...values].reverse() },
  steps: [{ grad: values }, { grad: [...values].reverse() }],
});

/** The bytes of a message split at the given positions. */
function cut(bytes: Buffer, positions: readonly number[]): Buffer[] {
  const at = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...at, bytes.length].map((end, k) => bytes.subarray(k === 0 ? 0 : at[k - 1], end)).filter((b) => b.length > 0);
}

function readLine(chunks: readonly Buffer[]): any {
  const reader = new JsonLineReader();
  const lines = chunks.flatMap((c) => reader.push(c));
  lines.push(...reader.end());
  expect(lines).toHaveLength(1);
  const [line] = lines;
  if (!line.ok) expect.fail(`not read: ${line.error}`);
  return line.value;
}

describe('PROTO-9 · base64 arrays through the writer and the streaming reader', () => {
  it('PROTO-9 · float32 and float64 arrays round-trip exactly (−0, ±∞, NaN, subnormals), however the bytes are cut', () => {
    const float32 = fc.oneof(fc.constantFrom(...FLOAT32_SPECIALS), fc.float());
    const float64 = fc.oneof(fc.constantFrom(...FLOAT64_SPECIALS), fc.double());
    const arbitrary = fc.oneof(
      fc.record({ dtype: fc.constant<Dtype>('float32'), values: fc.array(float32, { maxLength: 30 }) }),
      fc.record({ dtype: fc.constant<Dtype>('float64'), values: fc.array(float64, { maxLength: 30 }) }),
    );
    fc.assert(
      fc.property(arbitrary, fc.array(fc.nat(), { maxLength: 40 }), ({ dtype, values }, positions) => {
        const request = requestOf(dtype, values);
        const encoded = encodeRequestArrays(request) as any;
        expect(encoded.params).toEqual({ dtype, base64: base64Of(values, dtype as 'float32' | 'float64') });
        const text = [...lineChunks(encoded)].join('');
        const read = readLine(cut(Buffer.from(text), positions));
        for (const [what, got, want] of [
          ['params', read.params, request.params],
          ['state.exp_avg', read.state.exp_avg, values],
          ['state.exp_avg_sq', read.state.exp_avg_sq, [...values].reverse()],
          ['steps[1].grad', read.steps[1].grad, [...values].reverse()],
        ] as const) {
          expect(got, what).toBeInstanceOf(Float64Array);
          expect(cameAsBase64(got), `${what} marked as read from base64`).toBe(true);
          expectSameValues(got, want as number[], what);
        }
        expect(read.state.step).toBe(1);
        // JSON.parse gives the objects themselves; the runner's decoder reads them the same
        expectSameValues(decodeWireArray(JSON.parse(text).params, values.length, 'params'), values, 'JSON.parse, then decodeWireArray');
      }),
      { numRuns: 200, seed: 9 },
    );
  });

  it('PROTO-9 · bfloat16 and float16 values travel as float32 bytes; a value float32 cannot hold goes as float64, unchanged', () => {
    const half = [65504, -(2 ** -24), 1.5, -0];
    const bfloat = [3.3895313892515355e38, 2 ** -133, -0.5];
    expect(encodeBase64Array(half, 'float32')).toEqual({ dtype: 'float32', base64: base64Of(half, 'float32') });
    expect(encodeBase64Array(bfloat, 'float32')).toEqual({ dtype: 'float32', base64: base64Of(bfloat, 'float32') });
    // PROTO-3 still rules: the implementation must see 0.1 itself, to refuse it in a float32 case
    expect(encodeBase64Array([0.5, 0.1], 'float32')).toEqual({ dtype: 'float64', base64: base64Of([0.5, 0.1], 'float64') });
    expect(encodeBase64Array(['NaN', 'Infinity', '-Infinity', 2], 'float64')).toEqual({
      dtype: 'float64',
      base64: base64Of([NaN, Infinity, -Infinity, 2], 'float64'),
    });
  });

  it('PROTO-9 · a 2^20-element float32 array (5.6 MB of base64) read in 1 KiB chunks lands in shared memory', () => {
    // A reader that joined a cut string again at every chunk would copy gigabytes here and time out.
    const n = 2 ** 20;
    const values = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 2 ** ((i % 64) - 32)));
    const text = [...lineChunks({ op: 'result', id: 'big', steps: [{ params: { dtype: 'float32', base64: base64Of(values, 'float32') } }] })].join('');
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 1024) }, (_, k) => bytes.subarray(k * 1024, (k + 1) * 1024));
    const params = readLine(chunks).steps[0].params;
    expect(params.buffer, 'checking workers read a large array without a copy (parallel.ts)').toBeInstanceOf(SharedArrayBuffer);
    expectSameValues(params, values, 'params');
  });

  it('PROTO-9 · arrays decoded one after another — longer, shorter, float64, float32 — each keep their own values', () => {
    // the decoder reuses one buffer for the bytes (wire.ts): no result may share it or see another's bytes
    const long = Array.from({ length: 20_000 }, (_, i) => Math.fround(Math.cos(i) * 2 ** ((i % 40) - 20)));
    const short = [1.5, -0, NaN, Number.MIN_VALUE];
    const first = decodeBase64Array({ dtype: 'float64', base64: base64Of(long, 'float64') }, 'params');
    const second = decodeBase64Array({ dtype: 'float64', base64: base64Of(short, 'float64') }, 'params');
    const third = decodeBase64Array({ dtype: 'float32', base64: base64Of(short, 'float32') }, 'params');
    // a length that leaves base64 padding: one float32 is 4 bytes, "xxxxxw=="
    const fourth = decodeBase64Array({ dtype: 'float32', base64: base64Of([-2.5], 'float32') }, 'params');
    expectSameValues(first, long, 'the long array, after three more decodes');
    expectSameValues(second, short, 'the short float64 array');
    expectSameValues(third, short.map(Math.fround), 'the short float32 array');
    expectSameValues(fourth, [-2.5], 'a padded float32 array');
  });

  it('PROTO-9 · every malformed form is an error that names the array and the problem', () => {
    const malformed: [unknown, RegExp][] = [
      [{ base64: 'AAAAAA==' }, /^step 2 params: base64 array has no dtype$/],
      [{ dtype: 'float16', base64: 'AAAAAA==' }, /^step 2 params: base64 dtype "float16" is neither float32 nor float64$/],
      [{ dtype: 'float32' }, /^step 2 params: base64 array has no base64 field$/],
      [{ dtype: 'float32', base64: 12 }, /^step 2 params: base64 is not a string$/],
      [{ dtype: 'float32', base64: 'AAAA AAA' }, /^step 2 params: base64 has " " at character 4$/],
      [{ dtype: 'float32', base64: 'AAAA-_AA' }, /^step 2 params: base64 has "-" at character 4$/],
      [{ dtype: 'float32', base64: 'AA==AAAA' }, /^step 2 params: base64 has "=" at character 2$/],
      [{ dtype: 'float32', base64: 'AAAAAA' }, /^step 2 params: base64 text has length 6, not a multiple of 4$/],
      [{ dtype: 'float32', base64: 'AAAAAB==' }, /^step 2 params: base64 is not canonical/],
      [{ dtype: 'float32', base64: Buffer.alloc(10).toString('base64') }, /^step 2 params: base64 holds 10 bytes, not a multiple of 4 \(float32\)$/],
      [{ dtype: 'float64', base64: Buffer.alloc(12).toString('base64') }, /^step 2 params: base64 holds 12 bytes, not a multiple of 8 \(float64\)$/],
      [{ dtype: 'float32', base64: 'AAAAAA==', shape: [1] }, /^step 2 params: unexpected field "shape" in a base64 array$/],
    ];
    for (const [value, message] of malformed) {
      expect(() => decodeBase64Array(value, 'step 2 params'), JSON.stringify(value)).toThrow(message);
      expect(() => decodeWireArray(value, 1, 'step 2 params'), JSON.stringify(value)).toThrow(message);
    }
    expect(() => decodeWireArray({ dtype: 'float32', base64: base64Of([1, 2, 3], 'float32') }, 2, 'step 2 params')).toThrow(
      /^step 2 params has 3 elements, expected 2$/,
    );
  });

  it('PROTO-9 · raw control or non-ASCII bytes inside a streamed base64 payload are refused by position, never decoded around', () => {
    const good = base64Of([1, 2, 3], 'float32');
    for (const byte of [0x01, 0x1f, 0xc3, 0x7f]) {
      const text = Buffer.concat([
        Buffer.from(`{"params":{"dtype":"float32","base64":"${good.slice(0, 4)}`),
        Buffer.from([byte]),
        Buffer.from(`${good.slice(4)}"}}`),
      ]);
      const parsed = readLine([text.subarray(0, 20), text.subarray(20)]);
      expect(() => decodeWireArray(parsed.params, 3, 'step 1 params'), `byte ${byte}`).toThrow(/^step 1 params: base64 has .* at character 4$/);
    }
  });

  it('PROTO-9 · the reader leaves a malformed base64 array as it came, for the layer that knows its name', () => {
    const bad = { dtype: 'float32', base64: Buffer.alloc(10).toString('base64') };
    expect(readLine([Buffer.from(JSON.stringify({ params: bad }))]).params).toEqual(bad);
  });
});

describe('PROTO-9 · the schemas', () => {
  const valid = { dtype: 'float32', base64: base64Of([1, -0], 'float32') };
  const request = {
    op: 'run',
    id: 'c',
    optimizer: 'sgd',
    dtype: 'float32',
    hyper: { lr: 0.5 },
    params: valid,
    state: { step: 1, momentum_buffer: valid },
    steps: [{ grad: valid }],
  };

  it('PROTO-9 · a base64 array is accepted wherever a tensor array is, and base64Arrays in hello', () => {
    expect(checkRunRequest(request)).toMatchObject({ ok: true });
    expect(checkRunReply({ op: 'result', id: 'c', steps: [{ params: valid, state: { step: 2, momentum_buffer: [1, 'NaN'] } }] })).toMatchObject({ ok: true });
    expect(checkHello({ op: 'hello', protocol: 'optconf/1', implementation: 'x', supports: [], base64Arrays: true })).toMatchObject({ ok: true });
    expect(checkHello({ op: 'hello', protocol: 'optconf/1', implementation: 'x', supports: [], base64Arrays: 'yes' })).toMatchObject({
      ok: false,
      error: '/base64Arrays must be boolean',
    });
  });

  it('PROTO-9 · a malformed base64 array is refused with a message naming the field', () => {
    const withGrad = (grad: unknown) => ({ ...request, steps: [{ grad }] });
    expect(checkRunRequest(withGrad({ dtype: 'int8', base64: '' }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^\/steps\/0\/grad\/dtype must be equal to one of the allowed values/),
    });
    expect(checkRunRequest(withGrad({ base64: '' }))).toMatchObject({ ok: false, error: "/steps/0/grad must have required property 'dtype'" });
    expect(checkRunRequest(withGrad({ dtype: 'float32', base64: 'AA!A' }))).toMatchObject({
      ok: false,
      error: '/steps/0/grad/base64 must match format "base64"',
    });
    expect(checkRunRequest(withGrad({ ...valid, n: 2 }))).toMatchObject({ ok: false, error: '/steps/0/grad must NOT have additional properties (n)' });
    expect(checkRunReply({ op: 'result', id: 'c', steps: [{ params: { dtype: 'float32' } }] })).toMatchObject({ ok: false });
    // anything that is not an object is still checked as an array of numbers
    expect(checkRunRequest(withGrad(5))).toMatchObject({ ok: false, error: '/steps/0/grad must be array' });
  });
});

/** A conversation with `optconf serve NAME` as a process: one reply line per request line. */
async function converse(name: string, messages: readonly unknown[]): Promise<any[]> {
  const child = spawn(process.execPath, ['bin/optconf.js', 'serve', name], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stdin.end(messages.map((m) => `${typeof m === 'string' ? m : [...lineChunks(m)].join('')}`).join(''));
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

// The tests below mostly wait on `optconf serve` processes starting (tsx): they run at once.
describe.concurrent('PROTO-9 · optconf serve float and optconf serve reference speak base64 arrays', () => {
  const hello = { op: 'hello', protocol: 'optconf/1' };
  const cases: RunRequest[] = [
    { ...requestOf('float32', [1, -0, 2 ** -149, Math.fround(0.1)]), id: 'f32' },
    { ...requestOf('bfloat16', [1, -0, 2 ** -133, 0.5]), id: 'bf16' },
    { ...requestOf('float64', [1, -0, Number.MIN_VALUE, 0.1]), id: 'f64' },
  ];

  for (const name of ['float', 'reference']) {
    it(`PROTO-9 · optconf serve ${name}: declared in hello; a base64 request gets base64 replies holding the JSON replies' values`, async () => {
      const [h, ...replies] = await converse(name, [hello, ...cases, ...cases.map(encodeRequestArrays)]);
      expect(h.base64Arrays).toBe(true);
      const json = replies.slice(0, cases.length);
      const base64 = replies.slice(cases.length);
      cases.forEach((c, k) => {
        const [plain, encoded] = [json[k], base64[k]];
        expect(plain.op, JSON.stringify(plain)).toBe('result');
        expect(encoded.op, JSON.stringify(encoded)).toBe('result');
        expect(plain.steps).toHaveLength(c.steps.length);
        const n = c.params.length;
        encoded.steps.forEach((s: any, i: number) => {
          expect(Array.isArray(plain.steps[i].params), 'a JSON request gets JSON arrays').toBe(true);
          expect(s.params.dtype, 'float64 bytes for a float64 case, float32 otherwise').toBe(c.dtype === 'float64' ? 'float64' : 'float32');
          expectSameValues(
            decodeWireArray(s.params, n, `${c.id} step ${i + 1} params`),
            decodeWireArray(plain.steps[i].params, n, 'json'),
            `${c.id} step ${i + 1} params`,
          );
          for (const state of ['exp_avg', 'exp_avg_sq']) {
            expectSameValues(
              decodeWireArray(s.state[state], n, state),
              decodeWireArray(plain.steps[i].state[state], n, 'json'),
              `${c.id} step ${i + 1} state.${state}`,
            );
          }
          expect(s.state.step).toBe(plain.steps[i].state.step);
          expect(s.exact, "the reference's exact values are decimal strings either way").toEqual(plain.steps[i].exact);
        });
      });
    });
  }

  it('PROTO-9 · a malformed base64 array in a request gets an error naming it, and the session goes on', async () => {
    const good = encodeRequestArrays(cases[0]) as any;
    const replies = await converse('float', [
      hello,
      { ...good, id: 'a', steps: [good.steps[0], { grad: { dtype: 'float32', base64: 'AAAAAAAAAAAAAA==' } }] },
      { ...good, id: 'b', state: { ...good.state, exp_avg: { dtype: 'int8', base64: '' } } },
      { ...good, id: 'c', params: { dtype: 'float32', base64: base64Of([1, 2], 'float32') } },
      { ...good, id: 'd', params: { dtype: 'float32', base64: 'AAAA_AAA' } },
      { ...good, id: 'ok' },
    ]);
    expect(replies.slice(1)).toMatchObject([
      { op: 'error', id: 'a', message: 'malformed run message: steps[1].grad: base64 holds 10 bytes, not a multiple of 4 (float32)' },
      { op: 'error', id: 'b', message: 'malformed run message: state.exp_avg: base64 dtype "int8" is neither float32 nor float64' },
      { op: 'error', id: 'c', message: expect.stringMatching(/state\.exp_avg must be an array of 2 numbers/) },
      { op: 'error', id: 'd', message: 'malformed run message: params: base64 has "_" at character 4' },
      { op: 'result', id: 'ok' },
    ]);
  });
});

describe.concurrent('PROTO-9 · the runner with base64 arrays and with --json-arrays', () => {
  for (const name of ['float', 'reference']) {
    it(`PROTO-9 · optconf serve ${name} as a process: the same report either way`, async () => {
      const serve = (jsonArrays: boolean) => spawnImplementation([process.execPath, 'bin/optconf.js', 'serve', name], undefined, { jsonArrays });
      // few runs: the point is the encoding, in every dtype, not the optimizer
      const options = { optimizer: 'adam', runs: 5, seed: 17 } as const;
      const [base64, json] = await Promise.all([checkImplementation(serve(false), options), checkImplementation(serve(true), options)]);
      expect(base64.verdict).toBe('conformant');
      expect(base64).toEqual(json);
    });
  }

  it('PROTO-9 · optconf run --json-arrays is accepted and gives the same report', async () => {
    const args = ['run', '--impl', `${process.execPath} bin/optconf.js serve float`, '--optimizer', 'sgd', '--dtype', 'float32', '--runs', '10', '--seed', '2'];
    const [base64, json] = await Promise.all([optconfAsync(...args), optconfAsync(...args, '--json-arrays')]);
    expect(base64.status, base64.stderr).toBe(0);
    expect(json.status, json.stderr).toBe(0);
    expect(json.stdout).toBe(base64.stdout);
  });
});
