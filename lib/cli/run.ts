import { PLATFORM } from '../app';
import { MeshlabError } from '../errors';
import { LAB_NAMES } from '../labs';
import { synthesizeOutput } from '../output/synthesize';
import { writeAtomically } from '../output/write';
import { formatFinding } from '../validate/manifest';
import { USAGE, UsageError, parseArgs } from './args';

/** Where the command line writes: stdout and stderr, replaceable in tests. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * The command line: parse flags, build the labs, check every object, write atomically.
 * Returns the exit code: 0 written, 1 invalid output (nothing written), 2 bad usage.
 */
export function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io = processIo): number {
  let options;
  try {
    options = parseArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`meshlab: ${e.message}`);
    return 2;
  }
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  const targets = options.targets ?? [...LAB_NAMES, PLATFORM];
  let synthesis;
  try {
    synthesis = synthesizeOutput({ targets, labOptions: options.labOptions, platform: options.platform });
  } catch (e) {
    if (!(e instanceof MeshlabError)) throw e;
    io.err(`meshlab: ${e.message}`);
    return 2;
  }
  if (synthesis.findings.length > 0) {
    for (const f of synthesis.findings) io.err(`meshlab: ${formatFinding(f)}`);
    io.err(`meshlab: ${synthesis.findings.length} problem(s); nothing was written to ${options.out}`);
    return 1;
  }
  writeAtomically(options.out, targets, synthesis.files);
  io.out(`meshlab: wrote ${synthesis.objects.length} objects in ${synthesis.files.length} files to ${options.out}/ (${targets.join(', ')})`);
  return 0;
}
