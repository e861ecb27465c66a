/**
 * Progress of a long case on stderr (PROTO-1: stderr is a log; progress belongs there, never on
 * stdout). A case whose estimated time, elements × steps at a conservative rate, is a few seconds
 * or more says so when it starts, then how far it got every few seconds (a bar when stderr is a
 * terminal), and when it is done; a short case prints nothing.
 */
import { SingleBar } from 'cli-progress';

/** Where progress goes: process.stderr, or anything that takes text. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  /** param-steps a second assumed for the estimate (the BigInt engine makes 100–300 k on a 2020s core) */
  readonly rate?: number;
  /** cases estimated to take less than this many seconds print nothing */
  readonly minSeconds?: number;
  /** a line at most this often (not on a terminal) */
  readonly everyMs?: number;
}

export interface CaseProgress {
  /** `done` of the case's elements are computed (every step) */
  update(done: number): void;
  stop(): void;
}

const SILENT: CaseProgress = { update: () => undefined, stop: () => undefined };
const count = (x: number) => x.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** PROTO-1: progress of case `id`, `elements` × `steps`, on `sink`; silent when the case is short or there is no sink. */
export function caseProgress(id: string, elements: number, steps: number, sink: ProgressSink | undefined, options: ProgressOptions = {}): CaseProgress {
  const { rate = 100_000, minSeconds = 2, everyMs = 2000 } = options;
  const estimate = (elements * steps) / rate;
  if (sink === undefined || estimate < minSeconds) return SILENT;
  const what = `case ${id}: ${count(elements)} elements × ${steps} step${steps === 1 ? '' : 's'}`;
  const started = performance.now();
  sink.write(`optconf reference: ${what}, about ${estimate.toFixed(0)} s\n`);
  if (sink.isTTY) return barProgress(id, elements, sink);
  let last = started;
  return {
    update(done) {
      const now = performance.now();
      if (now - last < everyMs || done >= elements) return;
      last = now;
      const left = ((now - started) / done) * (elements - done);
      sink.write(
        `optconf reference: case ${id}: ${count(done)} of ${count(elements)} elements (${((100 * done) / elements).toFixed(0)}%), ${seconds(now - started)}, about ${seconds(left)} left\n`,
      );
    },
    stop: () => sink.write(`optconf reference: ${what}: finished in ${seconds(performance.now() - started)}\n`),
  };
}

/** On a terminal: a bar, redrawn in place (cli-progress), cleared when the case is done. */
function barProgress(id: string, elements: number, sink: ProgressSink): CaseProgress {
  const bar = new SingleBar({
    format: ` case ${id} [{bar}] {value}/{total} elements, {eta}s left`,
    stream: sink as NodeJS.WritableStream,
    clearOnComplete: true,
    hideCursor: true,
  });
  bar.start(elements, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
