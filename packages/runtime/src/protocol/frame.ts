import { TfstreamError } from '@tfstream/schema';
import type { Frame, Message } from './messages.js';
import { parseMessage } from './messages.js';

/**
 * Framing of the runtime protocol. A frame is
 *
 * ```text
 * uint32 LE header length | uint32 LE body length | header: UTF-8 JSON message | body: raw bytes
 * ```
 *
 * The 8-byte prefix is read and checked against the limits before anything else of the frame is
 * buffered, so a hostile length never drives an allocation.
 */
export const FRAME_PREFIX_BYTES = 8;

/** Default limit of header + body of one frame: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Default limit of one frame's JSON header: 1 MiB (bulk data belongs in the body). */
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

/** Size limits of frames, checked on both encode and decode. */
export interface FrameLimits {
  /** Header + body bytes of one frame at most; default {@link DEFAULT_MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
  /** Header bytes of one frame at most; default {@link DEFAULT_MAX_HEADER_BYTES}. */
  readonly maxHeaderBytes?: number;
}

const encoder = new TextEncoder();

function limitsOf(limits: FrameLimits | undefined): { frame: number; header: number } {
  return {
    frame: limits?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    header: limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
  };
}

function checkLengths(
  headerBytes: number,
  bodyBytes: number,
  limits: { frame: number; header: number },
  offset?: number,
): void {
  const at = offset === undefined ? {} : { offset };
  if (headerBytes === 0) {
    throw new TfstreamError('PROTOCOL_ERROR', 'a frame has an empty header', at);
  }
  if (headerBytes > limits.header) {
    throw new TfstreamError(
      'PROTOCOL_ERROR',
      `a frame header of ${headerBytes} bytes exceeds the limit of ${limits.header} bytes`,
      at,
    );
  }
  if (headerBytes + bodyBytes > limits.frame) {
    throw new TfstreamError(
      'PROTOCOL_ERROR',
      `a frame of ${headerBytes + bodyBytes} bytes exceeds the limit of ${limits.frame} bytes; ` +
        'send large data in several frames or raise maxFrameBytes on both sides',
      at,
    );
  }
}

/**
 * The bytes of one frame, as one or two chunks: prefix and header, then the body itself (not
 * copied; do not change it until the frame is written).
 *
 * @throws `PROTOCOL_ERROR` when the frame exceeds `limits`, so that a peer never has to refuse it.
 */
export function encodeFrame(message: Message, body?: Uint8Array, limits?: FrameLimits): Buffer[] {
  const header = encoder.encode(JSON.stringify(message));
  const bodyBytes = body?.byteLength ?? 0;
  checkLengths(header.byteLength, bodyBytes, limitsOf(limits));
  const head = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + header.byteLength);
  head.writeUInt32LE(header.byteLength, 0);
  head.writeUInt32LE(bodyBytes, 4);
  head.set(header, FRAME_PREFIX_BYTES);
  if (body === undefined || bodyBytes === 0) {
    return [head];
  }
  return [head, Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
}

/**
 * Turns a byte stream cut anywhere into frames. Feed it chunks with {@link FrameDecoder.push};
 * each call returns the frames completed by that chunk. After it has thrown once, it is broken
 * and throws on every later call.
 */
export class FrameDecoder {
  readonly #limits: { frame: number; header: number };
  readonly #headerDecoder = new TextDecoder('utf-8', { fatal: true });
  #chunks: Uint8Array[] = [];
  /** Bytes of the first chunk already consumed. */
  #head = 0;
  #buffered = 0;
  /** Stream offset of the next unconsumed byte. */
  #offset = 0;
  #pending: { header: number; body: number; offset: number } | undefined;
  #failure: TfstreamError | undefined;

  constructor(limits?: FrameLimits) {
    this.#limits = limitsOf(limits);
  }

  /** Bytes received but not yet part of a returned frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds bytes and returns the frames they complete.
   *
   * @throws `PROTOCOL_ERROR` for a length over the limits (from the 8-byte prefix alone), a
   * header that is not UTF-8 JSON, or a message that is not of this protocol.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.#failure !== undefined) {
      throw this.#failure;
    }
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.byteLength;
    }
    const frames: Frame[] = [];
    try {
      for (;;) {
        if (this.#pending === undefined) {
          if (this.#buffered < FRAME_PREFIX_BYTES) {
            break;
          }
          const offset = this.#offset;
          const prefix = this.#take(FRAME_PREFIX_BYTES);
          const view = new DataView(prefix.buffer, prefix.byteOffset, FRAME_PREFIX_BYTES);
          const header = view.getUint32(0, true);
          const body = view.getUint32(4, true);
          checkLengths(header, body, this.#limits, offset);
          this.#pending = { header, body, offset };
        }
        const { header, body, offset } = this.#pending;
        if (this.#buffered < header + body) {
          break;
        }
        this.#pending = undefined;
        const message = this.#parseHeader(this.#take(header), offset);
        frames.push(body === 0 ? { message } : { message, body: this.#take(body) });
      }
    } catch (error) {
      this.#failure =
        error instanceof TfstreamError
          ? error
          : new TfstreamError('PROTOCOL_ERROR', String(error), {}, { cause: error });
      this.#chunks = [];
      this.#buffered = 0;
      throw this.#failure;
    }
    return frames;
  }

  #parseHeader(bytes: Uint8Array, offset: number): Message {
    let json: unknown;
    try {
      json = JSON.parse(this.#headerDecoder.decode(bytes));
    } catch (error) {
      throw new TfstreamError(
        'PROTOCOL_ERROR',
        'a frame header is not UTF-8 JSON',
        { offset },
        { cause: error },
      );
    }
    try {
      return parseMessage(json);
    } catch (error) {
      throw error instanceof TfstreamError ? error.at({ offset }) : error;
    }
  }

  /** The next `n` buffered bytes: a view when they lie in one chunk, else one exact copy. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    this.#offset += n;
    const first = this.#chunks[0]!;
    if (first.byteLength - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.byteLength) {
        this.#chunks.shift();
        this.#head = 0;
      }
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const count = Math.min(n - filled, chunk.byteLength - this.#head);
      out.set(chunk.subarray(this.#head, this.#head + count), filled);
      filled += count;
      this.#head += count;
      if (this.#head === chunk.byteLength) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    return out;
  }
}
