// The studio's command line (`tfstream studio`, `npm run dev -w apps/server`): flags and
// environment to options, the URL with the token printed as Jupyter does, stop on Ctrl-C.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { isTfstreamError } from '@tfstream/schema';
import { typings } from './code/typings.js';
import type { ServerOptions } from './config.js';
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WARM_ROLES } from './config.js';
import { startServer } from './server.js';

export const STUDIO_HELP = `Usage:
  tfstream studio [--port N] [--host H] [--token T] [--home DIR] [--allow-origin URL]...
                  [--warm-roles N] [--no-open]
      Start the studio: the web app and its API at http://127.0.0.1:${DEFAULT_PORT}/?token=….
      --port N         port (default $PORT or ${DEFAULT_PORT}; 0 picks a free one)
      --host H         address to listen on (default ${DEFAULT_HOST}); any other than a loopback
                       address needs an explicit token
      --token T        the token that guards the API (default $TFSTREAM_TOKEN, else random)
      --home DIR       data folder: jobs, runs, uploads, models (default $TFSTREAM_HOME or .tfstream)
      --allow-origin   another origin whose pages may use the API, e.g. http://localhost:5173
      --max-upload-bytes N   largest upload or pushed body (default 64 MiB)
      --warm-roles N   role processes kept started ahead for the next run (default ${DEFAULT_WARM_ROLES};
                       0: none, each run starts its processes when it starts)
      --no-open        do not open a browser`;

/** Where the command writes. */
export interface StudioIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The server options of a command line and environment. */
export function studioOptions(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { options: ServerOptions; open: boolean } | 'help' {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      home: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'max-upload-bytes': { type: 'string' },
      'warm-roles': { type: 'string' },
      'no-open': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return 'help';
  }
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined || text === '') {
      return undefined;
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`--${name} takes a whole number, got ${JSON.stringify(text)}`);
    }
    return n;
  };
  const port = number('port', values.port ?? env.PORT);
  const maxUploadBytes = number('max-upload-bytes', values['max-upload-bytes']);
  const warmRoles = number('warm-roles', values['warm-roles']);
  const token = values.token ?? env.TFSTREAM_TOKEN;
  const home = values.home ?? env.TFSTREAM_HOME;
  return {
    options: {
      ...(port === undefined ? {} : { port }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(token === undefined || token === '' ? {} : { token }),
      ...(home === undefined || home === '' ? {} : { home }),
      ...(values['allow-origin'] === undefined ? {} : { allowOrigins: values['allow-origin'] }),
      ...(maxUploadBytes === undefined ? {} : { maxUploadBytes }),
      ...(warmRoles === undefined ? {} : { warmRoles }),
    },
    open: values['no-open'] !== true,
  };
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  if (
    process.platform === 'linux' &&
    process.env.DISPLAY === undefined &&
    process.env.WAYLAND_DISPLAY === undefined
  ) {
    return;
  }
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser to open: the printed URL is enough.
  }
}

/**
 * Runs the studio until SIGINT or SIGTERM; resolves with the exit code (0, 1 when it cannot
 * start, 2 for a usage error).
 */
export async function studioMain(
  args: readonly string[],
  io: StudioIo = process,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = studioOptions(args, env);
  } catch (error) {
    io.stderr.write(`USAGE: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(`${STUDIO_HELP}\n`);
    return 0;
  }
  let server;
  try {
    server = await startServer(parsed.options);
  } catch (error) {
    if (isTfstreamError(error)) {
      io.stderr.write(`${error.message}\n`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    io.stderr.write(`tfstream studio: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  io.stdout.write(
    [
      `tfstream studio is running (data folder ${server.home})`,
      'Open this URL in a browser (it carries the token; keep it to yourself):',
      '',
      `    ${server.url}`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  if (parsed.open) {
    openBrowser(server.url);
  }
  // The editor asks for the typings first thing: have them ready.
  typings().catch((error: unknown) =>
    io.stderr.write(`tfstream studio: typings unavailable: ${String(error)}\n`),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.stdout.write('tfstream studio: stopping (runs going are cancelled) ...\n');
  await server.close();
  return 0;
}
