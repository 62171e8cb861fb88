/**
 * A counting HTTP proxy in front of influxd: the workers talk to it, it forwards every request unchanged and
 * counts queries and writes by what they are for (the measurement and the shape of the InfluxQL statement),
 * so the bench can say how many InfluxDB requests one plan tick costs.
 */
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a request was for, from its statement or its first line-protocol measurement. */
export function classifyInflux(path: string, body: string): string {
  if (path.startsWith('/write')) {
    const measurement = body.slice(0, body.search(/[ ,]/)) || 'empty';
    return `write ${measurement}`;
  }
  if (!path.startsWith('/query')) return `other ${path.split('?')[0]}`;
  const q = decodeURIComponent((new URLSearchParams(body).get('q') ?? new URL(path, 'http://x').searchParams.get('q') ?? '').replace(/\+/g, ' '));
  const from = /FROM\s+(?:"[^"]*"\.){0,2}"?([A-Za-z0-9_]+)"?/i.exec(q)?.[1] ?? '?';
  if (/^\s*(CREATE|DROP|SHOW)/i.test(q)) return `admin`;
  if (/SELECT\s+last\(/i.test(q)) return `query latest ${from}`;
  if (/GROUP BY time/i.test(q)) return `query series ${from}`;
  if (/SELECT\s+"issued_at"/i.test(q)) return `query issued_at ${from}`;
  return `query other ${from}`;
}

export interface InfluxCounter {
  url: string;
  /** Counts so far by class. */
  counts(): Map<string, number>;
  close(): Promise<void>;
}

export async function startInfluxCounter(upstream: string): Promise<InfluxCounter> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const kind = classifyInflux(req.url ?? '/', body.toString('utf8', 0, Math.min(body.length, 4096)));
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`influx counter: ${error.message}`);
      });
      upstreamReq.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => new Map(counts),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
