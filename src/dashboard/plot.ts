/// <reference lib="dom" />
/**
 * Observable Plot in the browser: the page loads d3.min.js and plot.umd.min.js (served by Prescale from
 * node_modules, no CDN), which define the globals `d3` and `Plot`; this module types them from the package's
 * own declarations. Nothing here draws. The scripts are deferred and come after the app's own, so the app's
 * requests start while they load: draw only after `plotReady`.
 */
import type * as PlotModule from '@observablehq/plot';

declare global {
  interface Window {
    Plot: typeof PlotModule;
  }
}

export type { PlotModule };
export const Plot = (): typeof PlotModule => window.Plot;

/**
 * Resolves once the deferred d3 and Plot scripts have run: DOMContentLoaded follows every deferred script (the
 * app's own deferred script runs before them, when readyState already says "interactive"); `load` as a fallback.
 */
export const plotReady: Promise<void> =
  (window as Partial<Window>).Plot !== undefined
    ? Promise.resolve()
    : new Promise((resolve) => {
        document.addEventListener('DOMContentLoaded', () => resolve(), { once: true });
        window.addEventListener('load', () => resolve(), { once: true });
      });
