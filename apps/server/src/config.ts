// The server's settings: options as given, defaults filled in, and the security rules that decide
// whether it may start at all (a token is required to listen beyond loopback).
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TfstreamError } from '@tfstream/schema';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (the server runs from `apps/server/src` or `apps/server/dist`). */
export const REPO_ROOT = resolve(here, '../../..');

/** Whether this module runs from its TypeScript source (tests, `npm run dev`) or from `dist/`. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Node options that run the TypeScript sources of the workspace packages (no build needed). */
export const SOURCE_EXEC_ARGV: readonly string[] = ['--conditions=source', '--import', 'tsx'];

export const DEFAULT_PORT = 8710;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WARM_ROLES = 3;

/** Where the server says what it does; `console` by default. */
export interface ServerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of `startServer`. Everything has a default; tests set `port: 0` and a temp `home`. */
export interface ServerOptions {
  /** Default 8710; 0 picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. Any other than a loopback address needs an explicit `token`. */
  readonly host?: string;
  /** The token that guards the API; 32 random bytes (hex) when left out. */
  readonly token?: string;
  /** The data folder (`TFSTREAM_HOME`): database, runs, uploads, models; default `./.tfstream`. */
  readonly home?: string;
  /** More origins whose pages may use the API and WebSocket, e.g. `http://localhost:5173`. */
  readonly allowOrigins?: readonly string[];
  /** The built front end; default `apps/web/dist`. */
  readonly webDist?: string;
  /** The folder of example jobs (one template per folder with a `job.json`); default `examples/`. */
  readonly examplesDir?: string;
  /** Largest JSON request body; default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Largest upload or pushed body; default 64 MiB. */
  readonly maxUploadBytes?: number;
  /** Runs going at once; default 4. */
  readonly maxActiveRuns?: number;
  /** How long a cancelled run may take to stop before its processes are killed; default 10 s. */
  readonly cancelTimeoutMs?: number;
  /**
   * Role processes kept started ahead, with TensorFlow.js loaded, in a spare run host for the
   * next run, so that its first records are answered ~1 s sooner; 0 turns the spare off.
   * Default 3 (the templates' clusters: 2 workers and a parameter server).
   */
  readonly warmRoles?: number;
  /**
   * How run hosts are started: Node options and working directory. From source the default is
   * `--conditions=source --import tsx` at the repository root; from `dist/` plain Node.
   */
  readonly runHost?: { readonly execArgv?: readonly string[]; readonly cwd?: string };
  readonly logger?: ServerLogger;
}

/** {@link ServerOptions} with every default filled in. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly token: string;
  readonly home: string;
  readonly allowOrigins: readonly string[];
  readonly webDist: string;
  readonly examplesDir: string;
  readonly maxBodyBytes: number;
  readonly maxUploadBytes: number;
  readonly maxActiveRuns: number;
  readonly cancelTimeoutMs: number;
  readonly warmRoles: number;
  readonly hostExecArgv: readonly string[];
  readonly hostCwd: string | undefined;
  readonly logger: ServerLogger;
}

export const CONSOLE_LOGGER: ServerLogger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** Whether `host` only listens on this machine: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') {
    return true;
  }
  if (isIP(bare) === 4) {
    return bare.startsWith('127.');
  }
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/**
 * Fills in the defaults and checks the security rules.
 * @throws TfstreamError `USAGE` for a non-loopback host without a token, or a token that cannot
 *   travel in a header or cookie
 */
export function resolveConfig(options: ServerOptions): ServerConfig {
  const host = options.host ?? DEFAULT_HOST;
  if (!isLoopbackHost(host) && options.token === undefined) {
    throw new TfstreamError(
      'USAGE',
      `refusing to listen on ${host} without an explicit token: anyone who can reach it could run code on this machine; set TFSTREAM_TOKEN or --token, or listen on 127.0.0.1`,
    );
  }
  if (options.token !== undefined && !/^[\x21-\x7e]{8,256}$/.test(options.token)) {
    throw new TfstreamError(
      'USAGE',
      'the token must be 8 to 256 printable ASCII characters without spaces',
    );
  }
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TfstreamError(
      'USAGE',
      `the port must be a whole number from 0 to 65535, got ${port}`,
    );
  }
  for (const origin of options.allowOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new TfstreamError(
        'USAGE',
        `--allow-origin takes an origin such as http://localhost:5173 (scheme, host, port; no path), got ${JSON.stringify(origin)}`,
      );
    }
  }
  return {
    port,
    host,
    token: options.token ?? randomBytes(32).toString('hex'),
    home: resolve(options.home ?? '.tfstream'),
    allowOrigins: options.allowOrigins ?? [],
    webDist: resolve(options.webDist ?? resolve(REPO_ROOT, 'apps/web/dist')),
    examplesDir: resolve(options.examplesDir ?? resolve(REPO_ROOT, 'examples')),
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? 64 * 1024 * 1024,
    maxActiveRuns: options.maxActiveRuns ?? 4,
    cancelTimeoutMs: options.cancelTimeoutMs ?? 10_000,
    warmRoles: options.warmRoles ?? DEFAULT_WARM_ROLES,
    hostExecArgv: options.runHost?.execArgv ?? (FROM_SOURCE ? SOURCE_EXEC_ARGV : []),
    hostCwd: options.runHost?.cwd ?? (FROM_SOURCE ? REPO_ROOT : undefined),
    logger: options.logger ?? CONSOLE_LOGGER,
  };
}
