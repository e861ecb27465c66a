/**
 * PyTorch 1.13 (Debian's python3-torch, installed by .ci/run) checked through its adapter:
 * torch.optim's nine families in float32 and float64, on the single-tensor and the foreach path,
 * are conformant except for PyTorch 1.13's known defects (spec/defects.md), which the report
 * names. The adapter reads and writes base64 arrays (PROTO-9), so these checks go that way; one
 * goes through JSON.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnImplementation, type ProcessImplementation } from '../../conformance/protocol/process.ts';
import type { RunRequest, WireStepOutput } from '../../conformance/protocol/messages.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { lineChunks } from '../../conformance/protocol/stream-json.ts';
import { encodeRequestArrays } from '../../conformance/protocol/tensor-arrays.ts';
import { decodeWireArray } from '../../conformance/protocol/wire.ts';
import { computeSteps, referenceRun } from '../../conformance/adapters/reference.ts';
import { KNOWN_DEFECTS, type OptimizerDef } from '../../reference/registry.ts';

const TORCH = ['/usr/bin/python3', 'conformance/adapters/torch_optim.py'];
/** torch.optim's nine families and the clauses of their canonical steps. */
const families = [
  ['sgd', 'SGD-1 · SGD-2 · SGD-3 · SGD-4'],
  ['rmsprop', 'RMSPROP-1 · RMSPROP-2 · RMSPROP-3 · RMSPROP-4 · RMSPROP-5 · RMSPROP-6'],
  ['adam', 'ADAM-1 · ADAM-2 · ADAM-3 · ADAM-4 · ADAM-5 · ADAM-6'],
  ['adamw', 'ADAMW-1 · ADAMW-2'],
  ['adagrad', 'ADAGRAD-1 · ADAGRAD-2 · ADAGRAD-3 · ADAGRAD-4'],
  ['adadelta', 'ADADELTA-1 · ADADELTA-2 · ADADELTA-3 · ADADELTA-4 · ADADELTA-5'],
  ['adamax', 'ADAMAX-1 · ADAMAX-2 · ADAMAX-3 · ADAMAX-4'],
  ['nadam', 'NADAM-1 · NADAM-2 · NADAM-3 · NADAM-4 · NADAM-5'],
  ['radam', 'RADAM-1 · RADAM-2 · RADAM-3 · RADAM-4 · RADAM-5'],
] as const;
const paths = { 'single-tensor': [], foreach: ['--foreach'] } as const;
type Path = keyof typeof paths;
const dtypes = ['float32', 'float64'] as const;

/**
 * What PyTorch 1.13 computes instead of the canonical step, as spec/defects.md's table names it
 * (clause, id, fix): by path, family and dtype. Every other target is conformant. DEFECT-3 shows
 * only in float64 (in float32 the roundings are within PREC-3's charge); with this seed it shows.
 */
const defects: Record<string, { clause: string; fingerprint: string }> = {
  'foreach radam float32': { clause: 'DEFECT-1', fingerprint: 'known defect torch-1.13/radam-foreach-eps (fixed by pytorch/pytorch#92551)' },
  'foreach radam float64': { clause: 'DEFECT-1', fingerprint: 'known defect torch-1.13/radam-foreach-eps (fixed by pytorch/pytorch#92551)' },
  'single-tensor nadam float32': { clause: 'DEFECT-2', fingerprint: 'known defect torch-1.13/nadam-mu-product (fixed by pytorch/pytorch#92699)' },
  'single-tensor nadam float64': { clause: 'DEFECT-2', fingerprint: 'known defect torch-1.13/nadam-mu-product (fixed by pytorch/pytorch#92699)' },
  'foreach adagrad float64': {
    clause: 'DEFECT-3',
    fingerprint: 'known defect torch-1.13/adagrad-foreach-lr-float32 (no fix identified; PyTorch 2.x computes it in double)',
  },
};

/**
 * One check per path and dtype, every family in one session (one torch start-up, not nine). The
 * tests of a path and dtype come together: the first starts the check and waits for it (hence its
 * longer timeout), the others read the same report.
 */
const RUNS = 24;
const CHECK_TIMEOUT_MS = 180_000;
const reports = new Map<string, Promise<CheckReport>>();
/**
 * One adapter per path, which its dtypes' checks use in turn (each says hello anew): two torch
 * start-ups, not four (~1.2 s of CPU each). The runner closes what it checked, so it is given the
 * adapter without `close`; afterAll closes it.
 */
const adapters = new Map<Path, { impl: ProcessImplementation; checks: Promise<unknown> }>();
afterAll(() => Promise.all([...adapters.values()].map(({ impl }) => impl.close())));
const adapterOf = (path: Path) => {
  if (!adapters.has(path)) adapters.set(path, { impl: spawnImplementation([...TORCH, ...paths[path]]), checks: Promise.resolve() });
  return adapters.get(path)!;
};
/** The path's adapter once no check uses it, greeted, for a test's own requests (afterAll closes it). */
const idleAdapter = async (path: Path): Promise<ProcessImplementation> => {
  const adapter = adapterOf(path);
  await adapter.checks;
  await adapter.impl.hello();
  return adapter.impl;
};
const reportOf = (path: Path, dtype: (typeof dtypes)[number]): Promise<CheckReport> => {
  const key = `${path} ${dtype}`;
  if (!reports.has(key)) {
    const adapter = adapterOf(path);
    const kept: ProcessImplementation = Object.create(adapter.impl, { close: { value: async () => undefined } });
    const report = adapter.checks.then(() => checkImplementation(kept, { dtype, runs: RUNS, seed: 1125 }));
    adapter.checks = report.catch(() => undefined);
    reports.set(key, report);
  }
  return reports.get(key)!;
};

describe('torch.optim 1.13 (float32, float64; single-tensor and foreach) is conformant but for its known defects, found by name', () => {
  for (const path of Object.keys(paths) as Path[])
    for (const dtype of dtypes)
      for (const [optimizer, clauses] of families) {
        const defect = defects[`${path} ${optimizer} ${dtype}`];
        const title = defect
          ? `${defect.clause} · ${clauses} · torch.optim ${optimizer} ${dtype} (${path}) fails as the ${defect.fingerprint}`
          : `${clauses} · torch.optim ${optimizer} ${dtype} (${path}) is conformant`;
        it(title, { timeout: CHECK_TIMEOUT_MS }, async () => {
          const report = await reportOf(path, dtype);
          const target = report.targets.find((t) => t.optimizer === optimizer);
          if (target === undefined) return expect.fail(`no ${optimizer} target in:\n${formatReport(report)}`);
          expect(target.cases - target.skipped, 'cases actually checked').toBeGreaterThan(defect ? 0 : RUNS - 10);
          if (defect) {
            expect(target.verdict, formatReport(report)).toBe('fail');
            expect(target.fingerprint, formatReport(report)).toEqual([defect.fingerprint]);
            expect(formatReport(report)).toContain(`fingerprint: matches ${defect.fingerprint}`);
            return;
          }
          expect(target.verdict, formatReport(report)).toBe('pass');
          // Every clause was exercised (momentum, dampening, Nesterov, L2, AMSGrad, centered, lr_decay…), none left untested.
          for (const c of target.clauses) expect(c.verdict, `${c.clause} on torch ${optimizer} ${dtype} (${path})`).toBe('pass');
        });
      }
});

describe('PROTO-9 · torch_optim.py and base64 arrays', () => {
  /** One reply line per request line from the adapter as a process. */
  async function converse(messages: readonly unknown[]): Promise<any[]> {
    const child = spawn(TORCH[0], TORCH.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stdin.end(messages.map((m) => [...lineChunks(m)].join('')).join(''));
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
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

  /** a malformed base64 array in each place, then a good case */
  const good = encodeRequestArrays(cases[0]) as any;
  const malformed = [
    { ...good, id: 'a', steps: [good.steps[0], { grad: { dtype: 'float32', base64: 'AAAAAAAAAAAAAA==' } }] },
    { ...good, id: 'b', state: { ...good.state, exp_avg: { dtype: 'int8', base64: '' } } },
    { ...good, id: 'c', params: { dtype: 'float32', base64: 'AA!A' } },
    { ...good, id: 'd', params: { ...good.params, shape: [4] } },
    { ...good, id: 'ok' },
  ];
  // Both tests' messages go to one adapter process, one torch start-up (~1.2 s of CPU) rather than two; each reads its replies.
  let allReplies: Promise<any[]> | undefined;
  const conversation = () => (allReplies ??= converse([{ op: 'hello', protocol: 'optconf/1' }, ...cases, ...cases.map(encodeRequestArrays), ...malformed]));

  it('PROTO-9 · declared in hello; base64 requests get base64 replies with the values JSON requests get', async () => {
    const [hello, ...replies] = (await conversation()).slice(0, 1 + 2 * cases.length);
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
    const replies = (await conversation()).slice(1 + 2 * cases.length);
    expect(replies).toMatchObject([
      { op: 'error', id: 'a', message: expect.stringMatching(/steps\[1\]\.grad: base64 holds 10 bytes, not a multiple of 4 \(float32\)/) },
      { op: 'error', id: 'b', message: expect.stringMatching(/state\.exp_avg: base64 dtype "int8" is neither float32 nor float64/) },
      { op: 'error', id: 'c', message: expect.stringMatching(/params: not standard base64/) },
      { op: 'error', id: 'd', message: expect.stringMatching(/params: unexpected field 'shape' in a base64 array/) },
      { op: 'result', id: 'ok' },
    ]);
  });

  it(
    'PROTO-9 · through JSON arrays (--json-arrays), torch.optim adam float32 gives the same report as through base64',
    { timeout: CHECK_TIMEOUT_MS },
    async () => {
      // through base64: the single-tensor float32 check above, whose adam target has the same cases
      // as a check of adam alone (a seed per target), so it is not run again
      const base64 = await reportOf('single-tensor', 'float32');
      const json = await checkImplementation(spawnImplementation(TORCH, undefined, { jsonArrays: true }), {
        optimizer: 'adam',
        dtype: 'float32',
        runs: RUNS,
        seed: 1125,
      });
      expect(json.verdict, formatReport(json)).toBe('conformant');
      const { implementation, seed, runs } = base64;
      expect(json).toEqual({ implementation, seed, runs, verdict: 'conformant', exitCode: 0, targets: base64.targets.filter((t) => t.optimizer === 'adam') });
    },
  );
});

describe('NOTE-7 · non-finite values: the reference propagates them as torch.optim 1.13 does', () => {
  const kind = (x: number) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? '+∞' : x === -Infinity ? '-∞' : 'finite');
  /** One element per configuration, from a mid-run state (step 3, or as given), with NaN, +∞ or −∞ in one input; two steps. */
  const grid: [string, Record<string, number | boolean>, Record<string, number>, number?][] = [
    ['sgd', { lr: 0.5 }, {}],
    ['sgd', { lr: 0 }, {}],
    ['sgd', { lr: 0.5, momentum: 0.5, dampening: 0.5, weight_decay: 0.25 }, { momentum_buffer: 0.75 }],
    ['sgd', { lr: 0.5, momentum: 0.5, nesterov: true }, { momentum_buffer: -0.75 }],
    ['rmsprop', { lr: 0.5, weight_decay: 0.25, momentum: 0.5 }, { square_avg: 0.25, momentum_buffer: 0.75 }],
    ['rmsprop', { lr: 0.5, centered: true }, { square_avg: 0.25, grad_avg: 0.25 }],
    ['adam', { lr: 0.5, beta1: 0, weight_decay: 0.25 }, { exp_avg: 0.5, exp_avg_sq: 0.25 }],
    ['adam', { lr: 0.5, amsgrad: true }, { exp_avg: 0.5, exp_avg_sq: 0.25, max_exp_avg_sq: 0.5 }],
    ['adamw', { lr: 0.5, weight_decay: 0, amsgrad: true }, { exp_avg: 0.5, exp_avg_sq: 0.25, max_exp_avg_sq: 0.5 }],
    ['adamw', { lr: 0.5, weight_decay: 0.25 }, { exp_avg: 0.5, exp_avg_sq: 0.25 }],
    ['adagrad', { lr: 0.5 }, { sum: 0.25 }],
    ['adagrad', { lr: 0.5, lr_decay: 0.5, weight_decay: 0.25 }, { sum: 0.25 }],
    ['adadelta', { lr: 0.5 }, { square_avg: 0.25, acc_delta: 0.125 }],
    ['adadelta', { lr: 0.5, weight_decay: 0.25 }, { square_avg: 0.25, acc_delta: 0.125 }],
    ['adamax', { lr: 0.5, weight_decay: 0.25 }, { exp_avg: 0.5, exp_inf: 0.25 }],
    ['nadam', { lr: 0.5, weight_decay: 0.25 }, { exp_avg: 0.5, exp_avg_sq: 0.25, mu_product: 0.75 }],
    // from step 3: ρₜ ≤ 5, the unrectified step; from step 10: rectified
    ['radam', { lr: 0.5 }, { exp_avg: 0.5, exp_avg_sq: 0.25 }],
    ['radam', { lr: 0.5, weight_decay: 0.25 }, { exp_avg: 0.5, exp_avg_sq: 0.25 }, 10],
  ];

  type Config = (typeof grid)[number];
  /**
   * Every configuration with NaN, +∞ or −∞ in each input slot, in float32 and float64: where the
   * kind of an output (NaN, +∞, −∞, finite) differs between `expected` and torch's reply.
   */
  async function differencesFrom(torch: ProcessImplementation, configs: readonly Config[], expected: (r: RunRequest) => readonly WireStepOutput[]) {
    const differences: string[] = [];
    let compared = 0;
    for (const dtype of ['float32', 'float64'] as const)
      for (const [optimizer, hyper, state, from = 3] of configs)
        // NAdam's μ product is one scalar for the tensor: never spoiled element by element (PROTO-5, NADAM-3)
        for (const slot of ['grad', 'params', ...Object.keys(state).filter((name) => name !== 'mu_product')])
          for (const special of ['NaN', 'Infinity', '-Infinity']) {
            const at = (name: string, x: number) => [name === slot ? special : x] as unknown as number[];
            const request: RunRequest = {
              op: 'run',
              id: `${optimizer}-${slot}-${special}`,
              optimizer,
              dtype,
              hyper,
              params: at('params', 1.5),
              state: { step: from, ...Object.fromEntries(Object.entries(state).map(([k, v]) => [k, at(k, v)])) } as RunRequest['state'],
              steps: [{ grad: at('grad', 0.5) }, { grad: [0.25] }],
            };
            const reply = await torch.run(request);
            if (reply.op !== 'result') expect.fail(`${request.id}: ${JSON.stringify(reply)}`);
            expected(request).forEach((s, k) =>
              ['params', ...Object.keys(state)].forEach((name) => {
                const value = (r: WireStepOutput) => decodeWireArray(name === 'params' ? r.params : r.state?.[name], 1, name)[0];
                const [x, y] = [value(s), value(reply.steps[k])];
                compared++;
                if (kind(x) !== kind(y))
                  differences.push(`${dtype} ${optimizer} ${JSON.stringify(hyper)} ${slot}=${special} step ${k + 1} ${name}: ${x} / ${y}`);
              }),
            );
          }
    return { differences, compared };
  }
  const reference = (request: RunRequest): readonly WireStepOutput[] => {
    const reply = referenceRun(request);
    if (reply.op !== 'result') expect.fail(`${request.id}: ${JSON.stringify(reply)}`);
    return reply.steps;
  };

  it('NOTE-7 · every output is NaN, +∞, −∞ or finite alike, in nine families, but AdamW’s decay of an infinite θ (NaN here, ±∞ in PyTorch)', async () => {
    const { differences, compared } = await differencesFrom(await idleAdapter('single-tensor'), grid, reference);
    expect(compared).toBeGreaterThan(1000);
    // the one exception NOTE-7 names: θ − lr·λ·θ at θ = ±∞ (reached from θ or from exp_avg = ±∞) is NaN, θ·(1 − lr·λ) ±∞
    const exception = /^\S+ adamw \{"lr":0.5,"weight_decay":0.25\} (params|exp_avg)=-?Infinity step \d params: NaN \/ -?Infinity$/;
    expect(differences.filter((d) => !exception.test(d))).toEqual([]);
    expect(differences.length, 'the exception is real').toBeGreaterThan(0);
  });

  it('NOTE-7 · DEFECT-1 · foreach RAdam’s NaN where the reference has ±∞ (or, unrectified, a finite θ beside a NaN v) are its known defect’s: both branches formed every step', async () => {
    const torch = await idleAdapter('foreach');
    const radam = grid.filter(([optimizer]) => optimizer === 'radam');
    const defect = KNOWN_DEFECTS.find((d) => d.clauses.includes('DEFECT-1')) as OptimizerDef;
    const canonical = await differencesFrom(torch, radam, reference);
    expect(canonical.differences.length, 'foreach RAdam differs from the canonical step').toBeGreaterThan(0);
    const asDefect = await differencesFrom(torch, radam, (request) => computeSteps(request, undefined, defect));
    expect(asDefect.differences).toEqual([]);
  });
});

describe('NOTE-1 · torch.optim.Adam 1.13 counts steps in float32, which stops at 2²⁴', () => {
  it('NOTE-1 · ADAM-4 · its counter stays at 2²⁴, so torch_optim.py answers `unsupported` to a case of a float32-counting family (Adam, AdamW, Adagrad, Adamax, NAdam, RAdam) that counts past it', async () => {
    const script = [
      'import torch',
      'p = torch.ones(1, requires_grad=True)',
      'o = torch.optim.Adam([p])',
      'p.grad = torch.ones(1)',
      'o.step()',
      'o.state[p]["step"] = torch.tensor(float(2 ** 24))',
      'o.step()',
      'print(int(o.state[p]["step"].item()))',
    ].join('\n');
    const child = spawn(TORCH[0], ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await new Promise((resolve) => child.on('close', resolve));
    expect(out.trim(), 'PyTorch 1.13: 2²⁴ + 1 rounds back to 2²⁴').toBe(String(2 ** 24));
    const torch = await idleAdapter('single-tensor');
    const request = (optimizer: string, step: number, steps: number): RunRequest => ({
      op: 'run',
      id: `${optimizer}-${step}`,
      optimizer,
      dtype: 'float64',
      hyper: { lr: 0.001 },
      params: [1],
      state: { step, exp_avg: [0.5], exp_avg_sq: [0.25] },
      steps: Array.from({ length: steps }, () => ({ grad: [0.5] })),
    });
    expect(await torch.run(request('adam', 2 ** 24 - 2, 2))).toMatchObject({ op: 'result' });
    // RMSprop and Adadelta count in a Python int: they go on
    const intCounted: [string, Record<string, number[]>][] = [
      ['rmsprop', { square_avg: [0.25] }],
      ['adadelta', { square_avg: [0.25], acc_delta: [0.25] }],
    ];
    for (const [optimizer, arrays] of intCounted)
      expect(await torch.run({ ...request(optimizer, 2 ** 24 - 2, 3), state: { step: 2 ** 24 - 2, ...arrays } }), optimizer).toMatchObject({ op: 'result' });
    for (const optimizer of ['adam', 'adamw', 'adagrad', 'adamax', 'nadam', 'radam'])
      expect(await torch.run(request(optimizer, 2 ** 24 - 2, 3)), optimizer).toMatchObject({
        op: 'unsupported',
        reason: expect.stringMatching(/float32 tensor, which stops at 2\*\*24 = 16777216; this case reaches step 16777217/),
      });
  });
});
