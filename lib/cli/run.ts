import { PLATFORM } from '../app';
import { LABS, LAB_NAMES } from '../labs';
import { ScenarioSelection } from '../scenarios/engine';
import { synthesizeOutput } from '../output/synthesize';
import { writeAtomically } from '../output/write';
import { formatFinding } from '../validate/manifest';
import { USAGE, UsageError, parseArgs } from './args';
import { readConfig } from './config';
import { formatListing, listing } from './list';
import { Io, processIo, runCommand } from './io';

export type { Io };

/**
 * The command line: parse flags, build the labs, check every object, write atomically.
 * Returns the exit code: 0 written, 1 invalid output (nothing written), 2 bad usage.
 */
export function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io = processIo): number {
  return runCommand(io, 'meshlab', () => runOrThrow(argv, env, io));
}

/**
 * Without `--lab`, `--scenario` applies to the labs that offer every scenario named; a name
 * no lab offers is an error listing the names there are.
 */
function labsFor(selection: ScenarioSelection | undefined): string[] | undefined {
  if (!selection) return undefined;
  const offered = new Set(LABS.flatMap((l) => l.scenarios.map((p) => p.scenario.name)));
  const unknown = selection.scenarios.find((s) => !offered.has(s));
  if (unknown) throw new UsageError(`unknown scenario ${unknown} (scenarios: ${[...offered].sort().join(', ')})`);
  const labs = LABS.filter((l) => selection.scenarios.every((s) => l.scenarios.some((p) => p.scenario.name === s))).map((l) => l.name);
  if (labs.length === 0) throw new UsageError(`no lab offers all of ${selection.scenarios.join(', ')}; pick labs with --lab`);
  return labs;
}

function runOrThrow(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io): number {
  const options = parseArgs(argv, env);
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  if (options.list) {
    const l = listing(options.targets, options.labOptions);
    io.out(options.json ? JSON.stringify(l, null, 2) : formatListing(l));
    return 0;
  }
  const targets = options.targets ?? labsFor(options.scenarios) ?? [...LAB_NAMES, PLATFORM];
  const scenarios = options.scenarios
    ? Object.fromEntries(LAB_NAMES.filter((l) => targets.includes(l)).map((l) => [l, options.scenarios!]))
    : readConfig(options.config);
  const synthesis = synthesizeOutput({ targets, labOptions: options.labOptions, platform: options.platform, scenarios, outDir: options.out });
  if (synthesis.findings.length > 0) {
    for (const f of synthesis.findings) io.err(`meshlab: ${formatFinding(f)}`);
    io.err(`meshlab: ${synthesis.findings.length} problem(s); nothing was written to ${options.out}`);
    return 1;
  }
  writeAtomically(options.out, targets, synthesis.files);
  io.out(`meshlab: wrote ${synthesis.objects.length} objects in ${synthesis.files.length} files to ${options.out}/ (${targets.join(', ')})`);
  return 0;
}
