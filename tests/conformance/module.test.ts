/**
 * A user's own JavaScript optimizer (conformance/adapters/module.ts): the hand-written modules of
 * tests/fixtures/byo/, written from the spec's formulas as a user would, checked through the command
 * line (`optconf run --impl module:…`) and through the in-process API (`loadOptimizerModule`,
 * `moduleImplementation`, exported by index.ts). The honest ones are conformant, the one-bug copies
 * fail with the fingerprint their bug deserves, and whatever a module does wrong is named.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImplementation, formatReport, loadOptimizerModule, moduleImplementation, type OptimizerModule } from '../../index.ts';
import type { RunReply, RunRequest, WireStepOutput } from '../../conformance/protocol/messages.ts';
import { ROOT } from '../../scripts/traceability.ts';
import { optconfAsync } from '../reports/cli.ts';
import { implementationFor } from '../../conformance/adapters/builtin.ts';

const BYO = 'tests/fixtures/byo';
const RUNS = 30;
const f = Math.fround;

/** The runner's report on a module of tests/fixtures/byo, in process. */
async function checkModule(file: string, options: { dtype?: 'float32' | 'float64' } = {}) {
  const report = await checkImplementation(await loadOptimizerModule(`${BYO}/${file}`), { runs: RUNS, seed: 7, ...options });
  return { report, text: formatReport(report) };
}

/** A float32 Adam request: two elements, `steps` gradients, fresh unless a state is given. */
function adamRequest(steps: number, hyper: Record<string, number | boolean> = {}): RunRequest {
  const grads = [
    [0.5, -0.25],
    [0.25, -0.5],
    [0.125, 1],
    [-0.5, 0.75],
  ];
  return {
    op: 'run',
    id: 'adam',
    optimizer: 'adam',
    dtype: 'float32',
    hyper: { lr: f(0.01), ...hyper },
    params: [1, -2],
    state: null,
    steps: grads.slice(0, steps).map((grad) => ({ grad })),
  };
}

function stepsOf(reply: RunReply): readonly WireStepOutput[] {
  if (reply.op !== 'result') throw new Error(`expected a result, got ${JSON.stringify(reply)}`);
  return reply.steps;
}

function errorOf(reply: RunReply): string {
  if (reply.op !== 'error') throw new Error(`expected an error, got ${JSON.stringify(reply)}`);
  return reply.message;
}

/** An in-process module: Adam's shape, with a `step` of the test's own. */
function adamModule(
  step: (params: Float32Array | Float64Array, grads: Float32Array | Float64Array, state: Record<string, unknown>) => unknown,
): OptimizerModule {
  return { family: 'adam', dtypes: ['float32'], create: () => ({ step: step as never }) };
}

// CLI starts and module processes mostly wait on tsx loading: the tests of these describes run at once.
describe.concurrent('optconf run --impl module:PATH (the command line)', () => {
  it('ADAM-1, ADAM-2, ADAM-3, ADAM-4, ADAM-5, ADAM-6: my-adam.mjs is conformant in float32 and float64', async () => {
    const r = await optconfAsync('run', '--impl', `module:${BYO}/my-adam.mjs`, '--runs', String(RUNS), '--seed', '1');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adam float32\s+PASS/m);
    expect(r.stdout).toMatch(/^adam float64\s+PASS/m);
    expect(r.stdout).toContain(`optconf: module:${BYO}/my-adam.mjs`);
  });

  it('PROTO-4: a module without the export is a one-line usage error naming it (exit 2)', async () => {
    const noExport = await optconfAsync('run', '--impl', `module:${BYO}/my-adam-no-export.mjs`);
    expect(noExport.status).toBe(2);
    expect(noExport.stderr.trim().split('\n'), noExport.stderr).toHaveLength(1);
    expect(noExport.stderr).toContain(
      `module:${BYO}/my-adam-no-export.mjs exports no family, dtypes: expected export default { family, dtypes, create(hyper, dtype) }`,
    );
  });
});

describe('optconf run --impl module:PATH runs the module in its own process', () => {
  it('PROTO-8: a module whose import never settles is refused at the start-up limit, naming it', async () => {
    const started = Date.now();
    await expect(implementationFor(`module:${BYO}/my-adam-never-loads.mjs`, {}, { startupMs: 1000 })).rejects.toThrow(
      `no import of module:${BYO}/my-adam-never-loads.mjs (a top-level await that never ends?) within 1 s`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('PROTO-8: a step that never returns is killed at the case limit and named, not a hang of the runner', async () => {
    const impl = await implementationFor(`module:${BYO}/my-adam-hangs.mjs`, {}, { caseMs: 1000, startupMs: 20_000 });
    expect((await impl.hello()).implementation).toBe(`module:${BYO}/my-adam-hangs.mjs`);
    // its first step returns, its second never does
    await expect(impl.run(adamRequest(1))).resolves.toMatchObject({ op: 'result' });
    const started = Date.now();
    expect(errorOf(await impl.run(adamRequest(2)))).toMatch(/no reply to case \S+ within 1 s \(killed\)/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await impl.close?.();
  });
});

describe('loadOptimizerModule and moduleImplementation (the in-process API)', () => {
  it('SGD-1, SGD-2, SGD-3, SGD-4: my-sgd.mjs is conformant in float32 and float64', async () => {
    const { report, text } = await checkModule('my-sgd.mjs');
    expect(report.verdict, text).toBe('conformant');
    expect(report.targets.map((t) => `${t.dtype} ${t.verdict} ${t.skipped}`).sort(), text).toEqual(['float32 pass 0', 'float64 pass 0']);
    const clauses = Object.fromEntries(report.targets[0].clauses.map((c) => [c.clause, c.verdict]));
    expect(clauses, text).toMatchObject({ 'SGD-2': 'pass', 'SGD-3': 'pass', 'SGD-4': 'pass' });
  });

  it('ADAM-8: my-adam-eps-inside.mjs (ε inside the root) fails and is fingerprinted as adam/eps-inside-sqrt', async () => {
    const { report, text } = await checkModule('my-adam-eps-inside.mjs', { dtype: 'float32' });
    expect(report.verdict, text).toBe('not-conformant');
    expect(report.targets[0].fingerprint, text).toEqual(['adam/eps-inside-sqrt']);
  });

  it('PROTO-8: a missing file, or one that does not import, is a one-line error naming it', async () => {
    await expect(loadOptimizerModule(`${BYO}/no-such-optimizer.mjs`)).rejects.toThrow(
      new RegExp(`^module:${BYO}/no-such-optimizer\\.mjs: no such file \\(.*no-such-optimizer\\.mjs\\)$`),
    );
    await expect(loadOptimizerModule('tests/fixtures/bad-impl.mjs')).rejects.toThrow('module:tests/fixtures/bad-impl.mjs exports no family, dtypes, create');
    await expect(loadOptimizerModule('tests/fixtures/faults/error-reply.py')).rejects.toThrow(
      /^module:tests\/fixtures\/faults\/error-reply\.py: could not import it: \S/,
    );
  });

  it('SGD-4: my-sgd-nesterov-old-buffer.mjs fails SGD-4 and matches no named variant (none computes that)', async () => {
    const { report, text } = await checkModule('my-sgd-nesterov-old-buffer.mjs', { dtype: 'float64' });
    expect(report.verdict, text).toBe('not-conformant');
    const target = report.targets[0];
    expect(target.clauses.find((c) => c.clause === 'SGD-4')?.verdict, text).toBe('fail');
    expect(target.fingerprint, text).toEqual([]);
  });

  it('PROTO-4, ADAM-6: my-adam-no-amsgrad.mjs is conformant with amsgrad pinned by `fixed`; without the pin it fails ADAM-6', async () => {
    const { report, text } = await checkModule('my-adam-no-amsgrad.mjs');
    expect(report.verdict, text).toBe('conformant');
    const hello = await (await loadOptimizerModule(`${BYO}/my-adam-no-amsgrad.mjs`)).hello();
    expect(hello.supports, 'PROTO-4: the pin reaches the hello reply').toEqual([
      { optimizer: 'adam', dtypes: ['float32', 'float64'], fixed: { amsgrad: false }, returnsState: true },
    ]);
    const module = (await import(pathToFileURL(join(ROOT, BYO, 'my-adam-no-amsgrad.mjs')).href)).default as OptimizerModule;
    const unpinned = await checkImplementation(moduleImplementation({ ...module, fixed: undefined }), { runs: RUNS, seed: 7, dtype: 'float32' });
    expect(unpinned.verdict, formatReport(unpinned)).toBe('not-conformant');
    expect(unpinned.targets[0].failure?.minimalCase.hyper.amsgrad, 'ADAM-6: the minimal failure asks for AMSGrad').toBe(true);
  });

  it('PROTO-6: a module that throws gets an `error` reply naming the module, the step and the message; the runner reports it', async () => {
    const impl = await loadOptimizerModule(`${BYO}/my-adam-throws.mjs`);
    expect(errorOf(await impl.run(adamRequest(2, { amsgrad: true })))).toBe(
      `module:${BYO}/my-adam-throws.mjs: step() threw at steps[0]: TypeError: Cannot read properties of undefined (reading '0')`,
    );
    expect((await impl.run(adamRequest(2))).op, 'without AMSGrad it runs').toBe('result');
    const { report, text } = await checkModule('my-adam-throws.mjs');
    expect(report.verdict, text).toBe('not-conformant');
    expect(report.targets[0].failure?.message, text).toMatch(/^implementation error: module:tests\/fixtures\/byo\/my-adam-throws\.mjs: step\(\) threw/);
  });

  it('PROTO-6: a wrong return, a state array of the wrong type or length, and an unchanged step count are `error` replies naming them', async () => {
    const cases: [string, OptimizerModule, string][] = [
      [
        'a plain array returned',
        adamModule((p) => Array.from(p)),
        'after steps[0], the returned params is an Array of 2 elements; expected a Float32Array of 2 elements',
      ],
      [
        'a float64 array returned',
        adamModule((p) => Float64Array.from(p)),
        'the returned params is a Float64Array of 2 elements; expected a Float32Array of 2 elements',
      ],
      ['a number returned', adamModule(() => 3), 'the returned params is number; expected a Float32Array of 2 elements'],
      [
        'a state array too short',
        adamModule((_p, _g, s) => {
          s.step = (s.step as number) + 1;
          s.exp_avg = new Float32Array(1);
        }),
        'after steps[0], state.exp_avg is a Float32Array of 1 elements; expected a Float32Array of 2 elements',
      ],
      [
        'a state array removed',
        adamModule((_p, _g, s) => {
          s.step = (s.step as number) + 1;
          delete s.exp_avg_sq;
        }),
        'state.exp_avg_sq is undefined',
      ],
      ['the step count left alone', adamModule(() => undefined), 'state.step went from 0 to 0; step() must add one'],
      ['create() returning no step', { family: 'adam', dtypes: ['float32'], create: () => ({}) as never }, 'create() must return an object with a step'],
      [
        'create() throwing',
        {
          family: 'adam',
          dtypes: ['float32'],
          create: () => {
            throw new RangeError('no GPU');
          },
        },
        'create() threw: RangeError: no GPU',
      ],
    ];
    for (const [what, module, message] of cases) {
      const reply = await moduleImplementation(module, { name: 'my-module.mjs' }).run(adamRequest(1));
      expect(errorOf(reply), `PROTO-6: ${what}`).toContain(message);
      expect(errorOf(reply).startsWith('my-module.mjs: '), `PROTO-6: ${what} names the module`).toBe(true);
    }
  });

  it('PROTO-5: two steps from the returned state (loaded as typed arrays) give the last two of four, bit for bit', async () => {
    const impl = await loadOptimizerModule(`${BYO}/my-adam.mjs`);
    const whole = adamRequest(4, { amsgrad: true, weight_decay: f(0.01) });
    const all = stepsOf(await impl.run(whole));
    expect(all[1].state, 'NOTE-2: the state after two steps').toMatchObject({ step: 2 });
    expect(Object.keys(all[1].state!).sort(), 'PROTO-7: the state names of AMSGrad Adam').toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    const resumed = stepsOf(await impl.run({ ...whole, params: all[1].params, state: all[1].state!, steps: whole.steps.slice(2) }));
    expect(resumed).toEqual(all.slice(2));
  });

  it('PROTO-6: the module works on copies: it can change neither the request nor a reply it already gave', async () => {
    const kept: (Float32Array | Float64Array)[] = [];
    const hoarder = adamModule((p, g, s) => {
      s.step = (s.step as number) + 1;
      for (const a of kept) a.fill(99); // scribble over every array seen in earlier cases
      kept.push(p, g, s.exp_avg as Float32Array, s.exp_avg_sq as Float32Array);
      p[0] = 0.5;
    });
    const impl = moduleImplementation(hoarder);
    const request: RunRequest = { ...adamRequest(1), state: { step: 3, exp_avg: [0.25, 0.25], exp_avg_sq: [1, 1] } };
    const first = stepsOf(await impl.run(request));
    const snapshot = JSON.stringify(first);
    await impl.run(request);
    expect(JSON.stringify(first), 'a reply is not an alias of the module’s arrays').toBe(snapshot);
    expect(request.params, 'the request’s params are untouched').toEqual([1, -2]);
    expect(request.state, 'the request’s state is untouched').toEqual({ step: 3, exp_avg: [0.25, 0.25], exp_avg_sq: [1, 1] });
    expect(first[0]).toEqual({ params: [0.5, -2], state: { step: 4, exp_avg: [0.25, 0.25], exp_avg_sq: [1, 1] } });
  });

  it('PROTO-4: cases outside the module’s dtypes or pins are `unsupported`; a module of the wrong shape (ranges too) is refused in one line', async () => {
    const impl = await loadOptimizerModule(`${BYO}/my-adam-no-amsgrad.mjs`);
    expect((await impl.run(adamRequest(1, { amsgrad: true }))).op, 'amsgrad is pinned to false').toBe('unsupported');
    expect((await impl.run({ ...adamRequest(1), dtype: 'bfloat16' })).op, 'bfloat16 is not declared').toBe('unsupported');
    expect((await impl.run({ ...adamRequest(1), optimizer: 'adamw' })).op, 'adamw is not its family').toBe('unsupported');
    // PROTO-6: a number where a state array is due is an error, even at step 0 (not quietly a fresh array)
    const numberState = { ...adamRequest(1), state: { step: 0, exp_avg: 0.5, exp_avg_sq: [0, 0] } } as unknown as RunRequest;
    expect(errorOf(await impl.run(numberState))).toBe('state.exp_avg must be an array of 2 numbers');
    const create = () => ({ step() {} });
    const refusals: [unknown, string][] = [
      [{ family: 'adamm', dtypes: ['float32'], create }, 'family "adamm" is not one of sgd, rmsprop, adam'],
      [{ family: 'adam', dtypes: ['float16'], create }, `dtypes must be a non-empty array of 'float32' and 'float64', got ["float16"]`],
      [{ family: 'adam', dtypes: ['float32'], fixed: { ams_grad: false }, create }, 'fixed: adam has no hyperparameter ams_grad'],
      [{ family: 'adam', dtypes: ['float32'], fixed: { amsgrad: 0 }, create }, 'fixed: adam.amsgrad must be true or false'],
      [{ family: 'adam', dtypes: ['float32'], fixed: { lr: Infinity }, create }, 'fixed: adam.lr must be a finite number'],
      [{ family: 'adam', dtypes: ['toString'], create }, `dtypes must be a non-empty array of 'float32' and 'float64', got ["toString"]`],
      [{ family: 'adam', dtypes: ['float32'], create: 'create' }, 'create must be a function'],
      // PROTO-4: ranges held to the protocol's shape and to the runner's rule when the module loads
      [{ family: 'adam', dtypes: ['float32'], ranges: [0, 1], create }, 'ranges must be an object of hyperparameter names, each [lo, hi] or bounds; got [0,1]'],
      [
        { family: 'adam', dtypes: ['float32'], ranges: { lr: 5 }, create },
        'ranges.lr: a range object has minimum or exclusiveMinimum, maximum or exclusiveMaximum (numbers), at least one, got 5',
      ],
      [{ family: 'adam', dtypes: ['float32'], ranges: { lr: [1] }, create }, 'ranges.lr: a range is [lo, hi] (two numbers) or an object of bounds, got [1]'],
      [{ family: 'adam', dtypes: ['float32'], ranges: { learning_rate: [0, 1] }, create }, 'ranges: adam has no hyperparameter learning_rate'],
      [{ family: 'adam', dtypes: ['float32'], ranges: { lr: [1, 0] }, create }, 'ranges: adam.lr [1, 0] is empty'],
      [{ family: 'adam', dtypes: ['float32'], fixed: { lr: 2 }, ranges: { lr: [0, 1] }, create }, 'ranges: adam.lr is pinned to 2, outside its range [0, 1]'],
      [undefined, 'exports no family, dtypes, create'],
    ];
    for (const [module, message] of refusals)
      expect(() => moduleImplementation(module, { name: 'mine.mjs' }), message).toThrow(`mine.mjs${message.startsWith('exports') ? ' ' : ': '}${message}`);
  });
});

/** The first fenced block of `lang` after `heading` in conformance/adapters/README.md, written to a temporary file. */
function readmeExample(heading: string, lang: string, file: string): string {
  const readme = readFileSync(join(ROOT, 'conformance/adapters/README.md'), 'utf8');
  const after = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(after);
  if (!block) throw new Error(`no ${lang} block after ${heading}`);
  const path = join(mkdtempSync(join(tmpdir(), 'optconf-readme-')), file);
  writeFileSync(path, block[1]);
  return path;
}

describe.concurrent('conformance/adapters/README.md: its examples run as written', () => {
  it('PROTO-2, PROTO-3, PROTO-6: the "Writing an adapter" loop is a complete adapter (float64 SGD conformant), its helpers defined', async () => {
    const adapter = readmeExample('## Writing an adapter', 'python', 'my_adapter.py');
    const r = await optconfAsync('run', '--impl', `/usr/bin/python3 ${adapter}`, '--runs', String(RUNS), '--seed', '1');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sgd float64\s+PASS/m);
  });

  it('ADAM-1, ADAM-5, ADAM-6: the "Your own JavaScript optimizer" example module is conformant in float32 and float64', async () => {
    const module = readmeExample('## Your own JavaScript optimizer', 'js', 'my-adam.mjs');
    const report = await checkImplementation(await loadOptimizerModule(module), { runs: RUNS, seed: 3 });
    expect(report.verdict, formatReport(report)).toBe('conformant');
    expect(report.targets.map((t) => t.dtype).sort()).toEqual(['float32', 'float64']);
  });
});
