// The studio's front end: the built `apps/web/dist` at `/`, with the single-page app's routes
// (`/jobs/…`, `/share/…`, `/new…`) answered by `index.html`; a plain page when it is not built.
// Static files hold no data, so they are served without the token. Security headers go on
// every response.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler, Router } from 'express';
import express from 'express';

/**
 * The security headers of every response: a CSP that allows the app's own scripts, Monaco's
 * workers from `blob:`, tfjs's WebAssembly (`wasm-unsafe-eval`), the model-code dry run
 * (`unsafe-eval`: the code cell evaluates the user's own compiled model in their browser, as the
 * TypeScript playground does; nothing runs without the user's click), WebSockets to the server
 * itself, and no framing; no MIME sniffing; no referrer.
 */
export function securityHeaders(origins: ReadonlySet<string>): RequestHandler {
  // CSP host sources cannot name IPv6 literals (`[::1]`); 'self' covers the page's own origin.
  const sockets = [...origins]
    .filter((origin) => !origin.includes('['))
    .map((origin) => origin.replace(/^http/, 'ws'))
    .join(' ');
  const csp = [
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  };
}

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>tfstream studio</title></head>
<body>
<h1>tfstream studio</h1>
<p>The server is running, but the studio's web app is not built yet.</p>
<p>Build it with <code>npm run build -w apps/web</code> (or run <code>npm start</code>), then reload this page.</p>
<p>The API is at <code>/api</code> (it needs the token the server printed).</p>
</body>
</html>
`;

/** Serves the web app from `webDist`, or the "not built" page. */
export function staticSite(webDist: string): Router {
  const router = express.Router();
  const index = join(webDist, 'index.html');
  router.use(
    express.static(webDist, {
      index: false,
      fallthrough: true,
      setHeaders: (res, path) => {
        // Vite names built assets by their hash: they never change.
        res.setHeader(
          'Cache-Control',
          path.includes(`${join(webDist, 'assets')}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        );
      },
    }),
  );
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    // A path with a file extension that was not found is a missing file, not an app route.
    if (/\.[A-Za-z0-9]+$/.test(req.path)) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    if (existsSync(index)) {
      res.sendFile(index);
    } else {
      res.type('html').send(NOT_BUILT);
    }
  });
  return router;
}
