import { MeshlabError } from '../errors';
import { UsageError } from './flags';

/** Where a command writes: stdout and stderr, replaceable in tests. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs a command and returns its exit code; a MeshlabError (the user's mistake) becomes one
 * line on stderr, `<prefix>: <message>`, and exit code 2. Anything else is a bug and throws.
 */
export function runCommand(io: Io, prefix: string, body: () => number): number {
  try {
    return body();
  } catch (e) {
    if (!(e instanceof MeshlabError)) throw e;
    io.err(`${prefix}: ${e.message}`);
    return 2;
  }
}

/**
 * Runs a long command (the verify commands): its arguments are read first, where a mistake is
 * one line and exit 2 (`--help` prints `usage` and exits 0); then `body` runs, and a MeshlabError
 * it throws is one line on stderr, exit 2 for a usage mistake and 1 otherwise.
 */
export async function runLongCommand<A extends { readonly help: boolean }>(
  io: Io,
  prefix: string,
  usage: string,
  parse: () => A,
  body: (args: A) => Promise<number>,
): Promise<number> {
  let args: A | undefined;
  const code = runCommand(io, prefix, () => {
    args = parse();
    if (args.help) io.out(usage);
    return 0;
  });
  if (code !== 0 || !args || args.help) return code;
  try {
    return await body(args);
  } catch (e) {
    if (!(e instanceof MeshlabError)) throw e;
    io.err(`${prefix}: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
