/**
 * The API side of what-if runs: turns a request (target, days) into a run id from the data's end time, answers
 * from the cache when that run is done already, else queues the job (once: the id is the BullMQ job id) and
 * reports its state. Every API replica can answer because the queue and the cache live in Redis.
 *
 * Left out: running anything (the worker role does: jobs/processors/what-if.ts) and cancelling by request (a
 * run is bounded by its time budget instead).
 */
import type { Job, JobsOptions } from 'bullmq';
import type { PrescaleConfig, TargetConfig } from '../config/schema.js';
import { targetId } from '../config/targets.js';
import type { Clock } from '../core/clock.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { WhatIfCache } from './what-if-cache.js';
import { parseWhatIfId, whatIfEndMs, whatIfId } from './what-if-id.js';
import type { WhatIfResult } from './what-if.js';

const DAY_MS = 86_400_000;

/** The BullMQ job name and the job options of a run: no retries (a replay is deterministic), kept a day. */
export const WHAT_IF_JOB = 'what-if';
export const WHAT_IF_JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } };

export type WhatIfState = 'queued' | 'running' | 'done' | 'failed';

export interface WhatIfStatus {
  id: string;
  status: WhatIfState;
  /** 0..1. */
  progress: number;
  result?: WhatIfResult;
  error?: string;
}

/** What the service needs of the what-if queue (a BullMQ Queue). */
export interface WhatIfQueue {
  add(name: string, data: unknown, options: JobsOptions): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
}

export interface WhatIfService {
  /** Cached result (`cached` true, status done) or the queued or running job's status. null: no stored load in the window. */
  request(target: TargetConfig, days: number): Promise<{ status: WhatIfStatus; cached: boolean } | null>;
  /** A run's status, or null when the id is not a run of this target (or long gone). */
  get(target: TargetConfig, id: string): Promise<WhatIfStatus | null>;
}

export interface WhatIfServiceDeps {
  config: PrescaleConfig;
  clock: Clock;
  store: MetricsStore;
  cache: WhatIfCache;
  queue: WhatIfQueue;
}

const QUEUED_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

function progressOf(job: Job): number {
  return typeof job.progress === 'number' ? Math.min(1, Math.max(0, job.progress)) : 0;
}

export function createWhatIfService(deps: WhatIfServiceDeps): WhatIfService {
  async function jobStatus(id: string, job: Job): Promise<WhatIfStatus | null> {
    const state = await job.getState();
    if (QUEUED_STATES.has(state)) return { id, status: 'queued', progress: progressOf(job) };
    if (state === 'active') return { id, status: 'running', progress: progressOf(job) };
    if (state === 'failed') {
      // The job record was read before it failed and its state after: read it again for the reason.
      const reason = job.failedReason || (await deps.queue.getJob(id))?.failedReason;
      return { id, status: 'failed', progress: progressOf(job), error: reason || 'failed' };
    }
    if (state === 'completed') {
      // Finished, but the cached result expired before the job record did: ask again.
      const result = await deps.cache.get(id);
      return result ? { id, status: 'done', progress: 1, result } : { id, status: 'failed', progress: 1, error: 'the result has expired; request the what-if again' };
    }
    return null;
  }

  return {
    async request(target, days) {
      const now = deps.clock.now();
      const step = deps.config.step;
      const newest = await deps.store.latest({ measurement: target.load.measurement, field: target.load.field, tags: target.load.tags, at: now, lookbackMs: days * DAY_MS });
      if (!newest) return null;
      const id = whatIfId({ namespace: target.namespace, name: target.name, days, endMs: whatIfEndMs(now, newest.time, step) });
      const cached = await deps.cache.get(id);
      if (cached) return { status: { id, status: 'done', progress: 1, result: cached }, cached: true };
      const existing = await deps.queue.getJob(id);
      if (existing) {
        const status = await jobStatus(id, existing);
        // A failed (or expired) run is tried again on a new request; a queued or running one is joined.
        if (status && status.status !== 'failed') return { status, cached: false };
        await existing.remove().catch(() => undefined);
      }
      const key = parseWhatIfId(id)!;
      await deps.queue.add(WHAT_IF_JOB, { target: targetId(target), days, endMs: key.endMs, at: now }, { ...WHAT_IF_JOB_OPTIONS, jobId: id });
      return { status: { id, status: 'queued', progress: 0 }, cached: false };
    },

    async get(target, id) {
      const key = parseWhatIfId(id);
      if (!key || key.namespace !== target.namespace || key.name !== target.name) return null;
      const cached = await deps.cache.get(id);
      if (cached) return { id, status: 'done', progress: 1, result: cached };
      const job = await deps.queue.getJob(id);
      return job ? jobStatus(id, job) : null;
    },
  };
}
