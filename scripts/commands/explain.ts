/**
 * `optconf explain ADAMW-1`: from a clause a reviewer cites, everything that hangs on it — the
 * clause's text in spec/, the reference functions implementing it, the tests checking it, the
 * optimizers that claim it and the golden files exercising it (DESIGN.md, the reviewer's use).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { OPTIMIZERS } from '../../reference/registry.ts';
import { GOLDEN_DIR } from '../../conformance/golden/store.ts';
import { ROOT, traceability, type Clause, type TraceMap } from '../traceability.ts';

/** The golden folder as a reviewer reads it, from the repository root. */
const GOLDEN_SHOWN = relative(ROOT, GOLDEN_DIR);

/** An ID no clause has; `suggestions` are the closest IDs. */
export class UnknownClause extends Error {
  constructor(
    readonly id: string,
    readonly suggestions: readonly string[],
  ) {
    super(`unknown clause ${JSON.stringify(id)}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ''} (optconf list shows every clause)`);
  }
}

/** `adamw-1`, `spec/adamw.md#ADAMW-1` and `ADAMW-1` all name ADAMW-1: reviewers paste citations. */
export function normaliseId(input: string): string {
  const hash = input.lastIndexOf('#');
  return (hash >= 0 ? input.slice(hash + 1) : input).trim().toUpperCase();
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const keep = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = keep;
    }
  }
  return d[b.length];
}

/** The known IDs nearest `id`: by edit distance, the same prefix counting as closer, then the nearest number (at most five). */
export function closeMatches(id: string, known: readonly string[]): string[] {
  const prefix = id.replace(/-.*$/, '');
  const number = Number(id.replace(/^.*-/, ''));
  const apart = (k: string) => (Number.isFinite(number) ? Math.abs(Number(k.replace(/^.*-/, '')) - number) : 0);
  const scored = known
    .map((k) => ({ k, score: editDistance(id, k) - (k.replace(/-.*$/, '') === prefix ? 1 : 0) }))
    .filter((s) => s.score <= 2)
    .sort((a, b) => a.score - b.score || apart(a.k) - apart(b.k) || a.k.localeCompare(b.k, 'en', { numeric: true }));
  return scored.slice(0, 5).map((s) => s.k);
}

/** The clause's body: the lines under its heading up to the next heading of the same or a higher level. */
export function clauseBody(clause: Clause): string {
  const lines = readFileSync(join(ROOT, clause.file), 'utf8').split('\n');
  const level = /^#+/.exec(lines[clause.line - 1])?.[0].length ?? 3;
  const body: string[] = [];
  let inCode = false;
  for (const line of lines.slice(clause.line)) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = !inCode && /^(#+)\s/.exec(line);
    if (heading && heading[1].length <= level) break;
    body.push(line);
  }
  return body.join('\n').trim();
}

export interface GoldenFiles {
  /** golden traces under conformance/golden/: JSON files with a top-level `clauses` array (not the manifest or the schema) */
  readonly total: number;
  /** those whose top-level `clauses` lists the ID */
  readonly matching: readonly string[];
}

/** Golden trace files whose top-level `clauses` array names the clause. */
export function goldenFilesFor(id: string, dir = GOLDEN_DIR): GoldenFiles {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    names = [];
  }
  const matching: string[] = [];
  let total = 0;
  for (const name of names) {
    let clauses: unknown;
    try {
      clauses = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { clauses?: unknown }).clauses;
    } catch {
      continue; // not JSON, so not a golden trace; the golden checks report it
    }
    if (!Array.isArray(clauses)) continue;
    total++;
    if (clauses.includes(id)) matching.push(`${GOLDEN_SHOWN}/${name}`);
  }
  return { total, matching };
}

/** The text `optconf explain` prints; throws UnknownClause for an ID no spec file defines. */
export function explain(input: string, map: TraceMap = traceability(), goldenDir?: string): string {
  const id = normaliseId(input);
  const clause = map.clauses.find((c) => c.id === id);
  if (!clause)
    throw new UnknownClause(
      input,
      closeMatches(
        id,
        map.clauses.map((c) => c.id),
      ),
    );
  const out: string[] = [];
  out.push(`${clause.title}`, `${clause.file}:${clause.line}  (cite as ${clause.file}#${clause.id})`, '');
  out.push(
    ...clauseBody(clause)
      .split('\n')
      .map((l) => (l ? `    ${l}` : '')),
    '',
  );
  const impls = map.implementedBy.get(id) ?? [];
  out.push('Implemented by:');
  out.push(...(impls.length ? impls.map((s) => `  ${s.name}  ${s.file}:${s.line}`) : ['  (no function names it in its doc comment)']));
  const claimed = OPTIMIZERS.filter((o) => o.clauses.includes(id));
  if (claimed.length) {
    out.push('Checked by `optconf run` as part of:');
    out.push(...claimed.map((o) => `  ${o.name}  ${o.summary}`));
  }
  const tests = map.testedBy.get(id) ?? [];
  out.push('Tested by:');
  out.push(...(tests.length ? tests.map((s) => `  ${s.file}:${s.line}  ${s.name}`) : ['  (no test names it in its title)']));
  const golden = goldenFilesFor(id, goldenDir);
  out.push('Golden files:');
  if (golden.total === 0) out.push('  no golden files');
  else if (golden.matching.length === 0) out.push(`  none of the ${golden.total} golden files exercises ${id}`);
  else out.push(...golden.matching.map((f) => `  ${f}`));
  return out.join('\n');
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('show a spec clause, the reference functions implementing it, the tests checking it and the golden files exercising it')
    .argument('<clause>', 'a clause ID such as ADAMW-1 (or a citation such as spec/adamw.md#ADAMW-1)')
    .action((id: string) => {
      try {
        console.log(explain(id));
      } catch (e) {
        if (!(e instanceof UnknownClause)) throw e;
        console.error(`optconf explain: ${e.message}`);
        process.exit(2);
      }
    });
}
