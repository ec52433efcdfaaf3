import { TfstreamError } from './errors.js';
import type { DataType, Field, Schema, Shape, TimeUnit } from './types.js';
import { DATA_TYPES, SCHEMA_VERSION, TIME_UNITS } from './types.js';

/** Largest number of elements a fixed-shape field may declare per record. */
export const MAX_TENSOR_ELEMENTS = 1 << 26;

/** What a field looks like in a schema document; every part but `name` and `type` is optional. */
export interface FieldJson {
  name: string;
  type: DataType;
  /** `"scalar"` (the default), `"list"`, or a tensor shape such as `[28, 28]`. */
  shape?: 'scalar' | 'list' | number[];
  /** Defaults to `false`. */
  nullable?: boolean;
  unit?: TimeUnit;
  precision?: number;
  scale?: number;
  description?: string;
}

/** A schema document as stored in `schema.json` files and job documents. */
export interface SchemaJson {
  $schema?: string;
  version?: number;
  fields: FieldJson[];
}

function invalid(detail: string, source: string | undefined, field?: string): TfstreamError {
  return new TfstreamError('SCHEMA_INVALID', detail, {
    ...(source === undefined ? {} : { file: source }),
    ...(field === undefined ? {} : { field }),
  });
}

/**
 * Validates a schema document and returns the schema with every default filled in.
 *
 * @param json - the parsed document (an object with `fields`, or a bare array of fields)
 * @param source - file name for error messages
 * @throws TfstreamError `SCHEMA_INVALID` naming the field and what is wrong with it
 *
 * @example
 * ```ts
 * const schema = parseSchema({ version: 1, fields: [{ name: 'age', type: 'int16' }] });
 * ```
 */
export function parseSchema(json: unknown, source?: string): Schema {
  const doc = Array.isArray(json) ? { fields: json } : json;
  if (typeof doc !== 'object' || doc === null) {
    throw invalid('a schema must be an object with a "fields" array', source);
  }
  const { version, fields } = doc as { version?: unknown; fields?: unknown };
  if (version !== undefined && version !== SCHEMA_VERSION) {
    throw invalid(
      `unsupported schema version ${JSON.stringify(version)}; this tfstream reads version ${SCHEMA_VERSION}`,
      source,
    );
  }
  if (!Array.isArray(fields)) {
    throw invalid('a schema must have a "fields" array', source);
  }
  const seen = new Set<string>();
  const parsed = fields.map((raw: unknown, index: number) => {
    const field = parseField(raw, index, source);
    if (seen.has(field.name)) {
      throw invalid('the name is used by more than one field', source, field.name);
    }
    seen.add(field.name);
    return field;
  });
  return { version: SCHEMA_VERSION, fields: parsed };
}

/** Builds a schema from fields given in code, with the same checks and defaults as {@link parseSchema}. */
export function defineSchema(fields: readonly FieldJson[]): Schema {
  return parseSchema({ version: SCHEMA_VERSION, fields });
}

const FIELD_KEYS = new Set([
  'name',
  'type',
  'shape',
  'nullable',
  'unit',
  'precision',
  'scale',
  'description',
]);

function parseField(raw: unknown, index: number, source: string | undefined): Field {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(`fields[${index}] must be an object with "name" and "type"`, source);
  }
  const f = raw as Record<string, unknown>;
  const name = f.name;
  if (typeof name !== 'string' || name === '') {
    throw invalid(`fields[${index}] needs a non-empty "name"`, source);
  }
  for (const key of Object.keys(f)) {
    if (!FIELD_KEYS.has(key)) {
      throw invalid(
        `unknown property "${key}"; a field has ${[...FIELD_KEYS].join(', ')}`,
        source,
        name,
      );
    }
  }
  const type = f.type;
  if (typeof type !== 'string' || !(DATA_TYPES as readonly string[]).includes(type)) {
    throw invalid(
      `unknown type ${JSON.stringify(type)}; use one of ${DATA_TYPES.join(', ')}`,
      source,
      name,
    );
  }
  const dataType = type as DataType;
  const out: { -readonly [K in keyof Field]: Field[K] } = {
    name,
    type: dataType,
    shape: parseShape(f.shape, source, name),
    nullable: parseNullable(f.nullable, source, name),
  };
  if (dataType === 'time' || dataType === 'timestamp') {
    const unit = f.unit ?? 'ms';
    if (typeof unit !== 'string' || !(TIME_UNITS as readonly string[]).includes(unit)) {
      throw invalid(`unit must be one of ${TIME_UNITS.join(', ')}`, source, name);
    }
    out.unit = unit as TimeUnit;
  } else if (f.unit !== undefined) {
    throw invalid(`"unit" applies to time and timestamp fields only`, source, name);
  }
  if (dataType === 'decimal') {
    const precision = f.precision;
    const scale = f.scale ?? 0;
    if (
      typeof precision !== 'number' ||
      !Number.isInteger(precision) ||
      precision < 1 ||
      precision > 76
    ) {
      throw invalid('a decimal field needs "precision", a whole number from 1 to 76', source, name);
    }
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw invalid(
        `"scale" must be a whole number from 0 to the precision (${precision})`,
        source,
        name,
      );
    }
    out.precision = precision;
    out.scale = scale;
  } else if (f.precision !== undefined || f.scale !== undefined) {
    throw invalid(`"precision" and "scale" apply to decimal fields only`, source, name);
  }
  if (f.description !== undefined) {
    if (typeof f.description !== 'string') {
      throw invalid('"description" must be a string', source, name);
    }
    out.description = f.description;
  }
  return out;
}

function parseNullable(value: unknown, source: string | undefined, name: string): boolean {
  if (value === undefined) {
    return false;
  }
  if (typeof value !== 'boolean') {
    throw invalid('"nullable" must be true or false', source, name);
  }
  return value;
}

function parseShape(value: unknown, source: string | undefined, name: string): Shape {
  if (value === undefined || value === 'scalar') {
    return 'scalar';
  }
  if (value === 'list') {
    return 'list';
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return 'scalar';
    }
    let count = 1;
    for (const dim of value) {
      if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) {
        throw invalid(
          `shape ${JSON.stringify(value)} must list positive whole numbers; use "list" for a variable length`,
          source,
          name,
        );
      }
      count *= dim;
    }
    if (count > MAX_TENSOR_ELEMENTS) {
      throw invalid(
        `shape ${JSON.stringify(value)} has ${count} elements, more than the limit of ${MAX_TENSOR_ELEMENTS}`,
        source,
        name,
      );
    }
    return Object.freeze([...(value as number[])]);
  }
  throw invalid(
    `shape must be "scalar", "list" or an array of dimensions such as [28, 28]`,
    source,
    name,
  );
}

/** The schema as a document, with defaults left out so that it reads well. */
export function schemaToJson(schema: Schema): SchemaJson {
  return {
    version: SCHEMA_VERSION,
    fields: schema.fields.map((field) => {
      const out: FieldJson = { name: field.name, type: field.type };
      if (field.shape !== 'scalar') {
        out.shape = field.shape === 'list' ? 'list' : [...field.shape];
      }
      if (field.nullable) {
        out.nullable = true;
      }
      if (field.unit !== undefined) {
        out.unit = field.unit;
      }
      if (field.precision !== undefined) {
        out.precision = field.precision;
        out.scale = field.scale ?? 0;
      }
      if (field.description !== undefined) {
        out.description = field.description;
      }
      return out;
    }),
  };
}

/** Index of a field by name, or -1. */
export function fieldIndex(schema: Schema, name: string): number {
  return schema.fields.findIndex((field) => field.name === name);
}
