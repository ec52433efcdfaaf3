export type { Column, NumericArray } from './batch/column.js';
export { elementRange, elementTotal, isBigIntStorage, isValid, storageOf } from './batch/column.js';
export { ColumnBuilder } from './batch/column-builder.js';
export {
  RecordBatch,
  RecordBatchBuilder,
  RowView,
  columnValue,
  elementValue,
} from './batch/record-batch.js';
export { exampleCodec } from './example/example-codec.js';
export { sampleExample } from './example/example-sample.js';
export { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './tfrecord/crc32c.js';
export type { TfRecordFrame, TfRecordReaderOptions } from './tfrecord/tfrecord-reader.js';
export { TfRecordReader, readTfRecords } from './tfrecord/tfrecord-reader.js';
export { frameTfRecord, writeTfRecords } from './tfrecord/tfrecord-writer.js';
export { tfrecordFormat } from './tfrecord/tfrecord-format.js';
export { JsonNumber, parseExactJson } from './json/exact-json.js';
export type { JsonValue } from './json/json-value.js';
export { formatJsonValue, fromJsonValue, toJsonValue } from './json/json-value.js';
export { formatJsonRecord, jsonCodec } from './json/json-record.js';
export { jsonlFormat } from './json/jsonl-format.js';
export type { CsvOptions } from './csv/csv-format.js';
export { createCsvFormat, csvFormat } from './csv/csv-format.js';
export { rawCodec } from './raw/raw-codec.js';
export type {
  BatchEncoder,
  DeadLetter,
  DecodeLimits,
  DecodeOptions,
  EncodeOptions,
  ErrorPolicy,
  Format,
  FormatName,
  RecordCodec,
  RecordCodecName,
  SampleOptions,
} from './format.js';
export { DEFAULT_MAX_RECORD_BYTES } from './format.js';
export { DecodeContext, flushOnError } from './batch/decode-context.js';
