import { useEffect, useState } from 'react';
import type { HealthResponse } from '@tfstream/studio-api';
import { api } from '../lib/api';
import { refreshJobs, refreshTemplates, useLists } from '../lib/data';
import { timeAgo } from '../lib/format';
import { linkClick, matchRoute, useLocation } from '../lib/router';
import { toggleTheme, useTheme } from '../lib/theme';
import { useJobEditor } from '../state/job-store';
import { Skeleton } from './Feedback';
import { StatusDot } from './StatusBadge';

export function Sidebar() {
  const loc = useLocation();
  const route = matchRoute(loc);
  const { jobs, templates } = useLists();
  const runs = useJobEditor((s) => s.runs);
  const editorJobId = useJobEditor((s) => s.jobId);
  const theme = useTheme((s) => s.theme);
  const [health, setHealth] = useState<HealthResponse | undefined>();

  useEffect(() => {
    void refreshJobs();
    void refreshTemplates();
    api.health().then(setHealth, () => setHealth(undefined));
  }, []);

  const activeJob = route.page === 'job' ? route.jobId : undefined;
  const activeRun = route.page === 'job' ? route.runId : undefined;

  return (
    <nav className="sidebar" aria-label="Studio">
      <a className="brand" href="/" onClick={linkClick('/')}>
        <span className="logo">tf</span>
        <span>
          tfstream <small>studio</small>
        </span>
      </a>
      <div className="side-scroll">
        <a
          className="btn primary"
          style={{ width: '100%', marginTop: 4 }}
          href="/new"
          onClick={linkClick('/new')}
        >
          + New job
        </a>

        <div className="side-section">
          <div className="side-heading">Jobs</div>
          {jobs === undefined ? (
            <div style={{ padding: '4px 8px', display: 'grid', gap: 6 }}>
              <Skeleton />
              <Skeleton width="70%" />
            </div>
          ) : jobs.length === 0 ? (
            <div className="side-item muted">No jobs yet</div>
          ) : (
            jobs.slice(0, 30).map((job) => (
              <a
                key={job.id}
                href={`/jobs/${job.id}`}
                onClick={linkClick(`/jobs/${encodeURIComponent(job.id)}`)}
                className={`side-item${activeJob === job.id && activeRun === undefined ? ' active' : ''}`}
                title={job.description}
              >
                <StatusDot state={job.lastRun?.state} />
                <span className="label">{job.name}</span>
                <span className="meta">{timeAgo(job.updatedAt)}</span>
              </a>
            ))
          )}
        </div>

        {activeJob !== undefined && editorJobId === activeJob && runs.length > 0 ? (
          <div className="side-section">
            <div className="side-heading">Runs of this job</div>
            {runs.slice(0, 20).map((run, i) => (
              <a
                key={run.id}
                href={`/jobs/${activeJob}/runs/${run.id}`}
                onClick={linkClick(
                  `/jobs/${encodeURIComponent(activeJob)}/runs/${encodeURIComponent(run.id)}`,
                )}
                className={`side-item${activeRun === run.id ? ' active' : ''}`}
                data-testid="run-history-item"
              >
                <StatusDot state={run.state} />
                <span className="label">
                  Run #{runs.length - i} <span className="muted">· v{run.jobVersion}</span>
                </span>
                <span className="meta">{timeAgo(run.createdAt)}</span>
              </a>
            ))}
          </div>
        ) : null}

        <div className="side-section">
          <div className="side-heading">Templates</div>
          {templates === undefined ? (
            <div style={{ padding: '4px 8px' }}>
              <Skeleton />
            </div>
          ) : (
            templates.map((t) => (
              <a
                key={t.id}
                href={`/new?template=${encodeURIComponent(t.id)}`}
                onClick={linkClick(`/new?template=${encodeURIComponent(t.id)}`)}
                className="side-item"
                title={t.description}
              >
                <span aria-hidden>◇</span>
                <span className="label">{t.name}</span>
                <span className="meta">{t.mode}</span>
              </a>
            ))
          )}
        </div>
      </div>
      <div className="side-foot">
        <span className={`status-dot ${health === undefined ? 'failed' : 'finished'}`} />
        <span
          className="grow ellipsis"
          title={health === undefined ? 'server not reachable' : `tfjs backend: ${health.backend}`}
        >
          {health === undefined
            ? 'server offline'
            : `${health.backend} · ${health.cores} cores · v${health.version}`}
        </span>
        <button
          className="btn ghost icon small"
          onClick={toggleTheme}
          title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          data-testid="theme-toggle"
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </div>
    </nav>
  );
}
