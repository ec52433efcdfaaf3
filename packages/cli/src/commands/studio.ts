import type { CliIo } from '../cli-io.js';

export const STUDIO_HELP = `Usage:
  tfstream studio [--port N] [--host H] [--token T] [--home DIR] [--allow-origin URL]... [--no-open]
      Start the studio (web app, API and run streams) at http://127.0.0.1:8710/?token=…;
      tfstream studio --help tells more.`;

/** `tfstream studio`: the server is loaded only for this command, so that the others stay light. */
export async function studioCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { studioMain } = await import('@tfstream/server');
  return studioMain(args, io);
}
