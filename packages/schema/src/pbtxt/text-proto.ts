// A parser for the protocol buffer text format, as written by `text_format.MessageToString` and
// by hand (https://protobuf.dev/reference/protobuf/textformat-spec/). It reads the syntax only:
// without the .proto file it cannot tell an enum from an identifier or an int64 from a double, so
// values keep their token kind and the caller interprets them.
import { TfstreamError } from '../errors.js';

/** One value in a text-format message. */
export type TextProtoValue =
  | { readonly kind: 'message'; readonly fields: readonly TextProtoField[] }
  | { readonly kind: 'string'; readonly value: string }
  /** `text` is the number as written (with its sign), `value` the nearest double. */
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  /** Enum values, `true`/`false`, and other bare words. */
  | { readonly kind: 'identifier'; readonly value: string };

/** One `name: value` or `name { ... }` of a message; repeated fields appear once per value. */
export interface TextProtoField {
  /** The field name; extensions and `Any` type URLs keep their brackets, e.g. `[pkg.ext]`. */
  readonly name: string;
  readonly value: TextProtoValue;
  /** 1-based line of the field name. */
  readonly line: number;
}

/** A parsed text-format message. */
export interface TextProtoMessage {
  readonly fields: readonly TextProtoField[];
}

type TokenKind = 'identifier' | 'string' | 'number' | 'symbol' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** For strings, the decoded value; otherwise the source text. */
  readonly text: string;
  readonly line: number;
}

const SYMBOLS = new Set(['{', '}', '<', '>', ':', ',', ';', '[', ']', '-', '.', '/']);
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fF]?)/y;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  "'": 39,
  '"': 34,
  '?': 63,
};
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

function invalid(detail: string, line: number, source: string | undefined): TfstreamError {
  return new TfstreamError('SCHEMA_PBTXT_INVALID', detail, {
    ...(source === undefined ? {} : { file: source }),
    line,
  });
}

function describe(token: Token): string {
  return token.kind === 'end'
    ? 'the end of the text'
    : token.kind === 'string'
      ? `the string ${JSON.stringify(token.text)}`
      : `"${token.text}"`;
}

class Lexer {
  private pos = 0;
  private line = 1;
  private peeked: Token | undefined;

  constructor(
    private readonly text: string,
    private readonly source: string | undefined,
  ) {}

  peek(): Token {
    this.peeked ??= this.read();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  private read(): Token {
    this.skipBlanksAndComments();
    const text = this.text;
    const line = this.line;
    if (this.pos >= text.length) {
      return { kind: 'end', text: '', line };
    }
    const c = text[this.pos]!;
    if (c === '"' || c === "'") {
      return { kind: 'string', text: this.readString(c), line };
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[this.pos + 1] ?? ''))) {
      NUMBER.lastIndex = this.pos;
      const m = NUMBER.exec(text)!;
      this.pos += m[0].length;
      if (/[A-Za-z0-9_]/.test(text[this.pos] ?? '')) {
        throw invalid(`malformed number "${m[0]}${text[this.pos]!}"`, line, this.source);
      }
      return { kind: 'number', text: m[0], line };
    }
    IDENTIFIER.lastIndex = this.pos;
    const id = IDENTIFIER.exec(text);
    if (id !== null) {
      this.pos += id[0].length;
      return { kind: 'identifier', text: id[0], line };
    }
    if (SYMBOLS.has(c)) {
      this.pos++;
      return { kind: 'symbol', text: c, line };
    }
    throw invalid(`unexpected character ${JSON.stringify(c)}`, line, this.source);
  }

  private skipBlanksAndComments(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < text.length && text[this.pos] !== '\n') {
          this.pos++;
        }
      } else {
        return;
      }
    }
  }

  /** Reads a quoted string; text-format strings are bytes, decoded here as UTF-8. */
  private readString(quote: string): string {
    const text = this.text;
    const line = this.line;
    const bytes: number[] = [];
    this.pos++;
    for (;;) {
      if (this.pos >= text.length || text[this.pos] === '\n') {
        throw invalid('unterminated string; close it on the same line', line, this.source);
      }
      const c = text[this.pos]!;
      if (c === quote) {
        this.pos++;
        return UTF8_DECODER.decode(new Uint8Array(bytes));
      }
      if (c !== '\\') {
        const code = text.codePointAt(this.pos)!;
        const char = String.fromCodePoint(code);
        bytes.push(...UTF8_ENCODER.encode(char));
        this.pos += char.length;
        continue;
      }
      this.readEscape(bytes, line);
    }
  }

  private readEscape(bytes: number[], line: number): void {
    const text = this.text;
    const e = text[this.pos + 1] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      this.pos += 2;
      return;
    }
    let m: RegExpExecArray | null;
    if ((m = /^[0-7]{1,3}/.exec(text.slice(this.pos + 1, this.pos + 4))) !== null) {
      const value = parseInt(m[0], 8);
      if (value > 255) {
        throw invalid(`octal escape \\${m[0]} is beyond one byte`, line, this.source);
      }
      bytes.push(value);
      this.pos += 1 + m[0].length;
      return;
    }
    if (e === 'x' && (m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(this.pos + 2, this.pos + 4)))) {
      bytes.push(parseInt(m[0], 16));
      this.pos += 2 + m[0].length;
      return;
    }
    const width = e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = text.slice(this.pos + 2, this.pos + 2 + width);
    if (width > 0 && new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) {
      const code = parseInt(hex, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw invalid(`\\${e}${hex} is not a Unicode scalar value`, line, this.source);
      }
      bytes.push(...UTF8_ENCODER.encode(String.fromCodePoint(code)));
      this.pos += 2 + width;
      return;
    }
    throw invalid(`unknown escape "\\${e}" in a string`, line, this.source);
  }
}

class Parser {
  private readonly lexer: Lexer;

  constructor(
    text: string,
    private readonly source: string | undefined,
  ) {
    this.lexer = new Lexer(text, source);
  }

  parseRoot(): TextProtoMessage {
    const fields = this.parseFields(undefined);
    return { fields };
  }

  private fail(detail: string, token: Token): never {
    throw invalid(detail, token.line, this.source);
  }

  private isSymbol(token: Token, symbol: string): boolean {
    return token.kind === 'symbol' && token.text === symbol;
  }

  private expectSymbol(symbol: string, context: string): void {
    const token = this.lexer.next();
    if (!this.isSymbol(token, symbol)) {
      this.fail(`expected "${symbol}" ${context}, got ${describe(token)}`, token);
    }
  }

  /** Fields up to `close` (`}` or `>`), or to the end of the text at the top level. */
  private parseFields(close: string | undefined): TextProtoField[] {
    const fields: TextProtoField[] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'end') {
        if (close !== undefined) {
          this.fail(`expected "${close}" to close the message, got the end of the text`, token);
        }
        return fields;
      }
      if (close !== undefined && this.isSymbol(token, close)) {
        this.lexer.next();
        return fields;
      }
      this.parseField(fields);
      const separator = this.lexer.peek();
      if (this.isSymbol(separator, ',') || this.isSymbol(separator, ';')) {
        this.lexer.next();
      }
    }
  }

  private parseFieldName(): { name: string; line: number } {
    const token = this.lexer.next();
    if (token.kind === 'identifier') {
      return { name: token.text, line: token.line };
    }
    if (this.isSymbol(token, '[')) {
      let name = '';
      for (;;) {
        const part = this.lexer.next();
        if (this.isSymbol(part, ']')) {
          break;
        }
        if (part.kind !== 'identifier' && !this.isSymbol(part, '.') && !this.isSymbol(part, '/')) {
          this.fail(`expected an extension or type name in "[...]", got ${describe(part)}`, part);
        }
        name += part.text;
      }
      return { name: `[${name}]`, line: token.line };
    }
    return this.fail(`expected a field name, got ${describe(token)}`, token);
  }

  private parseField(fields: TextProtoField[]): void {
    const { name, line } = this.parseFieldName();
    let token = this.lexer.peek();
    const colon = this.isSymbol(token, ':');
    if (colon) {
      this.lexer.next();
      token = this.lexer.peek();
    }
    if (this.isSymbol(token, '[')) {
      if (!colon) {
        this.fail(`expected ":" before the list of "${name}"`, token);
      }
      this.lexer.next();
      if (this.isSymbol(this.lexer.peek(), ']')) {
        this.lexer.next();
        return;
      }
      for (;;) {
        fields.push({ name, value: this.parseValue(name, true), line });
        const after = this.lexer.next();
        if (this.isSymbol(after, ']')) {
          return;
        }
        if (!this.isSymbol(after, ',')) {
          this.fail(`expected "," or "]" in the list of "${name}", got ${describe(after)}`, after);
        }
      }
    }
    if (!colon && !this.isSymbol(token, '{') && !this.isSymbol(token, '<')) {
      this.fail(`expected ":" or "{" after "${name}", got ${describe(token)}`, token);
    }
    fields.push({ name, value: this.parseValue(name, colon), line });
  }

  private parseValue(name: string, scalarAllowed: boolean): TextProtoValue {
    const token = this.lexer.next();
    if (this.isSymbol(token, '{') || this.isSymbol(token, '<')) {
      return { kind: 'message', fields: this.parseFields(token.text === '{' ? '}' : '>') };
    }
    if (!scalarAllowed) {
      return this.fail(`expected ":" or "{" after "${name}", got ${describe(token)}`, token);
    }
    if (token.kind === 'string') {
      let value = token.text;
      // Adjacent string literals are one string, as in C.
      while (this.lexer.peek().kind === 'string') {
        value += this.lexer.next().text;
      }
      return { kind: 'string', value };
    }
    let sign = '';
    let word = token;
    if (this.isSymbol(token, '-')) {
      sign = '-';
      word = this.lexer.next();
    }
    if (word.kind === 'number') {
      return { kind: 'number', value: numberValue(sign, word.text), text: sign + word.text };
    }
    if (word.kind === 'identifier') {
      const lower = word.text.toLowerCase();
      if (lower === 'inf' || lower === 'infinity' || lower === 'nan') {
        const value = lower === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY;
        return { kind: 'number', value: sign === '-' ? -value : value, text: sign + word.text };
      }
      if (sign === '') {
        return { kind: 'identifier', value: word.text };
      }
    }
    return this.fail(`expected a value for "${name}", got ${describe(word)}`, word);
  }
}

function numberValue(sign: string, text: string): number {
  const magnitude = /^0[xX]/.test(text)
    ? parseInt(text.slice(2), 16)
    : Number(text.replace(/[fF]$/, ''));
  return sign === '-' ? -magnitude : magnitude;
}

/**
 * Parses protocol buffer text format into a tree of fields, without a `.proto` file.
 *
 * @param text - the text, e.g. the contents of a `schema.pbtxt`
 * @param source - file name for error messages
 * @throws TfstreamError `SCHEMA_PBTXT_INVALID` with the line of the first syntax error
 *
 * @example
 * ```ts
 * const message = parseTextProto('feature { name: "age" type: INT }');
 * message.fields[0]; // { name: 'feature', value: { kind: 'message', fields: [...] }, line: 1 }
 * ```
 */
export function parseTextProto(text: string, source?: string): TextProtoMessage {
  return new Parser(text, source).parseRoot();
}
