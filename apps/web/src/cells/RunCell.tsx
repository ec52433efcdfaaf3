import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { Cell } from '../components/Cell';
import { Callout, Empty, ErrorBox, Spinner } from '../components/Feedback';
import { Icon } from '../components/Icon';
import { HistogramChart } from '../components/HistogramChart';
import { LineChart } from '../components/LineChart';
import { LogView } from '../components/LogView';
import { OutputTable } from '../components/OutputTable';
import { StatusBadge } from '../components/StatusBadge';
import { api, errorText } from '../lib/api';
import { refreshJobs } from '../lib/data';
import { formatCount, formatDuration, formatNumber, formatTime, timeAgo } from '../lib/format';
import { schemaFields } from '../lib/job-model';
import { usePaced } from '../lib/use-paced';
import { linkClick, navigate } from '../lib/router';
import { isTerminal } from '../run/run-store';
import type { MetricSeries, RunPart, RunStore, TimelineEvent } from '../run/run-store';
import { openRun, useRunSession } from '../run/run-session';
import { useCellRunner } from '../state/cell-runners';
import { refreshRuns, saveJob, useJobEditor } from '../state/job-store';

const NO_VERSIONS: Record<RunPart, number> = {
  timeline: 0,
  logs: 0,
  metrics: 0,
  rows: 0,
  summaries: 0,
};

const CHARTS_EVERY_MS = 500;

const METRIC_ORDER = ['loss', 'accuracy', 'acc', 'val_loss', 'throughput', 'latency'];
const UNITS: Record<string, string> = { throughput: 'records/s', latency: 'ms per record' };

function groupMetrics(store: RunStore): [string, MetricSeries[]][] {
  const groups = new Map<string, MetricSeries[]>();
  for (const s of store.metrics.values()) {
    const list = groups.get(s.name) ?? [];
    list.push(s);
    groups.set(s.name, list);
  }
  const rank = (name: string) => {
    const i = METRIC_ORDER.indexOf(name);
    return i < 0 ? METRIC_ORDER.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

function TimelineItem({ event }: { event: TimelineEvent }) {
  if (event.type === 'state') {
    return (
      <div className="timeline-item" data-testid="timeline-state" data-state={event.state}>
        <span className="when">{formatTime(event.at)}</span>
        <span className={`status-dot ${event.state}`} />
        <span>
          <b>{event.state}</b>{' '}
          {event.reason === '' ? null : <span className="muted">— {event.reason}</span>}
        </span>
      </div>
    );
  }
  return (
    <div className="timeline-item" data-testid="timeline-role">
      <span className="when">{formatTime(event.at)}</span>
      <span
        aria-hidden
        style={{
          color:
            event.phase === 'exited' || event.phase === 'restarting'
              ? 'var(--warn)'
              : 'var(--muted)',
        }}
      >
        {event.phase === 'restarting' ? '↻' : event.phase === 'exited' ? '■' : '●'}
      </span>
      <span>
        {event.role} {event.index} {event.phase}
        <span className="muted">
          {' '}
          (pid {event.pid}, attempt {event.attempt})
          {event.message === undefined ? '' : ` — ${event.message}`}
        </span>
      </span>
    </div>
  );
}

/** The states and role changes of the run, oldest first; renders again when `version` changes. */
const Timeline = memo(function Timeline({ store }: { store: RunStore; version: number }) {
  return (
    <div className="timeline" data-testid="timeline">
      {store.timeline.length === 0 ? (
        <div className="muted" style={{ padding: 10 }}>
          No state changes yet.
        </div>
      ) : (
        store.timeline.map((event) => <TimelineItem key={event.seq} event={event} />)
      )}
    </div>
  );
});

/** The charts' smoothing; a control of its own, so that the run's updates leave it alone. */
const SmoothingControl = memo(function SmoothingControl({
  value,
  onChange,
}: {
  value: number;
  onChange: (value: number) => void;
}) {
  return (
    <label className="row tight muted small-text" style={{ fontWeight: 400 }}>
      smoothing
      <input
        type="range"
        min={0}
        max={0.99}
        step={0.01}
        value={value}
        style={{ width: 110, accentColor: 'var(--accent)' }}
        onChange={(e) => onChange(Number(e.target.value))}
        data-testid="smoothing"
      />
      <span className="mono" style={{ width: 30 }}>
        {value.toFixed(2)}
      </span>
    </label>
  );
});

/** A latency in ms short enough for its card: one decimal below 100 ms, none above. */
function latencyText(ms: number): string {
  return ms < 100 ? ms.toFixed(1) : String(Math.round(ms));
}

function Stats({ store, now }: { store: RunStore; now: number }) {
  const p = store.progress;
  const o = store.outcome;
  const elapsed =
    o?.durationMs ?? (store.startedAt === undefined ? 0 : (store.endedAt ?? now) - store.startedAt);
  const items: [string, string][] = [
    ['records in', formatCount(o?.recordsIn ?? p?.recordsIn ?? 0)],
    ['records done', formatCount(o?.recordsOut ?? p?.recordsOut ?? 0)],
    ['in flight', formatCount(p?.inFlight ?? 0)],
    [
      'throughput',
      p?.throughput === undefined ? '—' : `${formatCount(Math.round(p.throughput))}/s`,
    ],
    [
      'latency p50 / p99',
      p?.latencyP50Ms === undefined
        ? '—'
        : `${latencyText(p.latencyP50Ms)} / ${p.latencyP99Ms === undefined ? '—' : latencyText(p.latencyP99Ms)} ms`,
    ],
    ['output rows', formatCount(store.rowsReceived)],
    ['elapsed', store.startedAt === undefined && o === undefined ? '—' : formatDuration(elapsed)],
  ];
  return (
    <div className="stats" data-testid="run-stats">
      {items.map(([label, value]) => (
        <div className="stat" key={label}>
          <b>{value}</b>
          <span>{label}</span>
        </div>
      ))}
    </div>
  );
}

function Progress({ store }: { store: RunStore }) {
  const p = store.progress;
  const done = store.outcome?.state === 'finished';
  if (p?.total === undefined || p.total <= 0) {
    if (store.outcome === undefined && store.state !== undefined && !isTerminal(store.state)) {
      return (
        <div className="progress indeterminate" data-testid="progress">
          <i />
        </div>
      );
    }
    return null;
  }
  const ratio = done ? 1 : Math.min(1, p.recordsOut / p.total);
  return (
    <div data-testid="progress" data-ratio={ratio.toFixed(3)}>
      <div className="row small-text progress-label">
        <span>
          {formatCount(done ? p.total : p.recordsOut)} of {formatCount(p.total)} records
        </span>
        <span className="spacer" />
        <b>{Math.round(ratio * 100)}%</b>
      </div>
      <div className={`progress${done ? ' done' : ''}`}>
        <i style={{ width: `${ratio * 100}%` }} />
      </div>
    </div>
  );
}

function Outcome({ store }: { store: RunStore }) {
  const o = store.outcome;
  if (o === undefined) {
    return null;
  }
  if (o.state === 'failed') {
    return (
      <div className="callout error" data-testid="run-outcome">
        <Icon name="error" />
        <div className="grow">
          <b>The run failed</b> after {formatDuration(o.durationMs)}
          {o.reason === undefined ? '.' : <>: {o.reason}</>}
        </div>
      </div>
    );
  }
  return (
    <Callout
      kind={o.state === 'finished' ? 'ok' : 'info'}
      icon={<Icon name={o.state === 'finished' ? 'ok' : 'info'} />}
    >
      <span data-testid="run-outcome">
        <b>{o.state === 'finished' ? 'Finished' : 'Cancelled'}</b> in {formatDuration(o.durationMs)}
        : {formatCount(o.recordsIn)} records in, {formatCount(o.recordsOut)} done,{' '}
        {formatCount(o.rowsWritten)} rows written
        {o.duplicatesDropped > 0
          ? `, ${o.duplicatesDropped} duplicates dropped after a restart`
          : ''}
        {Object.keys(o.metrics).length > 0
          ? ` · ${Object.entries(o.metrics)
              .map(([k, v]) => `${k} ${formatNumber(v)}`)
              .join(', ')}`
          : ''}
        {o.reason === undefined ? '' : ` — ${o.reason}`}
      </span>
    </Callout>
  );
}

function RunHistory({ jobId, activeRunId }: { jobId: string; activeRunId: string | undefined }) {
  const runs = useJobEditor((s) => s.runs);
  if (runs.length === 0) {
    return null;
  }
  return (
    <div>
      <div className="section-title">History</div>
      <div className="table-wrap" style={{ maxHeight: 220 }} data-testid="run-history">
        <table className="data">
          <thead>
            <tr>
              <th>run</th>
              <th>state</th>
              <th>started</th>
              <th className="num">duration</th>
              <th className="num">records</th>
              <th>job version</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run, i) => {
              const href = `/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(run.id)}`;
              return (
                <tr
                  key={run.id}
                  style={run.id === activeRunId ? { background: 'var(--accent-soft)' } : undefined}
                >
                  <td>
                    <a href={href} onClick={linkClick(href)} data-testid="run-history-link">
                      #{runs.length - i}
                    </a>{' '}
                    <span className="muted mono">{run.id.slice(0, 8)}</span>
                  </td>
                  <td>
                    <StatusBadge state={run.state} />
                  </td>
                  <td title={new Date(run.createdAt).toLocaleString()}>{timeAgo(run.createdAt)}</td>
                  <td className="num">
                    {run.outcome === undefined ? '—' : formatDuration(run.outcome.durationMs)}
                  </td>
                  <td className="num">
                    {run.outcome === undefined ? '—' : formatCount(run.outcome.recordsOut)}
                  </td>
                  <td>v{run.jobVersion}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function RunCell({
  focused,
  number,
  runId,
  shared,
}: {
  focused: boolean;
  number: number;
  runId: string | undefined;
  shared?: boolean;
}) {
  const job = useJobEditor((s) => s.job)!;
  const jobId = useJobEditor((s) => s.jobId);
  const readOnly = useJobEditor((s) => s.readOnly);
  const { store, version, socketStatus } = useRunSession();
  const [starting, setStarting] = useState(false);
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(() => Date.now());
  const [smoothing, setSmoothing] = useState(0.6);
  const state = store?.state;
  const active = store !== undefined && !store.ended && !isTerminal(state);

  useEffect(() => {
    if (!active) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);

  const ended = store?.ended ?? false;
  useEffect(() => {
    if (ended && shared !== true) {
      void refreshRuns();
      void refreshJobs();
    }
  }, [ended, shared]);

  const start = useCallback(async () => {
    performance.mark('tfstream:run-clicked');
    setError(undefined);
    setStarting(true);
    try {
      const saved = await saveJob();
      if (saved === undefined) {
        setError(
          useJobEditor.getState().saveError ?? 'The job could not be saved, so it did not run.',
        );
        return;
      }
      const run = await api.startRun(saved.id);
      openRun(run.id);
      navigate(
        `/jobs/${encodeURIComponent(saved.id)}/runs/${encodeURIComponent(run.id)}${location.search}`,
      );
      void refreshRuns();
      void refreshJobs();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setStarting(false);
    }
  }, []);

  const stop = useCallback(async () => {
    const current = useRunSession.getState().runId;
    if (current === undefined) {
      return;
    }
    setStopping(true);
    setError(undefined);
    try {
      await api.cancelRun(current);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setStopping(false);
    }
  }, []);

  const run = useCallback(() => void start(), [start]);
  useCellRunner('run', run);

  // Each part of the view renders again only when its part of the store changed.
  const versions = useMemo(
    () => ({ ...(store?.versions ?? NO_VERSIONS) }),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the store mutates; `version` says when
    [store, version],
  );
  // Charts redraw twice a second at most: a line moving ten times a second tells no more.
  const metricsVersion = usePaced(versions.metrics, CHARTS_EVERY_MS);
  const summariesVersion = usePaced(versions.summaries, CHARTS_EVERY_MS);
  const metrics = useMemo(
    () => (store === undefined ? [] : groupMetrics(store)),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the store mutates; the version says when
    [store, metricsVersion],
  );
  const columns = useMemo(
    () => schemaFields(job.output?.schema).map((f) => f.name),
    [job.output?.schema],
  );
  const canRun = !readOnly && shared !== true;

  return (
    <Cell
      id="run"
      number={number}
      icon="▶"
      title="Run"
      subtitle={
        runId === undefined
          ? 'launch the job on a local cluster'
          : `run ${runId.slice(0, 8)}${socketStatus === 'reconnecting' ? ' · reconnecting…' : socketStatus === 'open' ? ' · live' : ''}`
      }
      focused={focused}
      actions={
        <>
          {store !== undefined ? <StatusBadge state={state} testId="status-badge" /> : null}
          {shared === true ? null : (
            <>
              <button
                className="btn small danger"
                onClick={() => void stop()}
                disabled={!active || stopping || readOnly}
                data-testid="stop-button"
              >
                {stopping ? <Spinner /> : '■'} Stop
              </button>
              <button
                className="btn small run"
                onClick={run}
                disabled={!canRun || starting || active}
                data-testid="run-button"
                title="Save and run the job (Shift+Enter)"
              >
                {starting ? <Spinner /> : '▶'} Run <span className="kbd">⇧⏎</span>
              </button>
            </>
          )}
        </>
      }
    >
      <div style={{ display: 'grid', gap: 14 }}>
        <ErrorBox error={error} />
        {store === undefined ? (
          <Empty title={runId === undefined ? 'Not run yet' : 'Opening the run…'}>
            {runId === undefined ? (
              <span>
                <b>Run</b> saves the job and starts a coordinator with {job.cluster?.workers ?? 1}{' '}
                worker
                {(job.cluster?.workers ?? 1) === 1 ? '' : 's'}
                {(job.cluster?.parameterServers ?? 0) > 0
                  ? ` and ${job.cluster?.parameterServers} parameter server(s)`
                  : ''}
                . Logs, metrics and output stream in here.
              </span>
            ) : (
              <Spinner />
            )}
          </Empty>
        ) : (
          <>
            {socketStatus === 'reconnecting' ? (
              <Callout kind="warn" icon="↻">
                The connection dropped; reconnecting from event {store.lastSeq}. Nothing is lost or
                shown twice.
              </Callout>
            ) : null}
            <Progress store={store} />
            <Stats store={store} now={now} />
            <Outcome store={store} />
            {store.roles.size > 0 ? (
              <div className="roles" data-testid="roles">
                {[...store.roles.values()]
                  .sort((a, b) => a.role.localeCompare(b.role) || a.index - b.index)
                  .map((r) => (
                    <span
                      key={`${r.role}${r.index}`}
                      className={`role-chip ${r.phase}`}
                      title={`pid ${r.pid}, attempt ${r.attempt}`}
                    >
                      <span className="status-dot" />
                      {r.role === 'ps' ? 'ps' : 'worker'} {r.index} · {r.phase}
                      {r.attempt > 1 ? <span className="muted"> (attempt {r.attempt})</span> : null}
                    </span>
                  ))}
              </div>
            ) : null}

            <div>
              <div className="section-title">
                Metrics
                <span className="spacer" />
                <SmoothingControl value={smoothing} onChange={setSmoothing} />
              </div>
              {metrics.length === 0 ? (
                <div className="muted small-text">
                  No metrics yet: loss and accuracy appear with the first training steps, throughput
                  and latency with the first records.
                </div>
              ) : (
                <div className="charts">
                  {metrics.map(([name, series]) => (
                    <LineChart
                      key={name}
                      title={name}
                      unit={UNITS[name]}
                      series={series}
                      version={metricsVersion}
                      xAxis={name === 'throughput' || name === 'latency' ? 'time' : 'step'}
                      smoothing={smoothing}
                    />
                  ))}
                </div>
              )}
            </div>

            {store.summaries.size > 0 ? (
              <div>
                <div className="section-title">Tensor histograms</div>
                <div className="histograms">
                  {[...store.summaries.entries()].map(([name, steps]) => (
                    <HistogramChart
                      key={name}
                      name={name}
                      steps={steps}
                      version={summariesVersion}
                    />
                  ))}
                </div>
              </div>
            ) : null}

            {job.output !== undefined || store.rowsReceived > 0 ? (
              <div>
                <div className="section-title">Output</div>
                <OutputTable key={runId} store={store} version={versions.rows} columns={columns} />
              </div>
            ) : null}

            <div>
              <div className="section-title">Logs</div>
              <LogView
                key={runId}
                store={store}
                version={versions.logs}
                rolesVersion={versions.timeline}
                runId={shared === true ? undefined : runId}
              />
            </div>

            <div>
              <div className="section-title">Timeline</div>
              <Timeline store={store} version={versions.timeline} />
            </div>
          </>
        )}
        {jobId !== undefined && shared !== true ? (
          <RunHistory jobId={jobId} activeRunId={runId} />
        ) : null}
      </div>
    </Cell>
  );
}
