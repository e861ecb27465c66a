/** `optconf list`: families with their hyperparameters, named variants and known defects (with summaries) and the spec's clauses. */
import type { Command } from 'commander';
import { type DefectDef, defectSource, defectsOf, FAMILIES, KNOWN_DEFECTS, OPTIMIZERS } from '../../reference/registry.ts';
import { specClauses } from '../traceability.ts';

/** Where a defect was reported and fixed (DEFECT-1…), as the catalog says. */
const upstream = (d: DefectDef) => `${defectSource(d)}${d.fixedIn !== undefined ? ` in ${d.fixedIn}` : ''}`;

function familyLines(): string[] {
  const lines = ['Optimizers (optconf run --optimizer FAMILY [--variant NAME]):'];
  // the name column fits the longest name, canonical, variant or known defect
  const width = Math.max(...[...OPTIMIZERS, ...KNOWN_DEFECTS].map((d) => d.name.length)) + 2;
  const row = (name: string, role: string, text: string) => `  ${name.padEnd(width)}${role.padEnd(10)}${text}`;
  for (const family of FAMILIES) {
    const defs = OPTIMIZERS.filter((o) => o.family === family);
    const canonical = defs.find((o) => o.name === family)!;
    const hyper = canonical.hyper.map((h) => (h.default === undefined ? h.name : `${h.name}=${h.default}`)).join(', ');
    lines.push('', `${family}  (${hyper})`);
    for (const def of defs)
      lines.push(row(def.name, def.name === family ? 'canonical' : 'variant', def.summary), row('', '', `clauses: ${def.clauses.join(' ')}`));
    // DEFECT-1…: never run, only matched against a failure, so they are listed apart from the variants
    for (const d of defectsOf(family)) lines.push(row(d.name, 'defect', d.summary), row('', '', `clauses: ${d.clauses.join(' ')}; ${upstream(d)}`));
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
