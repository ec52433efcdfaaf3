// The dry run: the model code, compiled to CommonJS by the editor's TypeScript worker, evaluated
// here with a `require` that maps '@tfstream/sdk' and '@tensorflow/tfjs' to the bundled modules,
// then taken through the template on a batch of sample rows: build, features, a few training
// steps (train, online) and a predict with `output`. Nothing leaves the browser.
import * as tf from '@tensorflow/tfjs';
import * as sdk from '@tfstream/sdk';
import { jsonlFormat } from '@tfstream/codecs';
import type { FieldJson, SchemaJson } from '@tfstream/schema';
import { parseSchema } from '@tfstream/schema';

export type DryRunBackend = 'cpu' | 'webgl';

export interface DryRunStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

export interface DryRunResult {
  readonly ok: boolean;
  readonly backend: string;
  readonly rows: number;
  /** Where the rows came from. */
  readonly rowsFrom: 'sample' | 'generated';
  readonly steps: DryRunStep[];
  readonly losses: number[];
  readonly outputColumns: string[];
  readonly outputs: Record<string, unknown>[];
  readonly error?: { readonly step: string; readonly message: string; readonly line?: number };
}

export interface DryRunOptions {
  readonly js: string;
  readonly mode: 'train' | 'inference' | 'online';
  readonly schema: SchemaJson;
  readonly rows: readonly Readonly<Record<string, unknown>>[] | undefined;
  readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
  readonly backend: DryRunBackend;
  readonly batchSize?: number;
  readonly steps?: number;
}

const MODULES: Record<string, unknown> = { '@tfstream/sdk': sdk, '@tensorflow/tfjs': tf };

/** Made-up rows that fit the schema, for a dry run before any data was sampled. */
export function generateRows(
  fields: readonly FieldJson[],
  count: number,
): Record<string, unknown>[] {
  const value = (field: FieldJson, i: number): unknown => {
    const one = (): unknown => {
      switch (field.type) {
        case 'bool':
          return i % 2 === 0;
        case 'string':
        case 'char':
          return `s${i % 5}`;
        case 'bytes':
          return 'AAE=';
        case 'float32':
        case 'float64':
          return Math.round(Math.random() * 1000) / 1000;
        case 'int64':
        case 'uint64':
          return String(i % 3);
        case 'decimal':
          return '1.5';
        case 'date':
          return '2024-01-0' + String(1 + (i % 9));
        case 'time':
          return '12:00:00';
        case 'timestamp':
          return '2024-01-01T00:00:00Z';
        default:
          return i % 3;
      }
    };
    if (field.shape === 'list') {
      return [one(), one()];
    }
    if (Array.isArray(field.shape)) {
      const n = field.shape.reduce((a, b) => a * b, 1);
      return Array.from({ length: Math.min(n, 4096) }, one);
    }
    return one();
  };
  return Array.from({ length: count }, (_, i) =>
    Object.fromEntries(fields.map((f) => [f.name, value(f, i)])),
  );
}

async function toBatch(
  schema: SchemaJson,
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<sdk.Batch> {
  const parsed = parseSchema(schema);
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const bytes = new TextEncoder().encode(text);
  async function* chunks() {
    yield bytes;
  }
  const batches = [];
  for await (const batch of jsonlFormat.decode(chunks(), {
    schema: parsed,
    batchSize: rows.length,
    source: 'sample rows',
  })) {
    batches.push(batch);
  }
  if (batches[0] === undefined) {
    throw new Error('the sample has no rows');
  }
  return new sdk.Batch(batches[0]);
}

function evaluate(js: string): unknown {
  const module = { exports: {} as Record<string, unknown> };
  const require = (name: string): unknown => {
    const found = MODULES[name];
    if (found === undefined) {
      throw new Error(
        `the dry run provides '@tfstream/sdk' and '@tensorflow/tfjs' only, not '${name}'${name.startsWith('.') ? ': put the code in this cell' : ''}`,
      );
    }
    return found;
  };
  new Function('exports', 'require', 'module', js)(module.exports, require, module);
  return module.exports.default;
}

function shapes(value: unknown): string {
  if (value instanceof tf.Tensor) {
    return `${value.dtype}[${value.shape.join(', ')}]`;
  }
  if (Array.isArray(value)) {
    return value.map(shapes).join(', ');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${shapes(v)}`)
      .join(', ');
  }
  return String(value);
}

function tensorsOf(value: unknown): tf.Tensor[] {
  if (value instanceof tf.Tensor) {
    return [value];
  }
  if (Array.isArray(value)) {
    return value.flatMap(tensorsOf);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).flatMap(tensorsOf);
  }
  return [];
}

function plain(value: unknown): unknown {
  return value instanceof tf.Tensor ? value.arraySync() : value;
}

/** Output data (rows, or columns of tensors / arrays) as the first rows. */
function outputRows(data: unknown, limit: number): Record<string, unknown>[] {
  if (Array.isArray(data)) {
    return data.slice(0, limit) as Record<string, unknown>[];
  }
  if (data instanceof tf.Tensor) {
    const values = data.arraySync();
    return (Array.isArray(values) ? values : [values])
      .slice(0, limit)
      .map((v) => ({ prediction: v }));
  }
  if (typeof data === 'object' && data !== null) {
    const columns = Object.entries(data).map(([k, v]) => [k, plain(v)] as const);
    const n = Math.min(limit, ...columns.map(([, v]) => (Array.isArray(v) ? v.length : 1)));
    return Array.from({ length: n }, (_, i) =>
      Object.fromEntries(columns.map(([k, v]) => [k, Array.isArray(v) ? v[i] : v])),
    );
  }
  return [];
}

function lineOf(error: unknown): number | undefined {
  const match = /<anonymous>:(\d+):\d+/.exec(error instanceof Error ? (error.stack ?? '') : '');
  // new Function adds two lines before the body.
  return match === null ? undefined : Number(match[1]) - 2;
}

export async function dryRun(options: DryRunOptions): Promise<DryRunResult> {
  const steps: DryRunStep[] = [];
  const losses: number[] = [];
  let outputs: Record<string, unknown>[] = [];
  let current = 'backend';
  let started = performance.now();
  const step = (name: string, detail: string) => {
    steps.push({ name, ok: true, detail, ms: performance.now() - started });
    started = performance.now();
  };
  const keep: tf.Tensor[] = [];
  let model: tf.LayersModel | undefined;
  const rowsFrom = options.rows !== undefined && options.rows.length > 0 ? 'sample' : 'generated';
  const rows = (
    rowsFrom === 'sample' ? options.rows! : generateRows(options.schema.fields, 16)
  ).slice(0, options.batchSize ?? 16);
  try {
    if (!(await tf.setBackend(options.backend))) {
      await tf.setBackend('cpu');
    }
    await tf.ready();
    step('backend', tf.getBackend());

    current = 'evaluate';
    const definition = evaluate(options.js);
    if (!sdk.isModelDefinition(definition)) {
      throw new Error(
        'the default export is not a defineModel(...) definition; the dry run runs the template (code that drives JobContext itself runs on the cluster only)',
      );
    }
    step(
      'evaluate',
      `defineModel with ${Object.keys(definition.hyperparameters).length} hyperparameters`,
    );

    current = 'hyperparameters';
    const hp = sdk.resolveHyperparameters(definition.hyperparameters, options.hyperparameters);
    step('hyperparameters', JSON.stringify(hp));

    current = 'batch';
    const batch = await toBatch(options.schema, rows);
    step(
      'batch',
      `${batch.numRows} rows × ${batch.schema.fields.length} fields (${rowsFrom === 'sample' ? 'sample rows' : 'made-up rows'})`,
    );

    current = 'build';
    model = definition.build(hp);
    const inputs = model.inputs
      .map((i) => `[${i.shape.map((d) => d ?? 'n').join(', ')}]`)
      .join(', ');
    const outs = model.outputs
      .map((o) => `[${o.shape.map((d) => d ?? 'n').join(', ')}]`)
      .join(', ');
    step(
      'build',
      `${model.layers.length} layers, ${model.countParams().toLocaleString('en-US')} parameters; in ${inputs} → out ${outs}`,
    );

    if (definition.compile !== undefined) {
      current = 'compile';
      model.compile(definition.compile(hp));
      step('compile', `loss ${JSON.stringify(model.loss)}`);
    }

    current = 'features';
    const features = tf.tidy(
      () => definition.features(batch, hp) as unknown as tf.TensorContainer,
    ) as unknown as sdk.Features;
    keep.push(...tensorsOf(features));
    step(
      'features',
      `xs ${shapes(features.xs)}${features.ys === undefined ? '' : ` · ys ${shapes(features.ys)}`}`,
    );

    if (options.mode !== 'inference') {
      current = 'train';
      if (features.ys === undefined) {
        throw new Error('features(...) returned no ys: a train or online job needs targets');
      }
      if (definition.compile === undefined && model.optimizer === undefined) {
        throw new Error(
          'the model is not compiled: add compile(hp) to the definition, or compile it in build',
        );
      }
      for (let i = 0; i < (options.steps ?? 5); i++) {
        const result = await model.trainOnBatch(features.xs as tf.Tensor, features.ys as tf.Tensor);
        losses.push(Array.isArray(result) ? result[0]! : result);
      }
      step(
        'train',
        `${losses.length} steps, loss ${losses[0]?.toPrecision(4)} → ${losses.at(-1)?.toPrecision(4)}`,
      );
    }

    current = 'predict';
    const predictions = model.predict(features.xs as tf.Tensor) as tf.Tensor | tf.Tensor[];
    keep.push(...tensorsOf(predictions));
    step('predict', shapes(predictions));

    current = 'output';
    if (definition.output !== undefined) {
      const data = tf.tidy(
        () => definition.output!(batch, predictions, hp) as unknown as tf.TensorContainer,
      );
      keep.push(...tensorsOf(data));
      outputs = outputRows(data, 8);
      step('output', `${outputs.length} of ${batch.numRows} rows shown`);
    } else {
      outputs = outputRows(Array.isArray(predictions) ? predictions[0] : predictions, 8);
    }
    return {
      ok: true,
      backend: tf.getBackend(),
      rows: rows.length,
      rowsFrom,
      steps,
      losses,
      outputColumns: Object.keys(outputs[0] ?? {}),
      outputs,
    };
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    if (current === 'evaluate' && /Content Security Policy|unsafe-eval/i.test(message)) {
      message =
        "this page's Content-Security-Policy forbids running code it compiled (script-src lacks 'unsafe-eval'), so the dry run cannot evaluate the model here; the server must allow it for the studio page";
    }
    steps.push({ name: current, ok: false, detail: message, ms: performance.now() - started });
    const line = lineOf(error);
    return {
      ok: false,
      backend: tf.getBackend(),
      rows: rows.length,
      rowsFrom,
      steps,
      losses,
      outputColumns: Object.keys(outputs[0] ?? {}),
      outputs,
      error: { step: current, message, ...(line === undefined ? {} : { line }) },
    };
  } finally {
    tf.dispose(keep);
    if (model !== undefined) {
      const optimizer = model.optimizer as tf.Optimizer | undefined;
      model.dispose();
      optimizer?.dispose();
    }
  }
}
