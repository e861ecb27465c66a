/**
 * `optconf reference` on every core: a large case is cut into slices of elements (every step is
 * elementwise, NOTE-1), computed by worker threads (reference-worker.ts) and put back together in
 * order, so the reply is on the wire the one `referenceRun` gives on one thread (the same bytes; in
 * process its arrays are Float64Arrays and its exact strings JSON text, JsonStrings). The request is checked whole
 * first (checkReferenceRequest), so a slice fails only where every slice does (an inadmissible
 * hyperparameter at some step), with the same message.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Implementation } from '../protocol/implementation.ts';
import type { RunReply, RunRequest, WireArray, WireStepOutput } from '../protocol/messages.ts';
import { JsonStrings } from '../protocol/wire.ts';
import { referenceHello, referenceRun, resolveDefinition, wireStep } from './reference.ts';
import { caseProgress, type ProgressSink } from './reference-progress.ts';
import { checkReferenceRequest } from './reference-request.ts';
import type { SliceAnswer, SliceJob, SliceStep } from './reference-worker.ts';

/** Cases of fewer param-steps are computed on the calling thread (about a tenth of a second). */
export const PARALLEL_MIN_PARAM_STEPS = 20_000;
/** Slices per worker: a few, so that workers finishing early take more. */
const SLICES_PER_WORKER = 4;
/** The most elements in a slice: what a slice's answer holds (and its copy in this thread) stays some megabytes. */
const MAX_SLICE_ELEMENTS = 16_384;

const WORKER_FAILED = 'reference worker failed: ';

/**
 * A worker's young generation (three semi-spaces' worth: 32 MB ones). The ball arithmetic allocates
 * some kilobytes per element-step that die young, and since a worker turns each 256 elements' exact
 * strings into JSON text at once (reference-worker.ts) almost nothing survives a scavenge: the
 * fewer scavenges the better, up to about this size (served 10k×10 float32 Adam: 48 MB 188–194 k
 * param-steps/s, 96 MB 210–218 k, 192 MB 199–211 k, measured in the same minutes). The 10⁶-element
 * float64 step's server peaked at 671 MiB (617 MiB at 48 MB), well within its 1 GiB.
 */
const YOUNG_GENERATION_MB = 96;

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, (answer: SliceAnswer) => void>;
}

let pool: PoolWorker[] = [];
let nextJob = 0;

function startWorker(): PoolWorker {
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(new URL('./reference-worker.mjs', import.meta.url), {
    execArgv,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const w: PoolWorker = { worker, pending: new Map() };
  worker.unref();
  worker.on('message', (answer: SliceAnswer) => {
    w.pending.get(answer.id)?.(answer);
    w.pending.delete(answer.id);
    if (w.pending.size === 0) worker.unref();
  });
  const die = (e: Error) => {
    pool = pool.filter((x) => x !== w);
    for (const answer of w.pending.values()) answer({ id: -1, error: `${WORKER_FAILED}${e.message}` });
    w.pending.clear();
  };
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`exited with code ${code}`)));
  return w;
}

function compute(w: PoolWorker, request: RunRequest): Promise<SliceAnswer> {
  const id = nextJob++;
  return new Promise((resolve) => {
    w.pending.set(id, resolve);
    w.worker.ref();
    w.worker.postMessage({ id, request } satisfies SliceJob);
  });
}

/** Ends the pool's workers (the bench, tests; a process exits without it: idle workers are unref'd). */
export async function closeReferencePool(): Promise<void> {
  const all = pool;
  pool = [];
  await Promise.all(all.map((w) => w.worker.terminate()));
}

/** The request cut to elements [from, to): every tensor array sliced, the rest as it is. */
function sliceRequest(request: RunRequest, from: number, to: number): RunRequest {
  const cut = (a: WireArray) => a.slice(from, to) as WireArray;
  const state = request.state === null ? null : Object.fromEntries(Object.entries(request.state).map(([k, v]) => [k, typeof v === 'number' ? v : cut(v)]));
  return { ...request, params: cut(request.params), state: state as RunRequest['state'], steps: request.steps.map((s) => ({ ...s, grad: cut(s.grad) })) };
}

/** One step of the reply being put together: each output's values, and its exact strings as the slices' JSON pieces, in order. */
interface ReplyStep {
  readonly step: number;
  readonly values: Map<string, Float64Array>;
  readonly pieces: Map<string, Uint8Array[]>;
}

function replyStep(first: SliceStep, n: number): ReplyStep {
  const names = Object.keys(first.values);
  return { step: first.step, values: new Map(names.map((name) => [name, new Float64Array(n)])), pieces: new Map(names.map((name) => [name, []])) };
}

/** PROTO-6: a put-together step as a wire step, its exact strings as JSON text (the writer sends the pieces as they are). */
function wireStepOf(s: ReplyStep, n: number): WireStepOutput {
  return wireStep(s.step, s.values, new Map([...s.pieces].map(([name, pieces]) => [name, new JsonStrings(n, pieces)])));
}

/** The steps of a checked request from `workers` threads, slices put back in order. */
async function parallelSteps(request: RunRequest, workers: number, onSlice: (done: number) => void): Promise<WireStepOutput[]> {
  try {
    while (pool.length < workers) pool.push(startWorker());
  } catch (e) {
    throw new Error(`${WORKER_FAILED}${(e as Error).message}`);
  }
  const n = request.params.length;
  const size = Math.min(MAX_SLICE_ELEMENTS, Math.ceil(n / (workers * SLICES_PER_WORKER)));
  const bounds = Array.from({ length: Math.ceil(n / size) }, (_, k) => [k * size, Math.min(n, (k + 1) * size)] as const);
  let steps: ReplyStep[] | undefined;
  let done = 0;
  let next = 0;
  let failure: string | undefined;
  // each worker takes the next slice when it is done with one
  const drain = async (w: PoolWorker) => {
    while (next < bounds.length && failure === undefined) {
      const slice = next++;
      const [from, to] = bounds[slice];
      const answer = await compute(w, sliceRequest(request, from, to));
      if ('error' in answer) {
        failure = answer.error;
        return;
      }
      steps ??= answer.steps.map((s) => replyStep(s, n));
      answer.steps.forEach((s, k) => {
        const into = (steps as ReplyStep[])[k];
        for (const [name, values] of into.values) values.set(s.values[name], from);
        for (const [name, pieces] of into.pieces) pieces[slice] = s.exact[name];
      });
      onSlice((done += to - from));
    }
  };
  await Promise.all(pool.slice(0, workers).map(drain));
  if (failure !== undefined) throw new Error(failure);
  return (steps as ReplyStep[]).map((s) => wireStepOf(s, n));
}

/** PROTO-6: the reply to a run request, a large case computed on `workers` threads; on the wire the same bytes as `referenceRun`'s. */
export async function referenceRunParallel(request: RunRequest, progress?: ProgressSink, workers = availableParallelism()): Promise<RunReply> {
  if (workers < 2 || request.params.length < 2 || request.params.length * request.steps.length < PARALLEL_MIN_PARAM_STEPS)
    return referenceRun(request, progress);
  try {
    checkReferenceRequest(request, resolveDefinition(request));
  } catch (e) {
    return { op: 'error', id: request.id, message: (e as Error).message };
  }
  const report = caseProgress(request.id, request.params.length, request.steps.length, progress);
  try {
    return { op: 'result', id: request.id, steps: await parallelSteps(request, workers, (done) => report.update(done)) };
  } catch (e) {
    const message = (e as Error).message;
    // a worker that could not start or died is this server's trouble, not the case's: one thread then
    if (message.startsWith(WORKER_FAILED)) return referenceRun(request);
    return { op: 'error', id: request.id, message };
  } finally {
    report.stop();
  }
}

/** `optconf reference`: large cases on every core, and how a case that takes more than a few seconds goes told to `progress` (stderr). */
export function servedReference(progress: ProgressSink): Implementation {
  return { hello: referenceHello, run: (request) => referenceRunParallel(request, progress), close: closeReferencePool };
}
