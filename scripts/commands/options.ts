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

/** fast-check's path to a shrunk case, as a report prints it: run index, then shrink steps, colon-separated. */
export function pathArg(value: string): string {
  if (!/^\d+(:\d+)*$/.test(value)) throw new InvalidArgumentError('must be a fast-check path, e.g. 3:0:1 (as a report prints it)');
  return value;
}

/** Where a progress event stands: which bar (a new key starts a new bar), how far, and the bar's fields. */
export interface BarPosition {
  readonly key: string;
  readonly done: number;
  readonly total: number;
  readonly fields: Record<string, string>;
}

/**
 * A progress bar on stderr when it is a terminal, nothing otherwise (`update` is then undefined, so
 * the caller asks for no progress at all). `format` is cli-progress's; `position` reads an event.
 * It hides the cursor: a SIGINT or SIGTERM shows it again (runner-stop.ts).
 */
export function progressBar<E>(format: string, position: (event: E) => BarPosition): { update?: (event: E) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: undefined, stop: () => undefined };
  const bar = new SingleBar({ format, stream: process.stderr, clearOnComplete: true, hideCursor: true });
  const forget = onRunnerStop(() => process.stderr.write(SHOW_CURSOR));
  let current: string | undefined;
  return {
    update: (event) => {
      const { key, done, total, fields } = position(event);
      if (key === current) return bar.update(done, fields);
      if (current !== undefined) bar.stop();
      current = key;
      bar.start(total, done, fields);
    },
    stop: () => {
      bar.stop();
      forget();
    },
  };
}

/** The bar of `optconf run` and `optconf golden verify`: one per target, counting its cases. */
export function progress() {
  return progressBar(' {target} [{bar}] {value}/{total} cases', (e: { target: string; done: number; total: number }) => ({
    key: e.target,
    done: e.done,
    total: e.total,
    fields: { target: e.target },
  }));
}

/** The terminal's "show cursor" sequence (DECTCEM), which cli-progress's hideCursor undoes only on stop(). */
const SHOW_CURSOR = '\u001b[?25h';
