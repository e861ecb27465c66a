/**
 * The report as one self-contained HTML file (`optconf run --report FILE.html`): per target and
 * clause the verdict, the largest error in ulps and the largest error/bound, two inline SVG plots of the
 * sampled errors (per step, and against the element's magnitude), the minimal failing case ready
 * for a bug report with its replay command, and the fingerprint. No scripts, fonts or links to
 * fetch: it opens the same offline, attached to a CI run or mailed.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { defectDescribedAs, OPTIMIZERS } from '../../reference/registry.ts';
import { describeFailure, formatUlps, margin, type OutputCheck } from '../check/compare.ts';
import { REPORT_FORMAT, assertReplaceable, failingCaseLabel, fingerprintWords, formatRatio, replayCommand } from './report.ts';
import type { CheckReport, TargetResult, TargetSample } from '../check/verdict.ts';
import { caseJson } from '../check/case.ts';

/** The meta tag that marks a file as ours, so an earlier report may be replaced and nothing else. */
export const HTML_MARK = `<meta name="generator" content="${REPORT_FORMAT} html">`;

export interface HtmlOptions {
  /** the command prefix that reruns this check, e.g. `optconf run --impl 'python3 adapter.py'` (none: the in-process call) */
  readonly replay?: string;
  /** clause ID → title, from spec/ (the CLI passes them; conformance/ does not read spec/) */
  readonly clauseTitles?: ReadonlyMap<string, string>;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const anchor = (t: TargetResult) => `${t.optimizer}-${t.dtype}`;
const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-2) ? x.toExponential(0) : String(Number(x.toPrecision(3))));

/** Colours per output; the failing output is drawn red whatever it is. */
const PALETTE = ['#1f6fb4', '#e08a1e', '#2a9d55', '#8e5bbf', '#8c564b', '#d1479a', '#7f7f7f'];

interface Axis {
  readonly label: string;
  readonly log: boolean;
  readonly min: number;
  readonly max: number;
  /** how a value below `min` (zero on a log axis) is labelled */
  readonly floorLabel?: string;
  /** ticks at whole numbers only (steps) */
  readonly integer?: boolean;
}

function axisOf(values: readonly number[], log: boolean, label: string, floor?: number, integer = false): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (log) {
    let lo = finite.length ? Math.floor(Math.log10(Math.min(...finite))) : -1;
    let hi = finite.length ? Math.ceil(Math.log10(Math.max(...finite))) : 1;
    if (floor !== undefined) lo = Math.max(lo, Math.log10(floor));
    if (hi <= lo) hi = lo + 1;
    // A value at or below zero goes one decade under the lowest, labelled as such.
    const hasFloor = values.some((v) => Number.isFinite(v) && v <= 10 ** lo);
    if (hasFloor && floor === undefined) lo -= 1;
    return { label, log, min: lo, max: hi, floorLabel: floor !== undefined ? `≤${fmt(10 ** lo)}` : hasFloor ? '0' : undefined };
  }
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  // Half a unit of margin at least, so jittered points at the ends stay inside the frame.
  const pad = Math.max(0.5, (hi - lo) * 0.03);
  return { label, log, min: lo - pad, max: hi + pad, integer };
}

function ticks(a: Axis): number[] {
  if (a.log) {
    const step = Math.max(1, Math.ceil((a.max - a.min) / 8));
    const out: number[] = [];
    for (let e = Math.ceil(a.min); e <= a.max; e += step) out.push(e);
    return out;
  }
  const span = a.max - a.min;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  if (a.integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(a.min / step) * step; v <= a.max + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Point {
  readonly x: number;
  readonly y: number;
  /** the allowed error at this output, drawn as a grey dash */
  readonly bound?: number;
  readonly series: string;
  readonly failed: boolean;
  /** a pixel offset on x, so the elements of one step do not sit on one another */
  readonly jitter?: number;
}

const W = 460;
const H = 250;
const M = { left: 58, right: 12, top: 14, bottom: 40 };

/** A scatter plot as an SVG string; values off the top (infinite error) are pinned there and marked. */
function scatter(title: string, points: readonly Point[], xAxis: Axis, yAxis: Axis, series: readonly string[]): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const pos = (v: number, a: Axis, size: number, flip: boolean): number => {
    let t: number;
    if (!Number.isFinite(v)) t = v > 0 ? 1 : 0;
    else if (a.log) t = v <= 0 ? 0 : (Math.max(a.min, Math.log10(v)) - a.min) / (a.max - a.min);
    else t = (v - a.min) / (a.max - a.min);
    t = Math.min(1, Math.max(0, t));
    return flip ? M.top + (1 - t) * size : M.left + t * size;
  };
  const px = (v: number) => pos(v, xAxis, pw, false);
  const py = (v: number) => pos(v, yAxis, ph, true);
  const parts: string[] = [];
  parts.push(
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`,
  );
  parts.push(`<title>${escapeHtml(title)}</title>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#bbb"/>`);
  for (const v of ticks(xAxis)) {
    const x = px(xAxis.log ? 10 ** v : v).toFixed(1);
    const label = xAxis.log && v === xAxis.min && xAxis.floorLabel ? xAxis.floorLabel : xAxis.log ? fmt(10 ** v) : fmt(v);
    parts.push(
      `<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#eee"/>` +
        `<text x="${x}" y="${M.top + ph + 14}" text-anchor="middle">${escapeHtml(label)}</text>`,
    );
  }
  for (const v of ticks(yAxis)) {
    const y = py(yAxis.log ? 10 ** v : v).toFixed(1);
    const label = yAxis.log && v === yAxis.min && yAxis.floorLabel ? yAxis.floorLabel : yAxis.log ? fmt(10 ** v) : fmt(v);
    parts.push(
      `<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>` +
        `<text x="${M.left - 4}" y="${y}" dy="0.32em" text-anchor="end">${escapeHtml(label)}</text>`,
    );
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" class="axis">${escapeHtml(xAxis.label)}</text>`);
  parts.push(`<text transform="translate(12 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeHtml(yAxis.label)}</text>`);
  // Bounds as one path of short dashes: thousands of points stay a few kilobytes.
  const dashes = new Set<string>();
  for (const p of points) {
    if (p.bound === undefined || !Number.isFinite(p.bound)) continue;
    dashes.add(`M${Math.round(px(p.x) + (p.jitter ?? 0) - 3)} ${Math.round(py(p.bound))}h6`);
  }
  if (dashes.size) parts.push(`<path class="bound" d="${[...dashes].join('')}" stroke="#999" stroke-width="1.2" fill="none"/>`);
  // Points as round dots on one path per output, at whole pixels, each pixel once: a report of
  // twenty targets stays a few hundred kilobytes. The failing outputs are circles with a tooltip.
  const dots = new Map<string, Set<string>>(series.map((name) => [name, new Set<string>()]));
  const failures: string[] = [];
  for (const p of points) {
    const x = px(p.x) + (p.jitter ?? 0);
    const y = py(p.y);
    if (p.failed) {
      failures.push(
        `<circle class="pt fail" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="#d62728" stroke="#000">` +
          `<title>failing output: ${escapeHtml(p.series)}, ${Number.isFinite(p.y) ? `${formatUlps(p.y)} ulps` : 'not finite'}</title></circle>`,
      );
      continue;
    }
    if (!dots.has(p.series)) dots.set(p.series, new Set());
    dots.get(p.series)!.add(`M${Math.round(x)} ${Math.round(y)}h0`);
  }
  for (const [name, set] of dots) {
    if (set.size === 0) continue;
    const colour = PALETTE[Math.max(0, series.indexOf(name)) % PALETTE.length];
    parts.push(
      `<path class="pts" data-output="${escapeHtml(name)}" data-points="${set.size}" d="${[...set].join('')}"` +
        ` stroke="${colour}" stroke-opacity="0.7" stroke-width="4.4" stroke-linecap="round" fill="none"/>`,
    );
  }
  parts.push(...failures);
  if (points.some((p) => !Number.isFinite(p.y)))
    parts.push(`<text x="${M.left + pw - 4}" y="${M.top + 12}" text-anchor="end" fill="#d62728">▲ not finite (NaN or ∞), pinned at the top</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function legend(series: readonly string[]): string {
  const items = series.map((s, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${escapeHtml(s)}</span>`);
  items.push('<span><i class="dash"></i>bound</span>', '<span><i style="background:#d62728"></i>failing output (first failing case, before shrinking)</span>');
  return `<p class="legend">${items.join('')}</p>`;
}

function plots(t: TargetResult): string {
  const samples: readonly TargetSample[] = t.samples ?? [];
  if (samples.length === 0) return '<p class="muted">No samples to plot (no case was compared, or sampling was off).</p>';
  // Red: an output past its bound (the first failing case's, before shrinking).
  const isFailure = (s: TargetSample) => !(s.errorUlps <= s.boundUlps);
  const series = [...new Set(samples.map((s) => s.output))].sort((a, b) => (a === 'params' ? -1 : b === 'params' ? 1 : a.localeCompare(b)));
  const ulps = [...samples.map((s) => s.errorUlps), ...samples.map((s) => s.boundUlps)];
  const yAxis = axisOf(ulps, true, 'error (ulps, log scale)', 1e-3);
  const stepAxis = axisOf(
    samples.map((s) => s.step),
    false,
    'step of the case',
    undefined,
    true,
  );
  // Golden-ratio offsets by element: deterministic, and spread evenly over ±8 px.
  const jitter = (s: TargetSample) => (((s.element * 0.618034 + s.case * 0.414214) % 1) - 0.5) * 16;
  const byStep = samples.map((s) => ({ x: s.step, y: s.errorUlps, bound: s.boundUlps, series: s.output, failed: isFailure(s), jitter: jitter(s) }));
  const withMagnitude = samples.filter((s) => Number.isFinite(s.magnitude));
  const magAxis = axisOf(
    withMagnitude.map((s) => s.magnitude),
    true,
    '|reference value| of the output (log scale)',
  );
  const byMagnitude = withMagnitude.map((s) => ({ x: s.magnitude, y: s.errorUlps, bound: s.boundUlps, series: s.output, failed: isFailure(s) }));
  const cases = new Set(samples.map((s) => s.case)).size;
  return `<div class="plots">
${scatter(`${t.optimizer} ${t.dtype}: error in ulps per step`, byStep, stepAxis, yAxis, series)}
${scatter(`${t.optimizer} ${t.dtype}: error in ulps against magnitude`, byMagnitude, magAxis, yAxis, series)}
</div>
${legend(series)}
<p class="muted">${samples.length} outputs sampled from ${cases} case${cases === 1 ? '' : 's'} (deterministic sample; at most 64 per case).</p>`;
}

function verdictBadge(v: string): string {
  return `<span class="verdict v-${escapeHtml(v)}">${escapeHtml(v.toUpperCase())}</span>`;
}

const whereOf = (w: OutputCheck) => `step ${w.step}, ${w.output === 'params' ? 'params' : `state.${w.output}`}[${w.element}]`;

/**
 * PROTO-8: per clause the largest error in ulps (with its bound) and, beside it, the largest
 * error/bound ratio, which may be another output's (a failed clause shows its failure in both).
 */
function clauseTable(t: TargetResult, titles?: ReadonlyMap<string, string>): string {
  const rows = t.clauses.map((c) => {
    const failed = c.verdict === 'fail' ? t.failure?.check : undefined;
    const largest = failed ?? c.largest;
    const worst = failed ?? c.worst;
    const ratio = worst === undefined ? 0 : !(worst.errorUlps <= worst.boundUlps) ? 1 : margin(worst);
    const title = titles?.get(c.clause);
    const titleHtml = title ? `<br><small>${escapeHtml(title.replace(/^[A-Z]+-\d+\s*·\s*/, ''))}</small>` : '';
    const bar = `<span class="bar"><span style="width:${(Math.min(ratio, 1) * 100).toFixed(1)}%"></span></span>`;
    const ofBound = worst ? `${formatRatio(margin(worst))}: ${formatUlps(worst.errorUlps)} of ${formatUlps(worst.boundUlps)} ulps, ` : '';
    const where = failed ? 'the minimal failing case, below' : worst ? whereOf(worst) : '';
    return `<tr class="clause c-${c.verdict}" id="${escapeHtml(anchor(t))}-${escapeHtml(c.clause)}">
<td><b>${escapeHtml(c.clause)}</b>${titleHtml}</td>
<td>${verdictBadge(c.verdict)}</td><td class="num">${c.cases}</td>
<td class="num ulps">${largest === undefined ? '—' : `${escapeHtml(formatUlps(largest.errorUlps))} ulps`}</td>
<td class="num">${largest === undefined ? '—' : `${escapeHtml(formatUlps(largest.boundUlps))} ulps`}</td>
<td>${bar} <small>${escapeHtml(`${ofBound}${where}`)}</small></td></tr>`;
  });
  const heads = ['clause', 'verdict', 'cases', 'largest error', 'its bound', `largest error / bound (${t.failure ? 'failure: ' : ''}where)`];
  return `<table class="clauses"><thead><tr>${heads.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function fingerprintText(t: TargetResult): string {
  if (t.fingerprint === undefined) {
    if (t.against !== t.optimizer) return `not computed (checked against the variant ${t.against})`;
    return t.failure?.protocol ? 'not computed (a protocol failure: nothing was computed to compare)' : 'not computed';
  }
  if (t.fingerprint.length === 0) return fingerprintWords(t) as string;
  return `matches ${t.fingerprint.map((name) => `${name} (${summaryOf(name)})`).join('; ')}`;
}

/** What a fingerprint entry computes: a named variant's summary, or a known defect's (DEFECT-1…, named as `describeDefect` names it). */
function summaryOf(name: string): string {
  return defectDescribedAs(name)?.summary ?? OPTIMIZERS.find((o) => o.name === name)?.summary ?? 'a named variant';
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function failureBlock(report: CheckReport, t: TargetResult, replay: string | undefined): string {
  const f = t.failure;
  if (!f) return t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : '';
  const what = f.check ? describeFailure(f.check, t.dtype) : f.message;
  const command = replayCommand(report, t, replay);
  return `<div class="failure">
<h3>Failure</h3>
<p class="message">${escapeHtml(what)}</p>
<p>Fingerprint: <b class="fingerprint">${escapeHtml(fingerprintText(t))}</b></p>
${f.firstMessage === undefined ? '' : `<p class="muted">First failure, before shrinking: ${escapeHtml(f.firstMessage)}</p>`}
<h4>${escapeHtml(capitalised(failingCaseLabel(f)))} <small>(paste into a bug report)</small></h4>
<pre class="case">${escapeHtml(caseJson(f.minimalCase, 2))}</pre>
<h4>Replay</h4>
<pre class="replay">${escapeHtml(command)}</pre>
</div>`;
}

function targetSection(report: CheckReport, t: TargetResult, options: HtmlOptions): string {
  const against = t.against === t.optimizer ? '' : ` <small>against ${escapeHtml(t.against)}</small>`;
  const counts = `${t.cases} cases${t.skipped ? `, ${t.skipped} unsupported` : ''}, seed ${report.seed}`;
  return `<section class="target t-${t.verdict}" id="${escapeHtml(anchor(t))}">
<h2>${escapeHtml(t.optimizer)} ${escapeHtml(t.dtype)}${against} ${verdictBadge(t.verdict)}</h2>
<p class="muted">${escapeHtml(counts)}${t.failure && t.note ? ` — ${escapeHtml(t.note)}` : ''}</p>
${clauseTable(t, options.clauseTitles)}
${failureBlock(report, t, options.replay)}
${plots(t)}
</section>`;
}

const CSS =
  `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:0 0 4px}h3{font-size:15px;margin:12px 0 4px}h4{font-size:14px;margin:10px 0 4px}
.muted,small{color:#666}.summary td{padding:2px 10px 2px 0}
.verdict{font-size:12px;font-weight:600;padding:1px 6px;border-radius:3px;color:#fff;background:#777}
.v-pass,.v-conformant{background:#2a9d55}.v-fail,.v-not-conformant{background:#c62828}.v-untested,.v-skipped,.v-could-not-run{background:#9e9e9e}
section.target{border:1px solid #ddd;border-left:5px solid #9e9e9e;border-radius:4px;padding:12px 16px;margin:16px 0}
section.t-pass{border-left-color:#2a9d55}section.t-fail{border-left-color:#c62828}
table.clauses{border-collapse:collapse;width:100%;margin:8px 0}` +
  `table.clauses th,table.clauses td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}tr.c-fail{background:#fdecea}
.bar{display:inline-block;width:80px;height:8px;background:#eee;vertical-align:middle}.bar span{display:block;height:8px;background:#1f6fb4}
tr.c-fail .bar span{background:#c62828}
pre{background:#f6f8fa;border:1px solid #ddd;padding:8px;overflow:auto;max-height:320px;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
.failure{background:#fff8f7;border:1px solid #f3c7c3;border-radius:4px;padding:4px 12px 8px;margin:8px 0}
.plots{display:flex;flex-wrap:wrap;gap:12px}svg.plot{font:10px sans-serif;background:#fff}svg.plot .axis{font-size:11px;fill:#444}
.legend span{margin-right:14px;white-space:nowrap}.legend i{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:4px;vertical-align:middle}
.legend i.dash{border-radius:0;height:2px;width:12px;background:#999}
nav a{margin-right:10px;white-space:nowrap}
`;

/** The report as a self-contained HTML page. */
export function renderHtmlReport(report: CheckReport, options: HtmlOptions = {}): string {
  const verdict = { conformant: 'conformant', 'not-conformant': 'not-conformant', 'could-not-run': 'could-not-run' }[report.verdict];
  const nav = report.targets
    .map((t) => `<a href="#${escapeHtml(anchor(t))}">${escapeHtml(`${t.optimizer} ${t.dtype}`)} ${verdictBadge(t.verdict)}</a>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${HTML_MARK}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>optconf: ${escapeHtml(report.implementation)} — ${escapeHtml(report.verdict)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>optconf conformance report ${verdictBadge(verdict)}</h1>
<table class="summary">
<tr><td>implementation</td><td><b>${escapeHtml(report.implementation)}</b></td></tr>
<tr><td>seed</td><td>${report.seed}</td></tr>
<tr><td>cases</td><td>${report.runs} per optimizer and dtype</td></tr>
<tr><td>exit code</td><td>${report.exitCode}</td></tr>
</table>
${report.message ? `<p class="note"><b>${escapeHtml(report.message)}</b></p>` : ''}
<nav>${nav}</nav>
${report.targets.map((t) => targetSection(report, t, options)).join('\n')}
<p class="muted">Errors are in ulps of the output dtype; bounds come from the error model of spec/precision.md (PREC-1).</p>
</body>
</html>
`;
}

/** Throws unless `path` is free or an earlier optconf HTML report (checked before a long run, too). */
export function assertHtmlReplaceable(path: string): void {
  assertReplaceable(path, (text) => text.slice(0, 4096).includes(HTML_MARK), 'an optconf HTML report');
}

/** Writes the HTML report; an existing file is replaced only when it is an earlier optconf HTML report. */
export function writeHtmlReport(path: string, report: CheckReport, options: HtmlOptions = {}): void {
  assertHtmlReplaceable(path);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, renderHtmlReport(report, options));
  renameSync(tmp, path);
}
