// The job being edited: the draft, the version it started from, whether it changed, saving (with
// 409 conflicts), and what the cells learnt about its data (inference, codec preview).
import { create } from 'zustand';
import type {
  CodecPreviewRequest,
  CodecPreviewResponse,
  InferSchemaResponse,
  JobRecord,
  JobSummary,
  RunSummary,
  SyntheticSample,
  UploadResponse,
} from '@tfstream/studio-api';
import { ApiRequestError, api, errorText } from '../lib/api';
import type { Job } from '../lib/job-model';
import { navigate } from '../lib/router';

export type CellId = 'schema' | 'codec' | 'code' | 'cluster' | 'run';
export const CELLS: readonly CellId[] = ['schema', 'codec', 'code', 'cluster', 'run'];

/**
 * Sample data the schema and codec cells work on: an uploaded or source file, pasted text, or the
 * first records of a synthetic source's generator.
 */
export type Sample =
  | { readonly kind: 'path'; readonly path: string; readonly bytes?: number }
  | { readonly kind: 'text'; readonly text: string; readonly format: UploadResponse['format'] }
  | ({ readonly kind: 'synthetic' } & SyntheticSample);

interface JobEditorState {
  /** Undefined for a job not saved yet (from `/open#job=` or `/new`). */
  jobId: string | undefined;
  record: JobRecord | undefined;
  job: Job | undefined;
  origin: JobSummary['origin'];
  dirty: boolean;
  readOnly: boolean;
  /** A shared snapshot: read-only, and nothing may call the token-guarded API on its own. */
  shared: boolean;
  /** Why the editor is read-only, shown in its banner. */
  readOnlyReason: string | undefined;
  saving: boolean;
  saveError: string | undefined;
  /** The server's newer version after a 409. */
  conflict: JobRecord | undefined;
  loadError: string | undefined;
  focusedCell: CellId;
  runs: RunSummary[];
  sample: Sample | undefined;
  inference: InferSchemaResponse | undefined;
  codec: CodecPreviewResponse | undefined;
}

const empty = {
  jobId: undefined,
  record: undefined,
  job: undefined,
  origin: undefined,
  dirty: false,
  readOnly: false,
  shared: false,
  readOnlyReason: undefined,
  saving: false,
  saveError: undefined,
  conflict: undefined,
  loadError: undefined,
  runs: [],
  sample: undefined,
  inference: undefined,
  codec: undefined,
} satisfies Partial<JobEditorState>;

export const useJobEditor = create<JobEditorState>(() => ({ ...empty, focusedCell: 'schema' }));

function sampleOf(job: Job): Sample | undefined {
  return job.input.source.kind === 'file'
    ? { kind: 'path', path: job.input.source.path }
    : syntheticSampleOf(job);
}

/** A synthetic source's generator as sample data, with its seed and count as the job says now. */
export function syntheticSampleOf(job: Job): Sample | undefined {
  const source = job.input.source;
  return source.kind === 'synthetic'
    ? {
        kind: 'synthetic',
        generator: source.generator,
        ...(source.seed === undefined ? {} : { seed: source.seed }),
        ...(source.count === undefined ? {} : { count: source.count }),
      }
    : undefined;
}

/**
 * The sample the cells work on now: for a synthetic source, its generator as the job says now
 * (the seed or count may have changed since), unless rows were pasted; else the sample last used.
 */
export function currentSample(
  job: Job | undefined,
  sample: Sample | undefined,
): Sample | undefined {
  const synthetic = job === undefined ? undefined : syntheticSampleOf(job);
  return synthetic !== undefined && sample?.kind !== 'text' ? synthetic : sample;
}

/** A sample as the `path`, `text` + `format`, or `synthetic` of an API request. */
export function sampleRequest(
  sample: Sample,
): Pick<CodecPreviewRequest, 'path' | 'text' | 'format' | 'synthetic'> {
  switch (sample.kind) {
    case 'path':
      return { path: sample.path };
    case 'text':
      return { text: sample.text, format: sample.format };
    case 'synthetic': {
      const { kind: _kind, ...synthetic } = sample;
      return { synthetic };
    }
  }
}

export async function loadJob(jobId: string): Promise<void> {
  const current = useJobEditor.getState();
  if (current.jobId === jobId && current.job !== undefined && !current.readOnly) {
    return;
  }
  useJobEditor.setState({ ...empty, jobId });
  try {
    const record = await api.job(jobId);
    if (useJobEditor.getState().jobId !== jobId) {
      return;
    }
    useJobEditor.setState({
      record,
      job: record.job,
      origin: record.origin,
      sample: sampleOf(record.job),
    });
    void refreshRuns();
  } catch (error) {
    useJobEditor.setState({ loadError: errorText(error) });
  }
}

/** Shows a job that is not stored (yet), e.g. from a link; saving creates it. */
export function openDraft(job: Job, origin?: JobSummary['origin']): void {
  useJobEditor.setState({ ...empty, job, origin, dirty: true, sample: sampleOf(job) });
}

/** Shows a job read-only (an older run's job, a shared snapshot). */
export function openReadOnly(job: Job, reason: string, jobId?: string, shared = false): void {
  useJobEditor.setState({
    ...empty,
    jobId,
    job,
    readOnly: true,
    shared,
    readOnlyReason: reason,
    sample: sampleOf(job),
  });
}

export function updateJob(update: (job: Job) => Job): void {
  const { job, readOnly } = useJobEditor.getState();
  if (job === undefined || readOnly) {
    return;
  }
  useJobEditor.setState({ job: update(job), dirty: true, saveError: undefined });
}

export function setFocusedCell(cell: CellId): void {
  if (useJobEditor.getState().focusedCell !== cell) {
    useJobEditor.setState({ focusedCell: cell });
  }
}

export async function refreshRuns(): Promise<void> {
  const { jobId } = useJobEditor.getState();
  if (jobId === undefined) {
    return;
  }
  try {
    const runs = await api.jobRuns(jobId);
    if (useJobEditor.getState().jobId === jobId) {
      useJobEditor.setState({ runs });
    }
  } catch {
    // The run list is a convenience; the run cell shows errors of its own.
  }
}

/**
 * Saves the draft: a new version of a stored job (`baseVersion` guards against a concurrent save),
 * or a new job. Returns the stored job, or undefined when saving failed (the error is in state).
 */
export async function saveJob(options: { force?: boolean } = {}): Promise<JobRecord | undefined> {
  const state = useJobEditor.getState();
  const { job, jobId, record } = state;
  if (job === undefined || state.readOnly) {
    return undefined;
  }
  if (!state.dirty && record !== undefined && options.force !== true) {
    return record;
  }
  useJobEditor.setState({ saving: true, saveError: undefined });
  try {
    let saved: JobRecord;
    if (jobId === undefined) {
      saved = await api.createJob({
        job,
        ...(state.origin === undefined ? {} : { origin: state.origin }),
      });
    } else {
      const baseVersion =
        options.force === true && state.conflict !== undefined
          ? state.conflict.version
          : (record?.version ?? 1);
      saved = await api.saveJob(jobId, { job, baseVersion });
    }
    // Edits made while the request was under way stay dirty.
    const still = useJobEditor.getState().job === job;
    useJobEditor.setState({
      jobId: saved.id,
      record: saved,
      dirty: !still,
      saving: false,
      conflict: undefined,
    });
    if (jobId === undefined) {
      navigate(`/jobs/${encodeURIComponent(saved.id)}${location.search}`, { replace: true });
    }
    return saved;
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 409 && jobId !== undefined) {
      const latest = await api.job(jobId).catch(() => undefined);
      useJobEditor.setState({
        saving: false,
        conflict: latest,
        saveError: `Someone saved version ${latest?.version ?? '?'} of this job after you opened it.`,
      });
      return undefined;
    }
    useJobEditor.setState({ saving: false, saveError: errorText(error) });
    return undefined;
  }
}

/** Drops local edits for the server's latest version (after a conflict). */
export function takeTheirs(): void {
  const { conflict } = useJobEditor.getState();
  if (conflict !== undefined) {
    useJobEditor.setState({
      record: conflict,
      job: conflict.job,
      dirty: false,
      conflict: undefined,
      saveError: undefined,
    });
  }
}
