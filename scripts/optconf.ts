/**
 * The `optconf` command line. Each subcommand is a thin shell over a module in conformance/.
 * Exit codes of `run`: 0 conformant, 1 not conformant, 2 the check could not run.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { DTYPES, isDtype, type Dtype } from '../reference/dtype.ts';
import { FAMILIES, OPTIMIZERS } from '../reference/registry.ts';
import { spawnImplementation, splitCommand } from '../conformance/process.ts';
import { referenceImplementation } from '../conformance/reference-implementation.ts';
import { formatReport, writeJsonReport } from '../conformance/report.ts';
import { checkImplementation, DEFAULT_RUNS, type CheckReport } from '../conformance/runner.ts';
import { serve } from '../conformance/serve.ts';

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function dtypeArg(value: string): Dtype {
  if (!isDtype(value)) throw new InvalidArgumentError(`must be one of ${DTYPES.join(', ')}`);
  return value;
}

function shardArg(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('must be i/N with 1 ≤ i ≤ N');
  return { index, count };
}

/** A progress bar on a terminal, nothing otherwise. */
function progress() {
  if (!process.stderr.isTTY) return { update: undefined, stop: () => undefined };
  const bar = new SingleBar({ format: ' {target} [{bar}] {value}/{total} cases', stream: process.stderr, clearOnComplete: true, hideCursor: true });
  let current = '';
  return {
    update: (e: { target: string; done: number; total: number }) => {
      if (e.target !== current) {
        if (current) bar.stop();
        current = e.target;
        bar.start(e.total, e.done, { target: e.target });
      } else bar.update(e.done);
    },
    stop: () => bar.stop(),
  };
}

const program = new Command();
program
  .name('optconf')
  .description('Reference specification and conformance suite for neural-network optimizers')
  .showHelpAfterError();

program
  .command('reference')
  .description('run the reference as an optconf/1 implementation on stdin/stdout (every family, variant and dtype)')
  .action(async () => {
    await serve(referenceImplementation, process.stdin, process.stdout);
  });

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

program
  .command('list')
  .description('list the optimizer families, their named variants and the clauses each implements')
  .action(() => {
    for (const def of OPTIMIZERS) console.log(`${def.name.padEnd(26)}${def.clauses.join(' ').padEnd(48)}${def.summary}`);
  });

await program.parseAsync(process.argv);
