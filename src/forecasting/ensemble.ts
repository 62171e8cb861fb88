import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { DEFAULT_LEVELS, type FittedModel, type Forecast, type ModelArtefact } from './forecaster.js';

/**
 * A weighted mean of fitted models. Its own intervals are the weighted means of the members' bounds
 * (still ordered, since every member's are); in practice the champion wraps it in conformal intervals.
 */

export const ENSEMBLE_KIND = 'ensemble';
export const ENSEMBLE_FORMAT_VERSION = 1;

export class EnsembleModel implements FittedModel {
  readonly kind = ENSEMBLE_KIND;
  readonly description: string;

  constructor(
    readonly members: readonly FittedModel[],
    readonly weights: readonly number[],
  ) {
    if (members.length === 0 || members.length !== weights.length) throw new Error('an ensemble needs one weight per member');
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error('ensemble weights must add up to more than 0');
    this.weights = weights.map((w) => w / total);
    this.description = `ensemble(${members.map((m) => m.description).join(' + ')})`;
  }

  get lastObservedMs(): number {
    return this.members[0]!.lastObservedMs;
  }

  get stepMs(): number {
    return this.members[0]!.stepMs;
  }

  /** Frees what the members hold outside the JS heap (an LSTM's tensors). */
  dispose(): void {
    for (const member of this.members) (member as Partial<{ dispose: () => void }>).dispose?.();
  }

  predict(h: number, levels: number[] = [...DEFAULT_LEVELS]): Forecast {
    const forecasts = this.members.map((m) => m.predict(h, levels));
    const blend = (pick: (f: Forecast) => number[]) =>
      Array.from({ length: h }, (_, k) => forecasts.reduce((sum, f, i) => sum + this.weights[i]! * pick(f)[k]!, 0));
    return {
      startMs: forecasts[0]!.startMs,
      stepMs: forecasts[0]!.stepMs,
      mean: blend((f) => f.mean),
      intervals: levels.map((level) => ({
        level,
        lower: blend((f) => f.intervals.find((i) => i.level === level)!.lower),
        upper: blend((f) => f.intervals.find((i) => i.level === level)!.upper),
      })),
      model: this.description,
      notes: forecasts.flatMap((f) => f.notes),
    };
  }

  update(values: number[]): FittedModel {
    return new EnsembleModel(
      this.members.map((m) => m.update(values)),
      this.weights,
    );
  }

  toArtefact(): ModelArtefact {
    const blobs: Record<string, string> = {};
    const members = this.members.map((m, i) => {
      const { blobs: memberBlobs, ...rest } = m.toArtefact();
      for (const [name, data] of Object.entries(memberBlobs ?? {})) blobs[`m${i}-${name}`] = data;
      return rest;
    });
    return {
      kind: ENSEMBLE_KIND,
      formatVersion: ENSEMBLE_FORMAT_VERSION,
      params: { weights: this.weights, members },
      trainedOn: members[0]!.trainedOn,
      ...(Object.keys(blobs).length ? { blobs } : {}),
    };
  }
}

export async function loadEnsemble(
  artefact: ModelArtefact,
  loadMember: (a: ModelArtefact) => Promise<FittedModel>,
): Promise<FittedModel> {
  if (artefact.formatVersion !== ENSEMBLE_FORMAT_VERSION) {
    throw new InputError(`${ENSEMBLE_KIND} artefact formatVersion ${artefact.formatVersion} is not supported (known: 1)`);
  }
  const parsed = z
    .object({ weights: z.array(z.number().nonnegative()).min(1), members: z.array(z.object({ kind: z.string() }).passthrough()).min(1) })
    .safeParse(artefact.params);
  if (!parsed.success || parsed.data.weights.length !== parsed.data.members.length) {
    throw new InputError(`${ENSEMBLE_KIND} artefact params are invalid${parsed.success ? ': weights and members differ in length' : `: ${parsed.error.message}`}`);
  }
  const members = await Promise.all(
    parsed.data.members.map((member, i) => {
      const prefix = `m${i}-`;
      const blobs = Object.fromEntries(
        Object.entries(artefact.blobs ?? {})
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, data]) => [name.slice(prefix.length), data]),
      );
      return loadMember({ ...(member as unknown as ModelArtefact), ...(Object.keys(blobs).length ? { blobs } : {}) });
    }),
  );
  return new EnsembleModel(members, parsed.data.weights);
}
