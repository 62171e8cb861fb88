/**
 * The cost/risk frontier of a scaling policy: points (replica-hours, under-provisioned minutes) of one trace
 * under different settings, and how two policies' curves compare. Pure functions.
 *
 * Between two measured settings the curve is a straight line: running setting A for a share s of the time and
 * B for the rest costs s x A + (1 - s) x B replica-hours and risks s x A + (1 - s) x B under-provisioned
 * minutes (both are sums over minutes), so every point of the segment is reachable (time sharing). Beyond the
 * measured range nothing is assumed.
 */

export interface FrontierPoint {
  /** The setting, e.g. "budget 0.1%" or "target 0.8". */
  label: string;
  underMinutes: number;
  replicaHours: number;
  nodeHours: number;
  /** 0..1. */
  slack: number;
}

/**
 * The Pareto-efficient points (no other point has no more replica-hours and no more under-provisioned minutes
 * with one of them fewer), by replica-hours ascending (so under-provisioned minutes descending), and only the
 * lower convex hull of them: a point above the segment between its neighbours is beaten by time sharing.
 */
export function paretoFront(points: readonly FrontierPoint[]): FrontierPoint[] {
  const sorted = [...points].sort((a, b) => a.replicaHours - b.replicaHours || a.underMinutes - b.underMinutes);
  const front: FrontierPoint[] = [];
  for (const p of sorted) {
    if (front.length > 0 && p.underMinutes >= front[front.length - 1]!.underMinutes) continue;
    // Lower convex hull: drop the last point while it lies on or above the segment from the one before it to p.
    while (front.length >= 2) {
      const a = front[front.length - 2]!;
      const b = front[front.length - 1]!;
      const cross = (b.replicaHours - a.replicaHours) * (p.underMinutes - a.underMinutes) - (b.underMinutes - a.underMinutes) * (p.replicaHours - a.replicaHours);
      if (cross <= 0) front.pop();
      else break;
    }
    front.push(p);
  }
  return front;
}

/** Under-provisioned minutes the front reaches at `replicaHours` (time sharing between its points); null below its cheapest point. */
export function underAt(front: readonly FrontierPoint[], replicaHours: number): number | null {
  if (front.length === 0 || replicaHours < front[0]!.replicaHours) return null;
  for (let i = front.length - 1; i >= 0; i--) {
    const a = front[i]!;
    if (a.replicaHours > replicaHours) continue;
    const b = front[i + 1];
    if (!b) return a.underMinutes;
    const s = (replicaHours - a.replicaHours) / (b.replicaHours - a.replicaHours);
    return a.underMinutes + s * (b.underMinutes - a.underMinutes);
  }
  return null;
}

/** Fewest replica-hours at which the front has at most `underMinutes`; null when even its safest point has more. */
export function replicaHoursAt(front: readonly FrontierPoint[], underMinutes: number): number | null {
  for (let i = 0; i < front.length; i++) {
    const b = front[i]!;
    if (b.underMinutes > underMinutes) continue;
    const a = front[i - 1];
    if (!a) return b.replicaHours;
    const s = (a.underMinutes - underMinutes) / (a.underMinutes - b.underMinutes);
    return a.replicaHours + s * (b.replicaHours - a.replicaHours);
  }
  return null;
}

export interface Dominance {
  /** Every rival point has a measured point with no more replica-hours and no more under-provisioned minutes. */
  byPoints: boolean;
  /** Every rival point lies on or above the front (time sharing between measured points allowed). */
  byFront: boolean;
  /** Rival points no measured point dominates. */
  notDominated: string[];
}

/**
 * Whether `points` dominate `rivals`. `noiseMinutes`: under-provisioned minutes up to this many count as none (a
 * budget of 0.01% spends a few minutes by design; a rival with none is then matched by a point within it).
 */
export function dominance(points: readonly FrontierPoint[], rivals: readonly FrontierPoint[], noiseMinutes = 0): Dominance {
  const front = paretoFront(points);
  const allowed = (r: FrontierPoint) => Math.max(r.underMinutes, noiseMinutes) + 1e-9;
  const notDominated = rivals.filter((r) => !points.some((p) => p.replicaHours <= r.replicaHours && p.underMinutes <= allowed(r))).map((r) => r.label);
  const byFront = rivals.every((r) => {
    const u = underAt(front, r.replicaHours);
    return u !== null && u <= allowed(r);
  });
  return { byPoints: notDominated.length === 0, byFront, notDominated };
}
