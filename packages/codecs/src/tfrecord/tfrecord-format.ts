// The TFRecord file format: TFRecord framing (tfrecord-reader.ts) around serialized
// tf.train.Example records (../example/), as TensorFlow's tf.data.TFRecordDataset and
// tf.io.TFRecordWriter read and write them. Compression (.gz) is another layer's job.
import type { SampleRecord, Schema } from '@tfstream/schema';
import { TfstreamError } from '@tfstream/schema';
import { DecodeContext, flushOnError } from '../batch/decode-context.js';
import type { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import type {
  BatchEncoder,
  DecodeOptions,
  EncodeOptions,
  Format,
  SampleOptions,
} from '../format.js';
import { exampleCodec } from '../example/example-codec.js';
import { exampleDecoderFor } from '../example/example-decoder.js';
import { exampleEncoderFor } from '../example/example-encoder.js';
import { sampleExample } from '../example/example-sample.js';
import { TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES, TfRecordReader } from './tfrecord-reader.js';
import { frameInPlace } from './tfrecord-writer.js';

const EMPTY = new Uint8Array(0);
const FRAME_BYTES = TFRECORD_HEADER_BYTES + TFRECORD_FOOTER_BYTES;

async function* decodeFrames(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeOptions,
  ctx: DecodeContext,
): AsyncGenerator<RecordBatch> {
  const decoder = exampleDecoderFor(options.schema);
  const reader = new TfRecordReader({
    ...(ctx.source === undefined ? {} : { source: ctx.source }),
    maxRecordBytes: ctx.maxRecordBytes,
    skipCorruptData: ctx.policy === 'skip',
  });
  let payload: Uint8Array = EMPTY;
  const decodeOne = (builder: RecordBatchBuilder): void => decoder.decode(payload, builder);
  for await (const chunk of chunks) {
    reader.push(chunk);
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
      if (frame.error !== undefined) {
        ctx.recordError(frame.error, frame.payload, { offset: frame.offset });
        continue;
      }
      payload = frame.payload;
      const batch = ctx.decodeRecord(decodeOne, payload, { offset: frame.offset });
      if (batch !== undefined) {
        yield batch;
      }
    }
  }
  reader.end();
  const rest = ctx.flush();
  if (rest !== undefined) {
    yield rest;
  }
}

function sameFields(a: Schema, b: Schema): boolean {
  return (
    a === b ||
    (a.fields.length === b.fields.length &&
      a.fields.every((field, i) => {
        const other = b.fields[i]!;
        return (
          field.name === other.name &&
          field.type === other.type &&
          JSON.stringify(field.shape) === JSON.stringify(other.shape)
        );
      }))
  );
}

/**
 * TFRecord files of tf.train.Example records (payload = one serialized Example per record), read
 * and written as TensorFlow does. Decoding checks both CRCs of every record; under the `'skip'`
 * policy a record with a bad data CRC or a bad Example becomes a dead letter, but a bad length CRC
 * ends the stream, since nothing after it can be framed.
 *
 * @example
 * ```ts
 * for await (const batch of tfrecordFormat.decode(chunks, { schema, source: 'train.tfrecord' })) {
 *   console.log(batch.numRows);
 * }
 * ```
 */
export const tfrecordFormat: Format = {
  name: 'tfrecord',
  extensions: ['.tfrecords', '.tfrecord'],
  mediaType: 'application/x-tfrecord',

  checkSchema(schema: Schema): void {
    exampleCodec.checkSchema(schema);
  },

  decode(chunks: AsyncIterable<Uint8Array>, options: DecodeOptions): AsyncGenerator<RecordBatch> {
    const ctx = new DecodeContext(options);
    return flushOnError(ctx, decodeFrames(chunks, options, ctx));
  },

  createEncoder(schema: Schema, options: EncodeOptions = {}): BatchEncoder {
    const encoder = exampleEncoderFor(schema);
    return {
      start: () => EMPTY,
      end: () => EMPTY,
      encode(batch: RecordBatch): Uint8Array {
        if (!sameFields(batch.schema, schema)) {
          throw new TfstreamError(
            'SCHEMA_INVALID',
            'the batch does not have the schema the encoder was created for',
            options.source === undefined ? {} : { file: options.source },
          );
        }
        let total = 0;
        for (let row = 0; row < batch.numRows; row++) {
          total += FRAME_BYTES + encoder.measure(batch, row);
        }
        const out = new Uint8Array(total);
        let at = 0;
        for (let row = 0; row < batch.numRows; row++) {
          const length = encoder.measure(batch, row);
          encoder.write(batch, row, out, at + TFRECORD_HEADER_BYTES);
          at = frameInPlace(out, at, length);
        }
        return out;
      },
    };
  },

  async *sample(
    chunks: AsyncIterable<Uint8Array>,
    options: SampleOptions = {},
  ): AsyncGenerator<SampleRecord> {
    const limit = options.limit ?? 1000;
    if (limit <= 0) {
      return;
    }
    const reader = new TfRecordReader({
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.limits?.maxRecordBytes === undefined
        ? {}
        : { maxRecordBytes: options.limits.maxRecordBytes }),
    });
    for await (const chunk of chunks) {
      reader.push(chunk);
      for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
        let record: SampleRecord;
        try {
          record = sampleExample(frame.payload);
        } catch (error) {
          if (error instanceof TfstreamError) {
            throw error.at({
              ...(options.source === undefined ? {} : { file: options.source }),
              record: frame.record,
              offset: frame.offset,
            });
          }
          throw error;
        }
        yield record;
        if (frame.record >= limit) {
          return;
        }
      }
    }
    reader.end();
  },
};
