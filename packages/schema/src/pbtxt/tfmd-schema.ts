// Import of TensorFlow Metadata schemas (tensorflow_metadata/proto/v0/schema.proto, message
// Schema), as TFX's SchemaGen and TFDV write them in text format.
import { TfstreamError } from '../errors.js';
import { MAX_TENSOR_ELEMENTS } from '../schema-json.js';
import type { DataType, Field, Schema, Shape, TimeUnit } from '../types.js';
import { SCHEMA_VERSION } from '../types.js';
import type { TextProtoField, TextProtoMessage, TextProtoValue } from './text-proto.js';
import { parseTextProto } from './text-proto.js';

/** TFMD `FeatureType` enum numbers, for schemas that write the number instead of the name. */
const FEATURE_TYPES: Readonly<Record<number, string>> = {
  0: 'TYPE_UNKNOWN',
  1: 'BYTES',
  2: 'INT',
  3: 'FLOAT',
  4: 'STRUCT',
};

/** Lifecycle stages TFMD treats as deprecated: the feature may be missing from the data. */
const DEPRECATED_STAGES = new Set(['PLANNED', 'ALPHA', 'DEPRECATED', 'DEBUG_ONLY', 'DISABLED']);

/** `TimeDomain.integer_format` values that are the same int64 as a tfstream date or timestamp. */
const TIME_FORMATS: Readonly<Record<string, { type: DataType; unit?: TimeUnit }>> = {
  UNIX_DAYS: { type: 'date' },
  UNIX_MILLISECONDS: { type: 'timestamp', unit: 'ms' },
  UNIX_MICROSECONDS: { type: 'timestamp', unit: 'us' },
  UNIX_NANOSECONDS: { type: 'timestamp', unit: 'ns' },
};

function invalid(detail: string, source: string | undefined, line: number, field?: string) {
  return new TfstreamError('SCHEMA_PBTXT_INVALID', detail, {
    ...(source === undefined ? {} : { file: source }),
    line,
    ...(field === undefined ? {} : { field }),
  });
}

function all(message: TextProtoMessage, name: string): TextProtoField[] {
  return message.fields.filter((field) => field.name === name);
}

function last(message: TextProtoMessage, name: string): TextProtoField | undefined {
  const fields = all(message, name);
  return fields[fields.length - 1];
}

function asMessage(value: TextProtoValue | undefined): TextProtoMessage | undefined {
  return value?.kind === 'message' ? value : undefined;
}

function numberOf(message: TextProtoMessage | undefined, name: string): number | undefined {
  const value = message === undefined ? undefined : last(message, name)?.value;
  return value?.kind === 'number' ? value.value : undefined;
}

function wordOf(message: TextProtoMessage | undefined, name: string): string | undefined {
  const value = message === undefined ? undefined : last(message, name)?.value;
  if (value?.kind === 'identifier') {
    return value.value;
  }
  return value?.kind === 'number' ? String(value.value) : undefined;
}

interface Context {
  readonly source: string | undefined;
  readonly name: string;
  readonly line: number;
}

function fail(ctx: Context, detail: string, line = ctx.line): never {
  throw invalid(detail, ctx.source, line, ctx.name);
}

function featureType(feature: TextProtoMessage, ctx: Context): DataType {
  const typeField = last(feature, 'type');
  let word = wordOf(feature, 'type');
  if (word !== undefined && /^\d+$/.test(word)) {
    word = FEATURE_TYPES[Number(word)] ?? word;
  }
  switch (word) {
    case 'INT': {
      const format = wordOf(asMessage(last(feature, 'time_domain')?.value), 'integer_format');
      const time = format === undefined ? undefined : TIME_FORMATS[format];
      if (time !== undefined) {
        return time.type;
      }
      return last(feature, 'bool_domain') === undefined ? 'int64' : 'bool';
    }
    case 'FLOAT':
      return 'float32';
    case 'BYTES':
      return 'string';
    case 'BOOL':
      return 'bool';
    case 'STRUCT':
      return fail(
        ctx,
        'STRUCT features (tf.SequenceExample contexts, nested records) have no tfstream type; flatten the struct into top-level features, or remove it from the schema',
        typeField?.line,
      );
    case undefined:
      return fail(ctx, 'the feature has no "type"; add one of INT, FLOAT or BYTES');
    default:
      return fail(
        ctx,
        `unknown feature type ${JSON.stringify(word)}; use INT, FLOAT or BYTES`,
        typeField?.line,
      );
  }
}

function positiveCount(
  value: number | undefined,
  what: string,
  ctx: Context,
  line: number,
): number {
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    return fail(ctx, `${what} must be a whole number of at least 1, got ${String(value)}`, line);
  }
  return value;
}

/** Fixed counts per nesting level, or undefined when some level varies. */
function fixedCounts(counts: readonly TextProtoField[]): number[] | undefined {
  const dims: number[] = [];
  for (const count of counts) {
    const message = asMessage(count.value);
    const min = numberOf(message, 'min');
    const max = numberOf(message, 'max');
    if (min === undefined || min !== max || min < 1) {
      return undefined;
    }
    dims.push(min);
  }
  return dims;
}

function featureShape(feature: TextProtoMessage, ctx: Context): Shape {
  const shapeField = last(feature, 'shape');
  if (shapeField !== undefined) {
    const shape = asMessage(shapeField.value);
    if (shape === undefined) {
      return fail(
        ctx,
        '"shape" must be a message such as shape { dim { size: 3 } }',
        shapeField.line,
      );
    }
    const dims = all(shape, 'dim').map((dim) =>
      positiveCount(numberOf(asMessage(dim.value), 'size'), 'a shape dim size', ctx, dim.line),
    );
    // A one-element shape is how TFX writes a scalar feature (tf.io.FixedLenFeature([1])).
    return dims.length === 0 || (dims.length === 1 && dims[0] === 1)
      ? 'scalar'
      : checkSize(dims, ctx);
  }
  const countField = last(feature, 'value_count');
  const countsField = last(feature, 'value_counts');
  const counts =
    countField !== undefined
      ? [countField]
      : countsField !== undefined
        ? all(asMessage(countsField.value) ?? { fields: [] }, 'value_count')
        : [];
  const dims = counts.length === 0 ? undefined : fixedCounts(counts);
  if (dims === undefined) {
    return 'list';
  }
  return dims.every((dim) => dim === 1) ? 'scalar' : checkSize(dims, ctx);
}

function checkSize(dims: number[], ctx: Context): number[] {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_TENSOR_ELEMENTS) {
    fail(
      ctx,
      `shape [${dims.join(', ')}] has ${count} values, more than the limit of ${MAX_TENSOR_ELEMENTS}`,
    );
  }
  return dims;
}

function featureNullable(feature: TextProtoMessage): boolean {
  const presence = asMessage(last(feature, 'presence')?.value);
  const minFraction = numberOf(presence, 'min_fraction');
  const stage = wordOf(feature, 'lifecycle_stage');
  const deprecated =
    wordOf(feature, 'deprecated') === 'true' ||
    (stage !== undefined && DEPRECATED_STAGES.has(stage));
  const someEnvironmentsOnly =
    all(feature, 'in_environment').length > 0 || all(feature, 'not_in_environment').length > 0;
  return minFraction === undefined || minFraction < 1 || deprecated || someEnvironmentsOnly;
}

function featureDescription(feature: TextProtoMessage): string | undefined {
  const annotation = asMessage(last(feature, 'annotation')?.value);
  if (annotation === undefined) {
    return undefined;
  }
  const comments = all(annotation, 'comment')
    .map((comment) => (comment.value.kind === 'string' ? comment.value.value : ''))
    .filter((comment) => comment !== '');
  return comments.length === 0 ? undefined : comments.join('\n');
}

function featureToField(node: TextProtoField, source: string | undefined): Field | undefined {
  const feature = asMessage(node.value);
  if (feature === undefined) {
    throw invalid(
      '"feature" must be a message: feature { name: "..." type: ... }',
      source,
      node.line,
    );
  }
  const nameValue = last(feature, 'name')?.value;
  if (nameValue?.kind !== 'string' || nameValue.value === '') {
    throw invalid('a feature has no "name"; add name: "..." to it', source, node.line);
  }
  const ctx: Context = { source, name: nameValue.value, line: node.line };
  // Derived features exist for statistics and validation only, never in the data.
  if (wordOf(feature, 'lifecycle_stage') === 'VALIDATION_DERIVED') {
    return undefined;
  }
  const type = featureType(feature, ctx);
  const field: { -readonly [K in keyof Field]: Field[K] } = {
    name: ctx.name,
    type,
    shape: featureShape(feature, ctx),
    nullable: featureNullable(feature),
  };
  if (type === 'timestamp') {
    const format = wordOf(asMessage(last(feature, 'time_domain')?.value), 'integer_format');
    field.unit = TIME_FORMATS[format ?? '']?.unit ?? 'ms';
  }
  const description = featureDescription(feature);
  if (description !== undefined) {
    field.description = description;
  }
  return field;
}

/**
 * Reads a TensorFlow Metadata schema in text format (a TFX `schema.pbtxt`) as a tfstream schema.
 *
 * Each `feature` becomes a field, in file order:
 * - type: `INT` → int64 (bool with a `bool_domain`; date or timestamp with a `time_domain` of
 *   `integer_format` UNIX_DAYS, UNIX_MILLISECONDS, UNIX_MICROSECONDS or UNIX_NANOSECONDS),
 *   `FLOAT` → float32, `BYTES` → string (TFMD does not tell text from binary data: change the
 *   field to `bytes` when it holds images or other binary values), `BOOL` → bool; `STRUCT` is
 *   rejected;
 * - shape: `shape { dim { size: 1 } }` (how TFX writes a scalar) or `value_count { min: 1 max: 1 }`
 *   → scalar; other fixed dims or a fixed count → that tensor shape; otherwise → list;
 * - nullable unless `presence { min_fraction: 1 }` says every example has the feature (no
 *   presence at all, a deprecated lifecycle stage or a per-environment feature → nullable);
 * - `annotation { comment }` → description. Features of lifecycle stage VALIDATION_DERIVED, which
 *   never occur in data, and `sparse_feature`/`weighted_feature` entries are left out.
 *
 * @param text - the text of the `schema.pbtxt`
 * @param source - file name for error messages
 * @throws TfstreamError `SCHEMA_PBTXT_INVALID` with the line (and the feature) of the problem
 *
 * @example
 * ```ts
 * const schema = schemaFromPbtxt(await readFile('schema.pbtxt', 'utf8'), 'schema.pbtxt');
 * schema.fields[0]; // { name: 'body_mass_g', type: 'float32', shape: 'scalar', nullable: false }
 * ```
 */
export function schemaFromPbtxt(text: string, source?: string): Schema {
  const root = parseTextProto(text, source);
  const fields: Field[] = [];
  const lines = new Map<string, number>();
  for (const node of all(root, 'feature')) {
    const field = featureToField(node, source);
    if (field === undefined) {
      continue;
    }
    const first = lines.get(field.name);
    if (first !== undefined) {
      throw invalid(
        `the feature is declared twice (first on line ${first}); keep one`,
        source,
        node.line,
        field.name,
      );
    }
    lines.set(field.name, node.line);
    fields.push(field);
  }
  if (fields.length === 0) {
    throw invalid(
      'the schema has no feature; is this a TensorFlow Metadata Schema in text format?',
      source,
      1,
    );
  }
  return { version: SCHEMA_VERSION, fields };
}
