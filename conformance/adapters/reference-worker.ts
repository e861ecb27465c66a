/** A reference worker thread (reference-pool.ts): computes the slices of checked requests it is sent. */
import { parentPort, type Transferable } from 'node:worker_threads';
import type { RoundedValues } from '../../reference/rounded-trajectory.ts';
import type { RunRequest } from '../protocol/messages.ts';
import { forEachRoundedSlice, outputNames, resolveDefinition } from './reference.ts';

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

/**
 * Elements computed together in a worker: few, so that a part's exact strings become JSON text
 * while they are young (held until the whole slice was done, they were copied by every scavenge
 * and then promoted: 6–10 % of a worker's time); enough that the per-step scalars cost nothing.
 */
const PART_ELEMENTS = 256;

/** One step of the slice being computed: values in place, exact strings as the parts' JSON text. */
interface StepParts {
  readonly step: number;
  readonly values: Record<string, Float64Array>;
  readonly texts: Record<string, string[]>;
}

/** JSON text as bytes of an ArrayBuffer of its own (not from Buffer's shared pool: the whole buffer is moved). */
function asciiBytes(text: string): Uint8Array {
  const bytes = Buffer.allocUnsafeSlow(text.length);
  bytes.write(text, 'latin1');
  return bytes;
}

/** NOTE-4, NOTE-5: a checked slice's steps, PART_ELEMENTS elements at a time. */
function sliceSteps(request: RunRequest): SliceStep[] {
  const n = request.params.length;
  let steps: StepParts[] = [];
  forEachRoundedSlice(request, PART_ELEMENTS, resolveDefinition(request), (from, _to, rounded) => {
    if (from === 0) {
      steps = rounded.map((s) => {
        const names = outputNames(s);
        return {
          step: s.state.step,
          values: Object.fromEntries(names.map((name) => [name, new Float64Array(n)])),
          texts: Object.fromEntries(names.map((name) => [name, []])),
        };
      });
    }
    rounded.forEach((s, k) => {
      for (const name of Object.keys(steps[k].values)) {
        const part = (name === 'params' ? s.params : s.state[name]) as RoundedValues;
        steps[k].values[name].set(part.rounded[request.dtype] as number[], from);
        steps[k].texts[name].push(JSON.stringify(part.text).slice(1, -1));
      }
    });
  });
  return steps.map((s) => ({
    step: s.step,
    values: s.values,
    exact: Object.fromEntries(Object.entries(s.texts).map(([name, parts]) => [name, asciiBytes(parts.join(','))])),
  }));
}

parentPort?.on('message', (job: SliceJob) => {
  let answer: SliceAnswer;
  try {
    answer = { id: job.id, steps: sliceSteps(job.request) };
  } catch (e) {
    answer = { id: job.id, error: (e as Error).message };
  }
  const moved: Transferable[] =
    'steps' in answer ? answer.steps.flatMap((s) => [...Object.values(s.values), ...Object.values(s.exact)].map((v) => v.buffer as ArrayBuffer)) : [];
  parentPort?.postMessage(answer, moved);
});
