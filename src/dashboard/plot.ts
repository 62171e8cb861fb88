/// <reference lib="dom" />
/**
 * Observable Plot in the browser: the page loads d3.min.js and plot.umd.min.js (served by Prescale from
 * node_modules, no CDN), which define the globals `d3` and `Plot`; this module types them from the package's
 * own declarations. Nothing here draws.
 */
import type * as PlotModule from '@observablehq/plot';

declare global {
  interface Window {
    Plot: typeof PlotModule;
  }
}

export type { PlotModule };
export const Plot = (): typeof PlotModule => window.Plot;
