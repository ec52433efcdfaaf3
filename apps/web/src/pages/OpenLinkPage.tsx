import { Suspense, lazy, useEffect, useState } from 'react';
import { Callout, ErrorBox, Spinner } from '../components/Feedback';
import { Icon } from '../components/Icon';
import { decodeJob } from '../lib/job-link';
import { closeRun } from '../run/run-session';
import { openDraft } from '../state/job-store';

const DraftEditor = lazy(() =>
  import('../components/JobEditor').then((m) => ({ default: m.JobEditor })),
);

/** `/open#job=…`: a job that travelled whole in the link; saving or running stores it. */
export function OpenLinkPage({ hash }: { hash: string }) {
  const value = new URLSearchParams(hash.replace(/^#/, '')).get('job') ?? '';
  const [result, setResult] = useState<{ value: string; error?: string } | undefined>();

  useEffect(() => {
    if (value === '') {
      return;
    }
    closeRun();
    let cancelled = false;
    decodeJob(value).then(
      (job) => {
        if (!cancelled) {
          openDraft(job);
          setResult({ value });
        }
      },
      (e: unknown) =>
        !cancelled && setResult({ value, error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [value]);

  if (value === '') {
    return (
      <div className="page">
        <ErrorBox error="This link carries no job: it should end in #job=…." />
      </div>
    );
  }
  if (result?.value === value && result.error === undefined) {
    return (
      <Suspense fallback={null}>
        <DraftEditor
          runId={undefined}
          toolbar={
            <span style={{ maxWidth: 280 }}>
              <Callout icon={<Icon name="info" />}>
                From a link: Save or Run stores it here.
              </Callout>
            </span>
          }
        />
      </Suspense>
    );
  }
  return (
    <div className="page">
      {result?.error === undefined ? (
        <div className="row muted">
          <Spinner /> Unpacking the job from the link…
        </div>
      ) : (
        <ErrorBox error={result.error} />
      )}
    </div>
  );
}
