/**
 * What a report says per clause and per failure (spec/protocol.md PROTO-8): the largest error in
 * ulps and the largest error/bound ratio, each labelled, taken from different outputs when they
 * differ; a failing clause counting its failing case; the same in text, HTML and JUnit. And the
 * hello's capabilities refused before any case (PROTO-4), and `--path` given without its target.
 */
import { describe, expect, it } from 'vitest';
import { referenceHello, referenceRun } from '../../conformance/adapters/reference.ts';
import type { OutputCheck } from '../../conformance/check/compare.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import { ClauseTally, type CheckReport } from '../../conformance/check/verdict.ts';
import type { Implementation } from '../../conformance/protocol/implementation.ts';
import { renderHtmlReport } from '../../conformance/report/html.ts';
import { renderJunitReport } from '../../conformance/report/junit.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { optconf } from './cli.ts';

/** An output as a check records it. */
const output = (errorUlps: number, boundUlps: number, element: number): OutputCheck => ({
  step: 1,
  element,
  output: 'params',
  got: 1,
  expected: '1',
  errorUlps,
  boundUlps,
});

describe('PROTO-8 · per clause, the largest error in ulps and the largest error/bound, labelled', () => {
  // the numbers: 0.94 of 2.19 ulps is the closest to its bound; 107 of 417 the largest error
  const near = output(0.94, 2.19, 0);
  const large = output(107, 417, 1);

  it('PROTO-8 · ClauseTally keeps each, from different cases, whichever comes first', () => {
    for (const order of [
      [near, large],
      [large, near],
    ]) {
      const tally = new ClauseTally(['SGD-1']);
      for (const o of order) tally.addPassing(['SGD-1'], o, o);
      const [c] = tally.results(new Set());
      expect(c.worst).toEqual(near);
      expect(c.largest).toEqual(large);
      expect(c.cases).toBe(2);
    }
  });

  it('PROTO-8 · a failing clause counts its failing case; text, HTML and JUnit print both measures', () => {
    const tally = new ClauseTally(['SGD-1', 'SGD-2']);
    tally.addPassing(['SGD-1', 'SGD-2'], near, large);
    const clauses = tally.results(new Set(['SGD-2']));
    expect(clauses.map((c) => [c.clause, c.verdict, c.cases])).toEqual([
      ['SGD-1', 'pass', 1],
      ['SGD-2', 'fail', 2],
    ]);
    const report: CheckReport = {
      implementation: 'test',
      seed: 1,
      runs: 2,
      verdict: 'not-conformant',
      exitCode: 1,
      targets: [
        {
          optimizer: 'sgd',
          dtype: 'float32',
          against: 'sgd',
          verdict: 'fail',
          seed: 1,
          cases: 2,
          skipped: 0,
          clauses,
          failure: {
            message: 'implementation error: no',
            minimalCase: { optimizer: 'sgd', dtype: 'float32', hyper: {}, params: [1], state: null, steps: [{ grad: [1] }] },
            seed: 1,
            shrinks: 0,
          },
        },
      ],
    };
    const text = formatReport(report);
    expect(text).toMatch(/^ {2}SGD-1 {5}pass {8}1 cases {2}largest error 107 ulps \(bound 417\); largest error\/bound 0\.43 \(0\.94 of 2\.19 ulps\)$/m);
    expect(text).toMatch(/^ {2}SGD-2 {5}fail {8}2 cases, 1 failing {2}largest error 107 ulps/m);
    expect(text).not.toMatch(/fail\s+0 cases|worst/);
    const html = renderHtmlReport(report);
    expect(html).toContain('largest error</th>');
    expect(html).toContain('107 ulps</td>');
    expect(html).toContain('0.43: 0.94 of 2.19 ulps');
    expect(renderJunitReport(report)).toContain('1 cases; largest error 107 ulps (bound 417); largest error/bound 0.43 (0.94 of 2.19 ulps)');
  });
});

describe('PROTO-4 · capabilities the runner cannot honour: the check could not run', () => {
  const claiming = (ranges: unknown): Implementation => ({
    hello: () => ({ ...referenceHello(), supports: [{ optimizer: 'sgd', dtypes: ['float32'], ranges } as never] }),
    run: referenceRun,
  });
  for (const [ranges, message] of [
    [{ lr: [1, 0] }, /ranges: sgd\.lr \[1, 0\] is empty/],
    [{ nesterov: [0, 1] }, /ranges: sgd\.nesterov is true or false/],
    [{ beta1: [0, 1] }, /ranges: sgd has no hyperparameter beta1/],
  ] as const) {
    it(`PROTO-4 · ${JSON.stringify(ranges)}: exit 2, ${message.source}`, async () => {
      const report = await checkImplementation(claiming(ranges), { runs: 2, seed: 1 });
      expect(report).toMatchObject({ verdict: 'could-not-run', exitCode: 2 });
      expect(report.message).toMatch(/the hello reply's capabilities cannot be checked/);
      expect(report.message).toMatch(message);
    });
  }
});

describe('PROTO-8 · --path replays one case of one target', () => {
  it('PROTO-8 · without its seed and target, or sharded, or malformed: a usage error (exit 2) naming it, before any check', () => {
    const base = ['run', '--impl', 'reference', '--runs', '5'];
    for (const [args, message] of [
      [['--seed', '1', '--path', '0:1'], /--path replays one target: give it with the --seed, --optimizer and --dtype/],
      [['--optimizer', 'sgd', '--dtype', 'float32', '--path', '0:1'], /--seed/],
      [['--seed', '1', '--optimizer', 'sgd', '--dtype', 'float32', '--path', '0:1', '--shard', '1/2'], /cannot be sharded/],
      [['--seed', '1', '--optimizer', 'sgd', '--dtype', 'float32', '--path', '0;1'], /--path.*must be a fast-check path/],
    ] as const) {
      const r = optconf(...base, ...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
