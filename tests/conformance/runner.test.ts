/**
 * The runner against the reference itself and against implementations that misbehave
 * (spec/protocol.md PROTO-8): every one ends in a clear verdict within its time limit.
 */
import { describe, expect, it } from 'vitest';
import { spawnImplementation } from '../../conformance/process.ts';
import { referenceImplementation } from '../../conformance/reference-implementation.ts';
import { formatReport } from '../../conformance/report.ts';
import { checkImplementation } from '../../conformance/runner.ts';
import { FAMILIES } from '../../reference/registry.ts';

const FIXTURE = 'tests/fixtures/bad-impl.mjs';
const limits = { startupMs: 5_000, caseMs: 2_000, maxReplyBytes: 4 * 1024 * 1024, maxStderrBytes: 64 * 1024 };
const bad = (mode: string) => spawnImplementation([process.execPath, FIXTURE, mode], limits);

describe('PROTO-8 · the reference checked against itself is conformant', () => {
  for (const family of FAMILIES) {
    it(`PROTO-8 · ${family}, float32 and float16 (NOTE-5: outputs correctly rounded)`, async () => {
      for (const dtype of ['float32', 'float16'] as const) {
        const report = await checkImplementation(referenceImplementation, { optimizer: family, dtype, runs: 15, seed: 11 });
        expect(report.verdict, formatReport(report)).toBe('conformant');
        expect(report.exitCode).toBe(0);
      }
    });
  }

  it('PROTO-8 · asking for an unknown variant, or for nothing the implementation supports, could not run (exit 2)', async () => {
    const unknown = await checkImplementation(referenceImplementation, { optimizer: 'adam', variant: 'nadam', runs: 1 });
    expect(unknown).toMatchObject({ verdict: 'could-not-run', exitCode: 2 });
    const none = await checkImplementation(bad('error'), { optimizer: 'adam', runs: 1 });
    expect(none).toMatchObject({ verdict: 'could-not-run', exitCode: 2 });
    expect(none.message).toMatch(/supports no adam/);
  });
});

describe('PROTO-8 · misbehaving implementations end in a clear verdict', () => {
  const cases: [string, 'not-conformant' | 'could-not-run', RegExp][] = [
    ['crash-at-start', 'could-not-run', /did not start.*exited with code 3.*cannot load the library/],
    ['no-hello', 'could-not-run', /did not start.*no hello reply within 5 s/],
    ['hang', 'not-conformant', /no reply to case .* within 2 s \(killed\)/],
    ['crash', 'not-conformant', /exited with code 139.*Segmentation fault/],
    ['flood', 'not-conformant', /exceeded 4194304 bytes without a newline/],
    ['non-json', 'not-conformant', /non-JSON reply to case .*Traceback/],
    ['wrong-id', 'not-conformant', /reply has id "not-the-id"/],
    ['wrong-length', 'not-conformant', /params has 2 elements, expected 1|params has \d+ elements, expected \d+/],
    ['nan', 'not-conformant', /got NaN/],
    ['error', 'not-conformant', /implementation error: CUDA out of memory/],
  ];
  for (const [mode, verdict, message] of cases) {
    it(`PROTO-8 · ${mode}`, async () => {
      const started = Date.now();
      const report = await checkImplementation(bad(mode), { optimizer: mode === 'error' ? undefined : 'sgd', runs: 5, seed: 3 });
      const text = formatReport(report);
      expect(report.verdict, text).toBe(verdict);
      expect(report.exitCode).toBe(verdict === 'could-not-run' ? 2 : 1);
      expect(text).toMatch(message);
      expect(Date.now() - started, 'the runner must not wait past its limits').toBeLessThan(20_000);
    });
  }
});
