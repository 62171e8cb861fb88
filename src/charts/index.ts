/** Server-side SVG charts for the notebooks (Observable Plot + linkedom); see plot-svg.ts. */
export { plotToSvg, svgDisplayBundle } from './plot-svg.js';
export { lineChartSvg, type LinePoint, type LineChartOptions } from './line-chart.js';
export { barChartSvg, type Bar, type BarChartOptions } from './bar-chart.js';
export { frontierChartSvg, type FrontierChartPoint, type FrontierChartOptions } from './frontier-chart.js';
export { forecastChartSvg, type ForecastPoint, type ForecastChartOptions } from './forecast-chart.js';
export { markdownTable, formatNumber } from './markdown-table.js';
