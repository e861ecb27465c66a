/** Runs the `optconf` command as a user does (node bin/optconf.js …) and returns what it printed. */
import { spawnSync } from 'node:child_process';
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
