import { useCallback, useState } from 'react';
import type { ValidateJobResponse } from '@tfstream/studio-api';
import { Cell } from '../components/Cell';
import { NumberInput, Segmented, Stepper } from '../components/Controls';
import { Callout, ErrorBox, Spinner } from '../components/Feedback';
import { TransferDiagram } from '../components/TransferDiagram';
import { errorText, request } from '../lib/api';
import type { HyperparameterValue, Job, JobMode } from '../lib/job-model';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_LINGER_MS,
  DEFAULT_MEMORY_TAIL,
  isBounded,
  transferFor,
  transferOf,
} from '../lib/job-model';
import { useCellRunner } from '../state/cell-runners';
import { updateJob, useJobEditor } from '../state/job-store';
import { Icon } from '../components/Icon';

/** `object` with `key` set to `value`, or without the key when `value` is undefined. */
function withValue<T extends object, K extends keyof T>(
  object: T,
  key: K,
  value: T[K] | undefined,
): T {
  if (value !== undefined) {
    return { ...object, [key]: value };
  }
  const copy = { ...object };
  delete copy[key];
  return copy;
}

/**
 * A labelled whole-number setting of the job. Emptied, the key goes and the runtime's default
 * (the placeholder) applies.
 */
function NumberField({
  label,
  value,
  min,
  placeholder,
  unit,
  width,
  disabled,
  testId,
  onChange,
}: {
  label: string;
  value: number | undefined;
  min: number;
  placeholder: string;
  /** Shown after the input, e.g. `steps`. */
  unit?: string;
  width?: number;
  disabled: boolean;
  testId: string;
  onChange: (value: number | undefined) => void;
}) {
  const input = (
    <NumberInput
      value={value}
      integer
      min={min}
      placeholder={placeholder}
      disabled={disabled}
      testId={testId}
      onChange={onChange}
      {...(width === undefined ? {} : { width })}
    />
  );
  return (
    <label className="field">
      <span>{label}</span>
      {unit === undefined ? (
        input
      ) : (
        <div className="row tight">
          {input}
          <span className="muted small-text">{unit}</span>
        </div>
      )}
    </label>
  );
}

type HpType = 'number' | 'string' | 'bool';

function typeOf(value: HyperparameterValue): HpType {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'bool' : 'string';
}

function convert(value: HyperparameterValue, type: HpType): HyperparameterValue {
  switch (type) {
    case 'number': {
      const n = Number(value);
      return Number.isFinite(n) ? n : 0;
    }
    case 'bool':
      return value === true || value === 'true' || value === 1;
    case 'string':
      return String(value);
  }
}

function HpValue({
  value,
  onChange,
  disabled,
}: {
  value: HyperparameterValue;
  onChange: (v: HyperparameterValue) => void;
  disabled: boolean;
}) {
  const [text, setText] = useState(String(value));
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    setText(String(value));
  }
  if (typeof value === 'boolean') {
    return (
      <label className="check">
        <input
          type="checkbox"
          checked={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked)}
        />
        {String(value)}
      </label>
    );
  }
  const invalid = typeof value === 'number' && !Number.isFinite(Number(text));
  return (
    <input
      className="input small mono"
      style={{ width: 160, borderColor: invalid ? 'var(--error)' : undefined }}
      value={text}
      disabled={disabled}
      onChange={(e) => {
        setText(e.target.value);
        if (typeof value === 'number') {
          const n = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(n)) {
            onChange(n);
          }
        } else {
          onChange(e.target.value);
        }
      }}
    />
  );
}

function Hyperparameters({ job, readOnly }: { job: Job; readOnly: boolean }) {
  const entries = Object.entries(job.hyperparameters ?? {});
  const set = (next: [string, HyperparameterValue][]) =>
    updateJob((j) => ({ ...j, hyperparameters: Object.fromEntries(next) }));
  return (
    <div className="table-wrap" data-testid="hyperparameters">
      <table className="data">
        <thead>
          <tr>
            <th>name</th>
            <th>type</th>
            <th>value</th>
            {readOnly ? null : <th />}
          </tr>
        </thead>
        <tbody>
          {entries.map(([name, value], index) => (
            <tr key={index} data-testid="hyperparameter" data-name={name}>
              <td>
                <input
                  className="input small mono"
                  style={{ width: 150 }}
                  value={name}
                  readOnly={readOnly}
                  aria-label="hyperparameter name"
                  onChange={(e) =>
                    set(
                      entries.map((entry, i) => (i === index ? [e.target.value, entry[1]] : entry)),
                    )
                  }
                />
              </td>
              <td>
                <select
                  className="select small"
                  value={typeOf(value)}
                  disabled={readOnly}
                  onChange={(e) =>
                    set(
                      entries.map((entry, i) =>
                        i === index
                          ? [entry[0], convert(entry[1], e.target.value as HpType)]
                          : entry,
                      ),
                    )
                  }
                >
                  <option value="number">number</option>
                  <option value="string">string</option>
                  <option value="bool">bool</option>
                </select>
              </td>
              <td>
                <HpValue
                  value={value}
                  disabled={readOnly}
                  onChange={(v) =>
                    set(entries.map((entry, i) => (i === index ? [entry[0], v] : entry)))
                  }
                />
              </td>
              {readOnly ? null : (
                <td>
                  <button
                    className="btn ghost icon small"
                    title={`Remove ${name}`}
                    onClick={() => set(entries.filter((_, i) => i !== index))}
                  >
                    ✕
                  </button>
                </td>
              )}
            </tr>
          ))}
          {entries.length === 0 ? (
            <tr>
              <td colSpan={4} className="muted" style={{ textAlign: 'center', padding: 12 }}>
                No hyperparameters: the model's defaults apply.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {readOnly ? null : (
        <div style={{ padding: 6, borderTop: '1px solid var(--border)' }}>
          <button
            className="btn small ghost"
            data-testid="add-hyperparameter"
            onClick={() => {
              let name = 'param';
              for (let i = 2; entries.some(([n]) => n === name); i++) {
                name = `param${i}`;
              }
              set([...entries, [name, 0]]);
            }}
          >
            + Add hyperparameter
          </button>
        </div>
      )}
    </div>
  );
}

export function ClusterCell({ focused, number }: { focused: boolean; number: number }) {
  const job = useJobEditor((s) => s.job)!;
  const readOnly = useJobEditor((s) => s.readOnly);
  const [check, setCheck] = useState<ValidateJobResponse | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const run = useCallback(async () => {
    const current = useJobEditor.getState().job;
    if (current === undefined) {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      setCheck(
        await request<ValidateJobResponse>('POST', '/api/jobs/validate', {
          body: { job: current },
        }),
      );
    } catch (e) {
      setError(errorText(e));
      setCheck(undefined);
    } finally {
      setBusy(false);
    }
  }, []);
  const runCallback = useCallback(() => void run(), [run]);
  useCellRunner('cluster', runCallback);

  const cluster = job.cluster ?? {};
  const workers = cluster.workers ?? 1;
  const ps = cluster.parameterServers ?? 0;
  const training = cluster.training ?? 'sync';
  const transfer = transferOf(job);
  const bounded = isBounded(job.input.source);
  const setCluster = (patch: Partial<NonNullable<Job['cluster']>>) =>
    updateJob((j) => ({ ...j, cluster: { ...j.cluster, ...patch } }));
  const setMode = (mode: JobMode) =>
    updateJob((j) => {
      const next: Job = { ...j, mode };
      if (mode === 'inference') {
        next.cluster = { ...j.cluster, parameterServers: 0, training: 'sync' };
        next.inference = j.inference ?? { modelPath: 'models/' };
        delete next.training;
        next.output ??= {
          schema: { version: 1, fields: [{ name: 'prediction', type: 'float32' }] },
          sink: { kind: 'memory', tail: DEFAULT_MEMORY_TAIL },
        };
      } else {
        delete next.inference;
        next.training = j.training ?? { epochs: 1 };
        if (mode === 'online') {
          next.training = { ...next.training, epochs: 1 };
          next.output ??= {
            schema: { version: 1, fields: [{ name: 'prediction', type: 'float32' }] },
            sink: { kind: 'memory', tail: DEFAULT_MEMORY_TAIL },
          };
        }
      }
      return next;
    });

  return (
    <Cell
      id="cluster"
      number={number}
      icon="⛁"
      title="Cluster and transfer"
      subtitle={`${job.mode} · ${workers} worker${workers === 1 ? '' : 's'}${ps > 0 ? ` + ${ps} parameter server${ps === 1 ? '' : 's'}, ${training}` : ''} · ${transfer.mode}`}
      focused={focused}
      actions={
        <button
          className="btn small"
          onClick={runCallback}
          disabled={busy}
          title="Check the job document (Shift+Enter)"
          data-testid="validate-button"
        >
          {busy ? <Spinner /> : '✓'} Check job
        </button>
      }
      output={
        check === undefined && error === undefined ? undefined : (
          <div style={{ display: 'grid', gap: 6 }} data-testid="validation">
            <ErrorBox error={error} />
            {check !== undefined && check.ok ? (
              <Callout kind="ok" icon={<Icon name="ok" />}>
                The job document is valid: it can run.
              </Callout>
            ) : null}
            {check !== undefined && !check.ok
              ? check.problems.map((p, i) => (
                  <div className="callout error" key={i}>
                    <code>{p.path}</code>
                    <div className="grow">{p.message}</div>
                  </div>
                ))
              : null}
          </div>
        )
      }
    >
      <div style={{ display: 'grid', gap: 16 }}>
        <div className="row" style={{ gap: 22, alignItems: 'flex-end' }}>
          <label className="field">
            <span>Mode</span>
            <Segmented
              value={job.mode}
              disabled={readOnly}
              testId="job-mode"
              options={[
                { value: 'train', label: 'train', title: 'fit the model on the input' },
                {
                  value: 'inference',
                  label: 'inference',
                  title: 'load a saved model, predict each record',
                },
                {
                  value: 'online',
                  label: 'online',
                  title: 'per batch: predict and write, then train on it',
                },
              ]}
              onChange={setMode}
            />
          </label>
          <label className="field">
            <span>Workers</span>
            <Stepper
              value={workers}
              min={1}
              max={64}
              disabled={readOnly}
              testId="workers"
              onChange={(n) => setCluster({ workers: n })}
            />
          </label>
          {job.mode !== 'inference' ? (
            <>
              <label className="field">
                <span>Parameter servers</span>
                <Stepper
                  value={ps}
                  min={0}
                  max={16}
                  disabled={readOnly}
                  testId="parameter-servers"
                  onChange={(n) =>
                    setCluster(
                      n === 0 ? { parameterServers: 0, training: 'sync' } : { parameterServers: n },
                    )
                  }
                />
              </label>
              <label className="field">
                <span>Updates</span>
                <Segmented
                  value={training}
                  disabled={readOnly}
                  testId="training-mode"
                  options={[
                    { value: 'sync', label: 'sync', title: 'average every step across workers' },
                    {
                      value: 'async',
                      label: 'async',
                      title: 'each worker pushes on its own (needs a parameter server)',
                    },
                  ]}
                  onChange={(t) =>
                    setCluster(
                      t === 'async' && ps === 0
                        ? { training: t, parameterServers: 1 }
                        : { training: t },
                    )
                  }
                />
              </label>
            </>
          ) : null}
          <div className="cluster-picture" aria-label="the cluster">
            <span className="node coord">coord</span>
            <span className="muted">→</span>
            {Array.from({ length: Math.min(workers, 8) }, (_, i) => (
              <span key={i} className="node worker">
                w{i}
              </span>
            ))}
            {workers > 8 ? <span className="muted">+{workers - 8}</span> : null}
            {ps > 0 ? <span className="muted">⇄</span> : null}
            {Array.from({ length: Math.min(ps, 4) }, (_, i) => (
              <span key={i} className="node ps">
                ps{i}
              </span>
            ))}
          </div>
        </div>

        <div className="transfer-grid">
          <div style={{ display: 'grid', gap: 10 }}>
            <div className="field">
              <span>Transfer</span>
              <Segmented
                value={transfer.mode}
                disabled={readOnly}
                testId="transfer-mode"
                options={[
                  { value: 'stream', label: 'stream' },
                  { value: 'micro-batch', label: 'micro-batch' },
                  {
                    value: 'batch',
                    label: 'batch',
                    title: bounded ? 'read the whole input, then batches' : 'needs a bounded input',
                  },
                ]}
                onChange={(mode) =>
                  updateJob((j) => ({ ...j, transfer: transferFor(mode, transferOf(j)) }))
                }
              />
            </div>
            <div className="row" style={{ gap: 16 }}>
              {transfer.mode !== 'stream' ? (
                <NumberField
                  label="Batch size"
                  value={transfer.batchSize}
                  min={1}
                  placeholder={String(DEFAULT_BATCH_SIZE)}
                  disabled={readOnly}
                  testId="batch-size"
                  onChange={(batchSize) =>
                    updateJob((j) => ({
                      ...j,
                      transfer: withValue(transferOf(j), 'batchSize', batchSize),
                    }))
                  }
                />
              ) : null}
              {transfer.mode === 'micro-batch' ? (
                <NumberField
                  label="Linger (ms)"
                  value={transfer.lingerMs}
                  min={0}
                  placeholder={String(DEFAULT_LINGER_MS)}
                  disabled={readOnly}
                  testId="linger-ms"
                  onChange={(lingerMs) =>
                    updateJob((j) => ({
                      ...j,
                      transfer: withValue(transferOf(j), 'lingerMs', lingerMs),
                    }))
                  }
                />
              ) : null}
              {job.mode !== 'inference' ? (
                <>
                  <NumberField
                    label="Epochs"
                    value={job.training?.epochs}
                    min={1}
                    placeholder="1"
                    disabled={readOnly || job.mode === 'online' || !bounded}
                    testId="epochs"
                    onChange={(epochs) =>
                      updateJob((j) => ({
                        ...j,
                        training: withValue(j.training ?? {}, 'epochs', epochs),
                      }))
                    }
                  />
                  <NumberField
                    label="Checkpoint every"
                    value={job.training?.checkpoint?.everySteps}
                    min={1}
                    width={80}
                    placeholder="end"
                    unit="steps"
                    disabled={readOnly}
                    testId="checkpoint-steps"
                    onChange={(everySteps) =>
                      updateJob((j) => {
                        const checkpoint = withValue(
                          j.training?.checkpoint ?? {},
                          'everySteps',
                          everySteps,
                        );
                        return {
                          ...j,
                          training: withValue(
                            j.training ?? {},
                            'checkpoint',
                            Object.keys(checkpoint).length === 0 ? undefined : checkpoint,
                          ),
                        };
                      })
                    }
                  />
                </>
              ) : null}
            </div>
            {transfer.mode === 'batch' && !bounded ? (
              <Callout kind="warn" icon={<Icon name="warn" />}>
                Batch transfer reads the whole input first, so it needs a bounded input (a file, or
                a synthetic source with a record count).
              </Callout>
            ) : null}
            {job.mode === 'inference' ? (
              <label className="field">
                <span>Model to load</span>
                <input
                  className="input mono"
                  value={job.inference?.modelPath ?? ''}
                  readOnly={readOnly}
                  placeholder="models/penguin-train"
                  data-testid="model-path"
                  onChange={(e) =>
                    updateJob((j) => ({ ...j, inference: { modelPath: e.target.value } }))
                  }
                />
                <span className="hint">
                  A model a train run exported (models/&lt;job name&gt;), or a TensorFlow.js model
                  folder.
                </span>
              </label>
            ) : null}
          </div>
          <div className="card soft">
            <TransferDiagram
              mode={transfer.mode}
              batchSize={transfer.batchSize ?? DEFAULT_BATCH_SIZE}
              lingerMs={transfer.lingerMs ?? DEFAULT_LINGER_MS}
            />
          </div>
        </div>

        <div>
          <div className="section-title">
            Hyperparameters
            <span className="muted" style={{ fontWeight: 400 }}>
              override the model's defaults by name; the code reads them as <code>hp.name</code>
            </span>
          </div>
          <Hyperparameters job={job} readOnly={readOnly} />
        </div>
      </div>
    </Cell>
  );
}
