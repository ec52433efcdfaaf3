import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTfstreamError } from '@tfstream/schema';
import { JsonNumber, parseExactJson, parseJsonEntries } from './exact-json.js';

/** The value with every JsonNumber turned into the double JSON.parse would give. */
function asDoubles(value: unknown): unknown {
  if (value instanceof JsonNumber) {
    return Number(value.text);
  }
  if (Array.isArray(value)) {
    return value.map(asDoubles);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asDoubles(v)]));
  }
  return value;
}

function outcome(parse: () => unknown): unknown {
  try {
    return { ok: parse() };
  } catch (error) {
    return { failed: true, tfstream: isTfstreamError(error, 'CODEC_MALFORMED') };
  }
}

describe('parseExactJson', () => {
  it('reads every JSON document as JSON.parse does, apart from keeping numbers exact', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(asDoubles(parseExactJson(text))).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects exactly the texts JSON.parse rejects, with CODEC_MALFORMED', () => {
    const near = fc
      .tuple(
        fc.json(),
        fc.nat(),
        fc.constantFrom(
          '',
          '{',
          '}',
          '[',
          ']',
          ',',
          ':',
          '"',
          '\\',
          '-',
          '1',
          'e',
          '.',
          ' ',
          '\u0001',
          'tru',
          'nul',
        ),
      )
      .map(([text, at, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (at % 2));
      });
    fc.assert(
      fc.property(fc.oneof(near, fc.string()), (text) => {
        const expected = outcome(() => JSON.parse(text));
        const actual = outcome(() => parseExactJson(text));
        if ((expected as { failed?: boolean }).failed === true) {
          expect(actual).toEqual({ failed: true, tfstream: true });
        } else {
          expect((actual as { ok: unknown }).ok).toBeDefined();
          expect(asDoubles((actual as { ok: unknown }).ok)).toStrictEqual(
            (expected as { ok: unknown }).ok,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps integers beyond 2^53 and fractions as their text', () => {
    const value = parseExactJson(
      '{"a": 9223372036854775807, "b": -9007199254740991, "c": 0.1000000000000000000001, "d": -0, "e": 1e2}',
    ) as Record<string, unknown>;
    expect(value.a).toEqual(new JsonNumber('9223372036854775807'));
    expect(value.b).toBe(-9007199254740991);
    expect(value.c).toEqual(new JsonNumber('0.1000000000000000000001'));
    expect(Object.is(value.d, -0)).toBe(true);
    expect(value.e).toEqual(new JsonNumber('1e2'));
  });

  it('keeps "__proto__" as an own key, as JSON.parse does', () => {
    const value = parseExactJson('{"__proto__": 1}') as Record<string, unknown>;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('refuses nesting deeper than 1000 levels instead of overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() => parseExactJson(deep)).toThrow(
      'CODEC_MALFORMED: invalid JSON at character 1001: JSON nested deeper than 1000 levels',
    );
    expect(parseExactJson(`${'['.repeat(500)}1${']'.repeat(500)}`)).toBeDefined();
  });

  it('names the character where the text goes wrong', () => {
    expect(() => parseExactJson('{"a": tru}')).toThrow(
      'CODEC_MALFORMED: invalid JSON at character 7: unexpected character',
    );
    expect(() => parseExactJson('{"a": 1} x')).toThrow('unexpected text after the JSON value');
    expect(() => parseExactJson('"abc')).toThrow('unterminated string');
  });
});

describe('parseJsonEntries', () => {
  it('gives the members of an object in written order, integer-like keys included', () => {
    const entries = parseJsonEntries('{"b": 1, "2": [true], "a": null, "1": {"x": 1.5}, "b": 3}');
    expect([...entries.keys()]).toEqual(['b', '2', 'a', '1']);
    expect(entries.get('b')).toBe(3);
    expect(entries.get('1')).toEqual({ x: 1.5 });
  });

  it('refuses a line that is not an object', () => {
    expect(() => parseJsonEntries('[1]')).toThrow('CODEC_MALFORMED');
    expect(() => parseJsonEntries('')).toThrow('CODEC_MALFORMED');
  });
});
