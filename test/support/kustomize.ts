/**
 * Renders deploy/ with the real `kubectl kustomize` (/usr/bin/kubectl, kustomize built in; works offline) and
 * parses the output into plain objects. HOME and KUBECACHEDIR point at a temporary directory, so a run neither
 * reads nor writes the user's kubectl state. A layer that is not a directory of the repository (an overlay plus
 * an optional component) is written as a kustomization in a temporary directory that refers to the repository
 * by relative paths (kustomize refuses absolute ones).
 *
 * Left out: kustomize plugins and remote bases (none are used).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../src/core/paths.js';

export const KUBECTL = '/usr/bin/kubectl';
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

/** One rendered object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const run = promisify(execFile);

/** Renders a kustomization directory (absolute, or relative to deploy/). Throws with kubectl's stderr. */
export async function kustomize(dir: string): Promise<KubeObject[]> {
  const home = mkdtempSync(join(tmpdir(), 'prescale-kustomize-home-'));
  try {
    const target = dir.startsWith('/') ? dir : join(DEPLOY_DIR, dir);
    const { stdout } = await run(KUBECTL, ['kustomize', target], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBECACHEDIR: join(home, 'cache') }, maxBuffer: 16 * 1024 * 1024 });
    return parseObjects(stdout, dir);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Renders `resources` (directories relative to deploy/) with `components` (idem) on top. */
export async function kustomizeWith(resources: string[], components: string[]): Promise<KubeObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'prescale-kustomization-'));
  try {
    mkdirSync(dir, { recursive: true });
    const rel = (p: string) => relative(dir, join(DEPLOY_DIR, p));
    const text = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', ...resources.map((r) => `  - ${rel(r)}`), 'components:', ...components.map((c) => `  - ${rel(c)}`), ''].join('\n');
    writeFileSync(join(dir, 'kustomization.yaml'), text);
    return await kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses multi-document YAML; a document that does not parse, or is not an object with kind and name, throws. */
export function parseObjects(text: string, source: string): KubeObject[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}: document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const object = doc.toJS() as KubeObject | null;
    if (!object || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') throw new Error(`${source}: document ${i} has no kind or metadata.name`);
    return object;
  });
}
