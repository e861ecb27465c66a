/**
 * The reviewer's interface: `optconf explain ID` leads from a cited clause to its text, the functions
 * implementing it, the tests checking it and the golden files exercising it; `optconf list`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeMatches, explain, goldenFilesFor, normaliseId, UnknownClause } from '../../scripts/commands/explain.ts';
import { specClauses, traceability } from '../../scripts/traceability.ts';
import { optconfAsync, type Ran } from './cli.ts';
import { scratch } from './helpers.ts';

// Each test's CLI starts mostly wait on tsx loading: the tests run at once.
describe.concurrent('ADAMW-1 · optconf explain', () => {
  const map = traceability();

  it('ADAMW-1 · prints the clause heading and body, the implementing functions with file:line, and the tests with file:line and title', async () => {
    const r = await optconfAsync('explain', 'ADAMW-1');
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out.split('\n')[0]).toBe('ADAMW-1 · Decoupled decay scaled by the learning rate');
    expect(out).toMatch(/^spec\/adamw\.md:\d+ {2}\(cite as spec\/adamw\.md#ADAMW-1\)$/m);
    expect(out).toContain('θₜ = θₜ₋₁ − lr·λ·θₜ₋₁ − lr·m̂/(√v̂ + ε)');
    // the body stops at the next clause
    expect(out).not.toContain('ADAMW-2 · The moments see the raw gradient');
    for (const site of map.implementedBy.get('ADAMW-1')!) expect(out).toContain(`  ${site.name}  ${site.file}:${site.line}`);
    expect(out).toMatch(/^ {2}decoupledDecay {2}reference\/parts\.ts:\d+$/m);
    const tests = map.testedBy.get('ADAMW-1')!;
    expect(tests.length).toBeGreaterThan(0);
    for (const t of tests) expect(out).toContain(`  ${t.file}:${t.line}  ${t.name}`);
    expect(out).toMatch(/^Golden files:\n {2}(no golden files|none of the \d+ golden files exercises ADAMW-1|conformance\/golden\/\S+\.json)/m);
  });

  it('ADAMW-1 · the line numbers point at the clause heading, the function and the test title', () => {
    const line = (file: string, n: number) => readFileSync(file, 'utf8').split('\n')[n - 1];
    const clause = specClauses().find((c) => c.id === 'ADAMW-1')!;
    expect(line(clause.file, clause.line)).toContain('<a id="ADAMW-1"></a>');
    for (const s of map.implementedBy.get('ADAMW-1')!) expect(line(s.file, s.line)).toContain(s.name);
    for (const s of map.testedBy.get('ADAMW-1')!) expect(line(s.file, s.line)).toContain(s.name.slice(0, 20));
  });

  it('ADAMW-1 · accepts the citation forms a reviewer pastes', () => {
    expect(normaliseId('spec/adamw.md#ADAMW-1')).toBe('ADAMW-1');
    expect(normaliseId(' adamw-1 ')).toBe('ADAMW-1');
    expect(explain('spec/adamw.md#ADAMW-1', map)).toBe(explain('ADAMW-1', map));
  });

  it('ADAMW-1 · golden files are found by their top-level `clauses` array; an empty folder says so', () => {
    const dir = scratch();
    expect(goldenFilesFor('ADAMW-1', dir)).toEqual({ total: 0, matching: [] });
    expect(explain('ADAMW-1', map, dir)).toMatch(/Golden files:\n {2}no golden files$/);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'adamw-float32.json'), JSON.stringify({ clauses: ['ADAMW-1', 'ADAMW-2'], steps: [] }));
    writeFileSync(join(dir, 'adam-float32.json'), JSON.stringify({ clauses: ['ADAM-5'], note: 'mentions ADAMW-1 elsewhere' }));
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ files: [{ path: 'adamw-float32.json', sha256: '0' }] }));
    expect(goldenFilesFor('ADAMW-1', dir)).toEqual({ total: 2, matching: ['conformance/golden/adamw-float32.json'] });
    expect(explain('ADAMW-1', map, dir)).toMatch(/Golden files:\n {2}conformance\/golden\/adamw-float32\.json$/);
    expect(explain('ADAMW-3', map, dir)).toMatch(/Golden files:\n {2}none of the 2 golden files exercises ADAMW-3$/);
  });

  it('ADAMW-1 · an unknown ID exits 2 naming the close matches', async () => {
    // lower case, so the traceability scan does not read this test as citing a clause that does not exist
    const r = await optconfAsync('explain', 'adamw-9');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^optconf explain: unknown clause "adamw-9"; did you mean ADAMW-3, ADAMW-2, ADAMW-1, ADAM-9\b/);
    expect(() => explain('nothing-like-it', map)).toThrow(UnknownClause);
    expect(
      closeMatches(
        'rmsprop-8'.toUpperCase(),
        map.clauses.map((c) => c.id),
      )[0],
    ).toBe('RMSPROP-7');
    expect(
      closeMatches(
        'ADAM7',
        map.clauses.map((c) => c.id),
      ),
    ).toContain('ADAM-7');
  });
});

describe.concurrent('PROTO-7 · optconf list', () => {
  // `optconf list optimizers` printed once for both tests that read it: one CLI start fewer
  let optimizers: Promise<Ran> | undefined;
  const listOptimizers = () => (optimizers ??= optconfAsync('list', 'optimizers'));

  it('PROTO-7 · lists every family with its hyperparameters, every variant with its summary, and every clause with its title', async () => {
    const [r, clauses, bogus] = await Promise.all([optconfAsync('list'), optconfAsync('list', 'clauses'), optconfAsync('list', 'bogus')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adam {2}\(lr=0\.001, beta1=0\.9, beta2=0\.999, eps=1e-8, weight_decay=0, amsgrad=false\)$/m);
    expect(r.stdout).toMatch(/^ {2}adam\/eps-inside-sqrt +variant +ε inside the square root, m̂\/√\(v̂ \+ ε\)$/m);
    for (const c of specClauses()) expect(r.stdout).toContain(`  ${c.id.padEnd(10)} ${c.title.replace(/^[A-Z]+-\d+\s*·\s*/, '')}`);
    expect(clauses.stdout).not.toContain('canonical');
    expect((await listOptimizers()).stdout).not.toContain('Clauses (optconf explain ID)');
    expect(bogus.status).toBe(2);
  });

  it('DEFECT-1 · DEFECT-2 · DEFECT-3 · DEFECT-4 · lists the known defects under their families, apart from the variants, every name in its own column', async () => {
    const out = (await listOptimizers()).stdout;
    for (const [family, id, clause] of [
      ['radam', 'torch-1.13/radam-foreach-eps', 'DEFECT-1'],
      ['nadam', 'torch-1.13/nadam-mu-product', 'DEFECT-2'],
      ['adagrad', 'torch-1.13/adagrad-foreach-lr-float32', 'DEFECT-3'],
      ['adadelta', 'tfjs-4.22/adadelta-stale-denominator', 'DEFECT-4'],
    ]) {
      const section = out.split(/\n\n/).find((s) => s.startsWith(`${family}  (`))!;
      expect(section, family).toMatch(new RegExp(`^ {2}${id.replace(/[./]/g, '\\$&')} +defect +\\S`, 'm'));
      expect(section, family).toContain(`clauses: ${clause};`);
    }
    expect(out).toContain('fixed by pytorch/pytorch#92551 in 2.0.0');
    // a name never runs into its role: every row has two spaces at least between them
    for (const line of out.split('\n').filter((l) => /^ {2}\S.* (canonical|variant|defect) /.test(l)))
      expect(line).toMatch(/^ {2}\S+ {2,}(canonical|variant|defect) /);
  });
});
