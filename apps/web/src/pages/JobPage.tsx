import { useEffect } from 'react';
import { ErrorBox, Skeleton, SkeletonLines } from '../components/Feedback';
import { JobEditor } from '../components/JobEditor';
import { api } from '../lib/api';
import { timeAgo } from '../lib/format';
import { closeRun, openRun } from '../run/run-session';
import { loadJob, openReadOnly, useJobEditor } from '../state/job-store';

function EditorSkeleton() {
  return (
    <div className="main">
      <header className="topbar">
        <div className="grow" style={{ display: 'grid', gap: 6 }}>
          <Skeleton width={80} height={10} />
          <Skeleton width={220} height={16} />
        </div>
      </header>
      <div className="scroll">
        <div className="page notebook">
          {[140, 90, 300, 120].map((h, i) => (
            <div className="cell" key={i}>
              <div className="cell-gutter">[{i + 1}]</div>
              <div className="cell-card" style={{ padding: 14, minHeight: h }}>
                <SkeletonLines lines={Math.round(h / 40)} />
              </div>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** `/jobs/:jobId` and `/jobs/:jobId/runs/:runId`: the job's notebook, and one of its runs. */
export default function JobPage({ jobId, runId }: { jobId: string; runId: string | undefined }) {
  const job = useJobEditor((s) => s.job);
  const loadError = useJobEditor((s) => s.loadError);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      if (runId !== undefined) {
        // An older run opens read-only, with the job document it ran.
        const runs = await api.jobRuns(jobId).catch(() => []);
        const index = runs.findIndex((r) => r.id === runId);
        if (index > 0) {
          const record = await api.run(runId).catch(() => undefined);
          if (record !== undefined && !cancelled) {
            openReadOnly(
              record.job,
              `Run #${runs.length - index} (${timeAgo(record.createdAt)}, job version ${record.jobVersion}) is an older run: you see it with the job as it ran, read-only.`,
              jobId,
            );
            useJobEditor.setState({ runs });
            return;
          }
        }
      }
      if (!cancelled) {
        await loadJob(jobId);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [jobId, runId]);

  useEffect(() => {
    if (runId === undefined) {
      closeRun();
    } else {
      openRun(runId);
    }
  }, [runId]);

  if (loadError !== undefined) {
    return (
      <div className="page">
        <ErrorBox error={loadError} />
      </div>
    );
  }
  if (job === undefined) {
    return <EditorSkeleton />;
  }
  return <JobEditor runId={runId} />;
}
