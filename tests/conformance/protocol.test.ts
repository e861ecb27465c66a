/** The optconf/1 protocol (spec/protocol.md): the reference server, number encoding and message schemas. */
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkHello, checkRunReply, checkRunRequest } from '../../conformance/protocol/messages.ts';
import { referenceImplementation } from '../../conformance/adapters/reference.ts';
import { serve } from '../../conformance/protocol/serve.ts';
import { floatImplementation } from '../../conformance/adapters/float.ts';
import { decodeNumber, stringifyLine } from '../../conformance/protocol/wire.ts';
import type { RunRequest } from '../../conformance/protocol/messages.ts';
import { OPTIMIZERS } from '../../reference/registry.ts';
import { DTYPES } from '../../reference/dtype.ts';

/** Feeds lines to the reference server in process and collects its replies. */
async function converse(lines: string[]): Promise<any[]> {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on('data', (c) => chunks.push(String(c)));
  const done = serve(referenceImplementation, input, output);
  input.end(lines.map((l) => `${l}\n`).join(''));
  await done;
  return chunks
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const hello = JSON.stringify({ op: 'hello', protocol: 'optconf/1' });
const run = (extra: object) =>
  JSON.stringify({ op: 'run', id: 'c1', optimizer: 'sgd', dtype: 'float64', hyper: { lr: 0.5 }, params: [1], state: null, steps: [{ grad: [0.5] }], ...extra });

describe('PROTO-3 · numbers on the wire', () => {
  it('PROTO-3 · −0 is written -0, NaN and infinities as strings, and read back', () => {
    const line = stringifyLine({ a: [-0, 0, NaN, Infinity, -Infinity, 0.1] });
    expect(line).toBe('{"a":[-0,0,"NaN","Infinity","-Infinity",0.1]}');
    const back = JSON.parse(line).a.map(decodeNumber);
    expect(Object.is(back[0], -0)).toBe(true);
    expect(Number.isNaN(back[2])).toBe(true);
    expect(back.slice(3, 5)).toEqual([Infinity, -Infinity]);
    expect(decodeNumber('nan')).toBeUndefined();
  });
});

describe('PROTO-2 · the session with the reference', () => {
  it('PROTO-2 · hello, a run and bye; SGD-1 by hand: 1 − 0.5·0.5 = 0.75', async () => {
    const replies = await converse([hello, run({}), JSON.stringify({ op: 'bye' }), run({ id: 'after-bye' })]);
    expect(replies).toHaveLength(2);
    expect(replies[0].op).toBe('hello');
    expect(replies[1]).toMatchObject({ op: 'result', id: 'c1', steps: [{ params: [0.75], exact: { params: ['0.75'] } }] });
  });

  it('PROTO-2 · a malformed line gets an error naming the problem, and the next line is answered', async () => {
    const replies = await converse(['{not json', run({ steps: [] }), run({ dtype: 'float8' }), JSON.stringify({ op: 'dance' }), run({ id: 'ok' })]);
    expect(replies[0]).toMatchObject({ op: 'error', id: null });
    expect(replies[0].message).toMatch(/not JSON/);
    expect(replies[1].message).toMatch(/\/steps/);
    expect(replies[2].message).toMatch(/\/dtype/);
    expect(replies[3].message).toMatch(/unknown op "dance"/);
    expect(replies[4]).toMatchObject({ op: 'result', id: 'ok' });
  });

  it('PROTO-2 · a value not representable in the dtype, or an unknown optimizer, is an error of that case', async () => {
    const replies = await converse([run({ dtype: 'float32', params: [0.1] }), run({ optimizer: 'lamb' }), run({ hyper: { lr: 0.5, betas: 1 } })]);
    expect(replies[0].message).toMatch(/params\[0\] = 0\.1 is not exactly representable in float32/);
    expect(replies[1].message).toMatch(/unknown optimizer "lamb"/);
    expect(replies[2].message).toMatch(/unknown hyperparameter betas/);
  });

  it('PROTO-1 · a line over the limit is refused unparsed, with an error, and the next line is answered', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (c) => chunks.push(String(c)));
    const done = serve(referenceImplementation, input, output, { maxLineBytes: 1000 });
    const long = run({ params: new Array(2000).fill(1), steps: [{ grad: new Array(2000).fill(0.5) }] });
    for (let k = 0; k < long.length; k += 700) input.write(long.slice(k, k + 700));
    input.end(`\n${run({ id: 'next' })}`); // the last line without its newline is still answered
    await done;
    const replies = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatchObject({ op: 'error', id: null, message: expect.stringMatching(/more than 1000 bytes/) });
    expect(replies[1]).toMatchObject({ op: 'result', id: 'next', steps: [{ params: [0.75] }] });
  });

  it('PROTO-3 · a request read into Float64Arrays gets the same reply bytes as the plain one (−0, NaN, ∞ included)', async () => {
    const request: RunRequest = {
      op: 'run',
      id: 'f',
      optimizer: 'adam',
      dtype: 'float32',
      hyper: { lr: 0.125, weight_decay: 0.5 },
      params: [1, -0, 0.5, 'NaN', 'Infinity', -2],
      state: null,
      steps: [{ grad: [0.25, -0, 'NaN', 1, 2, 3] }, { grad: [1, 1, 1, 1, 1, '-Infinity'] }],
    };
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (c) => (text += String(c)));
    const done = serve(floatImplementation(), input, output);
    input.end(`${stringifyLine(request)}\n`);
    await done;
    expect(text).toBe(`${stringifyLine(floatImplementation().run(request))}\n`);
    expect(text).toContain('"NaN"');
  });

  it('PROTO-1 · `optconf reference` speaks the protocol as a process', async () => {
    const child = spawn(process.execPath, ['bin/optconf.js', 'reference'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stdin.end(`${hello}\n${run({ dtype: 'float16', hyper: { lr: 0.25 }, params: [1], steps: [{ grad: [1] }, { grad: [1], hyper: { lr: 0.5 } }] })}\n`);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const [h, r] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(h.op).toBe('hello');
    // NOTE-3: 1 − 0.25·1 = 0.75, then 0.75 − 0.5·1 = 0.25 (lr overridden from step 2)
    expect(r.steps.map((s: any) => s.params[0])).toEqual([0.75, 0.25]);
  });
});

describe('PROTO-4 · PROTO-7 · the reference supports every family, variant and dtype', () => {
  it('PROTO-4 · the hello reply validates and lists every family in every dtype', async () => {
    const [h] = await converse([hello]);
    expect(checkHello(h).ok).toBe(true);
    for (const s of h.supports) expect(s.dtypes).toEqual([...DTYPES]);
  });

  it('PROTO-7 · every variant answers in every dtype, outputs rounded to the dtype (NOTE-5)', async () => {
    const lines = OPTIMIZERS.flatMap((def, i) =>
      DTYPES.map((dtype) =>
        JSON.stringify({
          op: 'run',
          id: `${def.name}-${dtype}`,
          optimizer: def.family,
          variant: def.name,
          dtype,
          hyper: def.family === 'sgd' ? { lr: 0.125, momentum: 0.5 } : def.family === 'ewma' ? { beta: 0.5 } : { lr: 0.125 },
          params: [1, -0.5],
          state: null,
          steps: [{ grad: [0.25, 3] }, { grad: [0.5, -1] }],
        }),
      ),
    );
    const replies = await converse(lines);
    expect(replies).toHaveLength(OPTIMIZERS.length * DTYPES.length);
    for (const r of replies) {
      expect(r.op, JSON.stringify(r)).toBe('result');
      expect(checkRunReply(r).ok).toBe(true);
      expect(r.steps[1].exact.params).toHaveLength(2);
    }
  });
});

describe('PROTO-4 · capability ranges in the hello reply', () => {
  const hello = (ranges: unknown) => ({
    op: 'hello',
    protocol: 'optconf/1',
    implementation: 'x',
    supports: [{ optimizer: 'sgd', dtypes: ['float32'], ranges }],
  });
  it('PROTO-4 · a pair or JSON Schema bounds validate; anything else is refused, naming the range', () => {
    for (const ok of [
      { lr: [0, 1] },
      { lr: { exclusiveMinimum: 0, exclusiveMaximum: 1 } },
      { lr: { minimum: 1e-6 } },
      { lr: [0, 1], momentum: { maximum: 0.9 } },
    ])
      expect(checkHello(hello(ok)).ok, JSON.stringify(ok)).toBe(true);
    const bad: [unknown, RegExp][] = [
      [{ lr: [0] }, /a range is \[lo, hi\]/],
      [{ lr: [0, 1, 2] }, /a range is \[lo, hi\]/],
      [{ lr: ['0', 1] }, /\/supports\/0\/ranges\/lr\/0 must be number/],
      [{ lr: {} }, /a range object has minimum or exclusiveMinimum/],
      [{ lr: { minimum: 0, exclusiveMinimum: 0 } }, /a range object has minimum or exclusiveMinimum/],
      [{ lr: { min: 0 } }, /a range object has minimum or exclusiveMinimum/],
      [{ lr: 1 }, /a range object/],
      [[0, 1], /ranges must be object/],
    ];
    for (const [ranges, message] of bad)
      expect(checkHello(hello(ranges)), JSON.stringify(ranges)).toMatchObject({ ok: false, error: expect.stringMatching(message) });
  });
});

describe('PROTO-5 · PROTO-6 · message schemas', () => {
  it('PROTO-5 · a run request needs every field, and no unknown ones', () => {
    const ok = JSON.parse(run({}));
    expect(checkRunRequest(ok).ok).toBe(true);
    const { params: _p, ...noParams } = ok;
    expect(checkRunRequest(noParams)).toMatchObject({ ok: false, error: expect.stringContaining("'params'") });
    expect(checkRunRequest({ ...ok, colour: 'red' })).toMatchObject({ ok: false, error: expect.stringContaining('colour') });
    expect(checkRunRequest({ ...ok, state: { exp_avg: [1] } })).toMatchObject({ ok: false });
  });

  it('PROTO-6 · replies: result, unsupported and error validate; others do not', () => {
    expect(checkRunReply({ op: 'result', id: 'a', steps: [{ params: [1, 'NaN'] }] }).ok).toBe(true);
    expect(checkRunReply({ op: 'unsupported', id: 'a', reason: 'no float16' }).ok).toBe(true);
    expect(checkRunReply({ op: 'error', id: null, message: 'x' }).ok).toBe(true);
    expect(checkRunReply({ op: 'result', id: 'a', steps: [{ params: ['one'] }] }).ok).toBe(false);
    expect(checkRunReply({ op: 'done' }).ok).toBe(false);
  });
});
