/**
 * Regenerating and checking the golden folder (spec/golden-format.md, GOLD-5): generate every
 * curated case in memory, write them through a temporary folder that is moved into place only
 * when everything succeeded, and check a folder byte for byte against a fresh regeneration,
 * against the schema and against its manifest.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenSpecs } from './cases.ts';
import { buildGoldenFile, buildManifest, serializeGolden, sha256, validateGolden, type GoldenFile, type GoldenSpec } from './format.ts';

export const GOLDEN_DIR = fileURLToPath(new URL('./', import.meta.url));
export const MANIFEST = 'manifest.json';
/**
 * Hand-written files that live beside the generated ones and are never generated, checked or
 * removed: the schema, and this room's code and README (the data files keep the paths users have).
 */
const STATIC_FILES: readonly string[] = ['schema.json', 'check_golden.py', 'README.md'];
export const isStaticFile = (f: string): boolean => STATIC_FILES.includes(f) || f.endsWith('.ts');

export interface GenerateProgress {
  readonly file: string;
  readonly done: number;
  readonly total: number;
}

/** GOLD-5: every golden file and the manifest, as file name → bytes, from the reference alone. */
export function generateGolden(onProgress?: (p: GenerateProgress) => void, specs: readonly GoldenSpec[] = goldenSpecs()): Map<string, string> {
  const out = new Map<string, string>();
  const built: { file: string; text: string; golden: GoldenFile }[] = [];
  const names = new Set<string>();
  specs.forEach((spec, i) => {
    const file = `${spec.name}.json`;
    if (names.has(file)) throw new Error(`two golden cases are named ${spec.name}`);
    names.add(file);
    onProgress?.({ file, done: i, total: specs.length });
    const golden = buildGoldenFile(spec);
    const text = serializeGolden(golden);
    out.set(file, text);
    built.push({ file, text, golden });
  });
  onProgress?.({ file: MANIFEST, done: specs.length, total: specs.length });
  out.set(MANIFEST, buildManifest(built));
  return out;
}

/** The regular files of a folder (sorted), none if it does not exist. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile() || statSync(join(dir, f)).isDirectory())
    .sort();
}

/** The files a previous run generated, from the folder's manifest (so renamed cases can be removed). */
function previouslyGenerated(dir: string): Set<string> {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files?: { file?: unknown }[] };
    return new Set((m.files ?? []).map((e) => e.file).filter((f): f is string => typeof f === 'string'));
  } catch {
    return new Set();
  }
}

export interface WriteOptions {
  /** also replace files the generator does not know (each is named on `log`) */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * GOLD-5: writes generated files into `dir` — first all into a temporary sibling folder, then
 * moved into place. Refuses (throws, writing nothing) when `dir` holds a file that is neither
 * generated now, nor listed by its manifest, nor a static file, unless `force`; files a previous
 * run generated and this one does not are removed, each named.
 */
export function writeGolden(dir: string, files: ReadonlyMap<string, string>, options: WriteOptions = {}): void {
  const log = options.log ?? (() => undefined);
  const before = previouslyGenerated(dir);
  const unknown = listFiles(dir).filter((f) => !files.has(f) && !before.has(f) && !isStaticFile(f));
  if (unknown.length > 0 && !options.force) {
    throw new Error(`${dir} holds files the golden generator did not write: ${unknown.join(', ')}; move them away or pass --force to delete them`);
  }
  const tmp = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    for (const [file, text] of files) writeFileSync(join(tmp, file), text);
    mkdirSync(dir, { recursive: true });
    for (const f of unknown) {
      log(`removing ${f} (not generated; --force)`);
      rmSync(join(dir, f), { recursive: true, force: true });
    }
    for (const f of before) {
      if (!files.has(f) && existsSync(join(dir, f))) {
        log(`removing ${f} (generated before, no longer a golden case)`);
        rmSync(join(dir, f));
      }
    }
    // The manifest last, so a folder whose manifest is new has all its new files.
    for (const file of [...files.keys()].filter((f) => f !== MANIFEST)) renameSync(join(tmp, file), join(dir, file));
    if (files.has(MANIFEST)) renameSync(join(tmp, MANIFEST), join(dir, MANIFEST));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      const clip = (s: string | undefined) => (s === undefined ? '(end of file)' : s.length > 120 ? `${s.slice(0, 120)}…` : s.trim());
      return `line ${i + 1}: found ${clip(la[i])}, regenerated ${clip(lb[i])}`;
    }
  }
  return 'same lines, different bytes';
}

/**
 * GOLD-1, GOLD-5: problems with a golden folder, each naming its file — every golden file valid
 * against the schema, every manifest hash matching its file, and every byte equal to a fresh
 * regeneration (no file missing, none extra). Empty when the folder is right.
 */
export function checkGolden(dir: string = GOLDEN_DIR, onProgress?: (p: GenerateProgress) => void, regenerated?: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const present = listFiles(dir).filter((f) => !isStaticFile(f));
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');

  for (const f of present) {
    if (f === MANIFEST || !f.endsWith('.json')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(read(f));
    } catch (e) {
      problems.push(`${f}: not JSON (${(e as Error).message})`);
      continue;
    }
    const error = validateGolden(parsed);
    if (error !== undefined) problems.push(`${f}: does not match schema.json: ${error}`);
  }

  if (!present.includes(MANIFEST)) problems.push(`${MANIFEST}: missing`);
  else {
    try {
      const manifest = JSON.parse(read(MANIFEST)) as { files: { file: string; sha256: string }[] };
      for (const { file, sha256: hash } of manifest.files) {
        if (!present.includes(file)) problems.push(`${file}: listed in ${MANIFEST} but missing`);
        else if (sha256(readFileSync(join(dir, file))) !== hash) problems.push(`${file}: SHA-256 does not match ${MANIFEST}`);
      }
      for (const f of present) if (f !== MANIFEST && !manifest.files.some((e) => e.file === f)) problems.push(`${f}: not listed in ${MANIFEST}`);
    } catch (e) {
      problems.push(`${MANIFEST}: unreadable (${(e as Error).message})`);
    }
  }

  const fresh = regenerated ?? generateGolden(onProgress);
  for (const [file, text] of fresh) {
    if (!present.includes(file)) problems.push(`${file}: missing (regeneration writes it)`);
    else {
      const old = read(file);
      if (old !== text) problems.push(`${file}: differs from regeneration, ${firstDifference(old, text)}`);
    }
  }
  for (const f of present) if (!fresh.has(f)) problems.push(`${f}: extra (regeneration does not write it)`);
  return [...new Set(problems)];
}
