#!/usr/bin/env node
// `npm run demo`: the command-line tour. It runs the examples that show what tfstream
// does today: infer a schema from TensorFlow's own TFRecord file, print records, convert them
// between formats losslessly, train the penguin classifier on 2 workers + 1 parameter server (and
// evaluate it on the held-out split), predict unlabelled penguins with the model it exported, and
// learn online from a stream of sensor readings (test, then train).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'cli', 'bin', 'tfstream.js');
const data = join(root, 'examples', 'penguin-data');
const out = join(root, '.tfstream', 'example');
mkdirSync(out, { recursive: true });

function tfstream(...args) {
  const shown = args.map((arg) => (arg.startsWith(root) ? relative(root, arg) : arg));
  console.log(`\n$ tfstream ${shown.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
}

const train = join(data, 'train.tfrecord.gz');
tfstream('schema', 'infer', train);
tfstream('schema', 'import', join(data, 'schema.pbtxt'));
tfstream('inspect', train, '--limit', '3');
tfstream('convert', train, join(out, 'train.arrow'));
tfstream('convert', join(out, 'train.arrow'), join(out, 'train.csv'));
tfstream(
  'convert',
  join(out, 'train.csv'),
  join(out, 'train.jsonl'),
  '--schema',
  join(data, 'schema.pbtxt'),
);
tfstream(
  'convert',
  join(out, 'train.jsonl'),
  join(out, 'train.tfrecord'),
  '--schema',
  join(data, 'schema.pbtxt'),
);
tfstream('inspect', join(out, 'train.tfrecord'), '--limit', '3');
console.log(
  `\nThe same 234 records went TFRecord -> Arrow -> CSV -> JSONL -> TFRecord; files are in ${relative(root, out)}/.`,
);
tfstream('run', join(root, 'examples', 'penguin-train', 'job.json'), '--quiet');
tfstream('run', join(root, 'examples', 'penguin-infer', 'job.json'), '--quiet');
tfstream('run', join(root, 'examples', 'online-sensors', 'job.json'), '--quiet');
