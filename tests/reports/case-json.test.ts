/**
 * conformance/report/report.ts with conformance/check/case.ts: a minimal case printed in a report
 * keeps NaN, ±∞ and −0 as the wire writes them, so that it replays (PROTO-3), in the text and in
 * the JSON report `optconf merge` reads back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Case } from '../../conformance/check/case.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { formatReport, readJsonReport, writeJsonReport } from '../../conformance/report/report.ts';
import { scratch } from './helpers.ts';

// torch 1.13's minimal RMSprop case (bfloat16, seed 1), whose −∞ parameter JSON.stringify printed as `null`
const minimalCase: Case = {
  optimizer: 'rmsprop',
  dtype: 'bfloat16',
  hyper: { lr: 0.00099945068359375, alpha: 0, eps: 1.0011717677116394e-8, weight_decay: 0, momentum: 0, centered: true },
  params: [-Infinity, NaN, Infinity, -0],
  state: { step: 101, square_avg: [1, 1, 1, 1], grad_avg: [-0.462890625, 0, 0, 0] },
  steps: [{ grad: [1.28125, 0, 0, 0] }],
};
const check = { step: 1, element: 0, output: 'params', got: NaN, expected: 'NaN', errorUlps: Infinity, boundUlps: 0 };
const report: CheckReport = {
  implementation: 'test',
  seed: 1,
  runs: 1,
  verdict: 'not-conformant',
  exitCode: 1,
  targets: [
    {
      optimizer: 'rmsprop',
      dtype: 'bfloat16',
      against: 'rmsprop',
      verdict: 'fail',
      seed: 1,
      cases: 1,
      skipped: 0,
      clauses: [{ clause: 'RMSPROP-1', verdict: 'fail', cases: 1 }],
      failure: { message: 'failed', minimalCase, check, seed: 1, shrinks: 0 },
    },
  ],
};

describe('PROTO-3 · a minimal case prints its non-finite values as the wire does', () => {
  it('PROTO-3 · the text report writes "-Infinity", "NaN", "Infinity" and -0, never null', () => {
    const line = formatReport(report)
      .split('\n')
      .find((l) => l.includes('minimal failing case'))!;
    expect(line).toContain('"params":["-Infinity","NaN","Infinity",-0]');
    expect(line).not.toContain('null');
  });

  it('PROTO-3 · the JSON report writes them so, and reads them back as numbers; a decimal `expected` of "NaN" stays text', () => {
    const path = join(scratch(), 'report.json');
    writeJsonReport(path, report);
    expect(readFileSync(path, 'utf8')).not.toContain('null');
    const back = readJsonReport(path).targets[0].failure!;
    expect(back.minimalCase.params).toEqual([-Infinity, NaN, Infinity, -0]);
    expect(Object.is(back.minimalCase.params[3], -0)).toBe(true);
    expect(back.check).toEqual(check);
  });

  it('PROTO-3 · text fields that happen to read "NaN" or "Infinity" (a name, a message) are read back as text', () => {
    const path = join(scratch(), 'report.json');
    const target = { ...report.targets[0], note: 'Infinity', failure: { ...report.targets[0].failure!, message: 'NaN' } };
    writeJsonReport(path, { ...report, implementation: 'NaN', targets: [target] });
    const back = readJsonReport(path);
    expect([back.implementation, back.targets[0].note, back.targets[0].failure!.message]).toEqual(['NaN', 'Infinity', 'NaN']);
    expect(back.targets[0].failure!.minimalCase.params).toEqual([-Infinity, NaN, Infinity, -0]);
  });
});
