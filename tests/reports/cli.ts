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
export function optconfAsync(...args: string[]): Promise<Ran> {
  const child = spawn(process.execPath, ['bin/optconf.js', ...args], { cwd: ROOT, timeout: 120_000 });
  const [stdout, stderr] = [[] as Buffer[], [] as Buffer[]];
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}
