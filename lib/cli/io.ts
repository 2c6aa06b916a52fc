import { MeshlabError } from '../errors';

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
