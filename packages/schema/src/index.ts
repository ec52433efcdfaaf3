export type { ErrorCode, ErrorLocation } from './errors.js';
export { TfstreamError, isTfstreamError } from './errors.js';
export type {
  DataType,
  Field,
  FloatType,
  IntegerType,
  ScalarValue,
  Schema,
  Shape,
  TimeUnit,
  Value,
} from './types.js';
export {
  DATA_TYPES,
  INTEGER_RANGES,
  SCHEMA_VERSION,
  TIME_UNITS,
  elementCount,
  fieldLabel,
  isIntegerType,
  isScalarShape,
  isTensorShape,
  typeLabel,
} from './types.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_LINGER_MS,
  DEFAULT_MEMORY_TAIL,
  JOB_NAME_PATTERN,
} from './job-defaults.js';
export type { FieldJson, SchemaJson } from './schema-json.js';
export {
  MAX_TENSOR_ELEMENTS,
  defineSchema,
  fieldIndex,
  parseSchema,
  schemaToJson,
} from './schema-json.js';
export type { TypeMapping } from './type-table.js';
export { SHAPE_FORMS, TYPE_TABLE, typeMapping } from './type-table.js';
export type { ElementType } from './values/text-forms.js';
export {
  checkWellFormed,
  formatElementText,
  formatFloat32,
  formatFloat64,
  formatTime,
  formatTimestamp,
  normalizeElement,
  parseDecimal,
  parseElementText,
  parseFloatText,
  preview,
  unitsPerSecond,
} from './values/text-forms.js';
export { decodeBase64, encodeBase64 } from './values/base64.js';
export { civilFromDays, daysFromCivil, formatCivilDate } from './values/calendar.js';
export type { SampleCell, SampleRecord } from './infer/sample.js';
export type {
  FieldConflict,
  FieldInference,
  InferOptions,
  InferredSchema,
  SchemaInferrerOptions,
} from './infer/schema-inferrer.js';
export { SchemaInferrer, inferSchema } from './infer/schema-inferrer.js';
export type { TextProtoField, TextProtoMessage, TextProtoValue } from './pbtxt/text-proto.js';
export { parseTextProto } from './pbtxt/text-proto.js';
export { schemaFromPbtxt } from './pbtxt/tfmd-schema.js';
