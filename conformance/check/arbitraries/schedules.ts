/**
 * Schedules: how many elements and steps a case has, when it starts (fresh or mid-run), and
 * which steps change the learning rate (NOTE-3) — the overrides that tell PyTorch's buffer from
 * `sgd/lr-in-buffer`. Simple shapes come first so failures shrink to one step on one element.
 */
import fc from 'fast-check';
import type { Dtype } from '../../../reference/dtype.ts';
import type { WireHyper } from '../../protocol/messages.ts';
import { lrArb, weighted } from './hyperparameters.ts';
import { CROSS } from './magnitudes.ts';
import type { Interval } from './ranges.ts';

export type Profile = 'default' | 'long';

export interface Shape {
  /** elements per tensor */
  readonly n: number;
  /** optimizer steps */
  readonly steps: number;
}

const shape = (n: fc.Arbitrary<number>, steps: fc.Arbitrary<number>): fc.Arbitrary<Shape> => fc.record({ n, steps });
const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });

/**
 * Default: mostly 1–8 elements over 1–12 steps, 15% runs of 20–60 steps, ~5% of 4,100–6,000
 * elements (a bug past element 4096 shows) with at most 3 steps. Long adds 100,000+ elements
 * (1–2 steps) and 200–1,000 steps on short vectors.
 */
export function shapeArb(profile: Profile): fc.Arbitrary<Shape> {
  const short = int(1, 8);
  const branches: fc.WeightedArbitrary<Shape>[] = [
    { weight: 30, arbitrary: shape(short, fc.constant(1)) },
    { weight: 27, arbitrary: shape(short, int(2, 3)) },
    { weight: 23, arbitrary: shape(short, int(4, 12)) },
    { weight: 15, arbitrary: shape(short, int(20, 60)) },
    { weight: 5, arbitrary: shape(int(4100, 6000), int(1, 3)) },
  ];
  if (profile === 'long') {
    branches.push({ weight: 10, arbitrary: shape(int(100_000, 120_000), int(1, 2)) });
    branches.push({ weight: 25, arbitrary: shape(short, int(200, 1000)) });
  }
  return fc.oneof(CROSS, ...branches);
}

/**
 * Where a case starts: fresh (null) mostly, else a mid-run step counter, early ones (bias correction)
 * likeliest. `nearThreshold`: also steps 3–8, so a few steps cross RAdam's ρₜ > 5 (RADAM-3).
 */
export function startArb(hasState: boolean, nearThreshold = false): fc.Arbitrary<number | null> {
  if (!hasState) return fc.constant(null);
  return fc.oneof(
    CROSS,
    { weight: 78, arbitrary: fc.constant(null) },
    { weight: 9, arbitrary: int(1, 3) },
    { weight: 9, arbitrary: int(4, 100) },
    { weight: 4, arbitrary: int(101, 1000) },
    { weight: nearThreshold ? 20 : 0, arbitrary: int(3, 8) },
  );
}

/** Whether steps may carry learning-rate overrides; never when lr is pinned or absent. */
export function scheduleArb(canOverride: boolean): fc.Arbitrary<boolean> {
  return canOverride
    ? weighted([
        [false, 65],
        [true, 35],
      ])
    : fc.constant(false);
}

/** One step's override: none (twice as likely) or a new learning rate from that step on, inside its range (PROTO-4). */
export function overrideArb(scheduled: boolean, dtype: Dtype, lrRange?: Interval): fc.Arbitrary<WireHyper | undefined> {
  if (!scheduled) return fc.constant(undefined);
  return fc.oneof(CROSS, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: lrArb(dtype, lrRange).map((lr): WireHyper => ({ lr })) });
}
