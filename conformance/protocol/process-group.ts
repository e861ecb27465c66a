/**
 * An implementation process in a process group of its own (PROTO-8), so that whatever it starts
 * (a helper, a `sleep 600`) goes with it: the runner kills the whole group, never only its direct
 * child — at a limit, after `bye`, and when the runner itself stops (runner-stop.ts).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { onRunnerStop } from './runner-stop.ts';

/** How a process ended: its exit code or signal, or why it never started. */
export type Ending = { readonly code: number | null; readonly signal: NodeJS.Signals | null } | { readonly notStarted: Error };

export interface ProcessGroup {
  readonly child: ChildProcessWithoutNullStreams;
  /** settles when the group's leader has ended (or could not start), awaited from the moment of spawn */
  readonly ended: Promise<Ending>;
  /** the ending, once there is one */
  readonly ending: Ending | undefined;
  /** SIGKILL to every process of the group, the leader's children and theirs included */
  kill(): void;
  /** kills the group and stops watching it; for a group whose leader has ended */
  release(): void;
}

/** PROTO-8: starts argv (no shell) as the leader of a new process group, its stdio piped. */
export function spawnGroup(argv: readonly string[]): ProcessGroup {
  // detached: setsid() on POSIX, so the child's pid is its new group's id
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  let ending: Ending | undefined;
  const ended = new Promise<Ending>((resolve) => {
    child.once('exit', (code, signal) => resolve((ending ??= { code, signal })));
    // `on`, not `once`: a later 'error' (a failed write or kill) must find a listener, not crash the runner
    child.on('error', (e) => {
      if (child.pid === undefined) resolve((ending ??= { notStarted: e }));
    });
  });
  let released = false;
  // once released the group's id may in time be another's: no signal goes to it then
  const kill = () => {
    if (!released) killGroup(child);
  };
  const forget = child.pid === undefined ? () => undefined : onRunnerStop(kill);
  return {
    child,
    ended,
    get ending() {
      return ending;
    },
    kill,
    release() {
      kill();
      released = true;
      forget();
    },
  };
}

function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill('SIGKILL');
    else process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing of the group is left
  }
}
