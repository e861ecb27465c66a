/** `optconf golden verify`: check an implementation against the golden trace files (GOLD-6, GOLD-7; exit 0 conformant, 1 not, 2 could not run). */
import { Option, type Command } from 'commander';
import { DTYPES } from '../../reference/dtype.ts';
import { FAMILIES } from '../../reference/registry.ts';
import { GOLDEN_DIR } from '../../conformance/golden/store.ts';
import { verifyGolden } from '../../conformance/golden/verify.ts';
import { assertJsonReplaceable, formatReport, writeJsonReport } from '../../conformance/report/report.ts';
import type { CheckReport } from '../../conformance/check/verdict.ts';
import { dtypeArg, progress } from './options.ts';
import { outputFor, printText, writeOutput, type Output } from './output.ts';
import { IMPL_HELP, implementationFor } from '../../conformance/adapters/builtin.ts';

export function register(program: Command): void {
  const golden = program.command('golden').description('golden trace files (regenerate them with `npm run golden`)');
  golden
    .command('verify')
    .description('check an implementation against the golden files; exit 0 conformant, 1 not conformant, 2 could not run')
    .requiredOption('--impl <command>', IMPL_HELP)
    .addOption(new Option('--optimizer <name>', 'only the files of this optimizer family').choices(FAMILIES))
    .option('--dtype <dtype>', `only this dtype (${DTYPES.join(', ')})`, dtypeArg)
    .option('--file <name...>', 'only these golden files (names as in manifest.json)')
    .option('--dir <folder>', 'the golden folder', GOLDEN_DIR)
    .addOption(
      new Option(
        '--form <form>',
        'step-wise: each step from the state before it (GOLD-7); trajectory: each case from its inputs (GOLD-6); auto: step-wise where the implementation returns state',
      )
        .choices(['auto', 'step-wise', 'trajectory'])
        .default('auto'),
    )
    .option('--json <file>', 'also write the report as JSON (- for stdout)')
    // The report's replay line carries --runs and --seed (written for `optconf run`); accepted and ignored here.
    .addOption(new Option('--runs <n>').hideHelp())
    .addOption(new Option('--seed <s>').hideHelp())
    .action(async (opts) => {
      let json: Output | undefined;
      try {
        json = opts.json === undefined ? undefined : outputFor('--json', opts.json, assertJsonReplaceable);
      } catch (e) {
        console.error(`optconf golden verify: ${(e as Error).message}`);
        process.exit(2);
      }
      const bar = progress();
      let report: CheckReport;
      try {
        const impl = await implementationFor(opts.impl);
        report = await verifyGolden(impl, {
          dir: opts.dir,
          optimizer: opts.optimizer,
          dtype: opts.dtype,
          files: opts.file,
          form: opts.form,
          onProgress: bar.update,
        });
      } catch (e) {
        bar.stop();
        console.error(`optconf golden verify: ${(e as Error).message}`);
        process.exit(2);
      }
      bar.stop();
      printText(formatReport(report, `optconf golden verify --impl ${JSON.stringify(opts.impl)}`), [json]);
      if (json) {
        try {
          await writeOutput(json, (path) => writeJsonReport(path, report));
        } catch (e) {
          console.error(`optconf golden verify: ${(e as Error).message}`);
          process.exit(2);
        }
      }
      process.exit(report.exitCode);
    });
}
