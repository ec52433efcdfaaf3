// `POST /api/uploads`: a file as the raw body, streamed to `<home>/uploads/` within a size limit.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectFileFormat } from '@tfstream/codecs/node';
import type { UploadResponse } from '@tfstream/studio-api';
import { HttpError, badRequest } from '../http/errors.js';
import { newId } from '../store/store.js';

/** A name that is safe as (part of) a file name: letters, digits, `.`, `_`, `-`. */
export function safeFileName(name: string): string {
  const cleaned = name
    .replace(/^.*[/\\]/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '')
    .slice(-100);
  return cleaned === '' ? 'upload' : cleaned;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'PAYLOAD_TOO_LARGE',
    `the upload is larger than ${limit} bytes, the server's limit (--max-upload-bytes)`,
    undefined,
    { Connection: 'close' },
  );
}

/** Streams the request body to a new file in `<home>/uploads/` and tells its format. */
export async function saveUpload(
  home: string,
  request: IncomingMessage,
  limit: number,
): Promise<UploadResponse> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw tooLarge(limit);
  }
  let name = 'upload';
  const header = request.headers['x-filename'];
  if (typeof header === 'string' && header !== '') {
    try {
      name = decodeURIComponent(header);
    } catch {
      name = header;
    }
  }
  const fileName = `${newId(9)}-${safeFileName(name)}`;
  const dir = join(home, 'uploads');
  await mkdir(dir, { recursive: true });
  const path = join(dir, fileName);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(bytes > limit ? tooLarge(limit) : null, chunk);
    },
  });
  // The request is piped, not part of the pipeline: a refused upload must not destroy the
  // socket before the 413 is sent (the answer closes the connection).
  request.pipe(counter);
  request.on('close', () => {
    if (!request.complete) {
      counter.destroy(new Error('the upload was interrupted'));
    }
  });
  try {
    await pipeline(counter, createWriteStream(path));
  } catch (error) {
    request.unpipe(counter);
    request.resume();
    await rm(path, { force: true });
    throw error instanceof HttpError ? error : badRequest('the upload was interrupted');
  }
  try {
    const { format } = await detectFileFormat(path);
    return { path: `uploads/${fileName}`, bytes, format: format.name };
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}
