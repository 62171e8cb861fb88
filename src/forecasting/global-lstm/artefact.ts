import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import type { ModelArtefact } from '../forecaster.js';
import { ensureBackend } from '../lstm/backend.js';
import { SharedNetwork } from '../lstm/network.js';
import { FittedGlobalLstm, GLOBAL_LSTM_FORMAT_VERSION, GLOBAL_LSTM_KIND, type GlobalLstmParams } from './fitted.js';

/**
 * Reading a global LSTM artefact back (the weights travel as the tfjs topology and weight blobs, base64, as the
 * per-target LSTM's do; the params as JSON). A wrong kind, version or shape is an InputError naming the field.
 */

const paramsSchema = z.object({
  size: z.object({ units: z.number().int().positive(), hiddenUnits: z.number().int().positive() }),
  weights: z.enum(['global', 'fine-tuned']),
  trainedSeries: z.array(z.string()),
  residuals: z.object({ quantiles: z.array(z.array(z.number())).min(1) }),
  history: z.array(z.number()),
  historyStartMs: z.number(),
  stepMs: z.number().positive(),
  description: z.string(),
  notes: z.array(z.string()),
  trainedOn: z.object({ startMs: z.number(), endMs: z.number(), stepMs: z.number().positive(), points: z.number(), seriesId: z.string().optional() }),
  metrics: z.record(z.number()),
  selfCheck: z.boolean().optional(),
});

const blobsSchema = z.object({ 'model.json': z.string().min(1), 'weights.bin': z.string() });

export async function loadGlobalLstm(artefact: ModelArtefact): Promise<FittedGlobalLstm> {
  if (artefact.kind !== GLOBAL_LSTM_KIND) throw new InputError(`artefact kind "${artefact.kind}" is not "${GLOBAL_LSTM_KIND}"`, 'artefact.kind');
  if (artefact.formatVersion !== GLOBAL_LSTM_FORMAT_VERSION) {
    throw new InputError(
      `unknown global-lstm artefact formatVersion ${artefact.formatVersion} (this build reads ${GLOBAL_LSTM_FORMAT_VERSION})`,
      'artefact.formatVersion',
    );
  }
  const params = paramsSchema.safeParse(artefact.params);
  if (!params.success) throw new InputError(`global-lstm params are invalid: ${params.error.message}`, 'artefact.params');
  const blobs = blobsSchema.safeParse(artefact.blobs);
  if (!blobs.success) throw new InputError(`global-lstm blobs are missing: ${blobs.error.message}`, 'artefact.blobs');
  await ensureBackend();
  const network = await SharedNetwork.fromSerialised(blobs.data);
  return new FittedGlobalLstm(params.data as GlobalLstmParams, network);
}
