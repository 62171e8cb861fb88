// Type-checks notebooks: the Deno kernel itself does not type-check, and `deno check` does not read .ipynb.
// Writes each notebook's code cells into a sibling <name>.nb.ts (so relative imports still resolve) and runs
// `deno check` on them; the .nb.ts files are removed afterwards (and git-ignored should one survive).
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/check-notebooks.mjs notebooks/*.ipynb');
  process.exit(2);
}
const outs = files.map((file) => {
  const nb = JSON.parse(readFileSync(file, 'utf8'));
  const code = nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c, i) => `// --- cell ${i + 1}\n${[].concat(c.source).join('')}\n`)
    .join('\n');
  const out = file.replace(/\.ipynb$/, '.nb.ts');
  writeFileSync(out, code);
  return out;
});
try {
  execFileSync('deno', ['check', ...outs], { stdio: 'inherit' });
} catch {
  process.exitCode = 1;
} finally {
  for (const out of outs) rmSync(out, { force: true });
}
