import { Suspense, lazy, useEffect, useState } from 'react';
import type { JobRecord } from '@tfstream/studio-api';
import { ErrorBox, Spinner } from '../components/Feedback';
import { api, errorText } from '../lib/api';
import { refreshJobs } from '../lib/data';
import { blankJob } from '../lib/job-model';
import { navigate } from '../lib/router';
import { closeRun } from '../run/run-session';
import { openDraft, useJobEditor } from '../state/job-store';

const DraftEditor = lazy(() =>
  import('../components/JobEditor').then((m) => ({ default: m.JobEditor })),
);

// React's StrictMode runs effects twice: both must get the one job, not create two.
let pending: { template: string; at: number; job: Promise<JobRecord> } | undefined;

function createFromTemplate(template: string): Promise<JobRecord> {
  if (
    pending !== undefined &&
    pending.template === template &&
    performance.now() - pending.at < 2000
  ) {
    return pending.job;
  }
  const job = api
    .template(template)
    .then((t) => api.createJob({ job: t.job, origin: { kind: 'template', id: template } }));
  pending = { template, at: performance.now(), job };
  return job;
}

/** `/new?template=…` creates a job from the template and opens it; `/new` opens a blank draft. */
export function NewJobPage({ template }: { template: string | undefined }) {
  const [error, setError] = useState<string | undefined>();
  const draftShown = useJobEditor((s) => s.job !== undefined && s.jobId === undefined);

  useEffect(() => {
    closeRun();
    if (template === undefined) {
      openDraft(blankJob());
      return;
    }
    let cancelled = false;
    createFromTemplate(template).then(
      (record) => {
        void refreshJobs();
        if (!cancelled) {
          navigate(`/jobs/${encodeURIComponent(record.id)}`, { replace: true });
        }
      },
      (e: unknown) => {
        if (!cancelled) {
          setError(errorText(e));
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [template]);

  if (template === undefined) {
    return draftShown ? (
      <Suspense fallback={null}>
        <DraftEditor runId={undefined} />
      </Suspense>
    ) : null;
  }
  return (
    <div className="page">
      {error === undefined ? (
        <div className="row muted">
          <Spinner /> Creating a job from the template “{template}”…
        </div>
      ) : (
        <ErrorBox error={error} />
      )}
    </div>
  );
}
