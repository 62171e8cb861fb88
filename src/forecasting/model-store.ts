import * as nodeFs from 'node:fs';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, ServiceError } from '../core/errors.js';
import { REPO_ROOT } from '../core/paths.js';
import type { FittedModel, LoadOptions, ModelArtefact } from './forecaster.js';
import { disposeModel, loadModel as loadAnyModel } from './forecasters.js';

/**
 * Fitted models on disk (models/ by default), one folder per target and one per version:
 *
 *   models/<target>/v0003/artefact.json   {storeFormat, savedAt, artefact (without blobs), blobs: [names]}
 *   models/<target>/v0003/blobs/<name>    binary payloads (tfjs weights), decoded from the artefact's base64
 *   models/<target>/v0003/MODEL_CARD.md   what it is, what it was trained on, how good it was
 *   models/<target>/current.json          {version}: the promoted version
 *
 * A new version is promoted unless it is measurably worse than the current one (metrics.mase more than
 * `worseTolerance` above); it is kept on disk either way. Loading starts at the promoted version and falls
 * back to older ones when an artefact is corrupt or no longer loads, and says so. Versions are written
 * to a temporary folder and renamed, so a crash never leaves a half-written version behind.
 *
 * A write that fails (a full disk: ENOSPC, a read-only volume) removes the temporary folder and throws a
 * retryable ServiceError naming the store; the promoted version is untouched, so forecasts go on with it.
 *
 * An operator moves the promoted version by hand (`prescale models promote|rollback`, src/cli/models.ts):
 * promote() and rollback() only ever point current.json at a version that loads, and rewrite it the same
 * atomic way (written beside, renamed over). Readers see the old or the new pointer, never half of one; the
 * forecast job compares currentVersion() on every run, so the change takes effect without a restart.
 *
 * Left out: remote stores (S3) and locking between processes: versions are only ever added, and two
 * trainers racing on one target at worst make the later rename fail with an error (the job retries).
 */

export const STORE_FORMAT = 1;
/** A new model is "worse" when its MASE exceeds the current one's by more than this share. */
export const DEFAULT_WORSE_TOLERANCE = 0.25;

const artefactSchema = z.object({
  kind: z.string().min(1),
  formatVersion: z.number().int().positive(),
  params: z.unknown(),
  trainedOn: z.object({
    startMs: z.number(),
    endMs: z.number(),
    stepMs: z.number().positive(),
    points: z.number().int().nonnegative(),
    seriesId: z.string().optional(),
  }),
  metrics: z.record(z.number()).optional(),
});

const storedSchema = z.object({
  storeFormat: z.literal(STORE_FORMAT),
  savedAt: z.number(),
  artefact: artefactSchema,
  blobs: z.array(z.string()),
});

export interface ModelStoreOptions {
  /** Folder holding one sub-folder per target. Default <repo>/models. */
  root?: string;
  /** Rebuilds a fitted model from an artefact (default: any registered kind, see forecasters.ts). */
  loadModel?: (artefact: ModelArtefact, options?: LoadOptions) => Promise<FittedModel>;
  /** Epoch ms for savedAt. */
  now?: () => number;
  worseTolerance?: number;
  /** The file writes (default node:fs): tests inject a full disk here. */
  fs?: ModelStoreFs;
}

/** The node:fs calls a save makes. */
export type ModelStoreFs = Pick<typeof nodeFs, 'mkdirSync' | 'writeFileSync' | 'renameSync'>;

export interface SaveResult {
  version: number;
  promoted: boolean;
  /** Why it was not promoted. */
  reason?: string;
}

export interface LoadedModel {
  version: number;
  model: FittedModel;
  artefact: ModelArtefact;
  /** Versions skipped on the way, newest first, with what was wrong. */
  skipped: { version: number; reason: string }[];
}

/** What promote() or rollback() did to current.json. */
export interface PointerChange {
  /** The version promoted before (undefined when none was). */
  previous: number | undefined;
  /** The version promoted now. */
  version: number;
  /** Versions passed over on the way because they do not load, newest first (rollback only). */
  skipped: { version: number; reason: string }[];
}

/** One stored version as artefact.json describes it; `problem` instead of the rest when it cannot be read. */
export interface VersionSummary {
  version: number;
  /** Whether current.json points at it. */
  current: boolean;
  /** Epoch ms the train job saved it. */
  savedAt?: number;
  /** The forecaster, wrappers included: "conformal(hw)", "ensemble(hw+lstm)". */
  kind?: string;
  trainedOn?: ModelArtefact['trainedOn'];
  /** Validation metrics (mase, smape, ...), as the train job recorded them. */
  metrics?: Record<string, number>;
  problem?: string;
}

export interface SaveOptions {
  /** Extra model-card text (e.g. the champion's scores table). */
  card?: string;
  /** Promote even when worse (an operator's explicit choice). */
  force?: boolean;
}

export class ModelStore {
  readonly root: string;
  private readonly loadModel: (artefact: ModelArtefact, options?: LoadOptions) => Promise<FittedModel>;
  private readonly now: () => number;
  private readonly worseTolerance: number;
  private readonly fs: ModelStoreFs;

  constructor(options: ModelStoreOptions = {}) {
    this.fs = options.fs ?? nodeFs;
    this.root = options.root ?? join(REPO_ROOT, 'models');
    this.loadModel = options.loadModel ?? loadAnyModel;
    this.now = options.now ?? Date.now;
    this.worseTolerance = options.worseTolerance ?? DEFAULT_WORSE_TOLERANCE;
  }

  /** Stores a new version; promotes it unless it is worse than the current one. */
  async saveVersion(target: string, artefact: ModelArtefact, options: SaveOptions = {}): Promise<SaveResult> {
    const parsed = artefactSchema.safeParse(artefact);
    if (!parsed.success) throw new InputError(`artefact for "${target}" is invalid: ${parsed.error.message}`);
    const { blobs, ...rest } = artefact;
    const blobNames = Object.keys(blobs ?? {});
    for (const name of blobNames) if (!/^[\w.-]+$/.test(name)) throw new InputError(`blob name "${name}" must be a plain file name`);
    const dir = this.targetDir(target);
    const version = Math.max(0, ...this.versions(target)) + 1;
    const tmp = join(dir, `.tmp-${process.pid}-${version}-${this.now()}`);
    const fs = this.fs;
    const stored = { storeFormat: STORE_FORMAT, savedAt: this.now(), artefact: rest, blobs: blobNames };
    try {
      fs.mkdirSync(join(tmp, 'blobs'), { recursive: true });
      for (const name of blobNames) fs.writeFileSync(join(tmp, 'blobs', name), Buffer.from(blobs![name]!, 'base64'));
      fs.writeFileSync(join(tmp, 'artefact.json'), `${JSON.stringify(stored)}\n`);
      fs.writeFileSync(join(tmp, 'MODEL_CARD.md'), modelCard(target, version, artefact, stored.savedAt, options.card));
      fs.renameSync(tmp, join(dir, versionDir(version)));
    } catch (error) {
      // Nothing half-written stays behind; the promoted version is untouched.
      rmSync(tmp, { recursive: true, force: true });
      throw this.writeError(`version ${version} of "${target}" not saved`, error);
    }

    const current = this.currentVersion(target);
    const reason = current !== undefined && !options.force ? this.worseReason(target, current, artefact) : undefined;
    if (reason) return { version, promoted: false, reason };
    this.writeCurrent(target, version, `version ${version} of "${target}" saved but not promoted`);
    return { version, promoted: true };
  }

  /**
   * Makes `version` the promoted one (an operator's choice: no MASE rule). Refuses, with the reason, a version
   * that is not stored or does not load; current.json is then untouched.
   */
  async promote(target: string, version: number): Promise<PointerChange> {
    if (!this.versions(target).includes(version)) throw new InputError(`"${target}" has no version ${version} (stored: ${this.versions(target).join(', ') || 'none'})`, this.targetDir(target));
    const problem = await this.loadProblem(target, version);
    // The reason names the folder already.
    if (problem) throw new InputError(`version ${version} of "${target}" does not load, so it is not promoted: ${problem}`);
    const previous = this.currentVersion(target);
    this.writeCurrent(target, version, `version ${version} of "${target}" not promoted`);
    return { previous, version, skipped: [] };
  }

  /**
   * Moves the promoted version to the newest older version that loads, skipping (and naming) those that do
   * not. Refuses when nothing is promoted or no older version loads; current.json is then untouched.
   */
  async rollback(target: string): Promise<PointerChange> {
    const previous = this.currentVersion(target);
    if (previous === undefined) throw new InputError(`"${target}" has no promoted version to roll back from`, this.targetDir(target));
    const skipped: PointerChange['skipped'] = [];
    for (const version of this.versions(target).filter((v) => v < previous).sort((a, b) => b - a)) {
      const problem = await this.loadProblem(target, version);
      if (problem) {
        skipped.push({ version, reason: problem });
        continue;
      }
      this.writeCurrent(target, version, `"${target}" not rolled back to version ${version}`);
      return { previous, version, skipped };
    }
    const why = skipped.length > 0 ? `: ${skipped.map((s) => `v${s.version} does not load (${s.reason})`).join('; ')}` : '';
    throw new InputError(`"${target}" has no loadable version older than v${previous} to roll back to${why}`, this.targetDir(target));
  }

  /** Why a stored version does not load (as the forecast job would load it), or undefined when it does. */
  async loadProblem(target: string, version: number): Promise<string | undefined> {
    try {
      const model = await this.loadModel(this.readArtefact(target, version));
      // Only a check: free what it holds (tfjs tensors of an LSTM).
      disposeModel(model);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Every stored version of a target, oldest first, as far as artefact.json tells (no model is loaded). */
  describe(target: string): VersionSummary[] {
    const current = this.currentVersion(target);
    return this.versions(target).map((version) => {
      try {
        const stored = this.readStored(target, version);
        const { artefact } = stored;
        return {
          version,
          current: version === current,
          savedAt: stored.savedAt,
          kind: kindLabel(artefact),
          trainedOn: artefact.trainedOn,
          metrics: artefact.metrics ?? {},
        };
      } catch (error) {
        return { version, current: version === current, problem: error instanceof Error ? error.message : String(error) };
      }
    });
  }

  /** The model card a version was saved with (MODEL_CARD.md). Throws InputError when it is missing. */
  modelCardOf(target: string, version: number): string {
    const file = join(this.targetDir(target), versionDir(version), 'MODEL_CARD.md');
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new InputError(`the model card of version ${version} of "${target}" is unreadable: ${error instanceof Error ? error.message : String(error)}`, file, { cause: error });
    }
  }

  /** Targets with a folder in the store (folder names decoded: `shop%2Fweb` is `shop/web`), sorted. */
  targets(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => decodeURIComponent(e.name))
      .sort();
  }

  /** Points current.json at `version`: written beside and renamed over, so a failed write leaves the previous one whole. */
  private writeCurrent(target: string, version: number, what: string): void {
    const dir = this.targetDir(target);
    const pointer = join(dir, `.current-${process.pid}-${this.now()}-${Math.random().toString(36).slice(2, 8)}.json`);
    try {
      this.fs.writeFileSync(pointer, `${JSON.stringify({ version })}\n`);
      this.fs.renameSync(pointer, join(dir, 'current.json'));
    } catch (error) {
      rmSync(pointer, { force: true });
      throw this.writeError(what, error);
    }
  }

  /** ModelRepository.save: stores and returns the version number. */
  async save(target: string, artefact: ModelArtefact): Promise<number> {
    return (await this.saveVersion(target, artefact)).version;
  }

  /** The promoted version, or the newest older one that loads (`options.calendar`: the flags it was fitted with). Null when nothing loads. */
  async load(target: string, options: LoadOptions = {}): Promise<LoadedModel | null> {
    const all = this.versions(target).sort((a, b) => b - a);
    const current = this.currentVersion(target);
    const candidates = current === undefined ? all : all.filter((v) => v <= current);
    const skipped: LoadedModel['skipped'] = [];
    for (const version of candidates) {
      try {
        const artefact = this.readArtefact(target, version);
        const model = await this.loadModel(artefact, options);
        return { version, model, artefact, skipped };
      } catch (error) {
        skipped.push({ version, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return null;
  }

  /** The stored artefact of one version (blobs as base64). Throws InputError when it is corrupt. */
  readArtefact(target: string, version: number): ModelArtefact {
    const dir = join(this.targetDir(target), versionDir(version));
    const stored = this.readStored(target, version);
    const blobs: Record<string, string> = {};
    for (const name of stored.blobs) blobs[name] = readFileSync(join(dir, 'blobs', name)).toString('base64');
    return { ...(stored.artefact as ModelArtefact), ...(stored.blobs.length ? { blobs } : {}) };
  }

  /** artefact.json of one version, validated. Throws InputError when it is unreadable or does not match. */
  private readStored(target: string, version: number): z.infer<typeof storedSchema> {
    const dir = join(this.targetDir(target), versionDir(version));
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, 'artefact.json'), 'utf8'));
    } catch (error) {
      throw new InputError(`artefact.json is unreadable: ${error instanceof Error ? error.message : String(error)}`, dir, { cause: error });
    }
    const parsed = storedSchema.safeParse(raw);
    if (!parsed.success) throw new InputError(`artefact.json does not match store format ${STORE_FORMAT}: ${parsed.error.message}`, dir);
    return parsed.data;
  }

  /** Stored version numbers of a target, ascending. */
  versions(target: string): number[] {
    const dir = this.targetDir(target);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => /^v(\d+)$/.exec(name)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  currentVersion(target: string): number | undefined {
    try {
      const { version } = JSON.parse(readFileSync(join(this.targetDir(target), 'current.json'), 'utf8')) as { version: unknown };
      return typeof version === 'number' ? version : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes all but the newest `keep` versions (never the promoted one). */
  prune(target: string, keep: number): number[] {
    const current = this.currentVersion(target);
    const removed = this.versions(target)
      .slice(0, -keep || undefined)
      .filter((v) => v !== current);
    for (const v of removed) rmSync(join(this.targetDir(target), versionDir(v)), { recursive: true, force: true });
    return removed;
  }

  private worseReason(target: string, current: number, next: ModelArtefact): string | undefined {
    let previous: ModelArtefact;
    try {
      previous = this.readArtefact(target, current);
    } catch {
      return undefined; // the current one is corrupt: anything valid is better
    }
    const before = previous.metrics?.mase;
    const after = next.metrics?.mase;
    if (before === undefined || after === undefined || !Number.isFinite(before)) return undefined;
    if (!Number.isFinite(after) || after > before * (1 + this.worseTolerance)) {
      return `validation MASE ${after.toFixed(3)} is worse than version ${current}'s ${before.toFixed(3)} by more than ${Math.round(this.worseTolerance * 100)}%`;
    }
    return undefined;
  }

  private writeError(what: string, error: unknown): ServiceError {
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : code === 'EROFS' ? 'the file system is read-only (EROFS)' : error instanceof Error ? error.message : String(error);
    return new ServiceError('model store', this.root, `${what}: ${why}`, true, { cause: error });
  }

  private targetDir(target: string): string {
    if (target === '' || target === '.' || target === '..') throw new InputError(`"${target}" is not a usable target name`);
    return join(this.root, encodeURIComponent(target));
  }
}

export function createModelStore(options: ModelStoreOptions = {}): ModelStore {
  return new ModelStore(options);
}

function versionDir(version: number): string {
  return `v${String(version).padStart(4, '0')}`;
}

/** The kind with what it wraps, from the stored params (conformal keeps `inner`, an ensemble `members`). */
function kindLabel(artefact: { kind: string; params?: unknown }): string {
  const params = (artefact.params ?? {}) as { inner?: unknown; members?: unknown };
  const isArtefact = (a: unknown): a is { kind: string; params?: unknown } => typeof a === 'object' && a !== null && typeof (a as { kind?: unknown }).kind === 'string';
  if (isArtefact(params.inner)) return `${artefact.kind}(${kindLabel(params.inner)})`;
  if (Array.isArray(params.members) && params.members.every(isArtefact)) return `${artefact.kind}(${params.members.map(kindLabel).join('+')})`;
  return artefact.kind;
}

/** The model card: the facts an operator needs to trust (or distrust) a stored model. */
export function modelCard(target: string, version: number, artefact: ModelArtefact, savedAtMs: number, extra?: string): string {
  const t = artefact.trainedOn;
  const iso = (ms: number) => new Date(ms).toISOString();
  const metrics = Object.entries(artefact.metrics ?? {});
  const description = (artefact.params as { description?: unknown } | null)?.description;
  return [
    `# Model card: ${target} v${version}`,
    '',
    `- kind: ${artefact.kind} (format version ${artefact.formatVersion})${typeof description === 'string' ? `, ${description}` : ''}`,
    `- saved: ${iso(savedAtMs)}`,
    `- trained on: ${t.points} points, ${iso(t.startMs)} .. ${iso(t.endMs)}, step ${t.stepMs / 1000}s${t.seriesId ? `, series ${t.seriesId}` : ''}`,
    `- blobs: ${Object.keys(artefact.blobs ?? {}).join(', ') || 'none'}`,
    '',
    '## Validation metrics',
    '',
    metrics.length ? metrics.map(([k, v]) => `- ${k}: ${Number(v.toPrecision(6))}`).join('\n') : 'none recorded',
    '',
    ...(extra ? [extra.trimEnd(), ''] : []),
    '## Intended use and limits',
    '',
    'Forecasts the load of one target for predictive scaling. Point forecasts and intervals are only as good as',
    'the validation above on data like the training window; the reactive path covers what they miss.',
    '',
  ].join('\n');
}
