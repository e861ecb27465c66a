/**
 * The runner on real libraries and on deliberately wrong optimizers: TensorFlow.js 4.22 (CPU,
 * in process) passes sgd, momentum and adam and is fingerprinted as TensorFlow's RMSprop; every
 * mutant of conformance/adapters/mutants.ts is rejected, and those that compute a named variant
 * (or a known defect) are named; the bundled float kernels of issue 12's families are conformant.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { floatImplementation } from '../../conformance/adapters/float.ts';
import { tfjsImplementation } from '../../conformance/adapters/tfjs.ts';
import { MUTANTS } from '../../conformance/adapters/mutants.ts';
import { formatReport } from '../../conformance/report/report.ts';
import { checkImplementation } from '../../conformance/check/runner.ts';

describe('TensorFlow.js 4.22 CPU backend', () => {
  it('SGD-1 · SGD-3 · SGD-4 · tfjs sgd and momentum (Nesterov too) pass in float32', async () => {
    const report = await checkImplementation(tfjsImplementation(), { optimizer: 'sgd', dtype: 'float32', runs: 60, seed: 4 });
    expect(report.verdict, formatReport(report)).toBe('conformant');
    const clauses = Object.fromEntries(report.targets[0].clauses.map((c) => [c.clause, c.verdict]));
    expect(clauses).toMatchObject({ 'SGD-1': 'pass', 'SGD-3': 'pass', 'SGD-4': 'pass' });
  });

  it('ADAM-2 · ADAM-3 · ADAM-4 · ADAM-5 · tfjs adam passes in float32 (its 1 − f32(β₂) admitted by PREC-3)', async () => {
    const report = await checkImplementation(tfjsImplementation(), { optimizer: 'adam', dtype: 'float32', runs: 60, seed: 4 });
    expect(report.verdict, formatReport(report)).toBe('conformant');
  });

  it('RMSPROP-7 · tfjs rmsprop fails PyTorch’s form and is fingerprinted as rmsprop/tensorflow', async () => {
    const report = await checkImplementation(tfjsImplementation(), { optimizer: 'rmsprop', dtype: 'float32', runs: 60, seed: 4 });
    const text = formatReport(report);
    expect(report.verdict, text).toBe('not-conformant');
    expect(report.targets[0].fingerprint, text).toEqual(['rmsprop/tensorflow']);
    expect(text).toContain('fingerprint: matches rmsprop/tensorflow');
  });

  it('RMSPROP-7 · checked against the rmsprop/tensorflow variant, tfjs rmsprop is conformant', async () => {
    const report = await checkImplementation(tfjsImplementation(), { optimizer: 'rmsprop', dtype: 'float32', variant: 'tensorflow', runs: 60, seed: 4 });
    expect(report.verdict, formatReport(report)).toBe('conformant');
  });
});

describe('the bundled float kernels (adapters/float-adaptive.ts) are conformant', () => {
  const clauses: Readonly<Record<string, string>> = {
    adagrad: 'ADAGRAD-4',
    adadelta: 'ADADELTA-5',
    adamax: 'ADAMAX-4',
    nadam: 'NADAM-5, PREC-12',
    radam: 'RADAM-5, PREC-10',
    lion: 'LION-3, PREC-9',
  };
  for (const [optimizer, clause] of Object.entries(clauses)) {
    it(`${clause} · ${optimizer}: float32, float64 and float16 conform`, async () => {
      for (const dtype of ['float32', 'float64', 'float16'] as const) {
        const report = await checkImplementation(floatImplementation(), { optimizer, dtype, runs: 25, seed: 5 });
        expect(report.verdict, formatReport(report)).toBe('conformant');
      }
    });
  }
});

/** The named variant (or known defect) each mutant computes, where it computes one exactly. */
const EXPECTED_FINGERPRINT: Readonly<Record<string, string>> = {
  'sgd/lerp-momentum': 'sgd/lerp-momentum',
  'adam/eps-inside-root': 'adam/eps-inside-sqrt',
  'adam/eps-hat': 'adam/eps-hat',
  'adam/no-bias-correction': 'adam/no-bias-correction',
  'adamw/l2-coupled': 'adamw/l2-coupled',
  'adamw/decay-not-lr-scaled': 'adamw/paper',
  'adagrad/eps-inside-root': 'adagrad/eps-inside-sqrt',
  'adamax/eps-after-max': 'adamax/eps-after-max',
  'nadam/no-schedule': 'nadam/no-schedule',
  'radam/threshold-4': 'radam/threshold-4',
  'radam/eps-after-correction': 'radam/eps-after-correction',
  // DEFECT-2, DEFECT-4: a mutant computing a known defect is named as one
  'nadam/mu-product-twice': 'known defect torch-1.13/nadam-mu-product (fixed by pytorch/pytorch#92699)',
  'adadelta/stale-denominator': 'known defect tfjs-4.22/adadelta-stale-denominator (no report or fix found)',
};

describe('the corpus of wrong optimizers', () => {
  const verdicts: string[] = [];
  afterAll(() => {
    const killed = verdicts.filter((v) => v === 'not-conformant').length;
    console.log(`mutant kill rate: ${killed}/${MUTANTS.length} (${((100 * killed) / MUTANTS.length).toFixed(0)}%)`);
  });

  it('has at least the mutants the issue names', () => {
    const names = MUTANTS.map((m) => m.name);
    for (const required of [
      'adam/eps-inside-root',
      'adam/no-bias-correction',
      'adam/bias-correction-t-plus-1',
      'adamw/l2-coupled',
      'adamw/decay-after-update',
      'sgd/dampening-on-first-step',
      'sgd/nesterov-old-buffer',
      'adam/bfloat16-state',
      'adam/bias-correction-stops-after-10',
      'adam/eps-doubled-past-4096',
      'sgd/lr-in-buffer',
    ]) {
      expect(names).toContain(required);
    }
  });

  for (const mutant of MUTANTS) {
    const fingerprint = EXPECTED_FINGERPRINT[mutant.name];
    it(`${mutant.name} is rejected${fingerprint ? ` and fingerprinted as ${fingerprint}` : ''} — ${mutant.description}`, async () => {
      // Only that a failure is found and named matters here, not the minimal case: the first failing
      // case is fingerprinted as found (a variant the mutant computes matches it on every case).
      const options = { optimizer: mutant.optimizer, dtype: mutant.dtype, runs: 60, seed: 1, shrink: false };
      const report = await checkImplementation(mutant.impl(), options);
      verdicts.push(report.verdict);
      const text = formatReport(report);
      expect(report.verdict, text).toBe('not-conformant');
      expect(report.exitCode).toBe(1);
      expect(report.targets[0].failure?.shrinkStopped, 'the report says the case is not minimal').toBe('not shrunk (shrink: false)');
      if (fingerprint) expect(report.targets[0].fingerprint, text).toEqual([fingerprint]);
      if (fingerprint?.startsWith('known defect')) expect(text).toContain(`fingerprint: matches ${fingerprint}`);
    });
  }
});
