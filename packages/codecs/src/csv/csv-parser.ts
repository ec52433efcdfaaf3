// CSV as in RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180), section 2: records end with
// CRLF (LF alone is read too); cells are separated by the delimiter; a cell may be enclosed in
// double quotes, and must be when it holds the delimiter, a quote, CR or LF; a quote inside a
// quoted cell is doubled. Parsing is done in two steps: a byte-level state machine finds where a
// record ends across chunks (a LF outside quotes), then the record's text is cut into cells.
import { TfstreamError, preview } from '@tfstream/schema';
import type { RecordScanner } from '../json/line-splitter.js';

const LF = 0x0a;
const QUOTE = 0x22;

// Where the scanner is within the current record.
/** At the start of a cell. */
const CELL_START = 0;
/** Inside an unquoted cell. */
const UNQUOTED = 1;
/** Inside a quoted cell. */
const QUOTED = 2;
/** Just after a quote that was inside a quoted cell: the closing quote, or half of a doubled one. */
const AFTER_QUOTE = 3;

/**
 * Finds the LF that ends a CSV record, skipping LFs inside quoted cells, with its state kept
 * between chunks. Jumps between quotes and line feeds with `indexOf`, so that it costs little more
 * than a search for LF.
 */
export class CsvRecordScanner implements RecordScanner {
  innerLines = 0;
  private state: number = CELL_START;
  private readonly delimiter: number;
  /** The first quote at or after the last search in this chunk, or -1 when there is none. */
  private quoteAt = -1;
  private quoteValid = false;

  /** @param delimiter - the delimiter's byte (ASCII) */
  constructor(delimiter: number) {
    this.delimiter = delimiter;
  }

  findEnd(bytes: Uint8Array, from: number): number {
    let state = this.state;
    let i = from;
    let nextLf = bytes.indexOf(LF, i);
    for (;;) {
      if (state === QUOTED) {
        const q = this.nextQuote(bytes, i);
        const segmentEnd = q < 0 ? bytes.length : q;
        while (nextLf >= 0 && nextLf < segmentEnd) {
          this.innerLines++;
          nextLf = bytes.indexOf(LF, nextLf + 1);
        }
        if (q < 0) {
          this.state = QUOTED;
          return -1;
        }
        state = AFTER_QUOTE;
        i = q + 1;
        continue;
      }
      const q = this.nextQuote(bytes, i);
      if (nextLf >= 0 && (q < 0 || nextLf < q)) {
        this.state = CELL_START;
        return nextLf;
      }
      if (q < 0) {
        // Neither quote nor LF in the rest of the chunk: only whether a cell starts next matters.
        if (i < bytes.length) {
          state = bytes[bytes.length - 1] === this.delimiter ? CELL_START : UNQUOTED;
        }
        this.state = state;
        return -1;
      }
      const before = q === i ? state : bytes[q - 1] === this.delimiter ? CELL_START : UNQUOTED;
      // A quote opens a quoted cell at the start of a cell, and after a quote it is the second
      // half of a doubled quote; inside an unquoted cell it is stray (the cell splitter says so).
      state = before === UNQUOTED ? UNQUOTED : QUOTED;
      i = q + 1;
    }
  }

  reset(): void {
    this.state = CELL_START;
    this.innerLines = 0;
  }

  startChunk(): void {
    this.quoteValid = false;
  }

  /**
   * The first quote at or after `from`. Cached within a chunk, so that a chunk without quotes is
   * searched once rather than once per record.
   */
  private nextQuote(bytes: Uint8Array, from: number): number {
    if (!this.quoteValid || (this.quoteAt >= 0 && this.quoteAt < from)) {
      this.quoteAt = bytes.indexOf(QUOTE, from);
      this.quoteValid = true;
    }
    return this.quoteAt;
  }
}

function malformed(detail: string): TfstreamError {
  return new TfstreamError('CODEC_MALFORMED', detail);
}

function lineAt(text: string, index: number, firstLine: number): number {
  let line = firstLine;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
  }
  return line;
}

/**
 * Cuts the text of one record (without its line end) into cells: the cell text, or `null` for an
 * empty unquoted cell (a quoted empty cell `""` is the empty string).
 *
 * @param line - the line the record starts on, for messages
 * @throws TfstreamError `CODEC_MALFORMED` for a quote inside an unquoted cell, text after a closing
 * quote, or a quoted cell that is not closed
 */
export function splitCsvRecord(text: string, delimiter: string, line: number): (string | null)[] {
  const cells: (string | null)[] = [];
  if (text.indexOf('"') < 0) {
    for (const cell of text.split(delimiter)) {
      cells.push(cell === '' ? null : cell);
    }
    return cells;
  }
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) {
          throw malformed(
            `line ${lineAt(text, i, line)}: a quoted cell is not closed; end it with a quote (")`,
          );
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      cells.push(value);
      if (i === n) {
        return cells;
      }
      if (!text.startsWith(delimiter, i)) {
        throw malformed(
          `line ${lineAt(text, i, line)}: ${preview(text.slice(i, i + 10))} follows a closing quote; a quote inside a quoted cell must be doubled ("")`,
        );
      }
      i += delimiter.length;
    } else {
      let end = text.indexOf(delimiter, i);
      if (end < 0) {
        end = n;
      }
      const cell = text.slice(i, end);
      const quote = cell.indexOf('"');
      if (quote >= 0) {
        throw malformed(
          `line ${lineAt(text, i + quote, line)}: a quote inside the unquoted cell ${preview(cell)}; enclose the cell in quotes and double the quote`,
        );
      }
      cells.push(cell === '' ? null : cell);
      if (end === n) {
        return cells;
      }
      i = end + delimiter.length;
    }
  }
}

/**
 * How cells are written: quoted when they hold the delimiter, a quote, CR or LF, or begin or end
 * with white space (other readers trim it); the empty string is written `""` so that it differs
 * from null, which is an empty unquoted cell.
 */
export class CsvCellWriter {
  private readonly needsQuotes: RegExp;

  constructor(delimiter: string) {
    const escaped = delimiter.replace(/[\\\]^-]/g, '\\$&');
    this.needsQuotes = new RegExp(`["\\r\\n${escaped}]|^\\s|\\s$`);
  }

  /** The cell as written. */
  cell(text: string): string {
    if (text === '') {
      return '""';
    }
    return this.needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }
}

/**
 * Checks a delimiter: one ASCII character other than a quote, CR or LF.
 * @throws TfstreamError `USAGE`
 */
export function checkDelimiter(delimiter: string): number {
  const code = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || code >= 0x80 || code === QUOTE || code === LF || code === 0x0d) {
    throw new TfstreamError(
      'USAGE',
      `the CSV delimiter must be one ASCII character other than a quote, CR or LF, got ${preview(delimiter)}`,
    );
  }
  return code;
}
