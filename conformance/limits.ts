/**
 * Every limit, budget and size threshold of a conformance check, in one table. Any room may import
 * it (it imports nothing): the time an implementation gets to start and to answer a case, the bytes
 * read from it, the work spent shrinking a failure, the outputs kept for plots, and the case sizes
 * at which checking changes strategy (screening, worker threads).
 */

/** The bounds on an implementation in another process (PROTO-8: a hang or a flood is a failure, never a hang of the runner). */
export const PROCESS_LIMITS = {
  /** time for the `hello` reply */
  startupMs: 30_000,
  /** time for one case's reply */
  caseMs: 60_000,
  /** bytes of one reply line read before the process is called a flood */
  maxReplyBytes: 512 * 1024 * 1024,
  /** the tail of stderr kept for the report */
  maxStderrBytes: 1024 * 1024,
  /** PROTO-1: how long the process has to exit after `bye` before its group is killed */
  byeMs: 2000,
} as const;

/** Cases generated per optimizer and dtype when `--runs` is not given. */
export const DEFAULT_RUNS = 100;

/** Property evaluations allowed while shrinking one failure (each one is a round trip to the implementation). */
export const SHRINK_BUDGET = 400;

/**
 * PROTO-8: restarts of the implementation allowed per optimizer and dtype after a protocol failure
 * or a kill, to go on shrinking and fingerprinting on a fresh process. Each costs a start-up, and
 * each candidate that hangs again a whole case limit, so a hang costs at most 1 + 5 case limits.
 */
export const RESTARTS_PER_TARGET = 5;

/** Compared outputs kept per target for the HTML report's plots. */
export const SAMPLES_PER_TARGET = 2000;

/** Compared outputs sampled per case when asked (`checkCase(…, { samples })`). */
export const SAMPLES_PER_CASE = 64;

/** Tensors at least this large are screened (PREC-6); smaller ones are bounded element by element. */
export const SCREEN_MIN_ELEMENTS = 4096;

/** Cases with fewer elements are checked on the calling thread (a worker's start-up would cost more). */
export const PARALLEL_MIN_ELEMENTS = 100_000;
