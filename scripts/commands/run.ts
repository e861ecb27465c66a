/** `optconf run`: check an implementation against the reference (exit 0 conformant, 1 not, 2 could not run). */
import { Option, type Command } from 'commander';
import { DTYPES } from '../../reference/dtype.ts';
import { FAMILIES } from '../../reference/registry.ts';
import { assertHtmlReplaceable, writeHtmlReport } from '../../conformance/report/html.ts';
import { assertJunitReplaceable, writeJunitReport } from '../../conformance/report/junit.ts';
import { assertJsonReplaceable, formatReport, shellWord, writeJsonReport } from '../../conformance/report/report.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { DEFAULT_RUNS } from '../../conformance/limits.ts';
import { specClauses } from '../traceability.ts';
import { dtypeArg, integer, pathArg, progress, shardArg } from './options.ts';
import { outputFor, printText, writeOutput, writesStdout } from './output.ts';
import { IMPL_HELP, implementationFor } from '../../conformance/adapters/builtin.ts';

export function register(program: Command): void {
  program
    .command('run')
    .description('check an implementation against the reference; exit 0 conformant, 1 not conformant, 2 could not run')
    .requiredOption('--impl <command>', IMPL_HELP)
    .addOption(new Option('--optimizer <name>', 'only this optimizer').choices(FAMILIES))
    .option('--dtype <dtype>', `only this dtype (${DTYPES.join(', ')})`, dtypeArg)
    .option('--variant <name>', 'check against a named variant instead of the canonical step (see `optconf list`)')
    .option('--runs <n>', `cases per optimizer and dtype (default ${DEFAULT_RUNS})`, integer('--runs', 1))
    .option('--seed <s>', 'seed of the generated cases (default: random, printed)', integer('--seed', -(2 ** 31)))
    .option('--path <p>', "replay one shrunk case exactly: a report's fast-check path, with its --seed, --runs, --optimizer and --dtype", pathArg)
    .option(
      '--shard <i/N>',
      'run shard i of N: case k of every target belongs to shard ((k − 1) mod N) + 1; join the --json reports with `optconf merge`',
      shardArg,
    )
    .addOption(new Option('--profile <name>', 'case profile').choices(['default', 'long']).default('default'))
    .option('--json <file>', 'also write the report as JSON (- for stdout)')
    .option('--report <file>', 'also write a self-contained HTML report (plots of the errors, the minimal case; - for stdout)')
    .option('--junit <file>', 'also write a JUnit XML report for CI (one test case per clause per target; - for stdout)')
    .option('--json-arrays', 'send tensor arrays as JSON numbers even to an implementation that reads base64 arrays (PROTO-9), to read the exchange by eye')
    .action(async (opts) => {
      // Refuse a bad path or a user's file before a long run, not after it.
      let outputs: ReturnType<typeof reportOutputs>;
      try {
        assertReplayable(opts);
        outputs = reportOutputs(opts);
      } catch (e) {
        console.error(`optconf run: ${(e as Error).message}`);
        process.exit(2);
      }
      const started = Date.now();
      const bar = progress();
      let report: CheckReport;
      try {
        const impl = await implementationFor(opts.impl, { jsonArrays: opts.jsonArrays === true });
        report = await checkImplementation(impl, {
          optimizer: opts.optimizer,
          dtype: opts.dtype,
          variant: opts.variant,
          runs: opts.runs,
          seed: opts.seed,
          shard: opts.shard,
          profile: opts.profile,
          path: opts.path,
          onProgress: bar.update,
          // Samples feed only the HTML plots; without --report they would only swell the JSON.
          samples: opts.report ? undefined : 0,
        });
      } catch (e) {
        bar.stop();
        console.error(`optconf run: ${(e as Error).message}`);
        process.exit(2);
      }
      bar.stop();
      const replay = `optconf run --impl ${shellWord(opts.impl)}`;
      printText(formatReport(report, replay), Object.values(outputs));
      try {
        const { json, html, junit } = outputs;
        if (json) await writeOutput(json, (path) => writeJsonReport(path, report));
        if (html)
          await writeOutput(html, (path) => writeHtmlReport(path, report, { replay, clauseTitles: new Map(specClauses().map((c) => [c.id, c.title])) }));
        if (junit) await writeOutput(junit, (path) => writeJunitReport(path, report, { replay, elapsedMs: Date.now() - started }));
      } catch (e) {
        console.error(`optconf run: ${(e as Error).message}`);
        process.exit(2);
      }
      process.exit(report.exitCode);
    });
}

/** PROTO-8: a path replays one case of one target: it needs the seed and the target, and is not sharded. */
function assertReplayable(opts: { path?: string; seed?: number; optimizer?: string; dtype?: string; shard?: unknown }): void {
  if (opts.path === undefined) return;
  if (opts.seed === undefined || opts.optimizer === undefined || opts.dtype === undefined)
    throw new Error('--path replays one target: give it with the --seed, --optimizer and --dtype of the report that printed it');
  if (opts.shard !== undefined) throw new Error('--path replays one case; it cannot be sharded');
}

/** PROTO-8: the outputs of --json, --report and --junit, checked before the run; at most one of them on stdout. */
function reportOutputs(opts: { json?: string; report?: string; junit?: string }) {
  const outputs = {
    json: opts.json === undefined ? undefined : outputFor('--json', opts.json, assertJsonReplaceable),
    html: opts.report === undefined ? undefined : outputFor('--report', opts.report, assertHtmlReplaceable),
    junit: opts.junit === undefined ? undefined : outputFor('--junit', opts.junit, assertJunitReplaceable),
  };
  if (writesStdout(Object.values(outputs)) > 1) throw new Error('only one of --json, --report and --junit can write to stdout');
  return outputs;
}
