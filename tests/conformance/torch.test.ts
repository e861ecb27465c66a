/**
 * PyTorch 1.13 (Debian's python3-torch, installed by .ci/run) checked through its adapter:
 * torch.optim SGD, Adam, AdamW and RMSprop in float32 and float64 are conformant. The adapter
 * reads and writes base64 arrays (PROTO-9), so these checks go that way; one goes through JSON.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spawnImplementation } from '../../conformance/protocol/process.ts';
import type { RunRequest } from '../../conformance/protocol/messages.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import { lineChunks } from '../../conformance/protocol/stream-json.ts';
import { encodeRequestArrays } from '../../conformance/protocol/tensor-arrays.ts';
import { decodeWireArray } from '../../conformance/protocol/wire.ts';

const TORCH = ['/usr/bin/python3', 'conformance/adapters/torch_optim.py'];
const targets = [
  ['sgd', 'SGD-1 · SGD-2 · SGD-3 · SGD-4'],
  ['adam', 'ADAM-1 · ADAM-2 · ADAM-3 · ADAM-4 · ADAM-5 · ADAM-6'],
  ['adamw', 'ADAMW-1 · ADAMW-2'],
  ['rmsprop', 'RMSPROP-1 · RMSPROP-2 · RMSPROP-3 · RMSPROP-4 · RMSPROP-5 · RMSPROP-6'],
] as const;

describe('torch.optim 1.13 is conformant (float32, float64)', () => {
  for (const [optimizer, clauses] of targets) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${clauses} · torch.optim ${optimizer} ${dtype}`, async () => {
        const report = await checkImplementation(spawnImplementation(TORCH), { optimizer, dtype, runs: 40, seed: 1125 });
        expect(report.verdict, formatReport(report)).toBe('conformant');
        const target = report.targets[0];
        expect(target.cases - target.skipped, 'cases actually checked').toBeGreaterThan(30);
        // Every clause was exercised (momentum, dampening, Nesterov, L2, AMSGrad, centered…), none left untested.
        for (const c of target.clauses) expect(c.verdict, `${c.clause} on torch ${optimizer} ${dtype}`).toBe('pass');
      });
    }
  }
});

describe('PROTO-9 · torch_optim.py and base64 arrays', () => {
  /** One reply line per request line from the adapter as a process. */
  async function converse(messages: readonly unknown[]): Promise<any[]> {
    const child = spawn(TORCH[0], TORCH.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stdin.end(messages.map((m) => [...lineChunks(m)].join('')).join(''));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  }
  const request = (dtype: RunRequest['dtype'], params: number[], grad: number[]): RunRequest => ({
    op: 'run',
    id: dtype,
    optimizer: 'adam',
    dtype,
    hyper: { lr: 0.125, amsgrad: true },
    params,
    state: { step: 2, exp_avg: grad, exp_avg_sq: params.map(Math.abs), max_exp_avg_sq: params.map(Math.abs) },
    steps: [{ grad }, { grad: params }],
  });
  const cases = [
    request('float32', [1, -0, 2 ** -149, -3.5], [0.5, 2 ** -126, -0, 'Infinity' as unknown as number]),
    request('bfloat16', [1, -0, 2 ** -133, -3.5], [0.5, 0.25, -0, 2]),
    request('float64', [1, -0, Number.MIN_VALUE, 0.1], [0.5, 2 ** -1022, -0, 1e300]),
  ];

  it('PROTO-9 · declared in hello; base64 requests get base64 replies with the values JSON requests get', async () => {
    const [hello, ...replies] = await converse([{ op: 'hello', protocol: 'optconf/1' }, ...cases, ...cases.map(encodeRequestArrays)]);
    expect(hello.base64Arrays).toBe(true);
    cases.forEach((c, k) => {
      const [json, base64] = [replies[k], replies[k + cases.length]];
      expect(json.op, JSON.stringify(json)).toBe('result');
      expect(base64.op, JSON.stringify(base64)).toBe('result');
      base64.steps.forEach((s: any, i: number) => {
        expect(Array.isArray(json.steps[i].params), 'a JSON request gets JSON arrays').toBe(true);
        expect(s.params.dtype).toBe(c.dtype === 'float64' ? 'float64' : 'float32');
        for (const name of ['params', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']) {
          const [got, want] = [name === 'params' ? s.params : s.state[name], name === 'params' ? json.steps[i].params : json.steps[i].state[name]];
          const [a, b] = [decodeWireArray(got, 4, name), decodeWireArray(want, 4, name)];
          for (let e = 0; e < 4; e++) expect(Object.is(a[e], b[e]), `${c.dtype} step ${i + 1} ${name}[${e}]: ${a[e]} vs ${b[e]}`).toBe(true);
        }
      });
    });
  });

  it('PROTO-9 · a malformed base64 array gets an error naming it, and the session goes on', async () => {
    const good = encodeRequestArrays(cases[0]) as any;
    const replies = await converse([
      { ...good, id: 'a', steps: [good.steps[0], { grad: { dtype: 'float32', base64: 'AAAAAAAAAAAAAA==' } }] },
      { ...good, id: 'b', state: { ...good.state, exp_avg: { dtype: 'int8', base64: '' } } },
      { ...good, id: 'c', params: { dtype: 'float32', base64: 'AA!A' } },
      { ...good, id: 'd', params: { ...good.params, shape: [4] } },
      { ...good, id: 'ok' },
    ]);
    expect(replies).toMatchObject([
      { op: 'error', id: 'a', message: expect.stringMatching(/steps\[1\]\.grad: base64 holds 10 bytes, not a multiple of 4 \(float32\)/) },
      { op: 'error', id: 'b', message: expect.stringMatching(/state\.exp_avg: base64 dtype "int8" is neither float32 nor float64/) },
      { op: 'error', id: 'c', message: expect.stringMatching(/params: not standard base64/) },
      { op: 'error', id: 'd', message: expect.stringMatching(/params: unexpected field 'shape' in a base64 array/) },
      { op: 'result', id: 'ok' },
    ]);
  });

  it('PROTO-9 · through JSON arrays (--json-arrays), torch.optim adam float32 gives the same report as through base64', async () => {
    const options = { optimizer: 'adam', dtype: 'float32', runs: 20, seed: 1125 } as const;
    const base64 = await checkImplementation(spawnImplementation(TORCH), options);
    const json = await checkImplementation(spawnImplementation(TORCH, undefined, { jsonArrays: true }), options);
    expect(json.verdict, formatReport(json)).toBe('conformant');
    expect(json).toEqual(base64);
  });
});
