/**
 * A conformance case: what one `run` message carries, with plain doubles (every value exactly
 * representable in the case's dtype; hyperparameters exactly representable in float32).
 */
import type { Dtype } from '../../reference/dtype.ts';
import type { RunRequest, WireHyper } from '../protocol/messages.ts';
import { decodeNumber, stringifyWire } from '../protocol/wire.ts';

export interface CaseStep {
  readonly grad: readonly number[];
  /** overrides from this step on (NOTE-3), e.g. a learning-rate schedule */
  readonly hyper?: WireHyper;
}

export interface Case {
  /** the family (reference/registry.ts `FAMILIES`) */
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

/**
 * PROTO-3: JSON text of a case, or of a report that holds cases, its numbers written as the wire
 * writes them — NaN and ±∞ as `"NaN"`, `"Infinity"`, `"-Infinity"`, −0 as `-0` (JSON.stringify would
 * write `null` and `0`) — so a printed case replays; `space` indents as JSON.stringify's.
 */
export function caseJson(value: unknown, space?: number): string {
  return stringifyWire(value, space);
}

/**
 * PROTO-3: JSON text written by `caseJson`, its `"NaN"`, `"Infinity"` and `"-Infinity"` read back as
 * numbers — except under the keys `strings` names, which hold decimal text (`"NaN"` included).
 */
export function parseCaseJson(text: string, strings: ReadonlySet<string> = new Set()): unknown {
  return JSON.parse(text, (key, x: unknown) => (strings.has(key) ? x : (decodeNumber(x) ?? x)));
}
