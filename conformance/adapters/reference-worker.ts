/** A reference worker thread (reference-pool.ts): computes the slices of checked requests it is sent. */
import { parentPort, type Transferable } from 'node:worker_threads';
import type { RunRequest, WireStepOutput } from '../protocol/messages.ts';
import { computeSteps } from './reference.ts';

export interface SliceJob {
  readonly id: number;
  /** a checked request cut to the slice's elements */
  readonly request: RunRequest;
}

/**
 * A slice's step as the worker sends it: every output's (`params`, each state array) rounded values,
 * moved rather than copied, and its exact strings as one piece of JSON text (comma-separated
 * strings) — one string to copy to the pool's thread, not one per element.
 */
export interface SliceStep {
  readonly step: number;
  readonly values: Readonly<Record<string, Float64Array>>;
  readonly exact: Readonly<Record<string, string>>;
}

export type SliceAnswer = { readonly id: number; readonly steps: SliceStep[] } | { readonly id: number; readonly error: string };

function sliceStep(s: WireStepOutput): SliceStep {
  const values: Record<string, Float64Array> = { params: Float64Array.from(s.params) };
  const exact: Record<string, string> = { params: JSON.stringify(s.exact?.params).slice(1, -1) };
  for (const [name, v] of Object.entries(s.state ?? {})) {
    if (name === 'step') continue;
    values[name] = Float64Array.from(v as ArrayLike<number>);
    exact[name] = JSON.stringify(s.exact?.state[name]).slice(1, -1);
  }
  return { step: s.state?.step ?? 0, values, exact };
}

parentPort?.on('message', (job: SliceJob) => {
  let answer: SliceAnswer;
  try {
    answer = { id: job.id, steps: computeSteps(job.request).map(sliceStep) };
  } catch (e) {
    answer = { id: job.id, error: (e as Error).message };
  }
  const moved: Transferable[] = 'steps' in answer ? answer.steps.flatMap((s) => Object.values(s.values).map((v) => v.buffer as ArrayBuffer)) : [];
  parentPort?.postMessage(answer, moved);
});
