/**
 * The report as JUnit XML (`optconf run --junit FILE.xml`) for CI systems: one <testsuite> per
 * target (`optconf.adam.float32`), one <testcase> per clause (`adam float32 ADAM-5`); a failed
 * clause carries the failure, the minimal case and the replay command; an untested clause is
 * skipped. A check that could not run is one errored test case, so CI shows why.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { describeFailure } from '../check/compare.ts';
import { REPORT_FORMAT, assertReplaceable, clauseErrors, failingCaseLabel, fingerprintWords, replayCommand } from './report.ts';
import type { CheckReport, TargetResult } from '../check/verdict.ts';
import { caseJson } from '../check/case.ts';

/** The comment that marks a file as ours, so an earlier report may be replaced and nothing else. */
export const JUNIT_MARK = `<!-- ${REPORT_FORMAT} junit -->`;

/** XML 1.0 text: escaped, and without the characters XML cannot carry (an implementation's message may hold any). */
function text(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
}

/** An attribute value: as text, with quotes and line breaks escaped too (a parser would fold them to spaces). */
function xml(s: string): string {
  return text(s).replace(/["\n\r\t]/g, (c) => (c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`));
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function failureText(report: CheckReport, t: TargetResult, replay: string | undefined): { message: string; body: string } {
  const f = t.failure;
  if (!f) return { message: t.note ?? 'failed', body: t.note ?? '' };
  const message = f.check ? describeFailure(f.check, t.dtype) : f.message;
  const fingerprint = fingerprintWords(t);
  const body = [
    message,
    ...(f.firstMessage === undefined ? [] : [`first failure, before shrinking: ${f.firstMessage}`]),
    ...(fingerprint === undefined ? [] : [`fingerprint: ${fingerprint}`]),
    `${failingCaseLabel(f)}:`,
    caseJson(f.minimalCase, 2),
    `replay: ${replayCommand(report, t, replay)}`,
  ].join('\n');
  return { message, body };
}

function testcases(report: CheckReport, t: TargetResult, replay: string | undefined): { xml: string[]; failures: number; skipped: number } {
  const classname = `optconf.${t.optimizer}.${t.dtype}`;
  const out: string[] = [];
  let failures = 0;
  let skipped = 0;
  const failure = failureText(report, t, replay);
  const failure_ = `<failure message="${xml(failure.message)}" type="ClauseFailure">${text(failure.body)}</failure>`;
  for (const c of t.clauses) {
    const name = `${t.optimizer} ${t.dtype} ${c.clause}`;
    const open = `    <testcase name="${xml(name)}" classname="${xml(classname)}" time="0">`;
    if (c.verdict === 'fail') {
      failures++;
      out.push(`${open}\n      ${failure_}\n    </testcase>`);
    } else if (c.verdict === 'untested' || t.verdict === 'skipped') {
      skipped++;
      const why = t.verdict === 'skipped' ? (t.note ?? 'skipped') : 'no generated case exercised this clause';
      out.push(`${open}\n      <skipped message="${xml(why)}"/>\n    </testcase>`);
    } else {
      const errors = clauseErrors(c);
      out.push(`${open}\n      <system-out>${text(`${c.cases} cases${errors ? `; ${errors}` : ''}`)}</system-out>\n    </testcase>`);
    }
  }
  // A target can fail with no clause to blame (the check stopped, the process died): keep it visible.
  if (t.verdict === 'fail' && !t.clauses.some((c) => c.verdict === 'fail')) {
    failures++;
    out.push(`    <testcase name="${xml(`${t.optimizer} ${t.dtype}`)}" classname="${xml(classname)}" time="0">\n      ${failure_}\n    </testcase>`);
  }
  return { xml: out, failures, skipped };
}

/** The report as a JUnit XML document. */
export function renderJunitReport(report: CheckReport, options: { replay?: string; elapsedMs?: number } = {}): string {
  const replay = options.replay;
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  let errors = 0;
  for (const t of report.targets) {
    const cases = testcases(report, t, replay);
    const n = cases.xml.length;
    tests += n;
    failures += cases.failures;
    skipped += cases.skipped;
    const props = [
      ['implementation', report.implementation],
      ['against', t.against],
      ['seed', String(report.seed)],
      ['runs', String(report.runs)],
      ['verdict', t.verdict],
      ...(t.fingerprint !== undefined ? [['fingerprint', fingerprintWords(t) as string]] : []),
    ]
      .map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>`)
      .join('\n');
    suites.push(
      `  <testsuite name="optconf.${xml(t.optimizer)}.${xml(t.dtype)}" tests="${n}" failures="${cases.failures}"` +
        ` errors="0" skipped="${cases.skipped}" time="0">` +
        `\n    <properties>\n${props}\n    </properties>\n${cases.xml.join('\n')}\n  </testsuite>`,
    );
  }
  if (report.verdict === 'could-not-run' || (report.message && report.verdict !== 'conformant')) {
    // Why the check could not run, or stopped: an error CI will show, not a silent empty suite.
    errors++;
    tests++;
    suites.push(
      `  <testsuite name="optconf" tests="1" failures="0" errors="1" skipped="0" time="0">` +
        `\n    <testcase name="optconf run" classname="optconf" time="0">` +
        `\n      <error message="${xml(report.message ?? report.verdict)}" type="${xml(report.verdict)}">` +
        `${text(report.message ?? '')}</error>\n    </testcase>\n  </testsuite>`,
    );
  }
  const time = seconds(options.elapsedMs ?? 0);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n${JUNIT_MARK}\n` +
    `<testsuites name="optconf: ${xml(report.implementation)}" tests="${tests}" failures="${failures}"` +
    ` errors="${errors}" skipped="${skipped}" time="${time}">\n${suites.join('\n')}\n</testsuites>\n`
  );
}

/** Throws unless `path` is free or an earlier optconf JUnit report (checked before a long run, too). */
export function assertJunitReplaceable(path: string): void {
  assertReplaceable(path, (text) => text.slice(0, 4096).includes(JUNIT_MARK), 'an optconf JUnit report');
}

/** Writes the JUnit report; an existing file is replaced only when it is an earlier optconf JUnit report. */
export function writeJunitReport(path: string, report: CheckReport, options: { replay?: string; elapsedMs?: number } = {}): void {
  assertJunitReplaceable(path);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, renderJunitReport(report, options));
  renameSync(tmp, path);
}
