import { parseArgs } from 'node:util';
import { schemaToJson } from '@tfstream/schema';
import { inferFileSchema, isFormatName } from '@tfstream/codecs/node';
import type { CliIo } from '../cli-io.js';
import { loadSchemaFile, positiveInt, usage, write } from '../cli-io.js';

export const SCHEMA_HELP = `Usage:
  tfstream schema infer FILE [--limit N] [--report] [--format F]
      Print the schema inferred from FILE's first N records (default 1000) as JSON.
      --report prints, per field, the confidence, null count and the values that forced a widening.
  tfstream schema import SCHEMA.pbtxt
      Print a TensorFlow Metadata schema as a tfstream schema.
  tfstream schema check SCHEMA.json
      Validate a schema file.`;

export async function schemaCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'infer':
      return infer(rest, io);
    case 'import':
    case 'check': {
      const { positionals } = parseArgs({ args: [...rest], allowPositionals: true, options: {} });
      if (positionals.length !== 1) {
        throw usage(`tfstream schema ${action} takes one file`);
      }
      const schema = await loadSchemaFile(positionals[0]!);
      await write(io.stdout, `${JSON.stringify(schemaToJson(schema), null, 2)}\n`);
      return 0;
    }
    default:
      throw usage(
        action === undefined
          ? 'tfstream schema needs an action: infer, import or check'
          : `unknown action "${action}"`,
      );
  }
}

async function infer(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      limit: { type: 'string' },
      report: { type: 'boolean' },
      format: { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    throw usage('tfstream schema infer takes one file');
  }
  if (values.format !== undefined && !isFormatName(values.format)) {
    throw usage(`unknown --format "${values.format}"; use tfrecord, jsonl, csv or arrow`);
  }
  const inferred = await inferFileSchema(positionals[0]!, {
    limit: positiveInt('limit', values.limit, 1000),
    ...(values.format === undefined ? {} : { format: values.format }),
  });
  const out = values.report
    ? {
        ...schemaToJson(inferred.schema),
        inference: { records: inferred.records, fields: inferred.fields },
      }
    : schemaToJson(inferred.schema);
  await write(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
