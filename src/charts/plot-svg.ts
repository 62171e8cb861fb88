import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';

/**
 * Server-side rendering of Observable Plot charts to standalone SVG markup: linkedom supplies the DOM that
 * Plot normally takes from a browser. Used by the notebooks (Deno kernel) and usable from Node alike.
 *
 * Left out on purpose: legends, titles and captions. With any of them Plot wraps the SVG in an HTML
 * <figure>, which is no longer an image; charts label their series with text marks instead.
 */

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Renders a Plot specification to SVG markup. Throws if Plot produced something other than an <svg>. */
export function plotToSvg(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const node = Plot.plot({ ...options, document: document as unknown as Document }) as unknown as Element;
  if (node.tagName.toLowerCase() !== 'svg') {
    throw new Error(`Plot produced a <${node.tagName.toLowerCase()}>, not an <svg> (legend, title or caption set?)`);
  }
  node.setAttribute('xmlns', SVG_NS);
  return node.outerHTML;
}

/** A Jupyter display bundle for an SVG: also as text/html, so that nbconvert 6.5 HTML exports are not blank. */
export function svgDisplayBundle(svg: string): { 'image/svg+xml': string; 'text/html': string } {
  return { 'image/svg+xml': svg, 'text/html': svg };
}
