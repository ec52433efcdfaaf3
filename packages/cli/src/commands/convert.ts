import { parseArgs } from 'node:util';
import { RecordFileWriter, readRecordFile } from '@tfstream/codecs/node';
import type { CliIo } from '../cli-io.js';
import { loadSchemaFile, usage, write } from '../cli-io.js';

export const CONVERT_HELP = `Usage:
  tfstream convert IN OUT [--schema S.json] [--skip-errors] [--quiet]
      Convert records between .csv, .jsonl, .tfrecord, .tfrecord.gz and .arrow (format by extension).
      Without --schema the schema is inferred from IN's first 1000 records.`;

export async function convertCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      'skip-errors': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  if (positionals.length !== 2) {
    throw usage('tfstream convert takes an input and an output file');
  }
  const [input, output] = positionals as [string, string];
  const schema = values.schema === undefined ? undefined : await loadSchemaFile(values.schema);
  let skipped = 0;
  const file = await readRecordFile(input, {
    ...(schema === undefined ? {} : { schema }),
    onError: values['skip-errors'] ? 'skip' : 'fail',
    onDeadLetter: (letter) => {
      skipped++;
      io.stderr.write(`skipped ${letter.error.message}\n`);
    },
  });
  const writer = await RecordFileWriter.open(output, file.schema);
  let records = 0;
  const started = performance.now();
  try {
    for await (const batch of file.batches) {
      await writer.write(batch);
      records += batch.numRows;
    }
  } finally {
    // Whatever was read before an error is written out, never lost.
    await writer.close();
  }
  if (!values.quiet) {
    const seconds = (performance.now() - started) / 1000;
    await write(
      io.stderr,
      `wrote ${records} records to ${output} in ${seconds.toFixed(2)} s${skipped > 0 ? `, skipped ${skipped}` : ''}\n`,
    );
  }
  return skipped > 0 ? 1 : 0;
}
