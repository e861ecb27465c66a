/**
 * PREC-6: the screened check of large tensors. The screen only decides which outputs need their
 * bounds; it must never change a verdict or the first failure, and it must actually settle most
 * outputs of an honest float32 trace (otherwise it is only a slower full check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floatImplementation } from '../../conformance/adapters/float.ts';
import { toRunRequest, type Case } from '../../conformance/check/case.ts';
import { checkCase } from '../../conformance/check/compare.ts';
import { SCREEN_MIN_ELEMENTS } from '../../conformance/limits.ts';
import { Bounded, precisionOf } from '../../conformance/check/error-model.ts';
import { SCREEN_BLOCK, screenStep } from '../../conformance/check/kernel.ts';
import { resolveHyper } from '../../reference/notation.ts';
import type { RunReply, WireStepOutput } from '../../conformance/protocol/messages.ts';
import type { Dtype } from '../../reference/dtype.ts';
import { roundDoubleToDtype, ulp } from '../../reference/dtype.ts';
import { findOptimizer } from '../../reference/registry.ts';
import { uniform } from '../../reference/random.ts';

const N = SCREEN_MIN_ELEMENTS + 904;

/** A deterministic vector in the dtype (a hash, not Math.random). */
function vector(n: number, seed: number, scale: number, dtype: Dtype): number[] {
  const next = uniform(seed);
  return Array.from({ length: n }, () => roundDoubleToDtype((next() * 2 - 1) * scale, dtype));
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

const TRACES = (['sgd', 'rmsprop', 'adam', 'adamw'] as const).flatMap((family) =>
  (['float32', 'bfloat16', 'float16'] as const).map((dtype) => ({ family, dtype, ...traceCase(family, dtype) })),
);

/** The reply with `moves`: each moves one output of one element by a number of ulps of its dtype. */
function perturbed(
  reply: readonly WireStepOutput[],
  dtype: Dtype,
  moves: readonly { step: number; element: number; output: number; ulps: number }[],
): WireStepOutput[] {
  const out: WireStepOutput[] = reply.map((s) => ({
    ...s,
    params: [...(s.params as number[])],
    state: s.state && (Object.fromEntries(Object.entries(s.state).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as WireStepOutput['state']),
  }));
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
        fc.array(fc.record({ step: fc.nat(), element: fc.nat(), output: fc.nat(), ulps: fc.constantFrom(-300, -40, -8, -3, -2, -1, 1, 2, 3, 8, 40, 300) }), {
          maxLength: 4,
        }),
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

  it('PREC-6 · the screen settles the outputs of an honest float32 trace but the closest call of each block, and leaves a NaN open', () => {
    const trace = TRACES.find((t) => t.family === 'adam' && t.dtype === 'float32')!;
    const def = findOptimizer('adam')!;
    const p = precisionOf('float32');
    const h = resolveHyper(def.hyper, trace.c.hyper, [], (x) => Bounded.hyper(x, p));
    const names = ['exp_avg', 'exp_avg_sq'];
    const at = (s: WireStepOutput, name: string) => Float64Array.from((name === 'params' ? s.params : s.state![name]) as number[]);
    // step 2 from the implementation's own step-1 state (PREC-7), as checkCase screens it
    const [one, two] = trace.reply;
    const screen = (got: (name: string) => Float64Array) =>
      screenStep(
        { def, h, t: 2, p, names },
        { param: at(one, 'params'), grad: Float64Array.from(trace.c.steps[1].grad), state: { exp_avg: at(one, 'exp_avg'), exp_avg_sq: at(one, 'exp_avg_sq') } },
        got,
      )!;
    const open = screen((name) => at(two, name));
    expect(open.length).toBe(Math.ceil(N / SCREEN_BLOCK));
    // one per block: each open element is in its own block
    expect(new Set(Array.from(open, (i) => Math.floor(i / SCREEN_BLOCK))).size).toBe(open.length);
    const nan = screen((name) => (name === 'exp_avg' ? at(two, name).map((x, i) => (i === 7 ? NaN : x)) : at(two, name)));
    expect(Array.from(nan)).toContain(7);
  });
});
