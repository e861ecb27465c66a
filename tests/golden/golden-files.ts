/**
 * The checked-in golden folder as the tests read it (spec/golden-format.md): its manifest, its files
 * parsed, and throw-away copies of it to edit.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GoldenFile, ManifestEntry } from '../../conformance/golden/format.ts';
import { GOLDEN_DIR } from '../../conformance/golden/store.ts';

export const manifest = JSON.parse(readFileSync(join(GOLDEN_DIR, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] };
export const load = (file: string): GoldenFile => JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as GoldenFile;

/** A hand-edited file's new hash written into the copy's manifest, so only the edit itself can fail a check. */
export function rehash(dir: string, file: string, text: string): void {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: { file: string; sha256: string }[] };
  m.files.find((f) => f.file === file)!.sha256 = createHash('sha256').update(text).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
}

/** Copies of the golden folder (and empty folders) in the system's temporary folder, and a way to remove them all (afterAll). */
export function goldenCopies(): { tempCopy: () => string; emptyDir: () => string; removeTemps: () => void } {
  const temps: string[] = [];
  const emptyDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'optconf-golden-'));
    temps.push(dir);
    return dir;
  };
  return {
    emptyDir,
    tempCopy: () => {
      const dir = emptyDir();
      cpSync(GOLDEN_DIR, dir, { recursive: true });
      return dir;
    },
    removeTemps: () => {
      for (const d of temps) rmSync(d, { recursive: true, force: true });
    },
  };
}
