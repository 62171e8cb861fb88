/**
 * The reactive fallback path's decision logic: threshold breaches in live metrics and the HPA formula.
 * Pure; the fast loop (15 s by default) calls the planner with `loop: 'reactive'`, which uses this.
 */
import { ceilReplicas } from './capacity.js';

export interface ReactiveOptions {
  /** CPU or memory utilisation breaches when above the target by more than this (0.1: 80% breaches above 90%). */
  utilizationMargin: number;
  /**
   * Load breaches when the load per Ready replica is above this fraction of capacityPerReplica (1 = the
   * Ready replicas are saturated). Not the reactive target: the predictive plan deliberately runs hotter
   * than a reactive autoscaler's target, and must not trip its own fallback by doing so.
   */
  loadSaturation: number;
  /** Live load breaches the forecast when above its 95% upper bound by more than this fraction (0.05 = 5%). */
  upperBoundMargin: number;
  /** HPA tolerance: the formula changes nothing while |ratio - 1| <= tolerance (0.1 like Kubernetes). */
  tolerance: number;
  /** Reactive mode holds this long after the last breach, ms, before the forecast may take over again (one 5-minute step). */
  holdMs: number;
  /** On an SLO breach without a utilisation signal, grow by this percent of current replicas (at least +1). */
  sloStepPercent: number;
}

export const DEFAULT_REACTIVE: ReactiveOptions = { utilizationMargin: 0.1, loadSaturation: 1, upperBoundMargin: 0.05, tolerance: 0.1, holdMs: 300_000, sloStepPercent: 20 };

export type BreachSignal = 'load' | 'cpu' | 'memory' | 'slo' | 'forecast-bound';

export interface Breach {
  signal: BreachSignal;
  /** What was observed (utilisation fraction, or load units for forecast-bound). */
  observed: number;
  /** The threshold it crossed, same unit. */
  threshold: number;
  /** Replicas the HPA formula (or the SLO step) asks for. */
  replicas: number;
  /** "reactive: cpu 93% > 90%". */
  rule: string;
}

/**
 * The HPA formula: ceil(current x currentMetric / targetMetric), unchanged within the tolerance.
 * Metrics in any unit, as long as both are the same.
 */
export function hpaReplicas(current: number, currentMetric: number, targetMetric: number, tolerance = DEFAULT_REACTIVE.tolerance): number {
  if (!(targetMetric > 0) || !Number.isFinite(currentMetric)) return current;
  const ratio = currentMetric / targetMetric;
  if (current > 0 && Math.abs(ratio - 1) <= tolerance) return current;
  return ceilReplicas(current * ratio);
}

/** Replicas a load needs at the target utilisation (HPA AverageValue target of utilisation x capacity per pod). */
export function hpaReplicasForLoad(load: number, capacityPerReplica: number, targetUtilization: number): number {
  if (!(load > 0)) return 0;
  return ceilReplicas(load / (capacityPerReplica * targetUtilization));
}

export interface BreachInput {
  /** Live load (load units), null when unknown. */
  load: number | null;
  cpuUtilization: number | null;
  memoryUtilization: number | null;
  sloBreached: boolean;
  readyReplicas: number;
  /** spec.replicas now. */
  currentReplicas: number;
  capacityPerReplica: number;
  /** Utilisation target (fraction) for load, CPU and memory. */
  targetUtilization: number;
  /** Utilisation target for the load breaches' replicas when it differs (an error budget's); default targetUtilization. */
  loadTargetUtilization?: number;
  /** 95% upper bound of the forecast for the current moment, load units; null when no usable forecast. */
  forecastUpper95: number | null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Every threshold breach in the live metrics, each with the replicas it asks for. Unknown metrics never breach. */
export function detectBreaches(input: BreachInput, options: ReactiveOptions = DEFAULT_REACTIVE): Breach[] {
  const breaches: Breach[] = [];
  const threshold = input.targetUtilization + options.utilizationMargin;
  const serving = Math.max(input.readyReplicas, 0);
  const loadTarget = input.loadTargetUtilization ?? input.targetUtilization;
  if (input.load !== null && input.load > 0) {
    const utilization = serving > 0 ? input.load / (serving * input.capacityPerReplica) : Infinity;
    if (utilization > options.loadSaturation) {
      breaches.push({
        signal: 'load',
        observed: utilization,
        threshold: options.loadSaturation,
        replicas: hpaReplicasForLoad(input.load, input.capacityPerReplica, loadTarget),
        rule: serving > 0 ? `reactive: load ${pct(utilization)} of ${serving} ready > ${pct(options.loadSaturation)}` : `reactive: load ${round(input.load)} with no ready replica`,
      });
    }
    if (input.forecastUpper95 !== null && input.load > input.forecastUpper95 * (1 + options.upperBoundMargin)) {
      breaches.push({
        signal: 'forecast-bound',
        observed: input.load,
        threshold: input.forecastUpper95,
        replicas: hpaReplicasForLoad(input.load, input.capacityPerReplica, loadTarget),
        rule: `reactive: load ${round(input.load)} > forecast 95% bound ${round(input.forecastUpper95)}`,
      });
    }
  }
  const base = serving > 0 ? serving : input.currentReplicas;
  for (const [signal, value] of [['cpu', input.cpuUtilization], ['memory', input.memoryUtilization]] as const) {
    if (value === null || !(value > threshold)) continue;
    breaches.push({
      signal,
      observed: value,
      threshold,
      replicas: hpaReplicas(base, value, input.targetUtilization, options.tolerance),
      rule: `reactive: ${signal} ${pct(value)} > ${pct(threshold)}`,
    });
  }
  if (input.sloBreached) {
    const current = Math.max(input.currentReplicas, serving);
    breaches.push({
      signal: 'slo',
      observed: 1,
      threshold: 0,
      replicas: Math.max(current + 1, ceilReplicas(current * (1 + options.sloStepPercent / 100))),
      rule: 'reactive: SLO breached',
    });
  }
  return breaches;
}

/** The breach that asks for the most replicas (first detected on ties), or null. */
export function strongestBreach(breaches: readonly Breach[]): Breach | null {
  let best: Breach | null = null;
  for (const b of breaches) if (!best || b.replicas > best.replicas) best = b;
  return best;
}

function round(x: number): string {
  return Math.abs(x) >= 100 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
}
