/**
 * CPU and memory of a process from /proc (Linux): CPU seconds (user + system) and resident set size, sampled
 * so the bench reports per process: the worker processes, redis-server, influxd and the bench itself.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

export interface ProcSample {
  cpuS: number;
  rssMiB: number;
}

export function readProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuS, rssMiB: rssKiB / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of one thread of a process; the main thread's id is the pid (the event loop of a Node process). */
export function readThreadCpuS(pid: number, tid = pid): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Tracks CPU seconds used since `start()` and the largest RSS seen, per named process. */
export class ProcTracker {
  private readonly first = new Map<string, ProcSample>();
  private readonly last = new Map<string, ProcSample>();
  private readonly maxRss = new Map<string, number>();

  constructor(private readonly pids: Map<string, number>) {}

  sample(): void {
    for (const [name, pid] of this.pids) {
      const s = readProc(pid);
      if (!s) continue;
      if (!this.first.has(name)) this.first.set(name, s);
      this.last.set(name, s);
      this.maxRss.set(name, Math.max(this.maxRss.get(name) ?? 0, s.rssMiB));
    }
  }

  /** Per process: CPU seconds since the first sample, average cores over `seconds`, and max RSS. */
  report(seconds: number): { name: string; cpuS: number; cores: number; rssMaxMiB: number }[] {
    return [...this.pids.keys()].map((name) => {
      const cpuS = (this.last.get(name)?.cpuS ?? 0) - (this.first.get(name)?.cpuS ?? 0);
      return { name, cpuS, cores: seconds > 0 ? cpuS / seconds : 0, rssMaxMiB: this.maxRss.get(name) ?? 0 };
    });
  }
}

/** Nice values of a process's threads that differ from its main thread's (the training thread: src/forecasting/thread-priority.ts). */
export function nicedThreads(pid: number): { tid: number; nice: number }[] {
  const niceOf = (tid: string) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };
  try {
    const main = niceOf(String(pid));
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => ({ tid: Number(tid), nice: niceOf(tid) }))
      .filter((t) => t.nice !== main);
  } catch {
    return [];
  }
}
