import { InputError } from '../core/errors.js';
import type { CalendarFeature, FitOptions, FittedModel, Forecaster, ModelArtefact, RegularSeries } from './forecaster.js';
import { activeBackend, ensureBackend } from './lstm/backend.js';
import { DEFAULT_LSTM_CONFIG, type LstmConfig } from './lstm/config.js';
import { continueLstm, fitLstm } from './lstm/fit.js';
import { FittedLstm, LSTM_FORMAT_VERSION, LSTM_KIND } from './lstm/fitted-lstm.js';
import { parseLstmArtefact } from './lstm/artefact.js';
import { SharedNetwork } from './lstm/network.js';

/**
 * The LSTM forecaster (TensorFlow.js): a direct multi-step network over scaled lag windows, time encodings and
 * calendar flags, with raw intervals from validation residuals. See src/forecasting/lstm/ for the parts.
 * Fitted models hold tensors: call `dispose()` on them when done (models derived with `update` share them).
 */
export interface LstmForecaster extends Forecaster {
  readonly config: Readonly<LstmConfig>;
  fit(series: RegularSeries, options?: FitOptions): Promise<FittedLstm>;
  continueFit(model: FittedModel, series: RegularSeries, options?: FitOptions): Promise<FittedLstm>;
  /** `calendar` supplies the flag functions (artefacts store only their names); absent flags read as 0. */
  load(artefact: ModelArtefact, options?: { calendar?: CalendarFeature[] }): Promise<FittedLstm>;
}

export function createLstmForecaster(overrides: Partial<LstmConfig> = {}): LstmForecaster {
  const config: Readonly<LstmConfig> = Object.freeze({ ...DEFAULT_LSTM_CONFIG, ...overrides });
  return {
    kind: LSTM_KIND,
    config,
    fit: (series, options) => fitLstm(series, config, options),
    continueFit(model, series, options) {
      if (!(model instanceof FittedLstm)) throw new InputError(`continueFit needs a fitted lstm, got "${model.kind}"`, 'model');
      return continueLstm(model, series, config, options);
    },
    async load(artefact, options = {}) {
      if (artefact.kind !== LSTM_KIND) throw new InputError(`artefact kind "${artefact.kind}" is not "${LSTM_KIND}"`, 'artefact.kind');
      if (artefact.formatVersion !== LSTM_FORMAT_VERSION) {
        throw new InputError(
          `unknown lstm artefact formatVersion ${artefact.formatVersion} (this build reads ${LSTM_FORMAT_VERSION})`,
          'artefact.formatVersion',
        );
      }
      const { params, blobs } = parseLstmArtefact(artefact);
      const byName = new Map((options.calendar ?? []).map((c) => [c.name, c]));
      const calendar = params.layout.calendar.map((name) => byName.get(name) ?? { name, at: () => 0 });
      const missing = params.layout.calendar.filter((name) => !byName.has(name));
      const notes = missing.length > 0 ? [...params.notes, `calendar flags not supplied, read as 0: ${missing.join(', ')}`] : params.notes;
      if (!blobs) return new FittedLstm({ ...params, notes }, null, calendar);
      await ensureBackend();
      const network = await SharedNetwork.fromSerialised(blobs);
      return new FittedLstm({ ...params, notes }, network, calendar);
    },
  };
}

export const lstmForecaster: LstmForecaster = createLstmForecaster();

export { DEFAULT_LSTM_CONFIG, TINY_LSTM_CONFIG, type LstmConfig } from './lstm/config.js';
export type { FittedLstm } from './lstm/fitted-lstm.js';

/** Initialises TensorFlow.js (tfjs-node when installed, else wasm, else cpu) and returns the backend's name. */
export const lstmBackend = ensureBackend;
/** The backend in use, or undefined before the first fit/load. */
export const currentLstmBackend = activeBackend;
