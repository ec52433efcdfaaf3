import { TfstreamError } from '../errors.js';
import type { DataType, Field, Schema, ScalarValue, Shape } from '../types.js';
import { SCHEMA_VERSION, isTensorShape } from '../types.js';
import { formatFloat32 } from '../values/text-forms.js';
import type { ValueClass } from './classify.js';
import {
  arrayDims,
  classifyJsonScalar,
  classifyText,
  classifyTyped,
  flatten,
  isValidUtf8,
  previewSample,
  sameDims,
  typedDims,
} from './classify.js';
import type { SampleCell, SampleRecord } from './sample.js';
import type { ResolvedType } from './type-lattice.js';
import { TypeAccumulator, resolvedLabel } from './type-lattice.js';

/** One value that made inference widen a field's type or shape. */
export interface FieldConflict {
  /** A short preview of the value: strings quoted, arrays and objects as shortened JSON. */
  readonly value: string;
  /** 1-based number of the sample record that held it. */
  readonly record: number;
  /** The field's type before this value, with its shape, e.g. `int32`, `float64[3]`; `null` if none. */
  readonly from: string;
  /** The field's type after this value, e.g. `string`, `int64[]`. */
  readonly to: string;
}

/** What inference found out about one field, for the studio's schema wizard. */
export interface FieldInference {
  readonly name: string;
  /** The inferred field. */
  readonly field: Field;
  /**
   * From 0 to 1: the share of the field's non-null values (list elements, for lists) that are
   * native to the inferred type, i.e. of its family (numbers, date/timestamp, time, bool, string,
   * bytes). 99 integers and one `"abc"` give `string` with confidence 0.01. 0 for a field that
   * held no value at all.
   */
  readonly confidence: number;
  /** Records in which the field had a value. */
  readonly count: number;
  /** Records in which the field was null or absent. */
  readonly nullCount: number;
  /** The values that forced each widening, first ones first, at most `maxConflicts`. */
  readonly conflicts: readonly FieldConflict[];
  /** A few distinct sample values, previewed as in {@link FieldConflict.value}. */
  readonly examples?: readonly string[];
}

/**
 * The result of inference: the schema and, per field, the evidence for it. Plain JSON data (no
 * bigint, no class instances), so that it can be sent to the studio as it is.
 */
export interface InferredSchema {
  readonly schema: Schema;
  /** One entry per schema field, in the same order. */
  readonly fields: readonly FieldInference[];
  /** Sample records observed. */
  readonly records: number;
}

/** Options of {@link SchemaInferrer}. */
export interface SchemaInferrerOptions {
  /** Conflicts kept per field; default 5. */
  readonly maxConflicts?: number;
  /** Example values kept per field; default 3. */
  readonly maxExamples?: number;
  /** File name or label for error messages. */
  readonly source?: string;
}

/** Options of {@link inferSchema}. */
export interface InferOptions extends SchemaInferrerOptions {
  /** Records to observe at most; default all. */
  readonly limit?: number;
}

const DEFAULT_MAX_CONFLICTS = 5;
const DEFAULT_MAX_EXAMPLES = 3;
/** Cells looked at for distinct examples, so that a constant column costs nothing. */
const EXAMPLE_CELLS = 20;

type Dims = readonly number[] | 'varying' | 'irregular';

interface ResolvedField extends ResolvedType {
  readonly shape: Shape;
  /** Set when the type is `string` because scalar and list cells were mixed. */
  readonly collapsed: boolean;
}

function shapeSuffix(shape: Shape): string {
  return shape === 'scalar' ? '' : shape === 'list' ? '[]' : `[${shape.join(',')}]`;
}

function fieldTypeLabel(resolved: ResolvedField | undefined): string {
  return resolved === undefined ? 'null' : resolvedLabel(resolved) + shapeSuffix(resolved.shape);
}

function joinDims(current: Dims | undefined, dims: readonly number[]): Dims {
  if (current === undefined) {
    return dims;
  }
  if (current === 'irregular') {
    return current;
  }
  if (current === 'varying') {
    return dims.length === 1 ? current : 'irregular';
  }
  if (sameDims(current, dims)) {
    return current;
  }
  return current.length === 1 && dims.length === 1 ? 'varying' : 'irregular';
}

/** One typed value as the studio shows it: float32 in its shortest form, UTF-8 bytes as text. */
function typedPreview(type: DataType, value: ScalarValue): string {
  if (type === 'float32' && typeof value === 'number') {
    return formatFloat32(value);
  }
  if (value instanceof Uint8Array && isValidUtf8(value)) {
    return previewSample(new TextDecoder('utf-8', { ignoreBOM: true }).decode(value));
  }
  return previewSample(value);
}

function cellPreview(cell: Exclude<SampleCell, null>): string {
  switch (cell.kind) {
    case 'text':
      return previewSample(cell.text);
    case 'json':
      return previewSample(cell.value);
    case 'typed': {
      if (cell.values.length === 1) {
        return typedPreview(cell.type, cell.values[0]!);
      }
      const shown = cell.values.slice(0, 8).map((value) => typedPreview(cell.type, value));
      const text = `[${shown.join(',')}${cell.values.length > 8 ? ',…' : ''}]`;
      return text.length > 40 ? `${text.slice(0, 40)}…` : text;
    }
  }
}

function parseArrayText(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) {
    return text;
  }
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/**
 * Inference state of one field. The field's label (type and shape) is resolved again only when
 * the summary behind it changed, which is rare after the first records, so a cell costs a
 * classification and a few comparisons.
 */
class FieldState {
  count = 0;
  private scalarCells = 0;
  private arrayCells = 0;
  private typedCells = 0;
  private readonly scalar = new TypeAccumulator();
  private readonly element = new TypeAccumulator();
  private dims: Dims | undefined;
  private declaredList = false;
  private declaredTensor = false;
  /** Bumped when anything behind the shape changes. */
  private shapeVersion = 0;
  private label: string | undefined;
  private elementLabel: string | undefined;
  private elementLabelVersion = -1;
  private examineCells = 0;
  /** During observe(): the element type before the cell, and the value that changed it. */
  private elementBefore: string | undefined;
  private culprit: string | undefined;
  readonly conflicts: FieldConflict[] = [];
  readonly examples: string[] = [];

  constructor(
    readonly name: string,
    private readonly maxConflicts: number,
    private readonly maxExamples: number,
  ) {}

  private version(): number {
    return this.scalar.version + this.element.version + this.shapeVersion;
  }

  /** The element type's label, resolved again only when the element summary changed. */
  private currentElementLabel(): string {
    if (this.elementLabelVersion !== this.element.version) {
      this.elementLabel = resolvedLabel(this.element.resolve());
      this.elementLabelVersion = this.element.version;
    }
    return this.elementLabel!;
  }

  observe(cell: Exclude<SampleCell, null>, record: number): void {
    this.count++;
    const before = this.label;
    const versionBefore = this.version();
    // The element type before this cell, to tell which of its values changed it.
    this.elementBefore = this.element.total > 0 ? this.currentElementLabel() : undefined;
    this.culprit = undefined;
    let opaque = false;
    if (cell.kind === 'typed') {
      this.observeTypedShape(cell);
      const values = cell.values;
      if (cell.type === 'bytes') {
        for (const value of values) {
          this.addElement(classifyTyped(cell, value), 1, value, cell.type);
        }
      } else if (values.length > 0) {
        const first = values[0]!;
        this.addElement(classifyTyped(cell, first), values.length, first, cell.type);
      }
    } else {
      const value = cell.kind === 'text' ? parseArrayText(cell.text) : cell.value;
      if (Array.isArray(value)) {
        const dims = arrayDims(value);
        if (typeof dims === 'string') {
          opaque = true;
          this.observeScalar({ kind: 'opaque', why: dims });
        } else {
          this.bumpIf(this.arrayCells++ === 0);
          this.setDims(joinDims(this.dims, dims));
          for (const leaf of flatten(value)) {
            this.addElement(classifyJsonScalar(leaf), 1, leaf, undefined);
          }
        }
      } else {
        const cls = cell.kind === 'text' ? classifyText(cell.text) : classifyJsonScalar(value);
        opaque = cls.kind === 'opaque';
        this.observeScalar(cls);
      }
    }
    if (this.version() !== versionBefore || opaque) {
      const after = fieldTypeLabel(this.resolve());
      this.label = after;
      if ((before !== undefined && before !== after) || opaque) {
        this.addConflict({
          value: this.culprit ?? cellPreview(cell),
          record,
          from: before ?? 'null',
          to: after,
        });
      }
    }
    this.addExample(cell);
  }

  /**
   * Adds list elements of one class; names the first value that changes the element type (only
   * resolving again when the summary changed) as the culprit of the cell's conflict.
   */
  private addElement(
    cls: ValueClass,
    count: number,
    raw: unknown,
    type: DataType | undefined,
  ): void {
    const version = this.element.version;
    this.element.add(cls, count);
    if (
      this.culprit === undefined &&
      this.elementBefore !== undefined &&
      version !== this.element.version &&
      this.currentElementLabel() !== this.elementBefore
    ) {
      this.culprit =
        type === undefined ? previewSample(raw) : typedPreview(type, raw as ScalarValue);
    }
  }

  private bumpIf(changed: boolean): void {
    if (changed) {
      this.shapeVersion++;
    }
  }

  private setDims(dims: Dims): void {
    this.bumpIf(dims !== this.dims);
    this.dims = dims;
  }

  private observeScalar(cls: ValueClass): void {
    this.bumpIf(this.scalarCells++ === 0);
    this.scalar.add(cls);
  }

  private observeTypedShape(cell: Extract<SampleCell, { kind: 'typed' }>): void {
    this.bumpIf(this.typedCells++ === 0);
    if (cell.shape === 'list') {
      this.bumpIf(!this.declaredList);
      this.declaredList = true;
    } else if (cell.shape !== undefined && isTensorShape(cell.shape)) {
      this.bumpIf(!this.declaredTensor);
      this.declaredTensor = true;
    }
    const dims = this.dims;
    const count = cell.values.length;
    // The common case, the same count as every record before: nothing to allocate or compare.
    if (
      cell.shape === undefined &&
      typeof dims === 'object' &&
      dims.length === 1 &&
      dims[0] === count
    ) {
      return;
    }
    this.setDims(joinDims(dims, typedDims(cell.shape, count)));
  }

  private addConflict(conflict: FieldConflict): void {
    if (this.conflicts.length < this.maxConflicts) {
      this.conflicts.push(conflict);
    }
  }

  private addExample(cell: Exclude<SampleCell, null>): void {
    if (this.examples.length >= this.maxExamples || this.examineCells >= EXAMPLE_CELLS) {
      return;
    }
    this.examineCells++;
    const text = cellPreview(cell);
    if (!this.examples.includes(text)) {
      this.examples.push(text);
    }
  }

  /** The field's type and shape from everything observed, or undefined if it only held nulls. */
  resolve(): ResolvedField | undefined {
    const arrays = this.arrayCells + this.typedCells;
    if ((this.scalarCells > 0 && arrays > 0) || this.dims === 'irregular') {
      return { type: 'string', shape: 'scalar', collapsed: true };
    }
    if (arrays === 0) {
      const resolved = this.scalar.resolve();
      return resolved === undefined
        ? undefined
        : { ...resolved, shape: 'scalar', collapsed: false };
    }
    // Lists that were all empty: nothing tells the element type, and string holds anything.
    const resolved = this.element.resolve() ?? { type: 'string' };
    return { ...resolved, shape: this.resolveShape(arrays), collapsed: false };
  }

  private resolveShape(arrays: number): Shape {
    const dims = this.dims;
    if (this.declaredList || dims === undefined || typeof dims === 'string' || dims.includes(0)) {
      return 'list';
    }
    // tf.Example holds every feature as a list; one value in every record is a scalar there.
    if (this.typedCells === arrays && !this.declaredTensor && dims.length === 1 && dims[0] === 1) {
      return 'scalar';
    }
    return Object.freeze([...dims]);
  }

  confidence(resolved: ResolvedField | undefined): number {
    if (resolved === undefined) {
      return 0;
    }
    let native: number;
    let total: number;
    if (resolved.collapsed) {
      native = this.scalar.native('string');
      total = this.scalarCells + this.arrayCells + this.typedCells;
    } else if (this.arrayCells + this.typedCells === 0) {
      native = this.scalar.native(resolved.type);
      total = this.scalar.total;
    } else {
      native = this.element.native(resolved.type);
      total = this.element.total;
    }
    return total === 0 ? 0 : native / total;
  }
}

/**
 * Infers a schema from sample records, one record at a time, so that the studio can show the
 * schema while a file is still being read.
 *
 * Types only widen: each field's type is the narrowest type that holds every value seen so far
 * (see `docs/types.md`, "Inference", for the lattice). `result()` may be called at any time and
 * does not stop the inferrer.
 *
 * @example
 * ```ts
 * const inferrer = new SchemaInferrer();
 * inferrer.observe(new Map([['age', { kind: 'text', text: '42' }]]));
 * inferrer.observe(new Map([['age', null]]));
 * inferrer.result().schema.fields[0]; // { name: 'age', type: 'int32', shape: 'scalar', nullable: true }
 * ```
 */
export class SchemaInferrer {
  private readonly fields = new Map<string, FieldState>();
  private observed = 0;
  private readonly maxConflicts: number;
  private readonly maxExamples: number;
  private readonly source: string | undefined;

  constructor(options: SchemaInferrerOptions = {}) {
    this.maxConflicts = options.maxConflicts ?? DEFAULT_MAX_CONFLICTS;
    this.maxExamples = options.maxExamples ?? DEFAULT_MAX_EXAMPLES;
    this.source = options.source;
  }

  /** Sample records observed so far. */
  get records(): number {
    return this.observed;
  }

  /** Adds one sample record. A field first seen now was absent, so null, in earlier records. */
  observe(record: SampleRecord): void {
    this.observed++;
    for (const [name, cell] of record) {
      let state = this.fields.get(name);
      if (state === undefined) {
        state = new FieldState(name, this.maxConflicts, this.maxExamples);
        this.fields.set(name, state);
      }
      if (
        cell === null ||
        (cell.kind === 'json' && (cell.value === null || cell.value === undefined))
      ) {
        continue;
      }
      state.observe(cell, this.observed);
    }
  }

  /**
   * The schema inferred from the records so far, with the evidence per field.
   *
   * @throws TfstreamError `SCHEMA_INFER_EMPTY` when no record, or no field, was observed
   */
  result(): InferredSchema {
    const location = this.source === undefined ? {} : { file: this.source };
    if (this.observed === 0) {
      throw new TfstreamError(
        'SCHEMA_INFER_EMPTY',
        'the sample has no records to infer a schema from; sample a file that has data, or write the schema by hand',
        location,
      );
    }
    if (this.fields.size === 0) {
      throw new TfstreamError(
        'SCHEMA_INFER_EMPTY',
        `the sample's ${this.observed} record(s) have no fields; check the file's header or format`,
        location,
      );
    }
    const fields: FieldInference[] = [];
    for (const state of this.fields.values()) {
      const resolved = state.resolve();
      const nullCount = this.observed - state.count;
      const field = toField(state.name, resolved, nullCount > 0 || resolved === undefined);
      const inference: {
        -readonly [K in keyof FieldInference]: FieldInference[K];
      } = {
        name: state.name,
        field,
        confidence: state.confidence(resolved),
        count: state.count,
        nullCount,
        conflicts: state.conflicts.map((conflict) => ({ ...conflict })),
      };
      if (state.examples.length > 0) {
        inference.examples = [...state.examples];
      }
      fields.push(inference);
    }
    return {
      schema: { version: SCHEMA_VERSION, fields: fields.map((f) => f.field) },
      fields,
      records: this.observed,
    };
  }
}

function toField(name: string, resolved: ResolvedField | undefined, nullable: boolean): Field {
  if (resolved === undefined) {
    return { name, type: 'string', shape: 'scalar', nullable: true };
  }
  const field: { -readonly [K in keyof Field]: Field[K] } = {
    name,
    type: resolved.type,
    shape: resolved.shape,
    nullable,
  };
  if (resolved.unit !== undefined) {
    field.unit = resolved.unit;
  }
  if (resolved.precision !== undefined) {
    field.precision = resolved.precision;
    field.scale = resolved.scale ?? 0;
  }
  return field;
}

/**
 * Infers a schema from sample records, as a format's `sample()` yields them.
 *
 * @param samples - records, sync or async (e.g. `format.sample(chunks)`)
 * @throws TfstreamError `SCHEMA_INFER_EMPTY` when there was no record or no field
 *
 * @example
 * ```ts
 * const { schema, fields } = await inferSchema(csv.sample(readChunks('penguins.csv')));
 * for (const f of fields) console.log(f.name, fieldLabel(f.field), f.confidence, f.conflicts);
 * ```
 */
export async function inferSchema(
  samples: Iterable<SampleRecord> | AsyncIterable<SampleRecord>,
  options: InferOptions = {},
): Promise<InferredSchema> {
  const inferrer = new SchemaInferrer(options);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit > 0) {
    for await (const record of samples) {
      inferrer.observe(record);
      if (inferrer.records >= limit) {
        break;
      }
    }
  }
  return inferrer.result();
}
