/**
 * The `optconf` command line. Each subcommand is a thin shell over a module in conformance/.
 */
import { Command } from 'commander';
import { referenceImplementation } from '../conformance/reference-implementation.ts';
import { serve } from '../conformance/serve.ts';

const program = new Command();
program.name('optconf').description('Reference specification and conformance suite for neural-network optimizers');

program
  .command('reference')
  .description('run the reference as an optconf/1 implementation on stdin/stdout')
  .action(async () => {
    await serve(referenceImplementation, process.stdin, process.stdout);
  });

await program.parseAsync(process.argv);
