// The type lattice of inference. A TypeAccumulator summarises every value class it was given
// (counts per family, the integer range, the finest time unit, ...) and resolves the summary to
// the narrowest type that holds all of them. The summary is order-free, so the resolved type
// never depends on the order of the records, and only ever widens as values are added.
import type { DataType, IntegerType, TimeUnit } from '../types.js';
import { INTEGER_RANGES, TIME_UNITS, isIntegerType, typeLabel } from '../types.js';
import type { ValueClass } from './classify.js';

/** The element type parameters that inference decides. */
export interface ResolvedType {
  readonly type: DataType;
  readonly unit?: TimeUnit;
  readonly precision?: number;
  readonly scale?: number;
}

/** Groups of types that widen into each other; values of different families meet at `string`. */
export type TypeFamily = 'bool' | 'number' | 'temporal' | 'time' | 'string' | 'bytes';

/** The family of a data type. */
export function typeFamily(type: DataType): TypeFamily {
  switch (type) {
    case 'bool':
      return 'bool';
    case 'string':
    case 'char':
      return 'string';
    case 'bytes':
      return 'bytes';
    case 'date':
    case 'timestamp':
      return 'temporal';
    case 'time':
      return 'time';
    default:
      return 'number';
  }
}

/** Integer types tried for untyped integers (text, JSON), narrowest first. */
const UNTYPED_INTEGERS: readonly IntegerType[] = ['int32', 'int64', 'uint64'];
/** Integer types tried when only declared integer types were seen, narrowest first. */
const ALL_INTEGERS: readonly IntegerType[] = [
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
];
/** Decimal128's precision: the precision given to inferred integer decimals that fit it. */
const DECIMAL128_PRECISION = 38;
const MAX_DECIMAL_PRECISION = 76;

function finer(a: TimeUnit | undefined, b: TimeUnit): TimeUnit {
  return a === undefined || TIME_UNITS.indexOf(b) > TIME_UNITS.indexOf(a) ? b : a;
}

function digitCount(value: bigint): number {
  return (value < 0n ? -value : value).toString().length;
}

type Tally = TypeFamily | 'numstr' | 'opaque';

function classFamily(cls: ValueClass): Tally {
  switch (cls.kind) {
    case 'int':
    case 'float':
      return 'number';
    case 'date':
    case 'timestamp':
      return 'temporal';
    case 'typed':
      return typeFamily(cls.type);
    default:
      return cls.kind;
  }
}

const [INT32_MIN, INT32_MAX] = INTEGER_RANGES.int32;
const [INT64_MIN, INT64_MAX] = INTEGER_RANGES.int64;
const UINT64_MAX = INTEGER_RANGES.uint64[1];

/**
 * What of an integer the resolved type depends on: its sign, the narrowest of int32, int64 and
 * uint64 that holds it, and its digit count (for decimals). Two integers with the same key
 * resolve alike, so the range of a field need only be resolved again when a key changes.
 */
function integerKey(v: bigint): number {
  const range =
    v >= INT32_MIN && v <= INT32_MAX
      ? 0
      : v >= INT64_MIN && v <= INT64_MAX
        ? 1
        : v >= 0n && v <= UINT64_MAX
          ? 2
          : 3;
  return (v < 0n ? 4 : 0) + range * 10 + digitCount(v) * 100;
}

/** Summary of the values of one field (or of the elements of its lists). */
export class TypeAccumulator {
  /** Values added, including numeric JSON strings and opaque values. */
  total = 0;
  private readonly counts: Record<Tally, number> = {
    bool: 0,
    number: 0,
    temporal: 0,
    time: 0,
    string: 0,
    bytes: 0,
    numstr: 0,
    opaque: 0,
  };
  private chars = 0;
  private intMin: bigint | undefined;
  private intMax: bigint | undefined;
  private numstrMin: bigint | undefined;
  private numstrMax: bigint | undefined;
  private numstrFloat = false;
  private float32 = false;
  private float64 = false;
  private readonly declaredInts = new Set<IntegerType>();
  private decimalIntDigits = -1;
  private decimalScale = -1;
  private hasDate = false;
  private timestampUnit: TimeUnit | undefined;
  private timeUnit: TimeUnit | undefined;

  /**
   * Changes whenever the summary changes in a way that can change {@link resolve}'s result, so
   * that callers resolve again only then (a new family, a wider integer range, a finer unit, ...).
   */
  version = 0;
  private intMinKey = -1;
  private intMaxKey = -1;
  private numstrMinKey = -1;
  private numstrMaxKey = -1;

  /** Adds `count` values of class `cls`. */
  add(cls: ValueClass, count = 1): void {
    if (count <= 0) {
      return;
    }
    this.total += count;
    const family = classFamily(cls);
    if (this.counts[family] === 0) {
      this.version++;
    }
    const isChar = cls.kind === 'typed' && cls.type === 'char';
    if (family === 'string' && !isChar && this.chars > 0 && this.chars === this.counts.string) {
      this.version++; // a char field that now holds a longer string
    }
    this.counts[family] += count;
    switch (cls.kind) {
      case 'int':
        this.addInt(cls.value);
        break;
      case 'float':
        this.setFloat64();
        break;
      case 'numstr':
        if (cls.number.kind === 'int') {
          this.addNumstrInt(cls.number.value);
        } else if (!this.numstrFloat) {
          this.numstrFloat = true;
          this.version++;
        }
        break;
      case 'date':
        this.setDate();
        break;
      case 'timestamp':
        this.setTimestampUnit(cls.unit);
        break;
      case 'time':
        this.setTimeUnit(cls.unit);
        break;
      case 'typed':
        this.addTyped(cls, count);
        break;
      case 'bool':
      case 'string':
      case 'opaque':
        break;
    }
  }

  private addInt(v: bigint): void {
    if (this.intMin === undefined || v < this.intMin) {
      this.intMin = v;
      this.version += this.intMinKey === (this.intMinKey = integerKey(v)) ? 0 : 1;
    }
    if (this.intMax === undefined || v > this.intMax) {
      this.intMax = v;
      this.version += this.intMaxKey === (this.intMaxKey = integerKey(v)) ? 0 : 1;
    }
  }

  private addNumstrInt(v: bigint): void {
    if (this.numstrMin === undefined || v < this.numstrMin) {
      this.numstrMin = v;
      this.version += this.numstrMinKey === (this.numstrMinKey = integerKey(v)) ? 0 : 1;
    }
    if (this.numstrMax === undefined || v > this.numstrMax) {
      this.numstrMax = v;
      this.version += this.numstrMaxKey === (this.numstrMaxKey = integerKey(v)) ? 0 : 1;
    }
  }

  private setFloat64(): void {
    if (!this.float64) {
      this.float64 = true;
      this.version++;
    }
  }

  private setDate(): void {
    if (!this.hasDate) {
      this.hasDate = true;
      this.version++;
    }
  }

  private setTimestampUnit(unit: TimeUnit): void {
    const next = finer(this.timestampUnit, unit);
    if (next !== this.timestampUnit) {
      this.timestampUnit = next;
      this.version++;
    }
  }

  private setTimeUnit(unit: TimeUnit): void {
    const next = finer(this.timeUnit, unit);
    if (next !== this.timeUnit) {
      this.timeUnit = next;
      this.version++;
    }
  }

  private addTyped(cls: Extract<ValueClass, { kind: 'typed' }>, count: number): void {
    const type = cls.type;
    switch (type) {
      case 'char':
        this.chars += count;
        break;
      case 'float32':
        if (!this.float32) {
          this.float32 = true;
          this.version++;
        }
        break;
      case 'float64':
        this.setFloat64();
        break;
      case 'decimal': {
        const precision = cls.precision ?? DECIMAL128_PRECISION;
        const scale = cls.scale ?? 0;
        if (precision - scale > this.decimalIntDigits || scale > this.decimalScale) {
          this.decimalIntDigits = Math.max(this.decimalIntDigits, precision - scale);
          this.decimalScale = Math.max(this.decimalScale, scale);
          this.version++;
        }
        break;
      }
      case 'date':
        this.setDate();
        break;
      case 'timestamp':
        this.setTimestampUnit(cls.unit ?? 'ms');
        break;
      case 'time':
        this.setTimeUnit(cls.unit ?? 'ms');
        break;
      default:
        if (isIntegerType(type) && !this.declaredInts.has(type)) {
          this.declaredInts.add(type);
          this.version++;
        }
    }
  }

  /** Whether numeric JSON strings count as numbers: only beside JSON numbers and nothing else. */
  private numstrIsNumber(): boolean {
    const c = this.counts;
    return (
      c.numstr > 0 &&
      c.number > 0 &&
      c.bool + c.temporal + c.time + c.string + c.bytes + c.opaque === 0
    );
  }

  /** The narrowest type that holds every value added, or undefined when none was. */
  resolve(): ResolvedType | undefined {
    const c = this.counts;
    const families = new Set<TypeFamily>();
    for (const family of ['bool', 'number', 'temporal', 'time', 'string', 'bytes'] as const) {
      if (c[family] > 0) {
        families.add(family);
      }
    }
    const numstrIsNumber = this.numstrIsNumber();
    if ((c.numstr > 0 && !numstrIsNumber) || c.opaque > 0) {
      families.add('string');
    }
    if (families.size === 0) {
      return undefined;
    }
    if (families.size > 1) {
      // Bytes hold any string; everything else meets at string.
      const onlyText = [...families].every((f) => f === 'string' || f === 'bytes');
      return { type: onlyText ? 'bytes' : 'string' };
    }
    const family = [...families][0]!;
    switch (family) {
      case 'bool':
        return { type: 'bool' };
      case 'bytes':
        return { type: 'bytes' };
      case 'string':
        return { type: this.chars === c.string && c.numstr + c.opaque === 0 ? 'char' : 'string' };
      case 'time':
        return { type: 'time', unit: this.timeUnit ?? 'ms' };
      case 'temporal':
        return this.timestampUnit === undefined
          ? { type: 'date' }
          : { type: 'timestamp', unit: this.timestampUnit };
      case 'number':
        return this.resolveNumber(numstrIsNumber);
    }
  }

  private resolveNumber(withNumstr: boolean): ResolvedType {
    let lo = this.intMin;
    let hi = this.intMax;
    if (withNumstr && this.numstrMin !== undefined && this.numstrMax !== undefined) {
      lo = lo === undefined || this.numstrMin < lo ? this.numstrMin : lo;
      hi = hi === undefined || this.numstrMax > hi ? this.numstrMax : hi;
    }
    const float64 = this.float64 || (withNumstr && this.numstrFloat);
    const hasDecimal = this.decimalScale >= 0;
    if (float64 || this.float32) {
      const onlyFloat32 =
        this.float32 && !float64 && lo === undefined && this.declaredInts.size === 0 && !hasDecimal;
      return { type: onlyFloat32 ? 'float32' : 'float64' };
    }
    let digits = 0;
    for (const type of this.declaredInts) {
      const [min, max] = INTEGER_RANGES[type];
      digits = Math.max(digits, digitCount(min), digitCount(max));
    }
    if (lo !== undefined && hi !== undefined) {
      digits = Math.max(digits, digitCount(lo), digitCount(hi));
    }
    if (hasDecimal) {
      const precision = Math.max(this.decimalIntDigits, digits) + this.decimalScale;
      return precision > MAX_DECIMAL_PRECISION
        ? { type: 'float64' }
        : { type: 'decimal', precision, scale: this.decimalScale };
    }
    const candidates = lo === undefined ? ALL_INTEGERS : UNTYPED_INTEGERS;
    for (const candidate of candidates) {
      const [min, max] = INTEGER_RANGES[candidate];
      const holdsValues = lo === undefined || hi === undefined || (lo >= min && hi <= max);
      const holdsDeclared = [...this.declaredInts].every(
        (type) => INTEGER_RANGES[type][0] >= min && INTEGER_RANGES[type][1] <= max,
      );
      if (holdsValues && holdsDeclared) {
        return { type: candidate };
      }
    }
    return {
      type: 'decimal',
      precision: digits <= DECIMAL128_PRECISION ? DECIMAL128_PRECISION : MAX_DECIMAL_PRECISION,
      scale: 0,
    };
  }

  /** How many of the values added are native to `type` (see `FieldInference.confidence`). */
  native(type: DataType): number {
    const c = this.counts;
    switch (typeFamily(type)) {
      case 'string':
        return c.string + c.numstr;
      case 'bytes':
        return c.bytes + c.string;
      case 'number':
        return c.number + c.numstr;
      case 'bool':
        return c.bool;
      case 'temporal':
        return c.temporal;
      case 'time':
        return c.time;
    }
  }
}

/** The label of a resolved type, e.g. `timestamp[us]`; `null` when nothing was resolved. */
export function resolvedLabel(resolved: ResolvedType | undefined): string {
  return resolved === undefined ? 'null' : typeLabel(resolved);
}
