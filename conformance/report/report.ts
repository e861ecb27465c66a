/**
 * Rendering a check: the terminal text (per target and clause: verdict, worst error in ulps against
 * its bound, the minimal failing case, the fingerprint, the replay command) and the JSON file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Case } from '../check/case.ts';
import { describeFailure, formatUlps } from '../check/compare.ts';
import type { CheckReport, TargetResult } from '../check/verdict.ts';

export const REPORT_FORMAT = 'optconf-report/1';

function caseJson(c: Case): string {
  const text = JSON.stringify(c);
  return text.length > 1500 ? `${text.slice(0, 1500)}… (${c.params.length} elements; full case in --json)` : text;
}

/**
 * The one-line command that reruns a target's check. It passes the report's seed, not the target's:
 * the runner derives each target's seed from it (`targetSeed`), so only the report seed replays.
 */
export function replayCommand(
  report: Pick<CheckReport, 'seed' | 'runs'>,
  t: Pick<TargetResult, 'optimizer' | 'dtype' | 'against'>,
  prefix = 'optconf run',
): string {
  const variant = t.against === t.optimizer ? '' : ` --variant ${t.against}`;
  return `${prefix} --runs ${report.runs} --optimizer ${t.optimizer} --dtype ${t.dtype}${variant} --seed ${report.seed}`;
}

function targetLines(t: TargetResult, replay: string): string[] {
  const head = `${t.optimizer} ${t.dtype}`.padEnd(18);
  const against = t.against === t.optimizer ? '' : ` (against ${t.against})`;
  const counts = `${t.cases} cases${t.skipped ? `, ${t.skipped} unsupported` : ''}`;
  const lines = [`${head}${t.verdict.toUpperCase().padEnd(8)}${counts}${against}${t.note ? ` — ${t.note}` : ''}`];
  for (const c of t.clauses) {
    const worst = c.worst ? `worst ${formatUlps(c.worst.errorUlps)} ulps (bound ${formatUlps(c.worst.boundUlps)})` : '';
    lines.push(`  ${c.clause.padEnd(10)}${c.verdict.padEnd(9)}${String(c.cases).padStart(4)} cases  ${worst}`.trimEnd());
  }
  if (t.failure) {
    const f = t.failure;
    lines.push(`  failure: ${f.check ? describeFailure(f.check, t.dtype) : f.message}`);
    lines.push(`  minimal failing case (${f.shrinks} shrinks): ${caseJson(f.minimalCase)}`);
    if (t.fingerprint !== undefined) {
      lines.push(`  fingerprint: ${t.fingerprint.length ? `matches ${t.fingerprint.join(', ')}` : 'matches none of the named variants'}`);
    }
    lines.push(`  replay: ${replay}${f.path ? ` (fast-check seed ${f.seed}, path ${f.path})` : ''}`);
  }
  return lines;
}

/** The report as terminal text. `replay` is the command prefix that reruns this check. */
export function formatReport(report: CheckReport, replay = 'optconf run'): string {
  const lines = [`optconf: ${report.implementation} — seed ${report.seed}, ${report.runs} cases per optimizer and dtype`];
  for (const t of report.targets) lines.push(...targetLines(t, replayCommand(report, t, replay)));
  if (report.message) lines.push(report.message);
  const verdict = { conformant: 'CONFORMANT', 'not-conformant': 'NOT CONFORMANT', 'could-not-run': 'COULD NOT RUN' }[report.verdict];
  lines.push(`verdict: ${verdict} (exit ${report.exitCode})`);
  return lines.join('\n');
}

/**
 * Throws unless `path` does not exist or holds something `isOurs` recognises: the one rule of every
 * report writer, so a user's file is never overwritten. A directory or unreadable file is not ours.
 */
export function assertReplaceable(path: string, isOurs: (text: string) => boolean, what: string): void {
  if (!existsSync(path)) return;
  let ours = false;
  try {
    ours = isOurs(readFileSync(path, 'utf8'));
  } catch {
    ours = false;
  }
  if (!ours) throw new Error(`${path} exists and is not ${what}; not overwriting it`);
}

/** Throws unless `path` is free or an earlier optconf JSON report (checked before a long run, too). */
export function assertJsonReplaceable(path: string): void {
  assertReplaceable(
    path,
    (text) => {
      try {
        return (JSON.parse(text) as { format?: unknown }).format === REPORT_FORMAT;
      } catch {
        return false;
      }
    },
    'an optconf report',
  );
}

/**
 * Writes the JSON report; an existing file is replaced only when it is an earlier optconf report,
 * so nothing the user wrote is overwritten.
 */
export function writeJsonReport(path: string, report: CheckReport): void {
  assertJsonReplaceable(path);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ format: REPORT_FORMAT, ...report }, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Reads a JSON report written by `writeJsonReport` (for `optconf merge`). */
export function readJsonReport(path: string): CheckReport {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown } & CheckReport;
  if (parsed.format !== REPORT_FORMAT) throw new Error(`${path} is not an optconf report (${REPORT_FORMAT})`);
  const { format: _format, ...report } = parsed;
  return report as CheckReport;
}
