// Baseline process of the pipeline benchmark: a bare `model.predict` loop over batches of the
// same size, on the same backend, with no pipeline at all. Prints records/s and the CPU time
// (all threads) per record.
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '@tfstream/sdk';
import { FEATURES, buildBenchModel } from './bench-model.js';

const [recordsText, batchText] = process.argv.slice(2);
const records = Number(recordsText);
const batchSize = Number(batchText);
await initEngine();
const model = buildBenchModel();
const input = tf.randomUniform([batchSize, FEATURES.length]);
// Warm up, as the workers of a run are warm once their first batch is through.
tf.tidy(() => (model.predict(input) as tf.Tensor).dataSync());
const started = performance.now();
const cpu = process.cpuUsage();
for (let done = 0; done < records; done += batchSize) {
  tf.tidy(() => (model.predict(input) as tf.Tensor).argMax(1).dataSync());
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(
  JSON.stringify({
    recordsPerSecond: records / seconds,
    cpuMicrosPerRecord: (used.user + used.system) / records,
  }),
);
