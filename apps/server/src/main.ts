// The studio server's entry point: `node apps/server/dist/main.js [--port N] …` (see `--help`).
import { studioMain } from './cli.js';

process.exitCode = await studioMain(process.argv.slice(2));
