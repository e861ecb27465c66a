/** `optconf list`: families with their hyperparameters, named variants (with summaries) and the spec's clauses. */
import type { Command } from 'commander';
import { FAMILIES, OPTIMIZERS } from '../../reference/registry.ts';
import { specClauses } from '../traceability.ts';

function familyLines(): string[] {
  const lines = ['Optimizers (optconf run --optimizer FAMILY [--variant NAME]):'];
  for (const family of FAMILIES) {
    const defs = OPTIMIZERS.filter((o) => o.family === family);
    const canonical = defs.find((o) => o.name === family)!;
    const hyper = canonical.hyper.map((h) => (h.default === undefined ? h.name : `${h.name}=${h.default}`)).join(', ');
    lines.push('', `${family}  (${hyper})`);
    for (const def of defs) {
      const role = def.name === family ? 'canonical' : 'variant';
      lines.push(`  ${def.name.padEnd(24)}${role.padEnd(10)}${def.summary}`);
      lines.push(`  ${''.padEnd(34)}clauses: ${def.clauses.join(' ')}`);
    }
  }
  return lines;
}

function clauseLines(): string[] {
  const lines = ['Clauses (optconf explain ID):'];
  let file = '';
  for (const c of specClauses()) {
    if (c.file !== file) {
      file = c.file;
      lines.push('', file);
    }
    lines.push(`  ${c.id.padEnd(10)} ${c.title.replace(/^[A-Z]+-\d+\s*·\s*/, '')}`);
  }
  return lines;
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list the optimizer families, their named variants (with summaries) and the spec clauses')
    .argument('[what]', 'optimizers or clauses (default: both)')
    .action((what?: string) => {
      if (what !== undefined && what !== 'optimizers' && what !== 'clauses') {
        console.error(`optconf list: expected "optimizers" or "clauses", got ${JSON.stringify(what)}`);
        process.exit(2);
      }
      const parts = [what !== 'clauses' ? familyLines() : [], what !== 'optimizers' ? clauseLines() : []].filter((p) => p.length);
      console.log(parts.map((p) => p.join('\n')).join('\n\n'));
    });
}
