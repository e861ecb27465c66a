/**
 * Running a whole case through a reference step (NOTE-1, NOTE-2, NOTE-3): exact inputs, per-step
 * hyperparameter overrides, the step counter, and the state after every step.
 */
import { Dec, ZERO } from './decimal.ts';
import { exact } from './dtype.ts';
import { freshState, resolveHyper, type ElementState } from './notation.ts';
import type { OptimizerDef } from './registry.ts';

export interface CaseInput {
  readonly hyper: Readonly<Record<string, unknown>>;
  readonly params: readonly number[];
  /** null: a fresh optimizer (NOTE-2); else `step` and one array per state name */
  readonly state: Readonly<Record<string, unknown>> | null;
  readonly steps: readonly { readonly grad: readonly number[]; readonly hyper?: Readonly<Record<string, unknown>> }[];
}

export interface ExactStep {
  readonly params: Dec[];
  readonly state: { readonly step: number; readonly [name: string]: Dec[] | number };
}

/**
 * NOTE-1, NOTE-2, NOTE-3: the exact trajectory of a case. The state is carried exactly from step
 * to step (not rounded to the dtype); callers round what they report.
 */
export function referenceTrajectory(def: OptimizerDef, input: CaseInput): ExactStep[] {
  const size = input.params.length;
  const hyper0 = resolveHyper(def.hyper, input.hyper, [input.steps[0]?.hyper]);
  const names = def.stateNames(hyper0);
  let step = 0;
  let params: Dec[] = input.params.map(exact);
  let states: ElementState[];
  if (input.state === null) {
    states = params.map(() => freshState(names));
  } else {
    const s = input.state;
    if (typeof s.step !== 'number' || !Number.isInteger(s.step) || s.step < 0) throw new Error('state.step must be an integer ≥ 0');
    step = s.step;
    const arrays = names.map((name) => {
      const a = s[name];
      if (step === 0 && a === undefined) return params.map(() => ZERO);
      if (!Array.isArray(a) || a.length !== size) throw new Error(`state.${name} must be an array of ${size} numbers`);
      return a.map((x, i) => {
        if (typeof x !== 'number') throw new Error(`state.${name}[${i}] must be a number`);
        return exact(x);
      });
    });
    states = params.map((_, i) => Object.fromEntries(names.map((name, k) => [name, arrays[k][i]])));
  }
  const out: ExactStep[] = [];
  input.steps.forEach((s, k) => {
    if (s.grad.length !== size) throw new Error(`steps[${k}].grad has ${s.grad.length} elements, params has ${size}`);
    const h = resolveHyper(def.hyper, input.hyper, input.steps.slice(0, k + 1).map((x) => x.hyper));
    const bad = def.invalid(h);
    if (bad !== undefined) throw new Error(`steps[${k}]: ${bad}`);
    // NOTE-3: an override may not switch a part of the state on or off (momentum, centered, amsgrad).
    const namesNow = def.stateNames(h);
    if (namesNow.join() !== names.join()) throw new Error(`steps[${k}].hyper changes the state (${names.join(', ') || 'none'} → ${namesNow.join(', ') || 'none'}), which NOTE-3 does not allow`);
    step += 1;
    const results = params.map((p, i) => def.step(p, exact(s.grad[i]), states[i], h, step));
    params = results.map((r) => r.param);
    states = results.map((r) => r.state);
    const stateOut: Record<string, Dec[] | number> = { step };
    for (const name of Object.keys(results[0]?.state ?? {})) stateOut[name] = states.map((st) => st[name]);
    out.push({ params, state: stateOut as ExactStep['state'] });
  });
  return out;
}
