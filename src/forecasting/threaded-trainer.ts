/**
 * Champion selection on a worker thread, so a worker process's event loop keeps serving its plan and forecast
 * jobs while a model fits. A Holt-Winters fit is tens to hundreds of milliseconds of synchronous CPU; fitted on
 * the main thread, every Redis and InfluxDB reply of every plan tick waited behind it (bench:fleet, 1,000
 * targets, one process: 3 plan ticks/s at ~180 ms each while retraining, against 133/s needed).
 *
 * The thread gets the series and the options (plain data), runs selectChampion and posts back the artefact,
 * which the main thread loads (loadModel) into the FittedModel the train job stores. Fits that need what
 * cannot cross a thread stay on the main thread (`threadable`): calendar features (functions), injected
 * forecasters, and the LSTM (TensorFlow's native binding is per process).
 *
 * Left out: more than one thread per process (training is one slot per process; run more processes).
 */
import { Worker } from 'node:worker_threads';
import { PrescaleError } from '../core/errors.js';
import type { ChampionOptions, ChampionResult } from './champion.js';
import type { ModelArtefact, RegularSeries } from './forecaster.js';
import { loadModel } from './forecasters.js';

export type ThreadReply =
  | { id: number; progress: { fraction: number; message?: string } }
  | {
      id: number;
      result: { artefact: ModelArtefact; kind: string; scores: Record<string, Record<string, number>>; notes: string[]; backtestMase?: number; naiveMase?: number };
    }
  | { id: number; error: { name: string; message: string; retryable: boolean } }
  /** Posted once at the thread's start: its id and nice value, or why its priority stayed (thread-priority.ts). */
  | { id: -1; thread: ThreadPriority };

export type ThreadPriority = { tid: number; nice: number } | { error: string };

export type ThreadedChampion = Omit<ChampionResult, 'table'>;

/** tsx's ESM API, resolved from here (an eval'd worker resolves bare names from the working directory). */
const TSX_API = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';

/** Kinds that must fit on the main thread (native bindings). */
const MAIN_THREAD_KINDS = new Set(['lstm']);

/** Whether these options can be fitted on a thread: plain data only, and no forecaster bound to the process. */
export function threadable(options: ChampionOptions, candidates: readonly string[]): boolean {
  if (options.forecasters && Object.keys(options.forecasters).length > 0) return false;
  if (options.calendar && options.calendar.length > 0) return false;
  return !candidates.some((kind) => MAIN_THREAD_KINDS.has(kind));
}

/** An error thrown in the thread, rebuilt with its retryable flag (the train job's retry decision). */
class ThreadError extends PrescaleError {
  constructor(name: string, message: string, retryable: boolean) {
    super(message, retryable);
    this.name = name;
  }
}

export interface ThreadedTrainer {
  /** The training thread's id and nice value once it has started (null before), or why it was not lowered. */
  priority(): ThreadPriority | null;
  /** Fits on the thread; `options` must be threadable. */
  train(series: RegularSeries, options: ChampionOptions): Promise<ThreadedChampion>;
  /** Ends the thread (pending fits reject). */
  close(): Promise<void>;
}

export function createThreadedTrainer(options: { onPriority?: (priority: ThreadPriority) => void } = {}): ThreadedTrainer {
  let worker: Worker | null = null;
  let priority: ThreadPriority | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: ThreadReply) => void; reject: (e: Error) => void; onProgress?: (fraction: number, message?: string) => void }>();
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker = null;
  };
  const thread = (): Worker => {
    if (worker) return worker;
    // The thread registers tsx itself, then loads the TypeScript entry: it works whether or not this process was
    // started through tsx (npm start is; vitest is not), and a worker's own --import is not honoured everywhere.
    const entry = new URL('./train-thread.ts', import.meta.url).href;
    const w = new Worker(`import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
    w.on('message', (reply: ThreadReply) => {
      if ('thread' in reply) {
        priority = reply.thread;
        options.onPriority?.(reply.thread);
        return;
      }
      const p = pending.get(reply.id);
      if (!p) return;
      if ('progress' in reply) p.onProgress?.(reply.progress.fraction, reply.progress.message);
      else {
        pending.delete(reply.id);
        p.resolve(reply);
      }
    });
    w.on('error', (error) => failAll(new ThreadError('ThreadError', `training thread failed: ${error.message}`, true)));
    w.on('exit', (code) => failAll(new ThreadError('ThreadError', `training thread exited (code ${code})`, true)));
    worker = w;
    return w;
  };
  return {
    priority: () => priority,
    async train(series, fitOptions) {
      const { onProgress, calendar: _calendar, forecasters: _forecasters, ...plain } = fitOptions;
      const id = nextId++;
      const w = thread();
      // Busy, the thread keeps the process alive; idle, it does not.
      w.ref();
      const reply = await new Promise<ThreadReply>((resolve, reject) => {
        pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
        w.postMessage({ id, series, options: plain });
      }).finally(() => {
        if (pending.size === 0) worker?.unref();
      });
      if ('error' in reply) throw new ThreadError(reply.error.name, reply.error.message, reply.error.retryable);
      if (!('result' in reply)) throw new Error('training thread: unexpected reply');
      const { artefact, ...rest } = reply.result;
      return { ...rest, model: await loadModel(artefact) };
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
