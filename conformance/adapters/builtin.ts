/**
 * Implementations bundled with optconf, usable by name wherever a command is expected
 * (`optconf run --impl tfjs`): the reference, TensorFlow.js's CPU optimizers, and the honest float
 * kernels the mutants are made from; `module:PATH`, a user's JavaScript optimizer module
 * (module.ts). Anything else is a command run without a shell.
 */
import { floatImplementation } from './float.ts';
import { loadOptimizerModule, MODULE_PREFIX } from './module.ts';
import type { Implementation } from '../protocol/implementation.ts';
import { fileURLToPath } from 'node:url';
import { PROCESS_LIMITS } from '../limits.ts';
import { withTimeout } from '../protocol/timeout.ts';
import { spawnImplementation, splitCommand, type ProcessLimits, type SpawnOptions } from '../protocol/process.ts';
import { referenceImplementation } from './reference.ts';

export const BUILTIN: Readonly<Record<string, { readonly summary: string; make(): Implementation | Promise<Implementation> }>> = {
  reference: { summary: 'the decimal.js reference itself, outputs correctly rounded', make: () => referenceImplementation },
  // TensorFlow.js takes a fifth of a second to import: only a command that uses it pays for it
  tfjs: {
    summary: 'TensorFlow.js 4.22 CPU backend: sgd, momentum, adam, rmsprop, adagrad, adadelta, adamax (float32)',
    make: async () => (await import('./tfjs.ts')).tfjsImplementation(),
  },
  float: { summary: 'honest float kernels in PyTorch’s order, every dtype (conformance/adapters/float.ts)', make: () => floatImplementation() },
};

/** The `optconf` command, to start a module's own process (`optconf serve module:PATH`). */
const OPTCONF_BIN = fileURLToPath(new URL('../../bin/optconf.js', import.meta.url));

/**
 * A bundled implementation by name, a user's module (`module:./my-adam.mjs`), or the command's
 * process (`options` apply to a process only: the bundled ones have no wire). A module is imported
 * and checked here first, so a missing file or export is a one-line error before any case, and then
 * runs in its own `optconf serve` process: a step that never returns, exits or floods the output is
 * then a failure within the process limits (PROTO-8), not a hang of the runner.
 */
export async function implementationFor(command: string, options: SpawnOptions = {}, limits: Partial<ProcessLimits> = {}): Promise<Implementation> {
  const trimmed = command.trim();
  if (trimmed.startsWith(MODULE_PREFIX)) {
    // PROTO-8: an import that never settles (a top-level await) is a start-up failure, not a hang of the run
    const startupMs = limits.startupMs ?? PROCESS_LIMITS.startupMs;
    await withTimeout(loadOptimizerModule(trimmed.slice(MODULE_PREFIX.length)), startupMs, `import of ${trimmed} (a top-level await that never ends?)`);
    return spawnImplementation([process.execPath, OPTCONF_BIN, 'serve', trimmed], limits, options);
  }
  const builtin = BUILTIN[trimmed];
  return builtin ? builtin.make() : spawnImplementation(splitCommand(command), limits, options);
}

export const IMPL_HELP = `the implementation: a command and its arguments (run without a shell), ${MODULE_PREFIX}PATH (a JavaScript optimizer module, see conformance/adapters/README.md), or a bundled one: ${Object.keys(BUILTIN).join(', ')}`;
