/**
 * Checking an implementation against the golden files (GOLD-6): each file's case is sent as a
 * `run` request in every dtype the file gives and the implementation supports, and every output
 * after every step is compared with the file's expected value and allowed error — nothing is
 * recomputed, so this checks exactly what a checker in another language checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dec } from '../../reference/decimal.ts';
import { DTYPES, exact, ulp, type Dtype } from '../../reference/dtype.ts';
import { FAMILIES, findOptimizer, type Family } from '../../reference/registry.ts';
import { describeFailure, type OutputCheck } from '../check/compare.ts';
import { goldenCase, sha256, validateGolden, type GoldenDtypeOutput, type GoldenFile } from './format.ts';
import { GOLDEN_DIR, MANIFEST } from './store.ts';
import { greet, type Implementation } from '../protocol/implementation.ts';
import { toRunRequest } from '../check/case.ts';
import type { HelloReply, RunReply, Support, WireStepOutput } from '../protocol/messages.ts';
import type { CheckReport, ClauseResult, TargetResult } from '../check/runner.ts';
import { decodeNumber, decodeWireArray, type WireNumber } from '../protocol/wire.ts';
import { withTimeout } from '../protocol/timeout.ts';

export interface GoldenVerifyOptions {
  readonly dir?: string;
  /** only files of this family */
  readonly optimizer?: string;
  readonly dtype?: Dtype;
  /** only these files (names as in the manifest) */
  readonly files?: readonly string[];
  readonly caseTimeoutMs?: number;
  readonly startupTimeoutMs?: number;
  readonly onProgress?: (event: { target: string; done: number; total: number }) => void;
}

export interface GoldenCaseCheck {
  readonly ok: boolean;
  readonly worst?: OutputCheck;
  readonly failure?: OutputCheck;
  readonly message?: string;
}

const isFiniteNumber = (x: WireNumber): x is number => typeof x === 'number';

/**
 * GOLD-4: one output against a golden file's expectation — pass when the allowed error is
 * "Infinity" (PREC-4), when it is 0 and the output equals the correctly rounded value, or when
 * |got − expected| ≤ allowed with `expected` the file's decimal string taken exactly.
 */
export function compareGoldenOutput(
  got: number,
  expected: string,
  want: GoldenDtypeOutput,
  i: number,
  dtype: Dtype,
): { ok: boolean; errorUlps: number; boundUlps: number } {
  const allowed = want.allowed[i];
  const value = decodeNumber(want.value[i]) as number;
  const boundUlps = isFiniteNumber(want.allowed_ulps[i]) ? (want.allowed_ulps[i] as number) : Infinity;
  if (allowed === 'Infinity') return { ok: true, errorUlps: 0, boundUlps: Infinity };
  if (!Number.isFinite(got) || !Number.isFinite(value)) {
    const same = got === value;
    return { ok: same, errorUlps: same ? 0 : Infinity, boundUlps };
  }
  const error = exact(got).minus(new Dec(expected)).abs();
  const unit = ulp(value, dtype);
  const errorUlps = error.div(exact(unit)).toNumber();
  if (allowed === 0) return { ok: got === value, errorUlps: got === value ? 0 : Math.max(errorUlps, Number.MIN_VALUE), boundUlps: 0 };
  return { ok: error.lte(exact(allowed as number)), errorUlps, boundUlps };
}

/** GOLD-4, GOLD-6: an implementation's reply to a golden case in one dtype, step by step; state is compared where the reply carries it. */
export function checkGoldenReply(g: GoldenFile, dtype: Dtype, reply: readonly WireStepOutput[]): GoldenCaseCheck {
  if (reply.length !== g.expected.length) return { ok: false, message: `reply has ${reply.length} steps, the golden case has ${g.expected.length}` };
  const n = g.case.params.length;
  let worst: OutputCheck | undefined;
  let worstRatio = -1;
  try {
    for (let k = 0; k < g.expected.length; k++) {
      const e = g.expected[k];
      const want = e.dtypes[dtype];
      const out = reply[k];
      const outputs: [string, ArrayLike<number>, string[], GoldenDtypeOutput][] = [
        ['params', decodeWireArray(out.params, n, `step ${e.step} params`), e.params, want.params],
      ];
      if (out.state !== undefined) {
        if (out.state.step !== undefined && out.state.step !== e.step)
          throw new Error(`step ${e.step} state.step is ${JSON.stringify(out.state.step)}, expected ${e.step}`);
        for (const [name, values] of Object.entries(e.state)) {
          if (typeof values === 'number' || out.state[name] === undefined) continue;
          outputs.push([name, decodeWireArray(out.state[name], n, `step ${e.step} state.${name}`), values, want.state[name]]);
        }
      }
      for (const [output, got, expected, w] of outputs) {
        for (let i = 0; i < n; i++) {
          const r = compareGoldenOutput(got[i], expected[i], w, i, dtype);
          const check: OutputCheck = { step: e.step, element: i, output, got: got[i], expected: expected[i], errorUlps: r.errorUlps, boundUlps: r.boundUlps };
          if (!r.ok) return { ok: false, worst: check, failure: check, message: describeFailure(check, dtype) };
          const ratio = r.boundUlps === Infinity ? 0 : r.boundUlps === 0 ? 0 : r.errorUlps / r.boundUlps;
          if (ratio > worstRatio) {
            worstRatio = ratio;
            worst = check;
          }
        }
      }
    }
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  return { ok: true, worst };
}

export interface LoadedGolden {
  readonly file: string;
  readonly golden: GoldenFile;
}

/** GOLD-5, GOLD-6: the golden files of a folder in manifest order, each checked against its hash and the schema; throws naming the first bad one. */
export function loadGolden(dir: string = GOLDEN_DIR): LoadedGolden[] {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as { files: { file: string; sha256: string }[] };
  return manifest.files.map(({ file, sha256: hash }) => {
    const bytes = readFileSync(join(dir, file));
    if (sha256(bytes) !== hash) throw new Error(`${file}: SHA-256 does not match ${MANIFEST}`);
    const golden = JSON.parse(bytes.toString('utf8')) as GoldenFile;
    const error = validateGolden(golden);
    if (error !== undefined) throw new Error(`${file}: does not match schema.json: ${error}`);
    return { file, golden };
  });
}

/** Whether the case's hyperparameters (base and every override) stay inside a support entry's pins. */
function insidePins(g: GoldenFile, support: Support): boolean {
  const fixed = support.fixed ?? {};
  let current: Record<string, unknown> = { ...g.case.hyper };
  const seen = g.case.steps.map((s) => (current = { ...current, ...(s.hyper ?? {}) }));
  return Object.entries(fixed).every(([k, v]) => seen.every((h) => (h[k] ?? findDefault(g, k)) === v));
}

function findDefault(g: GoldenFile, name: string): unknown {
  return findOptimizer(g.case.optimizer, g.case.variant)?.hyper.find((h) => h.name === name)?.default;
}

interface Tally {
  readonly family: string;
  readonly against: string;
  readonly dtype: Dtype;
  cases: number;
  skipped: number;
  failure?: { file: string; check: GoldenCaseCheck | { message: string }; golden: GoldenFile };
  readonly clauses: Map<string, { cases: number; worst?: OutputCheck; ratio: number; failed: boolean }>;
}

/**
 * GOLD-6: checks an implementation against the golden files over the protocol and reports as
 * `optconf run` does (exit 0 conformant, 1 not conformant, 2 could not run). The dtypes checked
 * are those of each file that the implementation's hello `supports` lists for the family;
 * `unsupported` replies are skipped.
 */
export async function verifyGolden(impl: Implementation, options: GoldenVerifyOptions = {}): Promise<CheckReport> {
  const couldNotRun = (implementation: string, message: string, runs = 0): CheckReport => ({
    implementation,
    seed: 0,
    runs,
    verdict: 'could-not-run',
    exitCode: 2,
    targets: [],
    message,
  });
  let files: LoadedGolden[];
  try {
    files = loadGolden(options.dir).filter(
      ({ file, golden }) =>
        (options.optimizer === undefined || golden.case.optimizer === options.optimizer) && (options.files === undefined || options.files.includes(file)),
    );
  } catch (e) {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
    return couldNotRun('(not started)', `the golden files cannot be used: ${(e as Error).message}`);
  }
  let hello: HelloReply;
  try {
    hello = await greet(impl, options.startupTimeoutMs ?? 30_000);
  } catch (e) {
    return couldNotRun('(no hello)', (e as Error).message);
  }
  try {
    const jobs: { file: string; golden: GoldenFile; dtype: Dtype }[] = [];
    const pinned: { file: string; golden: GoldenFile; dtype: Dtype }[] = [];
    for (const { file, golden } of files) {
      for (const dtype of golden.dtypes) {
        if (options.dtype !== undefined && dtype !== options.dtype) continue;
        const support = hello.supports.find((s) => s.optimizer === golden.case.optimizer && s.dtypes.includes(dtype));
        if (!support) continue;
        (insidePins(golden, support) ? jobs : pinned).push({ file, golden, dtype });
      }
    }
    if (jobs.length === 0)
      return couldNotRun(
        hello.implementation,
        `nothing to check: no golden file is in a family and dtype the implementation supports${pinned.length ? ' inside its fixed hyperparameters' : ''}`,
        files.length,
      );

    const tallies = new Map<string, Tally>();
    const tallyOf = (g: GoldenFile, dtype: Dtype): Tally => {
      const against = g.case.variant ? `${g.case.optimizer}/${g.case.variant}` : g.case.optimizer;
      const key = `${against}|${dtype}`;
      let t = tallies.get(key);
      if (!t) {
        const def = findOptimizer(g.case.optimizer, g.case.variant);
        t = {
          family: g.case.optimizer,
          against,
          dtype,
          cases: 0,
          skipped: 0,
          clauses: new Map((def?.clauses ?? g.clauses).map((c) => [c, { cases: 0, ratio: -1, failed: false }])),
        };
        tallies.set(key, t);
      }
      return t;
    };
    for (const { golden, dtype } of pinned) {
      const t = tallyOf(golden, dtype);
      t.cases++;
      t.skipped++;
    }

    let done = 0;
    let dead: string | undefined;
    for (const { file, golden, dtype } of jobs) {
      const t = tallyOf(golden, dtype);
      t.cases++;
      const request = toRunRequest(goldenCase(golden, dtype), `${golden.name}:${dtype}`);
      let reply: RunReply;
      try {
        reply = await withTimeout(impl.run(request), options.caseTimeoutMs ?? 60_000, `reply to ${request.id}`);
      } catch (e) {
        reply = { op: 'error', id: request.id, message: `implementation threw: ${(e as Error).message}` };
      }
      options.onProgress?.({ target: 'golden', done: ++done, total: jobs.length });
      if (reply.op === 'unsupported') {
        t.skipped++;
        continue;
      }
      const check: GoldenCaseCheck =
        reply.op === 'error' ? { ok: false, message: `implementation error: ${reply.message}` } : checkGoldenReply(golden, dtype, reply.steps);
      const exercised = new Set(golden.clauses);
      for (const [clause, s] of t.clauses) {
        if (!exercised.has(clause)) continue;
        if (!check.ok) s.failed = true;
        else {
          s.cases++;
          const w = check.worst;
          const ratio = w ? (w.boundUlps === Infinity || w.boundUlps === 0 ? 0 : w.errorUlps / w.boundUlps) : 0;
          if (w && ratio > s.ratio) {
            s.ratio = ratio;
            s.worst = w;
          }
        }
      }
      if (!check.ok && t.failure === undefined) t.failure = { file, check, golden };
      dead = (impl as { failure?: string }).failure;
      if (dead !== undefined) break;
    }

    // Report order: family, canonical step before its variants, dtypes widest first.
    const order = (t: Tally) => [FAMILIES.indexOf(t.family as Family), t.against === t.family ? '' : t.against, DTYPES.indexOf(t.dtype)] as const;
    const sorted = [...tallies.values()].sort((a, b) => {
      const [fa, va, da] = order(a);
      const [fb, vb, db] = order(b);
      return fa - fb || (va < vb ? -1 : va > vb ? 1 : 0) || da - db;
    });
    const targets: TargetResult[] = sorted.map((t) => {
      const clauses: ClauseResult[] = [...t.clauses].map(([clause, s]) => ({
        clause,
        verdict: s.failed ? 'fail' : s.cases > 0 ? 'pass' : 'untested',
        cases: s.cases,
        worst: s.worst,
      }));
      const base = { optimizer: t.family, dtype: t.dtype, against: t.against, seed: 0, cases: t.cases, skipped: t.skipped, clauses };
      if (t.failure) {
        const { file, check, golden } = t.failure;
        const failureCheck = 'failure' in check ? check.failure : undefined;
        const message = `${file}: ${failureCheck ? describeFailure(failureCheck, t.dtype) : check.message}`;
        return {
          ...base,
          verdict: 'fail',
          note: `golden file ${file}`,
          failure: { message, minimalCase: goldenCase(golden, t.dtype), check: failureCheck, seed: 0, shrinks: 0 },
        };
      }
      if (t.skipped === t.cases) return { ...base, verdict: 'skipped', note: 'every golden case answered `unsupported` or outside the fixed hyperparameters' };
      return { ...base, verdict: 'pass' };
    });
    const failed = targets.some((r) => r.verdict === 'fail');
    const checked = targets.some((r) => r.verdict === 'pass');
    const runs = files.length;
    if (dead !== undefined)
      return {
        implementation: hello.implementation,
        seed: 0,
        runs,
        verdict: 'not-conformant',
        exitCode: 1,
        targets,
        message: `the implementation stopped answering: ${dead}`,
      };
    if (!failed && !checked) return { ...couldNotRun(hello.implementation, 'every golden case was answered `unsupported`', runs), targets };
    return { implementation: hello.implementation, seed: 0, runs, verdict: failed ? 'not-conformant' : 'conformant', exitCode: failed ? 1 : 0, targets };
  } finally {
    await Promise.resolve(impl.close?.()).catch(() => undefined);
  }
}
