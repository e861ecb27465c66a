/**
 * `npm run bench [-- --skip-suite] [--elements N]`: how fast the suite is, as ratios taken in one run
 * on this machine (never absolute times alone). Prints only; nothing here asserts a time.
 *
 * 1. the decimal reference (canonical Adam, 50 digits) against a plain float64 Adam loop;
 * 2. checking a float32 Adam trace (parse the reply bytes, reference, compare against the bound), and a float64 one;
 * 3. a 1,000,000-element, 10-step float32 Adam case end to end through optconf/1 (`optconf serve float`),
 *    checked on every core (conformance/parallel.ts), with the peak RSS of both processes;
 * 4. the wall time of `npm test`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { floatImplementation } from '../conformance/adapters/float.ts';
import type { Case } from '../conformance/case.ts';
import { toRunRequest } from '../conformance/case.ts';
import { checkCase } from '../conformance/compare.ts';
import { checkCaseParallel, closeCheckingPool } from '../conformance/parallel.ts';
import { spawnImplementation } from '../conformance/process.ts';
import type { RunReply } from '../conformance/protocol.ts';
import { JsonLineReader, lineChunks } from '../conformance/stream-json.ts';
import { precision } from '../reference/decimal.ts';
import { findOptimizer } from '../reference/registry.ts';
import { referenceTrajectory } from '../reference/trajectory.ts';

const args = process.argv.slice(2);
const skipSuite = args.includes('--skip-suite');
const elementsAt = args.indexOf('--elements');
const SCALE_N = elementsAt >= 0 ? Number(args[elementsAt + 1]) : 1_000_000;
const adam = findOptimizer('adam')!;

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(1));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** A deterministic float32 vector (a hash, not Math.random). */
function vector(n: number, seed: number, scale: number): number[] {
  const out = new Array<number>(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = Math.fround(((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1) * scale);
  }
  return out;
}

function adamCase(n: number, steps: number, dtype: 'float32' | 'float64'): Case {
  return {
    optimizer: 'adam',
    dtype,
    hyper: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    params: vector(n, 1, 1),
    state: null,
    steps: Array.from({ length: steps }, (_, k) => ({ grad: vector(n, 100 + k, 0.1) })),
  };
}

/** The plain float64 Adam loop (PyTorch's order, scalars hoisted per step), over Float64Arrays. */
function float64AdamRate(): number {
  const n = 1_000_000;
  const p = Float64Array.from(vector(n, 1, 1));
  const g = Float64Array.from(vector(n, 2, 0.1));
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const step = (t: number) => {
    const lr = 0.001, b1 = 0.9, b2 = 0.999, eps = 1e-8;
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
  for (let t = 1; t <= 3; t++) step(t);
  const started = performance.now();
  const steps = 20;
  for (let t = 1; t <= steps; t++) step(t);
  return (n * steps) / ((performance.now() - started) / 1000);
}

function referenceRate(): number {
  const c = adamCase(2000, 5, 'float32');
  referenceTrajectory(adam, { ...c, params: c.params.slice(0, 200), steps: c.steps.map((s) => ({ grad: s.grad.slice(0, 200) })) });
  const started = performance.now();
  referenceTrajectory(adam, c);
  return (c.params.length * c.steps.length) / ((performance.now() - started) / 1000);
}

/** Checking rate: the reply as the bytes a process would send, parsed incrementally, then checked (on one thread, then split). */
async function checkingRate(c: Case): Promise<{ rate: number; ok: boolean; parseShare: number; parallelRate: number; parallelOk: boolean }> {
  const reply = floatImplementation().run(toRunRequest(c, 'bench')) as RunReply;
  const bytes = Buffer.from([...lineChunks(reply)].join(''));
  const started = performance.now();
  const reader = new JsonLineReader();
  const lines = [];
  for (let k = 0; k < bytes.length; k += 65536) lines.push(...reader.push(bytes.subarray(k, k + 65536)));
  const parsed = performance.now();
  const value = lines[0].ok ? (lines[0].value as Extract<RunReply, { op: 'result' }>) : undefined;
  if (!value) throw new Error('bench reply did not parse');
  const check = checkCase(adam, c, value.steps);
  const checked = performance.now();
  const seconds = (checked - started) / 1000;
  // the same parsed reply checked again, split across the worker threads (pool started beforehand: a one-time cost)
  await checkCaseParallel(adam, c, value.steps, { minElements: 0, maxSamples: 0 });
  const again = performance.now();
  const split = await checkCaseParallel(adam, c, value.steps, { minElements: 0 });
  const parallelSeconds = (parsed - started + performance.now() - again) / 1000;
  return {
    rate: (c.params.length * c.steps.length) / seconds,
    ok: check.ok,
    parseShare: (parsed - started) / 1000 / seconds,
    parallelRate: (c.params.length * c.steps.length) / parallelSeconds,
    parallelOk: split.ok && split.worst?.element === check.worst?.element,
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
  const impl = spawnImplementation([process.execPath, 'bin/optconf.js', 'serve', 'float'], { startupMs: 60_000, caseMs: 600_000, maxReplyBytes: 1024 * 2 ** 20, maxStderrBytes: 2 ** 20 });
  await impl.hello();
  const started = performance.now();
  // request written in pieces, the adapter's computation, the reply streamed back and parsed into Float64Arrays
  const reply = await impl.run(toRunRequest(c, 'scale'));
  const replied = performance.now();
  const adapterPeak = vmHwm(impl.pid);
  // the runner's peak while exchanging (request text in pieces, reply parsed into Float64Arrays), before any checking
  const exchangePeak = process.resourceUsage().maxRSS * 1024;
  if (reply.op !== 'result') throw new Error(`adapter: ${JSON.stringify(reply).slice(0, 300)}`);
  // on every core: the elements split across worker threads (started here, so their start-up is counted)
  const check = await checkCaseParallel(adam, c, reply.steps);
  const done = performance.now();
  await impl.close?.();
  return { seconds: (done - started) / 1000, exchange: (replied - started) / 1000, check: (done - replied) / 1000, ok: check.ok, adapterPeak, exchangePeak, runnerPeak: process.resourceUsage().maxRSS * 1024 };
}

function suiteSeconds(): Promise<{ seconds: number; code: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('npm', ['test'], { stdio: 'ignore' });
    child.on('exit', (code) => resolve({ seconds: (performance.now() - started) / 1000, code }));
  });
}

console.log(`optconf bench — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), reference precision ${precision()} digits`);
const f64 = float64AdamRate();
console.log(`plain float64 Adam loop (Float64Array):        ${fmt(f64)} param-steps/s   (= 1)`);
const ref = referenceRate();
console.log(`1. reference Adam, decimal.js ${precision()} digits:     ${fmt(ref)} param-steps/s   ratio ${(ref / f64).toExponential(2)}   target ≥ 150 k: ${ref >= 150_000 ? 'met' : 'NOT met'}`);
const c32 = await checkingRate(adamCase(200_000, 5, 'float32'));
console.log(`2. checking a float32 Adam trace:               ${fmt(c32.rate)} param-steps/s   ratio ${(c32.rate / f64).toFixed(3)} (target ≥ 0.1: ${c32.rate / f64 >= 0.1 ? 'met' : 'NOT met'}), parsing ${(100 * c32.parseShare).toFixed(0)}% of it, verdict ${c32.ok ? 'pass' : 'FAIL'}`);
console.log(`   the same, check split across ${availableParallelism()} worker threads: ${fmt(c32.parallelRate)} param-steps/s   ratio ${(c32.parallelRate / f64).toFixed(3)}, same verdict and worst output: ${c32.parallelOk ? 'yes' : 'NO'}`);
const c64 = await checkingRate(adamCase(2000, 3, 'float64'));
console.log(`   checking a float64 Adam trace (decimal):     ${fmt(c64.rate)} param-steps/s   ratio ${(c64.rate / f64).toExponential(2)}, verdict ${c64.ok ? 'pass' : 'FAIL'}`);
// the scale run starts from no worker pool, so its check pays the workers' start-up
await closeCheckingPool();
const s = await scale(SCALE_N);
console.log(
  `3. ${fmt(SCALE_N)}-element, 10-step float32 Adam through optconf/1 (optconf serve float): ${s.seconds.toFixed(1)} s end to end ` +
    `(request + adapter + streamed reply ${s.exchange.toFixed(1)} s, check on ${availableParallelism()} worker threads ${s.check.toFixed(1)} s), verdict ${s.ok ? 'pass' : 'FAIL'}; ` +
    `peak RSS runner ${mb(s.runnerPeak)} (${mb(s.exchangePeak)} before checking), adapter ${s.adapterPeak === undefined ? 'n/a' : mb(s.adapterPeak)}; ` +
    `${fmt((SCALE_N * 10) / s.seconds)} param-steps/s end to end, ratio ${((SCALE_N * 10) / s.seconds / f64).toFixed(4)}`,
);
if (skipSuite) console.log('4. npm test: skipped (--skip-suite)');
else {
  const suite = await suiteSeconds();
  console.log(`4. npm test wall time: ${suite.seconds.toFixed(0)} s (exit ${suite.code}; target < 180 s: ${suite.seconds < 180 ? 'met' : 'NOT met'})`);
}
