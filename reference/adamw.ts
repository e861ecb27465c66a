/**
 * AdamW (spec/adamw.md): Adam with the weight decay taken out of the gradient and applied to the
 * weights — canonical Adam with one part replaced, its decay (reference/parts.ts).
 */
import { adamStepFrom, canonicalAdamParts } from './adam.ts';
import { decoupledDecay, scheduleScaledDecay } from './parts.ts';

/** ADAMW-1, ADAMW-2: `torch.optim.AdamW` — Adam with decoupled decay scaled by lr in place of L2. */
export const adamwStep = adamStepFrom({ ...canonicalAdamParts, decay: decoupledDecay });

/** ADAMW-3: the AdamW paper's Algorithm 2 — Adam with the paper's decay, scaled by the schedule multiplier ηₜ. */
export const adamwPaperStep = adamStepFrom({ ...canonicalAdamParts, decay: scheduleScaledDecay });
