/**
 * How `optconf reference` serves large cases (issue 10): a case split across worker threads
 * (reference-pool.ts) gets the reply of the single thread; a long case tells its progress on
 * stderr and nothing but replies reaches stdout. (Its values are correctly rounded:
 * tests/reference/correct-rounding.test.ts.)
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceRun } from '../../conformance/adapters/reference.ts';
import { closeReferencePool, referenceRunParallel } from '../../conformance/adapters/reference-pool.ts';
import { caseProgress } from '../../conformance/adapters/reference-progress.ts';
import type { RunRequest } from '../../conformance/protocol/messages.ts';
import { lineChunks } from '../../conformance/protocol/stream-json.ts';
import type { WireNumber } from '../../conformance/protocol/wire.ts';

/** A deterministic float32 vector (a hash, not Math.random), with −0, NaN and an infinity among its values. */
function vector(n: number, seed: number): WireNumber[] {
  return Array.from({ length: n }, (_, i) => {
    if (i === 7) return -0;
    if (i === 11) return seed === 1 ? 'NaN' : 1;
    if (i === 13) return seed === 2 ? '-Infinity' : 0.5;
    return Math.fround(Math.sin(seed * 1000 + i) * 2);
  });
}

/** A reply as the server writes it. */
const wireText = (reply: unknown) => [...lineChunks(reply)].join('');

/** A float64 SGD case, lr 0.5, from a fresh state. */
const sgdRequest = (id: string, params: RunRequest['params'], steps: RunRequest['steps']): RunRequest => ({
  op: 'run',
  id,
  optimizer: 'sgd',
  dtype: 'float64',
  hyper: { lr: 0.5 },
  params,
  state: null,
  steps,
});

describe('PROTO-6 · a case split across worker threads', () => {
  afterAll(() => closeReferencePool());

  it('PROTO-6: every family, from a state, gets the single thread’s reply (values, exact strings, state), on 3 workers', async () => {
    const n = 3001;
    const cases: RunRequest[] = (
      [
        {
          optimizer: 'adam',
          hyper: { lr: 0.125, amsgrad: true },
          state: {
            step: 2,
            exp_avg: vector(n, 3),
            exp_avg_sq: vector(n, 4).map((x) => (typeof x === 'number' ? Math.fround(x * x) : 1)),
            max_exp_avg_sq: vector(n, 5).map(() => 4),
          },
        },
        { optimizer: 'sgd', hyper: { lr: 0.5, momentum: 0.5, nesterov: true }, state: null },
        { optimizer: 'rmsprop', variant: 'tensorflow', hyper: { lr: 0.25, centered: true, momentum: 0.25 }, state: null },
      ] as Partial<RunRequest>[]
    ).map(
      (c, k) =>
        ({
          op: 'run',
          id: `split-${k}`,
          dtype: 'float32',
          params: vector(n, 1),
          steps: [1, 2, 6, 7, 8, 9, 10].map((s) => ({ grad: vector(n, s) })),
          ...c,
        }) as RunRequest,
    );
    for (const request of cases) {
      const single = referenceRun(request);
      expect(single.op, JSON.stringify(single).slice(0, 300)).toBe('result');
      // the same bytes on the wire (the split reply holds Float64Arrays and exact strings as JSON text)
      const split = await referenceRunParallel(request, undefined, 3);
      expect(wireText(split)).toBe(wireText(single));
      expect(JSON.parse(wireText(split)).steps[0].exact.params, 'an exact string per element on the wire').toHaveLength(n);
    }
  }, 60_000);

  it('PROTO-6: an inadmissible hyperparameter at step 3 is the same error as on one thread', async () => {
    const n = 3000;
    const steps = [1, 2, 3, 4, 5, 6, 7].map((s) => ({ grad: vector(n, s), ...(s === 3 ? { hyper: { lr: -1 } } : {}) }));
    const request = sgdRequest('bad', vector(n, 1), steps);
    const single = referenceRun(request);
    expect(single).toMatchObject({ op: 'error', message: 'steps[2]: lr must be ≥ 0' });
    expect(await referenceRunParallel(request, undefined, 2)).toEqual(single);
  }, 60_000);
});

describe('PROTO-1 · progress of a long case goes to stderr', () => {
  it('PROTO-1: a case estimated over the threshold says it starts, how far it got, and when it finished; a short one says nothing', () => {
    const lines: string[] = [];
    const sink = { write: (t: string) => lines.push(t) };
    const p = caseProgress('c9', 1_000_000, 2, sink, { rate: 100_000, minSeconds: 2, everyMs: 0 });
    p.update(250_000);
    p.update(1_000_000);
    p.stop();
    expect(lines[0]).toBe('optconf reference: case c9: 1,000,000 elements × 2 steps, about 20 s\n');
    expect(lines[1]).toMatch(/^optconf reference: case c9: 250,000 of 1,000,000 elements \(25%\), [\d.]+ s, about [\d.]+ s left\n$/);
    expect(lines[2]).toMatch(/^optconf reference: case c9: 1,000,000 elements × 2 steps: finished in [\d.]+ s\n$/);
    expect(lines).toHaveLength(3);
    const quiet: string[] = [];
    caseProgress('c10', 1000, 10, { write: (t: string) => quiet.push(t) }).stop();
    expect(quiet).toEqual([]);
  });

  it('PROTO-1: `optconf reference` prints the progress of a long case on stderr, and stdout holds only the two replies', async () => {
    const n = 25_000;
    const params = Array.from({ length: n }, (_, i) => (i % 7) * 0.25);
    const request = sgdRequest(
      'long',
      params,
      Array.from({ length: 10 }, () => ({ grad: params })),
    );
    const child = spawn(process.execPath, ['bin/optconf.js', 'reference'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.stdin.end(`{"op":"hello","protocol":"optconf/1"}\n${JSON.stringify(request)}\n`);
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    const lines = out.split('\n');
    expect(lines).toHaveLength(3); // two replies, each ended by \n
    const reply = JSON.parse(lines[1]);
    expect(reply).toMatchObject({ op: 'result', id: 'long' });
    // SGD-1 by hand: ten steps of p − 0.5·g with g = p₀ = 0.75 end at p₀ − 5·p₀ = −3
    expect(reply.steps[9].params[3]).toBe(-3);
    expect(err).toMatch(/^optconf reference: case long: 25,000 elements × 10 steps, about \d+ s\n/);
    expect(err).toMatch(/case long: 25,000 elements × 10 steps: finished in [\d.]+ s\n$/);
  }, 60_000);
});
