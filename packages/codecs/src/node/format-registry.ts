import type { Format, FormatName } from '../format.js';
import { csvFormat, jsonlFormat, tfrecordFormat } from '../index.js';

const FORMAT_NAMES: readonly FormatName[] = ['tfrecord', 'jsonl', 'csv', 'arrow'];

const EXTENSIONS: ReadonlyArray<readonly [string, FormatName]> = [
  ['.tfrecords', 'tfrecord'],
  ['.tfrecord', 'tfrecord'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.json', 'jsonl'],
  ['.csv', 'csv'],
  ['.arrows', 'arrow'],
  ['.arrow', 'arrow'],
  ['.ipc', 'arrow'],
];

/** The format a file name stands for (`.gz` is looked through), or `undefined`. */
export function resolveFormatName(fileName: string): FormatName | undefined {
  const name = fileName.toLowerCase().replace(/\.gz$/, '');
  for (const [extension, format] of EXTENSIONS) {
    if (name.endsWith(extension)) {
      return format;
    }
  }
  return undefined;
}

/** Whether `name` is a format tfstream reads. */
export function isFormatName(name: string): name is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(name);
}

/** The format by name; Arrow is loaded on first use so that apache-arrow stays optional. */
export async function loadFormat(name: FormatName): Promise<Format> {
  switch (name) {
    case 'tfrecord':
      return tfrecordFormat;
    case 'jsonl':
      return jsonlFormat;
    case 'csv':
      return csvFormat;
    case 'arrow':
      return (await import('../arrow/index.js')).arrowFormat;
  }
}
