import { parseArgs } from 'node:util';
import { formatJsonRecord } from '@tfstream/codecs';
import { readRecordFile } from '@tfstream/codecs/node';
import type { CliIo } from '../cli-io.js';
import { loadSchemaFile, positiveInt, usage, write } from '../cli-io.js';

export const INSPECT_HELP = `Usage:
  tfstream inspect FILE [--schema S.json] [--limit N] [--skip-errors]
      Print FILE's records as JSON Lines, in tfstream's JSON form (int64 beyond 2^53 as strings,
      NaN and Infinity as strings, bytes as base64, dates and timestamps as ISO-8601).
      Without --schema the schema is inferred from the first 1000 records.
      --skip-errors leaves out records that do not decode and reports them on stderr.`;

export async function inspectCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      limit: { type: 'string' },
      'skip-errors': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) {
    throw usage('tfstream inspect takes one file');
  }
  const limit = positiveInt('limit', values.limit, Number.POSITIVE_INFINITY);
  const schema = values.schema === undefined ? undefined : await loadSchemaFile(values.schema);
  let skipped = 0;
  const file = await readRecordFile(positionals[0]!, {
    ...(schema === undefined ? {} : { schema }),
    batchSize: Math.min(1024, Math.max(1, limit)),
    onError: values['skip-errors'] ? 'skip' : 'fail',
    onDeadLetter: (letter) => {
      skipped++;
      io.stderr.write(`skipped ${letter.error.message}\n`);
    },
  });
  let printed = 0;
  for await (const batch of file.batches) {
    let text = '';
    for (let row = 0; row < batch.numRows && printed < limit; row++, printed++) {
      text += `${formatJsonRecord(batch, row)}\n`;
    }
    await write(io.stdout, text);
    if (printed >= limit) {
      break;
    }
  }
  return skipped > 0 ? 1 : 0;
}
