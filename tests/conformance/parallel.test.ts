/** PREC-6, PREC-7: checking a case split across worker threads reports what the single-thread check reports. */
import { afterAll, describe, expect, it } from 'vitest';
import { floatImplementation } from '../../conformance/adapters/float.ts';
import { toRunRequest, type Case } from '../../conformance/check/case.ts';
import { checkCase } from '../../conformance/check/compare.ts';
import { casesSplit, checkCaseParallel, closeCheckingPool } from '../../conformance/check/parallel.ts';
import type { RunReply, WireStepOutput } from '../../conformance/protocol/messages.ts';
import { JsonLineReader, lineChunks } from '../../conformance/protocol/stream-json.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { uniform } from '../../reference/random.ts';

const adam = findOptimizer('adam')!;
const split = { workers: 2, minElements: 0 };

function vector(n: number, seed: number, scale: number): number[] {
  const next = uniform(seed);
  return Array.from({ length: n }, () => Math.fround((next() - 0.5) * scale));
}

function adamCase(n: number, steps: number): Case {
  return {
    optimizer: 'adam',
    dtype: 'float32',
    hyper: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    params: vector(n, 1, 2),
    state: null,
    steps: Array.from({ length: steps }, (_, k) => ({ grad: vector(n, 10 + k, 0.2) })),
  };
}

function replyOf(c: Case): WireStepOutput[] {
  const r = floatImplementation().run(toRunRequest(c, 'p')) as Extract<RunReply, { op: 'result' }>;
  return r.steps.map((s) => ({ ...s, params: [...s.params], state: s.state && { ...s.state } }));
}

/** The reply with params[element] at a step pushed far past its bound. */
function broken(reply: WireStepOutput[], at: readonly (readonly [step: number, element: number])[]): WireStepOutput[] {
  const out = reply.map((s) => ({ ...s, params: [...s.params] }));
  for (const [step, element] of at) out[step - 1].params[element] = Math.fround((out[step - 1].params[element] as number) * (1 + 2 ** -8));
  return out;
}

afterAll(closeCheckingPool);

describe('PREC-6 · PREC-7 · the check split across two worker threads', () => {
  const c = adamCase(10_000, 3);
  const reply = replyOf(c);

  it('PREC-6 · a passing case: the same verdict and worst output as the single-thread check', async () => {
    const single = checkCase(adam, c, reply);
    const before = casesSplit();
    const parallel = await checkCaseParallel(adam, c, reply, split);
    expect(casesSplit()).toBe(before + 1); // the workers checked it, not the fallback
    expect(single.ok).toBe(true);
    expect(parallel).toEqual(single);
  });

  it('PREC-6 · three workers, cut at the screen blocks: the same verdict and worst output', async () => {
    const wide = adamCase(20_000, 2);
    const wideReply = replyOf(wide);
    const single = checkCase(adam, wide, wideReply);
    const before = casesSplit();
    const parallel = await checkCaseParallel(adam, wide, wideReply, { workers: 3, minElements: 0 });
    expect(casesSplit()).toBe(before + 1);
    expect(parallel).toEqual(single);
  });

  it.each([
    ['past element 4096, in the second half', [[1, 7000]]],
    [
      'past element 4096, in the first half',
      [
        [2, 4500],
        [2, 9000],
      ],
    ],
    [
      'in a later step of the first half, an earlier step of the second',
      [
        [3, 1000],
        [2, 8000],
      ],
    ],
    [
      'in a later step of the second half, an earlier step of the first',
      [
        [3, 9999],
        [2, 0],
      ],
    ],
  ] as const)('PREC-7 · a failure %s: the same first failure and message', async (_what, at) => {
    const bad = broken(reply, at);
    const single = checkCase(adam, c, bad);
    const before = casesSplit();
    const parallel = await checkCaseParallel(adam, c, bad, split);
    expect(casesSplit()).toBe(before + 1);
    expect(single.ok).toBe(false);
    expect(parallel).toEqual(single);
  });

  it('PREC-7 · samples are deterministic, bounded, and end with the failure', async () => {
    const bad = broken(reply, [[2, 6000]]);
    const a = await checkCaseParallel(adam, c, bad, { ...split, samples: true, maxSamples: 32 });
    const b = await checkCaseParallel(adam, c, bad, { ...split, samples: true, maxSamples: 32 });
    expect(a.samples).toEqual(b.samples);
    expect(a.samples).toHaveLength(32);
    expect(a.samples!.at(-1)).toMatchObject({ step: 2, element: 6000, output: 'params' });
    // only outputs met before the failure, from both halves
    for (const s of a.samples!.slice(0, -1)) expect(s.step < 2 || (s.step === 2 && s.element < 6000)).toBe(true);
    expect(a.samples!.some((s) => s.element >= 5000)).toBe(true);
    const passing = await checkCaseParallel(adam, c, reply, { ...split, samples: true, maxSamples: 32 });
    expect(passing.samples).toHaveLength(32);
  });

  it('PROTO-6 · a reply of the wrong shape gets the single-thread message', async () => {
    const short = reply.map((s, k) => (k === 1 ? { ...s, params: s.params.slice(1) } : s));
    expect(await checkCaseParallel(adam, c, short, split)).toEqual(checkCase(adam, c, short));
    const missing = reply.map((s, k) => (k === 2 ? { params: s.params, state: { step: 3 } } : s)) as WireStepOutput[];
    expect(await checkCaseParallel(adam, c, missing, split)).toEqual(checkCase(adam, c, missing));
  });

  it('PROTO-3 · a reply read by the streaming reader (shared memory) checks the same', async () => {
    const big = adamCase(70_000, 2);
    const steps = replyOf(big);
    const bad = broken(steps, [[2, 50_000]]);
    const reader = new JsonLineReader();
    const [line] = reader.push(Buffer.from([...lineChunks({ op: 'result', id: 'p', steps: bad })].join('')));
    const read = (line as { value: { steps: WireStepOutput[] } }).value.steps;
    expect((read[0].params as unknown as Float64Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    const before = casesSplit();
    expect(await checkCaseParallel(adam, big, read, split)).toEqual(checkCase(adam, big, bad));
    expect(casesSplit()).toBe(before + 1);
  });

  it('PREC-6 · a small case stays on the calling thread by default', async () => {
    const before = casesSplit();
    expect(await checkCaseParallel(adam, c, reply)).toEqual(checkCase(adam, c, reply));
    expect(casesSplit()).toBe(before);
  });
});
