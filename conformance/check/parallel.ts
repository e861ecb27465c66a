/**
 * Checking a large case on every core (PREC-6, PREC-7): the elements are split into contiguous
 * slices, one per worker thread, each checked by `checkCase` itself (conformance/check/check-worker.ts),
 * and the results merged into what the single-thread check reports — the same verdict, the same
 * first failure (lowest step, then element, in `checkCase`'s order), the same worst output. Arrays
 * travel as Float64Arrays: views of a SharedArrayBuffer when the reply was read into one
 * (stream-json.ts), else one copy of the slice whose buffer is transferred.
 *
 * Anything a slice cannot judge alone — a reply of the wrong shape, a value that is not a number,
 * a thrown error — sends the whole case to the single-thread `checkCase`, so those messages are its own.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { OptimizerDef } from '../../reference/registry.ts';
import type { Case } from './case.ts';
import { checkCase, describeFailure, type CaseCheck, type OutputCheck, type OutputSample } from './compare.ts';
import { PARALLEL_MIN_ELEMENTS, SAMPLES_PER_CASE, SCREEN_MIN_ELEMENTS } from '../limits.ts';
import { SCREEN_BLOCK } from './kernel.ts';
import type { WireStepOutput } from '../protocol/messages.ts';
import { decodeWireArray } from '../protocol/wire.ts';

export interface ParallelOptions {
  readonly samples?: boolean;
  readonly maxSamples?: number;
  /** worker threads (default: `os.availableParallelism()`); 1 checks on the calling thread */
  readonly workers?: number;
  /** the smallest case split across workers (default PARALLEL_MIN_ELEMENTS) */
  readonly minElements?: number;
}

/** One slice of a case, as a worker receives it (element indices local to the slice). */
export interface SliceTask {
  readonly id: number;
  readonly family: string;
  readonly defName: string;
  readonly case: Case;
  readonly reply: readonly WireStepOutput[];
  /** `screen`: the whole case's screening decision (PREC-6), so every slice screens as the single-thread check would */
  readonly options: { readonly samples?: boolean; readonly maxSamples?: number; readonly screen?: boolean };
}

export type SliceResult = { readonly id: number; readonly check: CaseCheck } | { readonly id: number; readonly error: string };

/** A slice of an array as a Float64Array: a view when the memory is shared, else a copy to transfer. */
function sliceOf(a: Float64Array, lo: number, hi: number, transfer: ArrayBuffer[]): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a.subarray(lo, hi);
  const out = a.slice(lo, hi);
  transfer.push(out.buffer);
  return out;
}

/**
 * A case's numbers in shared memory, checked one by one as they are copied (so every worker reads
 * its slice in place), or undefined when one is not a number.
 */
function sharedNumbers(a: unknown): Float64Array | undefined {
  if (a instanceof Float64Array && a.buffer instanceof SharedArrayBuffer) return a;
  if (!(a instanceof Float64Array) && !Array.isArray(a)) return undefined;
  const out = new Float64Array(new SharedArrayBuffer(a.length * 8));
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a[i];
    if (typeof x !== 'number') return undefined;
    out[i] = x;
  }
  return out;
}

/** The case with every tensor in shared memory, or undefined when one holds something other than numbers. */
function sharedCase(c: Case): Case | undefined {
  const params = sharedNumbers(c.params);
  const grads = c.steps.map((s) => sharedNumbers(s.grad));
  let state: Case['state'] = null;
  if (c.state !== null) {
    const entries = Object.entries(c.state).map(([k, v]) => [k, typeof v === 'number' ? v : sharedNumbers(v)] as const);
    if (entries.some(([, v]) => v === undefined)) return undefined;
    state = Object.fromEntries(entries) as unknown as Case['state'];
  }
  if (params === undefined || grads.some((g) => g === undefined)) return undefined;
  return { ...c, params: params as unknown as number[], state, steps: c.steps.map((s, k) => ({ ...s, grad: grads[k] as unknown as number[] })) };
}

/**
 * The reply with every array decoded to n doubles, or undefined when its shape is not what a slice
 * can be checked from (then the single-thread check reports whatever is wrong).
 */
function decodedReply(c: Case, reply: readonly WireStepOutput[], n: number): { params: Float64Array; state?: Record<string, unknown> }[] | undefined {
  if (reply.length !== c.steps.length) return undefined;
  try {
    return reply.map((s, k) => {
      if (typeof s !== 'object' || s === null) throw new Error('not an object');
      const params = decodeWireArray(s.params, n, `step ${k + 1} params`);
      if (s.state === undefined) return { params };
      if (typeof s.state !== 'object' || s.state === null) throw new Error('state is not an object');
      const state: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(s.state))
        state[name] = name === 'step' || (!Array.isArray(v) && !(v instanceof Float64Array)) ? v : decodeWireArray(v, n, `step ${k + 1} state.${name}`);
      return { params, state };
    });
  } catch {
    return undefined;
  }
}

/** The task of one slice [lo, hi): every array cut to it. */
function sliceTask(
  id: number,
  def: OptimizerDef,
  c: Case,
  reply: ReturnType<typeof decodedReply> & object,
  lo: number,
  hi: number,
  options: SliceTask['options'],
  transfer: ArrayBuffer[],
): SliceTask {
  // every array here is a Float64Array: the case's from sharedCase, the reply's from decodedReply
  const cut = (a: unknown) => sliceOf(a as Float64Array, lo, hi, transfer);
  const state = c.state === null ? null : Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, typeof v === 'number' ? v : cut(v)]));
  const sliced: Case = {
    ...c,
    params: cut(c.params) as unknown as number[],
    state: state as Case['state'],
    steps: c.steps.map((s) => ({ ...s, grad: cut(s.grad) as unknown as number[] })),
  };
  const out = reply.map((s) => ({
    params: cut(s.params),
    ...(s.state === undefined ? {} : { state: Object.fromEntries(Object.entries(s.state).map(([k, v]) => [k, v instanceof Float64Array ? cut(v) : v])) }),
  })) as unknown as WireStepOutput[];
  return { id, family: def.family, defName: def.name, case: sliced, reply: out, options };
}

// ---------------------------------------------------------------------------------------------
// The pool: started on first use, kept for later cases, and not holding the process open when idle.

interface PoolWorker {
  readonly worker: Worker;
  pending: Map<number, { resolve: (r: SliceResult) => void; reject: (e: Error) => void }>;
}

let pool: PoolWorker[] = [];
let nextId = 0;
let split = 0;

/** Cases checked by workers so far in this process (tests: to see the split path was taken, not the fallback). */
export function casesSplit(): number {
  return split;
}

function startWorker(): PoolWorker {
  // the parent's options are inherited, except one that only fits an --eval entry point
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(new URL('./check-worker.mjs', import.meta.url), { execArgv });
  const w: PoolWorker = { worker, pending: new Map() };
  worker.unref();
  worker.on('message', (r: SliceResult) => {
    const p = w.pending.get(r.id);
    w.pending.delete(r.id);
    if (w.pending.size === 0) worker.unref();
    p?.resolve(r);
  });
  const die = (e: Error) => {
    pool = pool.filter((x) => x !== w);
    for (const p of w.pending.values()) p.reject(e);
    w.pending.clear();
  };
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`checking worker exited with code ${code}`)));
  return w;
}

function workers(count: number): PoolWorker[] {
  while (pool.length < count) pool.push(startWorker());
  return pool.slice(0, count);
}

function ask(w: PoolWorker, task: SliceTask, transfer: ArrayBuffer[]): Promise<SliceResult> {
  return new Promise((resolve, reject) => {
    w.pending.set(task.id, { resolve, reject });
    // a task in flight keeps the process alive until its answer comes
    w.worker.ref();
    w.worker.postMessage(task, transfer);
  });
}

/** Ends the pool's workers (tests; a process exits without it, the idle workers are unref'd). */
export async function closeCheckingPool(): Promise<void> {
  const all = pool;
  pool = [];
  await Promise.all(all.map((w) => w.worker.terminate()));
}

// ---------------------------------------------------------------------------------------------
// Merging

const ratioOf = (r: OutputCheck) => (r.boundUlps === Infinity ? 0 : r.errorUlps / Math.max(r.boundUlps, Number.MIN_VALUE));
/** (step, element) order, the order in which `checkCase` meets outputs of different elements. */
const before = (a: { step: number; element: number }, b: { step: number; element: number }) => a.step < b.step || (a.step === b.step && a.element < b.element);

const shiftCheck = (r: OutputCheck | undefined, lo: number): OutputCheck | undefined => (r === undefined ? undefined : { ...r, element: r.element + lo });
const shiftSample = (s: OutputSample, lo: number): OutputSample => ({ ...s, element: s.element + lo });

/**
 * The slices' checks as the single-thread check reports them: the first failure in (step, element)
 * order, or the worst output (the highest error/bound ratio, the earliest on a tie, as `checkCase`
 * keeps it). Samples: each slice's reservoir is uniform over its outputs; they are joined in
 * proportion to the slices' sizes (deterministic), keeping only outputs met before the failure.
 */
function merge(checks: readonly CaseCheck[], offsets: readonly number[], sizes: readonly number[], c: Case, options: ParallelOptions): CaseCheck {
  const cap = options.maxSamples ?? SAMPLES_PER_CASE;
  let failing = -1;
  checks.forEach((r, w) => {
    if (
      r.failure &&
      (failing < 0 ||
        before(
          { ...r.failure, element: r.failure.element + offsets[w] },
          { ...checks[failing].failure!, element: checks[failing].failure!.element + offsets[failing] },
        ))
    )
      failing = w;
  });
  const failure = failing >= 0 ? shiftCheck(checks[failing].failure, offsets[failing]) : undefined;
  let samples: OutputSample[] | undefined;
  if (options.samples) {
    const pools = checks.map((r, w) => {
      let items = (r.samples ?? []).map((s) => shiftSample(s, offsets[w]));
      if (r.failure) items = items.slice(0, -1); // its failure is put back last below, when it is the one reported
      if (failure && w !== failing) items = items.filter((s) => before(s, failure));
      return items;
    });
    const room = failure ? Math.max(0, cap - 1) : cap;
    const n = sizes.reduce((a, b) => a + b, 0);
    const take = pools.map((p, w) => Math.min(p.length, Math.round((room * sizes[w]) / Math.max(n, 1))));
    // what a small slice leaves unused goes to the others, in order
    for (let w = 0; w < pools.length; w++) {
      const spare = room - take.reduce((a, b) => a + b, 0);
      if (spare <= 0) break;
      take[w] += Math.min(spare, pools[w].length - take[w]);
    }
    samples = pools.flatMap((p, w) => p.slice(0, take[w])).slice(0, room);
    if (failure)
      samples.push({
        step: failure.step,
        element: failure.element,
        output: failure.output,
        magnitude: Math.abs(Number(failure.expected)),
        errorUlps: failure.errorUlps,
        boundUlps: failure.boundUlps,
      });
  }
  const withSamples = samples === undefined ? {} : { samples };
  if (failure) return { ok: false, worst: failure, failure, message: describeFailure(failure, c.dtype), ...withSamples };
  const bestOf = (pick: (r: CaseCheck) => OutputCheck | undefined, size: (o: OutputCheck) => number) => {
    let best: OutputCheck | undefined;
    checks.forEach((r, w) => {
      const candidate = shiftCheck(pick(r), offsets[w]);
      if (candidate === undefined) return;
      if (best === undefined || size(candidate) > size(best) || (size(candidate) === size(best) && before(candidate, best))) best = candidate;
    });
    return best;
  };
  return {
    ok: true,
    worst: bestOf((r) => r.worst, ratioOf),
    largest: bestOf(
      (r) => r.largest,
      (o) => o.errorUlps,
    ),
    ...withSamples,
  };
}

/**
 * PREC-6, PREC-7: `checkCase`, with a large case's elements split across worker threads (both
 * cores here). Small cases, one core, or a reply a slice cannot judge alone use `checkCase` directly.
 */
export async function checkCaseParallel(def: OptimizerDef, c: Case, reply: readonly WireStepOutput[], options: ParallelOptions = {}): Promise<CaseCheck> {
  const n = c.params.length;
  const count = Math.min(options.workers ?? availableParallelism(), n);
  const single = () => checkCase(def, c, reply, options);
  if (count < 2 || n < (options.minElements ?? PARALLEL_MIN_ELEMENTS)) return single();
  const shared = sharedCase(c);
  if (shared === undefined) return single();
  const decoded = decodedReply(c, reply, n);
  if (decoded === undefined) return single();
  // a screened check (PREC-6) bounds one closest call per block: cut at block boundaries, so the
  // slices bound exactly the outputs the single-thread check bounds
  const screen = n >= SCREEN_MIN_ELEMENTS;
  const cut = (w: number) => Math.floor((w * n) / count);
  const offsets = [...new Set(Array.from({ length: count }, (_, w) => (screen ? cut(w) - (cut(w) % SCREEN_BLOCK) : cut(w))))];
  if (offsets.length < 2) return single();
  const sizes = offsets.map((lo, w) => (w + 1 < offsets.length ? offsets[w + 1] : n) - lo);
  const sliceOptions = { samples: options.samples, maxSamples: options.maxSamples, screen };
  let results: SliceResult[];
  try {
    results = await Promise.all(
      workers(offsets.length).map((w, k) => {
        const transfer: ArrayBuffer[] = [];
        const task = sliceTask(nextId++, def, shared, decoded, offsets[k], offsets[k] + sizes[k], sliceOptions, transfer);
        return ask(w, task, transfer);
      }),
    );
  } catch {
    return single(); // a worker died: the calling thread still gives the verdict
  }
  const checks: CaseCheck[] = [];
  for (const r of results) {
    // a message without a failing output (a thrown error) is the single-thread check's to word
    if ('error' in r || (!r.check.ok && r.check.failure === undefined)) return single();
    checks.push(r.check);
  }
  split++;
  return merge(checks, offsets, sizes, c, options);
}
