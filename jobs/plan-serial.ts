/**
 * Lets the plan queue run several jobs at once while keeping what one slot guaranteed: the ticks of one
 * target (its plan and reactive loops read and write the same scaling state) never overlap, and a node-pool
 * tick (which reads every target's planned pods) runs alone. Ticks of different targets overlap: a tick is
 * mostly waiting on Redis and InfluxDB, so one slot left the process idle most of the time (bench:fleet: one
 * slot planned ~N ticks per second at 1,000 targets; see notes in README "Sizing").
 *
 * Only within one process: across processes, only the Lease holder consumes the plan queue.
 */
export type KeyedProcessor<J> = (job: J) => Promise<unknown>;

/** `keyOf` gives the job's subject (ticks with the same key run one at a time), or null for a job that runs alone. */
export function serialPerSubject<J>(processor: KeyedProcessor<J>, keyOf: (job: J) => string | null): KeyedProcessor<J> {
  // Resolved while no exclusive job runs or waits; every job starts behind it.
  let barrier: Promise<void> = Promise.resolve();
  const tails = new Map<string, Promise<unknown>>();
  return async (job) => {
    const key = keyOf(job);
    if (key === null) {
      const previous = barrier;
      let release!: () => void;
      barrier = new Promise<void>((resolve) => (release = resolve));
      try {
        await previous;
        // Every keyed job that passed the barrier before this one registered its tail synchronously.
        await Promise.allSettled([...tails.values()]);
        return await processor(job);
      } finally {
        release();
      }
    }
    await barrier;
    const previous = tails.get(key) ?? Promise.resolve();
    const mine = previous.then(
      () => processor(job),
      () => processor(job),
    );
    tails.set(key, mine);
    try {
      return await mine;
    } finally {
      if (tails.get(key) === mine) tails.delete(key);
    }
  };
}
