/**
 * Implementations bundled with optconf, usable by name wherever a command is expected
 * (`optconf run --impl tfjs`): the reference, TensorFlow.js's CPU optimizers, and the honest float
 * kernels the mutants are made from. Anything else is a command run without a shell.
 */
import { floatImplementation } from './float.ts';
import { tfjsImplementation } from './tfjs.ts';
import type { Implementation } from '../protocol/implementation.ts';
import { spawnImplementation, splitCommand, type SpawnOptions } from '../protocol/process.ts';
import { referenceImplementation } from './reference.ts';

export const BUILTIN: Readonly<Record<string, { readonly summary: string; make(): Implementation }>> = {
  reference: { summary: 'the decimal.js reference itself, outputs correctly rounded', make: () => referenceImplementation },
  tfjs: { summary: 'TensorFlow.js 4.22 CPU backend: sgd, momentum, adam, rmsprop, adagrad, adadelta, adamax (float32)', make: () => tfjsImplementation() },
  float: { summary: 'honest float kernels in PyTorch’s order, every dtype (conformance/adapters/float.ts)', make: () => floatImplementation() },
};

/** A bundled implementation by name, or the command's process (`options` apply to a process only: bundled ones have no wire). */
export function implementationFor(command: string, options: SpawnOptions = {}): Implementation {
  const builtin = BUILTIN[command.trim()];
  return builtin ? builtin.make() : spawnImplementation(splitCommand(command), undefined, options);
}

export const IMPL_HELP = `the implementation: a command and its arguments (run without a shell), or a bundled one: ${Object.keys(BUILTIN).join(', ')}`;
