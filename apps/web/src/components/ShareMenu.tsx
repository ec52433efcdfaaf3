import { useState } from 'react';
import { api, errorText } from '../lib/api';
import { jobLink } from '../lib/job-link';
import { toast } from '../lib/toast';
import { saveJob, useJobEditor } from '../state/job-store';
import { useRunSession } from '../run/run-session';
import { Spinner } from './Feedback';

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Share: a read-only snapshot link (`/share/<id>`), or the whole job inside the link. */
export function ShareMenu() {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [link, setLink] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [withRun, setWithRun] = useState(true);
  const runId = useRunSession((s) => s.runId);
  const jobId = useJobEditor((s) => s.jobId);

  const snapshot = async () => {
    setBusy(true);
    setError(undefined);
    setLink(undefined);
    try {
      const saved = await saveJob();
      if (saved === undefined) {
        throw new Error(useJobEditor.getState().saveError ?? 'save the job first');
      }
      const share = await api.createShare({
        jobId: saved.id,
        version: saved.version,
        ...(withRun && runId !== undefined ? { runId } : {}),
      });
      const url = `${location.origin}${share.path}`;
      setLink(url);
      if (await copy(url)) {
        toast('Share link copied');
      }
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const inline = async () => {
    const job = useJobEditor.getState().job;
    if (job === undefined) {
      return;
    }
    setError(undefined);
    const url = await jobLink(job, location.origin);
    if (url === undefined) {
      setError('This job is too big to travel in a link; share a snapshot instead.');
      return;
    }
    setLink(url);
    if (await copy(url)) {
      toast('Link with the job inside copied');
    }
  };

  return (
    <div className="anchor">
      <button
        className="btn"
        onClick={() => setOpen(!open)}
        data-testid="share-button"
        aria-expanded={open}
      >
        ⇪ Share
      </button>
      {open ? (
        <div className="popover" data-testid="share-popover">
          <div style={{ display: 'grid', gap: 10 }}>
            <div>
              <b>Snapshot link</b>
              <div className="muted small-text">
                An immutable, read-only copy of this version
                {runId !== undefined ? ' and, if you like, this run' : ''}. Anyone with the link can
                view and fork it; no token needed.
              </div>
            </div>
            {runId !== undefined ? (
              <label className="check small-text">
                <input
                  type="checkbox"
                  checked={withRun}
                  onChange={(e) => setWithRun(e.target.checked)}
                />{' '}
                include run {runId.slice(0, 8)}
              </label>
            ) : null}
            <div className="row">
              <button
                className="btn primary small"
                onClick={() => void snapshot()}
                disabled={busy}
                data-testid="create-share"
              >
                {busy ? <Spinner /> : null} Create snapshot link
              </button>
              <button
                className="btn small"
                onClick={() => void inline()}
                data-testid="copy-job-link"
                title="The job compressed into the link, like the TypeScript playground"
              >
                Copy link with job inside
              </button>
            </div>
            {jobId === undefined ? (
              <div className="muted small-text">Creating a snapshot saves the job first.</div>
            ) : null}
            {error !== undefined ? <div className="callout error">{error}</div> : null}
            {link !== undefined ? (
              <input
                className="input mono small"
                readOnly
                value={link}
                data-testid="share-link"
                onFocus={(e) => e.target.select()}
              />
            ) : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
