/** `optconf reference`: the reference as an optconf/1 implementation on stdin/stdout. */
import type { Command } from 'commander';
import { referenceImplementation } from '../../conformance/adapters/reference.ts';
import { serve } from '../../conformance/protocol/serve.ts';

export function register(program: Command): void {
  program
    .command('reference')
    .description('run the reference as an optconf/1 implementation on stdin/stdout (every family, variant and dtype)')
    .action(async () => {
      await serve(referenceImplementation, process.stdin, process.stdout);
    });
}
