/**
 * `npm run bench [-- --skip-suite] [--elements N]`: how fast the suite is, as ratios taken in one run
 * on this machine (never absolute times alone). Prints only; nothing here asserts a time.
 *
 * 1. the reference as `optconf reference` runs it (canonical Adam in ball arithmetic on the BigInt engine, every
 *    output's float32 rounding and 50-digit exact string decided: `roundedTrajectory`, NOTE-4) against a plain
 *    float64 Adam loop, beside decimal.js at 50 digits and the yardstick, a naive decimal.js Adam loop;
 * 2. checking a float32 Adam trace (parse the reply bytes, reference, compare against the bound), and a float64 one;
 * 3. a 1,000,000-element, 10-step float32 Adam case end to end through optconf/1 (`optconf serve float`),
 *    checked on every core (conformance/check/parallel.ts), with the peak RSS of both processes;
 * 4. the wall time of `npm test`;
 * 5. the reference where users meet it, `optconf reference` spoken to over optconf/1 by this process (base64
 *    tensors, exact strings included): a 10,000-element float32 Adam case of 10 steps against the naive
 *    decimal.js loop of 1, and one 10⁶-element float64 Adam step with the server's peak RSS.
 *
 * `--reference-only` runs the naive loop and 5 alone.
 */
import { spawn } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { floatImplementation } from '../conformance/adapters/float.ts';
import type { Case } from '../conformance/check/case.ts';
import { toRunRequest } from '../conformance/check/case.ts';
import { checkCase, type CaseCheck } from '../conformance/check/compare.ts';
import { checkCaseParallel, closeCheckingPool } from '../conformance/check/parallel.ts';
import { spawnImplementation } from '../conformance/protocol/process.ts';
import type { RunReply } from '../conformance/protocol/messages.ts';
import { JsonLineReader, lineChunks } from '../conformance/protocol/stream-json.ts';
import { encodeReplyArrays } from '../conformance/protocol/tensor-arrays.ts';
import { Dec, precision } from '../reference/decimal.ts';
import { findOptimizer } from '../reference/registry.ts';
import { uniform } from '../reference/random.ts';
import type { Scalar } from '../reference/scalar.ts';
import { roundedTrajectory } from '../reference/rounded-trajectory.ts';
import { DECIMAL_JS, referenceTrajectory, type Arithmetic } from '../reference/trajectory.ts';

const args = process.argv.slice(2);
const skipSuite = args.includes('--skip-suite');
/** Internal: run only the scale measurement and print it as JSON (the bench runs it so, in a child process). */
const scaleOnly = args.includes('--scale-only');
const referenceOnly = args.includes('--reference-only');
const elementsAt = args.indexOf('--elements');
const SCALE_N = elementsAt >= 0 ? Number(args[elementsAt + 1]) : 1_000_000;
const adam = findOptimizer('adam')!;

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(1));
const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);

/** A deterministic float32 vector (a hash, not Math.random). */
function vector(n: number, seed: number, scale: number): number[] {
  const out = new Array<number>(n);
  const next = uniform(seed);
  for (let i = 0; i < n; i++) out[i] = Math.fround((next() * 2 - 1) * scale);
  return out;
}

function adamCase(n: number, steps: number, dtype: 'float32' | 'float64'): Case {
  return {
    optimizer: 'adam',
    dtype,
    // float32-exact hyperparameters, as the runner sends them (PROTO-3)
    hyper: { lr: Math.fround(0.001), beta1: Math.fround(0.9), beta2: Math.fround(0.999), eps: Math.fround(1e-8) },
    params: vector(n, 1, 1),
    state: null,
    steps: Array.from({ length: steps }, (_, k) => ({ grad: vector(n, 100 + k, 0.1) })),
  };
}

/**
 * The plain float64 Adam loop (PyTorch's order, scalars hoisted per step), over Float64Arrays
 * allocated and warmed once. `measure()` times a few steps and keeps the best rate seen: it is called
 * between the runs of every other measurement, so a slow spell of this shared machine (rates here
 * swing by 2× within a minute, mostly memory touched for the first time) falls on both sides of a ratio.
 */
function float64AdamLoop(): { measure(): void; readonly best: number } {
  const n = 1_000_000;
  const p = Float64Array.from(vector(n, 1, 1));
  const g = Float64Array.from(vector(n, 2, 0.1));
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  let t = 0;
  const step = () => {
    t += 1;
    const lr = 0.001,
      b1 = 0.9,
      b2 = 0.999,
      eps = 1e-8;
    const bc1 = 1 - b1 ** t;
    const bc2 = Math.sqrt(1 - b2 ** t);
    const a = lr / bc1;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = b1 * m[i] + (1 - b1) * gi;
      const vi = b2 * v[i] + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= (a * mi) / (Math.sqrt(vi) / bc2 + eps);
    }
  };
  for (let k = 0; k < 3; k++) step();
  let best = 0;
  return {
    measure() {
      const started = performance.now();
      const steps = 5;
      for (let k = 0; k < steps; k++) step();
      best = Math.max(best, (n * steps) / ((performance.now() - started) / 1000));
    },
    get best() {
      return best;
    },
  };
}
let loop: ReturnType<typeof float64AdamLoop> | undefined;
/** Made on first use: not at all in the scale run's process (--scale-only). */
const float64Loop = () => (loop ??= float64AdamLoop());

/** Runs of each measurement of targets 1 and 2, the first untimed; the best of the rest is reported. */
const RUNS = 8;

/** What a timed run keeps besides its time (a check, its parse time). */
interface RunResult {
  readonly seconds: number;
  readonly parseSeconds?: number;
  readonly check?: CaseCheck;
}

/** A measurement of targets 1 and 2: one timed run at a time; the fastest is kept. */
interface Measurement {
  readonly elementSteps: number;
  run(): RunResult | Promise<RunResult>;
  best?: RunResult;
}

const rateOf = (m: Measurement) => m.elementSteps / (m.best?.seconds ?? Infinity);

/**
 * Each measurement's runs back to back, the float64 loop before each; the fastest after the first
 * (the JIT's and the worker pool's warm-up; the reference takes about four runs to settle). Back to
 * back rather than round-robin: on this machine memory another measurement freed is mapped afresh at
 * about 11 µs a page, and interleaved with the decimal runs the float32 check fell to 0.065–0.13 of
 * the loop (0.115–0.15 back to back); slow spells still hit a measurement whose runs fall in one.
 */
async function measure(all: readonly Measurement[]): Promise<void> {
  for (const m of all) {
    for (let run = 0; run < RUNS; run++) {
      float64Loop().measure();
      const r = await m.run();
      if (run > 0 && r.seconds < (m.best?.seconds ?? Infinity)) m.best = r;
    }
  }
}

function timedSeconds(work: () => void): RunResult {
  const started = performance.now();
  work();
  return { seconds: (performance.now() - started) / 1000 };
}

/** Canonical Adam through `referenceTrajectory` in one arithmetic, 2,000 elements × 5 steps. */
function referenceMeasurement<T extends Scalar<T>>(arithmetic: Arithmetic<T>): Measurement {
  const c = adamCase(2000, 5, 'float32');
  return { elementSteps: c.params.length * c.steps.length, run: () => timedSeconds(() => referenceTrajectory(adam, c, arithmetic)) };
}

/**
 * Target 1 as `optconf reference` computes a case (conformance/adapters/reference.ts): canonical Adam
 * in ball arithmetic, every output's float32 rounding and 50-digit exact string decided
 * (`roundedTrajectory`, NOTE-4), 2,000 elements × 5 steps on one thread.
 */
function roundedReferenceMeasurement(): Measurement {
  const c = adamCase(2000, 5, 'float32');
  return { elementSteps: c.params.length * c.steps.length, run: () => timedSeconds(() => roundedTrajectory(adam, c, { dtypes: ['float32'] })) };
}

/**
 * The yardstick issue 5 names for target 1 ("a naive decimal.js loop makes about 70,000 here"):
 * Adam written straight in decimal.js at the reference's precision, inputs read as `new Dec(x)` (the
 * double's shortest decimal, not its exact value), no clauses, no memoized scalars beyond the
 * step's bias corrections. The same case as `referenceMeasurement`.
 */
function naiveDecimalJsMeasurement(): Measurement {
  const c = adamCase(2000, 5, 'float32');
  const h = c.hyper as Record<string, number>;
  const [lr, b1, b2, eps] = [h.lr, h.beta1, h.beta2, h.eps].map((x) => new Dec(x));
  const run = () => {
    const p = c.params.map((x) => new Dec(x));
    const m = p.map(() => new Dec(0));
    const v = p.map(() => new Dec(0));
    c.steps.forEach((s, k) => {
      const bc1 = new Dec(1).minus(b1.pow(k + 1));
      const bc2 = new Dec(1).minus(b2.pow(k + 1));
      for (let i = 0; i < p.length; i++) {
        const g = new Dec(s.grad[i]);
        m[i] = b1.times(m[i]).plus(new Dec(1).minus(b1).times(g));
        v[i] = b2.times(v[i]).plus(new Dec(1).minus(b2).times(g).times(g));
        p[i] = p[i].minus(lr.times(m[i].div(bc1)).div(v[i].div(bc2).sqrt().plus(eps)));
      }
    });
  };
  return { elementSteps: c.params.length * c.steps.length, run: () => timedSeconds(run) };
}

type Encoding = 'base64' | 'json';

/**
 * Checking: the reply as the bytes `optconf serve float` sends (tensors as base64, PROTO-9, or as
 * JSON numbers), parsed incrementally, then checked on one thread (`checkCase`) or split across the
 * worker threads (`checkCaseParallel`, as `optconf run` checks a case that large).
 */
function checkingMeasurement(c: Case, encoding: Encoding, threads: 'one' | 'workers'): Measurement {
  const reply = floatImplementation().run(toRunRequest(c, 'bench')) as RunReply;
  const bytes = Buffer.from([...lineChunks(encoding === 'base64' ? encodeReplyArrays(reply, c.dtype) : reply)].join(''));
  const parse = () => {
    const reader = new JsonLineReader();
    const lines = [];
    for (let k = 0; k < bytes.length; k += 65536) lines.push(...reader.push(bytes.subarray(k, k + 65536)));
    const value = lines[0]?.ok ? (lines[0].value as Extract<RunReply, { op: 'result' }>) : undefined;
    if (value?.op !== 'result') throw new Error('bench reply did not parse');
    return value.steps;
  };
  return {
    elementSteps: c.params.length * c.steps.length,
    async run() {
      const started = performance.now();
      const steps = parse();
      const parsed = performance.now();
      const check = threads === 'one' ? checkCase(adam, c, steps) : await checkCaseParallel(adam, c, steps, { minElements: 0 });
      return { seconds: (performance.now() - started) / 1000, parseSeconds: (parsed - started) / 1000, check };
    },
  };
}

function vmHwm(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function scale(n: number) {
  const c = adamCase(n, 10, 'float32');
  const impl = spawnImplementation([process.execPath, 'bin/optconf.js', 'serve', 'float'], {
    startupMs: 60_000,
    caseMs: 600_000,
    maxReplyBytes: 1024 * 2 ** 20,
    maxStderrBytes: 2 ** 20,
  });
  await impl.hello();
  const started = performance.now();
  // request written in pieces, the adapter's computation, the reply streamed back and parsed into Float64Arrays
  const reply = await impl.run(toRunRequest(c, 'scale'));
  const replied = performance.now();
  const adapterPeak = vmHwm(impl.pid);
  // the runner's peak while exchanging (request text in pieces, reply parsed into Float64Arrays), before any checking
  // VmHWM, not resourceUsage().maxRSS: Linux carries the latter across exec, so a spawned process
  // starts with its parent's peak
  const exchangePeak = vmHwm(process.pid);
  if (reply.op !== 'result') throw new Error(`adapter: ${JSON.stringify(reply).slice(0, 300)}`);
  // on every core: the elements split across worker threads (started here, so their start-up is counted)
  const check = await checkCaseParallel(adam, c, reply.steps);
  const done = performance.now();
  await impl.close?.();
  const runnerPeak = vmHwm(process.pid);
  // the adapter's own share of the exchange: its float kernels on the same request, with the arrays
  // as the adapter has them (Float64Arrays: decoded base64), timed here in process after the peaks
  // are read, so the protocol's cost is the exchange less this
  const request = toRunRequest(c, 'scale');
  const asDecoded = {
    ...request,
    params: Float64Array.from(c.params),
    steps: request.steps.map((s, k) => ({ ...s, grad: Float64Array.from(c.steps[k].grad) })),
  };
  const kernelStarted = performance.now();
  floatImplementation().run(asDecoded);
  const kernels = (performance.now() - kernelStarted) / 1000;
  return {
    seconds: (done - started) / 1000,
    exchange: (replied - started) / 1000,
    kernels,
    check: (done - replied) / 1000,
    ok: check.ok,
    adapterPeak,
    exchangePeak,
    runnerPeak,
  };
}

/** A server of `optconf reference` as the runner speaks to it (conformance/protocol/process.ts: base64 tensors, PROTO-9). */
function referenceServer() {
  return spawnImplementation([process.execPath, 'bin/optconf.js', 'reference'], {
    startupMs: 60_000,
    caseMs: 600_000,
    maxReplyBytes: 1024 * 2 ** 20,
    maxStderrBytes: 2 ** 20,
  });
}

/** One case through a server: seconds from writing the request to the reply parsed, which must be a result with exact strings. */
async function servedSeconds(server: ReturnType<typeof referenceServer>, c: Case, id: string): Promise<number> {
  const started = performance.now();
  const reply = await server.run(toRunRequest(c, id));
  const seconds = (performance.now() - started) / 1000;
  if (reply.op !== 'result' || reply.steps[0].exact?.params.length !== c.params.length)
    throw new Error(`optconf reference: ${JSON.stringify(reply).slice(0, 300)}`);
  return seconds;
}

/**
 * Target 5: `optconf reference` measured from outside, as a user meets it. The 10,000-element float32
 * case runs RUNS times on one server, the first untimed (the server's JIT and worker threads start
 * then, as in any session of more than one case); the 10⁶-element float64 step runs once on a fresh
 * server, so its peak RSS (VmHWM, worker threads included) is that case's alone.
 */
async function servedReference() {
  const small = adamCase(10_000, 10, 'float32');
  let server = referenceServer();
  await server.hello();
  let best = Infinity;
  for (let run = 0; run < RUNS / 2; run++) {
    const seconds = await servedSeconds(server, small, `small-${run}`);
    if (run > 0) best = Math.min(best, seconds);
  }
  await server.close?.();
  server = referenceServer();
  await server.hello();
  const large = adamCase(1_000_000, 1, 'float64');
  const largeSeconds = await servedSeconds(server, large, 'large');
  const largePeak = vmHwm(server.pid);
  await server.close?.();
  return { smallRate: (small.params.length * small.steps.length) / best, largeSeconds, largePeak };
}

function printServedReference(r: Awaited<ReturnType<typeof servedReference>>, naiveRate: number): void {
  const times = r.smallRate / naiveRate;
  console.log(
    `5. optconf reference over optconf/1 (base64 tensors, exact strings), 10 k-element float32 Adam × 10 steps: ${fmt(r.smallRate)} param-steps/s ` +
      `(target ≥ 150 k: ${r.smallRate >= 150_000 ? 'met' : 'NOT met'}), ${times.toFixed(1)}× the naive decimal.js loop (target ≥ 5×: ${times >= 5 ? 'met' : 'NOT met'})`,
  );
  const peakOk = r.largePeak !== undefined && r.largePeak <= 2 ** 30;
  console.log(
    `   one 10⁶-element float64 Adam step, end to end: ${r.largeSeconds.toFixed(1)} s (target ≤ 20 s: ${r.largeSeconds <= 20 ? 'met' : 'NOT met'}), ` +
      `server peak RSS ${mb(r.largePeak)} (target ≤ 1 GiB: ${peakOk ? 'met' : 'NOT met'})`,
  );
}

function suiteSeconds(): Promise<{ seconds: number; code: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('npm', ['test'], { stdio: 'ignore' });
    child.on('exit', (code) => resolve({ seconds: (performance.now() - started) / 1000, code }));
  });
}

/**
 * The scale run in a process of its own: the runner's peak RSS is then the scale run's alone, and
 * its half-gigabyte heap does not slow the measurements of targets 1 and 2 (in one process, the
 * reference measured after it ran at 105 k param-steps/s instead of 150–160 k).
 */
function scaleInChild(n: number): Promise<Awaited<ReturnType<typeof scale>>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], '--scale-only', '--elements', String(n)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`the scale run exited ${code} without a result: ${out.slice(0, 500)}`));
      }
    });
  });
}

if (scaleOnly) {
  console.log(JSON.stringify(await scale(SCALE_N)));
  await closeCheckingPool();
  process.exit(0);
}

if (referenceOnly) {
  const naiveOnly = naiveDecimalJsMeasurement();
  await measure([naiveOnly]);
  printServedReference(await servedReference(), rateOf(naiveOnly));
  process.exit(0);
}

console.log(
  `optconf bench — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), reference precision ${precision()} digits`,
);
// targets 1 and 2, the float64 loop between their runs; every ratio divides by its best
const c32Case = adamCase(200_000, 5, 'float32');
const ref = roundedReferenceMeasurement();
const refDecimalJs = referenceMeasurement(DECIMAL_JS);
const naive = naiveDecimalJsMeasurement();
const c32 = checkingMeasurement(c32Case, 'base64', 'one');
const c32split = checkingMeasurement(c32Case, 'base64', 'workers');
const c32json = checkingMeasurement(c32Case, 'json', 'one');
const c64 = checkingMeasurement(adamCase(2000, 3, 'float64'), 'base64', 'one');
await measure([ref, refDecimalJs, naive, c32, c32split, c32json, c64]);
await closeCheckingPool();
const f64 = float64Loop().best;
const [refRate, decimalJsRate, naiveRate, c32Rate] = [ref, refDecimalJs, naive, c32].map(rateOf);
const parseShare = (m: Measurement) => `parsing ${((100 * (m.best?.parseSeconds ?? 0)) / (m.best?.seconds ?? 1)).toFixed(0)}% of it`;
const verdict = (m: Measurement) => (m.best?.check?.ok ? 'pass' : 'FAIL');
console.log(`plain float64 Adam loop (Float64Array):        ${fmt(f64)} param-steps/s   (= 1; the best of the runs between the measurements of 1 and 2)`);
console.log(
  `1. reference Adam as optconf reference computes it (ball arithmetic, float32 roundings and ${precision()}-digit exact strings decided, NOTE-4), one thread: ${fmt(refRate)} param-steps/s   ratio ${(refRate / f64).toExponential(2)}` +
    `   target ≥ 150 k on one core: ${refRate >= 150_000 ? 'met' : 'NOT met'}`,
);
console.log(
  `   the same case in decimal.js at ${precision()} digits (nothing decided): ${fmt(decimalJsRate)} param-steps/s   ratio ${(decimalJsRate / f64).toExponential(2)}` +
    `   (the reference ${(refRate / decimalJsRate).toFixed(1)}× faster)`,
);
// the 150 k against its 70 k naive loop is 2.1×: the same target, read on this machine's speed
console.log(
  `   the issue's yardstick, a naive decimal.js Adam loop: ${fmt(naiveRate)} param-steps/s   (issue: "about 70 k")` +
    `; the reference is ${(refRate / naiveRate).toFixed(1)}× it (target 150/70 = 2.1×: ${refRate / naiveRate >= 150 / 70 ? 'met' : 'NOT met'})`,
);
console.log(
  `2. checking a float32 Adam trace (200 k elements, base64 reply), one thread: ${fmt(c32Rate)} param-steps/s   ratio ${(c32Rate / f64).toFixed(3)}` +
    ` (target ≥ 0.1: ${c32Rate / f64 >= 0.1 ? 'met' : 'NOT met'}), ${parseShare(c32)}, verdict ${verdict(c32)}`,
);
// optconf run splits a case of PARALLEL_MIN_ELEMENTS or more across the worker threads
console.log(
  `   the same split across ${availableParallelism()} worker threads, as optconf run does: ${fmt(rateOf(c32split))} param-steps/s` +
    `   ratio ${(rateOf(c32split) / f64).toFixed(3)}` +
    `, the same check (verdict, worst output): ${isDeepStrictEqual(c32split.best?.check, c32.best?.check) ? 'yes' : 'NO'}`,
);
console.log(
  `   the same reply as JSON numbers, one thread:   ${fmt(rateOf(c32json))} param-steps/s   ratio ${(rateOf(c32json) / f64).toFixed(3)}` +
    `, ${parseShare(c32json)}`,
);
console.log(
  `   checking a float64 Adam trace (reference in ball arithmetic, float64 roundings decided): ${fmt(rateOf(c64))} param-steps/s   ratio ${(rateOf(c64) / f64).toExponential(2)}` +
    `, verdict ${verdict(c64)}`,
);
// the scale run starts from no worker pool, so its check pays the workers' start-up
const s = await scaleInChild(SCALE_N);
console.log(
  `3. ${fmt(SCALE_N)}-element, 10-step float32 Adam through optconf/1 (optconf serve float): ${s.seconds.toFixed(1)} s end to end ` +
    `(request + adapter + streamed reply ${s.exchange.toFixed(1)} s, of which the adapter's float kernels ${s.kernels.toFixed(1)} s` +
    `; check on ${availableParallelism()} worker threads ${s.check.toFixed(1)} s), verdict ${s.ok ? 'pass' : 'FAIL'}; ` +
    `peak RSS runner ${mb(s.runnerPeak)} (${mb(s.exchangePeak)} before checking), adapter ${mb(s.adapterPeak)}; ` +
    `${fmt((SCALE_N * 10) / s.seconds)} param-steps/s end to end, ratio ${((SCALE_N * 10) / s.seconds / f64).toFixed(4)}`,
);
const served = await servedReference();
if (skipSuite) console.log('4. npm test: skipped (--skip-suite)');
else {
  const suite = await suiteSeconds();
  console.log(
    `4. npm test wall time: ${suite.seconds.toFixed(0)} s, ${(suite.seconds / 180).toFixed(2)} of the 180 s target` +
      ` (exit ${suite.code}; ${suite.seconds < 180 ? 'met' : 'NOT met'})`,
  );
}
printServedReference(served, naiveRate);
