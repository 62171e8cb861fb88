/**
 * Tunable sizes of the LSTM forecaster. The defaults keep training under a minute per trace on two cores
 * with the wasm backend (bench/lstm.ts measures it); tests pass tiny values.
 */
export interface LstmConfig {
  /** LSTM units of the history encoder. */
  units: number;
  /** Width of the dense layers that mix the encoded history with each horizon step's features. */
  hiddenUnits: number;
  /** Encoder time steps: the lookback window is cut into this many blocks (block means are the inputs). */
  encoderSteps: number;
  /** Lookback window of the encoder, in days of the series' season. */
  lookbackDays: number;
  /** Recent raw observations given to the model as they are (the level right before the origin), in ms. */
  recentMs: number;
  /** Maximum training epochs; early stopping usually ends sooner. */
  maxEpochs: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Share of the usable forecast origins held out (at the end) for early stopping and residuals. */
  validationFraction: number;
  /** Caps on the number of training / validation windows (origins are thinned evenly beyond these). */
  maxTrainWindows: number;
  maxValidationWindows: number;
  /**
   * Safety cap on training time in seconds (0 = none). When it triggers, the result depends on machine
   * speed and is no longer reproducible; the fitted model's notes say so.
   */
  maxTrainSeconds: number;
  /** Extra loss weight on the first hour of the horizon (1 = uniform), so short-term forecasts stay sharp. */
  nearHorizonWeight: number;
  /**
   * Epochs on all data after validation (continueLstm), instead of a second training from scratch: enough
   * for the newest days to be learnt, few enough that the validated weights stay what was scored.
   */
  continueEpochs: number;
  /** Learning rate of those epochs, as a share of `learningRate`. */
  continueLearningRateFactor: number;
}

export const DEFAULT_LSTM_CONFIG: Readonly<LstmConfig> = Object.freeze({
  units: 32,
  hiddenUnits: 32,
  encoderSteps: 16,
  lookbackDays: 2,
  recentMs: 2 * 3_600_000,
  maxEpochs: 40,
  patience: 4,
  batchSize: 128,
  learningRate: 5e-3,
  validationFraction: 0.2,
  maxTrainWindows: 1200,
  maxValidationWindows: 400,
  maxTrainSeconds: 55,
  nearHorizonWeight: 3,
  continueEpochs: 3,
  continueLearningRateFactor: 0.5,
});

export const DEFAULT_SEED = 42;

/**
 * A network small enough for unit and contract tests (well under a second per fit on a week of data):
 * `createLstmForecaster(TINY_LSTM_CONFIG)`. Behaviour is the same, accuracy is not.
 */
export const TINY_LSTM_CONFIG: Readonly<Partial<LstmConfig>> = Object.freeze({
  units: 4,
  hiddenUnits: 8,
  encoderSteps: 6,
  maxEpochs: 3,
  patience: 2,
  batchSize: 32,
  maxTrainWindows: 48,
  maxValidationWindows: 24,
  maxTrainSeconds: 0,
  continueEpochs: 1,
});
