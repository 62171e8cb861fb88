/**
 * Decision markers (src/dashboard/markers.ts): a marker per decision while they fit on the axis, else one per
 * slot of a few pixels that opens the latest decision in it and counts the rest. Decisions are synthetic: a week
 * of 5-minute plan ticks that changed replicas, and a sparse day.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingDecision } from '../../src/metrics/metrics-store.js';
import { decisionMarkers, MARKER_SLOT_PX } from '../../src/dashboard/markers.js';

const STEP = 300_000;
const FROM = Date.UTC(1995, 6, 3);
const decision = (time: number, desiredReplicas: number): ScalingDecision => ({ target: 'shop/web', time, mode: 'predictive', rule: `r${time}`, previousReplicas: desiredReplicas - 1, desiredReplicas, applied: true, inputs: {} });

describe('decision markers', () => {
  it('gives every decision its own marker while they fit (a day of sparse changes)', () => {
    const day = Array.from({ length: 40 }, (_, i) => decision(FROM + i * 7 * STEP, 3 + (i % 4)));
    const markers = decisionMarkers(day, FROM, FROM + 86_400_000, 1_200);
    expect(markers.map((m) => [m.decision, m.count])).toEqual(day.map((d) => [d, 1]));
  });

  it('shares a marker per slot when a week of changes would not fit: counts add up, each opens its slot\'s latest', () => {
    const week = Array.from({ length: 2_016 }, (_, i) => decision(FROM + i * STEP, 3 + (i % 3)));
    const to = FROM + 7 * 86_400_000;
    const width = 1_312;
    const markers = decisionMarkers(week, FROM, to, width);
    expect(markers.length).toBeLessThanOrEqual(Math.floor(width / MARKER_SLOT_PX));
    expect(markers.length).toBeGreaterThan(Math.floor(width / MARKER_SLOT_PX) * 0.9);
    expect(markers.reduce((n, m) => n + m.count, 0)).toBe(week.length);
    // In time order, the first marker starting at the first decision and the last one opening the last decision.
    expect(markers[0]!.firstTime).toBe(week[0]!.time);
    expect(markers.at(-1)!.decision).toBe(week.at(-1));
    let seen = 0;
    for (const m of markers) {
      // The slot's decisions are the next `count` ones; the marker opens the latest of them.
      const slot = week.slice(seen, seen + m.count);
      expect(m.decision).toBe(slot.at(-1));
      expect(m.firstTime).toBe(slot[0]!.time);
      const px = (t: number) => Math.floor(((t - FROM) / (to - FROM)) * Math.floor(width / MARKER_SLOT_PX));
      expect(new Set(slot.map((d) => px(d.time))).size).toBe(1);
      seen += m.count;
    }
  });
});
