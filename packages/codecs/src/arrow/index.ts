// `@tfstream/codecs/arrow`: the Arrow IPC format. A subpath of its own so that apache-arrow is
// only loaded by those who read or write Arrow.
export { arrowFormat, arrowToBatch } from './arrow-format.js';
export {
  EXTENSION_METADATA_KEY,
  EXTENSION_NAME_KEY,
  FIXED_SHAPE_TENSOR,
  SCHEMA_METADATA_KEY,
  TYPE_METADATA_KEY,
  arrowFieldToField,
  arrowSchemaToSchema,
  arrowTypeLabel,
  fieldToArrowField,
  schemaToArrowSchema,
} from './arrow-schema.js';
export { batchToArrow } from './column-to-arrow.js';
export { ArrowStreamEncoder } from './arrow-encoder.js';
