/**
 * Conformance as a test assertion, for JavaScript implementers (vitest, jest, node:test):
 *
 *     await expectConformant(myAdam, { optimizer: 'adam', dtype: 'float32', seed: 1 });
 *
 * It resolves to the report when the implementation is conformant, and otherwise throws an Error
 * whose message is exactly what `optconf run` prints, so a failing test shows the same verdicts,
 * minimal case, fingerprint and replay line as the command line.
 */
import type { Implementation } from '../protocol/implementation.ts';
import { formatReport } from './report.ts';
import { checkImplementation, type CheckOptions } from '../check/runner.ts';
import type { CheckReport } from '../check/verdict.ts';

export interface ExpectOptions extends CheckOptions {
  /** the command prefix printed in replay lines (default `optconf run`) */
  readonly replay?: string;
}

/** A check that did not end conformant; `report` holds the details, `message` the CLI's text. */
export class ConformanceError extends Error {
  constructor(
    readonly report: CheckReport,
    message: string,
  ) {
    super(message);
    this.name = 'ConformanceError';
  }
}

export async function expectConformant(impl: Implementation, options: ExpectOptions = {}): Promise<CheckReport> {
  const { replay, ...check } = options;
  const report = await checkImplementation(impl, check);
  if (report.verdict !== 'conformant') throw new ConformanceError(report, formatReport(report, replay));
  return report;
}
