/** A place in a source file. Lines and columns are 1-based; columns count UTF-16 code units. */
export interface SourcePosition {
  /** The file as the user knows it, relative to the job's folder, e.g. `model.ts`. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Lines of context shown above and below the line of a code frame. */
const CONTEXT_LINES = 2;

/**
 * The lines around `line` of `text`, numbered, with a caret under `column`:
 *
 * ```text
 *    6 |   const rate = 0.1;
 * >  7 |   throw new Error('boom');
 *      |         ^
 *    8 | }
 * ```
 *
 * Returns an empty string when the line is not in the text.
 */
export function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  if (line < 1 || line > lines.length) {
    return '';
  }
  const first = Math.max(1, line - CONTEXT_LINES);
  const last = Math.min(lines.length, line + CONTEXT_LINES);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const content = lines[n - 1]!;
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${content}`.trimEnd());
    if (n === line) {
      // Keep the line's tabs so that the caret lines up however wide a tab is shown.
      const lead = content.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
      out.push(`  ${' '.repeat(width)} | ${lead}^`);
    }
  }
  return out.join('\n');
}

/** `model.ts:7:11`: the form editors and terminals turn into links. */
export function formatPosition(position: SourcePosition): string {
  return `${position.file}:${position.line}:${position.column}`;
}
