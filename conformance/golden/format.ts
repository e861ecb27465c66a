/**
 * Golden trace files (spec/golden-format.md): one case, its exact inputs, the reference's exact
 * outputs after every step, and per dtype the correctly rounded value and the allowed error of
 * the error model (spec/precision.md) carried along the trajectory. Everything here is
 * deterministic — fixed key order, fixed number formatting, no timestamps — so the same inputs
 * give the same bytes on any machine.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Dec, precision, setPrecision } from '../../reference/decimal.ts';
import { exactString, isRepresentable, ulp, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper, type ElementState } from '../../reference/notation.ts';
import { findOptimizer, freshArray, KNOWN_DEFECTS, type OptimizerDef } from '../../reference/registry.ts';
import { roundedTrajectory, type RoundedValues } from '../../reference/rounded-trajectory.ts';
import type { Case } from '../check/case.ts';
import { Bounded, ORDER_FACTOR, precisionOf } from '../check/error-model.ts';
import { exercisedClauses } from '../check/exercised.ts';
import type { WireHyper } from '../protocol/messages.ts';
import { describeSchemaError } from '../protocol/messages.ts';
import { decodeNumber, encodeNumber, type WireNumber } from '../protocol/wire.ts';

export const GOLDEN_FORMAT = 'optconf-golden/2';
export const MANIFEST_FORMAT = 'optconf-golden-manifest/1';
/** Reference precision the files are generated at, whatever OPTCONF_PRECISION says (GOLD-1). */
export const GOLDEN_PRECISION = 50;
/** Significant digits of the expected decimal strings (GOLD-3). */
export const GOLDEN_DIGITS = 40;
/** Significant digits the allowed errors are rounded up to (GOLD-4). */
export const ALLOWED_DIGITS = 4;

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export const REFERENCE_NAME = `optconf reference ${PACKAGE_VERSION} (decimal.js)`;

/** What a curated case says before it is run through the reference. */
export interface GoldenSpec {
  /** file name without `.json` */
  readonly name: string;
  readonly description: string;
  /** `adam` or `adam/eps-inside-sqrt` */
  readonly definition: string;
  /** every dtype the file gives expected values for; every input must be exact in each */
  readonly dtypes: readonly Dtype[];
  readonly hyper: WireHyper;
  readonly params: readonly number[];
  readonly state: Case['state'];
  readonly steps: Case['steps'];
  /** clauses exercised beyond the definition's (e.g. GRAD-6 for the worked problem's gradients) */
  readonly extraClauses?: readonly string[];
  /**
   * GOLD-8: the known defects (spec/defects.md) whose reference fails this case, each with the
   * dtypes it fails in — declared by the curator, held to the truth by tests/golden/curation.test.ts
   */
  readonly knownDefects?: Readonly<Record<string, readonly Dtype[]>>;
}

export interface GoldenDtypeOutput {
  readonly value: WireNumber[];
  readonly allowed: WireNumber[];
  readonly allowed_ulps: WireNumber[];
}

/** GOLD-7: a step-wise output — the exact value from the state before the step, then as GOLD-4. */
export interface GoldenStepWiseOutput {
  readonly expected: string[];
  readonly value: WireNumber[];
  readonly allowed: WireNumber[];
  readonly allowed_ulps: WireNumber[];
}

/** GOLD-7: the inputs a step starts from in one dtype — the previous step's correctly rounded values. */
export interface GoldenBefore {
  readonly params: WireNumber[];
  readonly state: { readonly step: number; readonly [name: string]: WireNumber[] | number };
}

/** GOLD-7: one step checked alone, from the state before it, with the single-step bound. */
export interface GoldenStepWise {
  readonly before: GoldenBefore;
  readonly params: GoldenStepWiseOutput;
  readonly state: Record<string, GoldenStepWiseOutput>;
}

export interface GoldenStepDtype {
  readonly params: GoldenDtypeOutput;
  readonly state: Record<string, GoldenDtypeOutput>;
  /** GOLD-7: from step 2 on (step 1's inputs are the case's own, so its trajectory entry is its step-wise one) */
  readonly step_wise?: GoldenStepWise;
}

export interface GoldenStep {
  readonly step: number;
  readonly params: string[];
  readonly state: Record<string, string[] | number>;
  readonly dtypes: Record<string, GoldenStepDtype>;
}

export interface GoldenFile {
  readonly format: string;
  readonly name: string;
  readonly description: string;
  readonly clauses: string[];
  /** GOLD-8: known defect id → the dtypes of this file its reference fails (present only when some does) */
  readonly known_defects?: Record<string, Dtype[]>;
  readonly reference: { implementation: string; precision: number; digits: number; allowed_digits: number; order_factor: number };
  readonly case: {
    optimizer: string;
    variant?: string;
    hyper: WireHyper;
    hyper_exact: Record<string, string | boolean>;
    params: WireNumber[];
    state: Case['state'];
    steps: { grad: WireNumber[]; hyper?: WireHyper }[];
  };
  readonly dtypes: Dtype[];
  readonly expected: GoldenStep[];
}

/** The definition a spec names; throws on an unknown name. */
export function definitionOf(name: string): OptimizerDef {
  const [family, variant] = name.split('/');
  const def = findOptimizer(family, variant);
  if (!def) throw new Error(`unknown optimizer definition ${JSON.stringify(name)}`);
  return def;
}

/** GOLD-4: an allowed error, rounded up to ALLOWED_DIGITS significant digits (looser by < 0.1 %, never tighter). */
export function roundUp(x: number): WireNumber {
  if (!Number.isFinite(x)) return 'Infinity';
  if (x === 0) return 0;
  // Rounding a decimal ≥ x to the nearest double gives a double ≥ x (rounding is monotonic).
  return Number(new Dec(exactString(x)).toSignificantDigits(ALLOWED_DIGITS, Dec.ROUND_UP).toString());
}

function checkRepresentable(spec: GoldenSpec): void {
  const check = (x: number, where: string) => {
    for (const dtype of spec.dtypes)
      if (!isRepresentable(x, dtype)) throw new Error(`${spec.name}: ${where} = ${x} is not exactly representable in ${dtype} (GOLD-2)`);
  };
  spec.params.forEach((x, i) => check(x, `params[${i}]`));
  spec.steps.forEach((s, k) => s.grad.forEach((x, i) => check(x, `steps[${k}].grad[${i}]`)));
  if (spec.state) for (const [name, v] of Object.entries(spec.state)) if (Array.isArray(v)) v.forEach((x, i) => check(x, `state.${name}[${i}]`));
  const hyperCheck = (h: WireHyper | undefined, where: string) => {
    for (const [name, v] of Object.entries(h ?? {})) {
      if (typeof v === 'number' && !isRepresentable(v, 'float32'))
        throw new Error(`${spec.name}: ${where}.${name} = ${v} is not float32-exact (GOLD-2, PROTO-3)`);
    }
  };
  hyperCheck(spec.hyper, 'hyper');
  spec.steps.forEach((s, k) => hyperCheck(s.hyper, `steps[${k}].hyper`));
}

const exactHyper = (h: WireHyper): Record<string, string | boolean> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, typeof v === 'number' ? exactString(v) : v]));

/**
 * GOLD-4, PREC-2, PREC-5, PREC-7: the allowed error of every output after every step, for one
 * dtype — the error model's bound carried along the whole trajectory from the case's initial
 * state (a golden file cannot know the implementation's own state), times ORDER_FACTOR.
 */
export function allowedErrors(
  def: OptimizerDef,
  spec: Pick<GoldenSpec, 'hyper' | 'params' | 'state' | 'steps'>,
  dtype: Dtype,
): { params: number[]; state: Record<string, number[]> }[] {
  const p = precisionOf(dtype);
  const n = spec.params.length;
  const h0 = resolveHyper(def.hyper, spec.hyper, [spec.steps[0]?.hyper]);
  const names = def.stateNames(h0);
  let t = spec.state?.step ?? 0;
  const init = (name: string): ArrayLike<number> => {
    const v = spec.state?.[name];
    return Array.isArray(v) ? v : freshArray(def, name, { ...spec.hyper, ...spec.steps[0]?.hyper }, n);
  };
  let params = spec.params.map((x) => Bounded.input(x, p));
  let states: ElementState<Bounded>[] = spec.params.map((_, i) => Object.fromEntries(names.map((name) => [name, Bounded.input(init(name)[i], p)])));
  const out: { params: number[]; state: Record<string, number[]> }[] = [];
  spec.steps.forEach((s, k) => {
    const h = resolveHyper(
      def.hyper,
      spec.hyper,
      spec.steps.slice(0, k + 1).map((x) => x.hyper),
      (x) => Bounded.hyper(x, p),
    );
    t += 1;
    const results = params.map((x, i) => def.step(x, Bounded.input(s.grad[i], p), states[i], h, t));
    // PREC-8: what a step stores is carried into the next one settled
    params = results.map((r) => r.param.settle());
    states = results.map((r) => Object.fromEntries(Object.entries(r.state).map(([name, x]) => [name, x.settle()])));
    const state: Record<string, number[]> = {};
    for (const name of Object.keys(results[0]?.state ?? {})) state[name] = states.map((st) => ORDER_FACTOR * st[name].bound);
    out.push({ params: params.map((x) => ORDER_FACTOR * x.bound), state });
  });
  return out;
}

function dtypeOutput(value: readonly number[], allowed: readonly number[], dtype: Dtype): GoldenDtypeOutput {
  const allowedOut = allowed.map(roundUp);
  const ulps = allowedOut.map((a, i) => {
    if (a === 'Infinity' || typeof a !== 'number') return 'Infinity' as const;
    return roundUp(a / ulp(value[i], dtype));
  });
  return { value: value.map(encodeNumber), allowed: allowedOut, allowed_ulps: ulps };
}

/**
 * GOLD-1, GOLD-2, GOLD-3, GOLD-4: a golden file from a curated spec — the reference trajectory
 * (starting at GOLDEN_PRECISION digits, NOTE-4), and per dtype the correctly rounded values and
 * allowed errors.
 */
export function buildGoldenFile(spec: GoldenSpec): GoldenFile {
  const def = definitionOf(spec.definition);
  checkRepresentable(spec);
  const saved = precision();
  setPrecision(GOLDEN_PRECISION);
  try {
    // GOLD-3: every value correctly rounded to each dtype and to GOLDEN_DIGITS digits (NOTE-4, NOTE-5)
    const trajectory = roundedTrajectory(def, spec, { dtypes: spec.dtypes, digits: GOLDEN_DIGITS });
    const bounds = Object.fromEntries(spec.dtypes.map((d) => [d, allowedErrors(def, spec, d)]));
    const expected: GoldenStep[] = trajectory.map((s, k) => {
      const state: Record<string, string[] | number> = {};
      for (const [name, v] of Object.entries(s.state)) state[name] = typeof v === 'number' ? v : v.text;
      const dtypes: GoldenStep['dtypes'] = {};
      for (const dtype of spec.dtypes) {
        const b = bounds[dtype][k];
        const st: Record<string, GoldenDtypeOutput> = {};
        for (const [name, v] of Object.entries(s.state)) if (typeof v !== 'number') st[name] = dtypeOutput(v.rounded[dtype] as number[], b.state[name], dtype);
        dtypes[dtype] = { params: dtypeOutput(s.params.rounded[dtype] as number[], b.params, dtype), state: st };
      }
      return { step: s.state.step, params: s.params.text, state, dtypes };
    });
    addStepWise(def, spec, expected);
    const [family, variant] = def.name.split('/');
    const c: Case = { optimizer: family, variant, dtype: spec.dtypes[0], hyper: spec.hyper, params: spec.params, state: spec.state, steps: spec.steps };
    const clauses = [...new Set([...exercisedClauses(def, c), ...(spec.steps.some((s) => s.hyper) ? ['NOTE-3'] : []), ...(spec.extraClauses ?? [])])];
    return {
      format: GOLDEN_FORMAT,
      name: spec.name,
      description: spec.description,
      clauses,
      ...(spec.knownDefects !== undefined ? { known_defects: knownDefectsOf(spec) } : {}),
      reference: {
        implementation: REFERENCE_NAME,
        precision: GOLDEN_PRECISION,
        digits: GOLDEN_DIGITS,
        allowed_digits: ALLOWED_DIGITS,
        order_factor: ORDER_FACTOR,
      },
      case: {
        optimizer: family,
        ...(variant !== undefined ? { variant } : {}),
        hyper: spec.hyper,
        hyper_exact: exactHyper(spec.hyper),
        params: spec.params.map(encodeNumber),
        state: spec.state,
        steps: spec.steps.map((s) => ({ grad: s.grad.map(encodeNumber), ...(s.hyper ? { hyper: s.hyper } : {}) })),
      },
      dtypes: [...spec.dtypes],
      expected,
    };
  } finally {
    setPrecision(saved);
  }
}

/** GOLD-8: a case's declared known defects, by id, each with dtypes of the file in the file's order (throws on one it does not list). */
function knownDefectsOf(spec: GoldenSpec): Record<string, Dtype[]> {
  const out: Record<string, Dtype[]> = {};
  for (const id of Object.keys(spec.knownDefects ?? {}).sort()) {
    const dtypes = spec.knownDefects![id];
    const stray = dtypes.find((d) => !spec.dtypes.includes(d));
    if (stray !== undefined) throw new Error(`${spec.name}: known defect ${id} in ${stray}, a dtype the file does not list`);
    out[id] = spec.dtypes.filter((d) => dtypes.includes(d));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step-wise expectations (GOLD-7)

/** NOTE-3: the hyperparameters in force at step `k` (0-based): the case's, with every override up to it. */
export function hyperAt(c: { readonly hyper: WireHyper; readonly steps: readonly { readonly hyper?: WireHyper }[] }, k: number): WireHyper {
  return Object.assign({}, c.hyper, ...c.steps.slice(0, k + 1).map((s) => s.hyper ?? {})) as WireHyper;
}

/**
 * GOLD-7: the state before step `k` (0-based, k ≥ 1) in `dtype` — the parameters and the input
 * state (the definition's state names, NOTE-2) the file lists, correctly rounded, after step k − 1.
 */
function beforeStep(def: OptimizerDef, spec: Pick<GoldenSpec, 'hyper' | 'steps'>, previous: GoldenStep, dtype: Dtype): GoldenBefore {
  const out = previous.dtypes[dtype];
  const finite = (xs: WireNumber[], what: string) => {
    if (xs.some((x) => typeof x !== 'number')) throw new Error(`step ${previous.step + 1} cannot start from a non-finite ${what} in ${dtype} (GOLD-7)`);
    return xs;
  };
  const names = def.stateNames(resolveHyper(def.hyper, spec.hyper, [spec.steps[0]?.hyper]));
  const state: Record<string, WireNumber[] | number> = { step: previous.state.step as number };
  for (const name of names) state[name] = finite(out.state[name].value, `state.${name}`);
  return { params: finite(out.params.value, 'params'), state: state as GoldenBefore['state'] };
}

/** GOLD-7: the one-step case that step `k` (0-based) is checked on from `before`, with the hyperparameters in force then. */
export function singleStepCase(
  c: { readonly hyper: WireHyper; readonly steps: readonly { readonly grad: readonly WireNumber[]; readonly hyper?: WireHyper }[] },
  k: number,
  before: GoldenBefore,
): { hyper: WireHyper; params: number[]; state: Case['state']; steps: { grad: number[] }[] } {
  const num = (x: WireNumber): number => decodeNumber(x) as number;
  const state: Record<string, number[] | number> = { step: before.state.step };
  for (const [name, v] of Object.entries(before.state)) if (typeof v !== 'number') state[name] = v.map(num);
  return { hyper: hyperAt(c, k), params: before.params.map(num), state: state as Case['state'], steps: [{ grad: c.steps[k].grad.map(num) }] };
}

/** GOLD-7: one output of a single step: its exact strings and, in the dtype, its correctly rounded values and allowed errors (NOTE-4, NOTE-5). */
function stepWiseOutput(v: RoundedValues, allowed: readonly number[], dtype: Dtype): GoldenStepWiseOutput {
  return { expected: v.text, ...dtypeOutput(v.rounded[dtype] as number[], allowed, dtype) };
}

/**
 * GOLD-7, PREC-7: every step from the second on, per dtype, gets the state before it (the
 * previous step's values in the dtype), its exact outcome from there and the single-step bound.
 */
function addStepWise(def: OptimizerDef, spec: GoldenSpec, expected: GoldenStep[]): void {
  for (let k = 1; k < expected.length; k++) {
    for (const dtype of spec.dtypes) {
      const before = beforeStep(def, spec, expected[k - 1], dtype);
      const one = singleStepCase(spec, k, before);
      const [s] = roundedTrajectory(def, one, { dtypes: [dtype], digits: GOLDEN_DIGITS });
      const [b] = allowedErrors(def, one, dtype);
      const state: Record<string, GoldenStepWiseOutput> = {};
      for (const [name, v] of Object.entries(s.state)) if (typeof v !== 'number') state[name] = stepWiseOutput(v, b.state[name], dtype);
      const slot = expected[k].dtypes[dtype] as { step_wise?: GoldenStepWise };
      slot.step_wise = { before, params: stepWiseOutput(s.params, b.params, dtype), state };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Serialization

function scalar(x: unknown): string {
  if (typeof x === 'number') {
    if (Object.is(x, -0)) return '-0';
    const w = encodeNumber(x);
    return typeof w === 'number' ? String(w) : JSON.stringify(w);
  }
  return JSON.stringify(x);
}

function write(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return scalar(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map(scalar).join(', ')}]`;
    return `[\n${value.map((v) => inner + write(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${write(v, inner)}`).join(',\n')}\n${indent}}`;
}

/**
 * GOLD-1: the bytes of a golden file — keys in the order the objects are built, two-space
 * indentation, arrays of numbers and strings on one line, numbers as JavaScript's shortest
 * round-trip decimal (-0 as `-0`, non-finite values as strings), a final newline.
 */
export function serializeGolden(value: unknown): string {
  return `${write(value, '')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Manifest and schema

export interface ManifestEntry {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly optimizer: string;
  readonly dtypes: readonly Dtype[];
  readonly clauses: readonly string[];
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** GOLD-5: the manifest of a set of golden files — every file with its SHA-256, sorted by name. */
export function buildManifest(files: readonly { file: string; text: string; golden: GoldenFile }[]): string {
  const entries: ManifestEntry[] = [...files]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map(({ file, text, golden }) => ({
      file,
      sha256: sha256(text),
      bytes: Buffer.byteLength(text),
      optimizer: golden.case.variant ? `${golden.case.optimizer}/${golden.case.variant}` : golden.case.optimizer,
      dtypes: golden.dtypes,
      clauses: golden.clauses,
    }));
  return serializeGolden({ format: MANIFEST_FORMAT, golden_format: GOLDEN_FORMAT, files: entries });
}

export const SCHEMA_URL = new URL('./schema.json', import.meta.url);

let validator: ReturnType<Ajv2020['compile']> | undefined;

/** GOLD-1: a parsed golden file checked against conformance/golden/schema.json; the first error in words, or undefined. */
export function validateGolden(value: unknown): string | undefined {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: false, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object);
  }
  if (!validator(value)) return describeSchemaError(validator.errors);
  // GOLD-8: a declared defect the catalog does not have would silently explain nothing
  const unknown = Object.keys((value as GoldenFile).known_defects ?? {}).filter((id) => !KNOWN_DEFECTS.some((d) => d.name === id));
  if (unknown.length > 0) return `known_defects names ${unknown.join(', ')}, not a known defect (${KNOWN_DEFECTS.map((d) => d.name).join(', ')})`;
  return undefined;
}

/** A golden file's case as the protocol's Case for one dtype. */
export function goldenCase(g: GoldenFile, dtype: Dtype): Case {
  const num = (x: WireNumber): number => decodeNumber(x) as number;
  return {
    optimizer: g.case.optimizer,
    ...(g.case.variant !== undefined ? { variant: g.case.variant } : {}),
    dtype,
    hyper: g.case.hyper,
    params: g.case.params.map(num),
    state: g.case.state,
    steps: g.case.steps.map((s) => ({ grad: s.grad.map(num), ...(s.hyper ? { hyper: s.hyper } : {}) })),
  };
}
