// Without the token the API and the run streams refuse a browser; a wrong token gets no data,
// and the page asks for the right one.
import { expect, test } from '@playwright/test';
import { apiGet } from './support/studio-page.js';
import { E2E_TOKEN } from './support/studio.js';

test.describe('without the token', () => {
  test('GET /api/jobs is 401', async ({ browser }) => {
    const context = await browser.newContext();
    try {
      const response = await context.request.get('/api/jobs');
      expect(response.status()).toBe(401);
      const wrong = await context.request.get('/api/jobs', {
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(wrong.status()).toBe(401);
    } finally {
      await context.close();
    }
  });

  test('the run WebSocket does not open', async ({ browser }) => {
    // A real run id, so the refusal is about the token rather than an unknown run.
    const runs = await apiGet<unknown>('/api/runs').catch(() => undefined);
    const runId =
      Array.isArray(runs) && typeof (runs[0] as { id?: unknown } | undefined)?.id === 'string'
        ? (runs[0] as { id: string }).id
        : 'x';
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // Static files need no token: the page itself loads, and asks for the token.
      await page.goto('/');
      const outcome = await page.evaluate(async (id) => {
        const url = `ws://${location.host}/api/runs/${encodeURIComponent(id)}/stream`;
        return await new Promise<{ opened: boolean; messages: number; code?: number }>(
          (resolve) => {
            const ws = new WebSocket(url);
            let opened = false;
            let messages = 0;
            ws.onopen = () => {
              opened = true;
            };
            ws.onmessage = () => {
              messages++;
            };
            ws.onclose = (event) => resolve({ opened, messages, code: event.code });
          },
        );
      }, runId);
      expect(outcome.opened).toBe(false);
      expect(outcome.messages).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('a page opened with a wrong token asks for the token, and the right one lets it in', async ({
    browser,
  }) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const responses: number[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname.startsWith('/api/')) {
          responses.push(response.status());
        }
      });
      const document = await page.goto('/?token=not-the-token');
      // The server sends the browser to the page without the wrong token: the app loads, its API
      // calls get 401, and it asks for the token. No job or template reaches the page.
      expect(document?.status()).toBe(200);
      expect(new URL(page.url()).search).toBe('');
      await expect(page.getByTestId('token-prompt')).toBeVisible();
      await expect(page.getByTestId('template-card')).toHaveCount(0);
      await expect(page.getByTestId('job-row')).toHaveCount(0);
      expect(responses.length).toBeGreaterThan(0);
      expect(responses.every((status) => status === 401)).toBe(true);

      await page.getByTestId('token-input').fill(E2E_TOKEN);
      await page.getByTestId('token-submit').click();
      await expect(page.getByTestId('token-prompt')).toHaveCount(0);
      await expect(page.getByTestId('template-card').first()).toBeVisible();
      expect(responses.at(-1)).toBe(200);
    } finally {
      await context.close();
    }
  });
});
