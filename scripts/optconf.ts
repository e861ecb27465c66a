/**
 * The `optconf` command line: one module per subcommand under scripts/commands/, each a thin shell
 * over conformance/.
 */
import { Command } from 'commander';
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
program.name('optconf').description('Reference specification and conformance suite for neural-network optimizers').showHelpAfterError();

registerReference(program);
registerRun(program);
registerMerge(program);
registerServe(program);
registerList(program);
registerGolden(program);
registerExplain(program);

await program.parseAsync(process.argv);
