/**
 * The one seeded generator of optconf: every random choice outside fast-check (the worked
 * problem's data, the golden cases' inputs, the bodies of long vectors, the reservoir of plotted
 * samples, the bench's vectors) is drawn from it, from a printed or fixed seed, never Math.random.
 */

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, in bryc's JavaScript form): a uint32 seed in,
 * a function returning the next uint32 out. Pure 32-bit integer arithmetic (`Math.imul`, shifts),
 * so the same seed gives the same sequence on every engine and machine.
 *
 *   state ← state + 0x6D2B79F5 (mod 2³²)
 *   t ← imul(state ^ (state >>> 15), state | 1)
 *   t ← t ^ (t + imul(t ^ (t >>> 7), t | 61))
 *   out ← (t ^ (t >>> 14)) >>> 0
 */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Doubles uniform on [0, 1) — each a multiple of 2⁻³², mulberry32's uint32 over 2³² — from any
 * 32-bit integer seed (a negative one is taken modulo 2³², as a target's seed can be negative).
 */
export function uniform(seed: number): () => number {
  const next = mulberry32(seed >>> 0);
  return () => next() / 2 ** 32;
}
