import { memo, useMemo, useState } from 'react';
import { logsUrl } from '../lib/api';
import { formatCount } from '../lib/format';
import { useVirtual } from '../lib/use-virtual';
import type { LogFilter, LogLevel, LogRole } from '../run/log-filter';
import { FilteredLogs, LOG_LEVELS, roleLabel } from '../run/log-filter';
import type { RunStore } from '../run/run-store';

const ROW = 20;
const HEIGHT = 280;

function Highlight({ text, search }: { text: string; search: string }) {
  const needle = search.trim().toLowerCase();
  if (needle === '') {
    return <>{text}</>;
  }
  const at = text.toLowerCase().indexOf(needle);
  if (at < 0) {
    return <>{text}</>;
  }
  return (
    <>
      {text.slice(0, at)}
      <mark>{text.slice(at, at + needle.length)}</mark>
      {text.slice(at + needle.length)}
    </>
  );
}

/**
 * The run's log, per role: filter by role, index and level, search, download; virtualized, and
 * following the end until the user scrolls up. Renders again only when `version` (the store's
 * log version) or its own state changes.
 */
export const LogView = memo(function LogView({
  store,
  version,
  rolesVersion,
  runId,
}: {
  store: RunStore;
  /** The store's log version. */
  version: number;
  /** The store's version of roles (for the index filter). */
  rolesVersion: number;
  runId: string | undefined;
}) {
  const [role, setRole] = useState<LogRole | 'all'>('all');
  const [index, setIndex] = useState<number | undefined>();
  const [minLevel, setMinLevel] = useState<LogLevel>('debug');
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const [filtered] = useState(() => new FilteredLogs());
  const filter = useMemo<LogFilter>(
    () => ({
      roles: role === 'all' ? [] : [role],
      ...(index === undefined ? {} : { index }),
      minLevel,
      search,
    }),
    [role, index, minLevel, search],
  );
  const lines = useMemo(
    () => filtered.update(store.logs, filter),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the store mutates; `version` says when
    [filtered, store, version, filter],
  );
  const { start, end, total, setElement, onScroll } = useVirtual({
    count: lines.length,
    rowHeight: ROW,
    follow,
    onFollowChange: setFollow,
  });
  const indexes = useMemo(() => {
    const seen = new Set<number>();
    for (const r of store.roles.values()) {
      seen.add(r.index);
    }
    return [...seen].sort((a, b) => a - b);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the store mutates; the version says when
  }, [store, rolesVersion]);

  return (
    <div data-testid="log-view">
      <div className="row" style={{ marginBottom: 8 }}>
        <select
          className="select small"
          value={role}
          data-testid="log-role"
          onChange={(e) => setRole(e.target.value as LogRole | 'all')}
          aria-label="role"
        >
          <option value="all">all roles</option>
          <option value="coordinator">coordinator</option>
          <option value="worker">workers</option>
          <option value="ps">parameter servers</option>
        </select>
        <select
          className="select small"
          value={index ?? ''}
          data-testid="log-index"
          aria-label="index"
          onChange={(e) => setIndex(e.target.value === '' ? undefined : Number(e.target.value))}
        >
          <option value="">every index</option>
          {indexes.map((i) => (
            <option key={i} value={i}>
              index {i}
            </option>
          ))}
        </select>
        <select
          className="select small"
          value={minLevel}
          data-testid="log-level"
          onChange={(e) => setMinLevel(e.target.value as LogLevel)}
          aria-label="lowest level"
        >
          {LOG_LEVELS.map((l) => (
            <option key={l} value={l}>
              {l === 'debug' ? 'all levels' : `${l} and above`}
            </option>
          ))}
        </select>
        <input
          className="input small"
          style={{ width: 200 }}
          placeholder="Search the log"
          value={search}
          data-testid="log-search"
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="spacer" />
        <span className="muted small-text" data-testid="log-count">
          {formatCount(lines.length)} of {formatCount(store.logsTotal)} lines
        </span>
        {runId === undefined ? null : (
          <a
            className="btn small"
            href={logsUrl(runId)}
            download={`${runId}.log`}
            data-testid="log-download"
          >
            ⇩ Download
          </a>
        )}
      </div>
      <div style={{ position: 'relative' }}>
        <div className="vlist" style={{ height: HEIGHT }} ref={setElement} onScroll={onScroll}>
          <div className="vlist-inner" style={{ height: Math.max(total, 1) }}>
            {lines.slice(start, end).map((line, i) => {
              const log = line.event;
              return (
                <div
                  key={line.ordinal}
                  className={`log-line${log.level === 'error' ? ' error' : ''}`}
                  style={{ top: (start + i) * ROW }}
                  data-testid="log-line"
                  data-level={log.level}
                  data-role={log.role}
                >
                  <span className="when">{new Date(log.at).toISOString().slice(11, 23)}</span>
                  <span className={`level-${log.level}`}>{log.level}</span>
                  <span className="who">{roleLabel(log)}</span>
                  <span className="msg" title={log.message}>
                    <Highlight text={log.message} search={search} />
                  </span>
                </div>
              );
            })}
          </div>
          {lines.length === 0 ? (
            <div
              className="muted"
              style={{ position: 'absolute', inset: 0, display: 'grid', placeItems: 'center' }}
            >
              {store.logsTotal === 0 ? 'No log lines yet.' : 'No line matches the filter.'}
            </div>
          ) : null}
        </div>
        {!follow && lines.length > 0 ? (
          <button
            className="btn small follow"
            onClick={() => setFollow(true)}
            data-testid="log-follow"
          >
            ↓ Follow
          </button>
        ) : null}
      </div>
    </div>
  );
});
