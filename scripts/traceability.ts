/**
 * Traceability (DESIGN.md, "Spec clauses"): every clause in spec/ is implemented by a function
 * whose doc comment names it and checked by a test whose title names it; every clause cited in
 * code, tests or spec exists. `npm run trace` prints the map; tests/traceability.test.ts fails on a gap.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The prefix of every clause ID in spec/ (ADAMW and ADAMAX before ADAM: the citation pattern tries them in order). */
export const CLAUSE_PREFIXES = [
  'NOTE',
  'GRAD',
  'SGD',
  'RMSPROP',
  'ADAMW',
  'ADAMAX',
  'ADAM',
  'ADAGRAD',
  'ADADELTA',
  'NADAM',
  'RADAM',
  'LION',
  'DEFECT',
  'EWMA',
  'PREC',
  'PROTO',
  'GOLD',
] as const;
const CITATION = new RegExp(`\\b(?:${CLAUSE_PREFIXES.join('|')})-\\d+\\b`, 'g');

export interface Clause {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly title: string;
}

export interface Site {
  readonly file: string;
  readonly line: number;
  readonly name: string;
}

export interface TraceMap {
  readonly clauses: readonly Clause[];
  readonly implementedBy: ReadonlyMap<string, Site[]>;
  readonly testedBy: ReadonlyMap<string, Site[]>;
  readonly problems: readonly string[];
}

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...files(path, ext));
    else if (e.isFile() && ext.test(e.name)) out.push(path);
  }
  return out.sort();
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Clauses: `### <a id="ADAM-3"></a>ADAM-3 · Title` headings in spec/*.md. */
export function specClauses(): Clause[] {
  const clauses: Clause[] = [];
  for (const file of files('spec', /\.md$/)) {
    // Fenced code blocks show the heading format; they define nothing (blanked, keeping line numbers).
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ' '));
    for (const m of text.matchAll(/^#{2,4} <a id="([A-Z]+-\d+)"><\/a>\s*(.*)$/gm)) {
      clauses.push({ id: m[1], file, line: lineOf(text, m.index ?? 0), title: m[2].trim() });
    }
  }
  return clauses;
}

/** Functions whose doc comment names clauses: `/** ADAM-2: … *\/ export function firstMoment`. */
function implementations(): Map<string, Site[]> {
  const map = new Map<string, Site[]>();
  for (const file of [...files('reference', /\.ts$/), ...files('conformance', /\.ts$/)]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const re = /\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*export\s+(?:async\s+)?(?:function\s+(\w+)|const\s+(\w+)|class\s+(\w+))/g;
    for (const m of text.matchAll(re)) {
      const name = m[2] ?? m[3] ?? m[4];
      for (const id of new Set(m[1].match(CITATION) ?? [])) {
        const site = { file, line: lineOf(text, (m.index ?? 0) + m[0].length), name };
        map.set(id, [...(map.get(id) ?? []), site]);
      }
    }
  }
  return map;
}

/** Tests whose title names clauses: `describe('ADAM-8 · ε inside the root', …)`. */
function tests(): Map<string, Site[]> {
  const map = new Map<string, Site[]>();
  for (const file of files('tests', /\.test\.ts$/)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const re = /\b(?:describe|it|test)(?:\.\w+)*\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g;
    for (const m of text.matchAll(re)) {
      for (const id of new Set(m[2].match(CITATION) ?? [])) {
        map.set(id, [...(map.get(id) ?? []), { file, line: lineOf(text, m.index ?? 0), name: m[2] }]);
      }
    }
  }
  return map;
}

export function traceability(): TraceMap {
  const clauses = specClauses();
  const known = new Set(clauses.map((c) => c.id));
  const implementedBy = implementations();
  const testedBy = tests();
  const problems: string[] = [];
  const seen = new Map<string, Clause>();
  for (const c of clauses) {
    const first = seen.get(c.id);
    if (first) problems.push(`${c.id} is defined twice: ${first.file}:${first.line} and ${c.file}:${c.line}`);
    seen.set(c.id, c);
    if (!implementedBy.has(c.id)) problems.push(`${c.id} (${c.file}:${c.line}) has no implementing function naming it in its doc comment`);
    if (!testedBy.has(c.id)) problems.push(`${c.id} (${c.file}:${c.line}) has no test naming it in its title`);
  }
  for (const dir of ['reference', 'conformance', 'scripts', 'tests', 'spec']) {
    for (const file of files(dir, /\.(ts|md|py|json)$/)) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(CITATION)) {
        if (!known.has(m[0])) problems.push(`${file}:${lineOf(text, m.index ?? 0)} cites ${m[0]}, which no spec clause defines`);
      }
    }
  }
  return { clauses, implementedBy, testedBy, problems };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const map = traceability();
  for (const c of map.clauses) {
    const impl = (map.implementedBy.get(c.id) ?? []).map((s) => `${s.name} (${s.file}:${s.line})`).join(', ') || '—';
    const n = map.testedBy.get(c.id)?.length ?? 0;
    console.log(`${c.id.padEnd(11)} ${relative('.', c.file)}  implemented by ${impl}; ${n} test(s)`);
  }
  for (const p of map.problems) console.error(`problem: ${p}`);
  process.exit(map.problems.length ? 1 : 0);
}
