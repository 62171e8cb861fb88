/**
 * Lead times: how long before load arrives capacity must be asked for. Configured values at first; once
 * the cluster has reported enough measured samples (pod created -> Ready, node created -> Ready), a chosen
 * percentile of the most recent ones. Pure.
 */
import { percentile } from './capacity.js';

export interface LeadTimeOptions {
  /** Percentile of measured samples to use, 50..100 (90 = nine in ten pods were Ready within it). */
  percentile: number;
  /** Measured samples needed before they replace the configured value. */
  minSamples: number;
  /** Only the newest this many samples count (start-up times drift with images and node types). */
  maxSamples: number;
  /** Samples above this are ignored as broken measurements (a pod that never became Ready), ms. */
  maxPlausibleMs: number;
}

export const DEFAULT_LEAD_TIME: LeadTimeOptions = { percentile: 90, minSamples: 5, maxSamples: 50, maxPlausibleMs: 3_600_000 };

export interface LeadTime {
  /** The lead time to plan with, ms. */
  ms: number;
  source: 'configured' | 'measured';
  /** Valid samples considered. */
  samples: number;
  /** Human-readable: "measured P90 of 12 samples: 84s" or "configured 90s (3 of 5 samples)". */
  description: string;
}

/**
 * Picks the lead time. `samplesMs` are oldest first; non-finite, negative and implausible ones are dropped.
 */
export function chooseLeadTime(configuredMs: number, samplesMs: readonly number[], options: Partial<LeadTimeOptions> = {}): LeadTime {
  const o = { ...DEFAULT_LEAD_TIME, ...options };
  const valid = samplesMs.filter((s) => Number.isFinite(s) && s >= 0 && s <= o.maxPlausibleMs).slice(-o.maxSamples);
  if (valid.length < o.minSamples) {
    return {
      ms: configuredMs,
      source: 'configured',
      samples: valid.length,
      description: `configured ${seconds(configuredMs)} (${valid.length} of ${o.minSamples} samples)`,
    };
  }
  const ms = Math.round(percentile([...valid].sort((a, b) => a - b), o.percentile));
  return { ms, source: 'measured', samples: valid.length, description: `measured P${o.percentile} of ${valid.length} samples: ${seconds(ms)}` };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
