import { InputError } from '../core/errors.js';
import type { MetricRef, PrescaleConfig, TargetConfig } from './schema.js';
import { targetId } from './targets.js';

/**
 * Everything Prescale forecasts: each target's load, and each node pool's CPU and memory utilisation when the
 * pool names those metrics (node capacity follows the larger of request packing and forecast utilisation).
 * Train and forecast jobs work on subjects; their ids are the keys of models, model info and forecasts.
 */
export interface ForecastSubject {
  /** `namespace/name` for a target's load, `nodepool/<pool>/cpu` or `nodepool/<pool>/memory` for node metrics. */
  id: string;
  metric: MetricRef;
  /** Forecaster choice (node metrics use the champion). */
  model: TargetConfig['model'];
}

export function poolSubjectId(pool: string, resource: 'cpu' | 'memory'): string {
  return `nodepool/${pool}/${resource}`;
}

export function forecastSubjects(config: PrescaleConfig): ForecastSubject[] {
  const subjects: ForecastSubject[] = config.targets.map((t) => ({ id: targetId(t), metric: t.load, model: t.model }));
  for (const pool of config.nodePools) {
    for (const resource of ['cpu', 'memory'] as const) {
      const metric = pool[resource];
      if (metric) subjects.push({ id: poolSubjectId(pool.name, resource), metric, model: 'auto' });
    }
  }
  return subjects;
}

/** A subject by id; a bare target name works when unique (as in findTarget). */
export function findSubject(config: PrescaleConfig, id: string): ForecastSubject {
  const subjects = forecastSubjects(config);
  const exact = subjects.find((s) => s.id === id);
  if (exact) return exact;
  const byName = id.includes('/') ? [] : config.targets.filter((t) => t.name === id);
  if (byName.length === 1) return subjects.find((s) => s.id === targetId(byName[0]!))!;
  throw new InputError(`unknown target "${id}"; configured: ${subjects.map((s) => s.id).join(', ')}`, 'target');
}
