// Page object of the studio for the e2e tests: opening it with the token, creating jobs from
// templates, running the job, and writing what a test measured to test-results/e2e/metrics.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import { E2E_TOKEN, E2E_URL } from './studio.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = join(ROOT, 'test-results', 'e2e');
export const SCREENSHOTS = join(RESULTS, 'screenshots');
export const CELLS = ['schema', 'codec', 'code', 'cluster', 'run'] as const;
export const TERMINAL_STATE = /^(finished|failed|cancelled)$/;

export class StudioPage {
  constructor(readonly page: Page) {}

  /** Opens the home page with `?token=`, which sets the token cookie. */
  async open(): Promise<void> {
    await this.page.goto(`/?token=${E2E_TOKEN}`);
    await expect(this.page.getByTestId('template-gallery')).toBeVisible();
  }

  /** Creates a job from a template through the gallery and waits for its editor. */
  async newFromTemplate(template: string): Promise<string> {
    await this.page
      .locator(`[data-testid="template-card"][data-template="${template}"]`)
      .getByTestId('new-from-template')
      .click();
    await this.page.waitForURL(/\/jobs\/[^/?]+/);
    await expect(this.editor).toBeVisible();
    return this.jobId();
  }

  jobId(): string {
    const match = /\/jobs\/([^/?#]+)/.exec(this.page.url());
    if (match === null) {
      throw new Error(`not on a job page: ${this.page.url()}`);
    }
    return decodeURIComponent(match[1]!);
  }

  get editor(): Locator {
    return this.page.getByTestId('job-editor');
  }

  cell(id: (typeof CELLS)[number]): Locator {
    return this.page.getByTestId(`cell-${id}`);
  }

  /**
   * Waits until the code cell's editor has loaded and checked the model code with its typings:
   * Monaco's start-up (long tasks of its own, a busy TypeScript worker) is then over.
   */
  async editorReady(): Promise<void> {
    const code = this.cell('code');
    await expect(code.locator('.monaco-editor').first()).toBeAttached({ timeout: 60_000 });
    await expect(code.getByTestId('ts-problems')).toHaveText(/problem/, { timeout: 60_000 });
  }

  get runButton(): Locator {
    return this.page.getByTestId('run-button');
  }

  get statusBadge(): Locator {
    return this.page.getByTestId('status-badge');
  }

  /**
   * Moves the mouse over `word` on the line of the model code that contains `context` (scrolling
   * the editor until that line is rendered), as a user pointing at a symbol would.
   */
  async hoverCode(context: string, word: string): Promise<void> {
    const editor = this.cell('code').locator('.monaco-editor').first();
    const line = editor.locator('.view-line').filter({ hasText: context }).first();
    await editor.locator('.view-lines').hover({ position: { x: 10, y: 10 } });
    await expect(async () => {
      if ((await line.count()) === 0) {
        await this.page.mouse.wheel(0, 120);
      }
      await expect(line).toBeVisible({ timeout: 500 });
    }).toPass({ timeout: 20_000 });
    const point = await line.evaluate(
      (element, [wanted, symbol]) => {
        const nodes: { node: Node; from: number }[] = [];
        let text = '';
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
          nodes.push({ node, from: text.length });
          text += node.textContent ?? '';
        }
        // Monaco renders spaces as U+00A0.
        const at = text.replace(/\u00a0/g, ' ').indexOf(wanted!);
        const start = at + wanted!.indexOf(symbol!);
        if (at < 0 || start < at) {
          return undefined;
        }
        const locate = (offset: number) => {
          const hit = nodes.findLast((n) => n.from <= offset)!;
          return [hit.node, offset - hit.from] as const;
        };
        const range = document.createRange();
        range.setStart(...locate(start));
        range.setEnd(...locate(start + symbol!.length));
        const rect = range.getBoundingClientRect();
        return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
      },
      [context, word] as const,
    );
    if (point === undefined) {
      throw new Error(`"${word}" is not in the line "${context}" of the model code`);
    }
    await this.page.mouse.move(point.x, point.y);
  }

  /**
   * Screenshots each of the five cells into test-results/e2e/screenshots/<prefix>-<cell>.png.
   * The notebook scrolls in a container of the page's height, and Chromium paints nothing of it
   * beyond that: a cell taller than the window would come out cut off below the fold (the run
   * cell's output table, logs and timeline blank). So the window is made as tall as the cell for
   * its screenshot, and put back after.
   */
  async screenshotCells(prefix: string): Promise<string[]> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const viewport = this.page.viewportSize();
    const paths: string[] = [];
    try {
      for (const id of CELLS) {
        const path = join(SCREENSHOTS, `${prefix}-${id}.png`);
        const cell = this.cell(id);
        await cell.scrollIntoViewIfNeeded();
        const height = (await cell.boundingBox())?.height ?? 0;
        if (viewport !== null) {
          // The window less what is not the notebook (the top bar), plus a margin around the cell.
          const chrome = await this.page.evaluate(
            () => window.innerHeight - (document.querySelector('.main .scroll')?.clientHeight ?? 0),
          );
          const needed = Math.ceil(height) + chrome + 48;
          await this.page.setViewportSize({
            width: viewport.width,
            height: Math.max(viewport.height, needed),
          });
          await cell.scrollIntoViewIfNeeded();
        }
        await cell.screenshot({ path, animations: 'disabled' });
        paths.push(path);
      }
    } finally {
      if (viewport !== null) {
        await this.page.setViewportSize(viewport);
      }
    }
    return paths;
  }
}

/** A fetch against the API with the token, from the test process. */
export async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(`${E2E_URL}${path}`, {
    headers: { authorization: `Bearer ${E2E_TOKEN}` },
  });
  if (!response.ok) {
    throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/**
 * Records a measured figure: as an annotation and an attachment of the test, and merged into
 * test-results/e2e/metrics.json (one key per test).
 */
export async function recordMetrics(
  testInfo: TestInfo,
  name: string,
  figures: Record<string, unknown>,
): Promise<void> {
  const text = JSON.stringify(figures);
  console.log(`[metrics] ${name}: ${text}`);
  testInfo.annotations.push({ type: 'metrics', description: `${name}: ${text}` });
  await testInfo.attach(`${name}.json`, {
    body: JSON.stringify(figures, null, 2),
    contentType: 'application/json',
  });
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, 'metrics.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first figure of the run
  }
  all[name] = { ...figures, recordedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}
