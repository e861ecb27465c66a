/**
 * The error model (spec/precision.md) compiled: a reference step, written once and generically
 * (reference/scalar.ts), is run once on a *tracing* scalar that records its operation graph, and the
 * graph is emitted as a straight-line JavaScript loop over Float64Arrays that computes, per element,
 * exactly the double operations `Bounded` computes (v, e, r, w), in the same order — so a kernel and
 * `Bounded` agree bit for bit (tests/conformance/kernel.test.ts checks it over every definition).
 *
 * Hyperparameter-only subexpressions (lr, 1 − β, βᵗ, 1 − βᵗ) are evaluated once per step with
 * `Bounded` itself while tracing, and branches on hyperparameters (`isZero`, flags, `t === 1`) are
 * resolved then; what reaches the kernel is the tensor part only. Kernels are cached by their source
 * text, so a case re-traces every step (microseconds) but compiles once per graph shape. A step that
 * branches on a tensor value cannot be compiled: `evaluateStep` then falls back to `Bounded` per element.
 */
import { flag } from '../../reference/notation.ts';
import type { Hyper } from '../../reference/notation.ts';
import type { OptimizerDef } from '../../reference/registry.ts';
import type { Scalar } from '../../reference/scalar.ts';
import { Bounded, ORDER_FACTOR, branchSide, type Precision } from './error-model.ts';

/** One tensor of bounded values: value, honest bound e (+ underflow w), own float64 error r. */
export interface Fields {
  readonly v: Float64Array;
  /** null for values known exactly (inputs in the dtype): e = r = w = 0 */
  readonly e: Float64Array | null;
  readonly r: Float64Array | null;
  readonly w: Float64Array | null;
}

/** A tensor known exactly (e = r = w = 0), as the protocol's inputs are. */
export function exactFields(v: Float64Array): Fields {
  return { v, e: null, r: null, w: null };
}

/**
 * PREC-8: a stored tensor carried into the next step — its underflow channel `w` joins its bound
 * `e` (a value stored after a step is held in its own units by every honest order).
 */
export function settledFields(f: Fields): Fields {
  if (f.e === null || f.w === null) return f;
  const e = new Float64Array(f.e.length);
  for (let i = 0; i < e.length; i++) e[i] = f.e[i] + f.w[i];
  return { v: f.v, e, r: f.r, w: new Float64Array(e.length) };
}

class Untraceable extends Error {}

type Ref = { readonly kind: 'node'; readonly id: number } | { readonly kind: 'const'; readonly id: number } | { readonly kind: 'leaf'; readonly id: number };

type Op = 'plus' | 'times' | 'div' | 'sqrt' | 'neg' | 'pow' | 'max' | 'abs' | 'sign' | 'held32' | 'hull';

interface OpNode {
  readonly op: Op;
  readonly a: Ref;
  readonly b?: Ref;
  readonly n?: number;
}

class Graph {
  readonly nodes: OpNode[] = [];
  readonly consts: Bounded[] = [];
  constructor(readonly p: Precision) {}
  node(op: OpNode): Trace {
    this.nodes.push(op);
    return new Trace(this, { kind: 'node', id: this.nodes.length - 1 });
  }
  constRef(b: Bounded): Ref {
    this.consts.push(b);
    return { kind: 'const', id: this.consts.length - 1 };
  }
}

/**
 * PREC-2, PREC-3: the tracing scalar. A hyperparameter-only value holds its `Bounded` evaluation
 * (scalar arithmetic, done now); a tensor value is a node of the graph.
 */
class Trace implements Scalar<Trace> {
  constructor(
    readonly g: Graph,
    readonly ref: Ref | null,
    readonly s?: Bounded,
  ) {}

  static scalar(g: Graph, b: Bounded): Trace {
    return new Trace(g, null, b);
  }

  private lift(y: Trace | number): Trace {
    return typeof y === 'number' ? Trace.scalar(this.g, Bounded.hyper(y, this.g.p)) : y;
  }
  private refOf(): Ref {
    return this.ref ?? this.g.constRef(this.s as Bounded);
  }
  private binary(op: 'plus' | 'times' | 'div' | 'max' | 'hull', y: Trace, eager: (a: Bounded, b: Bounded) => Bounded): Trace {
    if (this.s && y.s) return Trace.scalar(this.g, eager(this.s, y.s));
    return this.g.node({ op, a: this.refOf(), b: y.refOf() });
  }
  plus(other: Trace | number): Trace {
    return this.binary('plus', this.lift(other), (a, b) => a.plus(b));
  }
  minus(other: Trace | number): Trace {
    // as Bounded.minus: this + (−y)
    return this.plus(this.lift(other).neg());
  }
  times(y: Trace): Trace {
    return this.binary('times', y, (a, b) => a.times(b));
  }
  div(y: Trace): Trace {
    return this.binary('div', y, (a, b) => a.div(b));
  }
  max(y: Trace): Trace {
    return this.binary('max', y, (a, b) => a.max(b));
  }
  sqrt(): Trace {
    return this.s ? Trace.scalar(this.g, this.s.sqrt()) : this.g.node({ op: 'sqrt', a: this.refOf() });
  }
  neg(): Trace {
    return this.s ? Trace.scalar(this.g, this.s.neg()) : this.g.node({ op: 'neg', a: this.refOf() });
  }
  pow(n: number): Trace {
    return this.s ? Trace.scalar(this.g, this.s.pow(n)) : this.g.node({ op: 'pow', a: this.refOf(), n });
  }
  abs(): Trace {
    return this.unary('abs', (b) => b.abs());
  }
  signum(): Trace {
    return this.unary('sign', (b) => b.signum());
  }
  heldInFloat32(): Trace {
    return this.unary('held32', (b) => b.heldInFloat32());
  }
  /** PREC-11: a scalar's power only (NAdam's schedule); a tensor exponent falls back to `Bounded`. */
  powerOf(base: number): Trace {
    return Trace.scalar(this.g, this.known().powerOf(base));
  }
  integer(n: number): Trace {
    return Trace.scalar(this.g, Bounded.hyper(n, this.g.p));
  }
  /** DEFECT-3: scalars only (a defect's step size); a tensor falls back to `Bounded`. */
  roundedToFloat32(): Trace {
    return Trace.scalar(this.g, this.known().roundedToFloat32());
  }
  /** PREC-10: decided now, on the scalar's `Bounded` value; where both branches are honest, both are traced and joined by a `hull` node. */
  whenPositive(above: () => Trace, below: () => Trace): Trace {
    const side = branchSide(this.known());
    if (side === 'above') return above();
    if (side === 'below') return below();
    const [first, second] = (this.s as Bounded).v > 0 ? [above(), below()] : [below(), above()];
    return first.binary('hull', second, (a, b) => a.hullWith(b));
  }
  private unary(op: 'abs' | 'sign' | 'held32', eager: (a: Bounded) => Bounded): Trace {
    return this.s ? Trace.scalar(this.g, eager(this.s)) : this.g.node({ op, a: this.refOf() });
  }
  private known(): Bounded {
    if (!this.s) throw new Untraceable('the step branches on a tensor value');
    return this.s;
  }
  isZero(): boolean {
    return this.known().isZero();
  }
  isNegative(): boolean {
    return this.known().isNegative();
  }
  gte(y: Trace): boolean {
    return this.known().gte(y.known());
  }
  gt(y: Trace): boolean {
    return this.known().gt(y.known());
  }
}

/**
 * PREC-2, PREC-6: the double operation of a node on its operands' values, as `Bounded` performs it —
 * one text for both kernels (`emit`, `emitScreen`), so their values agree bit for bit.
 */
function valueOf(nd: OpNode, a: string, b = ''): string {
  switch (nd.op) {
    case 'neg':
      return `-${a}`;
    case 'plus':
      return `${a} + ${b}`;
    case 'times':
      return `${a} * ${b}`;
    case 'div':
      return `${a} / ${b}`;
    case 'sqrt':
      // √(−0) is −0 but max(−0, 0) is +0, as Bounded computes it
      return `(${a} < 0 ? NaN : Math.sqrt(Math.max(${a}, 0)))`;
    case 'pow':
      return `${a} ** ${nd.n}`;
    case 'max':
      // NaN when either is NaN, as Bounded.max and torch.maximum (NOTE-7)
      return `${a} >= ${b} || ${a} !== ${a} ? ${a} : ${b}`;
    case 'abs':
      return `Math.abs(${a})`;
    case 'sign':
      return `Math.sign(${a})`;
    case 'held32':
    case 'hull':
      return a;
  }
}

/** PREC-9: the double expression of sign's error (error-model.ts `signError`) from its argument's value and bound. */
function signErrorOf(v: string, bound: string): string {
  return `(${v} !== ${v} ? Infinity : ${bound} === 0 || Math.abs(${v}) > ${bound} ? 0 : ${v} === 0 ? 1 : 2)`;
}

/** The double expressions of an operand's fields in the generated source. */
interface Operand {
  readonly v: string;
  readonly e: string;
  readonly r: string;
  readonly w: string;
  /** PREC-9: whether the value is known exactly (Bounded.x) */
  readonly x: string;
  readonly scalar: boolean;
}

/** A compiled loop: n elements; L the leaves' (and O the outputs') arrays, four slots each; C the constants' fields; P the precision. */
type KernelFn = (
  n: number,
  L: readonly (ArrayLike<number> | null)[],
  O: readonly (Float64Array | Uint8Array | Int32Array)[],
  C: Float64Array,
  P: Float64Array,
) => void;

const CACHE = new Map<string, KernelFn>();
const U64 = 2 ** -53;
const ETA64 = 2 ** -1075;

/**
 * The loop body: per element, each node's v, e, r, w exactly as `Bounded` computes them
 * (error-model.ts; the expressions below mirror its methods term by term).
 */
/** The nodes the outputs depend on. */
function liveNodes(graph: Graph, outputs: readonly Ref[]): Set<number> {
  const live = new Set<number>();
  const mark = (r: Ref) => {
    if (r.kind !== 'node' || live.has(r.id)) return;
    live.add(r.id);
    const nd = graph.nodes[r.id];
    mark(nd.a);
    if (nd.b) mark(nd.b);
  };
  outputs.forEach(mark);
  return live;
}

function emit(graph: Graph, leafExact: readonly boolean[], outputs: readonly Ref[]): string {
  const live = liveNodes(graph, outputs);
  const head: string[] = ['const u = P[0], us = P[1], eta = P[2], etaS = P[3], U64 = P[4], ETA64 = P[5], U32 = 2 ** -24, ETA32 = 2 ** -150;'];
  const body: string[] = [];
  const usedConsts = new Set<number>();
  const usedLeaves = new Set<number>();
  const operand = (r: Ref): Operand => {
    if (r.kind === 'node') return { v: `v${r.id}`, e: `e${r.id}`, r: `r${r.id}`, w: `w${r.id}`, x: `X${r.id}`, scalar: false };
    if (r.kind === 'const') {
      usedConsts.add(r.id);
      // a scalar is exact exactly when it carries no error (error-model.ts `result`)
      return { v: `cv${r.id}`, e: `ce${r.id}`, r: `cr${r.id}`, w: `cw${r.id}`, x: `(ce${r.id} === 0 && cw${r.id} === 0 && cr${r.id} === 0)`, scalar: true };
    }
    usedLeaves.add(r.id);
    const x = leafExact[r.id];
    const id = r.id;
    return x
      ? { v: `lv${id}`, e: '0', r: '0', w: '0', x: 'true', scalar: false }
      : { v: `lv${id}`, e: `le${id}`, r: `lr${id}`, w: `lw${id}`, x: `(le${id} === 0 && lr${id} === 0 && lw${id} === 0)`, scalar: false };
  };
  // errorIn(true): a scalar meeting a tensor is charged its conversion to the dtype (PREC-3)
  const errIn = (o: Operand) => (o.scalar ? `(${o.e} + us * Math.abs(${o.v}))` : o.e);
  const fin = (x: string) => `(${x} !== ${x} ? Infinity : ${x})`;
  // Bounded.result for a tensor result; `exact` (a JS boolean expression of v${k}): known exactly (PREC-9)
  const result = (k: number, v: string, prop: string, refProp: string, w: string, exact?: (v: string) => string) => {
    body.push(
      `const v${k} = ${v};`,
      `const p${k} = ${prop}, q${k} = ${refProp}, m${k} = Math.abs(v${k});`,
      `const e${k}_ = p${k} + u * (m${k} + p${k}) + eta, r${k}_ = q${k} + U64 * (m${k} + q${k}) + ETA64, w${k}_ = ${w} + eta;`,
      `const e${k} = ${fin(`e${k}_`)}, r${k} = ${fin(`r${k}_`)}, w${k} = ${fin(`w${k}_`)}, X${k} = ${exact ? exact(`v${k}`) : 'false'};`,
    );
  };
  // Bounded.exactIn(true): exact where it meets a tensor result (a scalar's conversion is exact for zero only)
  const exactIn = (o: Operand) => (o.scalar ? `(${o.x} && ${o.v} === 0)` : o.x);
  for (let k = 0; k < graph.nodes.length; k++) {
    if (!live.has(k)) continue;
    const nd = graph.nodes[k];
    const a = operand(nd.a);
    const b = nd.b ? operand(nd.b) : undefined;
    switch (nd.op) {
      case 'neg':
        body.push(`const v${k} = ${valueOf(nd, a.v)}, e${k} = ${a.e}, r${k} = ${a.r}, w${k} = ${a.w}, X${k} = ${a.x};`);
        break;
      case 'plus': {
        const y = b as Operand;
        result(
          k,
          valueOf(nd, a.v, y.v),
          `${errIn(a)} + ${errIn(y)}`,
          `${a.r} + ${y.r}`,
          `(${a.w} + ${y.w})`,
          (v) => `(${v} === 0 && ${exactIn(a)} && ${exactIn(y)})`,
        );
        break;
      }
      case 'times': {
        const y = b as Operand;
        body.push(`const x${k} = ${errIn(a)}, y${k} = ${errIn(y)};`);
        const scale = (s: Operand) => (s.scalar ? `Math.max(Math.abs(${s.v}), 1)` : `Math.abs(${s.v})`);
        result(
          k,
          valueOf(nd, a.v, y.v),
          `(Math.abs(${a.v}) * y${k} + Math.abs(${y.v}) * x${k} + x${k} * y${k})`,
          `(Math.abs(${a.v}) * ${y.r} + Math.abs(${y.v}) * ${a.r} + ${a.r} * ${y.r})`,
          `(${scale(a)} * ${y.w} + ${scale(y)} * ${a.w} + ${a.w} * ${y.w})`,
          (v) => `(${v} === 0 && ((${a.v} === 0 && ${exactIn(a)}) || (${y.v} === 0 && ${exactIn(y)})))`,
        );
        break;
      }
      case 'div': {
        const y = b as Operand;
        body.push(
          `const x${k} = ${errIn(a)}, y${k} = ${errIn(y)}, d${k} = ${valueOf(nd, a.v, y.v)};`,
          `const g${k} = Math.abs(${y.v}) - y${k} - ${y.w}, h${k} = Math.abs(${y.v}) - ${y.r};`,
          `const s${k} = ${y.scalar ? `Math.min(Math.abs(${y.v}), 1)` : `g${k}`};`,
        );
        result(
          k,
          `d${k}`,
          `(g${k} > 0 ? (x${k} + Math.abs(d${k}) * (y${k} + ${y.w})) / g${k} : Infinity)`,
          `(h${k} > 0 ? (${a.r} + Math.abs(d${k}) * ${y.r}) / h${k} : Infinity)`,
          `(s${k} > 0 ? (${a.w} + ${a.scalar ? '0' : 'eta'}) / s${k} : Infinity)`,
        );
        break;
      }
      case 'sqrt': {
        const through = (err: string) =>
          `(${err} === 0 ? 0 : Math.min(t${k} > 0 ? ${err} / (t${k} + Math.sqrt(Math.max(${a.v} - ${err}, 0))) : Infinity, Math.sqrt(${err})))`;
        body.push(
          `const t${k} = Math.sqrt(Math.max(${a.v}, 0));`,
          `const b${k} = ${a.e} + ${a.w};`,
          `const n${k} = b${k} > 0 && ${a.v} - b${k} < 0, o${k} = ${a.r} > 0 && ${a.v} - ${a.r} < 0;`,
        );
        result(k, valueOf(nd, a.v), `(n${k} ? Infinity : ${through(`b${k}`)})`, `(o${k} ? Infinity : ${through(a.r)})`, `(n${k} ? Infinity : 0)`);
        break;
      }
      case 'pow': {
        const n = nd.n as number;
        body.push(
          `const v${k} = ${valueOf(nd, a.v)}, z${k} = ${n} * Math.abs(${a.v}) ** ${n - 1};`,
          `const e${k} = z${k} * ${a.e} + ${n} * u * Math.abs(v${k}) + etaS, r${k} = z${k} * ${a.r} + 2 * U64 * Math.abs(v${k}) + ETA64, w${k} = z${k} * ${a.w}, X${k} = false;`,
        );
        break;
      }
      case 'max': {
        const y = b as Operand;
        body.push(
          `const v${k} = ${valueOf(nd, a.v, y.v)}, e${k} = Math.max(${a.e}, ${y.e}), r${k} = Math.max(${a.r}, ${y.r}), w${k} = Math.max(${a.w}, ${y.w}), X${k} = ${a.x} && ${y.x};`,
        );
        break;
      }
      case 'abs':
        body.push(`const v${k} = ${valueOf(nd, a.v)}, e${k} = ${a.e}, r${k} = ${a.r}, w${k} = ${a.w}, X${k} = ${a.x};`);
        break;
      case 'sign':
        body.push(
          `const v${k} = ${valueOf(nd, a.v)}, e${k} = ${a.x} ? 0 : ${signErrorOf(a.v, `(${a.e} + ${a.w})`)}, r${k} = ${a.x} ? 0 : ${signErrorOf(a.v, a.r)}, w${k} = 0;`,
          `const X${k} = e${k} === 0 && r${k} === 0;`,
        );
        break;
      case 'held32':
        body.push(
          `const v${k} = ${valueOf(nd, a.v)}, e${k}_ = ${a.e} + U32 * (Math.abs(${a.v}) + ${a.e}) + ETA32, e${k} = ${fin(`e${k}_`)}, r${k} = ${a.r}, w${k} = ${a.w}, X${k} = false;`,
        );
        break;
      case 'hull': {
        const y = b as Operand;
        body.push(
          `const v${k} = ${valueOf(nd, a.v, y.v)}, h${k} = Math.abs(${a.v} - ${y.v}) * (1 + 2 ** -52) + ${a.r} + ${y.r};`,
          `const e${k}_ = Math.max(${a.e}, ${y.e} + h${k} / ${ORDER_FACTOR}), e${k} = ${fin(`e${k}_`)}, r${k} = Math.max(${a.r}, ${y.r}), w${k} = Math.max(${a.w}, ${y.w});`,
          `const X${k} = ${a.x} && ${y.x} && ${a.v} === ${y.v};`,
        );
        break;
      }
    }
  }
  const stores: string[] = [];
  outputs.forEach((r, j) => {
    const o = operand(r);
    stores.push(`O${j}v[i] = ${o.v}; O${j}e[i] = ${o.e}; O${j}r[i] = ${o.r}; O${j}w[i] = ${o.w};`);
    head.push(`const O${j}v = O[${4 * j}], O${j}e = O[${4 * j + 1}], O${j}r = O[${4 * j + 2}], O${j}w = O[${4 * j + 3}];`);
  });
  for (const c of usedConsts) head.push(`const cv${c} = C[${4 * c}], ce${c} = C[${4 * c + 1}], cr${c} = C[${4 * c + 2}], cw${c} = C[${4 * c + 3}];`);
  const loads: string[] = [];
  for (const l of usedLeaves) {
    head.push(`const Lv${l} = L[${4 * l}]${leafExact[l] ? '' : `, Le${l} = L[${4 * l + 1}], Lr${l} = L[${4 * l + 2}], Lw${l} = L[${4 * l + 3}]`};`);
    loads.push(leafExact[l] ? `const lv${l} = Lv${l}[i];` : `const lv${l} = Lv${l}[i], le${l} = Le${l}[i], lr${l} = Lr${l}[i], lw${l} = Lw${l}[i];`);
  }
  return [...head, 'for (let i = 0; i < n; i++) {', ...loads, ...body, ...stores, '}'].join('\n');
}

/**
 * One step of a definition, as a kernel is compiled for it: the hyperparameters as `Bounded.hyper`
 * values, the 1-based step number t, the precision and the state names the step reads.
 */
export interface StepSpec {
  readonly def: OptimizerDef;
  readonly h: Hyper<Bounded>;
  readonly t: number;
  readonly p: Precision;
  readonly names: readonly string[];
}

/** A step's inputs over a whole tensor: the parameter, the gradient and each state value. */
export interface StepInputs<T, G = T> {
  readonly param: T;
  readonly grad: G;
  readonly state: Readonly<Record<string, T>>;
}

/** The outputs of one step over a whole tensor: `param` and each state value, as Fields. */
export interface StepFields {
  readonly param: Fields;
  readonly state: Readonly<Record<string, Fields>>;
  /** whether a compiled kernel computed them (false: the per-element `Bounded` fallback) */
  readonly compiled: boolean;
}

function newFields(n: number): Fields & { e: Float64Array; r: Float64Array; w: Float64Array } {
  return { v: new Float64Array(n), e: new Float64Array(n), r: new Float64Array(n), w: new Float64Array(n) };
}

/** Element i of a tensor as a Bounded tensor value. */
export function boundedAt(f: Fields, i: number, p: Precision): Bounded {
  if (f.e === null) return Bounded.input(f.v[i], p);
  const [e, r, w] = [f.e[i], (f.r as Float64Array)[i], (f.w as Float64Array)[i]];
  // PREC-9: a carried value with no error in any channel is known exactly, as `leafExactness` says
  return new Bounded(f.v[i], e, r, false, p, w, e === 0 && r === 0 && w === 0);
}

/** PREC-2, PREC-3, PREC-4: one step for every element with `Bounded` itself, element by element (the fallback, and the kernels' oracle). */
export function evaluateStepBounded(step: StepSpec, { param, grad, state }: StepInputs<Fields>): StepFields {
  const { def, h, t, p, names } = step;
  const n = param.v.length;
  const outParam = newFields(n);
  const outState: Record<string, ReturnType<typeof newFields>> = {};
  const put = (f: ReturnType<typeof newFields>, i: number, b: Bounded) => {
    f.v[i] = b.v;
    f.e[i] = b.e;
    f.r[i] = b.r;
    f.w[i] = b.w;
  };
  for (let i = 0; i < n; i++) {
    const st: Record<string, Bounded> = {};
    for (const name of names) st[name] = boundedAt(state[name], i, p);
    const res = def.step(boundedAt(param, i, p), boundedAt(grad, i, p), st, h, t);
    put(outParam, i, res.param);
    for (const name of Object.keys(res.state)) put((outState[name] ??= newFields(n)), i, res.state[name]);
  }
  if (n === 0) {
    // the state names a step returns, from a step on one zero element
    const probe = def.step(Bounded.input(0, p), Bounded.input(0, p), Object.fromEntries(names.map((k) => [k, Bounded.input(0, p)])), h, t);
    for (const name of Object.keys(probe.state)) outState[name] = newFields(0);
  }
  return { param: outParam, state: outState, compiled: false };
}

/**
 * PREC-2, PREC-3, PREC-4, PREC-6: one step of `def` for every element of a tensor, with the error
 * bounds of `Bounded` — by a compiled kernel that agrees with `Bounded` bit for bit, or by `Bounded`
 * itself when the step cannot be traced. `h` holds the hyperparameters as `Bounded.hyper` values.
 */
export function evaluateStep(step: StepSpec, inputs: StepInputs<Fields>): StepFields {
  const traced = traceStep(step);
  if (traced === undefined) return evaluateStepBounded(step, inputs);
  const { param, grad, state } = inputs;
  const { p, names } = step;
  const { graph, outputs, stateNames } = traced;
  const leaves: Fields[] = [param, grad, ...names.map((k) => state[k])];
  const leafExact = leaves.map((f) => f.e === null);
  const fn = compiled(emit(graph, leafExact, outputs));
  const n = param.v.length;
  const out = outputs.map(() => newFields(n));
  const P = new Float64Array([p.u, p.us, p.eta, p.etaS, U64, ETA64]);
  const L = leaves.flatMap((f) => [f.v, f.e, f.r, f.w]);
  const O = out.flatMap((f) => [f.v, f.e, f.r, f.w]);
  fn(n, L, O, constantSlots(graph), P);
  return { param: out[0], state: Object.fromEntries(stateNames.map((k, j) => [k, out[j + 1]])), compiled: true };
}

/** The step traced into a graph (tensor part only), or undefined when it branches on a tensor value. */
function traceStep({ def, h, t, p, names }: StepSpec): { graph: Graph; outputs: Ref[]; stateNames: string[] } | undefined {
  const graph = new Graph(p);
  const leaf = (id: number) => new Trace(graph, { kind: 'leaf', id });
  const th: Record<string, Trace | boolean> = {};
  for (const [k, x] of Object.entries(h)) th[k] = typeof x === 'boolean' ? flag(h, k) : Trace.scalar(graph, x);
  let res;
  try {
    res = def.step(leaf(0), leaf(1), Object.fromEntries(names.map((k, j) => [k, leaf(2 + j)])), th, t);
  } catch (e) {
    if (e instanceof Untraceable) return undefined;
    throw e;
  }
  const stateNames = Object.keys(res.state);
  const refOf = (x: Trace) => x.ref ?? graph.constRef(x.s as Bounded);
  return { graph, outputs: [refOf(res.param), ...stateNames.map((k) => refOf(res.state[k]))], stateNames };
}

/** The hyperparameter-only values the kernel reads, four fields each (v, e, r, w). */
function constantSlots(graph: Graph): Float64Array {
  const C = new Float64Array(graph.consts.length * 4);
  graph.consts.forEach((b, j) => C.set([b.v, b.e, b.r, b.w], 4 * j));
  return C;
}

function compiled(source: string): KernelFn {
  let fn = CACHE.get(source);
  if (!fn) {
    fn = new Function('n', 'L', 'O', 'C', 'P', source) as KernelFn;
    CACHE.set(source, fn);
  }
  return fn;
}

/** The screen bounds the closest call of every block of this many elements, counted from element 0 (PREC-6). */
export const SCREEN_BLOCK = 4096;

/** The screen's margin for the rounding of its own few operations (PREC-6). */
const SCREEN_MARGIN = 1 - 2 ** -40;

/**
 * PREC-6: the loop of a screen. Per node, the value v exactly as `emit` (and so `Bounded`)
 * computes it, and f, a lower bound on its e: every result of a tensor operation is charged at
 * least its own rounding u·|v| (PREC-2, without u·p and η); a sum is also charged its operands'
 * errors, so f = u·|v| + f_a + f_b, with f = 0 for an exact input and us·|c| for a scalar met by a
 * tensor (its conversion, PREC-3); negation passes f on, max takes the larger. Products, quotients
 * and roots keep only their own rounding: what they propagate is left out. Every kept term is one
 * of e's, so f ≤ e. The sums are what matter — a moment β·m + (1 − β)·g that cancels, or θ − lr·d
 * near zero, is allowed the rounding of its terms, not only of its small result.
 *
 * Each output is then compared as `compareFields` does (the same doubles): settled when
 * |got − v|·(1 + 2⁻⁵²) ≤ ORDER_FACTOR·f·(1 − 2⁻⁴⁰), the margin covering the rounding of f's few
 * operations; otherwise its element is left open. Per block, the settled output with the largest
 * error/screen ratio (the first met) is remembered, to be bounded too.
 */
function emitScreen(graph: Graph, outputs: readonly Ref[]): string {
  const live = liveNodes(graph, outputs);
  // f·(ORDER_FACTOR·margin): the same double as (ORDER_FACTOR·f)·margin while ORDER_FACTOR is 2, and within the margin otherwise
  const head = new Set<string>(['const u = P[0], us = P[1], orderMargin = P[2] * P[3], onePlus = 1 + 2 ** -52;']);
  const loads = new Set<string>();
  const operand = (r: Ref): { v: string; f: string } => {
    if (r.kind === 'node') return { v: `v${r.id}`, f: `f${r.id}` };
    if (r.kind === 'const') {
      head.add(`const cv${r.id} = C[${4 * r.id}], cf${r.id} = us * Math.abs(cv${r.id});`);
      return { v: `cv${r.id}`, f: `cf${r.id}` };
    }
    head.add(`const Lv${r.id} = L[${4 * r.id}];`);
    loads.add(`const lv${r.id} = Lv${r.id}[i];`);
    return { v: `lv${r.id}`, f: '0' };
  };
  const body: string[] = [];
  // a sum that leaves out the zero floors of exact inputs
  const sum = (...terms: string[]) => terms.filter((t) => t !== '0').join(' + ') || '0';
  for (let k = 0; k < graph.nodes.length; k++) {
    if (!live.has(k)) continue;
    const nd = graph.nodes[k];
    const a = operand(nd.a);
    const b = nd.b ? operand(nd.b) : { v: '', f: '' };
    const rounding = `u * Math.abs(v${k})`;
    const floor = {
      neg: a.f,
      plus: sum(rounding, a.f, b.f),
      times: rounding,
      div: rounding,
      sqrt: rounding,
      pow: (nd.n ?? 0) >= 1 ? `${nd.n} * ${rounding}` : '0',
      max: a.f === '0' && b.f === '0' ? '0' : `Math.max(${a.f}, ${b.f})`,
      // PREC-9: |x| passes its floor on; sign is exact or not at all (0); PREC-12 and PREC-10 keep their operands' floors
      abs: a.f,
      sign: '0',
      held32: a.f,
      hull: a.f === '0' && b.f === '0' ? '0' : `Math.max(${a.f}, ${b.f})`,
    }[nd.op];
    body.push(`const v${k} = ${valueOf(nd, a.v, b.v)};`, `const f${k} = ${floor};`);
  }
  const k = outputs.length;
  head.add(`const open = O[${k}], closest = O[${k + 1}];`);
  const compares = outputs.map((r, j) => {
    const o = operand(r);
    head.add(`const G${j} = O[${j}];`);
    return [
      `{ const err = Math.abs(G${j}[i] - ${o.v}) * onePlus, scr = ${o.f} * orderMargin;`,
      `  if (!(err <= scr && scr < Infinity)) open[i] = 1;`,
      `  else if (best < 0 || err > bestRatio * scr) { bestRatio = err === 0 ? 0 : err / scr; best = i; } }`,
    ].join('\n');
  });
  // block by block, so the block's closest call so far stays in two local variables
  return [
    ...head,
    `for (let b = 0, start = 0; start < n; b++, start += ${SCREEN_BLOCK}) {`,
    `const end = Math.min(n, start + ${SCREEN_BLOCK});`,
    'let best = -1, bestRatio = -1;',
    'for (let i = start; i < end; i++) {',
    ...loads,
    ...body,
    ...compares,
    '}',
    'closest[b] = best;',
    '}',
  ].join('\n');
}

/**
 * PREC-6: the first pass of a screened check, from exact inputs (the implementation's own state,
 * PREC-7): the elements it leaves open, ascending — those with an output it cannot settle, and in
 * every block of SCREEN_BLOCK elements the settled one closest to its screen. `got` gives the
 * implementation's values of an output (`params` or a state name). Undefined when the step cannot
 * be traced.
 */
export function screenStep(
  step: StepSpec,
  { param, grad, state }: StepInputs<Float64Array, ArrayLike<number>>,
  got: (output: string) => Float64Array,
): Int32Array | undefined {
  const { p, names } = step;
  const traced = traceStep(step);
  if (traced === undefined) return undefined;
  const { graph, outputs, stateNames } = traced;
  const fn = compiled(emitScreen(graph, outputs));
  const n = param.length;
  const open = new Uint8Array(n);
  const closest = new Int32Array(Math.ceil(n / SCREEN_BLOCK)).fill(-1);
  // the same slots as evaluateStep's (4 per leaf); only the values are read
  const L = [param, grad, ...names.map((k) => state[k])].flatMap((v) => [v, null, null, null]);
  const O = [got('params'), ...stateNames.map(got), open, closest];
  fn(n, L, O, constantSlots(graph), new Float64Array([p.u, p.us, ORDER_FACTOR, SCREEN_MARGIN]));
  for (const i of closest) if (i >= 0) open[i] = 1;
  let count = 0;
  for (let i = 0; i < n; i++) count += open[i];
  const marked = new Int32Array(count);
  for (let i = 0, j = 0; i < n; i++) if (open[i] === 1) marked[j++] = i;
  return marked;
}
