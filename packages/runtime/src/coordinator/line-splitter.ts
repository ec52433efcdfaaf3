import type { Readable } from 'node:stream';

/** Longest line kept whole; longer ones are cut, so a role cannot fill memory without newlines. */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Calls `onLine` with every line of `stream` (without its `\n` or `\r\n`), and with the
 * unterminated rest when the stream ends.
 */
export function splitLines(stream: Readable, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    let newline = partial.indexOf('\n');
    while (newline >= 0) {
      onLine(partial.slice(0, newline).replace(/\r$/, ''));
      partial = partial.slice(newline + 1);
      newline = partial.indexOf('\n');
    }
    while (partial.length > MAX_LINE_CHARS) {
      onLine(partial.slice(0, MAX_LINE_CHARS));
      partial = partial.slice(MAX_LINE_CHARS);
    }
  });
  stream.on('end', () => {
    if (partial !== '') {
      onLine(partial);
      partial = '';
    }
  });
}
