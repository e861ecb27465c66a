/** `optconf reference`: the reference as an optconf/1 implementation on stdin/stdout, progress of long cases on stderr. */
import type { Command } from 'commander';
import { servedReference } from '../../conformance/adapters/reference-pool.ts';
import { serve } from '../../conformance/protocol/serve.ts';

export function register(program: Command): void {
  program
    .command('reference')
    .description('run the reference as an optconf/1 implementation on stdin/stdout (every family, variant and dtype)')
    .action(async () => {
      await serve(servedReference(process.stderr), process.stdin, process.stdout);
    });
}
