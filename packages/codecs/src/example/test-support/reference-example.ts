// An independent tf.train.Example implementation for tests: protobufjs loads TensorFlow's own
// example.proto and feature.proto, and the type-table mapping is written out again here, by hand,
// without the codec's code.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Field, Schema, ScalarValue, Value } from '@tfstream/schema';

const here = dirname(fileURLToPath(import.meta.url));
const root = new protobuf.Root();
for (const file of ['feature.proto', 'example.proto']) {
  protobuf.parse(readFileSync(join(here, file), 'utf8'), root, { keepCase: true });
}
root.resolveAll();

/** `tensorflow.Example` as protobufjs reads it from the official .proto files. */
export const ProtoExample: protobuf.Type = root.lookupType('tensorflow.Example');

/** A Feature as a plain protobufjs object (keepCase names). */
export interface ProtoFeature {
  int64_list?: { value?: unknown[] };
  float_list?: { value?: number[] };
  bytes_list?: { value?: Uint8Array[] };
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function flatten(value: Value, out: ScalarValue[]): ScalarValue[] {
  if (Array.isArray(value)) {
    for (const item of value as Value[]) {
      flatten(item, out);
    }
  } else if (value !== null) {
    out.push(value as ScalarValue);
  }
  return out;
}

function int64Of(field: Field, value: ScalarValue): string {
  if (typeof value === 'boolean') {
    return value ? '1' : '0';
  }
  const big = BigInt(value as number | bigint);
  return String(field.type === 'uint64' ? BigInt.asIntN(64, big) : big);
}

/** The Feature TensorFlow's mapping gives a field's value (`undefined` for null: no feature). */
export function featureOf(field: Field, value: Value): ProtoFeature | undefined {
  if (value === null) {
    return undefined;
  }
  const elements = flatten(value, []);
  switch (field.type) {
    case 'float32':
      return { float_list: { value: elements as number[] } };
    case 'float64': {
      const bytes = new Uint8Array(elements.length * 8);
      const view = new DataView(bytes.buffer);
      elements.forEach((element, i) => view.setFloat64(i * 8, element as number, true));
      return { bytes_list: { value: [bytes] } };
    }
    case 'bytes':
      return { bytes_list: { value: elements as Uint8Array[] } };
    case 'string':
    case 'char':
    case 'decimal':
      return { bytes_list: { value: elements.map((element) => utf8.encode(element as string)) } };
    default:
      return {
        // Decimal strings: protobufjs reads them into 64-bit Longs without loss.
        int64_list: { value: elements.map((element) => int64Of(field, element)) },
      };
  }
}

/** A row as a protobufjs Example object, features in schema order. */
export function exampleObjectOf(schema: Schema, row: Record<string, Value>): object {
  const feature: Record<string, ProtoFeature> = {};
  for (const field of schema.fields) {
    const value = featureOf(field, row[field.name] ?? null);
    if (value !== undefined) {
      feature[field.name] = value;
    }
  }
  return { features: { feature } };
}

function elementOf(field: Field, feature: ProtoFeature): ScalarValue[] {
  switch (field.type) {
    case 'float32':
      return feature.float_list?.value ?? [];
    case 'float64': {
      const out: number[] = [];
      for (const bytes of feature.bytes_list?.value ?? []) {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < bytes.length; i += 8) {
          out.push(view.getFloat64(i, true));
        }
      }
      return out;
    }
    case 'bytes':
      return (feature.bytes_list?.value ?? []).map((bytes) => Uint8Array.from(bytes));
    case 'string':
    case 'char':
    case 'decimal':
      return (feature.bytes_list?.value ?? []).map((bytes) => utf8Decoder.decode(bytes));
    default:
      return (feature.int64_list?.value ?? []).map((long) => {
        const big = BigInt(String(long));
        switch (field.type) {
          case 'bool':
            return big === 1n;
          case 'int64':
          case 'time':
          case 'timestamp':
            return big;
          case 'uint64':
            return BigInt.asUintN(64, big);
          default:
            return Number(big);
        }
      });
  }
}

function nest(elements: ScalarValue[], shape: readonly number[], depth: number, at: number): Value {
  if (depth === shape.length) {
    return elements[at]!;
  }
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) {
    stride *= shape[d]!;
  }
  return Array.from({ length: shape[depth]! }, (_, i) =>
    nest(elements, shape, depth + 1, at + i * stride),
  );
}

/** A decoded protobufjs Example object back as a row, by the same mapping. */
export function rowOf(
  schema: Schema,
  example: { features?: { feature?: object } },
): Record<string, Value> {
  const features = (example.features?.feature ?? {}) as Record<string, ProtoFeature>;
  const row: Record<string, Value> = {};
  for (const field of schema.fields) {
    const feature = features[field.name];
    if (
      feature === undefined ||
      (feature.int64_list === undefined &&
        feature.float_list === undefined &&
        feature.bytes_list === undefined)
    ) {
      row[field.name] = null;
      continue;
    }
    const elements = elementOf(field, feature);
    row[field.name] =
      field.shape === 'scalar'
        ? elements[0]!
        : field.shape === 'list'
          ? elements
          : nest(elements, field.shape, 0, 0);
  }
  return row;
}
