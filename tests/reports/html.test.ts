/**
 * The HTML report (conformance/report/html.ts) and the samples it plots (checkCase and checkTarget
 * keep a bounded, deterministic sample of the compared outputs without changing any verdict).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCase } from '../../conformance/check/compare.ts';
import { SAMPLES_PER_CASE } from '../../conformance/limits.ts';
import { referenceImplementation, referenceRun } from '../../conformance/adapters/reference.ts';
import { HTML_MARK, renderHtmlReport, writeHtmlReport } from '../../conformance/report/html.ts';
import { writeJsonReport } from '../../conformance/report/report.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { MUTANTS } from '../../conformance/adapters/mutants.ts';
import { againstVariant, fingerprinted, scratch } from './helpers.ts';

let failing: CheckReport;
let mixed: CheckReport;
beforeAll(async () => {
  [failing, mixed] = await Promise.all([againstVariant(), fingerprinted()]);
});

/** The text of one element by its class, tags stripped and entities decoded (enough for our own output). */
function textOf(html: string, cls: string): string[] {
  const re = new RegExp(`<(\\w+) class="${cls}"[^>]*>([\\s\\S]*?)</\\1>`, 'g');
  return [...html.matchAll(re)].map((m) =>
    m[2]
      .replace(/<[^>]+>/g, '')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
}

describe('PREC-1 · the HTML report', () => {
  it('PREC-1 · shows per target and clause the verdict and the worst error in ulps against its bound', () => {
    const html = renderHtmlReport(mixed);
    const sgd = mixed.targets.find((t) => t.optimizer === 'sgd')!;
    expect(sgd.verdict).toBe('pass');
    for (const c of sgd.clauses) {
      const row = new RegExp(`<tr class="clause c-pass" id="sgd-float32-${c.clause}">[\\s\\S]*?</tr>`).exec(html)?.[0];
      expect(row, `a row for ${c.clause}`).toBeDefined();
      expect(row).toContain(`${c.cases}</td>`);
      expect(row).toMatch(/\d ulps<\/td>\s*<td class="num">\d[\d.e+-]* ulps<\/td>/);
    }
    const adam = /<tr class="clause c-fail" id="adam-float32-ADAM-5">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(adam, 'the failed clause shows the failure’s error against its bound').toContain('16353 ulps');
  });

  it('ADAM-8 · shows the minimal failing case as JSON that parses back to the case, the replay command and the fingerprint', () => {
    const html = renderHtmlReport(mixed, { replay: 'optconf run --impl "python3 my_adam.py"' });
    const adam = mixed.targets.find((t) => t.optimizer === 'adam')!;
    const [caseText] = textOf(html, 'case');
    expect(JSON.parse(caseText)).toEqual(adam.failure!.minimalCase);
    expect(adam.failure!.path).toMatch(/^\d+(:\d+)*$/);
    expect(textOf(html, 'replay')).toEqual([
      `optconf run --impl "python3 my_adam.py" --runs 20 --optimizer adam --dtype float32 --seed ${mixed.seed} --path ${adam.failure!.path}`,
    ]);
    expect(textOf(html, 'fingerprint')[0]).toMatch(/^matches adam\/eps-inside-sqrt \(ε inside the square root/);
  });

  it('DEFECT-2 · a failure that matches a known defect is named as one, with what the defect computes, not as "a named variant"', async () => {
    const m = MUTANTS.find((x) => x.name === 'nadam/mu-product-twice')!;
    const report = await checkImplementation(m.impl(), { optimizer: 'nadam', dtype: m.dtype, runs: 20, seed: 3 });
    const [text] = textOf(renderHtmlReport(report), 'fingerprint');
    expect(text).toMatch(
      /known defect torch-1\.13\/nadam-mu-product \(fixed by pytorch\/pytorch#92699\) \(PyTorch 1\.13 NAdam single-tensor: μₜ counted twice/,
    );
    expect(text).not.toContain('a named variant');
  });

  it('ADAM-8 · against a variant the replay names it and the fingerprint says why it was not computed', () => {
    const html = renderHtmlReport(failing);
    // no command prefix: the in-process call that replays it
    expect(textOf(html, 'replay')).toEqual([
      `checkImplementation(impl, {"runs":20,"optimizer":"adam","dtype":"float32","variant":"adam/eps-inside-sqrt","seed":1,"path":"${failing.targets[0].failure!.path}"})`,
    ]);
    expect(textOf(html, 'fingerprint')[0]).toBe('not computed (checked against the variant adam/eps-inside-sqrt)');
  });

  it('PREC-1 · plots the sampled errors per step and against magnitude as inline SVG, the failing output in red', () => {
    const html = renderHtmlReport(mixed);
    const sections = html.split('<section ').slice(1);
    expect(sections).toHaveLength(2);
    for (const section of sections) {
      const svgs = section.match(/<svg class="plot"[\s\S]*?<\/svg>/g) ?? [];
      expect(svgs).toHaveLength(2);
      expect(svgs[0]).toContain('error in ulps per step');
      expect(svgs[1]).toContain('error in ulps against magnitude');
      for (const svg of svgs) {
        const drawn = [...svg.matchAll(/<path class="pts" data-output="[^"]+" data-points="(\d+)" d="([^"]*)"/g)];
        expect(drawn.length + (svg.match(/<circle class="pt fail"/g) ?? []).length, 'points drawn').toBeGreaterThan(0);
        for (const [, n, d] of drawn) expect(d.match(/M\d+ \d+h0/g)).toHaveLength(Number(n));
      }
    }
    expect(sections[1]).toMatch(/<circle class="pt fail"/);
    expect(sections[0]).not.toMatch(/<circle class="pt fail"/);
  });

  it('PREC-1 · is self-contained: no scripts, no external resources', () => {
    const html = renderHtmlReport(mixed);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    // The only absolute URL is the SVG namespace, which is a name, not a fetch.
    expect([...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg')).toEqual([]);
    expect(html).toContain(HTML_MARK);
  });

  it('PREC-1 · escapes what the implementation controls (its name, messages)', () => {
    const html = renderHtmlReport({ ...failing, implementation: '<img src=x onerror=alert(1)> & co' });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; co');
  });
});

describe('PREC-1 · samples of the errors in ulps, for the plots', () => {
  it('PREC-1 · checkCase records at most 64 outputs per case, deterministically, and the same verdict as without them', () => {
    const adam = findOptimizer('adam')!;
    const c = {
      optimizer: 'adam',
      dtype: 'float32' as const,
      hyper: { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 2 ** -20, weight_decay: 0, amsgrad: false },
      params: Array.from({ length: 40 }, (_, i) => (i - 20) / 8),
      state: null,
      steps: Array.from({ length: 3 }, (_, k) => ({ grad: Array.from({ length: 40 }, (_, i) => ((i * 7 + k) % 11) / 16 - 0.25) })),
    };
    const reply = referenceRun({ op: 'run', id: 'x', ...c });
    if (reply.op !== 'result') throw new Error(JSON.stringify(reply));
    const plain = checkCase(adam, c, reply.steps);
    const sampled = checkCase(adam, c, reply.steps, { samples: true });
    expect(sampled.ok).toBe(plain.ok);
    expect(sampled.worst).toEqual(plain.worst);
    expect(plain.samples).toBeUndefined();
    // 40 elements × 3 steps × (params, exp_avg, exp_avg_sq) = 360 outputs compared, 64 kept.
    expect(sampled.samples).toHaveLength(SAMPLES_PER_CASE);
    expect(checkCase(adam, c, reply.steps, { samples: true }).samples).toEqual(sampled.samples);
    for (const s of sampled.samples!) {
      expect(s.errorUlps).toBeLessThanOrEqual(s.boundUlps);
      expect(s.magnitude).toBeGreaterThanOrEqual(0);
      expect(['params', 'exp_avg', 'exp_avg_sq']).toContain(s.output);
    }
    // The sample spans the case, not only its first outputs.
    expect(new Set(sampled.samples!.map((s) => s.step))).toEqual(new Set([1, 2, 3]));
  });

  it('PREC-1 · a failing case keeps its failing output last', () => {
    const adam = findOptimizer('adam')!;
    const c = {
      optimizer: 'adam',
      dtype: 'float32' as const,
      hyper: { lr: 0.25, beta1: 0.5, beta2: 0.75, eps: 2 ** -20 },
      params: [1, 2],
      state: null,
      steps: [{ grad: [0.5, 0.5] }],
    };
    const reply = referenceRun({ op: 'run', id: 'x', ...c });
    if (reply.op !== 'result') throw new Error('reference failed');
    const bad = [{ ...reply.steps[0], params: [reply.steps[0].params[0], 5] }];
    const r = checkCase(adam, c, bad, { samples: true });
    expect(r.ok).toBe(false);
    const last = r.samples!.at(-1)!;
    expect(last).toMatchObject({ step: 1, element: 1, output: 'params' });
    expect(last.errorUlps).toBeGreaterThan(last.boundUlps);
  });

  it('PROTO-8 · a target keeps at most the asked number of samples, the same ones on every run, with the same verdicts', async () => {
    const options = { optimizer: 'sgd', dtype: 'float32' as const, runs: 30, seed: 5 };
    const [a, b, none, few] = await Promise.all([
      checkImplementation(referenceImplementation, options),
      checkImplementation(referenceImplementation, options),
      checkImplementation(referenceImplementation, { ...options, samples: 0 }),
      checkImplementation(referenceImplementation, { ...options, samples: 100 }),
    ]);
    expect(a.targets[0].samples!.length).toBeGreaterThan(100);
    expect(a.targets[0].samples!.length).toBeLessThanOrEqual(2000);
    expect(a.targets[0].samples).toEqual(b.targets[0].samples);
    expect(few.targets[0].samples).toHaveLength(100);
    expect(none.targets[0].samples).toBeUndefined();
    // samples switch screening off (PREC-6), which bounds only each block's closest call: the largest
    // error in ulps is over the outputs bounded, so it may differ; every verdict and worst ratio may not
    const strip = (r: CheckReport) => r.targets.map(({ samples: _, clauses, ...t }) => ({ ...t, clauses: clauses.map(({ largest: _l, ...c }) => c) }));
    expect(strip(none)).toEqual(strip(a));
    expect(strip(few)).toEqual(strip(a));
  });
});

describe('PROTO-8 · report files never overwrite a user’s file', () => {
  it('PROTO-8 · an earlier HTML report is replaced; a user’s file, or another kind of optconf report, is left alone', () => {
    const dir = scratch();
    const path = join(dir, 'report.html');
    writeHtmlReport(path, failing);
    writeHtmlReport(path, mixed);
    expect(readFileSync(path, 'utf8')).toBe(renderHtmlReport(mixed));

    const mine = join(dir, 'notes.html');
    writeFileSync(mine, '<html><body>my notes</body></html>');
    expect(() => writeHtmlReport(mine, mixed)).toThrow(/exists and is not an optconf HTML report; not overwriting it/);
    expect(readFileSync(mine, 'utf8')).toBe('<html><body>my notes</body></html>');

    const json = join(dir, 'report.json');
    writeJsonReport(json, mixed);
    expect(() => writeHtmlReport(json, mixed)).toThrow(/not overwriting/);
    expect(() => writeJsonReport(path, mixed)).toThrow(/not overwriting/);
  });
});
