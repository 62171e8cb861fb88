/**
 * Starts the real service (`src/main.ts` through tsx, as `npm start` does) as a child process against the
 * test's Redis and InfluxDB, and waits for its "prescale started" log line. The caller passes the env it
 * cares about (port, prefix, roles...); `stop` sends SIGTERM and resolves with the exit code.
 * Left out: killing a process that does not stop (the test's timeout reports it).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/core/paths.js';

export interface ServiceProcess {
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT: fault tests). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null when a signal ended it) once the process has exited. */
  exited: Promise<number | null>;
}

export async function startService(env: Record<string, string>, args: string[] = [], startTimeoutMs = 60_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the output is complete only once stdout and stderr have closed.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const deadline = Date.now() + startTimeoutMs;
  while (!output.includes('"prescale started"')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGTERM');
      throw new Error(`prescale did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => output,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
    signal: (signal) => void child.kill(signal),
    exited,
  };
}
