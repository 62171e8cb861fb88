import type { Forecaster } from './forecaster.js';

/**
 * Forecasters by kind, sorted by name. Adding one: implement `Forecaster` in its own file, pass
 * test/contract/forecaster.contract.ts, and add one line here (see README "Adding a forecaster").
 */
const factories = new Map<string, () => Forecaster | Promise<Forecaster>>();

export function registerForecaster(kind: string, factory: () => Forecaster | Promise<Forecaster>): void {
  if (factories.has(kind)) throw new Error(`forecaster "${kind}" is registered twice`);
  factories.set(kind, factory);
}

export function forecasterKinds(): string[] {
  return [...factories.keys()].sort();
}

export async function getForecaster(kind: string): Promise<Forecaster> {
  const factory = factories.get(kind);
  if (!factory) throw new Error(`unknown forecaster "${kind}"; known: ${forecasterKinds().join(', ')}`);
  return factory();
}
