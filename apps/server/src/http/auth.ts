// Who may use the server: requests that carry the token (Bearer header, the `tfstream_token`
// cookie, or `?token=` on the WebSocket), from no browser Origin or one of the server's own.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { TOKEN_COOKIE } from '@tfstream/studio-api';
import { HttpError } from './errors.js';

/** Compares a presented token with the server's in constant time (of the token's length too). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) {
    return false;
  }
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The cookies of a request, by name (values URI-decoded). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      continue;
    }
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}

/** The token a request presents: `Authorization: Bearer`, else the cookie, else `?token=` if allowed. */
export function presentedToken(
  request: IncomingMessage,
  query?: URLSearchParams,
): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? '';
  }
  const cookie = parseCookies(request.headers.cookie).get(TOKEN_COOKIE);
  if (cookie !== undefined) {
    return cookie;
  }
  return query?.get('token') ?? undefined;
}

/**
 * The origins whose pages may call the API: the server's own (`http://127.0.0.1:PORT`,
 * `http://localhost:PORT`, `http://[::1]:PORT`, and the host it listens on) and the allowed ones.
 */
export function ownOrigins(host: string, port: number, allowed: readonly string[]): Set<string> {
  const origins = new Set<string>([
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `http://[::1]:${port}`,
  ]);
  if (host !== '0.0.0.0' && host !== '::' && host !== '') {
    origins.add(
      `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`,
    );
  }
  for (const origin of allowed) {
    origins.add(origin.replace(/\/$/, ''));
  }
  return origins;
}

/** Why a request is refused (status, code, message), or undefined when it may go on. */
export function refusal(
  request: IncomingMessage,
  token: string,
  origins: ReadonlySet<string>,
  options: { readonly query?: URLSearchParams; readonly tokenRequired: boolean },
): HttpError | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined && !origins.has(origin)) {
    return new HttpError(
      403,
      'FORBIDDEN',
      `requests from pages of ${origin} are not allowed; open the studio at the server's own address, or start the server with --allow-origin ${origin}`,
    );
  }
  if (options.tokenRequired && !tokenMatches(presentedToken(request, options.query), token)) {
    return new HttpError(
      401,
      'UNAUTHORIZED',
      'missing or wrong token: open the URL the server printed (http://…/?token=…), or send Authorization: Bearer <token>',
    );
  }
  return undefined;
}

/**
 * Guards `/api`: a foreign Origin is 403, a missing or wrong token 401, except for the read-only
 * share snapshots (`GET /api/shares/:id`), whose unguessable id is the capability.
 */
export function apiGuard(token: string, origins: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    const open =
      (req.method === 'GET' || req.method === 'HEAD') && /^\/shares\/[^/]+$/.test(req.path);
    const refused = refusal(req, token, origins, { tokenRequired: !open });
    next(refused);
  };
}

/**
 * Pages opened with `?token=`: a right token is kept in the HttpOnly, SameSite=Strict cookie and
 * the browser is sent to the same URL without it (so it leaves the address bar and history). A
 * browser with a wrong token is sent there too, without a cookie: the app loads (static files
 * hold no data), its API calls get 401 and it asks for the token. Other clients get a 401.
 */
export function pageTokenFlow(token: string): RequestHandler {
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.query.token === undefined) {
      next();
      return;
    }
    const url = new URL(req.originalUrl, 'http://studio.invalid');
    const given = url.searchParams.get('token') ?? undefined;
    url.searchParams.delete('token');
    const withoutToken = `${url.pathname}${url.search}${url.hash}`;
    res.setHeader('Cache-Control', 'no-store');
    if (tokenMatches(given, token)) {
      res.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/' });
      res.redirect(302, withoutToken);
    } else if (/\btext\/html\b/.test(req.headers.accept ?? '')) {
      res.redirect(302, withoutToken);
    } else {
      res
        .status(401)
        .type('text/plain')
        .send('Wrong token. Open the URL the tfstream server printed when it started.\n');
    }
  };
}
