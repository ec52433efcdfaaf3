// tfstream schemas to and from Arrow schemas, following the mapping table of @tfstream/schema
// (TYPE_TABLE, column `arrow`) and the Arrow canonical extension type `arrow.fixed_shape_tensor`
// (https://arrow.apache.org/docs/format/CanonicalExtensions.html#fixed-shape-tensor).

import type { DataType as ArrowDataType } from 'apache-arrow';
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field as ArrowField,
  FixedSizeList,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  List,
  Schema as ArrowSchema,
  Time,
  TimeUnit as ArrowTimeUnit,
  Timestamp,
  Type,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
} from 'apache-arrow';
import type { DataType, Field, Schema, TimeUnit } from '@tfstream/schema';
import {
  SCHEMA_VERSION,
  TfstreamError,
  elementCount,
  fieldLabel,
  isTensorShape,
  parseSchema,
  schemaToJson,
} from '@tfstream/schema';
import { decimalBitWidth } from './decimal.js';

/** Key of the Arrow schema's custom metadata that holds the tfstream schema document (JSON). */
export const SCHEMA_METADATA_KEY = 'tfstream.schema';
/** Key of an Arrow field's custom metadata that marks a Utf8 field as `char`. */
export const TYPE_METADATA_KEY = 'tfstream.type';
/** Field metadata key of an Arrow extension type's name (Arrow columnar format, "Extension Types"). */
export const EXTENSION_NAME_KEY = 'ARROW:extension:name';
/** Field metadata key of an Arrow extension type's parameters, serialized by the extension. */
export const EXTENSION_METADATA_KEY = 'ARROW:extension:metadata';
/** The canonical extension for fixed-shape tensors. */
export const FIXED_SHAPE_TENSOR = 'arrow.fixed_shape_tensor';

const UNIT_TO_ARROW: Readonly<Record<TimeUnit, ArrowTimeUnit>> = {
  ms: ArrowTimeUnit.MILLISECOND,
  us: ArrowTimeUnit.MICROSECOND,
  ns: ArrowTimeUnit.NANOSECOND,
};
const UNIT_NAMES = ['s', 'ms', 'us', 'ns'] as const;

/** The Arrow type of one element of a field. */
export function elementArrowType(field: Field): ArrowDataType {
  switch (field.type) {
    case 'string':
    case 'char':
      return new Utf8();
    case 'bytes':
      return new Binary();
    case 'bool':
      return new Bool();
    case 'int8':
      return new Int8();
    case 'int16':
      return new Int16();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'uint8':
      return new Uint8();
    case 'uint16':
      return new Uint16();
    case 'uint32':
      return new Uint32();
    case 'uint64':
      return new Uint64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'date':
      return new DateDay();
    case 'time': {
      const unit = field.unit ?? 'ms';
      return new Time(UNIT_TO_ARROW[unit], unit === 'ms' ? 32 : 64);
    }
    case 'timestamp':
      return new Timestamp(UNIT_TO_ARROW[field.unit ?? 'ms'], 'UTC');
    case 'decimal': {
      const precision = field.precision ?? 38;
      return new Decimal(field.scale ?? 0, precision, decimalBitWidth(precision));
    }
  }
}

/** The Arrow field of a tfstream field, with its shape and the metadata that keeps it exact. */
export function fieldToArrowField(field: Field): ArrowField {
  const element = elementArrowType(field);
  const metadata = new Map<string, string>();
  if (field.type === 'char') {
    metadata.set(TYPE_METADATA_KEY, 'char');
  }
  let type: ArrowDataType = element;
  if (field.shape === 'list') {
    type = new List(new ArrowField('item', element, false));
  } else if (isTensorShape(field.shape)) {
    type = new FixedSizeList(elementCount(field.shape), new ArrowField('item', element, false));
    metadata.set(EXTENSION_NAME_KEY, FIXED_SHAPE_TENSOR);
    metadata.set(EXTENSION_METADATA_KEY, JSON.stringify({ shape: [...field.shape] }));
  }
  return new ArrowField(field.name, type, field.nullable, metadata);
}

/**
 * The Arrow schema of a tfstream schema (see the `arrow` column of `TYPE_TABLE`). The tfstream
 * schema document is kept in the custom metadata under `tfstream.schema`.
 *
 * @example
 * ```ts
 * const arrowSchema = schemaToArrowSchema(defineSchema([{ name: 'x', type: 'float32', shape: [2, 2] }]));
 * arrowSchema.fields[0].type.toString(); // 'FixedSizeList[4]<Float32>'
 * ```
 */
export function schemaToArrowSchema(schema: Schema): ArrowSchema {
  const metadata = new Map([[SCHEMA_METADATA_KEY, JSON.stringify(schemaToJson(schema))]]);
  return new ArrowSchema(schema.fields.map(fieldToArrowField), metadata);
}

/** A readable label of an Arrow type, with all its parameters: `Timestamp(us, UTC)`. */
export function arrowTypeLabel(type: ArrowDataType): string {
  const t = type as ArrowDataType & Record<string, unknown>;
  const child = (): string => {
    const first = type.children?.[0];
    return first === undefined ? '?' : arrowTypeLabel(first.type as ArrowDataType);
  };
  switch (type.typeId) {
    case Type.Int:
      return `${t.isSigned === true ? 'Int' : 'Uint'}${String(t.bitWidth)}`;
    case Type.Float:
      return `Float${[16, 32, 64][t.precision as number] ?? '?'}`;
    case Type.Decimal:
      return `Decimal${String(t.bitWidth)}(${String(t.precision)}, ${String(t.scale)})`;
    case Type.Date:
      return t.unit === 0 ? 'DateDay' : 'DateMillisecond';
    case Type.Time:
      return `Time${String(t.bitWidth)}(${UNIT_NAMES[t.unit as number] ?? '?'})`;
    case Type.Timestamp:
      return `Timestamp(${UNIT_NAMES[t.unit as number] ?? '?'}${typeof t.timezone === 'string' && t.timezone !== '' ? `, ${t.timezone}` : ''})`;
    case Type.List:
      return `List<${child()}>`;
    case Type.LargeList:
      return `LargeList<${child()}>`;
    case Type.FixedSizeList:
      return `FixedSizeList[${String(t.listSize)}]<${child()}>`;
    case Type.FixedSizeBinary:
      return `FixedSizeBinary(${String(t.byteWidth)})`;
    case Type.Dictionary:
      return `Dictionary<${arrowTypeLabel(t.indices as ArrowDataType)}, ${arrowTypeLabel(t.dictionary as ArrowDataType)}>`;
    default:
      return String(type);
  }
}

/** The tfstream element type of an Arrow element type, or `undefined` when there is none. */
function elementOf(
  type: ArrowDataType,
  char: boolean,
): Pick<Field, 'type' | 'unit' | 'precision' | 'scale'> | string {
  const t = type as ArrowDataType & Record<string, unknown>;
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return { type: char ? 'char' : 'string' };
    case Type.Binary:
    case Type.LargeBinary:
    case Type.BinaryView:
    case Type.FixedSizeBinary:
      return { type: 'bytes' };
    case Type.Bool:
      return { type: 'bool' };
    case Type.Int: {
      const width = t.bitWidth as number;
      if (width !== 8 && width !== 16 && width !== 32 && width !== 64) {
        return `integers of ${width} bits do not exist`;
      }
      return { type: `${t.isSigned === true ? 'int' : 'uint'}${width}` as DataType };
    }
    case Type.Float:
      // Every float16 is exactly a float32.
      return { type: t.precision === 2 ? 'float64' : 'float32' };
    case Type.Date:
      return { type: 'date' };
    case Type.Time: {
      const unit = t.unit as number;
      const width = t.bitWidth as number;
      if (width !== (unit <= 1 ? 32 : 64)) {
        return `a ${width}-bit time in ${UNIT_NAMES[unit] ?? '?'} is not valid Arrow`;
      }
      return { type: 'time', unit: unit <= 1 ? 'ms' : UNIT_NAMES[unit] === 'us' ? 'us' : 'ns' };
    }
    case Type.Timestamp: {
      const unit = t.unit as number;
      return {
        type: 'timestamp',
        unit: unit <= 1 ? 'ms' : UNIT_NAMES[unit] === 'us' ? 'us' : 'ns',
      };
    }
    case Type.Decimal: {
      const precision = t.precision as number;
      const scale = t.scale as number;
      const width = t.bitWidth as number;
      if (![32, 64, 128, 256].includes(width)) {
        return `a ${width}-bit decimal is not valid Arrow`;
      }
      if (!Number.isInteger(precision) || precision < 1 || precision > 76) {
        return 'tfstream decimals have a precision of 1 to 76';
      }
      if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
        return 'tfstream decimals have a scale from 0 to the precision; cast the column first';
      }
      return { type: 'decimal', precision, scale };
    }
    default:
      return 'tfstream fields hold strings, bytes, booleans, numbers, dates, times, timestamps or decimals, as a scalar, a list or a fixed-shape tensor';
  }
}

function unsupported(name: string, type: ArrowDataType, why: string): TfstreamError {
  return new TfstreamError(
    'CODEC_UNSUPPORTED_TYPE',
    `Arrow type ${arrowTypeLabel(type)} is not supported: ${why}`,
    { field: name },
  );
}

/** The tensor shape of a fixed-size list field: from its extension metadata, else `[listSize]`. */
function tensorShape(arrowField: ArrowField, listSize: number): readonly number[] | string {
  if (arrowField.metadata.get(EXTENSION_NAME_KEY) !== FIXED_SHAPE_TENSOR) {
    return [listSize];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(arrowField.metadata.get(EXTENSION_METADATA_KEY) ?? '');
  } catch {
    return 'its arrow.fixed_shape_tensor metadata is not JSON';
  }
  const { shape, permutation } = (parsed ?? {}) as { shape?: unknown; permutation?: unknown };
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => Number.isInteger(d) && (d as number) > 0)
  ) {
    return 'its arrow.fixed_shape_tensor metadata has no valid "shape"';
  }
  if (shape.reduce((a: number, b: number) => a * b, 1) !== listSize) {
    return `its tensor shape [${shape.join(', ')}] does not have ${listSize} elements`;
  }
  if (
    permutation !== undefined &&
    !(Array.isArray(permutation) && permutation.every((p, i) => p === i))
  ) {
    return 'permuted tensors (arrow.fixed_shape_tensor "permutation") are not supported; write them row-major';
  }
  return shape as number[];
}

/**
 * The tfstream field of one Arrow field, or a `CODEC_UNSUPPORTED_TYPE` error naming it. Lists,
 * large lists and fixed-size lists (tensors) of a supported element type, and dictionaries of one,
 * are mapped; nested lists, structs, maps, unions, intervals, durations and nulls are not.
 */
export function arrowFieldToField(arrowField: ArrowField): Field | TfstreamError {
  const name = arrowField.name;
  const type = arrowField.type as ArrowDataType;
  const char = arrowField.metadata.get(TYPE_METADATA_KEY) === 'char';
  let shape: Field['shape'] = 'scalar';
  let elementType = type;
  const isList =
    type.typeId === Type.List ||
    type.typeId === Type.LargeList ||
    type.typeId === Type.FixedSizeList;
  if (isList && type.children?.[0]?.type === undefined) {
    return new TfstreamError(
      'CODEC_MALFORMED',
      `the ${arrowTypeLabel(type)} type has no element field`,
      {
        field: name,
      },
    );
  }
  if (
    type.typeId === Type.Dictionary &&
    (type as { dictionary?: unknown }).dictionary === undefined
  ) {
    return new TfstreamError('CODEC_MALFORMED', 'the dictionary type has no value type', {
      field: name,
    });
  }
  if (type.typeId === Type.List || type.typeId === Type.LargeList) {
    shape = 'list';
    elementType = type.children[0]!.type as ArrowDataType;
  } else if (type.typeId === Type.FixedSizeList) {
    const listSize = (type as FixedSizeList).listSize;
    const tensor = tensorShape(arrowField, listSize);
    if (typeof tensor === 'string') {
      return unsupported(name, type, tensor);
    }
    if (listSize < 1) {
      return unsupported(name, type, 'a tensor needs at least one element per record');
    }
    shape = tensor;
    elementType = type.children[0]!.type as ArrowDataType;
  } else if (type.typeId === Type.Dictionary) {
    elementType = (type as ArrowDataType & { dictionary: ArrowDataType }).dictionary;
  }
  if (elementType.typeId === Type.Dictionary && shape !== 'scalar') {
    return unsupported(name, type, 'dictionaries are read as top-level columns only');
  }
  const element = elementOf(elementType, char);
  if (typeof element === 'string') {
    return unsupported(
      name,
      type,
      shape === 'scalar' ? element : `its elements are ${arrowTypeLabel(elementType)}; ${element}`,
    );
  }
  const candidate = {
    name,
    ...element,
    shape: shape === 'scalar' || shape === 'list' ? shape : [...shape],
    nullable: arrowField.nullable,
  };
  try {
    return parseSchema({ version: SCHEMA_VERSION, fields: [candidate] }).fields[0]!;
  } catch (error) {
    return unsupported(name, type, (error as TfstreamError).detail ?? String(error));
  }
}

/** The tfstream schema document kept in an Arrow schema's metadata, when present and valid. */
function embeddedSchema(arrowSchema: ArrowSchema): Map<string, Field> {
  const text = arrowSchema.metadata.get(SCHEMA_METADATA_KEY);
  const out = new Map<string, Field>();
  if (text === undefined) {
    return out;
  }
  try {
    for (const field of parseSchema(JSON.parse(text)).fields) {
      out.set(field.name, field);
    }
  } catch {
    // Metadata that does not parse is ignored: the Arrow types alone still describe the data.
  }
  return out;
}

/**
 * The tfstream field of each Arrow field, or the reason it has none. Where the Arrow schema
 * carries a tfstream schema (`tfstream.schema`) whose field still matches the Arrow type, that
 * field is used as written (its `description` included); otherwise the Arrow type decides.
 */
export function mapArrowFields(arrowSchema: ArrowSchema): (Field | TfstreamError)[] {
  const embedded = embeddedSchema(arrowSchema);
  return arrowSchema.fields.map((arrowField) => {
    const mapped = arrowFieldToField(arrowField);
    const declared = embedded.get(arrowField.name);
    if (
      declared !== undefined &&
      !(mapped instanceof TfstreamError) &&
      sameArrowField(fieldToArrowField(declared), arrowField)
    ) {
      return { ...declared, nullable: arrowField.nullable };
    }
    return mapped;
  });
}

function sameArrowField(expected: ArrowField, actual: ArrowField): boolean {
  if (
    arrowTypeLabel(expected.type as ArrowDataType) !== arrowTypeLabel(actual.type as ArrowDataType)
  ) {
    return false;
  }
  for (const key of [TYPE_METADATA_KEY, EXTENSION_NAME_KEY]) {
    if (expected.metadata.get(key) !== actual.metadata.get(key)) {
      return false;
    }
  }
  return true;
}

/**
 * The tfstream schema of an Arrow schema: the exact schema when the stream was written by
 * tfstream, otherwise the mapping of each Arrow type (`Utf8`, `LargeUtf8`, `Utf8View` → string;
 * `Binary`, `LargeBinary`, `BinaryView`, `FixedSizeBinary` → bytes; `Float16` → float32;
 * `DateMillisecond` → date; second-resolution `Time` and `Timestamp` → ms; any timezone → UTC
 * instants; `List`/`LargeList` → list; `FixedSizeList` → tensor, shaped by its
 * `arrow.fixed_shape_tensor` metadata; dictionaries → their value type).
 *
 * @throws TfstreamError `CODEC_UNSUPPORTED_TYPE` naming the first field that has no tfstream type
 */
export function arrowSchemaToSchema(arrowSchema: ArrowSchema): Schema {
  const fields: Field[] = [];
  for (const field of mapArrowFields(arrowSchema)) {
    if (field instanceof TfstreamError) {
      throw field;
    }
    fields.push(field);
  }
  return { version: SCHEMA_VERSION, fields };
}

/**
 * Whether a file field can be read as the caller's field: the same type, unit, precision, scale
 * and shape, except that `string` and `char` read as each other (each `char` checked) and a
 * tensor reads as any other shape with the same number of elements. Returns the reason when not.
 */
export function compatibility(file: Field, wanted: Field): string | undefined {
  const textual = (type: DataType): boolean => type === 'string' || type === 'char';
  const sameType = file.type === wanted.type || (textual(file.type) && textual(wanted.type));
  const sameParameters =
    file.unit === wanted.unit && file.precision === wanted.precision && file.scale === wanted.scale;
  const sameShape =
    file.shape === wanted.shape ||
    (isTensorShape(file.shape) &&
      isTensorShape(wanted.shape) &&
      elementCount(file.shape) === elementCount(wanted.shape));
  if (sameType && sameParameters && sameShape) {
    return undefined;
  }
  return `the Arrow stream has ${fieldLabel({ ...file, nullable: false })}, the schema says ${fieldLabel({ ...wanted, nullable: false })}`;
}
