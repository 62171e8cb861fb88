import { InputError } from '../core/errors.js';
import type { PrescaleConfig, TargetConfig, NodePoolConfig } from './schema.js';

/** A target's id everywhere (jobs, Redis, InfluxDB tags, API paths): `namespace/name`. */
export function targetId(target: Pick<TargetConfig, 'namespace' | 'name'>): string {
  return `${target.namespace}/${target.name}`;
}

/** Finds a target by id (`namespace/name`) or by bare name when that is unique. */
export function findTarget(config: PrescaleConfig, id: string): TargetConfig {
  const match = config.targets.filter((t) => targetId(t) === id || (!id.includes('/') && t.name === id));
  if (match.length !== 1) {
    throw new InputError(`${match.length === 0 ? 'unknown' : 'ambiguous'} target "${id}"; configured: ${config.targets.map(targetId).join(', ')}`, 'target');
  }
  return match[0]!;
}

export function findNodePool(config: PrescaleConfig, name: string): NodePoolConfig {
  const pool = config.nodePools.find((p) => p.name === name);
  if (!pool) throw new InputError(`unknown node pool "${name}"; configured: ${config.nodePools.map((p) => p.name).join(', ') || 'none'}`, 'pool');
  return pool;
}
