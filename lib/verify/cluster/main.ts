import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { Io, runLongCommand } from '../../cli/io';
import { UsageError } from '../../cli/flags';
import { allowedNames } from '../../suggest';
import { Flavour } from '../../mesh/flavour';
import { Fields, fields, isFields, items } from '../../validate/read';
import type { Manifest } from '../../validate/manifest';
import { DIALS_A_POD, LocalCluster } from './cluster';
import { readGuide, shellLines, shellWords } from './guide';
import { OutOfClusterIstiod } from './istiod';
import { ensureIstioTools, outputToJudge } from '../istioctl';
import { gatewayApiCrdDir } from '../gateway-api';
import { STATUS_RESOURCES, StatusObject, hasCurrentStatus, judgeStatus } from './conditions';
import { ensureClusterTools, istioModuleDir } from './tools';

export const VERIFY_CLUSTER_USAGE = `usage: npm run verify:cluster -- [--dist DIR] [--lab FOLDER]... [--keep]

Builds Kubernetes, etcd, kwok and istiod once (Go, cached under ~/.cache/meshlab/), starts them on
loopback, follows the platform guide and every lab's guide in every flavour, and reports.

  --dist DIR      judge this output folder (default: a fresh npm run synth)
  --lab FOLDER    only this folder of the output, like tutorial-ambient (repeatable)
  --keep          keep the cluster's folder (logs, kubeconfig) and print where it is
  --help          this text`;

interface VerifyClusterArgs {
  readonly dist?: string;
  readonly labs: readonly string[];
  readonly keep: boolean;
  readonly help: boolean;
}

const VALUE_FLAGS = ['--dist', '--lab'];
const SWITCHES = ['--keep', '--help'];

function parseArgs(argv: readonly string[]): VerifyClusterArgs {
  const labs: string[] = [];
  let dist: string | undefined;
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (VALUE_FLAGS.includes(arg)) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--dist') dist = value;
      else labs.push(value);
    } else if (SWITCHES.includes(arg)) {
      switches.add(arg);
    } else {
      throw new UsageError(`unknown argument ${arg} ${allowedNames(arg, 'flags', [...VALUE_FLAGS, ...SWITCHES])}`);
    }
  }
  return { dist, labs, keep: switches.has('--keep'), help: switches.has('--help') };
}

/** A command or a wait longer than this is named on stderr, so a slow run shows where its time goes. */
const SLOW_MS = 5_000;

/** What the run found; the summary line is made from it. */
export interface ClusterReport {
  applied: number;
  rejected: string[];
  leftByReverts: string[];
  routes: { accepted: number; total: number; problems: string[] };
  gateways: { programmed: number; total: number; problems: string[] };
  policies: { bound: number; total: number; problems: string[] };
  pods: { running: number; total: number; problems: string[] };
  istiodErrors: string[];
}

export const emptyReport = (): ClusterReport => ({
  applied: 0,
  rejected: [],
  leftByReverts: [],
  routes: { accepted: 0, total: 0, problems: [] },
  gateways: { programmed: 0, total: 0, problems: [] },
  policies: { bound: 0, total: 0, problems: [] },
  pods: { running: 0, total: 0, problems: [] },
  istiodErrors: [],
});

/** The last line of a run, in the words; it passes when every count is whole. */
export function summaryLine(r: ClusterReport): string {
  return `verify:cluster: ${r.applied} objects applied, ${r.rejected.length} rejected, ${r.leftByReverts.length} left by reverts; `
    + `routes accepted ${r.routes.accepted}/${r.routes.total}; gateways programmed ${r.gateways.programmed}/${r.gateways.total}; `
    + `policies bound ${r.policies.bound}/${r.policies.total}; pods running ${r.pods.running}/${r.pods.total}`;
}

export function passed(r: ClusterReport): boolean {
  return r.rejected.length === 0 && r.leftByReverts.length === 0 && r.routes.accepted === r.routes.total
    && r.gateways.programmed === r.gateways.total && r.policies.bound === r.policies.total && r.pods.running === r.pods.total
    && r.istiodErrors.length === 0;
}

/** The objects of YAML files (a folder's `*.yaml`, not its subfolders, as `kubectl apply -f DIR` reads it). */
export function objectsOf(paths: readonly string[]): Manifest[] {
  const files = paths.flatMap((p) => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => path.join(p, f)) : [p]));
  return files.flatMap((f) => loadAll(fs.readFileSync(f, 'utf8')) as Manifest[]).filter((m) => m && typeof m === 'object' && m.kind);
}

/** The namespaces objects are in, or are. */
const namespacesOf = (objects: readonly Manifest[]) =>
  [...new Set(objects.map((m) => (m.kind === 'Namespace' ? m.metadata.name : m.metadata.namespace)).filter((n): n is string => Boolean(n)))];

/**
 * The objects of a `kubectl get -o json` list. The API server wrote them, so each has the
 * metadata every object has; what else is read of them is narrowed where it is read.
 */
const listed = (stdout: string): Array<Fields & { readonly metadata: { readonly name: string; readonly namespace?: string } }> =>
  items(fields(JSON.parse(stdout)).items).filter(isFields).map((item) => ({ ...item, metadata: { ...fields(item.metadata), name: String(fields(item.metadata).name ?? '') } }));

const key = (m: { kind: string; metadata: { name: string; namespace?: string } }) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/** Annotations the API server or kubectl write themselves, which differ between two applies of the same object. */
const MANAGED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** An object as its author wrote it: what a revert must put back (no status, no server-set metadata). */
function authored(m: Fields): string {
  const { status: _status, metadata, ...rest } = m;
  const annotations = Object.fromEntries(Object.entries(fields(fields(metadata).annotations)).filter(([k]) => !MANAGED_ANNOTATIONS.includes(k)));
  return JSON.stringify({ ...rest, labels: fields(metadata).labels ?? {}, annotations });
}

/**
 * Runs verify:cluster: builds and starts the cluster, follows the guides, prints what it found
 * and the summary line. Resolves to the exit code (1 unless every count is whole).
 */
async function verifyCluster(args: VerifyClusterArgs, io: Io): Promise<number> {
  const root = path.resolve(__dirname, '..');
  const tools = ensureClusterTools(io.err, root);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-cluster-'));
  const cluster = new LocalCluster(tools, path.join(scratch, 'cluster'));
  fs.mkdirSync(cluster.dir);
  const report = emptyReport();
  const began = Date.now();
  try {
    const dist = outputToJudge(root, scratch, args.dist);
    const folders = fs.readdirSync(dist).filter((f) => fs.existsSync(path.join(dist, f, 'README.md')) && f !== 'platform').sort();
    for (const l of args.labs) if (!folders.includes(l)) throw new UsageError(`--lab ${l} is no folder of ${args.dist ?? 'the output'} ${allowedNames(l, 'folders', folders)}`);
    await cluster.start(io.err);
    io.out(`cluster up in ${Math.round((Date.now() - began) / 1000)} s (Kubernetes on loopback, one kwok Node)`);
    const istioctl = ensureIstioTools(io.err, root).istioctl;
    const istiod = new OutOfClusterIstiod(cluster, istioctl, tools.pilotDiscovery);
    const run = new GuideRun(cluster, dist, path.join(scratch, 'work'), report, io, istiod, istioctl);
    await run.platform();
    const chosen = byInstall(args.labs.length > 0 ? args.labs : folders);
    for (const folder of chosen) await run.lab(folder);
    const namespaces = namespacesOf(chosen.flatMap((f) => objectsOf([path.join(dist, f)])));
    report.istiodErrors.push(...istiodErrors(fs.readFileSync(cluster.logOf('istiod'), 'utf8'), namespaces));
    for (const line of [...report.rejected.map((r) => `rejected: ${r}`), ...report.leftByReverts.map((r) => `left by a revert: ${r}`),
      ...report.routes.problems, ...report.gateways.problems, ...report.policies.problems, ...report.pods.problems, ...report.istiodErrors.map((e) => `istiod: ${e}`)]) {
      io.out(`  ${line}`);
    }
    io.out(`(${Math.round((Date.now() - began) / 1000)} s)`);
    io.out(summaryLine(report));
    return passed(report) ? 0 : 1;
  } finally {
    if (args.keep) io.err(`the cluster's folder is kept: ${cluster.dir}`);
    await cluster.stop(args.keep);
    if (!args.keep) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Follows guides on the cluster, one lab folder at a time (the flavours of a lab share its namespace). */
class GuideRun {
  public constructor(
    private readonly cluster: LocalCluster,
    private readonly dist: string,
    private readonly work: string,
    private readonly report: ClusterReport,
    private readonly io: Io,
    private readonly istiod: OutOfClusterIstiod,
    private readonly istioctl: string,
  ) {
    fs.mkdirSync(work, { recursive: true });
  }

  /** The install a lab's guide asks for: its own `istioctl install -f` line, else the tutorials' (the platform's IstioOperator). */
  private installOf(start: readonly string[][]): string {
    const line = start.find((w) => w[0] === 'istioctl' && w[1] === 'install');
    const file = line?.[line.indexOf('-f') + 1];
    return this.files(file ?? 'dist/platform/istioctl/istio-operator.yaml')[0];
  }

  /** One lab folder: its Start, then every step and its revert, then the lab removed. */
  public async lab(folder: string): Promise<void> {
    const started = Date.now();
    const guide = readGuide(fs.readFileSync(path.join(this.dist, folder, 'README.md'), 'utf8'));
    const base = objectsOf([path.join(this.dist, folder)]);
    const namespaces = namespacesOf(base);
    const before = this.report.rejected.length;
    await this.install(this.installOf(guide.start));
    for (const words of guide.start) await this.command(folder, 'start', words);
    this.pods(folder, namespaces);
    await this.judge(folder, 'lab', namespaces);
    for (const step of guide.steps) {
      const stepFile = path.join(this.dist, folder, 'steps', `${step.name}.yaml`);
      const keys = new Set([...base, ...(fs.existsSync(stepFile) ? objectsOf([stepFile]) : [])].map(key));
      const state = this.state(keys);
      for (const words of step.apply) await this.command(folder, step.name, words);
      await this.judge(folder, step.name, namespaces);
      for (const words of step.revert) await this.command(folder, `${step.name} revert`, words);
      this.compare(folder, step.name, state, this.state(keys));
    }
    const removed = this.kubectl(['delete', '-f', path.join(this.dist, folder), '--wait=true', '--timeout=120s', '--ignore-not-found']);
    // The README says so: removing a lab in `default` leaves that namespace, which Kubernetes keeps.
    const refused = removed.stderr.split('\n').filter((l) => l.trim() !== '' && !/namespaces "default" is forbidden: this namespace may not be deleted/.test(l));
    if (refused.length > 0) this.report.rejected.push(`${folder} remove: ${refused.join(' ')}`);
    this.io.out(`${this.report.rejected.length === before ? 'ok  ' : 'FAIL'} ${folder}: Start, ${guide.steps.length} steps and their reverts (${Math.round((Date.now() - started) / 1000)} s)`);
  }

  /**
   * Runs one line of a guide as a learner would, where it changes or waits on the cluster: a
   * list of commands joined by `||` and `&&`, output redirections dropped. Pipelines, command
   * substitutions and every other program are read, not run (the guide tests check them).
   */
  private async command(folder: string, where: string, words: readonly string[]): Promise<void> {
    if (words.some((w) => ['|', ';', '<'].includes(w) || w.includes('$('))) return;
    const list: Array<{ join: string; words: string[] }> = [{ join: '', words: [] }];
    for (let i = 0; i < words.length; i++) {
      if (words[i] === '&&' || words[i] === '||') list.push({ join: words[i], words: [] });
      else if (['>', '>>', '&>', '2>'].includes(words[i])) i++;
      else list[list.length - 1].words.push(words[i]);
    }
    let ok = true;
    for (const c of list) {
      if (c.words.length === 0 || (c.join !== '' && (c.join === '&&') !== ok)) continue;
      const began = Date.now();
      ok = await this.simple(folder, where, c.words);
      const took = Date.now() - began;
      if (took > SLOW_MS) this.io.err(`  slow (${Math.round(took / 1000)} s): ${folder} ${where}: ${c.words.join(' ')}`);
    }
  }

  /** `istioctl install -f FILE`: the out-of-cluster istiod, installed as FILE renders it. */
  private async install(file: string): Promise<void> {
    this.report.applied += await this.istiod.install(file, this.io.err);
  }

  /** One command of a guide line; whether it succeeded (a command read, not run, counts as success). */
  private async simple(folder: string, where: string, words: readonly string[]): Promise<boolean> {
    if (words[0] === 'openssl') return this.openssl(words);
    if (words[0] === 'istioctl' && words[1] === 'install') {
      await this.install(this.files(words[words.indexOf('-f') + 1])[0]);
      return true;
    }
    if (words[0] === 'istioctl' && words[1] === 'waypoint') return this.waypointCommand(folder, where, words);
    if (words[0] !== 'kubectl') return true;
    const verb = words.slice(1).find((w, i, rest) => !w.startsWith('-') && !['-n', '--namespace', '-l'].includes(rest[i - 1] ?? ''));
    if (verb === undefined || DIALS_A_POD.includes(verb)) return true;
    if (verb === 'get') return this.kubectl(words.slice(1)).status === 0;
    if (verb === 'wait') {
      // Deployments and Pods: kwok makes them available. Gateways are judged by their conditions instead.
      if (words.some((w) => /^(gateway|gtw)\//.test(w) || w === 'gateway')) return true;
      const r = this.kubectl(words.slice(1));
      if (r.status !== 0) this.report.pods.problems.push(`${folder} ${where}: ${words.join(' ')}: ${r.stderr.trim()}`);
      return r.status === 0;
    }
    if (!['apply', 'delete', 'create', 'label', 'annotate', 'patch', 'scale'].includes(verb)) return true;
    const args = words.slice(1).flatMap((w, i, all) => (all[i - 1] === '-f' ? this.files(w) : [w]).flatMap((f, j) => (j > 0 ? ['-f', f] : [f])));
    const files = verb === 'apply' || verb === 'create' ? args.filter((w, i) => args[i - 1] === '-f' && fs.existsSync(w)) : [];
    // The API server judges the apply with strict field validation: an unknown or repeated field
    // is an error, not a warning. (A dry run before it cannot judge a fresh lab: it creates none
    // of the ServiceAccounts and namespaces the lab's Pods need.)
    const r = this.kubectl(files.length > 0 && !args.includes('--validate=strict') ? [...args, '--validate=strict'] : args);
    if (r.status === 0 && files.length > 0) {
      this.report.applied += objectsOf(files).length;
      // A lab's first apply is also judged as a server-side apply, the other way to apply it.
      if (where === 'start' && !args.includes('--server-side')) {
        const ssa = this.kubectl([...args, '--server-side', '--force-conflicts', '--dry-run=server', '--validate=strict']);
        if (ssa.status !== 0) this.report.rejected.push(`${folder} ${where}: kubectl ${words.slice(1).join(' ')} --server-side (dry run): ${ssa.stderr.trim()}`);
      }
    }
    if (r.status !== 0) this.report.rejected.push(`${folder} ${where}: kubectl ${words.slice(1).join(' ')}: ${r.stderr.trim()}`);
    return r.status === 0;
  }

  /**
   * `istioctl waypoint list` or `status`, run as written against the cluster (istioctl only reads
   * the API server's Gateways: istioctl/pkg/waypoint/waypoint.go). Status waits, as it does for a
   * learner, until istiod has written the waypoint's Programmed condition; each must name it.
   */
  private waypointCommand(folder: string, where: string, words: readonly string[]): boolean {
    const r = spawnSync(this.istioctl, ['--kubeconfig', this.cluster.kubeconfig, ...words.slice(1)], { encoding: 'utf8', timeout: 120_000 });
    const ns = words[words.indexOf('-n') + 1];
    const shows = words[2] === 'status' ? /\bTrue\s+Programmed\b/ : /\bwaypoint\b.*\bTrue\b/;
    if (r.status === 0 && shows.test(r.stdout)) return true;
    this.report.rejected.push(`${folder} ${where}: ${words.join(' ')} (namespace ${ns}): ${(r.stderr || r.stdout || String(r.error ?? 'no output')).trim()}`);
    return false;
  }

  /**
   * The files a `-f` names: a path the guide gives from the repository root (`dist/<lab>/...`)
   * in the output judged, a Gateway API release's CRDs from the sigs.k8s.io/gateway-api module
   * (the same files as the release's install YAML), and the learner's own files in the work folder.
   */
  private files(word: string): string[] {
    const release = /^https:\/\/github\.com\/kubernetes-sigs\/gateway-api\/releases\/download\/(v[\d.]+)\/(standard|experimental)-install\.yaml$/.exec(word);
    if (release) {
      const dir = path.join(path.dirname(gatewayApiCrdDir(release[1])), release[2]);
      return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort().map((f) => path.join(dir, f));
    }
    if (/^dist\//.test(word)) return [path.join(this.dist, word.slice('dist/'.length))];
    // An Istio release's addons: the same files of the istio module the judge is built from.
    const addons = /^istio-[\d.]+\/samples\/addons\/?$/.exec(word);
    if (addons) {
      const dir = path.join(istioModuleDir(), 'samples', 'addons');
      return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));
    }
    if (!path.isAbsolute(word) && fs.existsSync(path.join(this.work, word))) return [path.join(this.work, word)];
    return [word];
  }

  /** The certificate a guide makes with openssl (local, no network), in the work folder where later commands find it. */
  private openssl(words: readonly string[]): boolean {
    const r = spawnSync('openssl', words.slice(1), { cwd: this.work, encoding: 'utf8' });
    return r.status === 0;
  }

  /**
   * The platform, as far as a cluster without a data plane allows: Istio's CRDs (from the
   * istio module, the files `istioctl install` applies) and its namespace. The Gateway API CRDs
   * come with the guides that install them.
   */
  public async platform(): Promise<void> {
    const crds = path.join(istioModuleDir(), 'manifests', 'charts', 'base', 'files', 'crd-all.gen.yaml');
    const r = this.kubectl(['apply', '--server-side', '-f', crds]);
    if (r.status !== 0) this.report.rejected.push(`platform: Istio's CRDs: ${r.stderr.trim()}`);
    this.report.applied += objectsOf([crds]).length;
    const guide = fs.readFileSync(path.join(this.dist, 'platform', 'README.md'), 'utf8');
    for (const words of shellLines(guide).map(shellWords)) await this.command('platform', 'install', words);
    this.io.out(`${this.report.rejected.length === 0 ? 'ok  ' : 'FAIL'} platform: Istio's CRDs and its install, as dist/platform/README.md says`);
  }

  /** kubectl as the learner runs it, in the work folder where the files they made are (a certificate). */
  private kubectl(args: readonly string[], input?: string) {
    return this.cluster.kubectl(args, input, this.work);
  }

  /** The objects of `keys` on the cluster now, as their authors wrote them. */
  private state(keys: ReadonlySet<string>): Map<string, string> {
    const kinds = [...new Set([...keys].map((k) => k.split('/')[0]))];
    const out = new Map<string, string>();
    for (const kind of kinds) {
      const r = this.cluster.kubectl(['get', kindResource(kind), '-A', '-o', 'json']);
      if (r.status !== 0) continue;
      for (const item of listed(r.stdout)) {
        const k = key({ kind, metadata: item.metadata });
        if (keys.has(k)) out.set(k, authored(item));
      }
    }
    return out;
  }

  /** What a revert left different from the state before its step. */
  private compare(folder: string, step: string, before: Map<string, string>, after: Map<string, string>): void {
    for (const [k, v] of after) {
      if (!before.has(k)) this.report.leftByReverts.push(`${folder} ${step}: ${k} is still there`);
      else if (before.get(k) !== v) this.report.leftByReverts.push(`${folder} ${step}: ${k} differs from before the step`);
    }
    for (const k of before.keys()) if (!after.has(k)) this.report.leftByReverts.push(`${folder} ${step}: ${k} is gone`);
  }

  /**
   * What istiod said of the lab's Gateway API objects and ambient policies in this state, once it
   * has written status for their current generation (or 30 s have passed): each route's parents
   * Accepted and ResolvedRefs, each Gateway (ingress and waypoint) Programmed, each
   * AuthorizationPolicy of an ambient namespace bound (conditions.ts).
   */
  private async judge(folder: string, where: string, namespaces: readonly string[]): Promise<void> {
    const ambient = new Set(namespaces.filter((ns) => {
      const r = this.kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.labels.istio\\.io/dataplane-mode}']);
      return r.stdout.trim() === 'ambient';
    }));
    let objects: StatusObject[] = [];
    let waypoints = new Set<string>();
    const began = Date.now();
    const observed = await this.cluster.waitFor(() => {
      // A load balancer address given now is read by istiod after this look: look again.
      if (this.loadBalance(namespaces)) return false;
      objects = namespaces.flatMap((ns) => this.statusObjects(ns));
      waypoints = new Set(objects.filter((o) => o.kind === 'Gateway' && fields(o.spec).gatewayClassName === 'istio-waypoint').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
      // Settled: every status is of the current generation and says the object passed. One that
      // fails is looked at again until the time is up, since istiod may still be catching up
      // (a Gateway whose Service has yet to get a step's new port says "port 443 not found").
      return objects.every((o) => hasCurrentStatus(o, ambient.has(o.metadata.namespace), waypoints)
        && (judgeStatus(o, ambient.has(o.metadata.namespace), waypoints)?.problems.length ?? 0) === 0);
    }, 30_000);
    const at = `${folder} ${where}`;
    if (Date.now() - began > SLOW_MS) {
      const waiting = objects.filter((o) => !hasCurrentStatus(o, ambient.has(o.metadata.namespace), waypoints)).map((o) => `${o.kind} ${o.metadata.name}`);
      this.io.err(`  slow (${Math.round((Date.now() - began) / 1000)} s): ${at}: status of ${waiting.join(', ') || 'everything, at last'}`);
    }
    for (const o of objects) {
      const name = `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
      const judged = judgeStatus(o, ambient.has(o.metadata.namespace), waypoints);
      if (judged === undefined) continue;
      const tally = judged.kind === 'route' ? this.report.routes : judged.kind === 'gateway' ? this.report.gateways : this.report.policies;
      tally.total++;
      if (judged.problems.length === 0) {
        if (judged.kind === 'route') this.report.routes.accepted++;
        else if (judged.kind === 'gateway') this.report.gateways.programmed++;
        else this.report.policies.bound++;
      } else {
        tally.problems.push(`${at}: ${name}: ${judged.problems.join('; ')}${observed || hasCurrentStatus(o, ambient.has(o.metadata.namespace), waypoints) ? '' : ' (no status for its current generation after 30 s)'}`);
      }
    }
  }

  /**
   * What a cloud's load balancer controller does (cloud-provider-kind, `minikube tunnel`): an
   * address in the status of every LoadBalancer Service that has none, from TEST-NET-1
   * (192.0.2.0/24, RFC 5737), which nothing routes and nothing here dials. istiod then programs
   * the Gateway with it, as on a cluster with a load balancer (the guides' case a).
   */
  private loadBalance(namespaces: readonly string[]): boolean {
    let given = false;
    for (const ns of namespaces) {
      const r = this.kubectl(['-n', ns, 'get', 'services', '-o', 'json']);
      if (r.status !== 0) continue;
      for (const svc of listed(r.stdout)) {
        if (fields(svc.spec).type !== 'LoadBalancer' || items(fields(fields(svc.status).loadBalancer).ingress).length > 0) continue;
        const ip = `192.0.2.${++this.addresses}`;
        this.kubectl(['-n', ns, 'patch', 'service', svc.metadata.name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip }] } } })]);
        given = true;
      }
    }
    return given;
  }

  private addresses = 0;

  /** The objects of a namespace that istiod writes status on. */
  private statusObjects(ns: string): StatusObject[] {
    // One resource at a time: a kind whose CRD is not installed (TCPRoute in the standard channel) is skipped.
    return STATUS_RESOURCES.flatMap((resource) => {
      const r = this.kubectl(['-n', ns, 'get', resource, '-o', 'json']);
      return r.status === 0 ? (JSON.parse(r.stdout).items as StatusObject[]) : [];
    });
  }

  /** Counts the lab's Pods and those Running and Ready. */
  private pods(folder: string, namespaces: readonly string[]): void {
    for (const ns of namespaces) {
      const r = this.cluster.kubectl(['-n', ns, 'get', 'pods', '-o', 'json']);
      if (r.status !== 0) continue;
      for (const pod of listed(r.stdout)) {
        this.report.pods.total++;
        const status = fields(pod.status);
        const ready = items(status.conditions).map(fields).some((c) => c.type === 'Ready' && c.status === 'True');
        if (status.phase === 'Running' && ready) this.report.pods.running++;
        else this.report.pods.problems.push(`${folder}: Pod ${ns}/${pod.metadata.name} is ${String(status.phase ?? 'unknown')}${ready ? '' : ', not Ready'}`);
      }
    }
  }
}

/** The resource kubectl names a kind by: with its group where two APIs share a kind (Gateway), or both groups when no version is given. */
function kindResource(kind: string, apiVersion?: string): string {
  if (kind !== 'Gateway') return kind.toLowerCase();
  if (apiVersion === undefined) return 'gateways.networking.istio.io,gateways.gateway.networking.k8s.io';
  return `gateways.${apiVersion.split('/')[0]}`;
}

/** `npm run verify:cluster`. Resolves to the exit code. */
export function runVerifyCluster(argv: readonly string[], io: Io): Promise<number> {
  return runLongCommand(io, 'meshlab verify:cluster', VERIFY_CLUSTER_USAGE, () => parseArgs(argv), (args) => verifyCluster(args, io));
}

/** Folders in the order that installs Istio least often: the classic ones, then the Gateway API ones, then ambient. */
export function byInstall(folders: readonly string[]): string[] {
  const rank = (folder: string) => Flavour.ALL.reduce((r, f, i) => (f.suffix !== '' && folder.endsWith(f.suffix) ? i : r), 0);
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * Races istiod retries, not faults of the objects: an object deleted under it (a lab removed, a
 * step's revert) is "not found", and so is a namespace "being terminated"; one changed under it,
 * "the object has been modified".
 */
const RETRIED = / not found\b|NotFound|the object has been modified|because it is being terminated/;

/**
 * The errors istiod logged about the labs' objects (its `error` lines that name one of their
 * namespaces), each once, without their time stamps. Errors about istiod's own start (a watch
 * that failed while CRDs were being installed) name no lab.
 */
export function istiodErrors(log: string, namespaces: readonly string[]): string[] {
  // `ns/name`, a host `name.ns.svc`, or `namespace ns`: how istiod names an object.
  const ofLab = (l: string) => namespaces.some((ns) => new RegExp(`(^|[^\\w.-])${ns}/|\\.${ns}\\.svc\\b|namespace[ =:"]+${ns}\\b`).test(l));
  // An entry may span lines (an object's last-applied annotation ends in a newline): each starts with its time.
  const entries = log.split(/\n(?=\d{4}-\d\d-\d\dT)/).map((e) => e.replace(/\n/g, ' ').trim());
  // A CRD istiod will not read (pkg/config/schema/gatewayapi/minimumversions.go) drops a kind of the labs whatever the level it is logged at.
  const lines = entries.filter((l) => (/\terror\t/.test(l) && ofLab(l) && !RETRIED.test(l)) || /below minimum version/.test(l)).map((l) => l.replace(/^\S+\t/, ''));
  return [...new Set(lines)];
}
