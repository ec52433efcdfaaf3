// Which log lines the log view shows: by role, role index, lowest level and a search text.
// `FilteredLogs` keeps the matching ordinals and only looks at lines that arrived since its last
// update, so a 50k-line view refilters in O(new lines) while a run streams.
import type { LogStudioEvent } from '@tfstream/studio-api';
import type { StoredLog } from './run-store';

export type LogRole = LogStudioEvent['role'];
export type LogLevel = LogStudioEvent['level'];

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogFilter {
  /** Roles to show; empty shows every role. */
  readonly roles: readonly LogRole[];
  /** Only this index of the chosen roles; undefined shows all. */
  readonly index?: number;
  /** Lowest level shown. */
  readonly minLevel: LogLevel;
  /** Case-insensitive text to find in the message or the `role index` label. */
  readonly search: string;
}

export const ALL_LOGS: LogFilter = { roles: [], minLevel: 'debug', search: '' };

/** `worker 0`, `ps 1`, `coordinator`. */
export function roleLabel(log: Pick<LogStudioEvent, 'role' | 'index'>): string {
  return log.role === 'coordinator' ? 'coordinator' : `${log.role} ${log.index}`;
}

export function matchesLog(log: LogStudioEvent, filter: LogFilter): boolean {
  if (filter.roles.length > 0 && !filter.roles.includes(log.role)) {
    return false;
  }
  if (filter.index !== undefined && log.role !== 'coordinator' && log.index !== filter.index) {
    return false;
  }
  if (LOG_LEVELS.indexOf(log.level) < LOG_LEVELS.indexOf(filter.minLevel)) {
    return false;
  }
  const search = filter.search.trim().toLowerCase();
  if (search !== '') {
    return (
      log.message.toLowerCase().includes(search) || roleLabel(log).toLowerCase().includes(search)
    );
  }
  return true;
}

function sameFilter(a: LogFilter, b: LogFilter): boolean {
  return (
    a.index === b.index &&
    a.minLevel === b.minLevel &&
    a.search === b.search &&
    a.roles.length === b.roles.length &&
    a.roles.every((role) => b.roles.includes(role))
  );
}

/** The lines of a growing, front-trimmed log that match a filter. */
export class FilteredLogs {
  private filter: LogFilter = ALL_LOGS;
  private ordinals: number[] = [];
  /** Ordinal of the next line not looked at yet. */
  private next = 0;

  /** Brings the match list up to date with `logs` and returns the matching lines in order. */
  update(logs: readonly StoredLog[], filter: LogFilter): StoredLog[] {
    if (!sameFilter(filter, this.filter)) {
      this.filter = filter;
      this.ordinals = [];
      this.next = 0;
    }
    const base = logs[0]?.ordinal ?? this.next;
    for (let i = Math.max(0, this.next - base); i < logs.length; i++) {
      const log = logs[i]!;
      if (matchesLog(log.event, filter)) {
        this.ordinals.push(log.ordinal);
      }
    }
    this.next = base + logs.length;
    let dropped = 0;
    while (dropped < this.ordinals.length && this.ordinals[dropped]! < base) {
      dropped++;
    }
    if (dropped > 0) {
      this.ordinals.splice(0, dropped);
    }
    return this.ordinals.map((ordinal) => logs[ordinal - base]!);
  }
}

/** Log lines as the server's `logs.txt` writes them: `[worker 0] message`. */
export function formatLogLine(log: LogStudioEvent): string {
  const time = new Date(log.at).toISOString().slice(11, 23);
  return `${time} ${log.level.toUpperCase().padEnd(5)} [${roleLabel(log)}] ${log.message}`;
}
