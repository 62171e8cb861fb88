/// <reference lib="dom" />
/**
 * The dashboard's only way to Prescale: fetch over the HTTP API, with the answer shapes typed from the
 * routes' own types (type imports only: nothing of the server is bundled). Routes that are not deployed yet
 * (an older server without live accuracy, what-if or the calendar) come back as `missing` so panels say so.
 * Left out: authentication (the dashboard is served by the API itself; put it behind the same proxy).
 */
import type { ForecastColumns, Span } from '../api/routes/dashboard-data.js';
import type { AccuracyResponse } from '../api/routes/accuracy.js';
import type { LiveAccuracyWindow } from '../accuracy/live-accuracy.js';
import type { GridSeries, ScalingDecision } from '../metrics/metrics-store.js';
import type { WhatIfStatus } from '../what-if/what-if-service.js';
import type { BudgetStatus } from '../scaling/budget-observation.js';
import type { ModelInfo } from '../state/state-store.js';

export type { ForecastColumns, GridSeries, ModelInfo, ScalingDecision, Span };

export interface TargetData {
  target: string;
  now: number;
  from: number;
  to: number;
  stepMs: number;
  leadMs: number;
  capacityPerReplica: number;
  mode: string;
  actuation: string;
  load: GridSeries;
  needed: (number | null)[];
  forecastAsIssued: ForecastColumns;
  forecastAhead: ForecastColumns;
  replicas: { startMs: number; stepMs: number; desired: (number | null)[]; ready: (number | null)[] };
  planned: { time: number[]; value: number[] };
  underProvisioned: Span[];
  decisions: ScalingDecision[];
  decisionsTruncated: boolean;
  nodePool: null | {
    name: string;
    startMs: number;
    stepMs: number;
    desired: (number | null)[];
    ready: (number | null)[];
    planned: { time: number[]; value: number[] };
    decisions: ScalingDecision[];
  };
}

export interface OverviewTarget {
  id: string;
  mode: string;
  actuation: string;
  capacityPerReplica: number;
  sparkline: GridSeries;
  replicas: { planned: number | null; desired: number; ready: number };
  model: { kind: string; description: string; historyDays: number; requiredHistoryDays: number } | null;
  lastDecision: ScalingDecision | null;
  changes: number;
}

export interface Overview {
  now: number;
  from: number;
  to: number;
  targets: OverviewTarget[];
  nodePools: { name: string; desiredNodes: number; readyNodes: number; pendingPods: number; minNodes: number; maxNodes: number; lastDecision: ScalingDecision | null }[];
}

export interface Status {
  now: number;
  time: string;
  targets: { id: string; mode: string; model: ModelInfo | null; workload: { desiredReplicas: number; readyReplicas: number }; lastDecision: ScalingDecision | null; budget?: BudgetStatus }[];
  replay?: { fraction: number; from: number; to: number };
}

/** Live accuracy (GET /api/targets/:ns/:name/accuracy) and what-if runs (POST/GET .../what-if): their routes' own types. */
export type Accuracy = AccuracyResponse;
export type { LiveAccuracyWindow, WhatIfStatus };

/** Calendar resources (notes/CALENDAR_API.md). */
export interface CalendarEntry {
  id: string;
  targets: string[];
  title: string;
  effect: { kind: 'floor' | 'ceiling' | 'absolute'; replicas: number } | { kind: 'relative'; replicas?: number; percent?: number };
  priority: number;
  timeZone: string;
  start: string;
  end: string;
  recurrence?: { frequency: 'daily' | 'weekly' | 'monthly'; interval: number; weekdays?: number[]; until?: string; count?: number };
  meta?: { revision: number; updatedBy: string; updatedAt: string };
}
export interface Occurrence {
  entryId: string;
  title: string;
  targets: string[];
  effect: CalendarEntry['effect'];
  start: string;
  end: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: { path: string; message: string }[];
}

export type Answer<T> = { ok: true; status: number; body: T; etag: string | null } | { ok: false; status: number; body: ErrorBody; missing: boolean };

/** One exchange; `missing` is true when the server has no such route (404 "no route for ..."). */
export async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const response = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: 'bad_response', message: text.slice(0, 200) };
  }
  if (response.ok) return { ok: true, status: response.status, body: parsed as T, etag: response.headers.get('etag') };
  const error = (parsed ?? { error: 'http_' + response.status, message: response.statusText }) as ErrorBody;
  return { ok: false, status: response.status, body: error, missing: response.status === 404 && /^no route for /.test(error.message ?? '') };
}

const path = (target: string) => `/api/targets/${target.split('/').map(encodeURIComponent).join('/')}`;

export const api = {
  status: () => call<Status>('GET', '/api/status'),
  // Windows around the server's now (back/ahead in ms): the first request need not wait for /api/status.
  overview: (backMs: number) => call<Overview>('GET', `/api/dashboard/overview?back=${backMs}`),
  target: (target: string, backMs: number, aheadMs: number) => call<TargetData>('GET', `/api/dashboard/targets/${target.split('/').map(encodeURIComponent).join('/')}?back=${backMs}&ahead=${aheadMs}`),
  accuracy: (target: string) => call<Accuracy>('GET', `${path(target)}/accuracy`),
  whatIfStart: (target: string, days: number) => call<WhatIfStatus>('POST', `${path(target)}/what-if`, { days }),
  whatIfGet: (target: string, id: string) => call<WhatIfStatus>('GET', `${path(target)}/what-if/${encodeURIComponent(id)}`),
  calendarList: (target: string) => call<{ entries: CalendarEntry[] }>('GET', `/api/calendar?target=${encodeURIComponent(target)}`),
  occurrences: (target: string, from: number, to: number) => call<{ occurrences: Occurrence[] }>('GET', `/api/calendar/occurrences?target=${encodeURIComponent(target)}&from=${from}&to=${to}`),
  calendarCreate: (entry: unknown) => call<CalendarEntry>('POST', '/api/calendar', entry),
  calendarGet: (id: string) => call<CalendarEntry>('GET', `/api/calendar/${encodeURIComponent(id)}`),
  calendarReplace: (id: string, entry: unknown, etag: string) => call<CalendarEntry>('PUT', `/api/calendar/${encodeURIComponent(id)}`, entry, { 'if-match': etag }),
  calendarDelete: (id: string, etag: string | null) => call<null>('DELETE', `/api/calendar/${encodeURIComponent(id)}`, undefined, etag ? { 'if-match': etag } : {}),
};
