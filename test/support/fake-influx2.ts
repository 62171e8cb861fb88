/**
 * A protocol double of InfluxDB 2.x for the endpoints the v2 store uses (src/metrics/influx-v2.ts), faithful enough
 * to run the MetricsStore contract against it:
 * - `GET /api/v2/buckets?org&name`: the buckets created with `createBucket`;
 * - `POST /api/v2/write?org&bucket&precision=ms`: line protocol (gzip too), parsed with its escaping rules; a point
 *   rewritten at the same series and time merges its fields; a field written with another type than before is a
 *   422 "field type conflict", as InfluxDB answers;
 * - `POST /api/v2/query?org`: Flux, parsed by the real Flux parser (@influxdata/flux-lsp-node, the Rust parser
 *   compiled to wasm): any syntax error is a 400 "compilation failed" naming the position, so a malformed query
 *   cannot pass. The parsed AST is then interpreted over the stored points for the subset the store sends:
 *   `from |> range |> filter |> group() |> sort |> last |> keep |> aggregateWindow |> pivot`, with Flux's tables
 *   and group keys, strict types (an int never compares with a float: the reason for `fluxFloat`), null
 *   propagation and `exists`. The answer is annotated CSV as 2.x writes it (one annotated block per table).
 * - every request needs `Authorization: Token <token>` (401 otherwise).
 *
 * Left out: everything else in Flux (a construct outside the subset is a 400 "unsupported by the double", recorded
 * in `unsupported`), retention, authorisation scopes, and the query planner's pushdowns (results are the same).
 * `queries` keeps every Flux text received and `syntaxErrors` every parser complaint, so tests can assert both.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parse as parseFlux } from '@influxdata/flux-lsp-node';

type Value =
  | { type: 'string'; v: string }
  | { type: 'double'; v: number }
  | { type: 'long'; v: number }
  | { type: 'boolean'; v: boolean }
  | { type: 'time'; v: number };
type Cell = Value | null;
type Row = Record<string, Cell>;
interface Table {
  /** Group key column names, in order. */
  key: string[];
  rows: Row[];
}

/** A client error the double answers with (status and InfluxDB's JSON body). */
class FluxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  time: number;
  fields: Map<string, Value>;
}

/** AST node of @influxdata/flux-lsp-node's `parse` (only what the interpreter reads). */
interface Node {
  type?: string;
  name?: string;
  value?: unknown;
  operator?: string;
  errors?: { msg: string }[];
  location?: { start: { line: number; column: number }; source: string };
  [key: string]: unknown;
}

export interface FakeInflux2Options {
  org: string;
  token: string;
}

export class FakeInflux2 {
  readonly queries: string[] = [];
  readonly syntaxErrors: { flux: string; errors: string[] }[] = [];
  readonly unsupported: string[] = [];
  private readonly buckets = new Map<string, Map<string, StoredPoint>>();
  private readonly fieldTypes = new Map<string, Map<string, Value['type']>>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly options: FakeInflux2Options,
  ) {}

  static async start(options: FakeInflux2Options): Promise<FakeInflux2> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const double = new FakeInflux2(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void double.handle(req, res));
    return double;
  }

  createBucket(name: string): void {
    this.buckets.set(name, new Map());
    this.fieldTypes.set(name, new Map());
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The Flux parser's complaints about `flux` (empty when it parses). */
  static syntaxErrorsOf(flux: string): string[] {
    const errors: string[] = [];
    JSON.stringify(parseFlux(flux), (_key, value: Node | undefined) => {
      if (value && typeof value === 'object' && Array.isArray(value.errors) && value.errors.length > 0) {
        const at = value.location ? ` @${value.location.start.line}:${value.location.start.column}` : '';
        errors.push(...value.errors.map((e) => `${e.msg}${at}`));
      }
      return value;
    });
    return errors;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    try {
      if (req.headers.authorization !== `Token ${this.options.token}`) throw new FluxError(401, 'unauthorized', 'unauthorized access');
      if (url.searchParams.get('org') !== this.options.org) throw new FluxError(404, 'not found', `organization name "${url.searchParams.get('org')}" not found`);
      if (req.method === 'GET' && url.pathname === '/api/v2/buckets') {
        const name = url.searchParams.get('name');
        return json(200, { buckets: [...this.buckets.keys()].filter((b) => name === null || b === name).map((b) => ({ id: b, name: b, type: 'user' })) });
      }
      if (req.method === 'POST' && url.pathname === '/api/v2/write') {
        const bucket = this.bucket(url.searchParams.get('bucket') ?? '');
        if (url.searchParams.get('precision') !== 'ms') throw new FluxError(400, 'invalid', `this double stores precision=ms only, got ${url.searchParams.get('precision')}`);
        this.write(bucket, url.searchParams.get('bucket')!, body.toString('utf8'));
        res.writeHead(204);
        return void res.end();
      }
      if (req.method === 'POST' && url.pathname === '/api/v2/query') {
        const request = JSON.parse(body.toString('utf8')) as { query?: string; type?: string };
        if (request.type !== 'flux' || typeof request.query !== 'string') throw new FluxError(400, 'invalid', 'query type must be flux');
        const csv = this.query(request.query);
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
        return void res.end(csv);
      }
      throw new FluxError(404, 'not found', 'path not found');
    } catch (error) {
      if (error instanceof FluxError) return json(error.status, { code: error.code, message: error.message });
      return json(500, { code: 'internal error', message: (error as Error).message });
    }
  }

  private bucket(name: string): Map<string, StoredPoint> {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new FluxError(404, 'not found', `bucket "${name}" not found`);
    return bucket;
  }

  // ---- line protocol ----

  private write(bucket: Map<string, StoredPoint>, bucketName: string, text: string): void {
    const parsed = parseLines(text);
    // Types first: a conflicting field rejects the request before anything of it is stored.
    const types = this.fieldTypes.get(bucketName)!;
    const pending = new Map<string, Value['type']>();
    for (const p of parsed) {
      for (const [field, value] of p.fields) {
        const key = `${p.measurement}\u0000${field}`;
        const known = types.get(key) ?? pending.get(key);
        if (known && known !== value.type) {
          throw new FluxError(422, 'unprocessable entity', `failure writing points to database: partial write: field type conflict: input field "${field}" on measurement "${p.measurement}" is type ${value.type}, already exists as type ${known} dropped=1`);
        }
        pending.set(key, value.type);
      }
    }
    for (const [key, type] of pending) types.set(key, type);
    for (const p of parsed) {
      const id = `${p.measurement}\u0000${JSON.stringify(Object.entries(p.tags).sort(([a], [b]) => (a < b ? -1 : 1)))}\u0000${p.time}`;
      const existing = bucket.get(id);
      if (existing) for (const [field, value] of p.fields) existing.fields.set(field, value);
      else bucket.set(id, p);
    }
  }

  // ---- Flux ----

  private query(flux: string): string {
    this.queries.push(flux);
    const errors = FakeInflux2.syntaxErrorsOf(flux);
    if (errors.length > 0) {
      this.syntaxErrors.push({ flux, errors });
      throw new FluxError(400, 'invalid', `compilation failed: ${errors.join('; ')}`);
    }
    const file = parseFlux(flux) as { body: Node[]; imports: unknown[] };
    try {
      if (file.imports.length > 0 || file.body.length !== 1 || file.body[0]!.type !== 'ExpressionStatement') throw this.unsupportedError('a script other than one pipe expression');
      return toCsv(this.evaluatePipe(file.body[0]!['expression'] as Node));
    } catch (error) {
      if (error instanceof FluxError) throw error;
      throw new FluxError(400, 'invalid', `runtime error: ${(error as Error).message}`);
    }
  }

  private unsupportedError(what: string): FluxError {
    this.unsupported.push(what);
    return new FluxError(400, 'invalid', `unsupported by the double: ${what}`);
  }

  private evaluatePipe(node: Node): Table[] {
    if (node.type === 'CallExpression') {
      const { name, args } = this.call(node);
      if (name !== 'from') throw this.unsupportedError(`a pipeline starting with ${name}()`);
      return this.from(stringArg(args, 'bucket'));
    }
    if (node.type !== 'PipeExpression') throw this.unsupportedError(`expression ${node.type}`);
    const input = this.evaluatePipe(node['argument'] as Node);
    const { name, args } = this.call(node['call'] as Node);
    switch (name) {
      case 'range':
        return range(input, timeArg(args, 'start'), timeArg(args, 'stop'));
      case 'filter':
        return this.filter(input, args['fn']!);
      case 'group':
        if (Object.keys(args).length > 0) throw this.unsupportedError('group() with arguments');
        return [{ key: [], rows: input.flatMap((t) => t.rows) }].filter((t) => t.rows.length > 0);
      case 'sort':
        return sortTables(input, stringArrayArg(args, 'columns', ['_value']), booleanArg(args, 'desc', false));
      case 'last':
        return input.flatMap((t) => {
          const column = args['column'] ? stringArg(args, 'column') : '_value';
          const last = [...t.rows].reverse().find((r) => r[column] != null);
          return last ? [{ key: t.key, rows: [last] }] : [];
        });
      case 'keep': {
        const columns = new Set(stringArrayArg(args, 'columns'));
        return input.map((t) => ({ key: t.key.filter((c) => columns.has(c)), rows: t.rows.map((r) => Object.fromEntries(Object.entries(r).filter(([c]) => columns.has(c)))) }));
      }
      case 'aggregateWindow':
        return this.aggregateWindow(input, args);
      case 'pivot':
        return pivot(input, stringArrayArg(args, 'rowKey'), stringArrayArg(args, 'columnKey'), stringArg(args, 'valueColumn'));
      default:
        throw this.unsupportedError(`function ${name}()`);
    }
  }

  private call(node: Node): { name: string; args: Record<string, Node> } {
    const callee = node['callee'] as Node | undefined;
    if (node.type !== undefined && node.type !== 'CallExpression') throw this.unsupportedError(`call of ${node.type}`);
    if (callee?.type !== 'Identifier') throw this.unsupportedError('a call of something other than a function name');
    const args: Record<string, Node> = {};
    for (const object of (node['arguments'] as Node[] | undefined) ?? []) {
      for (const property of object['properties'] as Node[]) args[(property['key'] as Node).name!] = property['value'] as Node;
    }
    return { name: callee.name!, args };
  }

  private from(bucketName: string): Table[] {
    const byKey = new Map<string, Table>();
    for (const p of this.bucket(bucketName).values()) {
      const tagKeys = Object.keys(p.tags).sort();
      for (const [field, value] of p.fields) {
        const key = ['_measurement', ...tagKeys, '_field'];
        const row: Row = { _measurement: str(p.measurement), _field: str(field), _value: value, _time: { type: 'time', v: p.time } };
        for (const tag of tagKeys) row[tag] = str(p.tags[tag]!);
        const id = groupId(key, row);
        const table = byKey.get(id) ?? byKey.set(id, { key, rows: [] }).get(id)!;
        table.rows.push(row);
      }
    }
    const tables = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
    for (const t of tables) t.rows.sort((a, b) => (a['_time'] as { v: number }).v - (b['_time'] as { v: number }).v);
    return tables;
  }

  private filter(input: Table[], fn: Node): Table[] {
    if (fn.type !== 'FunctionExpression') throw this.unsupportedError('filter without a function literal');
    const params = fn['params'] as Node[];
    const param = (params[0]?.['key'] as Node | undefined)?.name;
    if (params.length !== 1 || !param) throw this.unsupportedError('a filter function without exactly one parameter');
    const body = fn['body'] as Node;
    return input
      .map((t) => ({ key: t.key, rows: t.rows.filter((row) => { const v = this.expression(body, param, row); return v?.type === 'boolean' && v.v; }) }))
      .filter((t) => t.rows.length > 0); // onEmpty: "drop", Flux's default
  }

  private expression(node: Node, param: string, row: Row): Cell {
    switch (node.type) {
      case 'ParenExpression':
        return this.expression(node['expression'] as Node, param, row);
      case 'StringLiteral':
        return str(String(node.value));
      case 'IntegerLiteral':
        return { type: 'long', v: Number(node.value) };
      case 'FloatLiteral':
        return { type: 'double', v: Number(node.value) };
      case 'DateTimeLiteral':
        return { type: 'time', v: Date.parse(node.location!.source) };
      case 'Identifier':
        if (node.name === 'true' || node.name === 'false') return { type: 'boolean', v: node.name === 'true' };
        throw this.unsupportedError(`identifier ${node.name} in an expression`);
      case 'MemberExpression': {
        const object = node['object'] as Node;
        const property = node['property'] as Node;
        if (object.type !== 'Identifier' || object.name !== param) throw this.unsupportedError('a member of something other than the record');
        const column = property.type === 'Identifier' ? property.name! : String(property.value);
        return row[column] ?? null;
      }
      case 'UnaryExpression': {
        const argument = this.expression(node['argument'] as Node, param, row);
        if (node.operator === 'exists') return { type: 'boolean', v: argument !== null };
        if (node.operator === 'not') return argument === null ? null : { type: 'boolean', v: !(argument.type === 'boolean' && argument.v) };
        throw this.unsupportedError(`unary operator ${node.operator}`);
      }
      case 'LogicalExpression': {
        const left = this.expression(node['left'] as Node, param, row);
        const truthy = (c: Cell) => c?.type === 'boolean' && c.v;
        if (node.operator === 'and') return { type: 'boolean', v: truthy(left) && truthy(this.expression(node['right'] as Node, param, row)) };
        if (node.operator === 'or') return { type: 'boolean', v: truthy(left) || truthy(this.expression(node['right'] as Node, param, row)) };
        throw this.unsupportedError(`logical operator ${node.operator}`);
      }
      case 'BinaryExpression': {
        const left = this.expression(node['left'] as Node, param, row);
        const right = this.expression(node['right'] as Node, param, row);
        if (left === null || right === null) return null;
        if (left.type !== right.type) throw new FluxError(400, 'invalid', `type error @${node.location?.start.line}:${node.location?.start.column}: ${left.type} != ${right.type} (${node.location?.source})`);
        const [a, b] = [left.v, right.v] as [number | string | boolean, number | string | boolean];
        const compare: Record<string, () => boolean> = { '==': () => a === b, '!=': () => a !== b, '<': () => a < b, '<=': () => a <= b, '>': () => a > b, '>=': () => a >= b };
        const op = compare[node.operator ?? ''];
        if (!op) throw this.unsupportedError(`binary operator ${node.operator}`);
        return { type: 'boolean', v: op() };
      }
      default:
        throw this.unsupportedError(`expression ${node.type}`);
    }
  }

  private aggregateWindow(input: Table[], args: Record<string, Node>): Table[] {
    const every = durationArg(args, 'every');
    const fn = args['fn'];
    if (fn?.type !== 'Identifier') throw this.unsupportedError('aggregateWindow with a fn other than a named function');
    const aggregate = AGGREGATES[fn.name!];
    if (!aggregate) throw this.unsupportedError(`aggregateWindow(fn: ${fn.name})`);
    const createEmpty = booleanArg(args, 'createEmpty', true);
    const timeSrc = args['timeSrc'] ? stringArg(args, 'timeSrc') : '_stop';
    if (timeSrc !== '_start' && timeSrc !== '_stop') throw new FluxError(400, 'invalid', `timeSrc must be "_start" or "_stop", got "${timeSrc}"`);
    return input.map((t) => {
      const bounds = t.rows[0];
      const start = bounds?.['_start'];
      const stop = bounds?.['_stop'];
      if (start?.type !== 'time' || stop?.type !== 'time') throw new FluxError(400, 'invalid', 'aggregateWindow needs _start and _stop: call range() first');
      const rows: Row[] = [];
      const keyPart = Object.fromEntries(t.key.map((c) => [c, bounds![c] ?? null]));
      // Epoch-aligned windows clipped to the range; each row's values go to its window, in table order.
      const first = Math.floor(start.v / every) * every;
      const byWindow = new Map<number, Value[]>();
      for (const r of t.rows) {
        const time = (r['_time'] as { v: number }).v;
        const value = r['_value'];
        if (time < start.v || time >= stop.v || value == null) continue;
        const w = Math.floor((time - first) / every);
        (byWindow.get(w) ?? byWindow.set(w, []).get(w)!).push(value);
      }
      for (let ws = first, w = 0; ws < stop.v; ws += every, w++) {
        const from = Math.max(ws, start.v);
        const to = Math.min(ws + every, stop.v);
        const values = byWindow.get(w) ?? [];
        if (values.length === 0 && !createEmpty) continue;
        rows.push({ ...keyPart, _start: start, _stop: stop, _time: { type: 'time', v: timeSrc === '_start' ? from : to }, _value: values.length === 0 ? null : aggregate(values) });
      }
      return { key: t.key, rows };
    });
  }
}

// ---- helpers ----

const str = (v: string): Value => ({ type: 'string', v });

function groupId(key: string[], row: Row): string {
  return JSON.stringify(key.map((c) => [c, row[c]?.v ?? null]));
}

function numeric(values: Value[], what: string): number[] {
  return values.map((v) => {
    if (v.type !== 'double' && v.type !== 'long') throw new FluxError(400, 'invalid', `${what}: unsupported input type ${v.type}`);
    return v.v;
  });
}

const AGGREGATES: Record<string, (values: Value[]) => Value> = {
  mean: (values) => ({ type: 'double', v: numeric(values, 'mean').reduce((a, b) => a + b, 0) / values.length }),
  sum: (values) => ({ type: values[0]!.type as 'double', v: numeric(values, 'sum').reduce((a, b) => a + b, 0) }),
  max: (values) => values[numeric(values, 'max').reduce((best, v, i, all) => (v > all[best]! ? i : best), 0)]!,
  min: (values) => values[numeric(values, 'min').reduce((best, v, i, all) => (v < all[best]! ? i : best), 0)]!,
  last: (values) => values[values.length - 1]!,
  first: (values) => values[0]!,
};

function range(input: Table[], start: number, stop: number): Table[] {
  if (!(stop > start)) throw new FluxError(400, 'invalid', `range: cannot query an empty range (start ${new Date(start).toISOString()} >= stop ${new Date(stop).toISOString()})`);
  return input
    .map((t) => ({
      key: ['_start', '_stop', ...t.key],
      rows: t.rows
        .filter((r) => { const time = (r['_time'] as { v: number }).v; return time >= start && time < stop; })
        .map((r): Row => ({ ...r, _start: { type: 'time', v: start }, _stop: { type: 'time', v: stop } })),
    }))
    .filter((t) => t.rows.length > 0);
}

function compareCells(a: Cell, b: Cell): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1; // nulls first
  return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
}

function sortTables(input: Table[], columns: string[], desc: boolean): Table[] {
  return input.map((t) => ({
    key: t.key,
    rows: [...t.rows].sort((x, y) => {
      for (const c of columns) {
        const order = compareCells(x[c] ?? null, y[c] ?? null);
        if (order !== 0) return desc ? -order : order;
      }
      return 0;
    }),
  }));
}

function pivot(input: Table[], rowKey: string[], columnKey: string[], valueColumn: string): Table[] {
  const out = new Map<string, { key: string[]; rows: Map<string, Row> }>();
  for (const t of input) {
    const key = t.key.filter((c) => !columnKey.includes(c) && c !== valueColumn);
    for (const row of t.rows) {
      const id = groupId(key, row);
      const table = out.get(id) ?? out.set(id, { key, rows: new Map() }).get(id)!;
      const rowId = JSON.stringify(rowKey.map((c) => row[c]?.v ?? null));
      const target = table.rows.get(rowId) ?? table.rows.set(rowId, Object.fromEntries([...key, ...rowKey].map((c) => [c, row[c] ?? null]))).get(rowId)!;
      const column = columnKey.map((c) => String(row[c]?.v ?? 'null')).join('_');
      target[column] = row[valueColumn] ?? null;
    }
  }
  return [...out.values()].map((t) => ({
    key: t.key,
    rows: [...t.rows.values()].sort((a, b) => {
      for (const c of rowKey) {
        const order = compareCells(a[c] ?? null, b[c] ?? null);
        if (order !== 0) return order;
      }
      return 0;
    }),
  }));
}

function literalSource(node: Node | undefined, what: string): string {
  if (!node?.location) throw new FluxError(400, 'invalid', `missing required argument ${what}`);
  return node.location.source;
}

function stringArg(args: Record<string, Node>, name: string): string {
  const node = args[name];
  if (node?.type !== 'StringLiteral') throw new FluxError(400, 'invalid', `argument ${name} must be a string literal`);
  return String(node.value);
}

function stringArrayArg(args: Record<string, Node>, name: string, fallback?: string[]): string[] {
  const node = args[name];
  if (!node && fallback) return fallback;
  if (node?.type !== 'ArrayExpression') throw new FluxError(400, 'invalid', `argument ${name} must be an array of strings`);
  return (node['elements'] as Node[]).map((e) => {
    if (e.type !== 'StringLiteral') throw new FluxError(400, 'invalid', `argument ${name} must be an array of strings`);
    return String(e.value);
  });
}

function booleanArg(args: Record<string, Node>, name: string, fallback: boolean): boolean {
  const node = args[name];
  if (!node) return fallback;
  if (node.type !== 'Identifier' || (node.name !== 'true' && node.name !== 'false')) throw new FluxError(400, 'invalid', `argument ${name} must be true or false`);
  return node.name === 'true';
}

function timeArg(args: Record<string, Node>, name: string): number {
  const node = args[name];
  if (node?.type !== 'DateTimeLiteral') throw new FluxError(400, 'invalid', `argument ${name} must be a time literal (the double does not evaluate relative times)`);
  const ms = Date.parse(literalSource(node, name));
  if (!Number.isFinite(ms)) throw new FluxError(400, 'invalid', `argument ${name}: bad time ${literalSource(node, name)}`);
  return ms;
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function durationArg(args: Record<string, Node>, name: string): number {
  const node = args[name];
  if (node?.type !== 'DurationLiteral') throw new FluxError(400, 'invalid', `argument ${name} must be a duration literal`);
  let total = 0;
  const text = literalSource(node, name);
  const parts = text.matchAll(/(\d+)(ms|s|m|h|d|w)/g);
  let consumed = '';
  for (const [whole, amount, unit] of parts) {
    total += Number(amount) * DURATION_MS[unit!]!;
    consumed += whole;
  }
  if (consumed !== text || !(total > 0)) throw new FluxError(400, 'invalid', `argument ${name}: unsupported duration ${text}`);
  return total;
}

/**
 * Line protocol: measurement[,tag=v...] field=v[,field=v...] timestamp, one point per line. A string field value
 * may hold raw newlines (the client escapes only `"` and `\\` inside it), so lines are split while reading.
 * `\,` `\=` `\ ` unescape in tags and field keys (`\,` `\ ` in measurements); any other backslash stays as is.
 */
function parseLines(text: string): StoredPoint[] {
  const points: StoredPoint[] = [];
  let i = 0;
  let lineNumber = 1;
  const fail = (message: string): never => {
    throw new FluxError(400, 'invalid', `unable to parse line ${lineNumber}: ${message}`);
  };
  const read = (stops: string, escapable: string): string => {
    let out = '';
    while (i < text.length && !stops.includes(text[i]!) && text[i] !== '\n') {
      if (text[i] === '\\' && i + 1 < text.length && escapable.includes(text[i + 1]!)) i++;
      out += text[i++];
    }
    return out;
  };
  while (i < text.length) {
    if (text[i] === '\n') {
      i++;
      lineNumber++;
      continue;
    }
    if (text[i] === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const measurement = read(', ', ', ');
    if (measurement === '') fail('missing measurement');
    const tags: Record<string, string> = {};
    while (text[i] === ',') {
      i++;
      const key = read('=', ',= ');
      if (text[i++] !== '=') fail('missing tag value');
      const value = read(', ', ',= ');
      if (key === '' || value === '') fail('empty tag key or value');
      tags[key] = value;
    }
    if (text[i++] !== ' ') fail('missing fields');
    const fields = new Map<string, Value>();
    for (;;) {
      const key = read('=', ',= ');
      if (text[i++] !== '=' || key === '') fail('bad field');
      if (text[i] === '"') {
        i++;
        let value = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
          if (text[i] === '\n') lineNumber++;
          value += text[i++];
        }
        if (text[i++] !== '"') fail('unterminated string');
        fields.set(key, str(value));
      } else {
        const raw = read(', ', '');
        if (/^-?\d+i$/.test(raw)) fields.set(key, { type: 'long', v: Number(raw.slice(0, -1)) });
        else if (/^(t|T|true|True|TRUE)$/.test(raw)) fields.set(key, { type: 'boolean', v: true });
        else if (/^(f|F|false|False|FALSE)$/.test(raw)) fields.set(key, { type: 'boolean', v: false });
        else if (raw !== '' && Number.isFinite(Number(raw))) fields.set(key, { type: 'double', v: Number(raw) });
        else fail(`invalid field value ${raw}`);
      }
      if (text[i] !== ',') break;
      i++;
    }
    if (text[i++] !== ' ') fail('points without a timestamp are not stored by this double');
    const raw = read('', '');
    if (!/^-?\d+$/.test(raw)) fail(`bad timestamp ${raw}`);
    points.push({ measurement, tags, time: Number(raw), fields });
  }
  return points;
}

function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (cell.type === 'time') return new Date(cell.v).toISOString();
  if (cell.type === 'string') return /[",\r\n]/.test(cell.v) ? `"${cell.v.replaceAll('"', '""')}"` : cell.v;
  return String(cell.v);
}

const DATATYPE: Record<Value['type'], string> = { string: 'string', double: 'double', long: 'long', boolean: 'boolean', time: 'dateTime:RFC3339' };

/** Annotated CSV, one annotated block per table (every table here may have its own columns), CRLF line ends. */
function toCsv(tables: Table[]): string {
  const blocks: string[] = [];
  tables.forEach((t, index) => {
    if (t.rows.length === 0) return;
    const columns = [...new Set([...t.key, ...t.rows.flatMap((r) => Object.keys(r))])];
    const types = columns.map((c) => {
      const seen = new Set(t.rows.map((r) => r[c]?.type).filter((x): x is Value['type'] => x !== undefined));
      if (seen.size > 1) throw new FluxError(400, 'invalid', `schema collision: column "${c}" is both ${[...seen].join(' and ')}`);
      return DATATYPE[[...seen][0] ?? 'string'];
    });
    const lines = [
      ['#datatype', 'string', 'long', ...types].join(','),
      ['#group', 'false', 'false', ...columns.map((c) => String(t.key.includes(c)))].join(','),
      ['#default', '_result', '', ...columns.map(() => '')].join(','),
      ['', 'result', 'table', ...columns].join(','),
      ...t.rows.map((r) => ['', '', String(index), ...columns.map((c) => cellText(r[c] ?? null))].join(',')),
    ];
    blocks.push(`${lines.join('\r\n')}\r\n`);
  });
  return blocks.join('\r\n');
}
