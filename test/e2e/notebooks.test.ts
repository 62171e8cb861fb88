import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';

/**
 * The notebooks (notebooks/*.ipynb) are executed headless exactly as `npm run notebooks` does, with Deno's
 * Jupyter kernel and Debian's jupyter-nbconvert. A missing `jupyter` fails this test (it is installed by
 * `scripts/services.sh install --with-notebooks`); it is never skipped. Each notebook ends with a cell that
 * throws when a number is off, so a broken forecasting pipeline fails here.
 */

interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}
interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: NotebookOutput[];
}

const outDir = mkdtempSync(join(tmpdir(), 'prescale-notebooks-'));
const notebooks = readdirSync(join(REPO_ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

function run(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['scripts/run-notebooks.sh'],
      { cwd: REPO_ROOT, env: { ...process.env, NOTEBOOKS_OUT: outDir }, maxBuffer: 64 * 1024 * 1024, timeout: 290_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('notebooks (e2e: Deno kernel + jupyter nbconvert)', () => {
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('finds the three notebooks', () => {
    expect(notebooks).toEqual(['01-seasonality.ipynb', '02-model-comparison.ipynb', '03-interval-calibration.ipynb']);
  });

  it('executes every notebook: exit 0, every code cell has output, no errors, SVG charts present', { timeout: 300_000 }, async () => {
    const { code, output } = await run();
    if (code !== 0) throw new Error(`scripts/run-notebooks.sh exited ${code}:\n${output.slice(-6000)}`);
    for (const file of notebooks) {
      const nb = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as { cells: NotebookCell[] };
      const code = nb.cells.filter((c) => c.cell_type === 'code');
      expect(code.length, file).toBeGreaterThan(3);
      const outputs = code.flatMap((c) => c.outputs ?? []);
      expect(code.filter((c) => (c.outputs ?? []).length === 0).map((c) => [c.source].flat().join('').slice(0, 80)), `${file}: cells without output`).toEqual([]);
      expect(outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`), file).toEqual([]);
      const svgs = outputs.map((o) => o.data?.['image/svg+xml']).filter((s) => s !== undefined).map((s) => [s].flat().join(''));
      expect(svgs.length, `${file}: SVG charts`).toBeGreaterThanOrEqual(2);
      for (const svg of svgs) {
        expect(svg.startsWith('<svg'), file).toBe(true);
        expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
        expect(svg).toMatch(/<path|<rect/);
      }
      // The closing cell's check passed: it prints a Markdown line starting with **OK**.
      const last = code[code.length - 1]!.outputs ?? [];
      const text = last.map((o) => [o.data?.['text/markdown'] ?? o.data?.['text/plain'] ?? ''].flat().join('')).join('\n');
      expect(text, `${file}: last cell`).toMatch(/\*\*OK\*\*/);
    }
  });
});
