import { useCallback, useRef, useState } from 'react';
import type { FieldJson } from '@tfstream/schema';
import type { UploadResponse } from '@tfstream/studio-api';
import { Cell } from '../components/Cell';
import { Segmented, NumberInput } from '../components/Controls';
import { Callout, ErrorBox, Spinner } from '../components/Feedback';
import { FieldTable } from '../components/FieldTable';
import { api, errorText } from '../lib/api';
import { formatBytes, formatCell } from '../lib/format';
import type { Job, SourceJson } from '../lib/job-model';
import {
  DEFAULT_MEMORY_TAIL,
  inlineSchema,
  schemaFields,
  shapeText,
  sourceLabel,
} from '../lib/job-model';
import { toast } from '../lib/toast';
import { useCellRunner } from '../state/cell-runners';
import type { Sample } from '../state/job-store';
import { currentSample, sampleRequest, updateJob, useJobEditor } from '../state/job-store';
import { Icon } from '../components/Icon';

type Format = UploadResponse['format'];

function sourceFor(kind: SourceJson['kind'], previous: SourceJson): SourceJson {
  if (kind === previous.kind) {
    return previous;
  }
  switch (kind) {
    case 'file':
      return { kind: 'file', path: '' };
    case 'synthetic':
      return { kind: 'synthetic', generator: 'sensors', count: 1000, seed: 0 };
    case 'push':
      return { kind: 'push' };
  }
}

function sampleLabel(sample: Sample | undefined): string {
  if (sample === undefined) {
    return '';
  }
  switch (sample.kind) {
    case 'path':
      return ` · ${sample.path}`;
    case 'text':
      return ' · pasted';
    case 'synthetic':
      return ` · generator ${sample.generator}, seed ${sample.seed ?? 0}`;
  }
}

/** Whether two field lists agree on names, types, shapes and nullability. */
function sameFields(a: readonly FieldJson[], b: readonly FieldJson[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => {
      const g = b[i]!;
      return (
        f.name === g.name &&
        f.type === g.type &&
        shapeText(f.shape) === shapeText(g.shape) &&
        (f.nullable ?? false) === (g.nullable ?? false)
      );
    })
  );
}

function guessFormat(text: string): Format {
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? 'jsonl' : 'csv';
}

function SourceEditor({
  job,
  readOnly,
  onUpload,
}: {
  job: Job;
  readOnly: boolean;
  onUpload: (file: File) => void;
}) {
  const source = job.input.source;
  const setSource = (next: SourceJson) =>
    updateJob((j) => ({ ...j, input: { ...j.input, source: next } }));
  const [over, setOver] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <div style={{ display: 'grid', gap: 10 }}>
      <div className="row">
        <span className="label-text" style={{ width: 64 }}>
          Source
        </span>
        <Segmented
          value={source.kind}
          disabled={readOnly}
          testId="source-kind"
          options={[
            { value: 'file', label: 'File', title: 'CSV, JSONL, TFRecord or Arrow, on the server' },
            {
              value: 'synthetic',
              label: 'Synthetic',
              title: 'A seeded generator, for demos and benchmarks',
            },
            { value: 'push', label: 'Push', title: 'Records pushed over HTTP while the job runs' },
          ]}
          onChange={(kind) => setSource(sourceFor(kind, source))}
        />
      </div>
      {source.kind === 'file' ? (
        <div
          className={`dropzone${over ? ' over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            const file = e.dataTransfer.files[0];
            if (file !== undefined && !readOnly) {
              onUpload(file);
            }
          }}
        >
          <span style={{ fontSize: 20 }} aria-hidden>
            ⇪
          </span>
          <div style={{ flex: 1, display: 'grid', gap: 6 }}>
            <input
              className="input mono"
              value={source.path}
              readOnly={readOnly}
              placeholder="uploads/… or examples/penguin-data/train.tfrecord.gz"
              data-testid="source-path"
              onChange={(e) =>
                setSource({
                  kind: 'file',
                  path: e.target.value,
                  ...(source.format === undefined ? {} : { format: source.format }),
                })
              }
            />
            <span className="small-text">
              Drop a CSV, JSONL, TFRecord (.gz) or Arrow file here, or{' '}
              <a
                href="#upload"
                onClick={(e) => {
                  e.preventDefault();
                  fileInput.current?.click();
                }}
              >
                choose one
              </a>
              . It is uploaded to the server and becomes the job's input.
            </span>
          </div>
          <input
            ref={fileInput}
            type="file"
            hidden
            data-testid="upload-input"
            accept=".csv,.jsonl,.json,.tfrecord,.gz,.arrow,.feather"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file !== undefined) {
                onUpload(file);
              }
              e.target.value = '';
            }}
          />
        </div>
      ) : null}
      {source.kind === 'synthetic' ? (
        <div className="grid-form card soft">
          <label className="field">
            <span>Generator</span>
            <input
              className="input mono"
              value={source.generator}
              readOnly={readOnly}
              onChange={(e) => setSource({ ...source, generator: e.target.value })}
            />
          </label>
          <label className="field">
            <span>Records</span>
            <NumberInput
              value={source.count}
              integer
              min={1}
              placeholder="endless"
              disabled={readOnly}
              onChange={(count) => {
                const { count: _drop, ...rest } = source;
                setSource(count === undefined ? rest : { ...rest, count });
              }}
            />
          </label>
          <label className="field">
            <span>Rate (records/s)</span>
            <NumberInput
              value={source.rate}
              min={1}
              placeholder="as fast as taken"
              disabled={readOnly}
              onChange={(rate) => {
                const { rate: _drop, ...rest } = source;
                setSource(rate === undefined ? rest : { ...rest, rate });
              }}
            />
          </label>
          <label className="field">
            <span>Seed</span>
            <NumberInput
              value={source.seed}
              integer
              min={0}
              placeholder="0"
              disabled={readOnly}
              onChange={(seed) => {
                const { seed: _drop, ...rest } = source;
                setSource(seed === undefined ? rest : { ...rest, seed });
              }}
            />
          </label>
        </div>
      ) : null}
      {source.kind === 'push' ? (
        <Callout icon="⇢">
          While the job runs, send records with <code>POST /api/runs/&lt;run&gt;/records</code>{' '}
          (JSON Lines or CSV with a header), decoded by the input schema. Paste a few below to infer
          the schema.
        </Callout>
      ) : null}
    </div>
  );
}

function PastePanel({ onInfer, busy }: { onInfer: (sample: Sample) => void; busy: boolean }) {
  const [text, setText] = useState('');
  const [format, setFormat] = useState<Format | 'auto'>('auto');
  return (
    <div style={{ display: 'grid', gap: 6 }}>
      <textarea
        className="input"
        rows={5}
        value={text}
        placeholder={'Paste CSV with a header line, or JSON Lines:\nx1,x2,y\n0.5,1.2,3.1'}
        data-testid="paste-sample"
        onChange={(e) => setText(e.target.value)}
      />
      <div className="row">
        <select
          className="select small"
          value={format}
          onChange={(e) => setFormat(e.target.value as Format | 'auto')}
        >
          <option value="auto">format: auto</option>
          <option value="csv">CSV</option>
          <option value="jsonl">JSON Lines</option>
        </select>
        <span className="spacer" />
        <button
          className="btn small"
          disabled={text.trim() === '' || busy}
          onClick={() =>
            onInfer({ kind: 'text', text, format: format === 'auto' ? guessFormat(text) : format })
          }
        >
          Infer from pasted rows
        </button>
      </div>
    </div>
  );
}

function SinkEditor({ job, readOnly }: { job: Job; readOnly: boolean }) {
  const output = job.output;
  if (output === undefined) {
    return null;
  }
  const sink = output.sink;
  const setSink = (next: typeof sink) =>
    updateJob((j) => ({ ...j, output: { ...output, sink: next } }));
  return (
    <div className="row">
      <span className="label-text">Sink</span>
      <Segmented
        value={sink.kind}
        disabled={readOnly}
        options={[
          {
            value: 'memory',
            label: 'Studio table',
            title: 'Keep the last rows in memory for the live table',
          },
          { value: 'file', label: 'File' },
          { value: 'stdout', label: 'Stdout' },
        ]}
        onChange={(kind) =>
          setSink(
            kind === 'memory'
              ? { kind, tail: DEFAULT_MEMORY_TAIL }
              : kind === 'file'
                ? { kind, path: 'outputs/predictions.jsonl' }
                : { kind },
          )
        }
      />
      {sink.kind === 'file' ? (
        <input
          className="input mono small"
          style={{ width: 280 }}
          value={sink.path}
          readOnly={readOnly}
          onChange={(e) => setSink({ ...sink, path: e.target.value })}
        />
      ) : null}
      {sink.kind === 'memory' ? (
        <label className="row tight small-text muted">
          keep last
          <NumberInput
            value={sink.tail}
            integer
            min={1}
            width={90}
            disabled={readOnly}
            onChange={(tail) =>
              setSink({ kind: 'memory', ...(tail === undefined ? {} : { tail }) })
            }
          />
          rows
        </label>
      ) : null}
    </div>
  );
}

export function SchemaCell({ focused, number }: { focused: boolean; number: number }) {
  const job = useJobEditor((s) => s.job)!;
  const readOnly = useJobEditor((s) => s.readOnly);
  const sample = useJobEditor((s) => s.sample);
  const inference = useJobEditor((s) => s.inference);
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [showPaste, setShowPaste] = useState(false);

  const infer = useCallback(async (given?: Sample) => {
    const current = useJobEditor.getState();
    const use =
      given ??
      currentSample(current.job, current.sample) ??
      (current.job?.input.source.kind === 'file' && current.job.input.source.path !== ''
        ? ({ kind: 'path', path: current.job.input.source.path } as const)
        : undefined);
    if (use === undefined) {
      setError('Nothing to infer from: upload a file, give a file path, or paste a few rows.');
      return;
    }
    setBusy(
      use.kind === 'synthetic'
        ? `Taking the first records of the ${use.generator} generator…`
        : 'Inferring the schema…',
    );
    setError(undefined);
    try {
      const request = sampleRequest(use);
      const result =
        request.synthetic === undefined
          ? await api.inferSchema(request)
          : await api.syntheticSample(request.synthetic);
      useJobEditor.setState({ sample: use, inference: result, codec: undefined });
      if (!current.readOnly) {
        updateJob((j) => ({ ...j, input: { ...j.input, schema: result.schema } }));
      }
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  }, []);

  const upload = useCallback(
    async (file: File) => {
      setBusy(`Uploading ${file.name}…`);
      setError(undefined);
      try {
        const uploaded = await api.upload(file);
        updateJob((j) => ({
          ...j,
          input: { ...j.input, source: { kind: 'file', path: uploaded.path } },
        }));
        toast(`Uploaded ${file.name} (${formatBytes(uploaded.bytes)}, ${uploaded.format})`);
        await infer({ kind: 'path', path: uploaded.path, bytes: uploaded.bytes });
      } catch (e) {
        setError(errorText(e));
        setBusy(undefined);
      }
    },
    [infer],
  );

  const run = useCallback(() => void infer(), [infer]);
  useCellRunner('schema', run);

  const schemaRef = job.input.schema;
  const inline = inlineSchema(schemaRef);
  const fields = schemaFields(schemaRef);
  const outputFields = schemaFields(job.output?.schema);

  return (
    <Cell
      id="schema"
      number={number}
      icon="▤"
      title="Source and schema"
      subtitle={`${sourceLabel(job.input.source) || 'no source yet'} · ${inline === undefined ? (typeof schemaRef === 'string' ? `schema ${schemaRef}` : '') : `${fields.length} fields`}`}
      focused={focused}
      actions={
        <>
          <button
            className="btn small"
            onClick={() => setShowPaste(!showPaste)}
            disabled={readOnly}
          >
            {showPaste ? 'Hide paste' : 'Paste sample'}
          </button>
          <button
            className="btn small primary"
            onClick={run}
            disabled={busy !== undefined}
            data-testid="infer-button"
            title="Infer the schema (Shift+Enter)"
          >
            {busy !== undefined ? <Spinner /> : '▶'} Infer schema
          </button>
        </>
      }
      output={
        inference === undefined && busy === undefined && error === undefined ? undefined : (
          <div style={{ display: 'grid', gap: 8 }}>
            <div className="cell-output-label">
              Sample
              {inference !== undefined ? (
                <span
                  className="muted"
                  style={{ textTransform: 'none', letterSpacing: 0, fontWeight: 400 }}
                >
                  {inference.records} records looked at · {inference.format}
                  {sampleLabel(sample)}
                </span>
              ) : null}
            </div>
            {busy !== undefined ? (
              <div className="row muted">
                <Spinner /> {busy}
              </div>
            ) : null}
            <ErrorBox error={error} />
            {inference !== undefined && inference.preview.length > 0 ? (
              <div className="table-wrap" style={{ maxHeight: 210 }} data-testid="sample-preview">
                <table className="data">
                  <thead>
                    <tr>
                      <th className="num">#</th>
                      {Object.keys(inference.preview[0]!).map((k) => (
                        <th key={k}>{k}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {inference.preview.slice(0, 20).map((row, i) => (
                      <tr key={i}>
                        <td className="num muted">{i}</td>
                        {Object.keys(inference.preview[0]!).map((k) => (
                          <td key={k} className="mono">
                            {formatCell(row[k])}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </div>
        )
      }
    >
      <div style={{ display: 'grid', gap: 14 }}>
        <SourceEditor job={job} readOnly={readOnly} onUpload={(f) => void upload(f)} />
        {showPaste ? <PastePanel busy={busy !== undefined} onInfer={(s) => void infer(s)} /> : null}

        <div>
          <div className="section-title">
            Input schema
            {inference !== undefined ? (
              <span className="tag">inferred · edit any field to override</span>
            ) : null}
            <span className="spacer" />
            {inline !== undefined && fields.length > 0 ? (
              <label className="row tight small-text muted" style={{ fontWeight: 400 }}>
                record key
                <select
                  className="select small"
                  value={job.input.key ?? ''}
                  disabled={readOnly}
                  onChange={(e) =>
                    updateJob((j) => {
                      const { key: _drop, ...input } = j.input;
                      return {
                        ...j,
                        input: e.target.value === '' ? input : { ...input, key: e.target.value },
                      };
                    })
                  }
                >
                  <option value="">position in the input</option>
                  {fields.map((f) => (
                    <option key={f.name} value={f.name}>
                      {f.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </div>
          {job.input.source.kind === 'synthetic' &&
          inline !== undefined &&
          inference?.format === 'synthetic' &&
          !sameFields(inline.fields, inference.schema.fields) ? (
            <div style={{ marginBottom: 8 }} data-testid="synthetic-override-note">
              <Callout kind="warn" icon={<Icon name="warn" />}>
                A generator's records keep their types: a run does not convert them, so the job
                saves only with the generator's schema (or <code>"infer"</code>).
              </Callout>
            </div>
          ) : null}
          {inline === undefined ? (
            <Callout icon={<Icon name="info" />}>
              {typeof schemaRef === 'string' && schemaRef !== 'infer' ? (
                <>
                  The schema comes from the file <code>{schemaRef}</code>. Infer it from the data to
                  see and override each field here; the job then carries it inline.
                </>
              ) : job.input.source.kind === 'synthetic' ? (
                <>
                  The run takes the schema of the <code>{job.input.source.generator}</code>{' '}
                  generator. Infer it now to see each field and the first records.
                </>
              ) : (
                <>
                  The schema is inferred when the run starts. Infer it now to see and override each
                  field.
                </>
              )}
            </Callout>
          ) : (
            <FieldTable
              fields={fields}
              inferred={inference?.fields}
              readOnly={readOnly}
              testId="input-schema"
              onChange={(next) =>
                updateJob((j) => ({
                  ...j,
                  input: { ...j.input, schema: { ...inline, fields: next } },
                }))
              }
            />
          )}
        </div>

        <div>
          <div className="section-title">
            Output schema
            <span className="muted" style={{ fontWeight: 400 }}>
              {job.mode === 'train' ? 'optional for training' : 'what each prediction row holds'}
            </span>
            <span className="spacer" />
            {job.output === undefined && !readOnly ? (
              <button
                className="btn small"
                onClick={() =>
                  updateJob((j) => ({
                    ...j,
                    output: {
                      schema: { version: 1, fields: [{ name: 'prediction', type: 'float32' }] },
                      sink: { kind: 'memory', tail: DEFAULT_MEMORY_TAIL },
                    },
                  }))
                }
              >
                + Add output
              </button>
            ) : null}
            {job.output !== undefined && job.mode === 'train' && !readOnly ? (
              <button
                className="btn small ghost"
                onClick={() =>
                  updateJob((j) => {
                    const { output: _drop, ...rest } = j;
                    return rest;
                  })
                }
              >
                Remove output
              </button>
            ) : null}
          </div>
          {job.output === undefined ? (
            <div className="muted small-text">This job writes no output rows.</div>
          ) : (
            <div style={{ display: 'grid', gap: 8 }}>
              {typeof job.output.schema === 'string' ? (
                <Callout icon={<Icon name="info" />}>
                  The output schema is <code>{job.output.schema}</code>.
                </Callout>
              ) : (
                <FieldTable
                  fields={outputFields}
                  readOnly={readOnly}
                  testId="output-schema"
                  onChange={(next) =>
                    updateJob((j) =>
                      j.output === undefined
                        ? j
                        : { ...j, output: { ...j.output, schema: { version: 1, fields: next } } },
                    )
                  }
                />
              )}
              <SinkEditor job={job} readOnly={readOnly} />
            </div>
          )}
        </div>
      </div>
    </Cell>
  );
}
