// Files TensorFlow wrote, kept in this repository for the interop tests: the penguin data of the
// examples, and the taxi TFRecord of `fixtures/` (see fixtures/README.md).
import { resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

/** `examples/penguin-data`: the TFX penguin splits (TFRecord), their CSV and TFMD schema. */
export const PENGUIN_DATA = resolve(REPO_ROOT, 'examples/penguin-data');

/** Chicago taxi trips as gzip TFRecord of tf.train.Example: 9,988 records, 18 features. */
export const TAXI_TFRECORD = resolve(REPO_ROOT, 'fixtures/taxi/data_tfrecord-00000-of-00002.gz');
