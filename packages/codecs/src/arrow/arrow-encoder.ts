// Writes the Arrow IPC streaming format (Arrow columnar format, "IPC Streaming Format"): one
// schema message, one record batch message per batch, and the end-of-stream marker. The messages
// are framed and laid out by apache-arrow's RecordBatchStreamWriter; this subclass only collects
// the bytes it writes so that each call returns its own message.

import type { Schema as ArrowSchema } from 'apache-arrow';
import { RecordBatchStreamWriter } from 'apache-arrow';
import type { Schema } from '@tfstream/schema';
import { TfstreamError, fieldLabel } from '@tfstream/schema';
import type { RecordBatch } from '../batch/record-batch.js';
import type { BatchEncoder, EncodeOptions } from '../format.js';
import { schemaToArrowSchema } from './arrow-schema.js';
import { batchToArrow } from './column-to-arrow.js';

/** The end-of-stream marker: continuation indicator, then a metadata length of 0. */
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

class CollectingWriter extends RecordBatchStreamWriter {
  private parts: Uint8Array[] = [];
  private size = 0;

  protected override _write(chunk: unknown): this {
    const view = chunk as ArrayBufferView;
    if (view.byteLength > 0) {
      this.parts.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      this.size += view.byteLength;
      this._position += view.byteLength;
    }
    return this;
  }

  schemaMessage(schema: ArrowSchema): Uint8Array {
    this._schema = schema;
    this._writeSchema(schema);
    return this.take();
  }

  batchMessage(batch: Parameters<RecordBatchStreamWriter['write']>[0]): Uint8Array {
    this._writeRecordBatch(batch as never);
    return this.take();
  }

  private take(): Uint8Array {
    const out = this.parts.length === 1 ? this.parts[0]!.slice() : new Uint8Array(this.size);
    if (this.parts.length !== 1) {
      let at = 0;
      for (const part of this.parts) {
        out.set(part, at);
        at += part.length;
      }
    }
    this.parts = [];
    this.size = 0;
    return out;
  }
}

/**
 * Encodes batches of one schema as an Arrow IPC stream: `start()` is the schema message,
 * `encode()` one record batch message, `end()` the end-of-stream marker. Their concatenation is a
 * stream that any Arrow reader (`tableFromIPC`, pyarrow's `ipc.open_stream`) reads.
 */
export class ArrowStreamEncoder implements BatchEncoder {
  readonly schema: Schema;
  readonly arrowSchema: ArrowSchema;
  private readonly writer = new CollectingWriter();
  private readonly source: string | undefined;
  private state: 'new' | 'started' | 'ended' = 'new';

  constructor(schema: Schema, options: EncodeOptions = {}) {
    this.schema = schema;
    this.arrowSchema = schemaToArrowSchema(schema);
    this.source = options.source;
  }

  start(): Uint8Array {
    this.expect('new', 'start()');
    this.state = 'started';
    return this.writer.schemaMessage(this.arrowSchema);
  }

  encode(batch: RecordBatch): Uint8Array {
    this.expect('started', 'encode()');
    this.checkBatchSchema(batch);
    return this.writer.batchMessage(batchToArrow(batch, this.arrowSchema));
  }

  end(): Uint8Array {
    this.expect('started', 'end()');
    this.state = 'ended';
    return END_OF_STREAM.slice();
  }

  private expect(state: 'new' | 'started', call: string): void {
    if (this.state !== state) {
      throw new Error(
        `ArrowStreamEncoder: ${call} called ${this.state === 'new' ? 'before start()' : this.state === 'ended' ? 'after end()' : 'twice'}`,
      );
    }
  }

  private checkBatchSchema(batch: RecordBatch): void {
    if (batch.schema === this.schema) {
      return;
    }
    const expected = this.schema.fields;
    const actual = batch.schema.fields;
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const want = expected[i];
      const got = actual[i];
      if (
        want === undefined ||
        got === undefined ||
        want.name !== got.name ||
        fieldLabel(want) !== fieldLabel(got)
      ) {
        throw new TfstreamError(
          'CODEC_TYPE_MISMATCH',
          `the batch's field ${got === undefined ? '(none)' : `"${got.name}" ${fieldLabel(got)}`} is not the stream's ${want === undefined ? '(none)' : `"${want.name}" ${fieldLabel(want)}`}; encode each schema to its own stream`,
          {
            ...(this.source === undefined ? {} : { file: this.source }),
            ...(got === undefined ? {} : { field: got.name }),
          },
        );
      }
    }
  }
}
