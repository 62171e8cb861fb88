/**
 * Lowers the scheduling priority of the calling thread only (Linux): model fitting yields the cores to the
 * event loops that plan. On Linux every thread is a task with its own nice value, and setpriority(PRIO_PROCESS)
 * given a thread id changes that thread alone; `/proc/thread-self` names the caller's id (Node has no gettid).
 * bench:fleet, 1,000 targets, 2 worker processes on 2 cores, retraining: both training threads took both cores
 * and the plan lag's p99 was 34.5 s.
 *
 * Left out: other systems (no /proc/thread-self: the thread keeps the process's priority, and says so).
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice value of the training thread: CFS gives a nice-0 thread about 9 times its share when both want a core. */
export const TRAINING_THREAD_NICE = 10;

/** Sets the calling thread's nice value; its id and nice value after, or why not. */
export function niceThisThread(nice = TRAINING_THREAD_NICE): { tid: number; nice: number } | { error: string } {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return { error: 'no thread id in /proc/thread-self' };
    setPriority(tid, nice);
    return { tid, nice: getPriority(tid) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
