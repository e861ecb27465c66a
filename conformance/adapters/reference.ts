/**
 * The reference as an implementation (`optconf reference`): it answers every family, variant and
 * dtype, rounding each output correctly to the case's dtype (NOTE-5) and adding the exact values,
 * correctly rounded to P significant digits (NOTE-4), as decimal strings in the extension field `exact`.
 */
import { precision } from '../../reference/decimal.ts';
import { DTYPES, isRepresentable, type Dtype } from '../../reference/dtype.ts';
import { FAMILIES, OPTIMIZERS, findOptimizer, type OptimizerDef } from '../../reference/registry.ts';
import { roundedTrajectory, type RoundedStep } from '../../reference/rounded-trajectory.ts';
import type { CaseInput } from '../../reference/trajectory.ts';
import type { Implementation } from '../protocol/implementation.ts';
import { PROTOCOL, type HelloReply, type RunReply, type RunRequest, type WireArray, type WireStepOutput } from '../protocol/messages.ts';
import { decodeNumber, type WireNumber } from '../protocol/wire.ts';

const VERSION = '0.1.0';

export function referenceHello(): HelloReply {
  return {
    op: 'hello',
    protocol: PROTOCOL,
    implementation: `optconf reference ${VERSION} (BigInt ball arithmetic, correctly rounded, ${precision()}-digit exact strings)`,
    supports: FAMILIES.map((f) => ({ optimizer: f, dtypes: [...DTYPES] })),
  };
}

function decodeArray(values: WireArray, where: string, dtype: Dtype): number[] {
  // Array.from: the request may hold Float64Arrays (read by the streaming reader, serve.ts)
  return Array.from(values, (v: WireNumber, i) => {
    const x = decodeNumber(v);
    if (x === undefined) throw new Error(`${where}[${i}] is not a number`);
    if (!isRepresentable(x, dtype)) throw new Error(`${where}[${i}] = ${x} is not exactly representable in ${dtype}`);
    return x;
  });
}

/** The request's inputs as doubles, checked representable in its dtype. */
export function caseInput(request: RunRequest): CaseInput {
  const { dtype } = request;
  let state: CaseInput['state'] = null;
  if (request.state !== null) {
    const decoded: Record<string, unknown> = { step: request.state.step };
    for (const [name, values] of Object.entries(request.state)) {
      if (name !== 'step') decoded[name] = decodeArray(values as WireArray, `state.${name}`, dtype);
    }
    state = decoded;
  }
  return {
    hyper: request.hyper,
    params: decodeArray(request.params, 'params', dtype),
    state,
    steps: request.steps.map((s, k) => ({ grad: decodeArray(s.grad, `steps[${k}].grad`, dtype), hyper: s.hyper })),
  };
}

/** One step as a wire step: outputs correctly rounded to the dtype, the exact values as decimal strings (NOTE-4, NOTE-5). */
export function wireStep(step: RoundedStep, dtype: Dtype): WireStepOutput {
  const state: Record<string, WireNumber[] | number> = {};
  const exactState: Record<string, string[] | number> = {};
  for (const [name, v] of Object.entries(step.state)) {
    if (typeof v === 'number') {
      state[name] = v;
      exactState[name] = v;
    } else {
      state[name] = v.rounded[dtype] as number[];
      exactState[name] = v.text;
    }
  }
  return {
    params: step.params.rounded[dtype] as number[],
    state: state as WireStepOutput['state'],
    exact: { params: step.params.text, state: exactState },
  };
}

export function resolveDefinition(request: Pick<RunRequest, 'optimizer' | 'variant'>): OptimizerDef {
  const def = findOptimizer(request.optimizer, request.variant);
  if (def) return def;
  const known = OPTIMIZERS.map((o) => o.name).join(', ');
  throw new Error(`unknown optimizer ${JSON.stringify(request.variant ?? request.optimizer)}; known: ${known}`);
}

export function referenceRun(request: RunRequest): RunReply {
  try {
    const def = resolveDefinition(request);
    const steps = roundedTrajectory(def, caseInput(request), { dtypes: [request.dtype] }).map((s) => wireStep(s, request.dtype));
    return { op: 'result', id: request.id, steps };
  } catch (e) {
    return { op: 'error', id: request.id, message: (e as Error).message };
  }
}

export const referenceImplementation: Implementation = { hello: referenceHello, run: referenceRun };
