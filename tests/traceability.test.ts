/** Traceability (DESIGN.md): every clause implemented and tested, every cited clause defined. */
import { describe, expect, it } from 'vitest';
import { CLAUSE_PREFIXES, traceability } from '../scripts/traceability.ts';

describe('traceability of spec clauses', () => {
  const map = traceability();

  it('finds the clauses of every spec file', () => {
    const prefixes = new Set(map.clauses.map((c) => c.id.split('-')[0]));
    for (const p of ['NOTE', 'GRAD', 'SGD', 'RMSPROP', 'ADAM', 'ADAMW', 'EWMA', 'PREC', 'PROTO', 'GOLD']) {
      expect(prefixes.has(p), `no ${p}-n clause found in spec/`).toBe(true);
    }
  });

  it('looks for citations of every clause prefix spec/ defines, and of no other', () => {
    const prefixes = [...new Set(map.clauses.map((c) => c.id.split('-')[0]))].sort();
    expect([...CLAUSE_PREFIXES].sort()).toEqual(prefixes);
  });

  it('has no clause without an implementing function or a test, and no citation of an undefined clause', () => {
    expect(map.problems, map.problems.join('\n')).toEqual([]);
  });
});
