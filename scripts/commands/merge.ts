/** `optconf merge`: join the JSON reports of `optconf run --shard i/N` into the unsharded report (exit code as `optconf run`). */
import type { Command } from 'commander';
import { assertJsonReplaceable, formatReport, readJsonReport, writeJsonReport } from '../../conformance/report/report.ts';
import { mergeReports } from '../../conformance/report/merge.ts';

export function register(program: Command): void {
  program
    .command('merge')
    .description('join the --json reports of `optconf run --shard i/N`, i = 1…N, into the unsharded verdict; exit 0 conformant, 1 not, 2 could not run')
    .argument('<reports...>', 'the shards’ JSON reports')
    .option('--json <file>', 'also write the merged report as JSON')
    .action((files: string[], opts: { json?: string }) => {
      try {
        if (opts.json) assertJsonReplaceable(opts.json);
        const report = mergeReports(files.map(readJsonReport));
        console.log(formatReport(report));
        if (opts.json) writeJsonReport(opts.json, report);
        process.exit(report.exitCode);
      } catch (e) {
        console.error(`optconf merge: ${(e as Error).message}`);
        process.exit(2);
      }
    });
}
