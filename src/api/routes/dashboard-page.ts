/**
 * Serves the dashboard: the HTML shell at `/` and the browser code (src/dashboard/ with the parts of Observable
 * Plot and d3 it uses, bundled from node_modules by esbuild in memory once per process, on first use or at
 * `warmDashboardBundle()`; no CDN: many clusters have no internet). The page talks to Prescale only through the
 * HTTP API. Plot's and d3's own minified files stay served under /dashboard/vendor/ for other pages that want
 * them; the dashboard no longer loads them: its bundle is ~300 KB against ~510 KB for the three files, which
 * every cold page load had to fetch and compile.
 *
 * Left out: a build step and on-disk artefacts (the bundle takes ~200 ms and is cached), source maps in
 * production (set PRESCALE_DASHBOARD_SOURCEMAP=1 for inline ones), and authentication (same as the API).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Router, type Response } from 'express';
import { REPO_ROOT } from '../../core/paths.js';

const ENTRY = join(REPO_ROOT, 'src', 'dashboard', 'main.ts');

// plot's and d3's `exports` maps hide dist/: find the package directories from their entry points (STACK.md 9.9).
const plotDir = resolve(dirname(fileURLToPath(import.meta.resolve('@observablehq/plot'))), '..');
const d3Dir = resolve(dirname(createRequire(`${plotDir}/`).resolve('d3')), '..');
export const VENDOR_FILES: Record<string, string> = {
  'd3.min.js': join(d3Dir, 'dist', 'd3.min.js'),
  'plot.umd.min.js': join(plotDir, 'dist', 'plot.umd.min.js'),
};

interface Bundle {
  code: string;
  etag: string;
}

let bundle: Promise<Bundle> | null = null;

/** Bundles src/dashboard once per process; a failed build is retried on the next request. */
export function dashboardBundle(): Promise<Bundle> {
  bundle ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    sourcemap: process.env['PRESCALE_DASHBOARD_SOURCEMAP'] === '1' ? 'inline' : false,
    logLevel: 'silent',
  })
    .then((result) => {
      const code = result.outputFiles[0]!.text;
      return { code, etag: `"${createHash('sha256').update(code).digest('hex').slice(0, 16)}"` };
    })
    .catch((error: unknown) => {
      bundle = null;
      throw error;
    });
  return bundle;
}

/** Starts the bundle early (server start) so the first page view does not wait for it. */
export function warmDashboardBundle(): void {
  dashboardBundle().catch(() => undefined);
}

export const DASHBOARD_CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--panel:#f6f8fa;--focus:#0969da}
*{box-sizing:border-box} body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header a.home{font-weight:600;font-size:1.1rem;color:var(--fg);text-decoration:none} header .controls{display:flex;gap:1rem;align-items:center;margin-left:auto}
main{padding:1rem;max-width:1440px;margin:0 auto} h1{font-size:1.35rem;margin:.2rem 0} h2{font-size:1.1rem;margin:1.2rem 0 .4rem} h3{font-size:1rem;margin:.8rem 0 .3rem}
table{border-collapse:collapse;margin:.3rem 0} th,td{padding:.25rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top} td.num{text-align:right;font-variant-numeric:tabular-nums}
.panel{margin:.8rem 0} .muted{color:var(--muted)} .error{color:#b42318} .placeholder{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.8rem;font-weight:600;color:#fff;background:#59636e;vertical-align:middle}
.mode-predictive{background:#1e8a4c} .mode-reactive{background:#d9730d} .mode-forecast-only{background:#7b3fbf} .mode-learning{background:#6a6ac8} .mode-conflict{background:#b42318}
figure.chart{margin:0} figure.chart figcaption{font-weight:600;margin-bottom:.2rem}
ul.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem 1rem;padding:0;margin:0 0 .2rem;font-size:.85rem;color:var(--muted)}
.swatch{display:inline-block;width:18px;height:10px;margin-right:.3rem;vertical-align:middle}
.swatch-line{border-top:2px solid var(--c);height:0} .swatch-dash{border-top:2px dashed var(--c);height:0} .swatch-area{background:var(--c);opacity:.35} .swatch-dot{width:10px;border-radius:50%;background:var(--c)}
.visually-hidden{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.detail{padding:.5rem .7rem;background:var(--panel);border:1px solid var(--line);border-radius:6px;margin:.3rem 0}
.filters{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center;margin:.3rem 0} .scroll{max-height:420px;overflow:auto;content-visibility:auto;contain-intrinsic-size:auto 420px}
#decision-table td.rule{max-width:28rem} #decision-table td.notes{max-width:28rem;color:var(--muted)}
form#calendar-form{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.4rem 1rem;padding:.6rem;border:1px solid var(--line);border-radius:6px;max-width:64rem}
form#calendar-form h3,form#calendar-form .actions,#cal-form-error{grid-column:1/-1} .field{display:flex;flex-direction:column} .field-error{color:#b42318;font-size:.85rem;min-height:1em}
[aria-invalid=true]{border-color:#b42318;outline:1px solid #b42318}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem} dl.facts dt{color:var(--muted)} dl.facts dd{margin:0}
tr.champion th{font-weight:700} td.spark svg{display:block}
a:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible,circle:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
circle[role=button]{cursor:pointer}
`;

/** The HTML shell: header with the range picker and auto-refresh, the app root and the bundle (deferred). */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Prescale</title><link rel="icon" href="data:,"><style>${DASHBOARD_CSS}</style>
<script defer src="dashboard/app.js"></script>
</head>
<body>
<header>
  <a class="home" href="#/">Prescale</a>
  <nav aria-label="pages"><a href="#/">Overview</a></nav>
  <div class="controls">
    <label>Range <select id="range" name="range">
      <option value="1h">1 hour</option><option value="6h">6 hours</option><option value="24h" selected>24 hours</option><option value="3d">3 days</option><option value="7d">7 days</option>
    </select></label>
    <label><input type="checkbox" id="auto-refresh" checked> auto-refresh</label>
    <span id="updated" class="muted" aria-live="polite"></span>
  </div>
</header>
<main id="app" tabindex="-1"><p>Loading…</p></main>
</body></html>`;
}

function sendBundle(res: Response, b: Bundle, ifNoneMatch: string | undefined): void {
  res.setHeader('etag', b.etag);
  res.setHeader('cache-control', 'no-cache');
  if (ifNoneMatch === b.etag) {
    res.status(304).end();
    return;
  }
  res.type('application/javascript').send(b.code);
}

export function dashboardPageRoutes(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').setHeader('cache-control', 'no-cache');
    res.send(dashboardHtml());
  });
  router.get('/dashboard/app.js', async (req, res) => {
    sendBundle(res, await dashboardBundle(), req.headers['if-none-match']);
  });
  router.get('/dashboard/vendor/:file', (req, res, next) => {
    const file = Object.hasOwn(VENDOR_FILES, req.params.file) ? VENDOR_FILES[req.params.file] : undefined; // never Object.prototype names
    if (!file) {
      next();
      return;
    }
    res.sendFile(file, { maxAge: 86_400_000 });
  });
  return router;
}
