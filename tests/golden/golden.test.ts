/**
 * The golden trace files (spec/golden-format.md): schema, manifest, byte-for-byte regeneration,
 * reporting of corrupted, extra and missing files, protection of files the user wrote, and
 * checking implementations against them — the reference and a wrong reference (torch.optim, through
 * its adapter and check_golden.py: torch-golden.test.ts beside this file).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGoldenFile, roundUp, serializeGolden, validateGolden, type GoldenSpec } from '../../conformance/golden/format.ts';
import { GOLDEN_DIR, checkGolden, generateGolden, writeGolden } from '../../conformance/golden/store.ts';
import { goldenSpecs } from '../../conformance/golden/cases.ts';
import { verifyGolden } from '../../conformance/golden/verify.ts';
import type { Implementation } from '../../conformance/protocol/implementation.ts';
import { referenceImplementation } from '../../conformance/adapters/reference.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { OPTIMIZERS } from '../../reference/registry.ts';
import { main as goldenMain } from '../../scripts/golden.ts';
import { goldenCopies, load, manifest } from './golden-files.ts';
import { optconfAsync } from '../reports/cli.ts';

let regenerated: Map<string, string>;
const { tempCopy, emptyDir, removeTemps } = goldenCopies();

beforeAll(() => {
  regenerated = generateGolden();
});
afterAll(removeTemps);

describe('GOLD-1 · format and schema', () => {
  it('GOLD-1 · every golden file validates against schema.json and names itself', () => {
    const files = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json') && f !== 'manifest.json' && f !== 'schema.json');
    expect(files.length, 'golden files present').toBeGreaterThan(30);
    for (const f of files) {
      const g = load(f);
      expect(validateGolden(g), `${f} against schema.json`).toBeUndefined();
      expect(`${g.name}.json`, `${f}: name field`).toBe(f);
      expect(g.reference.precision, `${f}: reference precision`).toBe(50);
    }
  });

  it('GOLD-1 · the schema rejects a file with a missing field, a bad dtype or a negative allowed error', () => {
    const g = load('adam-float32.json');
    const { expected: _drop, ...missing } = g;
    expect(validateGolden(missing), 'no expected').toMatch(/expected/);
    expect(validateGolden({ ...g, dtypes: ['float8'] }), 'dtype float8').toBeDefined();
    const bad = structuredClone(g);
    bad.expected[0].dtypes.float32.params.allowed[0] = -1;
    expect(validateGolden(bad), 'allowed −1').toBeDefined();
  });

  it('GOLD-1 · bytes: fixed key order, -0 and non-finite values as the protocol writes them, one final newline', () => {
    const text = serializeGolden({ b: 1, a: [-0, Number.NaN, Number.POSITIVE_INFINITY, 1e-7, 0.1], o: { s: ['x'] }, e: [] });
    expect(text).toBe('{\n  "b": 1,\n  "a": [-0, "NaN", "Infinity", 1e-7, 0.1],\n  "o": {\n    "s": ["x"]\n  },\n  "e": []\n}\n');
  });
});

describe('GOLD-2 · the curated set', () => {
  it('GOLD-2 · covers every family and named variant, every dtype, and every clause of every definition', () => {
    const definitions = new Set(manifest.files.map((f) => f.optimizer));
    for (const def of OPTIMIZERS) expect(definitions.has(def.name), `no golden file for ${def.name}`).toBe(true);
    const dtypes = new Set(manifest.files.flatMap((f) => f.dtypes));
    for (const d of ['float64', 'float32', 'bfloat16', 'float16'] as const) expect(dtypes.has(d), `no golden file checks ${d}`).toBe(true);
    for (const def of OPTIMIZERS) {
      const exercised = new Set(manifest.files.filter((f) => f.optimizer === def.name).flatMap((f) => f.clauses));
      for (const c of def.clauses) expect(exercised.has(c), `${def.name}: no golden file exercises ${c}`).toBe(true);
    }
  });

  it('GOLD-2 · holds the worked problem, runs of 1,000+ steps, schedules and a 100,000-element float32 case, under 22 MB', () => {
    for (const f of ['spreadsheet-sgd.json', 'spreadsheet-momentum.json', 'spreadsheet-adam.json']) expect(existsSync(join(GOLDEN_DIR, f)), f).toBe(true);
    const long = manifest.files.filter((f) => load(f.file).case.steps.length >= 1000);
    expect(long.length, 'files with ≥ 1000 steps').toBeGreaterThanOrEqual(3);
    const large = manifest.files.filter((f) => f.bytes > 1e6 && load(f.file).case.params.length >= 100_000);
    expect(
      large.map((f) => f.dtypes),
      '100k-element case',
    ).toEqual([['float32']]);
    expect(
      manifest.files.some((f) => f.clauses.includes('NOTE-3')),
      'a file with per-step overrides',
    ).toBe(true);
    const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
    // the step-wise entries of GOLD-7 roughly double the multi-step files; issue 12's six families add 0.9 MB
    expect(total, 'golden folder size').toBeLessThan(22e6);
  });

  it('GOLD-2 · every input is exact in every dtype the file lists (checked on the bits, not with the reference)', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const exactIn = (x: number, dtype: string): boolean => {
      if (dtype === 'float64' || x === 0) return true;
      f32[0] = x;
      if (f32[0] !== x) return false;
      if (dtype === 'float32') return true;
      if (dtype === 'bfloat16') return (u32[0] & 0xffff) === 0; // bfloat16 is the top half of a float32
      // float16: |x| ≤ 65504 and x·2^24 an integer with ≤ 11 significant bits (subnormals included)
      const scaled = Math.abs(x) * 2 ** 24;
      if (Math.abs(x) > 65504 || !Number.isInteger(scaled)) return false;
      let m = scaled;
      while (m % 2 === 0) m /= 2;
      return m < 2 ** 11;
    };
    for (const { file, dtypes } of manifest.files) {
      const c = load(file).case;
      const values = [...c.params, ...c.steps.flatMap((s) => s.grad), ...Object.values(c.state ?? {}).flatMap((v) => (Array.isArray(v) ? v : []))] as number[];
      for (const d of dtypes) {
        const bad = values.find((x) => !exactIn(x, d));
        expect(bad, `${file}: an input not exact in ${d}`).toBeUndefined();
      }
      for (const [k, v] of Object.entries(c.hyper)) if (typeof v === 'number') expect(Math.fround(v), `${file}: hyper ${k} float32-exact`).toBe(v);
    }
  });
});

/** The exact decimal of a double, by BigInt: m·2^e = m·5^−e / 10^−e. */
function exactDecimal(x: number): { num: bigint; scale: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const e = Number((bits >> 52n) & 0x7ffn) - 1075;
  const m = (bits & ((1n << 52n) - 1n)) | (1n << 52n);
  return e >= 0 ? { num: m << BigInt(e), scale: 0 } : { num: m * 5n ** BigInt(-e), scale: -e };
}

describe('GOLD-3 · GOLD-4 · expected values, worked by hand', () => {
  it('GOLD-3 · spreadsheet-sgd step 1: grads (−1204, −86) at a = b = 1 on row (14, 58), a = 1 + 1204·lr exactly', () => {
    const g = load('spreadsheet-sgd.json');
    // ŷ = 15, ∂e/∂b = 2·(15 − 58) = −86, ∂e/∂a = 14·(−86) = −1204 (GRAD-6).
    expect(g.case.steps[0].grad).toEqual([-1204, -86]);
    // lr = fround(1e-4) exactly; a₁ = 1 + 1204·lr has at most 40 significant digits here, so the string is exact.
    const lr = exactDecimal(g.case.hyper.lr as number);
    const a1 = 10n ** BigInt(lr.scale) + 1204n * lr.num;
    const digits = a1.toString();
    const text = `${digits.slice(0, digits.length - lr.scale)}.${digits.slice(digits.length - lr.scale)}`.replace(/0+$/, '');
    expect(g.expected[0].params[0], 'a after one step').toBe(text);
    expect(g.expected[0].dtypes.float32.params.value[0], 'a rounded to float32').toBe(Math.fround(Number(text)));
  });

  it('GOLD-3 · sgd-100k: every element is θ − lr·(g + λ·θ), exact in dyadic doubles', () => {
    const g = load('sgd-100k-float32.json');
    const { lr, weight_decay: wd } = g.case.hyper as { lr: number; weight_decay: number };
    const p = g.case.params as number[];
    const grad = g.case.steps[0].grad as number[];
    expect(p.length).toBe(100_000);
    for (const i of [0, 1, 77_777, 99_999]) {
      const want = p[i] - lr * (grad[i] + wd * p[i]); // dyadic values of few bits: every operation exact
      expect(Number(g.expected[0].params[i]), `element ${i}`).toBe(want);
      expect(g.expected[0].dtypes.float32.params.value[i], `element ${i} in float32`).toBe(want);
    }
  });

  it('GOLD-4 · allowed errors are at least two roundings of the output, in ulps consistent with the value, and rounded up', () => {
    const u = { float64: 2 ** -53, float32: 2 ** -24, bfloat16: 2 ** -8, float16: 2 ** -11 } as const;
    for (const file of ['adam-float32.json', 'rmsprop-bfloat16.json', 'sgd-float16.json', 'adamw-float32.json']) {
      const g = load(file);
      for (const e of g.expected) {
        for (const d of g.dtypes) {
          const w = e.dtypes[d].params;
          e.params.forEach((x, i) => {
            const a = w.allowed[i] as number;
            expect(a, `${file} step ${e.step} params[${i}] ${d}: allowed ≥ 2u·|x|`).toBeGreaterThanOrEqual(2 * u[d] * Math.abs(Number(x)) * 0.999);
            expect(a, `${file} step ${e.step} params[${i}] ${d}: allowed below 1000u·|x| + tiny`).toBeLessThan(1000 * u[d] * Math.abs(Number(x)) + 1e-30);
          });
        }
      }
    }
    expect(roundUp(1.00001e-7), 'rounded up to 4 digits').toBe(1.001e-7);
    expect(roundUp(1.2344999e-7)).toBe(1.235e-7);
    expect(roundUp(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });

  it('GOLD-8 · a spec declaring a known defect in a dtype its file does not list is refused when built, naming both', () => {
    const spec = goldenSpecs().find((g) => g.definition === 'nadam' && g.dtypes.length === 1 && g.dtypes[0] === 'float32') as GoldenSpec;
    expect(spec, 'a float32-only NAdam spec').toBeDefined();
    expect(() => buildGoldenFile({ ...spec, knownDefects: { 'torch-1.13/nadam-mu-product': ['float16'] } })).toThrow(
      /known defect torch-1\.13\/nadam-mu-product in float16, a dtype the file does not list/,
    );
  });

  it('GOLD-1 · GOLD-8 · a file declaring a known defect the catalog does not have is invalid, naming the id', () => {
    const file = JSON.parse(readFileSync(join(GOLDEN_DIR, 'nadam-float32.json'), 'utf8'));
    expect(validateGolden(file)).toBeUndefined();
    file.known_defects = { ...file.known_defects, 'torch-1.13/nadam-mu-produkt': ['float32'] };
    expect(validateGolden(file)).toMatch(/^known_defects names torch-1\.13\/nadam-mu-produkt, not a known defect \(torch-1\.13\/radam-foreach-eps, /);
  });
});

describe('GOLD-5 · manifest and regeneration', () => {
  it('GOLD-5 · the manifest lists every file with its SHA-256 and size', () => {
    const present = readdirSync(GOLDEN_DIR)
      .filter((f) => f.endsWith('.json') && f !== 'manifest.json' && f !== 'schema.json')
      .sort();
    expect(
      manifest.files.map((f) => f.file),
      'manifest file list',
    ).toEqual(present);
    for (const f of manifest.files) {
      const bytes = readFileSync(join(GOLDEN_DIR, f.file));
      expect(createHash('sha256').update(bytes).digest('hex'), `${f.file} SHA-256`).toBe(f.sha256);
      expect(bytes.length, `${f.file} size`).toBe(f.bytes);
    }
  });

  it('GOLD-5 · regeneration is byte-identical to the checked-in files (npm run golden -- --check)', () => {
    const problems = checkGolden(GOLDEN_DIR, undefined, regenerated);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('GOLD-5 · generating twice in one process gives the same bytes (the smallest case of every definition, generated again)', () => {
    const size = (g: GoldenSpec) => g.steps.length * g.params.length * g.dtypes.length;
    const smallest = new Map<string, GoldenSpec>();
    for (const spec of goldenSpecs())
      if (!smallest.has(spec.definition) || size(spec) < size(smallest.get(spec.definition)!)) smallest.set(spec.definition, spec);
    expect(smallest.size, 'every definition sampled').toBe(OPTIMIZERS.length);
    const again = generateGolden(undefined, [...smallest.values()]);
    for (const [file, text] of again)
      if (file !== 'manifest.json') expect(text === regenerated.get(file), `${file} differs between two generations`).toBe(true);
  });

  it('GOLD-5 · a hand-edited value is reported by file name, as a byte difference and a hash mismatch', () => {
    const dir = tempCopy();
    const path = join(dir, 'adam-float32.json');
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(/"allowed": \[[0-9.e-]+/, '"allowed": [0.5');
    expect(edited, 'the edit applied').not.toBe(text);
    writeFileSync(path, edited);
    const problems = checkGolden(dir, undefined, regenerated);
    expect(
      problems.some((p) => p.startsWith('adam-float32.json: differs from regeneration')),
      problems.join('\n'),
    ).toBe(true);
    expect(
      problems.some((p) => p.startsWith('adam-float32.json: SHA-256 does not match')),
      problems.join('\n'),
    ).toBe(true);
    expect(
      problems.every((p) => p.startsWith('adam-float32.json')),
      problems.join('\n'),
    ).toBe(true);
  });

  it('GOLD-5 · a file that is not valid against the schema is reported by name', () => {
    const dir = tempCopy();
    writeFileSync(join(dir, 'ewma-float32.json'), '{"format": "optconf-golden/1"}\n');
    const problems = checkGolden(dir, undefined, regenerated);
    expect(
      problems.some((p) => p.startsWith('ewma-float32.json: does not match schema.json')),
      problems.join('\n'),
    ).toBe(true);
  });

  it('GOLD-5 · an extra file and a missing file are reported by name; npm run golden -- --check exits 1', async () => {
    const dir = tempCopy();
    rmSync(join(dir, 'sgd-float16.json'));
    writeFileSync(join(dir, 'mine.json'), '{}\n');
    const problems = checkGolden(dir, undefined, regenerated);
    expect(
      problems.some((p) => p.startsWith('sgd-float16.json: missing')),
      problems.join('\n'),
    ).toBe(true);
    expect(
      problems.some((p) => p.startsWith('mine.json: extra')),
      problems.join('\n'),
    ).toBe(true);
    expect(await goldenMain(['--check', '--dir', dir], () => new Map(regenerated)), 'exit code of --check').toBe(1);
  });

  it('GOLD-5 · regeneration refuses a folder holding a file it did not write, and overwrites nothing', async () => {
    const dir = tempCopy();
    writeFileSync(join(dir, 'notes.txt'), 'my notes');
    writeFileSync(join(dir, 'adam-float32.json'), 'stale');
    expect(() => writeGolden(dir, regenerated), 'unknown file').toThrow(/notes\.txt/);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'user file kept').toBe('my notes');
    expect(readFileSync(join(dir, 'adam-float32.json'), 'utf8'), 'nothing written on refusal').toBe('stale');
    expect(await goldenMain(['--dir', dir], () => new Map(regenerated)), 'npm run golden exit code').toBe(1);
    const log: string[] = [];
    writeGolden(dir, regenerated, { force: true, log: (l) => log.push(l) });
    expect(log.join('\n'), 'the deleted file is named').toMatch(/notes\.txt/);
    expect(checkGolden(dir, undefined, regenerated), 'after --force').toEqual([]);
  });

  it('GOLD-5 · regeneration into an empty folder writes the whole set and leaves no temporary folder', () => {
    const parent = emptyDir();
    const dir = join(parent, 'golden');
    writeGolden(dir, regenerated);
    expect(readdirSync(dir).sort(), 'files written').toEqual([...regenerated.keys()].sort());
    expect(readdirSync(parent), 'no temporary folder left').toEqual(['golden']);
  });
});

describe('GOLD-7 · step-wise expectations', () => {
  it('GOLD-7 · from step 2 on, each dtype starts from the previous step’s rounded values, with the input state names only', () => {
    for (const file of ['adam-float32.json', 'rmsprop-bfloat16.json', 'ewma-float16.json', 'adam-resume-float32.json', 'sgd-float64.json']) {
      const g = load(file);
      for (const d of g.dtypes) {
        expect(g.expected[0].dtypes[d].step_wise, `${file} ${d}: step 1 has none`).toBeUndefined();
        for (let k = 1; k < g.expected.length; k++) {
          const { before } = g.expected[k].dtypes[d].step_wise!;
          const prev = g.expected[k - 1];
          expect(before.params, `${file} ${d} step ${k + 1} params`).toEqual(prev.dtypes[d].params.value);
          expect(before.state.step, `${file} ${d} step ${k + 1} state.step`).toBe(prev.step);
          for (const [name, v] of Object.entries(before.state))
            if (name !== 'step') expect(v, `${file} ${d} ${name}`).toEqual(prev.dtypes[d].state[name].value);
        }
      }
    }
    expect(Object.keys(load('ewma-float16.json').expected[1].dtypes.float16.step_wise!.before.state), 'debiased is an output, not an input').toEqual(['step']);
  });

  it('GOLD-7 · a step-wise allowed error does not grow with the step: adam-long’s last step is held as tightly as its second', () => {
    const g = load('adam-long-float32.json');
    const at = (k: number) => Math.max(...(g.expected[k].dtypes.float32.step_wise!.params.allowed_ulps as number[]));
    const along = (k: number) => Math.max(...(g.expected[k].dtypes.float32.params.allowed_ulps as number[]));
    expect(at(999), 'step 1000, step-wise').toBeLessThan(4 * at(1) + 4);
    expect(along(999), 'step 1000 along the trajectory').toBeGreaterThan(10 * at(999));
  });

  it('GOLD-7 · golden verify is step-wise where the implementation returns state: an implementation ignoring the state it is given fails only step-wise', async () => {
    const fresh: Implementation = {
      hello: referenceImplementation.hello,
      run: (request) => referenceImplementation.run({ ...request, state: null }),
    };
    const options = { files: ['adam-float32.json'], dtype: 'float32' as const };
    const stepWise = await verifyGolden(fresh, options);
    expect(stepWise.verdict, formatReport(stepWise)).toBe('not-conformant');
    expect(formatReport(stepWise)).toMatch(/adam-float32\.json \(step-wise\): step 2/);
    const trajectory = await verifyGolden(fresh, { ...options, form: 'trajectory' });
    expect(trajectory.verdict, formatReport(trajectory)).toBe('conformant');
  });

  it('GOLD-7 · step-wise catches an error the carried trajectory bound admits: 8 ulps on the last step of a 1,000-step run', async () => {
    const off: Implementation = {
      hello: referenceImplementation.hello,
      run: async (request) => {
        const reply = await referenceImplementation.run(request);
        const lastStep = request.state?.step === 999 || request.steps.length === 1000;
        return reply.op === 'result' && lastStep ? skew(reply) : reply;
      },
    };
    const options = { files: ['adam-long-float32.json'] };
    expect((await verifyGolden(off, options)).verdict, 'step-wise').toBe('not-conformant');
    expect((await verifyGolden(off, { ...options, form: 'trajectory' })).verdict, 'trajectory').toBe('conformant');
  });
});

/** The reply with its last step's first parameter moved by 8 float32 ulps. */
function skew<R extends { steps: readonly { params: unknown }[] }>(reply: R): R {
  const steps = reply.steps.map((s, k) => {
    if (k !== reply.steps.length - 1) return s;
    const params = [...(s.params as number[])];
    params[0] = params[0] + 8 * 2 ** (Math.floor(Math.log2(Math.abs(params[0]))) - 23);
    return { ...s, params };
  });
  return { ...reply, steps };
}

describe('GOLD-6 · checking implementations against the golden files', () => {
  it('GOLD-6 · the reference is conformant on every golden file', async () => {
    const report = await verifyGolden(referenceImplementation);
    expect(report.verdict, formatReport(report)).toBe('conformant');
    expect(report.exitCode).toBe(0);
    const checked = report.targets.reduce((s, t) => s + t.cases - t.skipped, 0);
    expect(checked, 'file × dtype cases checked').toBeGreaterThan(60);
  });

  it('GOLD-6 · the reference answering Adam with ε inside the root is not conformant, naming the golden file', async () => {
    const wrong: Implementation = {
      hello: referenceImplementation.hello,
      run: (request) =>
        referenceImplementation.run(request.optimizer === 'adam' && request.variant === undefined ? { ...request, variant: 'eps-inside-sqrt' } : request),
    };
    const report = await verifyGolden(wrong, { optimizer: 'adam' });
    const text = formatReport(report);
    expect(report.verdict, text).toBe('not-conformant');
    expect(report.exitCode).toBe(1);
    const failed = report.targets.filter((t) => t.verdict === 'fail');
    expect(
      failed.map((t) => t.against),
      text,
    ).toContain('adam');
    expect(text, 'the report names a failing golden file').toMatch(/adam-[a-z0-9-]+\.json/);
    expect(
      report.targets.filter((t) => t.against !== 'adam').every((t) => t.verdict === 'pass'),
      'variant files still pass',
    ).toBe(true);
  });

  it('GOLD-6 · unsupported replies are skipped, and an implementation supporting nothing golden could not run', async () => {
    const unsupported: Implementation = {
      hello: () => ({ ...referenceImplementation.hello(), supports: [{ optimizer: 'sgd', dtypes: ['float32'] }] }),
      run: (request) => ({ op: 'unsupported', id: request.id, reason: 'no' }),
    };
    const report = await verifyGolden(unsupported);
    expect(report.exitCode, formatReport(report)).toBe(2);
    expect(report.targets.every((t) => t.verdict === 'skipped')).toBe(true);
    const none: Implementation = {
      // Lion's golden files are float32 and float64 only
      hello: () => ({ ...referenceImplementation.hello(), supports: [{ optimizer: 'lion', dtypes: ['float16'] }] }),
      run: referenceImplementation.run,
    };
    expect((await verifyGolden(none)).exitCode).toBe(2);
  });

  it('GOLD-6 · optconf golden verify: exit 0 with the reference (one family), 2 when the command cannot start', async () => {
    // two CLI starts, mostly tsx loading: at once
    const [ok, bad] = await Promise.all([
      optconfAsync('golden', 'verify', '--impl', 'reference', '--optimizer', 'ewma'),
      optconfAsync('golden', 'verify', '--impl', '/nonexistent/optimizer'),
    ]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/CONFORMANT \(exit 0\)/);
    expect(bad.status, bad.stdout + bad.stderr).toBe(2);
    expect(bad.stdout, 'says why').toMatch(/could not start/);
  });
});
