import { memo, useEffect, useMemo, useState } from 'react';
import { Segmented } from './Controls';
import { formatCell, formatCount } from '../lib/format';
import { useVirtual } from '../lib/use-virtual';
import type { OutputRow, RunStore } from '../run/run-store';

const ROW = 24;
const HEAD = 26;
const HEIGHT = 320;

const marked = new WeakSet<RunStore>();

/** `tfstream:first-output-row`, once per run, when its first row was rendered. */
function markFirstRow(store: RunStore): void {
  if (!marked.has(store)) {
    marked.add(store);
    performance.mark('tfstream:first-output-row');
  }
}

/** One row; renders again only when its row, place or columns change. */
const OutputRowView = memo(function OutputRowView({
  row,
  top,
  cols,
  numeric,
  template,
  writes,
}: {
  row: OutputRow;
  top: number;
  cols: readonly string[];
  /** Columns whose values are numbers, aligned right. */
  numeric: ReadonlySet<string>;
  template: string;
  writes: boolean;
}) {
  return (
    <div
      className="output-row"
      data-testid="output-row"
      data-key={row.key}
      style={{ top, gridTemplateColumns: template }}
    >
      <div className="key">{row.key}</div>
      {cols.map((c) => (
        <div key={c} className={numeric.has(c) ? 'num' : undefined}>
          {formatCell(row.row[c])}
        </div>
      ))}
      {writes ? <div className="muted num">{row.writes > 1 ? `×${row.writes}` : ''}</div> : null}
    </div>
  );
});

/**
 * Output rows as they stream in: virtualized (only rows in view exist in the DOM, so a render
 * costs the same for 100 rows or 100 000), re-rendered only when `version` (the store's rows
 * version) changes, in update-by-key mode (a row with a seen key replaces it) or append mode
 * (every row as it arrived), following the end until the user scrolls away.
 */
export const OutputTable = memo(function OutputTable({
  store,
  version,
  columns,
}: {
  store: RunStore;
  /** The store's rows version. */
  version: number;
  columns: readonly string[];
}) {
  const [mode, setMode] = useState<'update' | 'append'>('update');
  const [follow, setFollow] = useState(true);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the store mutates; `version` says when
  const rows = useMemo(() => store.outputRows(mode), [store, mode, version]);
  const count = rows.length;
  const { start, end, total, setElement, onScroll } = useVirtual({
    count,
    rowHeight: ROW,
    offset: HEAD,
    follow,
    onFollowChange: setFollow,
  });
  const first = rows[0];
  const cols = useMemo(
    () => (columns.length > 0 ? columns : Object.keys(first?.row ?? {})),
    [columns, first],
  );
  const numeric = useMemo(
    () => new Set(cols.filter((c) => typeof first?.row[c] === 'number')),
    [cols, first],
  );
  const template = `minmax(90px, 0.7fr) ${cols.map(() => 'minmax(90px, 1fr)').join(' ')}${mode === 'update' ? ' 64px' : ''}`;

  useEffect(() => {
    if (count > 0) {
      markFirstRow(store);
    }
  }, [count, store]);

  return (
    <div data-testid="output-table" data-mode={mode} data-rows={count}>
      <div className="row" style={{ marginBottom: 8 }}>
        <Segmented
          value={mode}
          testId="output-mode"
          onChange={setMode}
          options={[
            {
              value: 'update',
              label: 'Update by key',
              title: 'a row whose key came before replaces it',
            },
            { value: 'append', label: 'Append', title: 'every row as it arrived' },
          ]}
        />
        <span className="spacer" />
        <span className="muted small-text output-count" data-testid="output-count">
          <span>
            {formatCount(count)} rows
            {mode === 'update' ? ` · ${formatCount(store.rowsReceived)} received` : ''}
          </span>
        </span>
        <label className="check small-text">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />{' '}
          follow
        </label>
      </div>
      <div className="vlist" style={{ height: HEIGHT }} ref={setElement} onScroll={onScroll}>
        <div className="vlist-inner" style={{ height: total, minWidth: 120 + cols.length * 110 }}>
          <div className="output-head" style={{ gridTemplateColumns: template }}>
            <div>key</div>
            {cols.map((c) => (
              <div key={c} className={numeric.has(c) ? 'num' : undefined}>
                {c}
              </div>
            ))}
            {mode === 'update' ? (
              <div className="num" title="times the key was written">
                writes
              </div>
            ) : null}
          </div>
          {/* Keyed by position modulo the window's size: a row keeps its element while it stays
              in view, and a row that comes into view takes the element of one that left. */}
          {rows.slice(start, end).map((r, i) => (
            <OutputRowView
              key={(start + i) % (end - start)}
              row={r}
              top={HEAD + (start + i) * ROW}
              cols={cols}
              numeric={numeric}
              template={template}
              writes={mode === 'update'}
            />
          ))}
        </div>
        {count === 0 ? (
          <div
            className="muted"
            style={{
              position: 'absolute',
              inset: `${HEAD}px 0 0 0`,
              display: 'grid',
              placeItems: 'center',
            }}
          >
            No output rows yet.
          </div>
        ) : null}
      </div>
    </div>
  );
});
