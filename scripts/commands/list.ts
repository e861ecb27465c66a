/** `optconf list`: families, variants and the clauses each implements. */
import type { Command } from 'commander';
import { OPTIMIZERS } from '../../reference/registry.ts';

export function register(program: Command): void {
  program
  .command('list')
  .description('list the optimizer families, their named variants and the clauses each implements')
  .action(() => {
    for (const def of OPTIMIZERS) console.log(`${def.name.padEnd(26)}${def.clauses.join(' ').padEnd(48)}${def.summary}`);
  });
}
