/**
 * How KEDA's metrics-api scaler reads a number from a JSON answer, for tests of what Prescale serves it.
 *
 * - `gjsonGet`: the part of GJSON path syntax (github.com/tidwall/gjson SYNTAX.md) a valueLocation into
 *   Prescale's answer uses: components separated by `.`, `\` escaping the next character, a numeric component
 *   indexing an array (on an object it is a key like any other). A missing path gives type Null, as gjson's
 *   zero Result does. Wildcards (`*`, `?`), `#`, queries, modifiers (`@`), `|` and multipaths are refused
 *   with an error rather than guessed.
 * - `kedaMetricValue`: getValueFromJSONResponse in kedacore/keda pkg/scalers/metrics_api_scaler.go: a
 *   Number as is, a String parsed as a Kubernetes quantity, any other type an error naming it; then
 *   GenerateMetricInMili (pkg/scalers/scaler.go) formats it with "%.3f" (negative, NaN and Inf as 0).
 */
import { parseQuantity } from '../../src/kube/quantity.js';

export type GjsonType = 'Null' | 'False' | 'Number' | 'String' | 'True' | 'JSON';

export interface GjsonResult {
  type: GjsonType;
  value: unknown;
}

function components(path: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\') {
      if (i + 1 >= path.length) throw new Error(`gjson path "${path}": dangling escape`);
      current += path[++i];
    } else if (c === '.') {
      out.push(current);
      current = '';
    } else if ('*?#@|!,[]{}()'.includes(c)) {
      throw new Error(`gjson path "${path}": "${c}" needs GJSON features this helper does not implement`);
    } else current += c;
  }
  out.push(current);
  return out;
}

function typeOf(value: unknown): GjsonType {
  if (value === null || value === undefined) return 'Null';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return 'Number';
  if (typeof value === 'string') return 'String';
  return 'JSON';
}

export function gjsonGet(json: string, path: string): GjsonResult {
  let node: unknown = JSON.parse(json);
  for (const key of components(path)) {
    if (Array.isArray(node)) node = /^\d+$/.test(key) ? node[Number(key)] : undefined;
    else if (node !== null && typeof node === 'object') node = Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    else node = undefined;
    if (node === undefined) return { type: 'Null', value: null };
  }
  return { type: typeOf(node), value: node };
}

/** The value KEDA hands its HPA for `valueLocation` in `body`, as the quantity string it builds. */
export function kedaMetricValue(body: string, valueLocation: string): { value: number; quantity: string } {
  const result = gjsonGet(body, valueLocation);
  let value: number;
  if (result.type === 'String') value = parseQuantity(result.value as string);
  else if (result.type === 'Number') value = result.value as number;
  else throw new Error(`valueLocation "${valueLocation}" must point to a numeric value or a string parseable as a Quantity, got ${result.type}`);
  const safe = Number.isFinite(value) && value >= 0 ? value : 0;
  return { value, quantity: safe.toFixed(3) };
}
