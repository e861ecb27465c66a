/** `optconf serve <name>`: a bundled implementation (reference, float, tfjs) or a user's module (`module:PATH`) as an optconf/1 process on stdin/stdout. */
import type { Command } from 'commander';
import { BUILTIN } from '../../conformance/adapters/builtin.ts';
import { loadOptimizerModule, MODULE_PREFIX } from '../../conformance/adapters/module.ts';
import { serve } from '../../conformance/protocol/serve.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      `serve a bundled implementation over optconf/1 on stdin/stdout (${Object.keys(BUILTIN).join(', ')})` +
        `, e.g. as the adapter process of \`optconf run --impl "optconf serve float"\``,
    )
    .argument('<name>', `the bundled implementation, or ${MODULE_PREFIX}PATH (a JavaScript optimizer module)`)
    .action(async (name: string) => {
      if (name.startsWith(MODULE_PREFIX)) {
        const impl = await loadOptimizerModule(name.slice(MODULE_PREFIX.length)).catch((e: Error) => {
          console.error(`optconf serve: ${e.message}`);
          process.exit(2);
        });
        return serve(impl, process.stdin, process.stdout);
      }
      const builtin = BUILTIN[name];
      if (!builtin) {
        console.error(`optconf serve: no bundled implementation ${JSON.stringify(name)}; known: ${Object.keys(BUILTIN).join(', ')}, or ${MODULE_PREFIX}PATH`);
        process.exit(2);
      }
      await serve(await builtin.make(), process.stdin, process.stdout);
    });
}
