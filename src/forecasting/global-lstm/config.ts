/**
 * Tunable sizes of the global LSTM (one network trained across many targets' series). The defaults train over
 * the six bundled traces in a few minutes on two cores with the wasm backend (bench/global-lstm.ts measures
 * it); tests pass tiny values.
 */
export interface GlobalLstmConfig {
  /** LSTM units of the recent-history encoder. */
  units: number;
  /** Width of the context and per-step mixing layers. */
  hiddenUnits: number;
  /** Training windows drawn from each series (evenly spaced origins, thinned beyond this). */
  samplesPerSeries: number;
  /** Validation windows per series, taken from the last `validationFraction` of its origins. */
  validationPerSeries: number;
  validationFraction: number;
  maxEpochs: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Extra loss weight on the first hour of the horizon (1 = uniform). */
  nearHorizonWeight: number;
  /**
   * Share of training windows whose visible history is cut short (to between one hour and three days), so
   * the network learns what a new target looks like: no day-ago or week-ago values yet.
   */
  coldShare: number;
  /**
   * Hours of lead trained on (at most one day; the network forecasts any horizon, but is only good where it
   * was trained). Shorter is cheaper: tests train on two hours.
   */
  horizonHours: number;
  /** Safety cap on training time in seconds (0 = none); a capped run is not reproducible. */
  maxTrainSeconds: number;
}

export const DEFAULT_GLOBAL_LSTM_CONFIG: Readonly<GlobalLstmConfig> = Object.freeze({
  units: 16,
  hiddenUnits: 32,
  samplesPerSeries: 500,
  validationPerSeries: 120,
  validationFraction: 0.15,
  maxEpochs: 12,
  patience: 3,
  batchSize: 64,
  learningRate: 1e-3,
  nearHorizonWeight: 3,
  coldShare: 0.5,
  horizonHours: 24,
  maxTrainSeconds: 240,
});

/** Few seconds per fit on a handful of traces: the same code, a smaller network and fewer windows. */
export const TINY_GLOBAL_LSTM_CONFIG: Readonly<Partial<GlobalLstmConfig>> = Object.freeze({
  units: 6,
  hiddenUnits: 12,
  samplesPerSeries: 120,
  validationPerSeries: 40,
  maxEpochs: 4,
  patience: 2,
  batchSize: 32,
  maxTrainSeconds: 0,
});

export const GLOBAL_LSTM_SEED = 42;
