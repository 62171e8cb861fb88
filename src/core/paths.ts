import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, wherever the process was started from. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A bundled real trace (data/traces, see data/traces/README.md for provenance and licences). */
export function tracePath(file: string): string {
  return join(REPO_ROOT, 'data', 'traces', file);
}
