// Runs a TensorFlow.js graph model with TensorFlow.js's own pure-JS CPU backend: the reference the
// C++ executor (src/nn/tfjs) is tested against.
// usage: node tfjs_reference.mjs <model.json> <input.f32> <d0,d1,...> <output folder>
// Writes <output folder>/outputs.json ([{name, shape, file}]) and one little-endian float32 file per output.
import fs from 'node:fs';
import path from 'node:path';
import { loadModelJson, tf } from './tfjs_load.mjs';

const [modelPath, inputPath, shapeText, outDir] = process.argv.slice(2);
const model = await loadModelJson(modelPath);

const raw = fs.readFileSync(inputPath);
const input = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), shapeText.split(',').map(Number));
const names = model.outputNodes;
let results = model.execute(input, names);
if (!Array.isArray(results)) results = [results];

fs.mkdirSync(outDir, { recursive: true });
const listing = [];
results.forEach((tensor, i) => {
  const file = `output_${i}.f32`;
  fs.writeFileSync(path.join(outDir, file), Buffer.from(tensor.dataSync().buffer));
  listing.push({ name: names[i], shape: tensor.shape, file });
});
fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(listing));
