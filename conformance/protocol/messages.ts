/**
 * The optconf/1 messages (spec/protocol.md) as TypeScript types, and their validation with a
 * JSON Schema (Ajv) so a malformed message gets an error that names the offending field.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { Dtype } from '../../reference/dtype.ts';
import { isStrictBase64, type JsonStrings, type WireNumber } from './wire.ts';

export const PROTOCOL = 'optconf/1';

export type WireHyper = Readonly<Record<string, number | boolean>>;
/**
 * An array of wire numbers as JSON.parse gives it, or as the streaming reader (stream-json.ts)
 * reads it: a Float64Array (NaN and infinities already numbers, -0 kept). On the wire a tensor
 * array may also be a base64 array (PROTO-9, wire.ts); the reader decodes those into Float64Arrays
 * and the process and server layers (process.ts, serve.ts) decode or refuse what it left.
 */
export type WireArray = readonly WireNumber[] | Float64Array;
export interface WireState {
  readonly step: number;
  readonly [name: string]: WireArray | number;
}
export interface WireStepInput {
  readonly grad: WireArray;
  readonly hyper?: WireHyper;
}

export interface RunRequest {
  readonly op: 'run';
  readonly id: string;
  readonly optimizer: string;
  /** optconf extension: a named variant (`eps-inside-sqrt` or `adam/eps-inside-sqrt`); the reference honours it */
  readonly variant?: string;
  readonly dtype: Dtype;
  readonly hyper: WireHyper;
  readonly params: WireArray;
  readonly state: WireState | null;
  readonly steps: readonly WireStepInput[];
}

/** The `exact` strings of an output: parsed, or, in a reply the reference server is writing, already JSON text (wire.ts). */
export type ExactStrings = readonly string[] | JsonStrings;

export interface WireStepOutput {
  readonly params: WireArray;
  readonly state?: WireState;
  /** optconf extension from `optconf reference`: the exact values as decimal strings (a reply being written may hold them as JSON text) */
  readonly exact?: { readonly params: ExactStrings; readonly state: Readonly<Record<string, ExactStrings | number>> };
}

export type RunReply =
  | { readonly op: 'result'; readonly id: string; readonly steps: readonly WireStepOutput[] }
  | { readonly op: 'unsupported'; readonly id: string; readonly reason: string }
  | { readonly op: 'error'; readonly id: string | null; readonly message: string };

/**
 * PROTO-4: the values of a numeric hyperparameter an implementation accepts: `[lo, hi]`, both ends
 * included, or JSON Schema's bounds, where `exclusive…` leaves its end out (at least one given).
 */
export type WireRange =
  readonly [number, number] | { readonly minimum?: number; readonly maximum?: number; readonly exclusiveMinimum?: number; readonly exclusiveMaximum?: number };
export type WireRanges = Readonly<Record<string, WireRange>>;

export interface Support {
  readonly optimizer: string;
  readonly dtypes: readonly Dtype[];
  /** hyperparameters the implementation cannot vary, pinned to these values */
  readonly fixed?: WireHyper;
  /** PROTO-4: numeric hyperparameters it accepts only within these ranges */
  readonly ranges?: WireRanges;
  /** whether it returns `state` after each step (assumed true when absent) */
  readonly returnsState?: boolean;
}

export interface HelloReply {
  readonly op: 'hello';
  readonly protocol: string;
  readonly implementation: string;
  readonly supports: readonly Support[];
  /** PROTO-9: the implementation reads base64 arrays, so the runner sends every tensor array so */
  readonly base64Arrays?: boolean;
}

const wireNumber = { oneOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
const numberArray = { type: 'array', items: wireNumber };
/** PROTO-9: a tensor array as base64 bytes */
const base64Array = {
  type: 'object',
  required: ['dtype', 'base64'],
  additionalProperties: false,
  properties: { dtype: { enum: ['float32', 'float64'] }, base64: { type: 'string', format: 'base64' } },
};
/** PROTO-3, PROTO-9: an object is checked as a base64 array, anything else as an array of numbers (so errors name the right field) */
const wireArray = { if: { type: 'object' }, then: base64Array, else: numberArray };
/**
 * PROTO-7: hyperparameters by name, numbers or booleans. PyTorch's `betas` (a pair) is no family's
 * name; refused here by name, before its value's type could be blamed instead.
 */
const hyper = {
  type: 'object',
  properties: { betas: { not: {}, errorText: 'unknown hyperparameter betas (use beta1, beta2)' } },
  additionalProperties: { type: ['number', 'boolean'] },
};
/** PROTO-5: `state.step`, the steps already taken; `errorText` is the whole message for any error in it (describeSchemaError) */
const stepCounter = { type: 'integer', minimum: 0, errorText: 'state.step must be an integer ≥ 0' };
const dtype = { enum: ['float64', 'float32', 'bfloat16', 'float16'] };
/** PROTO-4: a capability range, `[lo, hi]` or JSON Schema's bounds (a lower one at most, an upper one at most) */
const range = {
  if: { type: 'array' },
  then: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, errorText: 'a range is [lo, hi] (two numbers) or an object of bounds' },
  else: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      minimum: { type: 'number' },
      maximum: { type: 'number' },
      exclusiveMinimum: { type: 'number' },
      exclusiveMaximum: { type: 'number' },
    },
    not: { anyOf: [{ required: ['minimum', 'exclusiveMinimum'] }, { required: ['maximum', 'exclusiveMaximum'] }] },
    errorText: 'a range object has minimum or exclusiveMinimum, maximum or exclusiveMaximum (numbers), at least one',
  },
};

export const RUN_REQUEST_SCHEMA = {
  type: 'object',
  required: ['op', 'id', 'optimizer', 'dtype', 'hyper', 'params', 'state', 'steps'],
  additionalProperties: false,
  properties: {
    op: { const: 'run' },
    id: { type: 'string', minLength: 1 },
    optimizer: { type: 'string' },
    variant: { type: 'string' },
    dtype,
    hyper,
    params: wireArray,
    // null or an object; not oneOf, whose first error would be "must be null" for a bad step
    state: { type: ['null', 'object'], required: ['step'], properties: { step: stepCounter }, additionalProperties: wireArray },
    steps: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['grad'], additionalProperties: false, properties: { grad: wireArray, hyper } },
    },
  },
} as const;

const stepOutput = {
  type: 'object',
  required: ['params'],
  properties: {
    params: wireArray,
    state: { type: 'object', required: ['step'], properties: { step: { type: 'integer', minimum: 0 } }, additionalProperties: wireArray },
  },
};

export const RUN_REPLY_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      required: ['op', 'id', 'steps'],
      properties: { op: { const: 'result' }, id: { type: 'string' }, steps: { type: 'array', items: stepOutput } },
    },
    { type: 'object', required: ['op', 'id', 'reason'], properties: { op: { const: 'unsupported' }, id: { type: 'string' }, reason: { type: 'string' } } },
    { type: 'object', required: ['op', 'message'], properties: { op: { const: 'error' }, id: { type: ['string', 'null'] }, message: { type: 'string' } } },
  ],
} as const;

export const HELLO_REPLY_SCHEMA = {
  type: 'object',
  required: ['op', 'protocol', 'implementation', 'supports'],
  properties: {
    op: { const: 'hello' },
    protocol: { type: 'string' },
    implementation: { type: 'string' },
    supports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['optimizer', 'dtypes'],
        properties: {
          optimizer: { type: 'string' },
          dtypes: { type: 'array', items: dtype },
          fixed: hyper,
          ranges: { type: 'object', additionalProperties: range },
          returnsState: { type: 'boolean' },
        },
      },
    },
    base64Arrays: { type: 'boolean' },
  },
} as const;

// verbose: an error carries its schema, so a field's `errorText` can replace Ajv's wording
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
ajv.addKeyword({ keyword: 'errorText', schemaType: 'string' });
ajv.addFormat('base64', { type: 'string', validate: (text: string) => isStrictBase64(text) });
const validators = {
  run: ajv.compile(RUN_REQUEST_SCHEMA),
  reply: ajv.compile(RUN_REPLY_SCHEMA),
  hello: ajv.compile(HELLO_REPLY_SCHEMA),
};

/** The first schema error as one readable line: `/steps/0/grad/2 must be number`. */
export function describeSchemaError(errors: readonly ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'does not match the schema';
  const text = (e.parentSchema as { errorText?: unknown } | undefined)?.errorText;
  if (typeof text === 'string') return text;
  const where = e.instancePath === '' ? 'message' : e.instancePath;
  const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function check<T>(kind: keyof typeof validators, value: unknown): Checked<T> {
  const v = validators[kind];
  return v(value) ? { ok: true, value: value as T } : { ok: false, error: describeSchemaError(v.errors) };
}

/** PROTO-5: a run request, checked against its schema. */
export const checkRunRequest = (value: unknown) => check<RunRequest>('run', value);
/** PROTO-6: a result, unsupported or error reply, checked against its schema. */
export const checkRunReply = (value: unknown) => check<RunReply>('reply', value);
/** PROTO-4: a hello reply with its capabilities, checked against its schema. */
export const checkHello = (value: unknown) => check<HelloReply>('hello', value);
