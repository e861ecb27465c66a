/**
 * optconf's public API (the package entry point): check an optimizer in-process (your own
 * JavaScript module too) or in another process against the reference, assert conformance in a test, and render the reports.
 */
export { checkImplementation, targetSeed, type CheckOptions } from './conformance/check/runner.ts';
export { DEFAULT_RUNS, SAMPLES_PER_TARGET } from './conformance/limits.ts';
export {
  EXIT_CODES,
  type CaseLog,
  type CheckReport,
  type ClauseResult,
  type Failure,
  type TargetResult,
  type TargetSample,
  type Verdict,
} from './conformance/check/verdict.ts';
export { mergeReports } from './conformance/report/merge.ts';
export { ConformanceError, expectConformant, type ExpectOptions } from './conformance/report/expect.ts';
export {
  spawnImplementation,
  splitCommand,
  DEFAULT_LIMITS,
  type ProcessImplementation,
  type ProcessLimits,
  type SpawnOptions,
} from './conformance/protocol/process.ts';
export { referenceImplementation } from './conformance/adapters/reference.ts';
export {
  loadOptimizerModule,
  moduleImplementation,
  type FloatArray,
  type ModuleDtype,
  type ModuleOptimizer,
  type ModuleState,
  type OptimizerModule,
} from './conformance/adapters/module.ts';
export type { Implementation } from './conformance/protocol/implementation.ts';
export { serve, type ServeOptions } from './conformance/protocol/serve.ts';
export { PROTOCOL } from './conformance/protocol/messages.ts';
export type { HelloReply, RunReply, RunRequest, Support, WireHyper, WireState, WireStepInput, WireStepOutput } from './conformance/protocol/messages.ts';
export type { Case, CaseStep } from './conformance/check/case.ts';
export type { OutputCheck, OutputSample } from './conformance/check/compare.ts';
export { formatReport, replayCommand, writeJsonReport, REPORT_FORMAT } from './conformance/report/report.ts';
export { renderHtmlReport, writeHtmlReport, type HtmlOptions } from './conformance/report/html.ts';
export { renderJunitReport, writeJunitReport } from './conformance/report/junit.ts';
export { DTYPES, type Dtype } from './reference/dtype.ts';
export { FAMILIES, OPTIMIZERS, findOptimizer, type Family, type OptimizerDef } from './reference/registry.ts';
