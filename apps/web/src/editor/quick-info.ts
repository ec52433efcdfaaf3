// The hover text of the code editor: TypeScript's quick info (signature, TSDoc, tags) as the
// Markdown Monaco renders. Monaco's own hover joins an `@example` onto one line and prints
// `{@link x}` verbatim; this renders examples as code blocks and links as code, as VS Code does.

/** A piece of TypeScript's display text (`ts.SymbolDisplayPart`). */
export interface DisplayPart {
  readonly text: string;
  readonly kind: string;
}

/** A TSDoc tag (`ts.JSDocTagInfo`); older TypeScript versions give `text` as a string. */
export interface DocTag {
  readonly name: string;
  readonly text?: readonly DisplayPart[] | string;
}

/** What `getQuickInfoAtPosition` answers (`ts.QuickInfo`), as far as the hover needs it. */
export interface QuickInfo {
  readonly textSpan: { readonly start: number; readonly length: number };
  readonly displayParts?: readonly DisplayPart[];
  readonly documentation?: readonly DisplayPart[];
  readonly tags?: readonly DocTag[];
}

/** Display parts as Markdown: `{@link target text}` becomes the text (or the target) as code. */
export function partsToMarkdown(parts: readonly DisplayPart[] | string | undefined): string {
  if (parts === undefined) {
    return '';
  }
  if (typeof parts === 'string') {
    return parts;
  }
  let out = '';
  let link: { name: string; text: string } | undefined;
  for (const part of parts) {
    if (part.kind === 'link') {
      if (link === undefined) {
        link = { name: '', text: '' };
      } else {
        const label = (link.text.trim() || link.name.trim()).replace(/`/g, '');
        out += label === '' ? '' : `\`${label}\``;
        link = undefined;
      }
    } else if (link !== undefined && part.kind === 'linkName') {
      link.name += part.text;
    } else if (link !== undefined && part.kind === 'linkText') {
      link.text += part.text;
    } else {
      out += part.text;
    }
  }
  return out;
}

/** An `@example` body as a TypeScript code block, unless it brings its own fences. */
function exampleToMarkdown(text: string): string {
  const body = text.replace(/^\s*\n/, '').trimEnd();
  return /^\s*```/m.test(body) ? body : `\`\`\`typescript\n${body}\n\`\`\``;
}

/** One tag as a Markdown paragraph: `*@param* \`name\` — text`, `@example` as a code block. */
export function tagToMarkdown(tag: DocTag): string {
  const label = `*@${tag.name}*`;
  if (tag.name === 'example') {
    const text = partsToMarkdown(tag.text);
    return text.trim() === '' ? label : `${label}\n\n${exampleToMarkdown(text)}`;
  }
  if (tag.name === 'param' && Array.isArray(tag.text) && tag.text.length > 0) {
    const [name, ...rest] = tag.text as readonly DisplayPart[];
    // TSDoc writes `@param name - text`; JSDoc leaves the hyphen out.
    const text = partsToMarkdown(rest).trim().replace(/^-\s*/, '');
    return `${label} \`${name!.text}\`${text === '' ? '' : ` — ${text}`}`;
  }
  const text = partsToMarkdown(tag.text).trim();
  return text === '' ? label : `${label} — ${text}`;
}

/** The hover's two parts: the signature as a TypeScript code block, then the docs and tags. */
export function quickInfoMarkdown(info: QuickInfo): { signature: string; documentation: string } {
  const signature = partsToMarkdown(info.displayParts);
  const documentation = [
    partsToMarkdown(info.documentation).trim(),
    ...(info.tags ?? []).map(tagToMarkdown),
  ].filter((paragraph) => paragraph !== '');
  return {
    signature: `\`\`\`typescript\n${signature}\n\`\`\``,
    documentation: documentation.join('\n\n'),
  };
}
