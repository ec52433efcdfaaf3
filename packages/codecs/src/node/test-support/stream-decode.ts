// Child-process body of the constant-memory test: decodes a stream many times larger than the
// memory it is allowed, generated on the fly so that the input itself is never held, and prints the
// process's peak resident set size.
import { RecordBatch, csvFormat, jsonlFormat, tfrecordFormat } from '@tfstream/codecs';
import type { Format } from '@tfstream/codecs';
import { arrowFormat } from '@tfstream/codecs/arrow';
import { defineSchema } from '@tfstream/schema';

const [formatName, megabytesText] = process.argv.slice(2);
const formats: Record<string, Format> = {
  tfrecord: tfrecordFormat,
  jsonl: jsonlFormat,
  csv: csvFormat,
  arrow: arrowFormat,
};
const format = formats[formatName!]!;
const schema = defineSchema([
  { name: 'id', type: 'int64' },
  { name: 'name', type: 'string', nullable: true },
  { name: 'values', type: 'float32', shape: [16] },
  { name: 'tags', type: 'string', shape: 'list' },
]);
const rows = Array.from({ length: 2000 }, (_, i) => ({
  id: BigInt(i) * 1000003n,
  name: i % 7 === 0 ? null : `record ${i} "quoted", with a comma`,
  values: Array.from({ length: 16 }, (_, j) => Math.fround(i / (j + 1))),
  tags: Array.from({ length: i % 4 }, (_, j) => `t${j}`),
}));
const encoder = format.createEncoder(schema);
const head = encoder.start();
const body = encoder.encode(RecordBatch.fromRows(schema, rows));
const tail = encoder.end();
const repeats = Math.ceil((Number(megabytesText) * 1e6) / body.length);

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield head;
  for (let i = 0; i < repeats; i++) {
    // A fresh copy each time, as a file stream hands over fresh buffers.
    yield body.slice();
  }
  yield tail;
}

let records = 0;
for await (const batch of format.decode(chunks(), { schema })) {
  records += batch.numRows;
}
const expected = repeats * rows.length;
if (records !== expected) {
  throw new Error(`decoded ${records} records, expected ${expected}`);
}
process.stdout.write(
  JSON.stringify({
    records,
    bytes: repeats * body.length,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
