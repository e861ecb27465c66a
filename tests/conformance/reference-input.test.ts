/**
 * Bad input to `optconf reference` (issue 10): every mistake gets an `error` reply whose message
 * names the problem and what to send instead, and the session goes on. Driven as a user meets it:
 * `node bin/optconf.js reference`, one process, one line per mistake.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRun } from '../../conformance/adapters/reference.ts';
import type { RunRequest } from '../../conformance/protocol/messages.ts';

const adam = {
  op: 'run',
  optimizer: 'adam',
  dtype: 'float32',
  hyper: { lr: 0.125, beta1: 0.5, beta2: 0.75 },
  params: [1, -0.5],
  state: null,
  steps: [{ grad: [0.25, 2] }],
};

/** Each line's text (not all of them JSON.stringify can write: `1e400`), by id. */
const LINES: Record<string, string> = {
  'step-negative': JSON.stringify({ ...adam, id: 'step-negative', state: { step: -1, exp_avg: [0, 0], exp_avg_sq: [0, 0] } }),
  'step-fraction': JSON.stringify({ ...adam, id: 'step-fraction', state: { step: 1.5, exp_avg: [0, 0], exp_avg_sq: [0, 0] } }),
  betas: JSON.stringify({ ...adam, id: 'betas', hyper: { lr: 0.125, betas: [0.5, 0.75] } }),
  'betas-number': JSON.stringify({ ...adam, id: 'betas-number', hyper: { lr: 0.125, betas: 0.5 } }),
  'override-epsilon': JSON.stringify({ ...adam, id: 'override-epsilon', steps: [{ grad: [0.25, 2], hyper: { epsilon: 0.5 } }] }),
  foreach: JSON.stringify({ ...adam, id: 'foreach', hyper: { lr: 0.125, foreach: false } }),
  empty: JSON.stringify({ ...adam, id: 'empty', params: [], steps: [{ grad: [] }] }),
  overflow: JSON.stringify({ ...adam, id: 'overflow', dtype: 'float64' }).replace('"params":[1,', '"params":[1e400,'),
  'overflow-state': JSON.stringify({ ...adam, id: 'overflow-state', dtype: 'float64', state: { step: 2, exp_avg: [0, 0], exp_avg_sq: [0, 0] } }).replace(
    '"exp_avg_sq":[0,',
    '"exp_avg_sq":[-2e308,',
  ),
  'missing-state': JSON.stringify({ ...adam, id: 'missing-state', state: { step: 3, exp_avg: [0, 0] } }),
  fine: JSON.stringify({ ...adam, id: 'fine' }),
};

/** Every line of LINES sent to one `optconf reference`; its replies, and its stderr. */
async function session(): Promise<{ replies: any[]; stderr: string }> {
  const child = spawn(process.execPath, ['bin/optconf.js', 'reference'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (stderr += c));
  child.stdin.end(`${Object.values(LINES).join('\n')}\n`);
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code, stderr).toBe(0);
  return {
    replies: out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    stderr,
  };
}

describe('PROTO-5 · PROTO-7 · PROTO-3 · bad input to `optconf reference` is named', () => {
  let replies: any[] = [];
  const reply = (id: string) => replies.find((r) => r.id === id) ?? replies[Object.keys(LINES).indexOf(id)];
  beforeAll(async () => {
    replies = (await session()).replies;
  }, 60_000);

  it('PROTO-2: one reply a line, the session going on after each mistake', () => {
    expect(replies).toHaveLength(Object.keys(LINES).length);
    expect(reply('fine')).toMatchObject({ op: 'result', id: 'fine' });
  });

  it('PROTO-5: state.step −1 or 1.5 is "state.step must be an integer ≥ 0" (not "/state must be null")', () => {
    for (const id of ['step-negative', 'step-fraction']) {
      expect(reply(id)).toMatchObject({ op: 'error', id });
      expect(reply(id).message).toContain('state.step must be an integer ≥ 0');
      expect(reply(id).message).not.toContain('must be null');
    }
  });

  it("PROTO-7: PyTorch's betas, as its pair or as a number, is named with the spec's names (beta1, beta2)", () => {
    for (const id of ['betas', 'betas-number'])
      expect(reply(id)).toMatchObject({ op: 'error', id, message: expect.stringContaining('unknown hyperparameter betas (use beta1, beta2)') });
  });

  it('PROTO-7: an unknown name in a step override says which step; a PyTorch switch is told apart', () => {
    expect(reply('override-epsilon').message).toMatch(/^steps\[0\]\.hyper: unknown hyperparameter epsilon \(use eps\); adam takes /);
    expect(reply('foreach').message).toContain('unknown hyperparameter foreach (a PyTorch option, not a hyperparameter: leave it out)');
  });

  it('PROTO-5: empty params are an error naming them', () => {
    expect(reply('empty')).toMatchObject({ op: 'error', id: 'empty', message: expect.stringContaining('params is empty') });
  });

  it('PROTO-3: 1e400 in a tensor is an error, pointing at the strings non-finite values travel as', () => {
    for (const id of ['overflow', 'overflow-state']) {
      const r = replies[Object.keys(LINES).indexOf(id)];
      expect(r.op).toBe('error');
      expect(r.message).toMatch(/the number -?[12]e[34]0\d overflows a double/);
      expect(r.message).toContain('"Infinity"');
    }
  });

  it('PROTO-5: from step 1 on, a missing state array is named with the ones the family keeps', () => {
    expect(reply('missing-state').message).toContain('state.exp_avg_sq is missing');
    expect(reply('missing-state').message).toContain('keeps exp_avg, exp_avg_sq');
  });
});

describe('PROTO-7 · the in-process reference names the same mistakes', () => {
  const run = (line: string) => referenceRun(JSON.parse(line) as RunRequest);

  it('PROTO-7: betas, empty params and a grad of the wrong length, without the protocol layer', () => {
    const betas = run(LINES['betas-number']) as { message: string };
    expect(betas.message).toBe('unknown hyperparameter betas (use beta1, beta2); adam takes lr, beta1, beta2, eps, weight_decay, amsgrad');
    expect(run(LINES.empty)).toMatchObject({ op: 'error', message: expect.stringContaining('params is empty') });
    const short = { ...JSON.parse(LINES.fine), steps: [{ grad: [0.25, 2] }, { grad: [1] }] };
    expect(referenceRun(short)).toMatchObject({ op: 'error', message: 'steps[1].grad has 1 elements, params has 2' });
    // rmsprop has alpha where Keras says rho; sgd has no such name, so no hint there
    const rho = (optimizer: string) => referenceRun({ ...JSON.parse(LINES.fine), optimizer, hyper: { lr: 0.5, rho: 0.5 } }) as { message: string };
    expect(rho('rmsprop').message).toContain('unknown hyperparameter rho (use alpha)');
    expect(rho('sgd').message).toMatch(/unknown hyperparameter rho; sgd takes lr, /);
  });
});
