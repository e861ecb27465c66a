/**
 * What has to happen however the runner stops (PROTO-8): implementation process groups killed, the
 * terminal's cursor shown again. Cleanups registered here run once, synchronously, when the process
 * exits or is told to stop by SIGINT or SIGTERM. Told to stop, it then exits with the conventional
 * code, 128 + the signal's number (130, 143), unless another listener for that signal is there to decide.
 * Nothing listens while nothing is registered, so a program that never starts an implementation
 * process keeps the default behaviour.
 */
import { constants } from 'node:os';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const cleanups = new Set<() => void>();

/** PROTO-8: runs `cleanup` when the runner exits or is stopped by a signal; the returned function unregisters it. */
export function onRunnerStop(cleanup: () => void): () => void {
  if (cleanups.size === 0) listen();
  cleanups.add(cleanup);
  return () => {
    if (cleanups.delete(cleanup) && cleanups.size === 0) unlisten();
  };
}

function runCleanups(): void {
  const all = [...cleanups];
  cleanups.clear();
  unlisten();
  for (const cleanup of all) {
    try {
      cleanup();
    } catch {
      // the others still run
    }
  }
}

function onSignal(signal: (typeof STOP_SIGNALS)[number]): void {
  runCleanups();
  if (process.listenerCount(signal) === 0) process.exit(128 + constants.signals[signal]);
}

function listen(): void {
  process.on('exit', runCleanups);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}

function unlisten(): void {
  process.off('exit', runCleanups);
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
}
