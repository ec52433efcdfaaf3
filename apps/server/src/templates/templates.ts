// The studio's templates: every folder of `examples/` with a `job.json`, made self-contained (model
// source and schemas inline, data paths relative to the data folder). Folders without a job (the
// data, e.g. `examples/penguin-data`) are copied to `<home>/examples/` so that those paths resolve.
import { existsSync, readFileSync } from 'node:fs';
import { cp, readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Job, JobJson } from '@tfstream/runtime';
import { jobToJson, loadJob } from '@tfstream/runtime';
import type { SchemaJson } from '@tfstream/schema';
import { parseSchema, schemaFromPbtxt, schemaToJson } from '@tfstream/schema';
import type { Template, TemplateSummary } from '@tfstream/studio-api';
import type { ServerLogger } from '../config.js';
import { REPO_ROOT } from '../config.js';
import { inlineModelSource } from './inline-model.js';

/** The templates, loaded once at start. */
export interface TemplateCatalog {
  list(): TemplateSummary[];
  get(id: string): Template | undefined;
}

/** `path` relative to the data folder when it lies in the examples or the CLI's `.tfstream/`. */
function studioPath(resolved: string, examplesDir: string): string {
  const inside = (root: string): string | undefined => {
    const rel = relative(root, resolved);
    return rel === '' || rel.startsWith('..') || resolve(root, rel) !== resolved
      ? undefined
      : rel.split(sep).join('/');
  };
  const example = inside(examplesDir);
  if (example !== undefined) {
    return `examples/${example}`;
  }
  return inside(join(REPO_ROOT, '.tfstream')) ?? resolved;
}

/** A schema file's schema, as a schema document to inline. */
function schemaFile(path: string): SchemaJson {
  const text = readFileSync(path, 'utf8');
  return schemaToJson(
    path.toLowerCase().endsWith('.pbtxt')
      ? schemaFromPbtxt(text, path)
      : parseSchema(JSON.parse(text) as unknown, path),
  );
}

/**
 * Rewrites, anywhere in a job document, what points at files next to the example: `schema`
 * paths are inlined, file sources and sinks (`{ "kind": "file", "path" }`) and `modelPath`s are
 * made relative to the data folder. Generic, so that parts the document format gains (an eval
 * split, say) come along.
 */
function rewritePaths(value: unknown, dir: string, examplesDir: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => rewritePaths(item, dir, examplesDir));
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(obj)) {
    if (key === 'schema' && typeof item === 'string' && item !== 'infer') {
      out[key] = schemaFile(resolve(dir, item));
    } else if (
      typeof item === 'string' &&
      (key === 'modelPath' || (key === 'path' && obj.kind === 'file'))
    ) {
      out[key] = studioPath(resolve(dir, item), examplesDir);
    } else {
      out[key] = rewritePaths(item, dir, examplesDir);
    }
  }
  return out;
}

/** The example's job as a studio job: self-contained, its paths relative to the data folder. */
export function studioTemplateJob(job: Job, examplesDir: string): JobJson {
  const json = rewritePaths(jobToJson(job), job.dir, examplesDir) as JobJson;
  return {
    ...json,
    model: {
      language: 'typescript',
      source:
        job.model.file === undefined
          ? job.model.source
          : inlineModelSource(job.model.file.resolved),
    },
  };
}

/**
 * Reads the templates from `examplesDir` and copies its data folders to `<home>/examples/`.
 * A template that cannot be read is left out with a warning.
 */
export async function loadTemplates(
  examplesDir: string,
  home: string,
  logger: ServerLogger,
): Promise<TemplateCatalog> {
  const templates = new Map<string, Template>();
  const entries = existsSync(examplesDir)
    ? (await readdir(examplesDir, { withFileTypes: true })).filter((entry) => entry.isDirectory())
    : [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(examplesDir, entry.name);
    const file = join(dir, 'job.json');
    if (!existsSync(file)) {
      await cp(dir, join(home, 'examples', entry.name), { recursive: true, force: true });
      continue;
    }
    try {
      const job = loadJob(file);
      templates.set(entry.name, {
        id: entry.name,
        name: job.name,
        description: job.description ?? '',
        mode: job.mode,
        transfer: job.transfer.mode,
        workers: job.cluster.workers,
        parameterServers: job.cluster.parameterServers,
        job: studioTemplateJob(job, examplesDir),
      });
    } catch (error) {
      logger.warn(
        `template ${entry.name} left out: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return {
    list: () => [...templates.values()].map(({ job: _job, ...summary }) => summary),
    get: (id) => templates.get(id),
  };
}
