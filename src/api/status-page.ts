/**
 * A minimal page over /api/status (the full dashboard is its own piece of work): per target the mode, model,
 * replicas and the last decision with its rule (and why, when another autoscaler keeps Prescale from
 * patching), refreshed every two seconds. It only talks to the HTTP API.
 */
export function statusPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Prescale</title>
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;color:#222} table{border-collapse:collapse} td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:left}
 .mode-predictive{color:#0a6} .mode-reactive{color:#c60} .mode-learning{color:#66c} .mode-conflict{color:#c00;font-weight:600} .why{color:#c00}
</style></head>
<body><h1>Prescale</h1><p id="time">loading…</p>
<table><thead><tr><th>target</th><th>mode</th><th>model</th><th>desired</th><th>ready</th><th>last decision</th></tr></thead><tbody id="targets"></tbody></table>
<h2>Node pools</h2><table><thead><tr><th>pool</th><th>desired</th><th>ready</th><th>pending pods</th></tr></thead><tbody id="pools"></tbody></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function refresh() {
  const r = await fetch('/api/status'); const s = await r.json();
  document.getElementById('time').textContent = 'cluster time ' + s.time + (s.replay ? ' (replay ' + Math.round(s.replay.fraction * 100) + '%)' : '');
  document.getElementById('targets').innerHTML = s.targets.map((t) => '<tr><td>' + esc(t.id) + '</td><td class="mode-' + esc(t.mode) + '">' + esc(t.mode) +
    (t.conflict ? '<div class="why">' + esc(t.conflict.reason) + '</div>' : '') + '</td><td>' + esc(t.model ? t.model.description : 'none') + '</td><td>' + t.workload.desiredReplicas + '</td><td>' + t.workload.readyReplicas +
    '</td><td>' + esc(t.lastDecision ? t.lastDecision.rule : '') + '</td></tr>').join('');
  document.getElementById('pools').innerHTML = s.nodePools.map((p) => '<tr><td>' + esc(p.name) + '</td><td>' + p.desiredNodes + '</td><td>' + p.readyNodes + '</td><td>' + p.pendingPods + '</td></tr>').join('');
}
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
}
