/**
 * PyTorch 1.13 (Debian's python3-torch, installed by .ci/run) checked through its adapter:
 * torch.optim SGD, Adam, AdamW and RMSprop in float32 and float64 are conformant.
 */
import { describe, expect, it } from 'vitest';
import { spawnImplementation } from '../../conformance/process.ts';
import { formatReport } from '../../conformance/report.ts';
import { checkImplementation } from '../../conformance/runner.ts';

const TORCH = ['/usr/bin/python3', 'conformance/adapters/torch_optim.py'];
const targets = [
  ['sgd', 'SGD-1 · SGD-2 · SGD-3 · SGD-4'],
  ['adam', 'ADAM-1 · ADAM-2 · ADAM-3 · ADAM-4 · ADAM-5 · ADAM-6'],
  ['adamw', 'ADAMW-1 · ADAMW-2'],
  ['rmsprop', 'RMSPROP-1 · RMSPROP-2 · RMSPROP-3 · RMSPROP-4 · RMSPROP-5 · RMSPROP-6'],
] as const;

describe('torch.optim 1.13 is conformant (float32, float64)', () => {
  for (const [optimizer, clauses] of targets) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${clauses} · torch.optim ${optimizer} ${dtype}`, async () => {
        const report = await checkImplementation(spawnImplementation(TORCH), { optimizer, dtype, runs: 40, seed: 1125 });
        expect(report.verdict, formatReport(report)).toBe('conformant');
        const target = report.targets[0];
        expect(target.cases - target.skipped, 'cases actually checked').toBeGreaterThan(30);
        // Every clause was exercised (momentum, dampening, Nesterov, L2, AMSGrad, centered…), none left untested.
        for (const c of target.clauses) expect(c.verdict, `${c.clause} on torch ${optimizer} ${dtype}`).toBe('pass');
      });
    }
  }
});
