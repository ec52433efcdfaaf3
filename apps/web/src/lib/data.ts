// Lists the sidebar and the home page share: templates and jobs, fetched once and refreshed
// after changes.
import { create } from 'zustand';
import type { JobSummary, TemplateSummary } from '@tfstream/studio-api';
import { api, errorText } from './api';

interface Lists {
  templates: TemplateSummary[] | undefined;
  templatesError: string | undefined;
  jobs: JobSummary[] | undefined;
  jobsError: string | undefined;
}

export const useLists = create<Lists>(() => ({
  templates: undefined,
  templatesError: undefined,
  jobs: undefined,
  jobsError: undefined,
}));

/** Refreshes the job list; only `prompt` asks for the token on 401 (the home page does). */
export async function refreshJobs(prompt = false): Promise<void> {
  try {
    useLists.setState({ jobs: await api.jobs(prompt), jobsError: undefined });
  } catch (error) {
    useLists.setState({ jobsError: errorText(error) });
  }
}

export async function refreshTemplates(prompt = false): Promise<void> {
  try {
    useLists.setState({ templates: await api.templates(prompt), templatesError: undefined });
  } catch (error) {
    useLists.setState({ templatesError: errorText(error) });
  }
}
