import { useEffect, useRef } from 'react';
import { CodecCell } from '../cells/CodecCell';
import { ClusterCell } from '../cells/ClusterCell';
import { CodeCell } from '../cells/CodeCell';
import { RunCell } from '../cells/RunCell';
import { SchemaCell } from '../cells/SchemaCell';
import { JOB_NAME_RE } from '../lib/job-model';
import { linkClick, setQueryParam, useLocation } from '../lib/router';
import { runCell } from '../state/cell-runners';
import type { CellId } from '../state/job-store';
import {
  CELLS,
  saveJob,
  setFocusedCell,
  takeTheirs,
  updateJob,
  useJobEditor,
} from '../state/job-store';
import { Spinner } from './Feedback';
import { ShareMenu } from './ShareMenu';
import { Icon } from './Icon';

function SaveState() {
  const { dirty, saving, record, jobId, saveError, readOnly } = useJobEditor();
  if (readOnly) {
    return <span className="tag">read-only</span>;
  }
  if (saving) {
    return (
      <span className="row tight muted small-text">
        <Spinner /> Saving…
      </span>
    );
  }
  if (saveError !== undefined) {
    return (
      <span className="small-text" style={{ color: 'var(--error)' }}>
        Not saved
      </span>
    );
  }
  if (jobId === undefined) {
    return <span className="tag">not saved yet</span>;
  }
  return (
    <span className="small-text muted" data-testid="save-state" data-dirty={String(dirty)}>
      {dirty ? '● unsaved changes' : `saved · v${record?.version ?? '?'}`}
    </span>
  );
}

/**
 * The job as a notebook: five cells, each with its output, runnable on its own (Shift+Enter or
 * Ctrl+Enter runs the focused cell; Ctrl/Cmd+S saves). `?cell=` follows the focused cell.
 */
export function JobEditor({
  runId,
  shared,
  toolbar,
}: {
  runId: string | undefined;
  shared?: boolean;
  toolbar?: React.ReactNode;
}) {
  const job = useJobEditor((s) => s.job);
  const jobId = useJobEditor((s) => s.jobId);
  const readOnly = useJobEditor((s) => s.readOnly);
  const readOnlyReason = useJobEditor((s) => s.readOnlyReason);
  const focused = useJobEditor((s) => s.focusedCell);
  const conflict = useJobEditor((s) => s.conflict);
  const saveError = useJobEditor((s) => s.saveError);
  const loc = useLocation();
  const root = useRef<HTMLDivElement>(null);
  const cellParam = loc.query.get('cell');

  // The address names the focused cell; opening an address with ?cell= focuses and shows it.
  useEffect(() => {
    if (cellParam !== null && (CELLS as readonly string[]).includes(cellParam)) {
      setFocusedCell(cellParam as CellId);
      document.getElementById(`cell-${cellParam}`)?.scrollIntoView({ block: 'start' });
    }
    // Only on arrival: afterwards the focus drives the address.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job !== undefined]);
  useEffect(() => {
    if (job !== undefined && cellParam !== focused) {
      setQueryParam('cell', focused);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focused, job !== undefined]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented) {
        return;
      }
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.key.toLowerCase() === 's') {
        event.preventDefault();
        void saveJob();
        return;
      }
      if (event.key === 'Enter' && (event.shiftKey || mod)) {
        const target = event.target as HTMLElement | null;
        if (target?.tagName === 'TEXTAREA' && !mod) {
          return;
        }
        event.preventDefault();
        runCell(useJobEditor.getState().focusedCell);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      const s = useJobEditor.getState();
      if (s.dirty && s.jobId !== undefined && !s.readOnly) {
        event.preventDefault();
      }
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);

  useEffect(() => {
    if (job !== undefined) {
      document.title = `${job.name} · tfstream studio`;
    }
  }, [job?.name, job]);

  if (job === undefined) {
    return null;
  }
  const nameValid = JOB_NAME_RE.test(job.name);

  return (
    <div
      className="main"
      ref={root}
      data-testid="job-editor"
      data-job-id={jobId ?? ''}
      data-read-only={String(readOnly)}
    >
      <header className="topbar">
        <div className="grow title-block">
          <div className="title-line">
            <span className="crumbs">
              <a href="/" onClick={linkClick('/')}>
                Jobs
              </a>
              <span>/</span>
            </span>
            <div className="job-title">
              <input
                value={job.name}
                readOnly={readOnly}
                aria-label="job name"
                data-testid="job-name"
                size={Math.max(8, job.name.length + 1)}
                style={nameValid ? undefined : { borderColor: 'var(--error)' }}
                title={
                  nameValid
                    ? 'job name'
                    : 'letters, digits, ".", "_" or "-", starting with a letter or digit'
                }
                onChange={(e) => updateJob((j) => ({ ...j, name: e.target.value }))}
              />
            </div>
            <span className="tag">{job.mode}</span>
            {shared === true ? (
              <span className="tag">shared snapshot</span>
            ) : jobId === undefined ? (
              <span className="tag">new</span>
            ) : null}
          </div>
          <input
            className="desc-input"
            value={job.description ?? ''}
            readOnly={readOnly}
            placeholder={readOnly ? '' : 'Add a description'}
            aria-label="description"
            onChange={(e) => updateJob((j) => ({ ...j, description: e.target.value }))}
          />
        </div>
        {toolbar}
        {shared === true ? null : (
          <>
            <SaveState />
            {readOnly ? null : (
              <button
                className="btn"
                onClick={() => void saveJob()}
                data-testid="save-button"
                title="Save (Ctrl+S)"
              >
                Save <span className="kbd">⌘S</span>
              </button>
            )}
            <ShareMenu />
          </>
        )}
      </header>
      {readOnly && readOnlyReason !== undefined ? (
        <div className={`banner${shared === true ? ' info' : ''}`} data-testid="read-only-banner">
          <Icon name="lock" />
          <span className="grow">{readOnlyReason}</span>
          {jobId !== undefined && shared !== true ? (
            <a
              className="btn small"
              href={`/jobs/${encodeURIComponent(jobId)}`}
              onClick={linkClick(`/jobs/${encodeURIComponent(jobId)}`)}
            >
              Back to the job
            </a>
          ) : null}
        </div>
      ) : null}
      {conflict !== undefined ? (
        <div className="banner" data-testid="conflict-banner">
          <Icon name="warn" />
          <span className="grow">
            {saveError} Keep yours (save on top of version {conflict.version}) or take theirs (drop
            your edits)?
          </span>
          <button className="btn small" onClick={takeTheirs}>
            Take theirs
          </button>
          <button className="btn small primary" onClick={() => void saveJob({ force: true })}>
            Keep mine
          </button>
        </div>
      ) : saveError !== undefined ? (
        <div
          className="banner"
          style={{ background: 'var(--error-soft)', color: 'var(--error)' }}
          data-testid="save-error"
        >
          <Icon name="warn" />
          <span className="grow">Not saved: {saveError}</span>
          <button className="btn small" onClick={() => void saveJob({ force: true })}>
            Retry
          </button>
        </div>
      ) : null}
      <div className="scroll">
        <div className="page">
          <div className="notebook">
            <SchemaCell focused={focused === 'schema'} number={1} />
            <CodecCell focused={focused === 'codec'} number={2} />
            <CodeCell focused={focused === 'code'} number={3} />
            <ClusterCell focused={focused === 'cluster'} number={4} />
            <RunCell focused={focused === 'run'} number={5} runId={runId} shared={shared} />
          </div>
          <div className="muted small-text" style={{ textAlign: 'center', marginTop: 18 }}>
            <span className="kbd">⇧⏎</span> runs the focused cell · <span className="kbd">⌘S</span>{' '}
            saves
          </div>
        </div>
      </div>
    </div>
  );
}
