import type { DataType, ScalarValue, Shape, TimeUnit } from '../types.js';

/**
 * One field's value in one sample record, as a format's reader saw it, before any schema exists.
 * - `null`: no value (an empty unquoted CSV cell, JSON null or absent key, an absent or empty
 *   tf.Example feature, an Arrow null);
 * - `text`: a CSV cell; its text may be a JSON array (a list or tensor cell);
 * - `json`: a JSON value as `JSON.parse` returns it;
 * - `typed`: values whose type the format declares (tf.Example's int64, float32 and bytes lists,
 *   Arrow's types): `values` are the elements of this record, `shape` is set when the format
 *   declares it (Arrow), otherwise inferred from the element counts.
 */
export type SampleCell =
  | null
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'json'; readonly value: unknown }
  | {
      readonly kind: 'typed';
      readonly type: DataType;
      readonly values: readonly ScalarValue[];
      readonly shape?: Shape;
      readonly unit?: TimeUnit;
      readonly precision?: number;
      readonly scale?: number;
    };

/** One sample record: field name to cell, in the order the format lists fields. */
export type SampleRecord = ReadonlyMap<string, SampleCell>;
