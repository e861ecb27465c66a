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
import { exactString, isRepresentable, roundToDtype, ulp, type Dtype } from '../../reference/dtype.ts';
import { resolveHyper, type ElementState } from '../../reference/notation.ts';
import { findOptimizer, freshArray, type OptimizerDef } from '../../reference/registry.ts';
import { referenceTrajectory } from '../../reference/trajectory.ts';
import type { Case } from '../check/case.ts';
import { Bounded, ORDER_FACTOR, precisionOf } from '../check/error-model.ts';
import { exercisedClauses } from '../check/exercised.ts';
import type { WireHyper } from '../protocol/messages.ts';
import { describeSchemaError } from '../protocol/messages.ts';
import { decodeNumber, encodeNumber, type WireNumber } from '../protocol/wire.ts';

export const GOLDEN_FORMAT = 'optconf-golden/1';
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
}

export interface GoldenDtypeOutput {
  readonly value: WireNumber[];
  readonly allowed: WireNumber[];
  readonly allowed_ulps: WireNumber[];
}

export interface GoldenStep {
  readonly step: number;
  readonly params: string[];
  readonly state: Record<string, string[] | number>;
  readonly dtypes: Record<string, { params: GoldenDtypeOutput; state: Record<string, GoldenDtypeOutput> }>;
}

export interface GoldenFile {
  readonly format: string;
  readonly name: string;
  readonly description: string;
  readonly clauses: string[];
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

/** GOLD-3: a reference value as a decimal string of GOLDEN_DIGITS significant digits. */
export function expectedString(d: Dec): string {
  return d.isFinite() ? d.toSignificantDigits(GOLDEN_DIGITS, Dec.ROUND_HALF_EVEN).toString() : d.toString();
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
    params = results.map((r) => r.param);
    states = results.map((r) => r.state);
    const state: Record<string, number[]> = {};
    for (const name of Object.keys(results[0]?.state ?? {})) state[name] = states.map((st) => ORDER_FACTOR * st[name].bound);
    out.push({ params: params.map((x) => ORDER_FACTOR * x.bound), state });
  });
  return out;
}

function dtypeOutput(exactValues: readonly Dec[], allowed: readonly number[], dtype: Dtype): GoldenDtypeOutput {
  const value = exactValues.map((d) => roundToDtype(d, dtype));
  const allowedOut = allowed.map(roundUp);
  const ulps = allowedOut.map((a, i) => {
    if (a === 'Infinity' || typeof a !== 'number') return 'Infinity' as const;
    return roundUp(a / ulp(value[i], dtype));
  });
  return { value: value.map(encodeNumber), allowed: allowedOut, allowed_ulps: ulps };
}

/**
 * GOLD-1, GOLD-2, GOLD-3, GOLD-4: a golden file from a curated spec — the reference trajectory
 * at GOLDEN_PRECISION digits, and per dtype the correctly rounded values and allowed errors.
 */
export function buildGoldenFile(spec: GoldenSpec): GoldenFile {
  const def = definitionOf(spec.definition);
  checkRepresentable(spec);
  const saved = precision();
  setPrecision(GOLDEN_PRECISION);
  try {
    const trajectory = referenceTrajectory(def, spec);
    const bounds = Object.fromEntries(spec.dtypes.map((d) => [d, allowedErrors(def, spec, d)]));
    const expected: GoldenStep[] = trajectory.map((s, k) => {
      const state: Record<string, string[] | number> = {};
      for (const [name, v] of Object.entries(s.state)) state[name] = typeof v === 'number' ? v : v.map(expectedString);
      const dtypes: GoldenStep['dtypes'] = {};
      for (const dtype of spec.dtypes) {
        const b = bounds[dtype][k];
        const st: Record<string, GoldenDtypeOutput> = {};
        for (const [name, v] of Object.entries(s.state)) if (typeof v !== 'number') st[name] = dtypeOutput(v, b.state[name], dtype);
        dtypes[dtype] = { params: dtypeOutput(s.params, b.params, dtype), state: st };
      }
      return { step: s.state.step, params: s.params.map(expectedString), state, dtypes };
    });
    const [family, variant] = def.name.split('/');
    const c: Case = { optimizer: family, variant, dtype: spec.dtypes[0], hyper: spec.hyper, params: spec.params, state: spec.state, steps: spec.steps };
    const clauses = [...new Set([...exercisedClauses(def, c), ...(spec.steps.some((s) => s.hyper) ? ['NOTE-3'] : []), ...(spec.extraClauses ?? [])])];
    return {
      format: GOLDEN_FORMAT,
      name: spec.name,
      description: spec.description,
      clauses,
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
  if (validator(value)) return undefined;
  return describeSchemaError(validator.errors);
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
