/** Argument parsers and the progress bar shared by the subcommands. */
import { InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { DTYPES, isDtype, type Dtype } from '../../reference/dtype.ts';
import { onRunnerStop } from '../../conformance/protocol/runner-stop.ts';

export function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

export function dtypeArg(value: string): Dtype {
  if (!isDtype(value)) throw new InvalidArgumentError(`must be one of ${DTYPES.join(', ')}`);
  return value;
}

export function shardArg(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('must be i/N with 1 ≤ i ≤ N');
  return { index, count };
}

/** A progress bar on a terminal, nothing otherwise. It hides the cursor: a SIGINT or SIGTERM shows it again (runner-stop.ts). */
export function progress() {
  if (!process.stderr.isTTY) return { update: undefined, stop: () => undefined };
  const bar = new SingleBar({ format: ' {target} [{bar}] {value}/{total} cases', stream: process.stderr, clearOnComplete: true, hideCursor: true });
  const forget = onRunnerStop(() => process.stderr.write(SHOW_CURSOR));
  let current = '';
  return {
    update: (e: { target: string; done: number; total: number }) => {
      if (e.target !== current) {
        if (current) bar.stop();
        current = e.target;
        bar.start(e.total, e.done, { target: e.target });
      } else bar.update(e.done);
    },
    stop: () => {
      bar.stop();
      forget();
    },
  };
}

/** The terminal's "show cursor" sequence (DECTCEM), which cli-progress's hideCursor undoes only on stop(). */
const SHOW_CURSOR = '\u001b[?25h';
