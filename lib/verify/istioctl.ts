import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MeshlabError } from '../errors';
import type { Reported } from './agreement';

/**
 * The istio.io/istio module version istioctl is built from. The issue asks for the 1.30.3
 * release, but the Go module proxy this project's machines use refuses it ("This module
 * version is not available", also for the tag's commit) and serves only this snapshot of
 * Istio's master branch (its VERSION file says 1.31). docs/verify.md says so; change it here alone.
 */
export const ISTIO_MODULE_VERSION = 'v0.0.0-20260827124520-eed52ebb66ad';
const ISTIOCTL_PACKAGE = 'istio.io/istio/istioctl/cmd/istioctl';

/** Where the built istioctl is kept between runs: `$XDG_CACHE_HOME/meshlab/istioctl-<version>/istioctl`. */
export function istioctlCachePath(env: NodeJS.ProcessEnv = process.env, version = ISTIO_MODULE_VERSION): string {
  return path.join(meshlabCache(env), `istioctl-${version}`, 'istioctl');
}

/** The two programs verify:istio runs: istioctl, and Istio's analyzers reading every kind from files. */
export interface IstioTools {
  readonly istioctl: string;
  readonly analyzer: string;
}

/** `go version`'s line; a missing Go is one line naming what needs it. */
export function goVersion(what = 'verify:istio builds istioctl'): string {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) throw new MeshlabError(`go: not found (${what} with Go 1.26 or newer: install Go or put it on PATH)`);
  return go.stdout.trim();
}

/** Where meshlab keeps what it builds between runs: `$XDG_CACHE_HOME/meshlab`, else `~/.cache/meshlab`. */
export function meshlabCache(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'meshlab');
}

/** The output to judge: `dist` when given, else a fresh `npm run synth` into `scratch/dist`. */
export function outputToJudge(root: string, scratch: string, dist: string | undefined): string {
  if (dist) return dist;
  const out = path.join(scratch, 'dist');
  const synth = spawnSync(process.execPath, [path.join(root, 'scripts', 'synth.js'), '--out', out], { cwd: root, encoding: 'utf8' });
  if (synth.status !== 0) throw new MeshlabError(`npm run synth failed: ${(synth.stderr || synth.stdout).trim()}`);
  return out;
}

/** Runs the go command, its output passed through; a failure is one line naming what failed. */
export function go(args: readonly string[], cwd: string | undefined, env: NodeJS.ProcessEnv, what: string): void {
  const run = spawnSync('go', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) throw new MeshlabError(`${what} failed (exit ${run.status}); see its output above`);
}

/**
 * The built istioctl and istio-analyze (scripts/istio-analyze), cached; whichever is missing is
 * built now (istioctl with `go install`, minutes on two cores the first time; Go keeps its
 * module and build caches, so istio-analyze, built against the same module, takes seconds
 * more). Each binary is built beside its final place and renamed, so an interrupted build
 * leaves no half binary.
 */
export function ensureIstioTools(log: (line: string) => void, root: string, istioctl?: string, version = ISTIO_MODULE_VERSION): IstioTools {
  const cached = istioctlCachePath(process.env, version);
  const dir = path.dirname(cached);
  const analyzer = path.join(dir, 'istio-analyze');
  const source = fs.readFileSync(path.join(root, 'scripts', 'istio-analyze', 'main.go'), 'utf8');
  // The analyzer is rebuilt when its source changes: the cache keeps a copy of what it was built from.
  const analyzerFresh = builtFrom(analyzer, source);
  const want = { istioctl: istioctl === undefined && !fs.existsSync(cached), analyzer: !analyzerFresh };
  if (!want.istioctl && !want.analyzer) return { istioctl: istioctl ?? cached, analyzer };
  const goIs = goVersion();
  fs.mkdirSync(dir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    if (want.istioctl) {
      log(`building istioctl (istio.io/istio@${version}) with ${goIs} into ${dir} (once; minutes)`);
      go(['install', `${ISTIOCTL_PACKAGE}@${version}`], undefined, { GOBIN: staging }, `go install ${ISTIOCTL_PACKAGE}@${version}`);
      fs.renameSync(path.join(staging, 'istioctl'), cached);
    }
    if (want.analyzer) {
      log(`building istio-analyze (scripts/istio-analyze against istio.io/istio@${version}) into ${dir}`);
      buildIstioProgram(staging, 'istio-analyze', 'main.go', source, version, (out) => ['build', '-buildvcs=false', '-o', out, '.'], analyzer);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { istioctl: istioctl ?? cached, analyzer };
}

/**
 * Builds a one-file Go program of meshlab's against istio.io/istio@`version` (its module made
 * in `staging/<name>`, `go mod tidy`, then `go <args(out)>`) into `binary`, renamed into place
 * once built, with a copy of its source beside it (`<binary>.go`) by which a later run knows it
 * is current.
 */
export function buildIstioProgram(staging: string, name: string, file: string, source: string, version: string, args: (out: string) => string[], binary: string): void {
  const mod = path.join(staging, name);
  fs.mkdirSync(mod);
  fs.writeFileSync(path.join(mod, file), source);
  fs.writeFileSync(path.join(mod, 'go.mod'), `module meshlab.local/${name}\n\ngo 1.26.0\n\nrequire istio.io/istio ${version}\n`);
  go(['mod', 'tidy'], mod, {}, `go mod tidy for ${name}`);
  const out = path.join(staging, `${name}.bin`);
  go(args(out), mod, {}, `go ${args(out)[0]} of ${name}`);
  fs.renameSync(out, binary);
  fs.writeFileSync(`${binary}.go`, source);
}

/** Whether `binary` was built from `source` (the copy buildIstioProgram keeps beside it). */
export function builtFrom(binary: string, source: string): boolean {
  return fs.existsSync(binary) && fs.existsSync(`${binary}.go`) && fs.readFileSync(`${binary}.go`, 'utf8') === source;
}

/** What one istioctl run printed and returned. */
export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs istioctl without a cluster: no kubeconfig is read (`--use-kube=false` and `validate` need none). */
export function runIstioctl(istioctl: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(istioctl, args, { env: { ...process.env, KUBECONFIG: '/dev/null' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? 1, stdout, stderr }));
  });
}

/**
 * Runs istio-analyze once over many case folders, each analyzed on its own (`--each`): per folder,
 * what a run of its own would have printed (the messages' JSON as stdout, the errors reading its
 * files as stderr), for parseAnalyze. Starting the 100 MB program costs more than an analysis.
 */
export async function analyzeEach(
  analyzer: string,
  suppressions: ReadonlyArray<{ readonly code: string; readonly resource: string }>,
  dirs: readonly string[],
): Promise<Map<string, Run>> {
  const run = await runIstioctl(analyzer, [...suppressArgs(suppressions), '--each', ...dirs]);
  return parseAnalyzeEach(run, dirs);
}

/** Reads istio-analyze `--each`'s JSON object; a folder it gave nothing for is a failed run of its own. */
export function parseAnalyzeEach(run: Run, dirs: readonly string[]): Map<string, Run> {
  let results: Record<string, { messages: unknown; errors: string }> = {};
  try {
    results = JSON.parse(run.stdout);
  } catch {
    results = {};
  }
  return new Map(dirs.map((dir) => {
    const r = results[dir];
    return [dir, r ? { status: 0, stdout: JSON.stringify(r.messages ?? []), stderr: r.errors ?? '' } : { status: run.status || 1, stdout: '', stderr: run.stderr || 'istio-analyze gave no result' }];
  }));
}

/** One message of `istioctl analyze -o json`. */
export interface AnalyzeMessage extends Reported {
  readonly level: string;
  readonly message: string;
}

export const suppressArgs = (suppressions: ReadonlyArray<{ readonly code: string; readonly resource: string }>) =>
  suppressions.flatMap((s) => ['--suppress', `${s.code}=${s.resource}`]);

/**
 * The arguments of `istioctl analyze` on files without a cluster: every namespace (-A; without
 * it istioctl keeps only the messages of `default`), JSON out, the suppressions.
 */
export function analyzeArgs(paths: readonly string[], suppressions: ReadonlyArray<{ readonly code: string; readonly resource: string }>): string[] {
  return ['analyze', '--use-kube=false', '--all-namespaces', '--output', 'json', ...suppressArgs(suppressions), ...paths];
}

/**
 * The messages of an `istioctl analyze -o json` run. Files istioctl cannot read are an
 * `error` message of code `PARSE` on the object `(files)` carrying its stderr.
 * istio/istio pkg/config/analysis/diag/message.go (Unstructured): code, level, origin, message.
 */
export function parseAnalyze(run: Run): AnalyzeMessage[] {
  // istioctl may print a notice first (`[1]: failed parsing JSON for built-in type ...`): the
  // JSON is the array that starts a line.
  const start = run.stdout.search(/^\[\s*($|\]|\{)/m);
  let raw: Array<{ code: string; level: string; origin?: string; message: string }> = [];
  if (start >= 0) raw = JSON.parse(run.stdout.slice(start));
  const messages: AnalyzeMessage[] = raw.map((m) => ({ code: m.code, level: m.level.toLowerCase(), object: m.origin ?? '(none)', message: m.message }));
  const notices = run.stdout.slice(0, Math.max(start, 0)).split('\n');
  // Istio logs its own warnings too (`warn validation ... consecutive errors is deprecated`):
  // only a file it could not read, or a failed run, is a problem of its own.
  const problems = [...notices, ...run.stderr.split('\n')].filter((l) => /^Error\(s\) adding files|^error:|error processing|failed parsing/i.test(l.trim()));
  if (problems.length > 0 || (start < 0 && run.status !== 0)) {
    messages.push({ code: 'PARSE', level: 'error', object: '(files)', message: (problems.join(' ') || run.stderr || run.stdout).trim() });
  }
  return messages;
}

/** What `istioctl validate` said beyond "is valid". */
export interface Validated {
  /** Each object warning: `Kind/namespace/name: text`. */
  readonly warnings: string[];
  /** Everything else it printed on failure, line by line. */
  readonly errors: string[];
}

/**
 * Reads `istioctl validate -f FILE...`. istio/istio istioctl/pkg/validate/validate.go writes
 * everything to stderr: `"<file>" is valid` per clean file, `"<file>" has warnings:` followed
 * by `* Kind/namespace/name: text` lines, and on an error `Error: ...`, exiting non-zero.
 */
export function parseValidate(run: Run): Validated {
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^".*" is valid$/.test(l));
  const warnings: string[] = [];
  const errors: string[] = [];
  let inWarnings = false;
  for (const l of lines) {
    if (/^".*" has warnings:/.test(l)) inWarnings = true;
    else if (inWarnings && l.startsWith('* ')) warnings.push(l.slice(2));
    else {
      inWarnings = false;
      errors.push(l);
    }
  }
  if (run.status !== 0 && errors.length === 0) errors.push(`exit ${run.status}`);
  return { warnings, errors };
}

/**
 * What `istioctl manifest generate -f FILE` (the charts rendered without a cluster) reports on
 * one of the platform's IstioOperators: every line it prints to stderr (unknown components or
 * values fail the run; deprecated values are warned about there), and a failure without output.
 * Its stdout is the rendered install.
 */
export function parseManifestGenerate(run: Run): string[] {
  const lines = run.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return run.status !== 0 && lines.length === 0 ? [`exit ${run.status}`] : lines;
}
