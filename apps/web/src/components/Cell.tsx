import type { ReactNode } from 'react';
import type { CellId } from '../state/job-store';
import { setFocusedCell } from '../state/job-store';

export interface CellProps {
  readonly id: CellId;
  readonly number: number;
  readonly icon: ReactNode;
  readonly title: string;
  readonly subtitle?: ReactNode;
  readonly focused: boolean;
  /** Buttons at the right of the header. */
  readonly actions?: ReactNode;
  readonly children: ReactNode;
  /** What running the cell produced, under it. */
  readonly output?: ReactNode;
  readonly flush?: boolean;
}

/** One notebook cell: a header, its editor, and its output beneath, as in Jupyter. */
export function Cell({
  id,
  number,
  icon,
  title,
  subtitle,
  focused,
  actions,
  children,
  output,
  flush,
}: CellProps) {
  return (
    <section
      id={`cell-${id}`}
      className={`cell${focused ? ' focused' : ''}`}
      data-testid={`cell-${id}`}
      data-cell={id}
      onFocusCapture={() => setFocusedCell(id)}
      onMouseDown={() => setFocusedCell(id)}
    >
      <div className="cell-gutter">[{number}]</div>
      <div className="cell-card">
        <header className="cell-head">
          <span className="cell-icon" aria-hidden>
            {icon}
          </span>
          <h2>{title}</h2>
          {subtitle === undefined ? null : <span className="sub">{subtitle}</span>}
          <span className="spacer" />
          {actions}
        </header>
        <div className={`cell-body${flush === true ? ' flush' : ''}`}>{children}</div>
        {output === undefined || output === null ? null : (
          <div className="cell-output">{output}</div>
        )}
      </div>
    </section>
  );
}
