import type { DataType } from '@tfstream/schema';
import { typeMapping } from '@tfstream/schema';

// Field numbers of the `kind` oneof of tensorflow.Feature (tensorflow/core/example/feature.proto).

/** `BytesList bytes_list = 1`. */
export const KIND_BYTES = 1;
/** `FloatList float_list = 2`. */
export const KIND_FLOAT = 2;
/** `Int64List int64_list = 3`. */
export const KIND_INT64 = 3;

/** The name of a Feature kind by its field number. */
export const KIND_NAMES: readonly string[] = ['', 'bytes_list', 'float_list', 'int64_list'];

/** The Feature kind a data type is written in, per the type table of `@tfstream/schema`. */
export function kindOf(type: DataType): number {
  switch (typeMapping(type).example.kind) {
    case 'bytes_list':
      return KIND_BYTES;
    case 'float_list':
      return KIND_FLOAT;
    case 'int64_list':
      return KIND_INT64;
  }
}
