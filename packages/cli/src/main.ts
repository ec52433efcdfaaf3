import { isTfstreamError } from '@tfstream/schema';
import type { CliIo } from './cli-io.js';
import { CONVERT_HELP, convertCommand } from './commands/convert.js';
import { INSPECT_HELP, inspectCommand } from './commands/inspect.js';
import { RUN_HELP, runCommand } from './commands/run.js';
import { SCHEMA_HELP, schemaCommand } from './commands/schema.js';
import { STUDIO_HELP, studioCommand } from './commands/studio.js';

const VERSION = '0.1.0';

export const HELP = `tfstream ${VERSION}: author and run TensorFlow.js jobs on streams of records

${RUN_HELP}

${SCHEMA_HELP}

${INSPECT_HELP}

${CONVERT_HELP}

${STUDIO_HELP}

Exit codes: 0 success, 1 data error (one line on stderr: CODE: file: record N: field "f": detail),
2 usage error.`;

/**
 * Runs the CLI with the given arguments and returns the process exit code: 0 on success, 1 on a
 * data error, 2 on a usage error. Bad data never prints a stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'schema':
        return await schemaCommand(rest, io);
      case 'inspect':
        return await inspectCommand(rest, io);
      case 'convert':
        return await convertCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      case 'studio':
        return await studioCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.stdout.write(`${VERSION}\n`);
        return 0;
      default:
        io.stderr.write(`USAGE: unknown command "${command}"; run tfstream --help\n`);
        return 2;
    }
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (isTfstreamError(error)) {
    io.stderr.write(`${error.message}\n`);
    return error.code === 'USAGE' ? 2 : 1;
  }
  if (
    error instanceof Error &&
    'code' in error &&
    String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')
  ) {
    io.stderr.write(`USAGE: ${error.message}\n`);
    return 2;
  }
  // A bug of ours, not bad data: say so, with the stack, so that it can be reported.
  io.stderr.write(
    `INTERNAL_ERROR: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 70;
}
