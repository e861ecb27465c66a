/** The JUnit XML report (conformance/report/junit.ts): well-formed, one test case per clause per target. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderJunitReport, writeJunitReport } from '../../conformance/report/junit.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { againstVariant, fingerprinted, scratch } from './helpers.ts';

interface Testcase {
  name: string;
  classname: string;
  failure?: { message: string; '#text': string };
  skipped?: { message: string };
  error?: { message: string };
}

function parse(xml: string): { suites: { name: string; tests: string; failures: string; testcase: Testcase[] }[]; root: Record<string, string> } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => name === 'testsuite' || name === 'testcase' || name === 'property',
  }).parse(xml);
  return { suites: doc.testsuites.testsuite, root: doc.testsuites };
}

let failing: CheckReport;
let mixed: CheckReport;
beforeAll(async () => {
  [failing, mixed] = await Promise.all([againstVariant(), fingerprinted()]);
});

describe('PROTO-8 · JUnit XML for CI', () => {
  it('PROTO-8 · is well-formed, with one testcase per clause per target named `adam float32 ADAM-5`, classname `optconf.adam.float32`', () => {
    const { suites, root } = parse(renderJunitReport(mixed));
    const expected = mixed.targets.flatMap((t) =>
      t.clauses.map((c) => ({ name: `${t.optimizer} ${t.dtype} ${c.clause}`, classname: `optconf.${t.optimizer}.${t.dtype}` })),
    );
    const got = suites.flatMap((s) => s.testcase.map((tc) => ({ name: tc.name, classname: tc.classname })));
    expect(got).toEqual(expected);
    expect(suites.map((s) => s.name)).toEqual(['optconf.sgd.float32', 'optconf.adam.float32']);
    expect(Number(root.tests)).toBe(expected.length);
    expect(Number(root.failures)).toBe(mixed.targets.flatMap((t) => t.clauses).filter((c) => c.verdict === 'fail').length);
  });

  it('ADAM-5 · a failed clause carries the message, the minimal case and the replay line; a passed one no failure', () => {
    const { suites } = parse(renderJunitReport(mixed, { replay: 'optconf run --impl "./my-adam"' }));
    const adam = mixed.targets.find((t) => t.optimizer === 'adam')!;
    const tc = suites[1].testcase.find((c) => c.name === 'adam float32 ADAM-5')!;
    expect(tc.failure!.message).toMatch(/^step 1 params\[0\]: got .* error 16353 ulps > bound .* ulps$/);
    const body = tc.failure!['#text'];
    const json = body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1);
    expect(JSON.parse(json)).toEqual(adam.failure!.minimalCase);
    expect(body).toContain('fingerprint: matches adam/eps-inside-sqrt');
    expect(body).toContain(
      `replay: optconf run --impl "./my-adam" --runs 20 --optimizer adam --dtype float32 --seed ${mixed.seed} --path ${adam.failure!.path}`,
    );
    for (const c of suites[0].testcase) expect(c.failure, c.name).toBeUndefined();
  });

  it('ADAM-8 · the brief’s failing check (the reference against ε inside the root) fails ADAM-8', () => {
    const { suites } = parse(renderJunitReport(failing));
    expect(suites[0].testcase.map((c) => [c.name, c.failure !== undefined])).toEqual([['adam float32 ADAM-8', true]]);
  });

  it('PROTO-8 · untested clauses are skipped, a check that could not run is an error, control characters are escaped', () => {
    const untested: CheckReport = { ...mixed, targets: [{ ...mixed.targets[0], clauses: [{ clause: 'SGD-4', verdict: 'untested', cases: 0 }] }] };
    const [suite] = parse(renderJunitReport(untested)).suites;
    expect(suite.testcase[0].skipped?.message).toBe('no generated case exercised this clause');

    const broken: CheckReport = {
      implementation: 'bad\u0001impl "x" <y>',
      seed: 1,
      runs: 1,
      verdict: 'could-not-run',
      exitCode: 2,
      targets: [],
      message: 'the implementation did not start: exited with code 3\u001b[0m',
    };
    const xml = renderJunitReport(broken);
    const { suites, root } = parse(xml);
    expect(root.errors).toBe('1');
    expect(suites[0].testcase[0].error?.message).toBe('the implementation did not start: exited with code 3\\u001b[0m');
    expect(root.name).toBe('optconf: bad\\u0001impl "x" <y>');
  });

  it('PROTO-8 · an earlier JUnit report is replaced; a user’s XML is not', () => {
    const dir = scratch();
    const path = join(dir, 'junit.xml');
    writeJunitReport(path, failing);
    writeJunitReport(path, mixed);
    expect(readFileSync(path, 'utf8')).toBe(renderJunitReport(mixed));
    const theirs = join(dir, 'pom.xml');
    writeFileSync(theirs, '<?xml version="1.0"?><project/>');
    expect(() => writeJunitReport(theirs, mixed)).toThrow(/exists and is not an optconf JUnit report; not overwriting it/);
    expect(readFileSync(theirs, 'utf8')).toBe('<?xml version="1.0"?><project/>');
  });
});
