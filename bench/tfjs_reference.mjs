// A tfjs face model in TensorFlow.js itself (its pure-JS CPU backend in node), for bench_tfjs: random input of
// the given shape in [0, SCALE), one warm-up, then RUNS timed executions with every output read back.
// Prints `median_s=<float>`. usage: node tfjs_reference.mjs MODEL_JSON D0,D1,... SCALE RUNS
import { loadModelJson, tf } from '../tests/nn/tfjs_load.mjs';

const [modelPath, shapeText, scaleText, runsText] = process.argv.slice(2);
const model = await loadModelJson(modelPath);
const input = tf.mul(tf.randomUniform(shapeText.split(',').map(Number)), Number(scaleText));

const run = () => {
  let outputs = model.execute(input, model.outputNodes);
  if (!Array.isArray(outputs)) outputs = [outputs];
  for (const t of outputs) t.dataSync();
  tf.dispose(outputs);
};
run();
const times = [];
for (let i = 0; i < Number(runsText); ++i) {
  const start = process.hrtime.bigint();
  run();
  times.push(Number(process.hrtime.bigint() - start) / 1e9);
}
times.sort((a, b) => a - b);
const mid = Math.floor(times.length / 2);
console.log(`median_s=${times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2}`);
