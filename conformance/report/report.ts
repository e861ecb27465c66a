/**
 * Rendering a check: the terminal text (per target and clause: verdict, largest error in ulps and
 * largest error/bound, the minimal failing case, the fingerprint, the replay command) and the JSON file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { caseJson, parseCaseJson, type Case } from '../check/case.ts';
import { describeFailure, formatUlps, margin } from '../check/compare.ts';
import type { CheckReport, ClauseResult, Failure, TargetResult } from '../check/verdict.ts';

export const REPORT_FORMAT = 'optconf-report/1';

/** PROTO-3: the case as the wire writes it (NaN, ±∞ and −0 kept), so it replays; a long one cut. */
function shortCaseJson(c: Case): string {
  const text = caseJson(c);
  return text.length > 1500 ? `${text.slice(0, 1500)}… (${c.params.length} elements; full case in --json)` : text;
}

/** A word as a POSIX shell reads it back: bare when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * PROTO-8: the line that reruns a target's check and replays its failure exactly (fast-check's path
 * to the shrunk case). It passes the report's seed, not the target's: the runner derives each
 * target's seed from it (`targetSeed`), so only the report seed replays. With a command prefix
 * (`optconf run --impl '…'`) it is a command line; without one, the in-process call with the
 * options that replay it, as JSON.
 */
export function replayCommand(
  report: Pick<CheckReport, 'seed' | 'runs' | 'profile'>,
  t: Pick<TargetResult, 'optimizer' | 'dtype' | 'against' | 'failure'>,
  prefix?: string,
): string {
  const options = {
    runs: report.runs,
    optimizer: t.optimizer,
    dtype: t.dtype,
    ...(t.against === t.optimizer ? {} : { variant: t.against }),
    ...(report.profile === 'long' ? { profile: report.profile } : {}),
    seed: report.seed,
    ...(t.failure?.path ? { path: t.failure.path } : {}),
  };
  if (prefix === undefined) return `checkImplementation(impl, ${JSON.stringify(options)})`;
  const flags = Object.entries(options).map(([name, value]) => `--${name} ${shellWord(String(value))}`);
  return [prefix, ...flags].join(' ');
}

/**
 * PROTO-8: a clause's passing outputs, both ways: the largest error in ulps (with its bound), and
 * the largest error/bound ratio (with that output's error and bound), which may be another output.
 */
export function clauseErrors(c: ClauseResult): string {
  const parts: string[] = [];
  if (c.largest) parts.push(`largest error ${formatUlps(c.largest.errorUlps)} ulps (bound ${formatUlps(c.largest.boundUlps)})`);
  if (c.worst) parts.push(`largest error/bound ${formatRatio(margin(c.worst))} (${formatUlps(c.worst.errorUlps)} of ${formatUlps(c.worst.boundUlps)} ulps)`);
  return parts.join('; ');
}

/** An error/bound ratio to two significant digits (0 under an infinite bound). */
export function formatRatio(r: number): string {
  return r === 0 ? '0' : String(Number(r.toPrecision(2)));
}

/** PROTO-7, PROTO-8: the fingerprint in words, or undefined when none was computed (a protocol failure, a check against a variant). */
export function fingerprintWords(t: Pick<TargetResult, 'fingerprint' | 'undecided'>): string | undefined {
  if (t.fingerprint === undefined) return undefined;
  if (t.fingerprint.length > 0) return `matches ${t.fingerprint.join(', ')}`;
  const u = t.undecided;
  if (u === undefined) return 'matches none of the named variants';
  const unasked = u.unasked > 0 ? `, ${u.unasked} not asked` : '';
  return `undecided: ${u.refused} of ${u.asked} variant cases answered error${unasked}; ${u.variants.join(', ')} matched every other`;
}

/** PROTO-8: how the failing case is labelled: minimal when shrinking ran its course, else why it stopped. */
export function failingCaseLabel(f: Failure): string {
  const shrinks = `${f.shrinks} shrink${f.shrinks === 1 ? '' : 's'}`;
  return f.shrinkStopped === undefined ? `minimal failing case (${shrinks})` : `failing case (${shrinks}; shrinking stopped, ${f.shrinkStopped})`;
}

function targetLines(t: TargetResult, replay: string): string[] {
  const head = `${t.optimizer} ${t.dtype}`.padEnd(18);
  const against = t.against === t.optimizer ? '' : ` (against ${t.against})`;
  const counts = `${t.cases} cases${t.skipped ? `, ${t.skipped} unsupported` : ''}`;
  const lines = [`${head}${t.verdict.toUpperCase().padEnd(8)}${counts}${against}${t.note ? ` — ${t.note}` : ''}`];
  for (const c of t.clauses) {
    const failing = c.verdict === 'fail' ? ', 1 failing' : '';
    lines.push(`  ${c.clause.padEnd(10)}${c.verdict.padEnd(9)}${String(c.cases).padStart(4)} cases${failing}  ${clauseErrors(c)}`.trimEnd());
  }
  if (t.failure) {
    const f = t.failure;
    lines.push(`  failure: ${f.check ? describeFailure(f.check, t.dtype) : f.message}`);
    if (f.firstMessage !== undefined) lines.push(`  first failure, before shrinking: ${f.firstMessage}`);
    lines.push(`  ${failingCaseLabel(f)}: ${shortCaseJson(f.minimalCase)}`);
    const fingerprint = fingerprintWords(t);
    if (fingerprint !== undefined) lines.push(`  fingerprint: ${fingerprint}`);
    lines.push(`  replay: ${replay}`);
  }
  return lines;
}

/** The report as terminal text. `replay` is the command prefix that reruns this check (none: the in-process call). */
export function formatReport(report: CheckReport, replay?: string): string {
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
  writeFileSync(tmp, `${caseJson({ format: REPORT_FORMAT, ...report }, 2)}\n`);
  renameSync(tmp, path);
}

/** The report's fields that hold text (verdict.ts, compare.ts): never read back as NaN or ±∞. */
const REPORT_TEXT_FIELDS: ReadonlySet<string> = new Set([
  'expected',
  'implementation',
  'message',
  'firstMessage',
  'note',
  'shrinkStopped',
  'stopped',
  'allUnsupported',
  'clause',
  'optimizer',
  'against',
  'output',
  'path',
  'name',
]);

/** Reads a JSON report written by `writeJsonReport` (for `optconf merge`). */
export function readJsonReport(path: string): CheckReport {
  // PROTO-3: numbers as `writeJsonReport` wrote them; the text fields stay text, even one that reads "NaN"
  const parsed = parseCaseJson(readFileSync(path, 'utf8'), REPORT_TEXT_FIELDS) as { format?: unknown } & CheckReport;
  if (parsed.format !== REPORT_FORMAT) throw new Error(`${path} is not an optconf report (${REPORT_FORMAT})`);
  const { format: _format, ...report } = parsed;
  return report as CheckReport;
}
