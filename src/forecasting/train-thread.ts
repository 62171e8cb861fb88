/**
 * The worker-thread side of threaded-trainer.ts: fits champions posted by the main thread and posts back the
 * artefact and the scores (a fitted model does not cross threads; the main thread loads the artefact).
 */
import { parentPort } from 'node:worker_threads';
import { selectChampion, type ChampionOptions } from './champion.js';
import { disposeModel } from './forecasters.js';
import type { RegularSeries } from './forecaster.js';
import type { ThreadReply } from './threaded-trainer.js';
import { niceThisThread } from './thread-priority.js';

if (!parentPort) throw new Error('train-thread.ts runs only as a worker thread (see threaded-trainer.ts)');
const port = parentPort;
// Fits yield the cores to the planning event loops (thread-priority.ts); the main thread logs where that failed.
port.postMessage({ id: -1, thread: niceThisThread() } satisfies ThreadReply);

port.on('message', (request: { id: number; series: RegularSeries; options: ChampionOptions }) => {
  const { id, series, options } = request;
  const reply = (message: ThreadReply) => port.postMessage(message);
  selectChampion(series, { ...options, onProgress: (fraction, message) => reply({ id, progress: { fraction, ...(message !== undefined ? { message } : {}) } }) }).then(
    (champion) => {
      const artefact = champion.model.toArtefact();
      disposeModel(champion.model);
      reply({
        id,
        result: {
          artefact,
          kind: champion.kind,
          scores: champion.scores,
          notes: champion.notes,
          ...(champion.backtestMase !== undefined ? { backtestMase: champion.backtestMase } : {}),
          ...(champion.naiveMase !== undefined ? { naiveMase: champion.naiveMase } : {}),
        },
      });
    },
    (error: unknown) => {
      const e = error as Error & { retryable?: boolean; where?: string };
      reply({ id, error: { name: e.name ?? 'Error', message: e.message ?? String(error), retryable: e.retryable === true } });
    },
  );
});
