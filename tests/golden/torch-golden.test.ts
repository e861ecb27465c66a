/**
 * torch.optim 1.13 against the golden files (spec/golden-format.md, GOLD-6, GOLD-8): through its
 * optconf/1 adapter, and through check_golden.py (Python and torch only) on both code paths, both
 * forms and every dtype it runs — passing every file but those that declare a known defect of the
 * path, which it fails and names — and check_golden.py's refusals and failures on edited files.
 * Apart from golden.test.ts so the two run side by side.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeGolden, type GoldenFile } from '../../conformance/golden/format.ts';
import { GOLDEN_DIR } from '../../conformance/golden/store.ts';
import { KNOWN_DEFECTS, defectSource, type DefectDef } from '../../reference/registry.ts';
import { verifyGolden } from '../../conformance/golden/verify.ts';
import { spawnImplementation } from '../../conformance/protocol/process.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { goldenCopies, load, manifest, rehash } from './golden-files.ts';

const { tempCopy, removeTemps } = goldenCopies();
afterAll(removeTemps);

describe('GOLD-6 · GOLD-8 · torch.optim 1.13 against the golden files', () => {
  it('GOLD-6 · torch.optim through its optconf/1 adapter is conformant but for the single-tensor path’s known defect; its variants are skipped as unsupported', async () => {
    const report = await verifyGolden(spawnImplementation(['/usr/bin/python3', 'conformance/adapters/torch_optim.py']));
    // DEFECT-2: single-tensor NAdam fails where a NAdam file declares it; nothing else may fail
    const explained = torchDefectFailures('single');
    const unexplained = report.targets.filter(
      (t) => t.verdict === 'fail' && ![...explained.keys()].some((k) => k.startsWith(`${t.optimizer}-`) && k.endsWith(` ${t.dtype}`)),
    );
    expect(unexplained, formatReport(report)).toEqual([]);
    // the adapter runs NAdam, so its defect shows, and the failure says which defect the file catches
    const nadam = report.targets.filter((t) => t.optimizer === 'nadam' && t.verdict === 'fail');
    expect(nadam.length, formatReport(report)).toBeGreaterThan(0);
    for (const t of nadam)
      expect(t.failure?.message).toContain(`the file catches known defect torch-1.13/nadam-mu-product (fixed by pytorch/pytorch#92699) in ${t.dtype}`);
    expect(
      report.targets.filter((t) => t.against === 'adam/eps-inside-sqrt').every((t) => t.verdict === 'skipped'),
      'variant files skipped',
    ).toBe(true);
    expect(report.targets.filter((t) => t.verdict === 'pass').length, 'targets passed').toBeGreaterThan(8);
  });

  // One check_golden.py process for both paths in both forms (one torch import and one reading of
  // the files, not four: ~1.2 s of CPU each); each test reads its own section of the output.
  let everyPath: ReturnType<typeof checkGoldenPy>[] | undefined;
  const sectionOf = (mode: string, form: string) => {
    everyPath ??= checkGoldenPySections(['--mode', 'single,foreach', '--form', 'step-wise,trajectory', '--dtypes', 'float64,float32,bfloat16,float16']);
    const section = everyPath.find((r) => r.summary.includes(` cpu ${mode} ${form}: `));
    return section ?? expect.fail(`no summary for ${mode} ${form} in:\n${everyPath.map((r) => r.out).join('')}`);
  };
  for (const mode of ['single', 'foreach'] as const) {
    for (const form of ['step-wise', 'trajectory'] as const) {
      it(`GOLD-4 · GOLD-7 · GOLD-8 · check_golden.py passes torch.optim ${mode} ${form} in every dtype it runs, failing exactly the files that declare this path's known defects, by name`, () => {
        const r = sectionOf(mode, form);
        const want = torchDefectFailures(mode);
        expect(want.size > 0, `${mode}: some file catches a defect of this path`).toBe(true);
        expect(r.status, r.out).toBe(1);
        expect(r.failures, r.out).toEqual(want);
        expect(r.summary).toMatch(new RegExp(`cpu ${mode} ${form}: \\d+ passed, ${want.size} failed`));
        expect(r.passed, 'file × dtype checks passed').toBeGreaterThan(60);
        // the one thing torch 1.13 on CPU cannot run: float16 Adam-family arithmetic (addcmul); nothing else is skipped
        expect(
          [...r.out.matchAll(/^UNSUPPORTED (\S+ \w+):/gm)].map((m) => m[1]),
          r.out,
        ).toEqual(['adamw-float16.json float16']);
      });
    }
  }

  /**
   * One copy of the folder with an edit for each test below, each in a file of its own (so no edit
   * can cause or hide another's failure), checked by one check_golden.py process in both forms —
   * one torch import, not four — each test reading the lines of its own file.
   */
  const EDITED = { format: 'sgd-nesterov-float32.json', stepWise: 'sgd-dampening-float32.json', value: 'adam-float32.json' };
  let edited: { stepWise: CheckGoldenPy; trajectory: CheckGoldenPy } | undefined;
  const editedRun = () => (edited ??= checkEdited());
  function checkEdited() {
    const dir = tempCopy();
    const edit = (file: string, change: (g: GoldenFile, text: string) => string) => {
      const path = join(dir, file);
      const before = readFileSync(path, 'utf8');
      const text = change(JSON.parse(before) as GoldenFile, before);
      writeFileSync(path, text);
      rehash(dir, file, text);
    };
    /** a value moved by a thousandth: far outside its allowed error */
    const moved = (x: string) => String(Number(x) + Math.abs(Number(x)) * 1e-3 + 1e-3);
    edit(EDITED.format, (_, text) => text.replace('"format": "optconf-golden/2"', '"format": "optconf-golden/1"'));
    edit(EDITED.stepWise, (g) => {
      const sw = g.expected[2].dtypes.float32.step_wise!;
      sw.params.expected[1] = moved(sw.params.expected[1]);
      return serializeGolden(g);
    });
    edit(EDITED.value, (g) => {
      g.expected[0].params[0] = moved(g.expected[0].params[0]);
      return serializeGolden(g);
    });
    const sections = checkGoldenPySections([dir, '--form', 'step-wise,trajectory', '--files', Object.values(EDITED).join(',')]);
    const [stepWise, trajectory] = [/ single step-wise: /, / single trajectory: /].map(
      (form) => sections.find((r) => form.test(r.summary)) ?? expect.fail(`no ${form.source} summary in:\n${sections.map((r) => r.out).join('')}`),
    );
    return { stepWise, trajectory };
  }
  /** The lines of a section of the run that name `file`. */
  const linesOf = (r: CheckGoldenPy, file: string) => r.out.split('\n').filter((l) => l.includes(` ${file}`));

  it('GOLD-1 · GOLD-6 · check_golden.py refuses a format it does not know, and a file name the manifest does not list', () => {
    const typo = checkGoldenPy(['--files', 'adam-float32.json,adam-flaot32.json']);
    expect(typo.status, typo.out).toBe(2);
    expect(typo.out).toMatch(/not in .*manifest\.json: adam-flaot32\.json/);
    // an unknown mode or dtype is refused before torch is imported
    for (const args of [
      ['--mode', 'singel'],
      ['--dtypes', 'float8'],
    ]) {
      const refused = checkGoldenPy(args);
      expect(refused.status, `${args.join(' ')}: ${refused.out}`).toBe(2);
      expect(refused.out, args.join(' ')).toMatch(/expected one or more of/);
    }
    const { stepWise } = editedRun();
    expect(stepWise.status, stepWise.out).toBe(1);
    expect(linesOf(stepWise, EDITED.format), stepWise.out).toEqual([`FAIL ${EDITED.format}: format 'optconf-golden/1' is not optconf-golden/2 (GOLD-1)`]);
  });

  it('GOLD-7 · check_golden.py step-wise fails on a changed step-wise expectation that the trajectory form does not read', () => {
    const { stepWise, trajectory } = editedRun();
    expect(linesOf(stepWise, EDITED.stepWise), stepWise.out).toEqual([
      expect.stringMatching(/^FAIL sgd-dampening-float32\.json float32: step 3 params\[1\].*\(step-wise\)$/),
    ]);
    expect(stepWise.status, stepWise.out).toBe(1);
    // the trajectory form passes it: no FAIL (nor UNSUPPORTED) line names it, and it was checked (not skipped)
    expect(linesOf(trajectory, EDITED.stepWise), trajectory.out).toEqual([]);
    expect(trajectory.summary, 'the file checked in the trajectory form').toMatch(/: [1-9]\d* passed, .*\(0 files skipped/);
  });

  it('GOLD-4 · check_golden.py fails on a changed expected value (manifest re-hashed), naming the file', () => {
    const { stepWise } = editedRun();
    expect(stepWise.status, stepWise.out).toBe(1);
    const lines = linesOf(stepWise, EDITED.value);
    expect(lines, stepWise.out).toContainEqual(expect.stringMatching(/^FAIL adam-float32\.json float32: step 1 params\[0\]/));
    // the step-1 value is every dtype's exact value, so float64 fails too; nothing else is said of the file
    for (const line of lines) expect(line).toMatch(/^FAIL adam-float32\.json \w+: step 1 params\[0\]/);
  });
});

/** check_golden.py's result on one mode and form: exit status, output, its summary line, checks passed, and each failure (`file dtype`) with the known defect it names ('' for none). */
interface CheckGoldenPy {
  status: number | null;
  out: string;
  summary: string;
  passed: number;
  failures: Map<string, string>;
}

/** check_golden.py's run on one mode and form. */
function checkGoldenPy(args: readonly string[]): CheckGoldenPy {
  const r = spawnSync('/usr/bin/python3', [join(GOLDEN_DIR, 'check_golden.py'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return resultOf(r.status, r.stdout + r.stderr);
}

/**
 * check_golden.py's run on several modes and forms, split into one result per summary line (each
 * mode and form's FAIL lines come before its summary); a section's status is what a run of that
 * mode and form alone would exit with (1: a failure in it). A process that ends otherwise (a crash,
 * a refusal) gives one section with its own status.
 */
function checkGoldenPySections(args: readonly string[]): CheckGoldenPy[] {
  const r = spawnSync('/usr/bin/python3', [join(GOLDEN_DIR, 'check_golden.py'), ...args], { encoding: 'utf8', timeout: 180_000 });
  const sections = [...r.stdout.matchAll(/^(?:(?!torch \S+ \S+ \S+ \S+: ).*\n)*torch \S+ \S+ \S+ \S+: .*\n/gm)].map((m) => m[0]);
  if (r.status !== 1 && r.status !== 0) return [resultOf(r.status, r.stdout + r.stderr)];
  if (sections.join('') !== r.stdout) return [resultOf(r.status, `${r.stdout}${r.stderr}\n(output not in sections, each ending with a summary)`)];
  return sections.map((out) => {
    const section = resultOf(r.status, out);
    return { ...section, status: section.failures.size > 0 || / [1-9]\d* failed/.test(section.summary) ? 1 : 0 };
  });
}

function resultOf(status: number | null, out: string): CheckGoldenPy {
  const failures = new Map<string, string>();
  for (const m of out.matchAll(/^FAIL (\S+) (\w+): .*?(?: -- known defect (\S+) \((.*)\))?$/gm)) {
    failures.set(`${m[1]} ${m[2]}`, m[3] ?? '');
    // DEFECT-1 … DEFECT-3: check_golden.py's own copy of where each defect was fixed says what the catalog says
    if (m[3] !== undefined) expect(m[4], `${m[3]} in: ${m[0]}`).toBe(defectSource(KNOWN_DEFECTS.find((d) => d.name === m[3]) as DefectDef));
  }
  const summary = /^torch .*: \d+ passed, .*$/m.exec(out)?.[0] ?? '';
  return { status, out, summary, passed: Number(/(\d+) passed/.exec(summary)?.[1] ?? -1), failures };
}

/**
 * DEFECT-1, DEFECT-2, DEFECT-3: the defects of each torch 1.13 code path (spec/defects.md) — NAdam's
 * μ product single-tensor; RAdam's missing ε and Adagrad's float32 step size on the foreach path.
 */
const TORCH_PATH_DEFECTS = {
  single: ['torch-1.13/nadam-mu-product'],
  foreach: ['torch-1.13/radam-foreach-eps', 'torch-1.13/adagrad-foreach-lr-float32'],
} as const;

/** Each golden file's `known_defects`, read once (the files hold megabytes; five tests ask). */
let declared: [string, NonNullable<GoldenFile['known_defects']>][] | undefined;
const declaredDefects = () => (declared ??= manifest.files.map(({ file }) => [file, load(file).known_defects ?? {}]));

/** The `file dtype` checks torch 1.13 must fail on a code path: those whose golden file declares one of its defects (GOLD-8), with the defect. */
function torchDefectFailures(mode: keyof typeof TORCH_PATH_DEFECTS): Map<string, string> {
  const want = new Map<string, string>();
  for (const [file, knownDefects] of declaredDefects()) {
    for (const [id, dtypes] of Object.entries(knownDefects))
      if ((TORCH_PATH_DEFECTS[mode] as readonly string[]).includes(id)) for (const d of dtypes) want.set(`${file} ${d}`, id);
  }
  return want;
}
