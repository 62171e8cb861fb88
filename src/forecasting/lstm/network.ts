import * as tf from '@tensorflow/tfjs';

/**
 * A trained network shared by a fitted model and every model derived from it with `update` (they differ only
 * in the history they condition on). Reference counted: the tfjs model is disposed when the last holder is.
 * The weights are serialised once, right after training or loading, because the port's `toArtefact` is
 * synchronous while tfjs' `save` is not (and the weights never change afterwards).
 */

export interface SerialisedNetwork {
  /** base64 of the JSON `{ modelTopology, weightSpecs }`. */
  'model.json': string;
  /** base64 of the little-endian weight data. */
  'weights.bin': string;
}

export class SharedNetwork {
  private holders = 0;

  private constructor(
    readonly model: tf.LayersModel,
    readonly serialised: SerialisedNetwork,
  ) {}

  static async fromModel(model: tf.LayersModel): Promise<SharedNetwork> {
    let serialised: SerialisedNetwork | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = artifacts.weightData
          ? new tf.io.CompositeArrayBuffer(artifacts.weightData).slice()
          : new ArrayBuffer(0);
        serialised = {
          'model.json': Buffer.from(
            JSON.stringify({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs ?? [] }),
            'utf8',
          ).toString('base64'),
          'weights.bin': Buffer.from(weightData).toString('base64'),
        };
        return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
      }),
    );
    if (!serialised) throw new Error('lstm: tfjs did not hand over the model artefacts');
    return new SharedNetwork(model, serialised);
  }

  static async fromSerialised(blobs: SerialisedNetwork): Promise<SharedNetwork> {
    const json = JSON.parse(Buffer.from(blobs['model.json'], 'base64').toString('utf8')) as {
      modelTopology: object;
      weightSpecs: tf.io.WeightsManifestEntry[];
    };
    const bytes = Buffer.from(blobs['weights.bin'], 'base64');
    // Copy into a fresh ArrayBuffer: a Node Buffer may be a view into a larger shared pool.
    const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightSpecs, weightData }));
    return new SharedNetwork(model, { 'model.json': blobs['model.json'], 'weights.bin': blobs['weights.bin'] });
  }

  acquire(): this {
    this.holders++;
    return this;
  }

  release(): void {
    this.holders--;
    if (this.holders === 0) this.model.dispose();
  }
}
