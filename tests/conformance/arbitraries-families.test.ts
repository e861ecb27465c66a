/**
 * conformance/check/arbitraries*: the cases of issue 12's families reach each family's hard region
 * (spec: RADAM-3, LION-2, ADAMAX-3, NADAM-2, NADAM-3, ADADELTA-3, ADAGRAD-3), counted over a sample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArbitrary } from '../../conformance/check/arbitraries.ts';
import type { Case } from '../../conformance/check/case.ts';
import type { Family } from '../../reference/registry.ts';

const sample = (family: Family, dtype: 'float32' | 'float64' = 'float32', numRuns = 300): Case[] =>
  fc.sample(caseArbitrary(family, dtype), { seed: 12, numRuns });
const num = (c: Case, name: string) => c.hyper[name] as number;
const some = (cases: Case[], what: (c: Case) => boolean) => cases.filter(what).length;

describe('the arbitraries aim at the hard regions of issue 12’s families', () => {
  it('RADAM-3 · RAdam cases cross ρₜ > 5 at small t, and some use a β₂ with ρₜ inside (4, 5)', () => {
    const cases = sample('radam');
    const crossing = (c: Case) => {
      const t0 = c.state?.step ?? 0;
      return t0 < 6 && t0 + c.steps.length >= 6;
    };
    expect(some(cases, crossing)).toBeGreaterThan(20);
    expect(some(cases, (c) => num(c, 'beta2') === Math.fround(0.7) && crossing(c))).toBeGreaterThan(2);
  });
  it('LION-2 · Lion cases hold exact zeros of c = β₁·m + (1 − β₁)·g: fresh zeros and g = −m at β₁ = 0.5', () => {
    const cases = sample('lion');
    const cancels = (c: Case) =>
      num(c, 'beta1') === 0.5 && Array.isArray(c.state?.exp_avg) && c.steps[0].grad.some((g, i) => g !== 0 && g === -(c.state!.exp_avg as number[])[i]);
    expect(some(cases, cancels)).toBeGreaterThan(2);
    expect(some(cases, (c) => c.state === null && c.steps[0].grad.some((g) => g === 0))).toBeGreaterThan(5);
  });
  it('ADAMAX-3 · Adamax mid-run states have the maximum on both sides: β₂·u above and below |g′| + ε', () => {
    const sides = (c: Case) => {
      const u = c.state?.exp_inf as number[] | undefined;
      if (!u) return [false, false];
      const d = u.map((x, i) => num(c, 'beta2') * x - (Math.abs(c.steps[0].grad[i]) + num(c, 'eps')));
      return [d.some((x) => x > 0), d.some((x) => x < 0)];
    };
    const cases = sample('adamax');
    expect(some(cases, (c) => sides(c)[0])).toBeGreaterThan(5);
    expect(some(cases, (c) => sides(c)[1])).toBeGreaterThan(5);
  });
  it('NADAM-2 NADAM-3 · NAdam: ψ = 0.004, 1 (Keras), 0; a mid-run μ product equal in every element, the schedule’s product', () => {
    const cases = sample('nadam');
    for (const psi of [0.004, 1, 0]) expect(some(cases, (c) => num(c, 'momentum_decay') === Math.fround(psi))).toBeGreaterThan(5);
    const mid = cases.filter((c) => c.state !== null);
    expect(mid.length).toBeGreaterThan(10);
    for (const c of mid) {
      const pi = c.state!.mu_product as number[];
      expect(new Set(pi).size, 'NADAM-3: one value').toBe(1);
      // worked here from NADAM-2: Π₁ = μ₁
      if (c.state!.step === 1) expect(pi[0]).toBe(Math.fround(Math.fround(num(c, 'beta1') * (1 - 0.5 * 0.96 ** num(c, 'momentum_decay')))));
      // NADAM-2 worked here step by step, as PyTorch keeps it (float32), where the run is short enough
      if (c.state!.step <= 5000) {
        let product = 1;
        for (let i = 1; i <= c.state!.step; i++)
          product = Math.fround(product * Math.fround(num(c, 'beta1') * (1 - 0.5 * 0.96 ** (i * num(c, 'momentum_decay')))));
        expect(pi[0]).toBe(product);
      }
    }
  });
  it('ADADELTA-3 · Adadelta: fresh cases whose gradients sit near √ε, where the first steps are ε-dominated', () => {
    const cases = sample('adadelta');
    const nearRootEps = (c: Case) => c.state === null && c.steps[0].grad.every((g) => Math.abs(g) <= 64 * Math.sqrt(num(c, 'eps')));
    expect(some(cases, nearRootEps)).toBeGreaterThan(10);
    expect(some(cases, (c) => num(c, 'rho') === 1)).toBeGreaterThan(2);
  });
  it('ADAGRAD-3 · Adagrad: both initial accumulators (0, PyTorch; 0.1, TensorFlow) and PyTorch’s ε = 1e-10', () => {
    const cases = sample('adagrad');
    for (const v of [0, 0.1]) expect(some(cases, (c) => num(c, 'initial_accumulator_value') === Math.fround(v))).toBeGreaterThan(10);
    expect(some(cases, (c) => num(c, 'eps') === Math.fround(1e-10))).toBeGreaterThan(10);
  });
});
