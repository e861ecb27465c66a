/**
 * optconf's public API (the package entry point): check an optimizer in-process or in another
 * process against the reference, assert conformance in a test, and render the reports.
 */
export { checkImplementation, DEFAULT_RUNS, SAMPLES_PER_TARGET, targetSeed } from './conformance/runner.ts';
export type { CheckOptions, CheckReport, ClauseResult, Failure, TargetResult, TargetSample } from './conformance/runner.ts';
export { ConformanceError, expectConformant, type ExpectOptions } from './conformance/expect.ts';
export { spawnImplementation, splitCommand, DEFAULT_LIMITS, type ProcessImplementation, type ProcessLimits, type SpawnOptions } from './conformance/process.ts';
export { referenceImplementation } from './conformance/reference-implementation.ts';
export type { Implementation } from './conformance/implementation.ts';
export { serve, type ServeOptions } from './conformance/serve.ts';
export { PROTOCOL } from './conformance/protocol.ts';
export type { HelloReply, RunReply, RunRequest, Support, WireHyper, WireState, WireStepInput, WireStepOutput } from './conformance/protocol.ts';
export type { Case, CaseStep } from './conformance/case.ts';
export type { OutputCheck, OutputSample } from './conformance/compare.ts';
export { formatReport, replayCommand, writeJsonReport, REPORT_FORMAT } from './conformance/report.ts';
export { renderHtmlReport, writeHtmlReport, type HtmlOptions } from './conformance/report-html.ts';
export { renderJunitReport, writeJunitReport } from './conformance/report-junit.ts';
export { DTYPES, type Dtype } from './reference/dtype.ts';
export { FAMILIES, OPTIMIZERS, findOptimizer, type Family, type OptimizerDef } from './reference/registry.ts';
