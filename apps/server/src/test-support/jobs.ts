// Job documents the server tests run: small, fast, and each about one thing.
import type { JobJson } from '@tfstream/runtime';

/** Model code that writes each input record's key and its batch's size, optionally logging first. */
export function echoModel(preamble = ''): string {
  return `import type { JobContext } from '@tfstream/sdk';
export default async function echo(ctx: JobContext): Promise<void> {
  ${preamble}
  const writer = ctx.writer();
  for await (const batch of ctx.reader()) {
    const rows = batch.keys.map((key) => ({ key: Number(key), n: batch.numRows }));
    await writer.write(rows, { keys: batch.keys });
  }
}
`;
}

export const ECHO_OUTPUT = {
  version: 1,
  fields: [
    { name: 'key', type: 'int32' },
    { name: 'n', type: 'int32' },
  ],
} as const;

/** An inference job over the seeded `sensors` generator: `count` records, or endless. */
export function syntheticEchoJob(
  name: string,
  options: { count?: number; rate?: number; preamble?: string } = {},
): JobJson {
  return {
    version: 1,
    name,
    mode: 'inference',
    input: {
      source: {
        kind: 'synthetic',
        generator: 'sensors',
        ...(options.count === undefined ? {} : { count: options.count }),
        ...(options.rate === undefined ? {} : { rate: options.rate }),
      },
      schema: 'infer',
    },
    output: {
      schema: { version: 1, fields: [...ECHO_OUTPUT.fields] },
      sink: { kind: 'memory' },
    },
    transfer: { mode: 'micro-batch', batchSize: 8, lingerMs: 20 },
    cluster: { workers: 1 },
    model: { source: echoModel(options.preamble) },
    inference: { modelPath: 'models/none' },
  };
}

/** An inference job whose records are pushed over HTTP. */
export function pushEchoJob(name: string): JobJson {
  return {
    version: 1,
    name,
    mode: 'inference',
    input: {
      source: { kind: 'push' },
      schema: {
        version: 1,
        fields: [
          { name: 'id', type: 'int32' },
          { name: 'label', type: 'string' },
        ],
      },
      key: 'id',
    },
    output: {
      schema: { version: 1, fields: [...ECHO_OUTPUT.fields] },
      sink: { kind: 'memory' },
    },
    transfer: { mode: 'micro-batch', batchSize: 16, lingerMs: 20 },
    cluster: { workers: 1 },
    model: { source: echoModel() },
    inference: { modelPath: 'models/none' },
  };
}
