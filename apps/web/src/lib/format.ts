// Numbers, sizes, durations and times as the studio shows them.

export function formatCount(n: number): string {
  if (Math.abs(n) >= 1e6) {
    return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  }
  if (Math.abs(n) >= 1e4) {
    return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  }
  return n.toLocaleString('en-US');
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) {
    return String(n);
  }
  if (n === 0) {
    return '0';
  }
  const abs = Math.abs(n);
  if (abs >= 1e5 || abs < 1e-3) {
    return n.toExponential(2);
  }
  return Number(n.toPrecision(4)).toString();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${(bytes / 1024).toFixed(1)} KiB`;
  }
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  }
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s % 60)} s`;
}

export function timeAgo(at: number, now = Date.now()): string {
  const s = Math.round((now - at) / 1000);
  if (s < 45) {
    return 'just now';
  }
  if (s < 3600) {
    return `${Math.round(s / 60)} min ago`;
  }
  if (s < 86_400) {
    return `${Math.round(s / 3600)} h ago`;
  }
  return new Date(at).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

// One formatter for every call: toLocaleTimeString builds one each time, too slow per frame.
const TIME = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatTime(at: number): string {
  return TIME.format(at);
}

/** A cell value of an output or sample row, short. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '∅';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map(formatCell).join(', ');
    return `[${items}${value.length > 8 ? `, … ${value.length - 8} more` : ''}]`;
  }
  return JSON.stringify(value);
}
