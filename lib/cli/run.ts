import { PLATFORM, Unexpressed, buildModel, flavoursWith, unexpressed, unexpressedMessage } from '../app';
import { LABS, LabDefinition } from '../labs';
import { ScenarioSelection } from '../scenarios/engine';
import { Flavour } from '../mesh/flavour';
import { synthesizeOutput } from '../output/synthesize';
import { writeAtomically } from '../output/write';
import { formatFinding } from '../validate/manifest';
import * as path from 'path';
import { CliOptions, DEFAULT_OUT, USAGE, UsageError, labFileOf, parseArgs } from './args';
import { loadLabFile } from './lab-file';
import { readConfig } from './config';
import { formatListing, listing } from './list';
import { Io, processIo, runCommand } from './io';
import { checkNamespaces } from './namespaces';
import { checkOutDir } from './outdir';
import { VERSION } from './version';
import { allowedNames } from '../suggest';

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
function labsFor(selection: ScenarioSelection | undefined, labs: readonly LabDefinition[]): string[] | undefined {
  if (!selection) return undefined;
  const offered = new Set(labs.flatMap((l) => l.scenarios.map((p) => p.scenario.name)));
  const unknown = selection.scenarios.find((s) => !offered.has(s));
  if (unknown) throw new UsageError(`unknown scenario ${unknown} ${allowedNames(unknown, 'scenarios', [...offered].sort())}`);
  const offering = labs.filter((l) => selection.scenarios.every((s) => l.scenarios.some((p) => p.scenario.name === s))).map((l) => l.name);
  if (offering.length === 0) throw new UsageError(`no lab offers all of ${selection.scenarios.join(', ')}; pick labs with --lab`);
  return offering;
}

/** The output folders of `targets` (labs and the platform) in `flavours`. */
function folders(targets: readonly string[], flavours: readonly Flavour[]): string[] {
  return targets.flatMap((t) => (t === PLATFORM ? [t] : flavours.map((f) => f.folder(t))));
}

function runOrThrow(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io): number {
  const labFile = labFileOf(argv);
  const options = parseArgs(argv, env, labFile === undefined ? LABS : [...LABS, loadLabFile(labFile, LABS)]);
  const { labs } = options;
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  if (options.version) {
    io.out(`meshlab ${VERSION}`);
    return 0;
  }
  if (options.list) {
    const l = listing(options.targets, options.labOptions, labs);
    io.out(options.json ? JSON.stringify(l, null, 2) : formatListing(l));
    return 0;
  }
  const everything = [...labs.map((l) => l.name), PLATFORM];
  checkOutDir(options.out, options.outSource, folders(everything, Flavour.ALL));
  const chosen = options.targets ?? labsFor(options.scenarios, labs) ?? everything;
  // The cdk8s CLI has emptied the output folder before it ran us: write every lab, or the
  // ones not chosen would be lost. The chosen labs are those the scenarios apply to.
  const targets = options.underCdk8s ? everything : chosen;
  const fromFlags = options.scenarios
    ? Object.fromEntries(labs.filter((l) => chosen.includes(l.name)).map((l) => [l.name, options.scenarios!]))
    : {};
  const scenarios = options.scenarios && !options.underCdk8s ? fromFlags : { ...readConfig(options.config, options.configGiven, labs), ...fromFlags };
  checkNamespaces(options.labOptions, labs);
  // Asking for a step the chosen flavour will not write is refused; without --api and --mode,
  // the flavours that cannot express a scenario leave it out, and the summary says so.
  const left = leftOut(scenarios, labs.filter((l) => chosen.includes(l.name)), options.flavours);
  if (options.flavours.length < Flavour.ALL.length && left.length > 0) {
    const { definition, flavour, folder, missing } = left[0];
    const others = flavoursWith(definition, missing.scenario).map((f) => f.flags);
    throw new UsageError(`${unexpressedMessage(missing, flavour, folder)}; nothing was written (flavours that have it: ${others.join(', ')})`);
  }
  // The cdk8s CLI emptied the folder: every flavour too.
  const flavours = options.underCdk8s ? Flavour.ALL : options.flavours;
  const synthesis = synthesizeOutput(buildModel({ targets, labs, labOptions: options.labOptions, platform: options.platform, scenarios, flavours }));
  if (synthesis.findings.length > 0) {
    for (const f of synthesis.findings) io.err(`meshlab: ${formatFinding(f)}`);
    io.err(`meshlab: ${synthesis.findings.length} problem(s); nothing was written to ${options.out}`);
    return 1;
  }
  const written = folders(targets, flavours);
  writeAtomically(options.out, written, synthesis.files);
  io.out(`meshlab: wrote ${synthesis.objects.length} objects in ${synthesis.files.length} files to ${options.out}/ (${written.join(', ')})${committedNote(options, chosen)}`);
  if (left.length > 0) io.out(leftOutNote(left, options.out));
  if (options.underCdk8s && options.targets) {
    io.out(`meshlab: wrote every lab because npx cdk8s synth empties ${options.out}/ first; MESHLAB_LAB chose where the scenarios apply (${chosen.join(', ')})`);
  }
  return 0;
}

/** A scenario switched on for a lab that one of the flavours written cannot express. */
interface LeftOut {
  readonly definition: LabDefinition;
  readonly flavour: Flavour;
  readonly folder: string;
  readonly missing: Unexpressed;
}

/** The scenarios switched on per lab of `labs` that a flavour of `flavours` leaves out. */
function leftOut(scenarios: Readonly<Record<string, ScenarioSelection>>, labs: readonly LabDefinition[], flavours: readonly Flavour[]): LeftOut[] {
  return labs.flatMap((definition) => flavours.flatMap((flavour) =>
    unexpressed(definition, scenarios[definition.name]?.scenarios ?? [], flavour, scenarios[definition.name]?.set)
      .map((missing) => ({ definition, flavour, folder: flavour.folder(definition.name), missing }))));
}

/** One line after the summary: which folders left which scenarios out, and where their guides say why. */
function leftOutNote(left: readonly LeftOut[], out: string): string {
  const items = left.map((l) => `${l.missing.scenario} in ${l.folder}`);
  const guides = [...new Set(left.map((l) => `${out.replace(/\/+$/, '')}/${l.folder}/README.md`))];
  return `meshlab: left out where the flavour has no form for it: ${items.join(', ')}; "Not in this flavour" in ${guides.join(', ')} says why`;
}

/**
 * The end of the summary when scenarios from the command line rewrote the committed output
 * folder (dist/, which a pull request shows): how to get the labs back, and --out for trying.
 */
function committedNote(options: CliOptions, chosen: readonly string[]): string {
  if (!options.scenarios || path.resolve(options.out) !== path.resolve(DEFAULT_OUT)) return '';
  const labs = chosen.filter((l) => l !== PLATFORM).join(', ');
  return `; ${DEFAULT_OUT}/ now holds ${labs} with ${options.scenarios.scenarios.join(', ')} switched on: \`git checkout ${DEFAULT_OUT}\` or \`npm run synth\` restores the labs (try scenarios with --out DIR to leave ${DEFAULT_OUT}/ as it is)`;
}
