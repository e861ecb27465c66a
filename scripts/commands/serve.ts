/** `optconf serve <name>`: a bundled implementation (reference, float, tfjs) as an optconf/1 process on stdin/stdout. */
import type { Command } from 'commander';
import { BUILTIN } from '../../conformance/adapters/builtin.ts';
import { serve } from '../../conformance/protocol/serve.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      `serve a bundled implementation over optconf/1 on stdin/stdout (${Object.keys(BUILTIN).join(', ')})` +
        `, e.g. as the adapter process of \`optconf run --impl "optconf serve float"\``,
    )
    .argument('<name>', 'the bundled implementation')
    .action(async (name: string) => {
      const builtin = BUILTIN[name];
      if (!builtin) {
        console.error(`optconf serve: no bundled implementation ${JSON.stringify(name)}; known: ${Object.keys(BUILTIN).join(', ')}`);
        process.exit(2);
      }
      await serve(builtin.make(), process.stdin, process.stdout);
    });
}
