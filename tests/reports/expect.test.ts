/**
 * The JavaScript implementer's interface: `expectConformant` in a test, and the package entry point
 * (index.ts, package.json "exports") that re-exports the public API.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConformanceError, expectConformant } from '../../conformance/report/expect.ts';
import { referenceImplementation } from '../../conformance/adapters/reference.ts';
import { formatReport } from '../../conformance/report/report.ts';
import * as api from '../../index.ts';
import { ROOT } from '../../scripts/traceability.ts';
import { optconf } from './cli.ts';
import { epsInsideAdam } from './helpers.ts';

describe('PROTO-8 · expectConformant', () => {
  it('PROTO-8 · resolves to the report for the reference', async () => {
    const report = await expectConformant(referenceImplementation, { optimizer: 'adamw', dtype: 'float32', runs: 10, seed: 3 });
    expect(report).toMatchObject({ verdict: 'conformant', exitCode: 0, seed: 3 });
    expect(report.targets.map((t) => t.verdict)).toEqual(['pass']);
  });

  it('ADAM-8 · throws exactly what `optconf run` prints for the same failing check', async () => {
    const cli = optconf(
      'run',
      '--impl',
      'reference',
      '--optimizer',
      'adam',
      '--dtype',
      'float32',
      '--variant',
      'eps-inside-sqrt',
      '--runs',
      '20',
      '--seed',
      '1',
    );
    expect(cli.status).toBe(1);
    const error = await expectConformant(referenceImplementation, {
      optimizer: 'adam',
      dtype: 'float32',
      variant: 'eps-inside-sqrt',
      runs: 20,
      seed: 1,
      replay: 'optconf run --impl reference',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConformanceError);
    expect((error as ConformanceError).message).toBe(cli.stdout.trimEnd());
    expect((error as ConformanceError).report.verdict).toBe('not-conformant');
  });

  it('ADAM-8 · an in-process impostor fails with the fingerprint in the message', async () => {
    await expect(expectConformant(epsInsideAdam, { optimizer: 'adam', runs: 10, seed: 2 })).rejects.toThrow(
      /fingerprint: matches adam\/eps-inside-sqrt[\s\S]*verdict: NOT CONFORMANT \(exit 1\)$/,
    );
    const e = await expectConformant(epsInsideAdam, { optimizer: 'adam', runs: 10, seed: 2 }).catch((x: ConformanceError) => x);
    expect((e as ConformanceError).message).toBe(formatReport((e as ConformanceError).report));
  });
});

describe('the package entry point', () => {
  it('index.ts re-exports the public API', () => {
    for (const name of [
      'checkImplementation',
      'expectConformant',
      'spawnImplementation',
      'referenceImplementation',
      'formatReport',
      'renderHtmlReport',
      'renderJunitReport',
      'serve',
    ]) {
      expect(api, name).toHaveProperty(name);
    }
    expect(api.referenceImplementation).toBe(referenceImplementation);
    expect(api.expectConformant).toBe(expectConformant);
  });

  it('package.json "main" and "exports" point at it, and `import "optconf"` resolves through them', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; exports: Record<string, string> };
    expect(join(ROOT, pkg.main)).toBe(join(ROOT, 'index.ts'));
    expect(join(ROOT, pkg.exports['.'])).toBe(join(ROOT, 'index.ts'));
    const script =
      "const m = await import('optconf'); const r = await m.expectConformant(m.referenceImplementation, { optimizer: 'sgd', dtype: 'float64', runs: 3, seed: 1 }); console.log(r.verdict, typeof m.checkImplementation, typeof m.spawnImplementation);";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('conformant function function');
  });
});
