/**
 * `npx tsx bench/model-cards.ts BENCH_OUTPUT... [--date YYYY-MM-DD] [--cards mstl,theta]`
 *
 * Writes the measured part of the forecaster cards in models/cards/ from what `npm run bench:forecast` printed
 * (its stdout, saved to a file: `npm run bench:forecast -- --models auto,hw,snaive > bench-auto.md`). Each card
 * names the bench models it reports between `<!-- measured:begin models=hw -->` and `<!-- measured:end -->`;
 * only that section is rewritten, the prose around it is written by hand. The section says the date, the
 * command the numbers came from (npm's echo of it in the output) and the reference the bench compared with.
 *
 * A card whose models are in none of the outputs (a forecaster not built yet) gets a section saying so;
 * `--cards` rewrites only the cards named (the others keep the numbers of the run they came from).
 * Left out: running the bench itself (it takes minutes; run it once, keep its output, then this).
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../src/core/paths.js';

const CARDS_DIR = join(REPO_ROOT, 'models', 'cards');
/** The repository's copy of the reference (what bench:forecast reads; it has MSTL-ETS and Theta), else the shared one. */
const REFERENCES = [join(REPO_ROOT, 'data', 'traces', 'EVALUATION.md'), join(REPO_ROOT, '..', 'shared', 'data', 'EVALUATION.md')];
const SECTION = /<!-- measured:begin models=([\w,-]+) -->\n[\s\S]*?<!-- measured:end -->/;

/** One row of the bench table, by header name. */
type Row = Record<string, string>;

interface BenchRun {
  file: string;
  command: string;
  rows: Row[];
}

function parseBenchOutput(file: string): BenchRun {
  const lines = readFileSync(file, 'utf8').split('\n');
  // npm echoes the command as "> tsx bench/forecast.ts --models ...".
  const echoed = lines.find((l) => l.startsWith('> tsx bench/forecast.ts'));
  const args = echoed?.slice('> tsx bench/forecast.ts'.length).trim() ?? '';
  const command = `npm run bench:forecast${args ? ` -- ${args}` : ''}`;
  const table = lines.filter((l) => l.startsWith('|'));
  if (table.length < 3) throw new Error(`${file}: no bench:forecast table found`);
  const cells = (l: string) => l.split('|').slice(1, -1).map((c) => c.trim());
  const header = cells(table[0]!);
  const rows = table.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [header[i]!, c])));
  return { file, command, rows };
}

interface Reference {
  source: string;
  /** Best reference MASE and its model, by "series|1h". */
  best: Map<string, { mase: number; model: string }>;
}

/** Every model of EVALUATION.md's accuracy tables (statsmodels, MSTL-ETS, Theta, seasonal naive), best per pair. */
function readReference(): Reference {
  const source = REFERENCES.find((p) => existsSync(p))!;
  const best = new Map<string, { mase: number; model: string }>();
  for (const line of readFileSync(source, 'utf8').split('\n')) {
    // | series | model | h (n) | origins | MASE | sMAPE % | cov80 | cov95 | fit s |
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 10 || !/^(1h|1d) \(/.test(cells[3] ?? '')) continue;
    const key = `${cells[1]}|${cells[3]!.slice(0, 2)}`;
    const mase = Number(cells[5]);
    if (Number.isFinite(mase) && mase < (best.get(key)?.mase ?? Infinity)) best.set(key, { mase, model: cells[2]! });
  }
  return { source, best };
}

function referenceCells(row: Row, reference: Reference): [string, string] {
  const ref = reference.best.get(`${row['series']}|${row['h']}`);
  const mase = Number(row['MASE']);
  if (!ref) return ['n/a', 'n/a'];
  return [`${ref.mase.toFixed(3)} ${ref.model}`, Number.isFinite(mase) ? `${(mase / ref.mase).toFixed(2)}x` : 'n/a'];
}

function section(models: string[], runs: BenchRun[], date: string, reference: Reference): string {
  const used = runs.filter((r) => r.rows.some((row) => models.includes(row['model']!)));
  const rows = used.flatMap((r) => r.rows.filter((row) => models.includes(row['model']!)));
  const begin = `<!-- measured:begin models=${models.join(',')} -->`;
  if (rows.length === 0) {
    return `${begin}\nNot measured: \`npm run bench:forecast\` has no model ${models.map((m) => `\`${m}\``).join(', ')} yet (measured ${date}).\n<!-- measured:end -->`;
  }
  const lines = [
    begin,
    `Measured ${date} on this 2-core machine with ${used.map((r) => `\`${r.command}\``).join(' and ')} (the rolling`,
    `origins of EVALUATION.md, test part only). "best reference": the lowest MASE of any reference model in`,
    `\`${relative(REPO_ROOT, reference.source)}\` for that series and horizon; ratio = MASE / best reference (issue 10 asks`,
    `for <= 0.90x); fit s = one fit, champion selection included.`,
    '',
    '| series | h | model | fitted | MASE | best reference | ratio | cov80 | cov95 | fit s |',
    '|---|---|---|---|---:|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r['series']} | ${r['h']} | ${r['model']} | \`${r['fitted']}\` | ${r['MASE']} | ${referenceCells(r, reference).join(' | ')} | ${r['cov80']} | ${r['cov95']} | ${r['fit s']} |`),
  ];
  if (models.includes('auto')) {
    const auto = rows.filter((r) => r['model'] === 'auto');
    const combined = auto.filter((r) => /ensemble\(/.test(r['fitted'] ?? ''));
    lines.push('', `The champion selection chose a combination on ${combined.length} of ${auto.length} series and horizon pairs in this run.`);
  }
  lines.push('<!-- measured:end -->');
  return lines.join('\n');
}

/** The value of `--flag value`, and argv without both. */
function takeFlag(argv: string[], flag: string): [string | undefined, string[]] {
  const at = argv.indexOf(flag);
  return at < 0 ? [undefined, argv] : [argv[at + 1], argv.filter((_, i) => i !== at && i !== at + 1)];
}

function main(all: string[]): void {
  const [dateArg, rest] = takeFlag(all, '--date');
  const [cardsArg, files] = takeFlag(rest, '--cards');
  const onlyCards = cardsArg?.split(',').map((c) => (c.endsWith('.md') ? c : `${c}.md`));
  if (files.length === 0) throw new Error('usage: npx tsx bench/model-cards.ts BENCH_OUTPUT... [--date YYYY-MM-DD] [--cards mstl,theta]');
  const runs = files.map(parseBenchOutput);
  const reference = readReference();
  const date = dateArg ?? new Date(Math.max(...files.map((f) => statSync(f).mtimeMs))).toISOString().slice(0, 10);
  for (const name of readdirSync(CARDS_DIR).filter((f) => f.endsWith('.md') && (!onlyCards || onlyCards.includes(f))).sort()) {
    const path = join(CARDS_DIR, name);
    const card = readFileSync(path, 'utf8');
    const match = SECTION.exec(card);
    if (!match) continue;
    const models = match[1]!.split(',');
    writeFileSync(path, card.replace(SECTION, section(models, runs, date, reference)));
    console.log(`${name}: ${models.join(', ')}`);
  }
}

main(process.argv.slice(2));
