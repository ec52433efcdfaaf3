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
