import type { RunSummary } from '@tfstream/studio-api';

type RunState = RunSummary['state'];

/** The run state as a coloured pill; its text is exactly the state. */
export function StatusBadge({ state, testId }: { state: RunState | undefined; testId?: string }) {
  if (state === undefined) {
    return (
      <span className="badge" title="No run yet">
        idle
      </span>
    );
  }
  return (
    <span className={`badge ${state}`} title={`Run state: ${state}`} data-testid={testId}>
      <span className="dot" aria-hidden />
      {state}
    </span>
  );
}

export function StatusDot({ state }: { state: RunState | undefined }) {
  return <span className={`status-dot ${state ?? ''}`} title={state ?? 'never run'} />;
}
