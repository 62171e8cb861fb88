/**
 * Runs the real `prescale` CLI (bin/prescale.mjs, through tsx) as a child process, as a user would, and
 * returns its exit code and output. The environment is the test's own minus PRESCALE_* (so a developer's
 * PRESCALE_SERVER or PRESCALE_TOKEN never leaks in), plus what the test passes; TZ defaults to
 * America/New_York so local and UTC columns differ.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/core/paths.js';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runPrescale(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PRESCALE_')));
  const child = run(process.execPath, [join(REPO_ROOT, 'bin', 'prescale.mjs'), ...args], { cwd: REPO_ROOT, env: { ...base, TZ: 'America/New_York', ...env } });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  } else child.child.stdin?.end();
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number | string; stdout: string; stderr: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
