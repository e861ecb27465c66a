/**
 * PROTO-9 at the level of messages: which fields of a run request and of a result reply are tensor
 * arrays (PROTO-3), writing them all as base64 arrays, and decoding the encoded arrays the streaming
 * reader (stream-json.ts) left as objects because they are malformed — with an error that names
 * the array, the way a JSON array of the wrong length is named.
 */
import type { Dtype } from '../../reference/dtype.ts';
import type { RunReply, RunRequest, WireArray } from './messages.ts';
import { base64DtypeFor, cameAsBase64, decodeBase64Array, encodeBase64Array, looksBase64Encoded } from './wire.ts';

type Encode = (values: WireArray) => unknown;

/** The arrays of a state object (`step` is a counter, not an array). */
function mapStateArrays(state: object, f: (values: unknown, name: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).map(([name, v]) => [name, name === 'step' ? v : f(v, name)]));
}

/**
 * PROTO-9: the run request with every tensor array (params, state arrays, every grad) written as
 * base64: float64 bytes for a float64 case, float32 bytes for the others, which hold every
 * float32, bfloat16 and float16 value exactly.
 */
export function encodeRequestArrays(request: RunRequest): unknown {
  const dtype = base64DtypeFor(request.dtype);
  const encode: Encode = (values) => encodeBase64Array(values, dtype);
  return {
    ...request,
    params: encode(request.params),
    state: request.state === null ? null : mapStateArrays(request.state, (v) => encode(v as WireArray)),
    steps: request.steps.map((s) => ({ ...s, grad: encode(s.grad) })),
  };
}

/** PROTO-9: a result reply with every tensor array (each step's params and state arrays) written as base64 of the case's dtype. */
export function encodeReplyArrays(reply: RunReply, dtype: Dtype): unknown {
  if (reply.op !== 'result') return reply;
  const encode: Encode = (values) => encodeBase64Array(values, base64DtypeFor(dtype));
  return {
    ...reply,
    steps: reply.steps.map((s) => ({
      ...s,
      params: encode(s.params),
      ...(s.state === undefined ? {} : { state: mapStateArrays(s.state, (v) => encode(v as WireArray)) }),
    })),
  };
}

/** PROTO-9: whether a request's params came as a base64 array, so its reply goes back the same way. */
export function requestCameAsBase64(request: RunRequest): boolean {
  return cameAsBase64(request.params);
}

/** A base64 array decoded (or its error, naming it); anything else as it is. */
const decoded = (value: unknown, what: string): unknown => (looksBase64Encoded(value) ? decodeBase64Array(value, what) : value);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * PROTO-9: a parsed run request with any base64 array still an object decoded in place. The
 * streaming reader decodes the well-formed ones, so what is left is malformed: this throws an
 * error naming it as the float adapter names arrays (`steps[1].grad: base64 holds 10 bytes, …`).
 * Fields of the wrong type are left for the schema to name.
 */
export function decodeRequestArrays(message: Record<string, unknown>): void {
  if ('params' in message) message.params = decoded(message.params, 'params');
  if (isObject(message.state)) message.state = mapStateArrays(message.state, (v, name) => decoded(v, `state.${name}`));
  if (Array.isArray(message.steps)) for (const [k, s] of message.steps.entries()) if (isObject(s) && 'grad' in s) s.grad = decoded(s.grad, `steps[${k}].grad`);
}

/**
 * PROTO-9: a parsed result reply with any base64 array still an object decoded in place; what is
 * left is malformed, and this throws an error naming it as the checker names arrays
 * (`step 2 params: base64 holds 10 bytes, not a multiple of 4 (float32)`).
 */
export function decodeReplyArrays(message: Record<string, unknown>): void {
  if (message.op !== 'result' || !Array.isArray(message.steps)) return;
  for (const [k, s] of message.steps.entries()) {
    if (!isObject(s)) continue;
    if ('params' in s) s.params = decoded(s.params, `step ${k + 1} params`);
    if (isObject(s.state)) s.state = mapStateArrays(s.state, (v, name) => decoded(v, `step ${k + 1} state.${name}`));
  }
}
