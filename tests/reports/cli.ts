/** Runs the `optconf` command as a user does (node bin/optconf.js …) and returns what it printed. */
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from '../../scripts/traceability.ts';

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function optconf(...args: string[]): Ran {
  const r = spawnSync(process.execPath, ['bin/optconf.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The same without blocking the test worker: a test file's commands that mostly wait (a second of
 * tsx start-up each) run at once under `describe.concurrent`.
 */
export const optconfAsync = (...args: string[]): Promise<Ran> => ranAsync(process.execPath, ['bin/optconf.js', ...args]);

/** Any command run in the repository, without blocking the worker, and what it printed. */
export function ranAsync(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const child = spawn(file, args, { cwd: ROOT, env, timeout: 120_000 });
  let [stdout, stderr] = ['', ''];
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
