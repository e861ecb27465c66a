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
 * and its exact strings as one piece of JSON text (comma-separated strings) in ASCII bytes — both
 * moved to the pool's thread, not copied, and the text written to the wire as it is (JsonStrings).
 */
export interface SliceStep {
  readonly step: number;
  readonly values: Readonly<Record<string, Float64Array>>;
  readonly exact: Readonly<Record<string, Uint8Array>>;
}

export type SliceAnswer = { readonly id: number; readonly steps: SliceStep[] } | { readonly id: number; readonly error: string };

/** The elements' JSON text, without the brackets, as bytes of an ArrayBuffer of its own (so it can be moved). */
function jsonPiece(strings: unknown): Uint8Array {
  const body = JSON.stringify(strings).slice(1, -1);
  // not from Buffer's shared pool: the whole ArrayBuffer is moved
  const bytes = Buffer.allocUnsafeSlow(body.length);
  bytes.write(body, 'latin1');
  return bytes;
}

function sliceStep(s: WireStepOutput): SliceStep {
  const values: Record<string, Float64Array> = { params: Float64Array.from(s.params) };
  const exact: Record<string, Uint8Array> = { params: jsonPiece(s.exact?.params) };
  for (const [name, v] of Object.entries(s.state ?? {})) {
    if (name === 'step') continue;
    values[name] = Float64Array.from(v as ArrayLike<number>);
    exact[name] = jsonPiece(s.exact?.state[name]);
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
  const moved: Transferable[] =
    'steps' in answer ? answer.steps.flatMap((s) => [...Object.values(s.values), ...Object.values(s.exact)].map((v) => v.buffer as ArrayBuffer)) : [];
  parentPort?.postMessage(answer, moved);
});
