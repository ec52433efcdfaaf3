import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TextProtoMessage } from './text-proto.js';
import { parseTextProto } from './text-proto.js';

/** The message as plain `name -> values` pairs, to compare compactly. */
function pairs(message: TextProtoMessage): unknown[] {
  return message.fields.map((field) => {
    const value = field.value;
    switch (value.kind) {
      case 'message':
        return [field.name, pairs(value)];
      case 'number':
        return [field.name, value.value];
      default:
        return [field.name, value.value];
    }
  });
}

describe('parseTextProto', () => {
  it('reads scalars, nested messages in both bracket styles, lists and comments', () => {
    const message = parseTextProto(`
      # a comment
      name: "x"   # trailing comment
      count: 3, ratio: -1.5e2; big: 0x1F
      type: INT
      flag: true
      shape { dim { size: 2 } dim: < size: 3 > }
      values: [1, 2, 3]
      empty: []
      sub: [{ a: 1 }, { a: 2 }]
      [ext.pkg.name] { v: 'single' }
    `);
    expect(pairs(message)).toEqual([
      ['name', 'x'],
      ['count', 3],
      ['ratio', -150],
      ['big', 31],
      ['type', 'INT'],
      ['flag', 'true'],
      [
        'shape',
        [
          ['dim', [['size', 2]]],
          ['dim', [['size', 3]]],
        ],
      ],
      ['values', 1],
      ['values', 2],
      ['values', 3],
      ['sub', [['a', 1]]],
      ['sub', [['a', 2]]],
      ['[ext.pkg.name]', [['v', 'single']]],
    ]);
    expect(message.fields.map((field) => field.line)).toEqual([
      3, 4, 4, 4, 5, 6, 7, 8, 8, 8, 10, 10, 11,
    ]);
  });

  it('keeps how a number was written, and reads float suffixes, inf and nan', () => {
    const message = parseTextProto('a: 1.0f b: -inf c: nan d: .5 e: 10');
    expect(message.fields.map((f) => f.value)).toEqual([
      { kind: 'number', value: 1, text: '1.0f' },
      { kind: 'number', value: -Infinity, text: '-inf' },
      { kind: 'number', value: NaN, text: 'nan' },
      { kind: 'number', value: 0.5, text: '.5' },
      { kind: 'number', value: 10, text: '10' },
    ]);
  });

  it('decodes string escapes as bytes of UTF-8 and joins adjacent strings', () => {
    const message = parseTextProto(
      String.raw`s: "a\n\t\"\'\\" t: 'it''s' u: "\303\274\x41\u00e9\U0001F600" v: "ü😀"`,
    );
    expect(message.fields.map((f) => f.value)).toEqual([
      { kind: 'string', value: 'a\n\t"\'\\' },
      { kind: 'string', value: 'its' },
      { kind: 'string', value: 'üAé😀' },
      { kind: 'string', value: 'ü😀' },
    ]);
  });

  it('reads back any string it is given in escaped form', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const escaped = [...new TextEncoder().encode(text)]
          .map((b) => `\\${b.toString(8).padStart(3, '0')}`)
          .join('');
        const message = parseTextProto(`s: "${escaped}" t: ${JSON.stringify(text)}`);
        expect(message.fields[0]!.value).toEqual({ kind: 'string', value: text });
        if (!/[\n\\]/.test(text)) {
          expect(message.fields[1]!.value).toEqual({ kind: 'string', value: text });
        }
      }),
    );
  });

  it('names the line of every syntax error', () => {
    const cases: [string, string][] = [
      ['a {\n  b: 1\n', 'line 3: expected "}" to close the message, got the end of the text'],
      ['a: 1\nb 2', 'line 2: expected ":" or "{" after "b", got "2"'],
      ['a: "abc\n"', 'line 1: unterminated string; close it on the same line'],
      ['\n\na: "\\q"', 'line 3: unknown escape "\\q" in a string'],
      ['a: }', 'line 1: expected a value for "a", got "}"'],
      ['a: [1 2]', 'line 1: expected "," or "]" in the list of "a", got "2"'],
      ['a: 12abc', 'line 1: malformed number "12a"'],
      ['a: 1\n}', 'line 2: expected a field name, got "}"'],
      ['a: 1 @', 'line 1: unexpected character "@"'],
      ['a: - x', 'line 1: expected a value for "a", got "x"'],
      ['a: "\\777"', 'line 1: octal escape \\777 is beyond one byte'],
      ['a: "\\uD800"', 'line 1: \\uD800 is not a Unicode scalar value'],
    ];
    for (const [text, message] of cases) {
      expect(() => parseTextProto(text, 'x.pbtxt'), text).toThrow(
        `SCHEMA_PBTXT_INVALID: x.pbtxt: ${message}`,
      );
    }
  });

  it('reads an empty text as an empty message', () => {
    expect(parseTextProto('  # nothing\n')).toEqual({ fields: [] });
  });
});
