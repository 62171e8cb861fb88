import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import type { ModelArtefact } from '../forecaster.js';
import type { LstmParams } from './fitted-lstm.js';
import { QUANTILE_GRID } from './intervals.js';
import type { SerialisedNetwork } from './network.js';

/** Validates a stored LSTM artefact (formatVersion 1) before anything is rebuilt from it. */

const finite = z.number().finite();
const count = z.number().int().positive();

const paramsSchema = z.object({
  layout: z.object({
    season: count,
    horizon: count,
    blocks: count,
    blockSize: count,
    recent: count,
    smoothHalfWidth: z.number().int().nonnegative(),
    calendar: z.array(z.string()),
  }),
  scaler: z.object({ mean: finite, scale: finite.positive() }),
  residuals: z
    .object({
      bucketStarts: z.array(z.number().int().nonnegative()).min(1),
      quantiles: z.array(z.array(finite).length(QUANTILE_GRID.length)).min(1),
    })
    .refine((r) => r.bucketStarts.length === r.quantiles.length, 'one quantile row per bucket')
    .nullable(),
  history: z.array(finite).min(1),
  historyStartMs: finite,
  stepMs: finite.positive(),
  description: z.string(),
  notes: z.array(z.string()),
  trainedOn: z.object({
    startMs: finite,
    endMs: finite,
    stepMs: finite,
    points: z.number().int().nonnegative(),
    seriesId: z.string().optional(),
  }),
  metrics: z.record(finite),
});

const blobsSchema = z.object({ 'model.json': z.string().min(1), 'weights.bin': z.string() });

export function parseLstmArtefact(artefact: ModelArtefact): { params: LstmParams; blobs?: SerialisedNetwork } {
  const params = paramsSchema.safeParse(artefact.params);
  if (!params.success) {
    const issue = params.error.issues[0]!;
    throw new InputError(`corrupt lstm artefact: ${issue.message}`, `artefact.params.${issue.path.join('.')}`);
  }
  if (params.data.residuals !== null && !artefact.blobs) {
    throw new InputError('corrupt lstm artefact: weights are missing', 'artefact.blobs');
  }
  if (!artefact.blobs) return { params: params.data };
  const blobs = blobsSchema.safeParse(artefact.blobs);
  if (!blobs.success) throw new InputError('corrupt lstm artefact: model.json / weights.bin missing', 'artefact.blobs');
  return { params: params.data, blobs: blobs.data };
}
