/**
 * Which clauses a case exercises: the definition's clauses, less those its hyperparameters switch
 * off (L2 at λ = 0, AMSGrad off, no momentum, …). Verdicts are reported per exercised clause.
 */
import type { Case } from './case.ts';
import type { OptimizerDef } from '../../reference/registry.ts';

type Hyper = Case['hyper'];

const nonZero = (h: Hyper, name: string) => typeof h[name] === 'number' && h[name] !== 0;
const on = (h: Hyper, name: string) => h[name] === true;

/** Clauses that apply only under some hyperparameters; every other clause of a definition always applies. */
const CONDITIONAL: Readonly<Record<string, (h: Hyper) => boolean>> = {
  'SGD-2': (h) => nonZero(h, 'weight_decay'),
  'SGD-3': (h) => nonZero(h, 'momentum'),
  'SGD-4': (h) => on(h, 'nesterov'),
  'RMSPROP-3': (h) => on(h, 'centered'),
  'RMSPROP-4': (h) => !nonZero(h, 'momentum'),
  'RMSPROP-5': (h) => nonZero(h, 'momentum'),
  'RMSPROP-6': (h) => nonZero(h, 'weight_decay'),
  'ADAM-1': (h) => nonZero(h, 'weight_decay'),
  'ADAM-6': (h) => on(h, 'amsgrad'),
  'ADAMW-1': (h) => nonZero(h, 'weight_decay') || h.weight_decay === undefined,
  'ADAGRAD-1': (h) => nonZero(h, 'weight_decay'),
  'ADAGRAD-2': (h) => nonZero(h, 'lr_decay'),
  'ADADELTA-1': (h) => nonZero(h, 'weight_decay'),
  'ADAMAX-1': (h) => nonZero(h, 'weight_decay'),
  'NADAM-1': (h) => nonZero(h, 'weight_decay'),
  'RADAM-1': (h) => nonZero(h, 'weight_decay'),
};

/** The case's hyperparameters in force at any step: the base and every override (NOTE-3). */
function hyperSeen(c: Case): Hyper[] {
  const seen: Hyper[] = [];
  let current: Hyper = c.hyper;
  for (const s of c.steps) {
    current = { ...current, ...(s.hyper ?? {}) };
    seen.push(current);
  }
  return seen;
}

export function exercisedClauses(def: OptimizerDef, c: Case): string[] {
  const seen = hyperSeen(c);
  return def.clauses.filter((clause) => {
    const condition = CONDITIONAL[clause];
    return condition === undefined || seen.some(condition);
  });
}
