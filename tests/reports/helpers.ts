/** Shared fixtures of the report tests: checks that fail in a known way, and a scratch directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Implementation } from '../../conformance/protocol/implementation.ts';
import { referenceHello, referenceImplementation, referenceRun } from '../../conformance/adapters/reference.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';

/**
 * An implementation that passes SGD honestly and computes Adam with ε inside the square root
 * (ADAM-8) while claiming the canonical Adam: one target passes, one fails and is fingerprinted.
 */
export const epsInsideAdam: Implementation = {
  hello: () => ({
    ...referenceHello(),
    implementation: 'eps-inside Adam (test fixture)',
    supports: [
      { optimizer: 'sgd', dtypes: ['float32'] },
      { optimizer: 'adam', dtypes: ['float32'] },
    ],
  }),
  run: (request) => referenceRun(request.optimizer === 'adam' ? { ...request, variant: 'eps-inside-sqrt' } : request),
};

/** The brief's failing check: the reference (canonical Adam) checked against the ε-inside variant. */
export const againstVariant = (): Promise<CheckReport> =>
  checkImplementation(referenceImplementation, { optimizer: 'adam', dtype: 'float32', variant: 'eps-inside-sqrt', runs: 20, seed: 1 });

export const fingerprinted = (): Promise<CheckReport> => checkImplementation(epsInsideAdam, { runs: 20, seed: 7 });

export const scratch = (): string => mkdtempSync(join(tmpdir(), 'optconf-reports-'));
