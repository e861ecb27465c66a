/**
 * `npm run golden`: regenerate conformance/golden/ from the reference alone (spec/golden-format.md,
 * GOLD-5). `npm run golden -- --check` regenerates in memory and fails (exit 1), naming the
 * file, when any byte differs, a file is missing or extra, a file does not match the schema or
 * the manifest's SHA-256. A progress bar on a terminal, nothing otherwise.
 */
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { GOLDEN_DIR, checkGolden, generateGolden, writeGolden, type GenerateProgress } from '../conformance/golden/store.ts';
import { progressBar } from './commands/options.ts';

/** One bar over all the files, naming the one being written. */
const goldenProgress = () =>
  progressBar(' golden [{bar}] {value}/{total} {file}', (p: GenerateProgress) => ({ key: 'golden', done: p.done, total: p.total, fields: { file: p.file } }));

/**
 * `generate` is what regeneration computes (GOLD-5): the whole curated set, unless a caller that has
 * it already (a test checking exit codes and refusals) passes it in.
 */
export async function main(
  argv: readonly string[],
  generate: (onProgress?: (p: GenerateProgress) => void) => Map<string, string> = generateGolden,
): Promise<number> {
  const program = new Command()
    .name('npm run golden --')
    .description('regenerate the golden trace files from the reference, or check them (--check)')
    .option('--check', 'regenerate in memory and compare byte for byte, validate schema and manifest; exit 1 on any difference')
    .option('--force', 'delete files in the golden folder that the generator did not write')
    .option('--dir <folder>', 'the golden folder', GOLDEN_DIR)
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch {
    return 2;
  }
  const opts = program.opts<{ check?: boolean; force?: boolean; dir: string }>();
  const bar = goldenProgress();
  const started = Date.now();
  try {
    if (opts.check) {
      const problems = checkGolden(opts.dir, undefined, generate(bar.update));
      bar.stop();
      for (const p of problems) console.error(`golden: ${p}`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (problems.length > 0) {
        console.error(`golden: ${problems.length} problem(s) in ${opts.dir}; run \`npm run golden\` to regenerate (${seconds} s)`);
        return 1;
      }
      console.error(`golden: ${opts.dir} matches its regeneration, its schema and its manifest (${seconds} s)`);
      return 0;
    }
    const files = generate(bar.update);
    bar.stop();
    writeGolden(opts.dir, files, { force: opts.force, log: (line) => console.error(`golden: ${line}`) });
    console.error(`golden: wrote ${files.size} files to ${opts.dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return 0;
  } catch (e) {
    bar.stop();
    console.error(`golden: ${(e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
