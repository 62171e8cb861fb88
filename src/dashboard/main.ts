/// <reference lib="dom" />
/**
 * The dashboard's entry point (bundled by esbuild at server start, src/api/routes/dashboard-page.ts): hash
 * routing with deep links that hold the page, target and range (`#/?range=24h`, `#/target/shop/web?range=7d`),
 * the range picker (1 hour .. 7 days) and auto-refresh. Talks to Prescale only through the HTTP API.
 */
import { fill } from './dom.js';
import { overviewPage } from './overview-page.js';
import { targetPage } from './target-page.js';

export const RANGES: Record<string, number> = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '3d': 259_200_000, '7d': 604_800_000 };
const DEFAULT_RANGE = '24h';
const REFRESH_MS = 10_000;

interface Route {
  target: string | null;
  range: string;
}

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const range = params.get('range') ?? DEFAULT_RANGE;
  const match = /^\/target\/([^/]+)\/([^/]+)$/.exec(path);
  return { target: match ? `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}` : null, range: range in RANGES ? range : DEFAULT_RANGE };
}

export const hashFor = (route: Route): string =>
  route.target ? `#/target/${route.target.split('/').map(encodeURIComponent).join('/')}?range=${route.range}` : `#/?range=${route.range}`;

function start(): void {
  const app = document.getElementById('app')!;
  const picker = document.getElementById('range') as HTMLSelectElement;
  const auto = document.getElementById('auto-refresh') as HTMLInputElement;
  const updated = document.getElementById('updated')!;
  let refresh: () => Promise<void> = async () => undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running = false;

  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await refresh();
      fill(updated, `updated ${new Date().toLocaleTimeString()}`);
      document.body.dataset['loaded'] = String(Number(document.body.dataset['loaded'] ?? 0) + 1);
    } catch (error) {
      fill(updated, `refresh failed: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
  const schedule = () => {
    if (timer) clearInterval(timer);
    timer = auto.checked ? setInterval(() => void tick(), REFRESH_MS) : undefined;
  };

  const route = () => {
    const r = parseHash(location.hash);
    picker.value = r.range;
    const rangeMs = RANGES[r.range]!;
    document.body.dataset['loaded'] = '0';
    if (r.target) {
      const page = targetPage(r.target, rangeMs);
      fill(app, page.element);
      document.title = `${r.target} · Prescale`;
      refresh = page.refresh;
    } else {
      const page = overviewPage((target) => hashFor({ target, range: r.range }));
      fill(app, page.element);
      document.title = 'Prescale';
      // The window ends at the server's clock, not the browser's (a replay runs on a replay clock): `back`.
      refresh = () => page.refresh(rangeMs);
    }
    void tick();
  };

  picker.addEventListener('change', () => {
    const r = parseHash(location.hash);
    location.hash = hashFor({ ...r, range: picker.value });
  });
  auto.addEventListener('change', schedule);
  window.addEventListener('hashchange', route);
  schedule();
  route();
}

start();
