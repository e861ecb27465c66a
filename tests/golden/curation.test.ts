/**
 * The curation rule of the golden set (GOLD-8) and the honesty of its bounds (PREC-8), checked on
 * the files as they are on disk: every file rejects a no-op and a skipped step at every dtype it
 * lists, 16-bit steps move their parameters visibly, no allowed error exceeds |x| where x ≠ 0,
 * every mutant of the corpus fails some file of its family — and honest 16-bit emulations (pure
 * 16-bit arithmetic, float32 opmath; the formula's order and PyTorch's) pass every 16-bit file,
 * both along the trajectory and step by step.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../reference/decimal.ts';
import { exactString, type Dtype } from '../../reference/dtype.ts';
import { KNOWN_DEFECTS, findOptimizer, freshArray, type DefectDef } from '../../reference/registry.ts';
import { resolveHyper } from '../../reference/notation.ts';
import type { Scalar } from '../../reference/scalar.ts';
import { dtypeRounder, type Round } from '../../conformance/adapters/float.ts';
import { MUTANTS } from '../../conformance/adapters/mutants.ts';
import { computeSteps, referenceImplementation } from '../../conformance/adapters/reference.ts';
import type { Implementation } from '../../conformance/protocol/implementation.ts';
import { hyperAt, type GoldenFile } from '../../conformance/golden/format.ts';
import { GOLDEN_DIR } from '../../conformance/golden/store.ts';
import { verifyGolden, type GoldenVerifyOptions } from '../../conformance/golden/verify.ts';

/**
 * Mutants wrong only where golden files hold nothing, each with why: golden values are finite
 * (GOLD-3), so a NaN-skipping kernel is killed by the runner's non-finite cases (NOTE-7), not here.
 */
const OUTSIDE_GOLDEN: ReadonlyMap<string, string> = new Map([['adam/skips-nan-gradients', 'golden files hold finite inputs only (GOLD-3)']]);

type Wire = number | string;
const num = (x: Wire): number => (typeof x === 'number' ? x : x === 'NaN' ? NaN : x === 'Infinity' ? Infinity : -Infinity);
const manifest = JSON.parse(readFileSync(join(GOLDEN_DIR, 'manifest.json'), 'utf8')) as { files: { file: string }[] };
const files: GoldenFile[] = manifest.files.map(({ file }) => JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as GoldenFile);
const SIXTEEN: readonly Dtype[] = ['bfloat16', 'float16'];

/** One output's expectation: exact strings, correctly rounded values, allowed errors. */
interface Want {
  readonly expected: readonly string[];
  readonly value: readonly Wire[];
  readonly allowed: readonly Wire[];
}

/** GOLD-4's rule, written again here: Infinity passes; 0 needs the rounded value; else |q − x| ≤ A, exactly. */
function passes(q: number, w: Want, i: number): boolean {
  const a = w.allowed[i];
  if (a === 'Infinity') return true;
  const value = num(w.value[i]);
  if (!Number.isFinite(q) || !Number.isFinite(value)) return q === value;
  if (a === 0) return q === value;
  return new Dec(exactString(q))
    .minus(new Dec(w.expected[i]))
    .abs()
    .lte(new Dec(exactString(a as number)));
}

/** The input state names of a file's definition (NOTE-2). */
function inputNames(g: GoldenFile): readonly string[] {
  const def = findOptimizer(g.case.optimizer, g.case.variant)!;
  return def.stateNames(resolveHyper(def.hyper, g.case.hyper, [g.case.steps[0]?.hyper]));
}

/** Step k's outputs in dtype d, step-wise (GOLD-7; step 1 is the trajectory entry) or along the trajectory (GOLD-4). */
function wants(g: GoldenFile, k: number, d: Dtype, form: 'step-wise' | 'trajectory'): Record<string, Want> {
  const e = g.expected[k];
  const sw = e.dtypes[d].step_wise;
  if (form === 'step-wise' && k > 0) {
    if (!sw) throw new Error(`${g.name}: no step_wise at step ${e.step} ${d}`);
    return { params: sw.params, ...sw.state };
  }
  const out: Record<string, Want> = { params: { ...e.dtypes[d].params, expected: e.params } };
  for (const [name, o] of Object.entries(e.dtypes[d].state)) out[name] = { ...o, expected: e.state[name] as string[] };
  return out;
}

/** The values a step starts from in dtype d (GOLD-7): the case's inputs for step 1, a fresh state's starting values (NOTE-2) where it has none. */
function before(g: GoldenFile, k: number, d: Dtype): { params: number[]; state: Record<string, number[]>; step: number } {
  const n = g.case.params.length;
  if (k > 0) {
    const b = g.expected[k].dtypes[d].step_wise!.before;
    const state: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(b.state)) if (typeof v !== 'number') state[name] = v.map(num);
    return { params: b.params.map(num), state, step: b.state.step };
  }
  const state: Record<string, number[]> = {};
  const def = findOptimizer(g.case.optimizer, g.case.variant)!;
  for (const name of inputNames(g)) {
    const v = g.case.state?.[name];
    // NOTE-2: a fresh array starts at 0, or at the family's start (NAdam's μ product 1, Adagrad's initial accumulator)
    state[name] = Array.isArray(v) ? v.map(num) : Array.from(freshArray(def, name, hyperAt(g.case, 0), n));
  }
  return { params: g.case.params.map(num), state, step: g.case.state?.step ?? 0 };
}

/** Whether any output of `got` fails its expectation. */
function rejected(got: Record<string, readonly number[]>, want: Record<string, Want>): boolean {
  return Object.entries(got).some(([name, xs]) => want[name] !== undefined && xs.some((q, i) => !passes(q, want[name], i)));
}

const ulpIn = (x: number, d: Dtype): number => {
  const { p, emin } =
    d === 'bfloat16' ? { p: 8, emin: -126 } : d === 'float16' ? { p: 11, emin: -14 } : d === 'float32' ? { p: 24, emin: -126 } : { p: 53, emin: -1022 };
  const e = x === 0 ? emin : Math.max(Math.floor(Math.log2(Math.abs(x))), emin);
  return 2 ** (e - p + 1);
};

describe('GOLD-8 · the curation rule, on every golden file and dtype', () => {
  it('GOLD-8 · a no-op (its initial params at every step) fails every file at every dtype, along the trajectory and step-wise', () => {
    const passed: string[] = [];
    for (const g of files) {
      for (const d of g.dtypes) {
        const p0 = g.case.params.map(num);
        const trajectory = g.expected.some((_, k) => rejected({ params: p0 }, wants(g, k, d, 'trajectory')));
        const stepWise = g.expected.some((_, k) => rejected({ params: before(g, k, d).params }, wants(g, k, d, 'step-wise')));
        if (!trajectory) passed.push(`${g.name} ${d} (trajectory)`);
        if (!stepWise) passed.push(`${g.name} ${d} (step-wise)`);
      }
    }
    expect(passed, 'files a no-op passes').toEqual([]);
  });

  it('GOLD-8 · skipping any one step (params and state left as they were) fails that step, step-wise, at every dtype', () => {
    const passed: string[] = [];
    for (const g of files) {
      for (const d of g.dtypes) {
        g.expected.forEach((e, k) => {
          const b = before(g, k, d);
          if (!rejected({ params: b.params, ...b.state }, wants(g, k, d, 'step-wise'))) passed.push(`${g.name} ${d} step ${e.step}`);
        });
      }
    }
    expect(passed, 'skipped steps that pass').toEqual([]);
  });

  it('GOLD-8 · in 16-bit files every step moves some parameter by more than one ULP of it', () => {
    const invisible: string[] = [];
    for (const g of files) {
      for (const d of g.dtypes.filter((x) => SIXTEEN.includes(x))) {
        g.expected.forEach((e, k) => {
          const b = before(g, k, d).params;
          const want = wants(g, k, d, 'step-wise').params;
          const moved = b.some((p, i) => Math.abs(Number(want.expected[i]) - p) > ulpIn(p, d));
          if (!moved) invisible.push(`${g.name} ${d} step ${e.step}`);
        });
      }
    }
    expect(invisible, 'steps whose update no parameter shows').toEqual([]);
  });

  it('GOLD-8 · no allowed error is wider than |x| where the expected x ≠ 0, in either form', () => {
    const wide: string[] = [];
    for (const g of files) {
      for (const d of g.dtypes) {
        g.expected.forEach((e, k) => {
          for (const form of ['trajectory', 'step-wise'] as const) {
            for (const [name, w] of Object.entries(wants(g, k, d, form))) {
              w.expected.forEach((x, i) => {
                const a = w.allowed[i];
                const ax = Math.abs(Number(x));
                if (ax !== 0 && (a === 'Infinity' || (a as number) > ax)) wide.push(`${g.name} ${d} step ${e.step} ${name}[${i}] ${form}: ${a} > |${x}|`);
              });
            }
          }
        });
      }
    }
    expect(wide.slice(0, 20), `${wide.length} allowed errors wider than |x|`).toEqual([]);
  });

  it('GOLD-8 · the mutants left out are those outside what golden files hold', () => {
    for (const name of OUTSIDE_GOLDEN.keys())
      expect(
        MUTANTS.some((m) => m.name === name),
        name,
      ).toBe(true);
  });

  it('GOLD-8 · every mutant of the corpus fails at least one golden file of its family', async () => {
    const survivors: string[] = [];
    for (const m of MUTANTS.filter((m) => !OUTSIDE_GOLDEN.has(m.name))) {
      if (!(await failsSomeFile(m.impl, m.optimizer, { dtype: m.dtype }))) survivors.push(m.name);
    }
    expect(survivors).toEqual([]);
  }, 120_000);

  it('GOLD-8 · every known defect (DEFECT-1…4), computed by the reference from its parts, fails the canonical files of its family that declare it, in exactly the dtypes they name, and no others', async () => {
    const wrong: string[] = [];
    for (const d of KNOWN_DEFECTS) {
      const declaring = files.filter((g) => g.known_defects?.[d.name] !== undefined);
      expect(declaring.length, `no golden file declares ${d.name}`).toBeGreaterThan(0);
      for (const g of files.filter((x) => x.case.optimizer === d.family && x.case.variant === undefined)) {
        for (const dtype of g.dtypes) {
          const report = await verifyGolden(defectImplementation(d), { files: [`${g.name}.json`], dtype });
          const fails = report.verdict === 'not-conformant';
          if (fails !== (g.known_defects?.[d.name]?.includes(dtype) ?? false))
            wrong.push(`${g.name} ${dtype}: ${d.name} ${fails ? 'fails it, undeclared' : 'passes it, declared'}`);
        }
      }
    }
    for (const g of files)
      for (const id of Object.keys(g.known_defects ?? {}))
        expect(
          KNOWN_DEFECTS.some((d) => d.name === id && d.family === g.case.optimizer),
          `${g.name}: ${id} is not a known defect of ${g.case.optimizer}`,
        ).toBe(true);
    expect(wrong).toEqual([]);
  });
});

/**
 * Whether an implementation fails `golden verify` on some file of the family: the files are tried
 * one at a time, fewest values first, and the search stops at the first that rejects it — the
 * verdict of the whole family's check, without running every file once one has failed.
 */
async function failsSomeFile(impl: () => Implementation, family: string, options: GoldenVerifyOptions): Promise<boolean> {
  const size = (g: GoldenFile) => g.case.steps.length * g.case.params.length * g.dtypes.length;
  const candidates = files.filter((g) => g.case.optimizer === family).sort((a, b) => size(a) - size(b));
  for (const g of candidates) {
    const report = await verifyGolden(impl(), { ...options, optimizer: family, files: [`${g.name}.json`] });
    if (report.verdict === 'not-conformant') return true;
  }
  return false;
}

/** A known defect as an implementation: the reference computing the defect's definition, correctly rounded (DEFECT-1…4). */
function defectImplementation(d: DefectDef): Implementation {
  return {
    hello: referenceImplementation.hello,
    run: (request) => ({ op: 'result', id: request.id, steps: computeSteps(request, undefined, d) }),
  };
}

// ---------------------------------------------------------------------------------------------
// Honest 16-bit emulations (PREC-8)

/**
 * An honest implementation's arithmetic: every tensor operation rounded by `round` (the dtype:
 * pure 16-bit; float32: opmath), hyperparameter arithmetic in float32, a hyperparameter meeting a
 * tensor taken as its float32 value. The reference's generic step functions run on it unchanged,
 * so this is the formula's own order.
 */
class Emulated implements Scalar<Emulated> {
  constructor(
    readonly v: number,
    readonly scalar: boolean,
    readonly round: Round,
  ) {}
  private lift(y: Emulated | number): Emulated {
    return typeof y === 'number' ? new Emulated(Math.fround(y), true, this.round) : y;
  }
  private make(v: number, y: Emulated): Emulated {
    const scalar = this.scalar && y.scalar;
    return new Emulated(scalar ? Math.fround(v) : this.round(v), scalar, this.round);
  }
  abs(): Emulated {
    return new Emulated(Math.abs(this.v), this.scalar, this.round);
  }
  plus(y: Emulated | number): Emulated {
    const o = this.lift(y);
    return this.make(this.v + o.v, o);
  }
  minus(y: Emulated | number): Emulated {
    const o = this.lift(y);
    return this.make(this.v - o.v, o);
  }
  times(y: Emulated): Emulated {
    return this.make(this.v * y.v, y);
  }
  div(y: Emulated): Emulated {
    return this.make(this.v / y.v, y);
  }
  sqrt(): Emulated {
    return this.make(Math.sqrt(this.v), this);
  }
  neg(): Emulated {
    return new Emulated(-this.v, this.scalar, this.round);
  }
  pow(n: number): Emulated {
    return new Emulated(Math.fround(this.v ** n), this.scalar, this.round);
  }
  max(y: Emulated): Emulated {
    return this.v >= y.v ? this : y;
  }
  /** LION-2: exact, as torch.sign and jnp.sign */
  signum(): Emulated {
    return new Emulated(Math.sign(this.v), this.scalar, this.round);
  }
  /** NADAM-2: 0.96^(t·ψ), a scalar computed in float32, or rounded as a tensor operation */
  powerOf(base: number): Emulated {
    const v = base ** this.v;
    return new Emulated(this.scalar ? Math.fround(v) : this.round(v), this.scalar, this.round);
  }
  integer(n: number): Emulated {
    return new Emulated(n, true, this.round);
  }
  /** PREC-12: NAdam's μ product kept in float32 */
  heldInFloat32(): Emulated {
    return new Emulated(Math.fround(this.v), this.scalar, this.round);
  }
  isZero(): boolean {
    return this.v === 0;
  }
  isNegative(): boolean {
    return this.v < 0 || Object.is(this.v, -0);
  }
  gte(y: Emulated): boolean {
    return this.v >= y.v;
  }
  gt(y: Emulated): boolean {
    return this.v > y.v;
  }
}

interface Stored {
  params: number[];
  state: Record<string, number[]>;
}
type Emulation = (g: GoldenFile, d: Dtype, at: Stored & { step: number }, k: number) => Stored;

/** The formula's order on `Emulated` arithmetic; what a step stores is rounded to the dtype. */
function formulaOrder(opmath: boolean): Emulation {
  return (g, d, at, k) => {
    const def = findOptimizer(g.case.optimizer, g.case.variant)!;
    const store = dtypeRounder(d);
    const round = opmath ? Math.fround : store;
    const tensor = (x: number) => new Emulated(x, false, round);
    const merged = Object.assign({}, g.case.hyper, ...g.case.steps.slice(0, k + 1).map((s) => s.hyper ?? {})) as Record<string, number | boolean>;
    const h = resolveHyper(def.hyper, merged, [], (x) => new Emulated(Math.fround(x), true, round));
    const grad = g.case.steps[k].grad.map(num);
    const out: Stored = { params: [], state: {} };
    at.params.forEach((p, i) => {
      const st = Object.fromEntries(Object.entries(at.state).map(([name, v]) => [name, tensor(v[i])]));
      const r = def.step(tensor(p), tensor(grad[i]), st, h, at.step + 1);
      out.params.push(store(r.param.v));
      for (const [name, v] of Object.entries(r.state)) (out.state[name] ??= []).push(store(v.v));
    });
    return out;
  };
}

/** torch.optim.Adam/AdamW 1.13's single-tensor order: bias corrections in doubles, denom = √v/√bc₂ + ε, param.addcdiv_(m, denom, −lr/bc₁). */
function torchAdamOrder(opmath: boolean): Emulation {
  return (g, d, at, k) => {
    const store = dtypeRounder(d);
    const r = opmath ? Math.fround : store;
    const h = Object.assign({ weight_decay: 0 }, g.case.hyper, ...g.case.steps.slice(0, k + 1).map((s) => s.hyper ?? {})) as Record<string, number>;
    const f = Math.fround;
    const [lr, b1, b2, eps, wd] = [h.lr, h.beta1, h.beta2, h.eps, h.weight_decay].map(f);
    const t = at.step + 1;
    const stepSize = f(lr / (1 - b1 ** t));
    const bc2Sqrt = f(Math.sqrt(1 - b2 ** t));
    const grad = g.case.steps[k].grad.map(num);
    const out: Stored = { params: [], state: { exp_avg: [], exp_avg_sq: [] } };
    at.params.forEach((p0, i) => {
      let p = p0;
      let gr = grad[i];
      if (g.case.optimizer === 'adamw') p = store(r(p * f(1 - lr * wd)));
      else if (wd !== 0) gr = store(r(gr + r(wd * p)));
      const m = store(r(r(at.state.exp_avg[i] * b1) + r(gr * f(1 - b1))));
      const v = store(r(r(at.state.exp_avg_sq[i] * b2) + r(r(gr * gr) * f(1 - b2))));
      const denom = r(r(r(Math.sqrt(v)) / bc2Sqrt) + eps);
      out.params.push(store(r(p - stepSize * r(m / denom))));
      out.state.exp_avg.push(m);
      out.state.exp_avg_sq.push(v);
    });
    return out;
  };
}

function emulationsFor(g: GoldenFile): [string, Emulation][] {
  const list: [string, Emulation][] = [
    ['formula order, pure 16-bit', formulaOrder(false)],
    ['formula order, float32 opmath', formulaOrder(true)],
  ];
  const plainAdam = (g.case.optimizer === 'adam' || g.case.optimizer === 'adamw') && !g.case.variant && !g.case.hyper.amsgrad;
  if (plainAdam) list.push(['PyTorch order, pure 16-bit', torchAdamOrder(false)], ['PyTorch order, float32 opmath', torchAdamOrder(true)]);
  return list;
}

describe('PREC-8 · honest 16-bit emulations stay inside every 16-bit golden file', () => {
  const sixteen = files.filter((g) => g.dtypes.some((d) => SIXTEEN.includes(d)));

  it('PREC-8 · the set has 16-bit files of every family the emulations cover', () => {
    expect(new Set(sixteen.map((g) => g.case.optimizer))).toEqual(
      new Set(['sgd', 'rmsprop', 'adam', 'adamw', 'ewma', 'adagrad', 'adadelta', 'adamax', 'nadam', 'radam']),
    );
  });

  it('PREC-8 · along the trajectory from the case inputs (the carried bound admits every honest order)', () => {
    const failures: string[] = [];
    for (const g of sixteen) {
      for (const d of g.dtypes.filter((x) => SIXTEEN.includes(x))) {
        for (const [name, emulate] of emulationsFor(g)) {
          let at = { ...before(g, 0, d) };
          g.expected.forEach((e, k) => {
            const next = emulate(g, d, at, k);
            const want = wants(g, k, d, 'trajectory');
            for (const [o, xs] of Object.entries({ params: next.params, ...next.state }))
              xs.forEach((q, i) => {
                if (want[o] && !passes(q, want[o], i))
                  failures.push(`${g.name} ${d} ${name}: step ${e.step} ${o}[${i}] = ${q}, expected ${want[o].expected[i]} ± ${want[o].allowed[i]}`);
              });
            at = { params: next.params, state: Object.fromEntries(Object.keys(at.state).map((s) => [s, next.state[s]])), step: at.step + 1 };
          });
        }
      }
    }
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);
  });

  it('PREC-8 · step by step from the state before each step (GOLD-7), with the single-step bound', () => {
    const failures: string[] = [];
    for (const g of sixteen) {
      for (const d of g.dtypes.filter((x) => SIXTEEN.includes(x))) {
        for (const [name, emulate] of emulationsFor(g)) {
          g.expected.forEach((e, k) => {
            const next = emulate(g, d, before(g, k, d), k);
            const want = wants(g, k, d, 'step-wise');
            for (const [o, xs] of Object.entries({ params: next.params, ...next.state }))
              xs.forEach((q, i) => {
                if (want[o] && !passes(q, want[o], i))
                  failures.push(`${g.name} ${d} ${name}: step ${e.step} ${o}[${i}] = ${q}, expected ${want[o].expected[i]} ± ${want[o].allowed[i]}`);
              });
          });
        }
      }
    }
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);
  });

  it('PREC-8 · the float16 AdamW trajectory bound grows by at most a few ULPs a step, never doubling', () => {
    const g = files.find((x) => x.name === 'adamw-float16')!;
    const ulps = g.expected.map((e) => Math.max(...(e.dtypes.float16.params.allowed_ulps as number[])));
    // linear growth, (k + 1) times step 1's bound with room: 88 → 2,787 ULPs over six steps (2ᵏ) was the fault
    ulps.forEach((x, k) => expect(x, `step ${k + 1}: ${ulps.join(', ')}`).toBeLessThanOrEqual(1.5 * (k + 1) * ulps[0]));
    expect(ulps[0], 'step 1, from exact inputs').toBeLessThan(8);
  });
});
