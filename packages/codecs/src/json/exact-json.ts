// A small JSON parser (RFC 8259) that keeps every number literal that a double cannot hold
// exactly as its source text, for the records whose 64-bit integers or decimals JSON.parse would
// round. It accepts exactly the grammar JSON.parse accepts.
import { TfstreamError } from '@tfstream/schema';

/**
 * A JSON number literal kept as its source text, because a double may not hold it exactly
 * (an integer beyond 2^53, or any literal with a fraction or an exponent).
 */
export class JsonNumber {
  /** The literal as written, e.g. `9223372036854775807` or `12.50`. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  toString(): string {
    return this.text;
  }
}

/** Deeper nesting is refused, so that hostile input cannot overflow the stack. */
const MAX_DEPTH = 1000;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PLAIN_INTEGER = /^-?\d+$/;

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly exact: boolean,
  ) {}

  document(): unknown {
    const value = this.value();
    this.end();
    return value;
  }

  /** The top-level object's members in the order they are written (a repeated key keeps its first place and its last value). */
  entries(): Map<string, unknown> {
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== 0x7b) {
      throw this.error('expected a JSON object');
    }
    const map = new Map<string, unknown>();
    this.members((key, value) => map.set(key, value));
    this.end();
    return map;
  }

  private end(): void {
    this.skipSpace();
    if (this.pos < this.text.length) {
      throw this.error('unexpected text after the JSON value');
    }
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b /* { */: {
        const obj: Record<string, unknown> = {};
        this.members((key, value) => {
          if (key === '__proto__') {
            Object.defineProperty(obj, key, {
              value,
              writable: true,
              enumerable: true,
              configurable: true,
            });
          } else {
            obj[key] = value;
          }
        });
        return obj;
      }
      case 0x5b /* [ */:
        return this.array();
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          return this.number();
        }
        throw this.error(Number.isNaN(c) ? 'unexpected end of JSON input' : 'unexpected character');
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      throw this.error(`JSON nested deeper than ${MAX_DEPTH} levels`);
    }
    this.pos++;
  }

  private members(set: (key: string, value: unknown) => void): void {
    this.enter();
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x7d /* } */) {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x22) {
        throw this.error('expected a string key');
      }
      const key = this.string();
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) {
        throw this.error('expected ":"');
      }
      this.pos++;
      set(key, this.value());
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) {
        this.depth--;
        return;
      }
      if (c !== 0x2c /* , */) {
        this.pos--;
        throw this.error('expected "," or "}"');
      }
    }
  }

  private array(): unknown[] {
    this.enter();
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x5d /* ] */) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) {
        this.depth--;
        return out;
      }
      if (c !== 0x2c) {
        this.pos--;
        throw this.error('expected "," or "]"');
      }
    }
  }

  private string(): string {
    const text = this.text;
    let i = this.pos + 1;
    let start = i;
    let out = '';
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out + text.slice(start, i);
      }
      if (c === 0x5c /* \ */) {
        out += text.slice(start, i);
        const e = text.charAt(i + 1);
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = i;
            throw this.error('bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          const decoded = ESCAPES[e];
          if (decoded === undefined) {
            this.pos = i;
            throw this.error('bad escape');
          }
          out += decoded;
          i += 2;
        }
        start = i;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.pos = i;
        throw this.error(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      i++;
    }
  }

  private number(): unknown {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) {
      throw this.error('bad number');
    }
    const literal = m[0];
    this.pos += literal.length;
    const value = Number(literal);
    if (!this.exact || (Number.isSafeInteger(value) && PLAIN_INTEGER.test(literal))) {
      return value;
    }
    return new JsonNumber(literal);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) {
      throw this.error('unexpected character');
    }
    this.pos += word.length;
    return value;
  }

  private skipSpace(): void {
    const text = this.text;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
      } else {
        break;
      }
    }
    this.pos = i;
  }

  private error(what: string): TfstreamError {
    return new TfstreamError(
      'CODEC_MALFORMED',
      `invalid JSON at character ${this.pos + 1}: ${what}`,
    );
  }
}

/**
 * Parses JSON text (RFC 8259) like `JSON.parse`, except that a number literal is returned as a
 * {@link JsonNumber} unless it is an integer literal that a double holds exactly, so that
 * `9223372036854775807` or `0.1000000000000000000001` are not rounded.
 *
 * @throws TfstreamError `CODEC_MALFORMED` naming the character position
 *
 * @example
 * ```ts
 * parseExactJson('{"id": 9223372036854775807}'); // { id: JsonNumber { text: '9223372036854775807' } }
 * ```
 */
export function parseExactJson(text: string): unknown {
  return new Parser(text, true).document();
}

/**
 * Parses a JSON object and returns its members in written order (JSON.parse moves integer-like
 * keys first). Numbers are doubles, as `JSON.parse` returns them.
 * @throws TfstreamError `CODEC_MALFORMED` when the text is not one JSON object
 */
export function parseJsonEntries(text: string): Map<string, unknown> {
  return new Parser(text, false).entries();
}
