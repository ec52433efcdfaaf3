import type { ReactNode } from 'react';
import { Icon } from './Icon';

/** An error the server (or the studio) gave, shown where it happened. */
export function ErrorBox({ error, action }: { error: string | undefined; action?: ReactNode }) {
  if (error === undefined) {
    return null;
  }
  return (
    <div className="callout error" role="alert">
      <Icon name="warn" />
      <div className="grow">{error}</div>
      {action}
    </div>
  );
}

export function Callout({
  kind = 'info',
  icon,
  children,
}: {
  kind?: 'info' | 'ok' | 'warn' | 'error';
  icon?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className={`callout ${kind}`}>
      {icon === undefined ? null : <span aria-hidden>{icon}</span>}
      <div className="grow">{children}</div>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function Skeleton({
  height = 14,
  width = '100%',
}: {
  height?: number;
  width?: number | string;
}) {
  return <div className="skeleton" style={{ height, width }} />;
}

export function SkeletonLines({ lines = 4 }: { lines?: number }) {
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {Array.from({ length: lines }, (_, i) => (
        <Skeleton key={i} width={`${90 - ((i * 17) % 40)}%`} />
      ))}
    </div>
  );
}

export function Spinner() {
  return <span className="spinner" aria-label="working" />;
}
