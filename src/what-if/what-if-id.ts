/**
 * The identity of a what-if run: target, replayed days and the end of the data it replays, rounded to the
 * grid step. The same request while the data has not moved on a step gets the same id, so it is both the
 * BullMQ job id (queued once however often it is asked for) and the cache key. Pure.
 *
 * Format: `<namespace>_<name>_<days>d_<endMs>`. Namespaces and names are DNS-1123 (no "_"), so it parses back
 * unambiguously and holds no ":" (BullMQ ids must not) and no "/" (it is a URL path segment).
 */

export interface WhatIfKey {
  namespace: string;
  name: string;
  days: number;
  /** Exclusive end of the replayed data, epoch ms, on the grid. */
  endMs: number;
}

export function whatIfId(key: WhatIfKey): string {
  return `${key.namespace}_${key.name}_${key.days}d_${key.endMs}`;
}

/** The key of an id, or null when it is not one. */
export function parseWhatIfId(id: string): WhatIfKey | null {
  const match = /^([a-z0-9][-a-z0-9.]*)_([a-z0-9][-a-z0-9.]*)_([1-9]\d?)d_(\d{1,15})$/.exec(id);
  if (!match) return null;
  return { namespace: match[1]!, name: match[2]!, days: Number(match[3]), endMs: Number(match[4]) };
}

/**
 * The end of the data a what-if replays: the last complete step at `nowMs`, or, when the newest sample is
 * older, the end of that sample's step (a target whose metrics stopped keeps its id, and its cached result).
 */
export function whatIfEndMs(nowMs: number, newestSampleMs: number, stepMs: number): number {
  return Math.min(Math.floor(nowMs / stepMs) * stepMs, Math.floor(newestSampleMs / stepMs) * stepMs + stepMs);
}
