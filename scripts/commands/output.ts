/**
 * Where a report option (--json, --report, --junit) writes, settled before the run so that a bad
 * path is a usage error at once (exit 2, PROTO-8), not after a long check: `-` is stdout; a path
 * that is the runner's own stdout or stderr (/dev/stdout) is that stream; a FIFO or a device is
 * written as it is and never read; anything else is a regular file in an existing, writable
 * folder, replaced only when the report's own guard says it is an earlier report.
 */
import { accessSync, constants, fstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type Output =
  { readonly kind: 'fd'; readonly fd: 1 | 2 } | { readonly kind: 'stream'; readonly path: string } | { readonly kind: 'file'; readonly path: string };

/**
 * PROTO-8: the output an option names, or an error naming the option and what is wrong with its
 * path. `assertReplaceable` is the report's guard for an existing regular file.
 */
export function outputFor(option: string, path: string, assertReplaceable: (path: string) => void): Output {
  const bad = (why: string) => new Error(`${option} ${path}: ${why}`);
  if (path === '-') return { kind: 'fd', fd: 1 };
  const stat = statOf(path);
  // /dev/stdout, or a file the runner's stdout is redirected to: the stream itself, never read
  for (const fd of [1, 2] as const) if (stat !== undefined && sameFile(stat, fd)) return { kind: 'fd', fd };
  if (stat === undefined || stat.isFile()) {
    const folder = dirname(path);
    const folderStat = statOf(folder);
    if (folderStat === undefined) throw bad(`no folder ${folder}`);
    if (!folderStat.isDirectory()) throw bad(`${folder} is not a folder`);
    if (!writable(folder)) throw bad(`folder ${folder} is not writable`);
    if (stat !== undefined) assertReplaceable(path);
    return { kind: 'file', path };
  }
  if (stat.isDirectory()) throw bad('is a folder');
  if (!writable(path)) throw bad('is not writable');
  return { kind: 'stream', path };
}

/**
 * Writes a report through `write`, the report's own writer of a file at a path: to the file
 * itself, or to a temporary file whose bytes then go to the stream.
 */
export async function writeOutput(output: Output, write: (path: string) => void): Promise<void> {
  if (output.kind === 'file') return write(output.path);
  const dir = mkdtempSync(join(tmpdir(), 'optconf-output-'));
  try {
    const file = join(dir, 'report');
    write(file);
    const bytes = readFileSync(file);
    if (output.kind === 'stream') writeFileSync(output.path, bytes);
    else {
      const stream = output.fd === 1 ? process.stdout : process.stderr;
      await new Promise<void>((resolve, reject) => stream.write(bytes, (e) => (e ? reject(e) : resolve())));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text report: on stdout, unless a report option writes there (then stdout is that report's alone, and the text goes to stderr). */
export function printText(text: string, outputs: readonly (Output | undefined)[]): void {
  (writesStdout(outputs) > 0 ? console.error : console.log)(text);
}

/** How many of the outputs are stdout (more than one is a usage error). */
export function writesStdout(outputs: readonly (Output | undefined)[]): number {
  return outputs.filter((o) => o?.kind === 'fd' && o.fd === 1).length;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function sameFile(stat: Stats, fd: number): boolean {
  try {
    const s = fstatSync(fd);
    return s.dev === stat.dev && s.ino === stat.ino;
  } catch {
    return false;
  }
}
