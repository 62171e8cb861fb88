/**
 * Decision markers on a time axis: one per decision while they fit, else one per few pixels. A week of
 * decisions that changed replicas can be a couple of thousand, a dot per 0.7 px on a wide chart: they overlap
 * into a smear, and drawing and laying out that many SVG circles was most of the page's drawing time. A shared
 * marker stands for the decisions in its slot and opens the latest of them; the decision table lists them all.
 * Pure (no DOM): the capacity chart draws what this returns. Left out: zooming into a slot.
 */
import type { ScalingDecision } from '../metrics/metrics-store.js';

/** Width of one marker slot in pixels (a marker's dot is 8 px across). */
export const MARKER_SLOT_PX = 4;

export interface DecisionMarker {
  /** The decision the marker shows and opens: the latest in its slot. */
  decision: ScalingDecision;
  /** Decisions the marker stands for (1 when every decision has its own). */
  count: number;
  /** Time of the first decision in the slot, epoch ms. */
  firstTime: number;
}

/**
 * Markers for time-ordered `decisions` on an axis from `from` to `to` drawn `widthPx` wide: every decision its
 * own while there are at most `widthPx / MARKER_SLOT_PX`, else one per slot of MARKER_SLOT_PX pixels.
 */
export function decisionMarkers(decisions: readonly ScalingDecision[], from: number, to: number, widthPx: number): DecisionMarker[] {
  const slots = Math.max(1, Math.floor(widthPx / MARKER_SLOT_PX));
  if (decisions.length <= slots || to <= from) return decisions.map((decision) => ({ decision, count: 1, firstTime: decision.time }));
  const markers: DecisionMarker[] = [];
  let slot = -1;
  for (const decision of decisions) {
    const s = Math.min(slots - 1, Math.max(0, Math.floor(((decision.time - from) / (to - from)) * slots)));
    const held = markers.at(-1);
    if (held && s === slot) {
      held.decision = decision;
      held.count++;
    } else {
      markers.push({ decision, count: 1, firstTime: decision.time });
      slot = s;
    }
  }
  return markers;
}
