import { useEffect, useState } from 'react';
import type { JobSummary, TemplateSummary } from '@tfstream/studio-api';
import { ErrorBox, Empty, Skeleton } from '../components/Feedback';
import { StatusBadge } from '../components/StatusBadge';
import { api, errorText } from '../lib/api';
import { refreshJobs, refreshTemplates, useLists } from '../lib/data';
import { timeAgo } from '../lib/format';
import { linkClick, navigate } from '../lib/router';
import { toast } from '../lib/toast';

/** Workers, parameter servers and the transfer mode of a template, drawn small. */
function TemplateArt({ t }: { t: TemplateSummary }) {
  const nodes = [
    ...Array.from({ length: Math.min(t.workers, 6) }, (_, i) => ({ kind: 'w', i })),
    ...Array.from({ length: Math.min(t.parameterServers, 3) }, (_, i) => ({ kind: 'ps', i })),
  ];
  const dots = t.transfer === 'stream' ? 9 : t.transfer === 'micro-batch' ? 3 : 1;
  return (
    <svg
      className="template-art diagram"
      viewBox="0 0 260 56"
      preserveAspectRatio="xMidYMid meet"
      aria-hidden
    >
      <rect className="box" x="10" y="16" width="44" height="24" rx="4" />
      <text x="32" y="31" textAnchor="middle">
        source
      </text>
      {Array.from({ length: dots }, (_, i) => {
        const width = t.transfer === 'stream' ? 4 : t.transfer === 'micro-batch' ? 14 : 40;
        const gap = (110 - dots * width) / (dots + 1);
        return (
          <rect
            key={i}
            className="rec"
            x={62 + gap + i * (width + gap)}
            y="25"
            width={width}
            height="6"
            rx="2"
            opacity={0.85}
          />
        );
      })}
      {nodes.map((n, i) => (
        <g key={i}>
          <rect
            x={182 + (i % 3) * 24}
            y={i < 3 ? 10 : 31}
            width="20"
            height="16"
            rx="3"
            fill={
              n.kind === 'w'
                ? 'var(--accent-soft)'
                : 'color-mix(in srgb, var(--chart-2) 15%, var(--surface))'
            }
            stroke={n.kind === 'w' ? 'var(--accent)' : 'var(--chart-2)'}
          />
          <text
            x={192 + (i % 3) * 24}
            y={i < 3 ? 21 : 42}
            textAnchor="middle"
            style={{ fontSize: 8 }}
          >
            {n.kind === 'w' ? `w${n.i}` : `ps${n.i}`}
          </text>
        </g>
      ))}
    </svg>
  );
}

async function fork(job: JobSummary): Promise<void> {
  try {
    const record = await api.job(job.id);
    const copy = await api.createJob({
      job: { ...record.job, name: `${record.job.name}-fork`.slice(0, 64) },
      origin: { kind: 'job', id: job.id },
    });
    void refreshJobs();
    navigate(`/jobs/${encodeURIComponent(copy.id)}`);
  } catch (error) {
    toast(errorText(error), 'error');
  }
}

export function HomePage() {
  const { templates, templatesError, jobs, jobsError } = useLists();
  const [filter, setFilter] = useState('');
  useEffect(() => {
    document.title = 'tfstream studio';
    void refreshJobs(true);
    void refreshTemplates(true);
  }, []);
  const shown = (jobs ?? []).filter((j) =>
    `${j.name} ${j.description}`.toLowerCase().includes(filter.toLowerCase()),
  );

  return (
    <div className="scroll" data-testid="home">
      <div className="page">
        <div className="hero">
          <div>
            <h1>Stream records into TensorFlow.js</h1>
            <p>
              A job is a notebook: its data and schema, how records are encoded, the model code, the
              cluster, and its runs with live logs, charts and output. Start from a template or open
              a job.
            </p>
          </div>
          <a className="btn" href="/new" onClick={linkClick('/new')}>
            Blank job
          </a>
        </div>

        <div className="section-title">Templates</div>
        <ErrorBox error={templatesError} />
        <div className="gallery" data-testid="template-gallery">
          {templates === undefined && templatesError === undefined
            ? Array.from({ length: 3 }, (_, i) => (
                <div className="template-card" key={i}>
                  <Skeleton height={56} />
                  <Skeleton width="50%" />
                  <Skeleton />
                </div>
              ))
            : (templates ?? []).map((t) => (
                <div
                  className="template-card"
                  key={t.id}
                  data-testid="template-card"
                  data-template={t.id}
                >
                  <TemplateArt t={t} />
                  <div className="row">
                    <h3>{t.name}</h3>
                    <span className="spacer" />
                    <span className="tag">{t.mode}</span>
                  </div>
                  <p>{t.description}</p>
                  <div className="row">
                    <span className="tag mono">{t.transfer}</span>
                    <span className="tag mono">
                      {t.workers}w{t.parameterServers > 0 ? ` + ${t.parameterServers}ps` : ''}
                    </span>
                    <span className="spacer" />
                    <a
                      className="btn small primary"
                      href={`/new?template=${encodeURIComponent(t.id)}`}
                      onClick={linkClick(`/new?template=${encodeURIComponent(t.id)}`)}
                      data-testid="new-from-template"
                    >
                      New from template
                    </a>
                  </div>
                </div>
              ))}
        </div>

        <div className="section-title" style={{ marginTop: 28 }}>
          Jobs
          <span className="spacer" />
          <input
            className="input small"
            placeholder="Filter jobs"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            style={{ width: 200 }}
          />
        </div>
        <ErrorBox error={jobsError} />
        {jobs === undefined && jobsError === undefined ? (
          <div className="job-list">
            {Array.from({ length: 3 }, (_, i) => (
              <div className="job-row" key={i}>
                <Skeleton width={10} />
                <Skeleton />
                <Skeleton />
                <Skeleton />
                <Skeleton />
                <Skeleton />
              </div>
            ))}
          </div>
        ) : jobs !== undefined && jobs.length === 0 ? (
          <Empty title="No jobs yet">
            <span>Pick a template above: it becomes a job you can edit, run and share.</span>
          </Empty>
        ) : (
          <div className="job-list" data-testid="job-list">
            {shown.map((job) => (
              <div className="job-row" key={job.id} data-testid="job-row">
                <span className={`status-dot ${job.lastRun?.state ?? ''}`} />
                <div style={{ minWidth: 0 }}>
                  <a
                    className="name"
                    href={`/jobs/${encodeURIComponent(job.id)}`}
                    onClick={linkClick(`/jobs/${encodeURIComponent(job.id)}`)}
                  >
                    {job.name}
                  </a>
                  <div className="desc ellipsis">{job.description || '—'}</div>
                </div>
                <span className="tag">{job.mode}</span>
                <span className="small-text">
                  {job.lastRun === undefined ? (
                    <span className="muted">never run</span>
                  ) : (
                    <a
                      href={`/jobs/${encodeURIComponent(job.id)}/runs/${encodeURIComponent(job.lastRun.id)}`}
                      onClick={linkClick(
                        `/jobs/${encodeURIComponent(job.id)}/runs/${encodeURIComponent(job.lastRun.id)}`,
                      )}
                    >
                      <StatusBadge state={job.lastRun.state} />
                    </a>
                  )}
                </span>
                <span className="muted small-text" title={new Date(job.updatedAt).toLocaleString()}>
                  v{job.version} · {timeAgo(job.updatedAt)}
                </span>
                <div className="row end">
                  <button
                    className="btn small"
                    onClick={() => void fork(job)}
                    data-testid="fork-job"
                  >
                    Fork
                  </button>
                  <a
                    className="btn small"
                    href={`/jobs/${encodeURIComponent(job.id)}`}
                    onClick={linkClick(`/jobs/${encodeURIComponent(job.id)}`)}
                  >
                    Open
                  </a>
                </div>
              </div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
