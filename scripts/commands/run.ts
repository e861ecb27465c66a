/** `optconf run`: check an implementation against the reference (exit 0 conformant, 1 not, 2 could not run). */
import { Option, type Command } from 'commander';
import { DTYPES } from '../../reference/dtype.ts';
import { FAMILIES } from '../../reference/registry.ts';
import { spawnImplementation, splitCommand } from '../../conformance/process.ts';
import { referenceImplementation } from '../../conformance/reference-implementation.ts';
import { formatReport, writeJsonReport } from '../../conformance/report.ts';
import { checkImplementation, DEFAULT_RUNS, type CheckReport } from '../../conformance/runner.ts';
import { dtypeArg, integer, progress, shardArg } from './options.ts';

export function register(program: Command): void {
  program
  .command('run')
  .description('check an implementation against the reference; exit 0 conformant, 1 not conformant, 2 could not run')
  .requiredOption('--impl <command>', "the implementation's command and arguments (run without a shell), or 'reference'")
  .addOption(new Option('--optimizer <name>', 'only this optimizer').choices(FAMILIES))
  .option('--dtype <dtype>', `only this dtype (${DTYPES.join(', ')})`, dtypeArg)
  .option('--variant <name>', 'check against a named variant instead of the canonical step (see `optconf list`)')
  .option('--runs <n>', `cases per optimizer and dtype (default ${DEFAULT_RUNS})`, integer('--runs', 1))
  .option('--seed <s>', 'seed of the generated cases (default: random, printed)', integer('--seed', -(2 ** 31)))
  .option('--shard <i/N>', 'run shard i of N (targets dealt round-robin)', shardArg)
  .addOption(new Option('--profile <name>', 'case profile').choices(['default', 'long']).default('default'))
  .option('--json <file>', 'also write the report as JSON')
  .action(async (opts) => {
    const bar = progress();
    let report: CheckReport;
    try {
      const impl = opts.impl === 'reference' ? referenceImplementation : spawnImplementation(splitCommand(opts.impl));
      report = await checkImplementation(impl, {
        optimizer: opts.optimizer,
        dtype: opts.dtype,
        variant: opts.variant,
        runs: opts.runs,
        seed: opts.seed,
        shard: opts.shard,
        profile: opts.profile,
        onProgress: bar.update,
      });
    } catch (e) {
      bar.stop();
      console.error(`optconf run: ${(e as Error).message}`);
      process.exit(2);
    }
    bar.stop();
    console.log(formatReport(report, `optconf run --impl ${JSON.stringify(opts.impl)}`));
    if (opts.json) {
      try {
        writeJsonReport(opts.json, report);
      } catch (e) {
        console.error(`optconf run: ${(e as Error).message}`);
        process.exit(2);
      }
    }
    process.exit(report.exitCode);
  });
}
