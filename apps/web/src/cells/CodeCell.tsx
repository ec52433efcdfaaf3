import { Suspense, lazy, useCallback, useMemo, useState } from 'react';
import type { CompileResponse } from '@tfstream/studio-api';
import { Cell } from '../components/Cell';
import { Segmented } from '../components/Controls';
import { Callout, ErrorBox, Skeleton, Spinner } from '../components/Feedback';
import type { DryRunBackend, DryRunResult } from '../editor/dry-run';
import type { EditorMarker } from '../editor/CodeEditor';
import { api, errorText } from '../lib/api';
import { formatCell, formatDuration } from '../lib/format';
import { inlineSchema, modelSource, withModelSource } from '../lib/job-model';
import { useTheme } from '../lib/theme';
import { useRunSession } from '../run/run-session';
import { useCellRunner } from '../state/cell-runners';
import { saveJob, updateJob, useJobEditor } from '../state/job-store';
import { Icon } from '../components/Icon';

const CodeEditor = lazy(() => import('../editor/CodeEditor'));

function EditorSkeleton() {
  return (
    <div className="editor-loading">
      {[70, 45, 0, 80, 62, 38, 74, 55].map((w, i) => (
        <Skeleton key={i} width={w === 0 ? 0 : `${w}%`} height={12} />
      ))}
    </div>
  );
}

function LossSparkline({ losses }: { losses: number[] }) {
  if (losses.length < 2) {
    return null;
  }
  const min = Math.min(...losses);
  const max = Math.max(...losses);
  const points = losses
    .map((l, i) => `${(i / (losses.length - 1)) * 100},${28 - ((l - min) / (max - min || 1)) * 24}`)
    .join(' ');
  return (
    <svg
      viewBox="0 0 100 30"
      width="100"
      height="30"
      preserveAspectRatio="none"
      aria-label="loss per step"
    >
      <polyline
        points={points}
        fill="none"
        stroke="var(--chart-1)"
        strokeWidth="1.5"
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  );
}

function DryRunView({ result }: { result: DryRunResult }) {
  return (
    <div
      style={{ display: 'grid', gap: 10 }}
      data-testid="dry-run-result"
      data-ok={String(result.ok)}
    >
      {result.error !== undefined ? (
        <div className="callout error">
          <Icon name="warn" />
          <div className="grow">
            <b>{result.error.step}</b> failed: {result.error.message}
          </div>
        </div>
      ) : (
        <Callout kind="ok" icon={<Icon name="ok" />}>
          The model built, took{' '}
          {result.losses.length > 0 ? `${result.losses.length} training steps and ` : ''}a predict
          on {result.rows} {result.rowsFrom === 'sample' ? 'sample' : 'made-up'} rows in the browser
          ({result.backend} backend)
          {result.losses.length === 0
            ? '; its weights are fresh, not the saved model a run loads'
            : ''}
          .
        </Callout>
      )}
      <div className="dry-steps">
        {result.steps.map((s, i) => (
          <div
            className="dry-step"
            key={i}
            style={s.ok ? undefined : { borderColor: 'var(--error)' }}
          >
            <div className="row">
              <span className="k">
                {s.ok ? '✓' : '✕'} {s.name}
              </span>
              <span className="spacer" />
              <span className="muted small-text">{formatDuration(s.ms)}</span>
            </div>
            <div className="v">{s.detail}</div>
            {s.name === 'train' && s.ok ? <LossSparkline losses={result.losses} /> : null}
          </div>
        ))}
      </div>
      {result.outputs.length > 0 ? (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th className="num">row</th>
                {result.outputColumns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.outputs.map((row, i) => (
                <tr key={i}>
                  <td className="num muted">{i}</td>
                  {result.outputColumns.map((c) => (
                    <td key={c} className="mono">
                      {formatCell(row[c])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

export function CodeCell({ focused, number }: { focused: boolean; number: number }) {
  const job = useJobEditor((s) => s.job)!;
  const readOnly = useJobEditor((s) => s.readOnly);
  const dark = useTheme((s) => s.theme) === 'dark';
  const store = useRunSession((s) => s.store);
  // Only a new error line changes the markers; other events must not touch the editor.
  const runErrors = useRunSession((s) => s.store?.sourceErrors.length ?? 0);
  const [compile, setCompile] = useState<CompileResponse | undefined>();
  const [compileError, setCompileError] = useState<string | undefined>();
  const [dry, setDry] = useState<DryRunResult | undefined>();
  const [dryError, setDryError] = useState<string | undefined>();
  const [busy, setBusy] = useState<'compile' | 'dry' | undefined>();
  const [backend, setBackend] = useState<DryRunBackend>('cpu');
  const [typings, setTypings] = useState<{ files: number; error?: string } | undefined>();
  /** Errors in the code; undefined until the TypeScript worker checked it once. */
  const [problems, setProblems] = useState<number | undefined>();
  const [reveal, setReveal] = useState<{ line: number; column: number; at: number } | undefined>();

  const checkOnServer = useCallback(async () => {
    const source = modelSource(useJobEditor.getState().job!);
    setBusy('compile');
    setCompileError(undefined);
    try {
      setCompile(await api.compile(source));
    } catch (e) {
      setCompileError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  }, []);

  const runDry = useCallback(async () => {
    const state = useJobEditor.getState();
    const current = state.job!;
    const schema = inlineSchema(current.input.schema);
    if (schema === undefined) {
      setDryError('The dry run needs the input schema inline: infer it in the first cell.');
      return;
    }
    setBusy('dry');
    setDryError(undefined);
    try {
      const [{ emitCommonJs }, { dryRun }] = await Promise.all([
        import('../editor/monaco-setup'),
        import('../editor/dry-run'),
      ]);
      const js = await emitCommonJs();
      setDry(
        await dryRun({
          js,
          mode: current.mode,
          schema,
          rows: state.inference?.preview,
          hyperparameters: current.hyperparameters ?? {},
          backend,
        }),
      );
    } catch (e) {
      setDryError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  }, [backend]);

  const run = useCallback(() => {
    if (!useJobEditor.getState().shared) {
      void checkOnServer();
    }
    void runDry();
  }, [checkOnServer, runDry]);
  useCellRunner('code', run);

  const runMarkers = useMemo(() => {
    void runErrors;
    return (store?.sourceErrors ?? []).map((log): EditorMarker => ({
      severity: 'error',
      message: `${log.role} ${log.index}: ${log.message}`,
      line: log.sourceLocation!.line,
      column: log.sourceLocation!.column,
    }));
  }, [store, runErrors]);
  const markers = useMemo(
    () => ({
      compile: (compile?.diagnostics ?? []).map((d): EditorMarker => ({ ...d })),
      run: runMarkers,
    }),
    [compile, runMarkers],
  );

  const diagnostics = compile?.diagnostics ?? [];
  const showOutput =
    compile !== undefined ||
    compileError !== undefined ||
    dry !== undefined ||
    dryError !== undefined ||
    busy !== undefined ||
    runMarkers.length > 0;

  return (
    <Cell
      id="code"
      number={number}
      icon="{}"
      title="Model code"
      subtitle={
        <>
          TypeScript · <code>@tfstream/sdk</code> + <code>@tensorflow/tfjs</code>
          {typings?.error !== undefined ? (
            <span style={{ color: 'var(--warn)' }}> · typings unavailable</span>
          ) : null}
        </>
      }
      focused={focused}
      flush
      actions={
        <>
          <span
            className="small-text"
            style={{ color: (problems ?? 0) > 0 ? 'var(--error)' : 'var(--muted)' }}
            data-testid="ts-problems"
          >
            {problems === undefined
              ? typings === undefined
                ? ''
                : 'checking types…'
              : problems > 0
                ? `${problems} problem${problems === 1 ? '' : 's'}`
                : '✓ no problems'}
          </span>
          <button
            className="btn small"
            onClick={() => void checkOnServer()}
            disabled={busy !== undefined}
            data-testid="compile-button"
            title="Compile on the server as a run would"
          >
            {busy === 'compile' ? <Spinner /> : '✓'} Check
          </button>
          <Segmented
            value={backend}
            onChange={setBackend}
            options={[
              { value: 'cpu', label: 'cpu', title: 'dry run on the tfjs cpu backend' },
              { value: 'webgl', label: 'webgl', title: 'dry run on the tfjs webgl backend' },
            ]}
          />
          <button
            className="btn small primary"
            onClick={run}
            disabled={busy !== undefined}
            data-testid="dry-run-button"
            title="Dry run in the browser (Shift+Enter)"
          >
            {busy === 'dry' ? <Spinner /> : '▶'} Dry run <span className="kbd">⇧⏎</span>
          </button>
        </>
      }
      output={
        showOutput ? (
          <div style={{ display: 'grid', gap: 10 }}>
            {diagnostics.length > 0 || runMarkers.length > 0 || compileError !== undefined ? (
              <div>
                <div className="cell-output-label">Problems</div>
                <ErrorBox error={compileError} />
                <div className="diag-list" data-testid="diagnostics">
                  {[
                    ...diagnostics.map((d) => ({ ...d, from: 'compile' })),
                    ...runMarkers.map((m) => ({ ...m, from: 'run' })),
                  ].map((d, i) => (
                    <div
                      key={i}
                      className={`diag-item ${d.severity}`}
                      onClick={() => setReveal({ line: d.line, column: d.column, at: Date.now() })}
                    >
                      <span className="sev">{d.severity === 'error' ? '✕' : '!'}</span>
                      <span className="where">
                        model.ts:{d.line}:{d.column}
                      </span>
                      <span>{d.message}</span>
                      <span className="spacer" />
                      <span className="muted">{d.from}</span>
                    </div>
                  ))}
                </div>
              </div>
            ) : compile !== undefined && compile.ok ? (
              <div className="small-text" style={{ color: 'var(--ok)' }}>
                ✓ compiles on the server ({formatDuration(compile.durationMs)})
              </div>
            ) : null}
            {busy === 'dry' && dry === undefined ? (
              <div className="row muted">
                <Spinner /> Loading TensorFlow.js and running the model on the sample rows…
              </div>
            ) : null}
            <ErrorBox error={dryError} />
            {dry !== undefined ? (
              <div>
                <div className="cell-output-label">
                  Dry run {busy === 'dry' ? <Spinner /> : null}
                </div>
                <DryRunView result={dry} />
              </div>
            ) : null}
          </div>
        ) : undefined
      }
    >
      <div className="editor-frame" data-testid="code-editor">
        <Suspense fallback={<EditorSkeleton />}>
          <CodeEditor
            value={modelSource(job)}
            readOnly={readOnly}
            dark={dark}
            markers={markers}
            reveal={reveal}
            onChange={(source) => {
              if (source !== modelSource(useJobEditor.getState().job!)) {
                updateJob((j) => withModelSource(j, source));
              }
            }}
            onRun={run}
            onSave={() => void saveJob()}
            onTypings={setTypings}
            onDiagnostics={setProblems}
          />
        </Suspense>
      </div>
      {typings?.error !== undefined ? (
        <div style={{ padding: '8px 12px' }}>
          <Callout kind="warn" icon={<Icon name="warn" />}>
            Autocomplete for the SDK and tfjs is off: GET /api/typings failed ({typings.error}).
          </Callout>
        </div>
      ) : null}
    </Cell>
  );
}
