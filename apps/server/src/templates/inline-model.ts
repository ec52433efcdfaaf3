// A model file with its relative imports inlined into one TypeScript source, so that a template
// becomes a self-contained studio job (`model.source`), still readable and editable as TypeScript.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** One `import … from '…'` statement at the top level of a module. */
interface ImportStatement {
  readonly text: string;
  readonly typeOnly: boolean;
  readonly defaultName: string | undefined;
  readonly namespace: string | undefined;
  /** `a`, `b as c`, `type T` */
  readonly named: readonly string[];
  readonly specifier: string;
}

const IMPORT = /^import\s+(type\s+)?([\s\S]*?)\s*from\s*(['"])([^'"]+)\3\s*;?[ \t]*$/gm;
const SIDE_EFFECT_IMPORT = /^import\s*(['"])([^'"]+)\1\s*;?[ \t]*$/gm;

function parseClause(clause: string): Pick<ImportStatement, 'defaultName' | 'namespace' | 'named'> {
  let rest = clause.trim();
  let defaultName: string | undefined;
  let namespace: string | undefined;
  let named: string[] = [];
  const braces = /\{([\s\S]*)\}/.exec(rest);
  if (braces !== null) {
    named = braces[1]!
      .split(',')
      .map((part) => part.trim().replace(/\s+/g, ' '))
      .filter((part) => part !== '');
    rest = rest.replace(braces[0], '');
  }
  const star = /\*\s*as\s+([\w$]+)/.exec(rest);
  if (star !== null) {
    namespace = star[1];
    rest = rest.replace(star[0], '');
  }
  const head = rest.replace(/,/g, ' ').trim();
  if (head !== '') {
    defaultName = head;
  }
  return { defaultName, namespace, named };
}

function importsOf(source: string): ImportStatement[] {
  const out: ImportStatement[] = [];
  for (const match of source.matchAll(IMPORT)) {
    out.push({
      text: match[0],
      typeOnly: match[1] !== undefined,
      specifier: match[4]!,
      ...parseClause(match[2]!),
    });
  }
  for (const match of source.matchAll(SIDE_EFFECT_IMPORT)) {
    out.push({
      text: match[0],
      typeOnly: false,
      specifier: match[2]!,
      defaultName: undefined,
      namespace: undefined,
      named: [],
    });
  }
  return out;
}

/** The TypeScript file a relative specifier names (`./model.js` is `./model.ts` on disk). */
function resolveModule(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base.replace(/\.m?js$/, (ext) => (ext === '.mjs' ? '.mts' : '.ts')),
    base,
    `${base}.ts`,
    resolve(base, 'index.ts'),
  ];
  const found = candidates.find((candidate) => /\.m?ts$/.test(candidate) && existsSync(candidate));
  if (found === undefined) {
    throw new Error(`${from}: cannot find the module ${JSON.stringify(specifier)}`);
  }
  return found;
}

/** The end (exclusive) of the statement that starts at `start`: brackets balanced, then `;` or a newline. */
function statementEnd(source: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < source.length; i++) {
    const c = source[i]!;
    if (quote !== undefined) {
      if (c === '\\') {
        i++;
      } else if (c === quote) {
        quote = undefined;
      }
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if (c === ')' || c === ']' || c === '}') {
      depth--;
    } else if (depth === 0 && (c === ';' || c === '\n')) {
      return c === ';' ? i + 1 : i;
    }
  }
  return source.length;
}

/**
 * A dependency's code: its `export` keywords dropped (it is part of one module now), its default
 * export bound to `defaultName` (or dropped when nobody imports it).
 */
function dependencyBody(source: string, defaultName: string | undefined): string {
  let body = source;
  const start = /^export\s+default\s+/m.exec(body);
  if (start !== null) {
    const end = statementEnd(body, start.index + start[0].length);
    const expression = body.slice(start.index + start[0].length, end).replace(/;$/, '');
    body =
      body.slice(0, start.index) +
      (defaultName === undefined ? '' : `const ${defaultName} = ${expression};`) +
      body.slice(end);
  }
  return body.replace(
    /^export\s+(?=(?:declare\s+)?(?:const|let|var|function|async\s+function|class|abstract\s+class|interface|type|enum)\b)/gm,
    '',
  );
}

function withoutImports(source: string, imports: readonly ImportStatement[]): string {
  let out = source;
  for (const statement of imports) {
    out = out.replace(statement.text, '');
  }
  return out;
}

/** Leading `//` comment lines (the file's header), and the rest. */
function splitHeader(source: string): { header: string; rest: string } {
  const lines = source.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('//')) {
    i++;
  }
  return { header: lines.slice(0, i).join('\n'), rest: lines.slice(i).join('\n') };
}

function mergeImports(statements: readonly ImportStatement[]): string[] {
  const named = new Map<string, Set<string>>();
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const statement of statements) {
    if (
      statement.namespace === undefined &&
      statement.defaultName === undefined &&
      statement.named.length > 0
    ) {
      const key = `${statement.typeOnly ? 'type ' : ''}${statement.specifier}`;
      let names = named.get(key);
      if (names === undefined) {
        names = new Set();
        named.set(key, names);
        lines.push(`\0${key}`);
      }
      for (const name of statement.named) {
        names.add(name);
      }
      continue;
    }
    const text = statement.text.replace(/\s+/g, ' ').trim().replace(/;?$/, ';');
    if (!seen.has(text)) {
      seen.add(text);
      lines.push(text);
    }
  }
  return lines.map((line) => {
    if (!line.startsWith('\0')) {
      return line;
    }
    const key = line.slice(1);
    const typeOnly = key.startsWith('type ');
    const specifier = typeOnly ? key.slice(5) : key;
    const names = [...named.get(key)!].join(', ');
    return `import ${typeOnly ? 'type ' : ''}{ ${names} } from '${specifier}';`;
  });
}

/**
 * Reads `file` and inlines the modules it imports by relative path (recursively), so that the
 * result imports packages only. Named imports of inlined modules become the declarations
 * themselves (`b as c` adds `const c = b;`), a default import binds the default export.
 *
 * @throws Error for a namespace import of a relative module, or a module that cannot be found
 */
export function inlineModelSource(file: string): string {
  const collected: ImportStatement[] = [];
  const parts: string[] = [];
  const done = new Set<string>();
  const root = dirname(file);

  const visit = (path: string, defaultName: string | undefined, isEntry: boolean): string => {
    const source = readFileSync(path, 'utf8');
    const imports = importsOf(source);
    for (const statement of imports) {
      if (!statement.specifier.startsWith('.')) {
        collected.push(statement);
        continue;
      }
      if (statement.namespace !== undefined) {
        throw new Error(
          `${path}: "import * as ${statement.namespace}" of a relative module cannot be inlined; import the names you use`,
        );
      }
      const target = resolveModule(path, statement.specifier);
      if (!done.has(target)) {
        done.add(target);
        const body = visit(target, statement.defaultName, false);
        const name = relative(root, target).split('\\').join('/');
        parts.push(`// ---- inlined from ${name} ----\n${body.trim()}\n`);
      }
      for (const name of statement.named) {
        const alias = /^(?:type\s+)?([\w$]+)\s+as\s+([\w$]+)$/.exec(name);
        if (alias !== null && !name.startsWith('type ')) {
          parts.push(`const ${alias[2]} = ${alias[1]};\n`);
        }
      }
    }
    const body = withoutImports(source, imports);
    return isEntry ? body : dependencyBody(body, defaultName);
  };

  done.add(resolve(file));
  const entry = visit(resolve(file), undefined, true);
  const { header, rest } = splitHeader(entry.replace(/^\s+/, ''));
  return [
    ...(header === '' ? [] : [header]),
    mergeImports(collected).join('\n'),
    '',
    ...parts,
    rest.replace(/^\s+/, ''),
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}
