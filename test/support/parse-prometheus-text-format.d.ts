/**
 * Types for parse-prometheus-text-format 1.1.1, which ships none. Values stay strings, as the parser returns
 * them. Known limit (yunyu/parse-prometheus-text-format#13, open): a histogram or summary family is flattened
 * into one sample and loses `_sum`/`_count` when its series carry labels; tests hand it one series at a time.
 */
declare module 'parse-prometheus-text-format' {
  export interface PrometheusSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PrometheusSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
