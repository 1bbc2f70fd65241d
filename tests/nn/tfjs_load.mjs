// Loads a TensorFlow.js graph model (model.json + its weight shards) from disk into TensorFlow.js's pure-JS CPU
// backend, for the executor's reference test and the tfjs benchmark.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

export { tf };

export async function loadModelJson(modelPath) {
  await tf.setBackend('cpu');
  const json = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) shards.push(fs.readFileSync(path.join(path.dirname(modelPath), shard)));
  }
  const weights = Buffer.concat(shards);
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: json.format,
    signature: json.signature,
  }));
}
