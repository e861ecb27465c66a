/**
 * PREC-6: the screened check of large tensors. The screen only decides which outputs need their
 * bounds; it must never change a verdict or the first failure, and it must actually settle most
 * outputs of an honest float32 trace (otherwise it is only a slower full check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floatImplementation } from '../../conformance/adapters/float.ts';
import { toRunRequest, type Case } from '../../conformance/case.ts';
import { checkCase, SCREEN_MIN_ELEMENTS, unsettled } from '../../conformance/compare.ts';
import { precisionOf } from '../../conformance/error-model.ts';
import type { RunReply, WireStepOutput } from '../../conformance/protocol.ts';
import type { Dtype } from '../../reference/dtype.ts';
import { roundDoubleToDtype, ulp } from '../../reference/dtype.ts';
import { findOptimizer } from '../../reference/registry.ts';

const N = SCREEN_MIN_ELEMENTS + 904;

/** A deterministic vector in the dtype (a hash, not Math.random). */
function vector(n: number, seed: number, scale: number, dtype: Dtype): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return roundDoubleToDtype(((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1) * scale, dtype);
  });
}

const HYPER: Record<string, Record<string, number | boolean>> = {
  sgd: { lr: 0.0625, momentum: 0.875, dampening: 0, weight_decay: 0, nesterov: false },
  rmsprop: { lr: 0.0009765625, alpha: 0.9921875, eps: 0.0009765625, weight_decay: 0, momentum: 0, centered: false },
  adam: { lr: 0.0009765625, beta1: 0.875, beta2: 0.9990234375, eps: 0.0009765625, weight_decay: 0, amsgrad: false },
  adamw: { lr: 0.0009765625, beta1: 0.875, beta2: 0.9990234375, eps: 0.0009765625, weight_decay: 0.0078125, amsgrad: false },
};

function traceCase(family: string, dtype: Dtype): { c: Case; reply: WireStepOutput[] } {
  const c: Case = {
    optimizer: family,
    dtype,
    hyper: HYPER[family],
    params: vector(N, 1, 1, dtype),
    state: null,
    steps: [0, 1, 2].map((k) => ({ grad: vector(N, 10 + k, 0.1, dtype) })),
  };
  const reply = floatImplementation().run(toRunRequest(c, 'screen')) as Extract<RunReply, { op: 'result' }>;
  if (reply.op !== 'result') throw new Error(JSON.stringify(reply));
  return { c, reply: reply.steps.map((s) => ({ ...s, params: [...(s.params as number[])], state: s.state && { ...s.state } })) };
}

const TRACES = (['sgd', 'rmsprop', 'adam', 'adamw'] as const).flatMap((family) => (['float32', 'bfloat16', 'float16'] as const).map((dtype) => ({ family, dtype, ...traceCase(family, dtype) })));

/** The reply with `moves`: each moves one output of one element by a number of ulps of its dtype. */
function perturbed(reply: readonly WireStepOutput[], dtype: Dtype, moves: readonly { step: number; element: number; output: number; ulps: number }[]): WireStepOutput[] {
  const out: WireStepOutput[] = reply.map((s) => ({ ...s, params: [...(s.params as number[])], state: s.state && (Object.fromEntries(Object.entries(s.state).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as WireStepOutput['state']) }));
  for (const m of moves) {
    const s = out[m.step % out.length];
    const arrays = [s.params, ...Object.values(s.state ?? {}).filter(Array.isArray)] as number[][];
    const a = arrays[m.output % arrays.length];
    const i = m.element % a.length;
    a[i] = roundDoubleToDtype(a[i] + m.ulps * ulp(a[i], dtype), dtype);
  }
  return out;
}

describe('PREC-6 · the screened check', () => {
  it('PREC-6 · screened and fully bounded checks give the same verdict and the same first failure, honest or perturbed replies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRACES),
        fc.array(fc.record({ step: fc.nat(), element: fc.nat(), output: fc.nat(), ulps: fc.constantFrom(-300, -40, -8, -3, -2, -1, 1, 2, 3, 8, 40, 300) }), { maxLength: 4 }),
        (trace, moves) => {
          const def = findOptimizer(trace.family)!;
          const reply = perturbed(trace.reply, trace.dtype, moves);
          const screened = checkCase(def, trace.c, reply);
          const full = checkCase(def, trace.c, reply, { screen: false });
          expect(screened.ok, `${trace.family} ${trace.dtype}`).toBe(full.ok);
          expect(screened.failure).toEqual(full.failure);
          expect(screened.message).toEqual(full.message);
          // the screened worst is a real output with a real bound, never worse than the full check's worst
          if (full.ok) {
            const ratio = (w: typeof full.worst) => (w ? w.errorUlps / w.boundUlps : 0);
            expect(screened.worst).toBeDefined();
            expect(ratio(screened.worst)).toBeLessThanOrEqual(ratio(full.worst));
          }
        },
      ),
      { seed: 20261125, numRuns: 60 },
    );
  });

  it('PREC-6 · the screen settles most outputs of an honest float32 Adam step, and none it cannot bound', () => {
    const trace = TRACES.find((t) => t.family === 'adam' && t.dtype === 'float32')!;
    const got = trace.reply[0];
    // the float kernels' outputs against themselves: error 0, so everything with a floor is settled …
    const p = precisionOf('float32');
    const same = (name: string) => Float64Array.from((name === 'params' ? got.params : got.state![name]) as number[]);
    const outputs = ['params', 'exp_avg', 'exp_avg_sq'].map((name) => ({ v: same(name), floor: true, got: same(name) }));
    // … except the closest call, which is always bounded so a passing check names a worst output
    expect(unsettled(outputs, p.u).length).toBe(1);
    // an output without a floor (a value passed through from the inputs) is never settled
    expect(unsettled([{ ...outputs[0], floor: false }], p.u).length).toBe(N);
    // a reply moved by 3 ulps everywhere settles nothing; by a NaN, the element stays open
    const moved = outputs.map((o) => ({ ...o, got: o.got.map((x) => x + 3 * ulp(x, 'float32')) }));
    expect(unsettled(moved, p.u).length).toBe(N);
    const nan = outputs.map((o, j) => ({ ...o, got: j === 1 ? o.got.map((x, i) => (i === 7 ? NaN : x)) : o.got }));
    expect(Array.from(unsettled(nan, p.u))).toContain(7);
  });
});
