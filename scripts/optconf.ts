/**
 * The `optconf` command line: one module per subcommand under scripts/commands/, each a thin shell
 * over conformance/.
 */
import { Command, CommanderError } from 'commander';
import { register as registerExplain } from './commands/explain.ts';
import { register as registerGolden } from './commands/golden.ts';
import { register as registerList } from './commands/list.ts';
import { register as registerMerge } from './commands/merge.ts';
import { register as registerReference } from './commands/reference.ts';
import { register as registerRun } from './commands/run.ts';
import { register as registerServe } from './commands/serve.ts';

// A closed pipe (`optconf list | head`) ends the command quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command();
// PROTO-8: a usage error exits 2 (not 1, "not conformant") with one line naming the argument; set
// before the subcommands are registered, which inherit it
program
  .name('optconf')
  .description('Reference specification and conformance suite for neural-network optimizers')
  .exitOverride()
  .showSuggestionAfterError(false)
  .configureOutput({
    outputError: (text) => process.stderr.write(`optconf: ${text.trim()}\n`),
    // only help shown for an error (a command without its subcommand) goes here: one line says it instead
    writeErr: () => undefined,
  });

registerReference(program);
registerRun(program);
registerMerge(program);
registerServe(program);
registerList(program);
registerGolden(program);
registerExplain(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  // --help and --version end with their own code (0); every other way commander stops is a usage error
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(e.exitCode);
  if (e.code === 'commander.help')
    console.error(`optconf: error: missing command after "${['optconf', ...process.argv.slice(2)].join(' ')}" (--help lists them)`);
  process.exit(2);
}
