// fast-check arbitraries shared by every codec's property tests: random schemas and rows that
// cover each type's edge values (NaN, -0, ±Infinity, int64/uint64 extremes, empty and astral
// strings, empty lists, nulls).
import fc from 'fast-check';
import type { DataType, Field, ScalarValue, Schema, Value } from '@tfstream/schema';
import {
  DATA_TYPES,
  INTEGER_RANGES,
  TIME_UNITS,
  defineSchema,
  isIntegerType,
  unitsPerSecond,
} from '@tfstream/schema';
import type { FieldJson } from '@tfstream/schema';

const TRICKY_STRINGS = [
  '',
  '\uFEFF',
  '\uFEFFbom',
  ' ',
  '"',
  '""',
  ',',
  '\n',
  '\r\n',
  'a,b',
  'say "hi"',
  '😀',
  '𝄞 music',
  'null',
  'NaN',
  '[1,2]',
  '\u0000',
  'ü€',
];

/** Strings: any code points (astral included, lone surrogates excluded) plus CSV/JSON troublemakers. */
export const arbString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(...TRICKY_STRINGS),
);

/** A field description with random type parameters, shape and nullability. */
export function arbFieldJson(
  name: string,
  types: readonly DataType[] = DATA_TYPES,
): fc.Arbitrary<FieldJson> {
  return fc
    .record({
      type: fc.constantFrom(...types),
      shape: fc.oneof(
        { weight: 5, arbitrary: fc.constant<'scalar'>('scalar') },
        { weight: 2, arbitrary: fc.constant<'list'>('list') },
        { weight: 1, arbitrary: fc.constantFrom([1], [3], [2, 3], [2, 1, 2]) },
      ),
      nullable: fc.boolean(),
      unit: fc.constantFrom(...TIME_UNITS),
      precision: fc.integer({ min: 1, max: 38 }),
      scaleRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ type, shape, nullable, unit, precision, scaleRatio }) => {
      const field: FieldJson = {
        name,
        type,
        shape: typeof shape === 'string' ? shape : [...shape],
        nullable,
      };
      if (type === 'time' || type === 'timestamp') {
        field.unit = unit;
      }
      if (type === 'decimal') {
        field.precision = precision;
        field.scale = Math.floor(scaleRatio * precision);
      }
      return field;
    });
}

/** A schema of 1 to `maxFields` fields of the given types. */
export function arbSchema(
  options: { types?: readonly DataType[]; maxFields?: number } = {},
): fc.Arbitrary<Schema> {
  const maxFields = options.maxFields ?? 5;
  return fc
    .integer({ min: 1, max: maxFields })
    .chain((count) =>
      fc.tuple(...Array.from({ length: count }, (_, i) => arbFieldJson(`f${i}`, options.types))),
    )
    .map((fields) => defineSchema(fields));
}

/** One element value of a field's type, in canonical logical form. */
export function arbElement(field: Field): fc.Arbitrary<ScalarValue> {
  const type = field.type;
  switch (type) {
    case 'string':
      return arbString;
    case 'char':
      return fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        fc.constantFrom('"', ',', '\n', '😀'),
      );
    case 'bytes':
      return fc.uint8Array({ maxLength: 16 });
    case 'bool':
      return fc.boolean();
    case 'float32':
      return fc.float();
    case 'float64':
      return fc.double();
    case 'date':
      return fc.oneof(
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: -800000, max: 3000000 }),
        fc.constant(0),
      );
    case 'time': {
      const max = 86400n * unitsPerSecond(field.unit ?? 'ms') - 1n;
      return fc.oneof(fc.bigInt({ min: 0n, max }), fc.constantFrom(0n, max));
    }
    case 'timestamp': {
      const [min, max] = INTEGER_RANGES.int64;
      return fc.oneof(fc.bigInt({ min, max }), fc.constantFrom(min, max, 0n, -1n));
    }
    case 'decimal': {
      const precision = field.precision ?? 38;
      const scale = field.scale ?? 0;
      const limit = 10n ** BigInt(precision) - 1n;
      return fc
        .oneof(fc.bigInt({ min: -limit, max: limit }), fc.constantFrom(limit, -limit, 0n))
        .map((unscaled) => formatUnscaled(unscaled, scale));
    }
    default: {
      if (!isIntegerType(type)) {
        throw new Error(`no arbitrary for ${type}`);
      }
      const [min, max] = INTEGER_RANGES[type];
      const extremes = fc.constantFrom(min, max, 0n, min === 0n ? 1n : -1n);
      const any = fc.oneof(fc.bigInt({ min, max }), extremes);
      return type === 'int64' || type === 'uint64' ? any : any.map((n) => Number(n));
    }
  }
}

function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text =
    scale === 0
      ? digits
      : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative && unscaled !== 0n ? `-${text}` : text;
}

/** One record's value of a field: null (when nullable), an element, a list, or a nested tensor. */
export function arbValue(field: Field): fc.Arbitrary<Value> {
  const element = arbElement(field);
  let value: fc.Arbitrary<Value>;
  if (field.shape === 'scalar') {
    value = element;
  } else if (field.shape === 'list') {
    value = fc.array(element, { maxLength: 5 });
  } else {
    value = arbTensor(element, field.shape, 0);
  }
  return field.nullable ? fc.option(value, { nil: null, freq: 4 }) : value;
}

function arbTensor(
  element: fc.Arbitrary<ScalarValue>,
  shape: readonly number[],
  depth: number,
): fc.Arbitrary<Value> {
  if (depth === shape.length) {
    return element;
  }
  const dim = shape[depth]!;
  return fc.array(arbTensor(element, shape, depth + 1), { minLength: dim, maxLength: dim });
}

/** Rows (plain objects keyed by field name) for a schema. */
export function arbRows(schema: Schema, maxRows = 8): fc.Arbitrary<Record<string, Value>[]> {
  const row = fc.record(
    Object.fromEntries(schema.fields.map((field) => [field.name, arbValue(field)])),
  );
  return fc.array(row, { minLength: 0, maxLength: maxRows }) as fc.Arbitrary<
    Record<string, Value>[]
  >;
}

/** A schema with rows for it. */
export function arbSchemaWithRows(
  options: { types?: readonly DataType[]; maxFields?: number; maxRows?: number } = {},
): fc.Arbitrary<{ schema: Schema; rows: Record<string, Value>[] }> {
  return arbSchema(options).chain((schema) =>
    arbRows(schema, options.maxRows).map((rows) => ({ schema, rows })),
  );
}

/**
 * Whether two values are the same to the bit: `Object.is` for numbers (NaN equals NaN, -0 differs
 * from 0), byte-wise for bytes, element-wise for arrays. Returns a path to the first difference.
 */
export function valueDifference(actual: unknown, expected: unknown, path = ''): string | undefined {
  if (expected instanceof Uint8Array) {
    if (
      !(actual instanceof Uint8Array) ||
      actual.length !== expected.length ||
      actual.some((b, i) => b !== expected[i])
    ) {
      return `${path}: ${String(actual)} !== bytes ${String(expected)}`;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path}: ${JSON.stringify(actual, big)} !== ${JSON.stringify(expected, big)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const diff = valueDifference(actual[i], expected[i], `${path}[${i}]`);
      if (diff !== undefined) {
        return diff;
      }
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    const keys = new Set([
      ...Object.keys(expected),
      ...Object.keys((actual as object | null) ?? {}),
    ]);
    for (const key of keys) {
      const diff = valueDifference(
        (actual as Record<string, unknown>)?.[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (diff !== undefined) {
        return diff;
      }
    }
    return undefined;
  }
  return Object.is(actual, expected)
    ? undefined
    : `${path}: ${String(actual)} (${typeof actual}) !== ${String(expected)} (${typeof expected})`;
}

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** Throws with the first difference when rows differ (see {@link valueDifference}). */
export function assertSameRows(actual: readonly unknown[], expected: readonly unknown[]): void {
  const diff = valueDifference(actual, expected, 'rows');
  if (diff !== undefined) {
    throw new Error(`rows differ at ${diff}`);
  }
}
