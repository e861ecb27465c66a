/**
 * A checking worker (conformance/check/parallel.ts): checks one slice of a case's elements with
 * `checkCase` itself. Optimizers act element-wise, so a slice of elements is a valid case; the
 * arrays arrive as Float64Arrays (SharedArrayBuffer views or transferred buffers, never JS arrays).
 */
import { parentPort } from 'node:worker_threads';
import { findDefinition } from '../../reference/registry.ts';
import { checkCase } from './compare.ts';
import type { SliceTask, SliceResult } from './parallel.ts';

parentPort?.on('message', (task: SliceTask) => {
  let result: SliceResult;
  try {
    const def = findDefinition(task.family, task.defName);
    if (!def) throw new Error(`no definition ${task.defName}`);
    result = { id: task.id, check: checkCase(def, task.case, task.reply, task.options) };
  } catch (e) {
    result = { id: task.id, error: (e as Error).message };
  }
  parentPort?.postMessage(result);
});
