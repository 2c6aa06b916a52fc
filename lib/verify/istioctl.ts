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
 * Istio's master branch (its VERSION file says 1.31). The README says so; change it here alone.
 */
export const ISTIO_MODULE_VERSION = 'v0.0.0-20260827124520-eed52ebb66ad';
const ISTIOCTL_PACKAGE = 'istio.io/istio/istioctl/cmd/istioctl';

/** Where the built istioctl is kept between runs: `$XDG_CACHE_HOME/meshlab/istioctl-<version>/`. */
export function istioctlCachePath(env: NodeJS.ProcessEnv = process.env, version = ISTIO_MODULE_VERSION): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cache, 'meshlab', `istioctl-${version}`, 'istioctl');
}

/**
 * The path of a built istioctl: the cached one, else built now with `go install` (minutes on
 * two cores; Go keeps its module and build caches, so a rebuild is faster). The binary is
 * installed beside its final place and renamed, so an interrupted build leaves no half binary.
 */
export function ensureIstioctl(log: (line: string) => void, version = ISTIO_MODULE_VERSION): string {
  const target = istioctlCachePath(process.env, version);
  if (fs.existsSync(target)) return target;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) throw new MeshlabError('go: not found (verify:istio builds istioctl with Go 1.24 or newer: install Go or put it on PATH)');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), '.build-'));
  log(`building istioctl ${version} with ${go.stdout.trim()} into ${path.dirname(target)} (once; minutes)`);
  const built = spawnSync('go', ['install', `${ISTIOCTL_PACKAGE}@${version}`], {
    env: { ...process.env, GOBIN: staging, GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new MeshlabError(`go install ${ISTIOCTL_PACKAGE}@${version} failed (exit ${built.status}); see its output above`);
  }
  fs.renameSync(path.join(staging, 'istioctl'), target);
  fs.rmSync(staging, { recursive: true, force: true });
  return target;
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

/** One message of `istioctl analyze -o json`. */
export interface AnalyzeMessage extends Reported {
  readonly level: string;
  readonly message: string;
}

/**
 * The arguments of `istioctl analyze` on files without a cluster: every namespace (-A; without
 * it istioctl keeps only the messages of `default`), JSON out, the suppressions.
 */
export function analyzeArgs(paths: readonly string[], suppressions: ReadonlyArray<{ readonly code: string; readonly resource: string }>): string[] {
  return ['analyze', '--use-kube=false', '--all-namespaces', '--output', 'json', ...suppressions.flatMap((s) => ['--suppress', `${s.code}=${s.resource}`]), ...paths];
}

/**
 * The messages of an `istioctl analyze -o json` run. Files istioctl cannot read are an
 * `error` message of code `PARSE` on the object `(files)` carrying its stderr.
 * istio/istio pkg/config/analysis/diag/message.go (Unstructured): code, level, origin, message.
 */
export function parseAnalyze(run: Run): AnalyzeMessage[] {
  const start = run.stdout.indexOf('[');
  let raw: Array<{ code: string; level: string; origin?: string; message: string }> = [];
  if (start >= 0) raw = JSON.parse(run.stdout.slice(start));
  const messages: AnalyzeMessage[] = raw.map((m) => ({ code: m.code, level: m.level.toLowerCase(), object: m.origin ?? '(none)', message: m.message }));
  const problems = run.stderr.split('\n').filter((l) => /error/i.test(l));
  if (problems.length > 0 || (start < 0 && run.status !== 0)) {
    messages.push({ code: 'PARSE', level: 'error', object: '(files)', message: (problems.join(' ') || run.stderr || run.stdout).trim() });
  }
  return messages;
}

/**
 * What `istioctl validate -f FILE...` said beyond "is valid": one entry per line of its
 * warnings and errors. istio/istio istioctl/pkg/validate/validate.go writes everything to
 * stderr, `"<file>" is valid` per clean file, and exits non-zero on an error.
 */
export function parseValidate(run: Run): string[] {
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^".*" is valid$/.test(l));
  if (run.status !== 0 && lines.length === 0) return [`exit ${run.status}`];
  return lines;
}
