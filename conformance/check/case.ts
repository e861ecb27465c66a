/**
 * A conformance case: what one `run` message carries, with plain doubles (every value exactly
 * representable in the case's dtype; hyperparameters exactly representable in float32).
 */
import type { Dtype } from '../../reference/dtype.ts';
import type { RunRequest, WireHyper } from '../protocol/messages.ts';

export interface CaseStep {
  readonly grad: readonly number[];
  /** overrides from this step on (NOTE-3), e.g. a learning-rate schedule */
  readonly hyper?: WireHyper;
}

export interface Case {
  /** family: sgd, rmsprop, adam, adamw, ewma */
  readonly optimizer: string;
  /** a named variant, only when asking the reference for one */
  readonly variant?: string;
  readonly dtype: Dtype;
  readonly hyper: WireHyper;
  readonly params: readonly number[];
  /** null: fresh optimizer; else `step` and one array per state name */
  readonly state: { readonly step: number; readonly [name: string]: readonly number[] | number } | null;
  readonly steps: readonly CaseStep[];
}

export function toRunRequest(c: Case, id: string): RunRequest {
  return { op: 'run', id, ...c } as RunRequest;
}
