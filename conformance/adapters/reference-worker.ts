/** A reference worker thread (reference-pool.ts): computes the slices of checked requests it is sent. */
import { parentPort } from 'node:worker_threads';
import type { RunRequest } from '../protocol/messages.ts';
import { computeSteps } from './reference.ts';

export interface SliceJob {
  readonly id: number;
  /** a checked request cut to the slice's elements */
  readonly request: RunRequest;
}

parentPort?.on('message', (job: SliceJob) => {
  try {
    parentPort?.postMessage({ id: job.id, steps: computeSteps(job.request) });
  } catch (e) {
    parentPort?.postMessage({ id: job.id, error: (e as Error).message });
  }
});
