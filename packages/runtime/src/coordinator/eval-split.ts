// A train job's eval split: a held-out record file that the chief worker reads itself (see
// `RemoteBinding.readEvalBatches`), so it never goes through the feed.
import { readRecordFile } from '@tfstream/codecs/node';
import type { Schema } from '@tfstream/schema';
import { schemaToJson } from '@tfstream/schema';
import type { Job } from '../job/index.js';
import type { WorkerSpec } from '../protocol/worker-spec.js';

/**
 * The job's eval split as workers get it (`WorkerSpec.eval`), with its schema resolved: the one
 * the job gives, inferred from the file for `"infer"`, else the input's. The file is opened here
 * once, so that a missing or unreadable split fails the start of the run, not its end.
 *
 * @throws codec and `IO_ERROR`s naming the file
 * @example
 * ```ts
 * const spec = { ...rest, eval: await openEvalSplit(job, source.schema) };
 * ```
 */
export async function openEvalSplit(
  job: Job,
  inputSchema: Schema,
): Promise<WorkerSpec['eval'] | undefined> {
  const split = job.mode === 'train' ? job.training.eval : undefined;
  if (split === undefined) {
    return undefined;
  }
  const schema = split.schema ?? { kind: 'inline' as const, schema: inputSchema };
  const path = split.source.file.resolved;
  const file = await readRecordFile(path, {
    format: split.source.format,
    ...(schema.kind === 'infer' ? {} : { schema: schema.schema }),
  });
  return {
    path,
    format: split.source.format,
    schema: schemaToJson(file.schema),
    ...(split.everyEpochs === undefined ? {} : { everyEpochs: split.everyEpochs }),
  };
}
