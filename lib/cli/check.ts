import * as fs from 'fs';
import * as path from 'path';
import { validateSchema } from '../../imports/schema';
import { UsageError } from './flags';
import { analyze } from '../validate/analyze';
import type { Located } from '../validate/check';
import { CODES } from '../validate/codes';
import { LIMITS, loadManifests } from '../validate/load';
import { Finding, formatFinding, objectName } from '../validate/manifest';
import { Io, runCommand } from './io';
import { VERSION } from './version';
import { allowedNames } from '../suggest';

export const CHECK_USAGE = `usage: npm run check -- [PATH...] [--json]
       npm run check -- --codes

  PATH        YAML or JSON files, folders searched for *.yaml, *.yml and *.json, or - for
              standard input; each file in a steps/ folder is checked as applied on top of
              the files around it. Default: each folder of dist/ on its own (every lab, and
              the platform, is applied alone); so is each folder of one PATH that
              synth's --out wrote (folders with meshlab's README.md, no files)
  --json      print the result as JSON
  --codes     list every finding code with what it means
  --help, -h  this text
  --version   meshlab's version

Reads at most ${LIMITS.fileBytes / 1024 / 1024} MiB per file and ${LIMITS.totalBytes / 1024 / 1024} MiB in all, ${LIMITS.files} files, ${LIMITS.documentValues.toLocaleString('en')} values
per document with YAML aliases expanded, ${LIMITS.depth} levels of nesting; more is refused.

Checks any Kubernetes and Istio YAML offline: schemas, references between objects and Istio's
silent failures. One line per finding: code, severity, object, file:line, field, message.
Exit code: 0 no errors (warnings allowed), 1 errors, 2 bad usage.`;

interface CheckArgs {
  /** Sets of paths, each checked on its own. */
  readonly sets: ReadonlyArray<readonly string[]>;
  readonly json: boolean;
  readonly codes: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

const CHECK_SWITCHES = ['--json', '--codes', '--help', '-h', '--version'];

function parseCheckArgs(argv: readonly string[]): CheckArgs {
  const switches = new Set<string>();
  const paths: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-') && arg !== '-') {
      if (!CHECK_SWITCHES.includes(arg)) throw new UsageError(`unknown flag ${arg} ${allowedNames(arg, 'flags', CHECK_SWITCHES)}`);
      switches.add(arg);
    } else {
      paths.push(arg);
    }
  }
  return {
    sets: paths.length === 1 && isOutputRoot(paths[0]) ? outputFolders(paths[0]) : paths.length > 0 ? [paths] : outputFolders('dist'),
    json: switches.has('--json'),
    codes: switches.has('--codes'),
    help: switches.has('--help') || switches.has('-h'),
    version: switches.has('--version'),
  };
}

/**
 * The analyzer reads each object in the shape its schema gives. Should an object of another
 * shape (a string where a list belongs) trip it, the objects with schema errors are checked
 * for their schema only and the others fully, so no input ends in a stack trace.
 */
function analyzeAnyShape(objects: readonly Located[]): Finding[] {
  try {
    return analyze(objects);
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    const malformed = new Set(objects.filter((o) => validateSchema(o.manifest).some((p) => !p.unchecked)));
    if (malformed.size === 0) throw e;
    const schemaOnly = [...malformed].flatMap((o) => validateSchema(o.manifest).map((p): Finding => (
      { code: 'IST0106', severity: CODES.IST0106.severity, object: objectName(o.manifest), field: p.field, message: p.message, file: o.file, line: o.line })));
    return [...schemaOnly, ...analyze(objects.filter((o) => !malformed.has(o)))];
  }
}

const count = (findings: readonly Finding[], severity: string) => findings.filter((f) => f.severity === severity).length;

/**
 * `npm run check`: reads the manifests under the paths, checks them, prints the findings.
 * Returns the exit code: 0 no errors, 1 errors, 2 bad usage.
 */
export function runCheck(argv: readonly string[], io: Io): number {
  return runCommand(io, 'meshlab check', () => {
    const args = parseCheckArgs(argv);
    if (args.help) {
      io.out(CHECK_USAGE);
      return 0;
    }
    if (args.version) {
      io.out(`meshlab ${VERSION}`);
      return 0;
    }
    if (args.codes) {
      for (const [code, { severity, title }] of Object.entries(CODES)) io.out(`${code} ${severity.padEnd(7)} ${title}`);
      return 0;
    }
    let files = 0;
    let objects = 0;
    const findings: Finding[] = [];
    for (const set of args.sets) {
      const loaded = loadManifests(set);
      files += loaded.files;
      objects += loaded.objects.length;
      findings.push(...[...loaded.findings, ...analyzeAnyShape(loaded.objects)]
        .sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0)));
    }
    const errors = count(findings, 'error');
    const warnings = count(findings, 'warning');
    if (args.json) {
      io.out(JSON.stringify({ files, objects, errors, warnings, findings }, null, 2));
    } else {
      for (const f of findings) io.out(formatFinding(f));
      const each = args.sets.length > 1 ? ` (${args.sets.length} folders, each on its own)` : '';
      io.out(`meshlab check: ${objects} objects in ${files} files${each}: ${errors} error(s), ${warnings} warning(s)`);
    }
    return errors > 0 ? 1 : 0;
  });
}

/**
 * Whether `p` is a folder as synth's --out writes one: no manifest of its own, and folders
 * (a lab's in each flavour, the platform) that each hold the README.md meshlab generated.
 */
function isOutputRoot(p: string): boolean {
  if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) return false;
  const entries = fs.readdirSync(p, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const folders = entries.filter((e) => e.isDirectory());
  const generated = (folder: string) => {
    const readme = path.join(p, folder, 'README.md');
    return fs.existsSync(readme) && fs.readFileSync(readme, 'utf8').includes('Generated by meshlab');
  };
  return folders.length > 0 && !entries.some((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name)) && folders.every((e) => generated(e.name));
}

/**
 * What `npm run check` reads with no PATH: each folder `npm run synth` wrote into `out`, on its
 * own, since each lab (and the platform) is applied alone; checked together, the labs'
 * Gateways on the one ingress gateway conflict (IST0145). A missing `out` is left to the loader
 * to report.
 */
function outputFolders(out: string): string[][] {
  const folders = fs.existsSync(out) && fs.statSync(out).isDirectory()
    ? fs.readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => path.join(out, e.name)).sort()
    : [];
  return folders.length > 0 ? folders.map((f) => [f]) : [[out]];
}
