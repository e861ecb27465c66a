import { spawnImplementation } from '../conformance/protocol/process.ts';
import { toRunRequest, type Case } from '../conformance/check/case.ts';
import { uniform } from '../reference/random.ts';
function vector(n: number, seed: number, scale: number): number[] {
  const out = new Array<number>(n); const next = uniform(seed);
  for (let i = 0; i < n; i++) out[i] = Math.fround((next() * 2 - 1) * scale);
  return out;
}
const n = Number(process.argv[2] ?? 10000), steps = Number(process.argv[3] ?? 10), dtype = (process.argv[4] ?? 'float32') as 'float32' | 'float64';
const runs = Number(process.argv[5] ?? 4);
const extra = process.env.SERVER_ARGS ? process.env.SERVER_ARGS.split(' ') : [];
const c: Case = { optimizer: 'adam', dtype, hyper: { lr: Math.fround(0.001), beta1: Math.fround(0.9), beta2: Math.fround(0.999), eps: Math.fround(1e-8) },
  params: vector(n, 1, 1), state: null, steps: Array.from({ length: steps }, (_, k) => ({ grad: vector(n, 100 + k, 0.1) })) };
const server = spawnImplementation([process.execPath, ...extra, 'bin/optconf.js', 'reference'], { startupMs: 60_000, caseMs: 600_000, maxReplyBytes: 1024 * 2 ** 20, maxStderrBytes: 2 ** 20 });
await server.hello();
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  const reply = await server.run(toRunRequest(c, `r${r}`));
  const s = (performance.now() - t) / 1000;
  if (reply.op !== 'result') throw new Error(JSON.stringify(reply).slice(0, 300));
  console.log(`run ${r}: ${s.toFixed(2)} s, ${(n * steps / s / 1000).toFixed(1)} k param-steps/s`);
}
const m = /VmHWM:\s+(\d+) kB/.exec((await import('node:fs')).readFileSync(`/proc/${server.pid}/status`, 'utf8'));
console.log('server VmHWM MiB', m ? (Number(m[1]) / 1024).toFixed(0) : '?');
await server.close?.();
