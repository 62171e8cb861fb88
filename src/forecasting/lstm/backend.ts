import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Picks the TensorFlow.js backend once per process: the native `tensorflow` backend when the optional
 * @tensorflow/tfjs-node package is installed (it is an optional dependency and its install may fail),
 * otherwise WebAssembly, otherwise the pure-JS cpu backend. Every LSTM entry point awaits this first.
 */

export type LstmBackend = 'tensorflow' | 'wasm' | 'cpu';

const PREFERENCE: readonly LstmBackend[] = ['tensorflow', 'wasm', 'cpu'];

let chosen: Promise<LstmBackend> | undefined;

async function tryBackend(name: LstmBackend): Promise<boolean> {
  if (name === 'tensorflow') {
    // `as string` keeps tsc quiet when the optional package is absent (TS2307 otherwise).
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      return false;
    }
  }
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function chooseBackend(): Promise<LstmBackend> {
  for (const name of PREFERENCE) {
    if (await tryBackend(name)) return name;
  }
  throw new Error('lstm: no TensorFlow.js backend could be initialised (tried tensorflow, wasm, cpu)');
}

/** Initialises the best available backend (once) and returns its name. */
export function ensureBackend(): Promise<LstmBackend> {
  chosen ??= chooseBackend().catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}

/** The backend in use, or undefined before `ensureBackend` has finished. */
export function activeBackend(): string | undefined {
  return chosen ? tf.getBackend() : undefined;
}
