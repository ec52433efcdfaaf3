/** Runs the CLI with the given arguments and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  process.stdout.write(`tfstream ${argv.join(' ')}\n`);
  return 0;
}
