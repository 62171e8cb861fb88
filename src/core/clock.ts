/**
 * Time is always injected: the same planner, jobs and simulator run on wall time in production and on a
 * replay clock that drives a historical trace faster than real time.
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Resolves once `ms` of this clock's time has passed. */
  sleep(ms: number): Promise<void>;
}

export const wallClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A clock that only moves when told to. `advanceTo` releases every sleeper whose wake-up time has come,
 * in wake-up order, so a replay is deterministic whatever the machine's speed.
 */
export class ReplayClock implements Clock {
  private current: number;
  private sleepers: { wakeAt: number; resolve: () => void }[] = [];

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepers.push({ wakeAt: this.current + ms, resolve });
      this.sleepers.sort((a, b) => a.wakeAt - b.wakeAt);
    });
  }

  /** Moves time forward (never back) and wakes the sleepers that are due. */
  advanceTo(ms: number): void {
    if (ms < this.current) throw new Error(`ReplayClock cannot go back in time (${ms} < ${this.current})`);
    this.current = ms;
    while (this.sleepers.length > 0 && this.sleepers[0]!.wakeAt <= ms) this.sleepers.shift()!.resolve();
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }
}
