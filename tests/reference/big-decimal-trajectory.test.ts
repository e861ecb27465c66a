/**
 * NOTE-6 at the level of whole optimizers: every definition, run by `referenceTrajectory` in
 * decimal.js and in BigDecimal, gives the same trajectory digit for digit (the operation-level
 * properties are in big-decimal.test.ts). decimal.js is the oracle; nothing here is computed by
 * the engine under test alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArbitrary } from '../../conformance/check/arbitraries.ts';
import { goldenSpecs } from '../../conformance/golden/cases.ts';
import { definitionOf } from '../../conformance/golden/format.ts';
import type { BigDecimal } from '../../reference/big-decimal.ts';
import type { Dec } from '../../reference/decimal.ts';
import { DTYPES } from '../../reference/dtype.ts';
import { OPTIMIZERS, type OptimizerDef } from '../../reference/registry.ts';
import { BIG_DECIMAL, referenceTrajectory, type CaseInput, type ExactStep } from '../../reference/trajectory.ts';

const SEED = 20261125;

/** Every value of a trajectory as text that keeps the sign of zero ("-0"), in decimal.js's own notation. */
function digitsOf(steps: readonly ExactStep<Dec>[]): string[] {
  return steps.flatMap((s, k) => [
    ...s.params.map((d, i) => `${k}.params[${i}] ${d.isNeg() ? '-' : '+'}${d.abs().toString()}`),
    ...Object.entries(s.state).flatMap(([name, v]) =>
      typeof v === 'number' ? [`${k}.${name} ${v}`] : v.map((d, i) => `${k}.${name}[${i}] ${d.isNeg() ? '-' : '+'}${d.abs().toString()}`),
    ),
  ]);
}

function asDecimal(steps: readonly ExactStep<BigDecimal>[]): ExactStep<Dec>[] {
  return steps.map((s) => ({
    params: s.params.map((x) => x.toDecimal()),
    state: Object.fromEntries(
      Object.entries(s.state).map(([name, v]) => [name, typeof v === 'number' ? v : v.map((x) => x.toDecimal())]),
    ) as ExactStep<Dec>['state'],
  }));
}

/** Both engines' outcome: the digits, or the error message (an invalid case must fail the same way). */
function outcome(run: () => ExactStep<Dec>[]): string[] {
  try {
    return digitsOf(run());
  } catch (e) {
    return [`error: ${(e as Error).message}`];
  }
}

/**
 * The first ELEMENTS elements of a long generated case. referenceTrajectory steps each element on
 * its own in either engine (the hyperparameters and step count are shared, the element's values
 * its own), so the 4,097+ elements of a long vector are so many more draws of the same element
 * distribution, not another path: 256 of them keep the case's hyperparameters, steps and element
 * kinds at a twenty-third of the cost (the long vectors were four fifths of this file's time).
 */
const ELEMENTS = 256;
function firstElements(c: CaseInput): CaseInput {
  if (c.params.length <= ELEMENTS) return c;
  const cut = (v: unknown) => (Array.isArray(v) ? v.slice(0, ELEMENTS) : v);
  return {
    ...c,
    params: c.params.slice(0, ELEMENTS),
    state: c.state && Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, cut(v)])),
    steps: c.steps.map((s) => ({ ...s, grad: s.grad.slice(0, ELEMENTS) })),
  };
}

function expectSameTrajectory(def: OptimizerDef, input: CaseInput, what: string): void {
  const decimal = outcome(() => referenceTrajectory(def, input));
  const big = outcome(() => asDecimal(referenceTrajectory(def, input, BIG_DECIMAL)));
  expect(big, what).toEqual(decimal);
}

describe('NOTE-6: BigDecimal trajectories equal decimal.js trajectories', () => {
  // one test per definition (25 with issue 12's families and variants, 8 cases per dtype), so the
  // time limit is per definition; the large generated cases dominate, decimal.js's most of all
  for (const def of OPTIMIZERS) {
    it(`NOTE-6: ${def.name}, every dtype, on generated cases`, () => {
      for (const dtype of DTYPES) {
        const cases = fc.sample(caseArbitrary(def.family, dtype), { seed: SEED, numRuns: 8 });
        for (const c of cases) expectSameTrajectory(def, firstElements(c), `${def.name} ${dtype}`);
      }
    });
  }

  it('NOTE-6: every golden case small enough to run twice here', () => {
    const specs = goldenSpecs().filter((s) => s.params.length * s.steps.length <= 20_000);
    expect(specs.length).toBeGreaterThan(10);
    for (const spec of specs) expectSameTrajectory(definitionOf(spec.definition), spec, spec.name);
  });
});
