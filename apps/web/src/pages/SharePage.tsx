import { useEffect, useState } from 'react';
import type { ShareSnapshot } from '@tfstream/studio-api';
import { ErrorBox, Spinner } from '../components/Feedback';
import { JobEditor } from '../components/JobEditor';
import { api, errorText } from '../lib/api';
import { timeAgo } from '../lib/format';
import { navigate } from '../lib/router';
import { closeRun, openSnapshot } from '../run/run-session';
import { openReadOnly } from '../state/job-store';

/** `/share/:shareId`: an immutable snapshot anyone with the link can view and fork. */
export default function SharePage({ shareId }: { shareId: string }) {
  const [snapshot, setSnapshot] = useState<ShareSnapshot | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [forking, setForking] = useState(false);

  useEffect(() => {
    let cancelled = false;
    api.share(shareId).then(
      (snap) => {
        if (cancelled) {
          return;
        }
        setSnapshot(snap);
        openReadOnly(
          snap.job,
          `A read-only snapshot of “${snap.jobName}” (version ${snap.jobVersion}), shared ${timeAgo(snap.createdAt)}. Fork it to edit and run your own copy.`,
          undefined,
          true,
        );
        if (snap.run === undefined) {
          closeRun();
        } else {
          openSnapshot(snap.run.summary.id, snap.run.events);
        }
      },
      (e: unknown) => setError(errorText(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [shareId]);

  const fork = async () => {
    if (snapshot === undefined) {
      return;
    }
    setForking(true);
    setError(undefined);
    try {
      // Asks for the token (Jupyter's login) when this browser has none, then forks.
      const record = await api.createJob({
        job: snapshot.job,
        origin: { kind: 'share', id: shareId },
      });
      navigate(`/jobs/${encodeURIComponent(record.id)}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setForking(false);
    }
  };

  if (snapshot === undefined) {
    return (
      <div className="page">
        {error === undefined ? (
          <div className="row muted">
            <Spinner /> Opening the snapshot…
          </div>
        ) : (
          <ErrorBox error={error} />
        )}
      </div>
    );
  }
  return (
    <div className="main" data-testid="share-page">
      {error !== undefined ? (
        <div style={{ padding: '8px 20px' }}>
          <ErrorBox error={error} />
        </div>
      ) : null}
      <JobEditor
        runId={snapshot.run?.summary.id}
        shared
        toolbar={
          <button
            className="btn primary"
            onClick={() => void fork()}
            disabled={forking}
            data-testid="fork-button"
          >
            {forking ? <Spinner /> : null} Fork to edit and run
          </button>
        }
      />
    </div>
  );
}
