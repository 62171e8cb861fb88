/// <reference lib="dom" />
/**
 * Observable Plot in the browser, bundled into the dashboard's script by esbuild from node_modules (no CDN):
 * only the marks the charts use, so the bundle carries the parts of Plot and d3 they need (about half of the
 * two libraries' own minified files, which every cold page load had to fetch and compile). Nothing here draws.
 */
import { areaY, dot, lineY, plot, rect, ruleX } from '@observablehq/plot';

const marks = { areaY, dot, lineY, plot, rect, ruleX };
export type PlotModule = typeof marks;
export const Plot = (): PlotModule => marks;
