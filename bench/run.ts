/**
 * `npm run bench -- <name> [args]`: runs one benchmark (forecast, scaling, hw, lstm), or all of the quick ones
 * (forecast, hw, scaling) without a name. Each prints its own table; targets live here, not in timed tests.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES: Record<string, string> = { forecast: 'forecast.ts', scaling: 'scaling.ts', hw: 'hw-fit.ts', lstm: 'lstm.ts' };
const here = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
if (name !== undefined && !(name in BENCHES)) {
  console.error(`unknown benchmark "${name}"; expected one of ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const bench of name ? [name] : ['forecast', 'hw', 'scaling']) {
  console.log(`\n== bench ${bench}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, BENCHES[bench]!), ...args], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
