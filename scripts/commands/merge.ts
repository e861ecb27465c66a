/** `optconf merge`: join the JSON reports of `optconf run --shard i/N` into the unsharded report (exit code as `optconf run`). */
import type { Command } from 'commander';
import { assertJsonReplaceable, formatReport, readJsonReport, writeJsonReport } from '../../conformance/report/report.ts';
import { mergeReports } from '../../conformance/report/merge.ts';
import { outputFor, printText, writeOutput } from './output.ts';

export function register(program: Command): void {
  program
    .command('merge')
    .description('join the --json reports of `optconf run --shard i/N`, i = 1…N, into the unsharded verdict; exit 0 conformant, 1 not, 2 could not run')
    .argument('<reports...>', 'the shards’ JSON reports')
    .option('--json <file>', 'also write the merged report as JSON (- for stdout)')
    .action(async (files: string[], opts: { json?: string }) => {
      try {
        const json = opts.json === undefined ? undefined : outputFor('--json', opts.json, assertJsonReplaceable);
        const report = mergeReports(files.map(readJsonReport));
        printText(formatReport(report), [json]);
        if (json) await writeOutput(json, (path) => writeJsonReport(path, report));
        process.exit(report.exitCode);
      } catch (e) {
        console.error(`optconf merge: ${(e as Error).message}`);
        process.exit(2);
      }
    });
}
