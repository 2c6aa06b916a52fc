import { buildLab, unexpressed, unexpressedMessage } from '../app';
import { Cluster, Pod, ROOT_NAMESPACE } from '../explain/cluster';
import { INGRESS, evaluate, firstIngressPath, hasIngressGateway } from '../explain/evaluate';
import { namespaceOf } from '../istio/index';
import { qualifyHost } from '../istio/resolve';
import { loadManifests, shown } from '../validate/load';
import { deletes } from '../validate/deletions';
import { ReportContext, formatJson, formatText } from '../explain/report';
import { HttpRequest } from '../explain/request';
import { LABS, LAB_NAMES } from '../labs';
import { render } from '../output/render';
import { ScenarioSelection } from '../scenarios/engine';
import { Finding, formatFinding, objectKey, specOf } from '../validate/manifest';
import { texts } from '../validate/read';
import { parseSets, selectFlavours } from './args';
import { loadLabFile } from './lab-file';
import { Flavour } from '../mesh/flavour';
import { UsageError, readFlags } from './flags';
import { readConfig } from './config';
import { Io, processIo, runCommand } from './io';
import { VERSION } from './version';
import { allowedNames } from '../suggest';

export const EXPLAIN_USAGE = `usage: npm run explain -- --lab L|--lab-file PATH [--scenario S[,S...]]... [--set S.param=value]... [--config FILE]
                          [--api istio|gateway-api] [--mode sidecar|ambient] [--from NAME] [--to SERVICE] [--path /x] [--method M] [--header name=value]...
                          [--requests N] [--seed K] [--json]
       npm run explain -- PATH... --from WORKLOAD [--to SERVICE] [--path /x] [--method M]
                          [--header name=value]... [--requests N] [--seed K] [--json]

Previews where requests go in a lab and what happens to them, by evaluating the generated
manifests (VirtualServices, DestinationRules, Gateways, Services, Deployments, policies)
offline. It is not Istio: nothing is sent; injected delays take time, but load and the apps' latency
are not modelled.

  PATH                  YAML or JSON files, or folders searched for them, read as npm run check reads
                        them; then WORKLOAD is a Deployment, a Pod or an app label in them (name or
                        namespace/name), or ingress, and SERVICE is the Service it calls (name,
                        name.namespace or host; with ingress, it only filters the report)
  --lab NAME            the lab: ${LAB_NAMES.join(', ')}
  --lab-file PATH       a lab of your own instead: a .ts or .js module whose default export is
                        defineLab({...}) from lib/index.ts (as npm run synth -- --lab-file takes)
  --scenario S[,S...]   switch scenarios on (repeatable); default: the flags file's for the lab
  --set S.param=value   set a parameter of a switched-on scenario (repeatable)
  --config FILE         flags file with each lab's scenarios (default: meshlab.config.json)
  --api API, --mode M   the lab's flavour: istio (default) or gateway-api; sidecar (default) or ambient
  --from NAME           where requests start: ingress (the lab's ingress gateway), a service or a
                        client (default: ingress when the lab has a Gateway, else its first client
                        that calls a service)
  --to SERVICE          show only the hops into this service
  --path /x             request path, with a query string if you like (default from ingress: the
                        first path the gateway's routes name; else /)
  --method M            HTTP method (default: GET)
  --header name=value   a request header (repeatable); the preview forwards it on every hop, as the
                        labs' apps forward user-agent and the tracing headers
  --requests N          how many requests, 1 to 1000000 (default: 1000)
  --seed K              seed of the random draws: weights, percentages, pods (default: 1)
  --json                print the report as JSON
  --help, -h            this text
  --version             meshlab's version

Environment: MESHLAB_CONFIG (the flags file, as for synth).`;

const VALUE_FLAGS = ['--lab', '--lab-file', '--scenario', '--set', '--config', '--api', '--mode', '--from', '--to', '--path', '--method', '--header', '--requests', '--seed'];
const SWITCHES = ['--json', '--help', '-h', '--version'];
const REPEATABLE = ['--scenario', '--set', '--header'];
const MAX_REQUESTS = 1_000_000;

/** The flags of `npm run explain`, checked. */
export interface ExplainOptions {
  readonly help: boolean;
  readonly version: boolean;
  readonly json: boolean;
  readonly lab?: string;
  /** A lab of the user's own (--lab-file), in place of --lab. */
  readonly labFile?: string;
  /** The lab's flavour (`--api`, `--mode`). @default classic */
  readonly flavour: Flavour;
  /** Manifest files or folders (PATH mode, instead of --lab). */
  readonly paths: readonly string[];
  /** Scenarios from the command line; undefined means: the flags file's. */
  readonly scenarios?: ScenarioSelection;
  readonly config: string;
  /** The flags file was named (`--config`, `MESHLAB_CONFIG`), so it must exist. */
  readonly configGiven: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly path?: string;
  readonly method: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly requests: number;
  readonly seed: number;
}

/** Reads the flags (`--flag value` or `--flag=value`); every mistake is a UsageError naming the value. */
export function parseExplainArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ExplainOptions {
  // Words that are not flags or their values are paths to read.
  const paths: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      paths.push(arg);
      continue;
    }
    flags.push(arg);
    if (VALUE_FLAGS.includes(arg) && i + 1 < argv.length) flags.push(argv[++i]);
  }
  const { values, switches } = readFlags(flags, VALUE_FLAGS, SWITCHES);
  for (const [flag, given] of values) {
    if (given.length > 1 && !REPEATABLE.includes(flag)) throw new UsageError(`${flag} given twice (${given[0]}, ${given[1]}); give it once`);
  }
  const single = (flag: string) => values.get(flag)?.[0];

  const lab = single('--lab');
  const labFile = single('--lab-file');
  if (lab !== undefined && !LAB_NAMES.includes(lab)) throw new UsageError(`unknown lab ${lab} ${allowedNames(lab, 'labs', LAB_NAMES)}`);
  if (lab !== undefined && labFile !== undefined) throw new UsageError(`give --lab ${lab} or --lab-file ${labFile}, not both`);
  if (lab !== undefined && paths.length > 0) throw new UsageError(`give --lab ${lab} or files to read (${paths.join(' ')}), not both`);
  if (labFile !== undefined && paths.length > 0) throw new UsageError(`give --lab-file ${labFile} or files to read (${paths.join(' ')}), not both`);
  for (const flag of ['--scenario', '--set', '--config', '--api', '--mode']) {
    if (paths.length > 0 && values.has(flag)) throw new UsageError(`${flag} applies to --lab; files given as PATH are read as they are`);
  }

  const scenarioNames = values.get('--scenario')?.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const sets = values.get('--set');
  if (sets && !scenarioNames) throw new UsageError('--set needs the scenario switched on with --scenario');
  const scenarios = scenarioNames ? { scenarios: [...new Set(scenarioNames)], set: parseSets(sets ?? []) } : undefined;

  const path = single('--path');
  if (path !== undefined && !path.startsWith('/')) throw new UsageError(`--path ${path} must start with / (like /customer or /env?x=1)`);

  const method = single('--method') ?? 'GET';
  if (!/^[A-Za-z]+$/.test(method)) throw new UsageError(`--method ${method} must be an HTTP method in letters, like GET or POST`);

  const headers = new Map<string, string>();
  for (const pair of values.get('--header') ?? []) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim().toLowerCase();
    if (at < 1 || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new UsageError(`--header ${pair} must be name=value, like user-agent=Safari`);
    if (headers.has(name)) throw new UsageError(`--header ${name} given twice; give each header once`);
    headers.set(name, pair.slice(at + 1));
  }

  const requestsText = single('--requests');
  const requests = requestsText === undefined ? 1000 : Number(requestsText);
  if (requestsText !== undefined && (!/^\d+$/.test(requestsText) || requests < 1 || requests > MAX_REQUESTS)) {
    throw new UsageError(`--requests ${requestsText} must be a whole number from 1 to ${MAX_REQUESTS}`);
  }

  const seedText = single('--seed');
  const seed = seedText === undefined ? 1 : Number(seedText);
  if (seedText !== undefined && (!/^-?\d+$/.test(seedText) || !Number.isSafeInteger(seed))) {
    throw new UsageError(`--seed ${seedText} must be a whole number, like 1 or 42`);
  }

  const api = single('--api');
  const mode = single('--mode');
  const flavour = api === undefined && mode === undefined ? Flavour.CLASSIC : selectFlavours(api, mode)[0];

  return {
    help: switches.has('--help') || switches.has('-h'),
    version: switches.has('--version'),
    json: switches.has('--json'),
    lab,
    labFile,
    flavour,
    paths,
    scenarios,
    config: single('--config') ?? env.MESHLAB_CONFIG ?? 'meshlab.config.json',
    configGiven: (single('--config') ?? env.MESHLAB_CONFIG) !== undefined,
    from: single('--from'),
    to: single('--to'),
    path,
    method: method.toUpperCase(),
    headers,
    requests,
    seed,
  };
}

/**
 * `npm run explain`: builds the lab as `npm run synth` would, checks it, and prints where N
 * requests go through its manifests. Returns the exit code: 0 shown, 1 the lab is invalid
 * (its problems printed), 2 bad usage (one line).
 */
export function runExplain(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io = processIo): number {
  return runCommand(io, 'meshlab', () => explainOrThrow(argv, env, io));
}

function explainOrThrow(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io): number {
  const options = parseExplainArgs(argv, env);
  if (options.help) {
    io.out(EXPLAIN_USAGE);
    return 0;
  }
  if (options.version) {
    io.out(`meshlab ${VERSION}`);
    return 0;
  }
  if (options.paths.length > 0) return explainFiles(options, io);
  if (options.lab === undefined && options.labFile === undefined) throw new UsageError(`give --lab (labs: ${LAB_NAMES.join(', ')}), --lab-file or the files to read`);
  const definition = options.labFile === undefined ? LABS.find((l) => l.name === options.lab)! : loadLabFile(options.labFile, LABS);
  const labs = [...LABS.filter((l) => l !== definition), definition];
  const selection = options.scenarios ?? readConfig(options.config, options.configGiven, labs)[definition.name] ?? { scenarios: [] };
  const { flavour } = options;
  const [missing] = unexpressed(definition, selection.scenarios, flavour, selection.set);
  if (missing) throw new UsageError(unexpressedMessage(missing, flavour, flavour.folder(definition.name)));
  const build = buildLab(definition, { flavour }, selection);
  const synthesis = render([build.lab], { files: false });
  if (synthesis.findings.length > 0) {
    for (const f of synthesis.findings) io.err(`meshlab: ${formatFinding(f)}`);
    io.err(`meshlab: ${synthesis.findings.length} problem(s) in lab ${definition.name}; nothing to explain`);
    return 1;
  }
  const manifests = synthesis.objects.map((o) => o.manifest);
  const { lab } = build;

  const callees = new Map<string, readonly string[]>();
  for (const caller of [...lab.services, ...lab.clients]) callees.set(caller.name, caller.callees.map((s) => s.name));
  const callers = [...callees.keys()].filter((name) => callees.get(name)!.length > 0);
  const ingress = hasIngressGateway(manifests);
  const known = [...(ingress ? [INGRESS] : []), ...lab.services.map((s) => s.name), ...lab.clients.map((c) => c.name)];

  let from = options.from;
  if (from === undefined) {
    from = ingress ? INGRESS : lab.clients.find((c) => c.callees.length > 0)?.name;
    if (from === undefined) throw new UsageError(`lab ${lab.name} has no ingress Gateway and no client that calls a service; give --from (callers: ${callers.join(', ') || 'none'})`);
  } else if (!known.includes(from)) {
    const why = from === INGRESS ? `lab ${lab.name} has no ingress Gateway` : `${from} is not a service or client of lab ${lab.name}`;
    throw new UsageError(`unknown --from ${from}: ${why} ${allowedNames(from, 'from', known)}`);
  }
  if (options.to !== undefined && !lab.services.some((s) => s.name === options.to)) {
    // A Service a step adds (tcp-route's proxy without pods), or a host outside the mesh a ServiceEntry registers, is called by whoever the guide calls it from.
    const added = [
      ...manifests.filter((m) => m.kind === 'Service' && m.metadata.namespace === lab.namespace).map((m) => m.metadata.name),
      ...manifests.filter((m) => m.kind === 'ServiceEntry').flatMap((m) => texts(specOf(m).hosts)),
    ];
    const names = [...lab.services.map((s) => s.name), ...added.filter((n) => !lab.services.some((s) => s.name === n))];
    if (!added.includes(options.to)) throw new UsageError(`unknown --to ${options.to}: not a service of lab ${lab.name} ${allowedNames(options.to, 'services', names)}`);
    if (from === INGRESS) throw new UsageError(`--to ${options.to}: the ingress gateway does not route to this Service the step adds; give --from the client that calls it`);
    callees.set(from, [...callees.get(from)!, options.to]);
  }
  if (from !== INGRESS && callees.get(from)!.length === 0) {
    throw new UsageError(`--from ${from} calls no service of lab ${lab.name}, so no request would leave it (callers: ${[...(ingress ? [INGRESS] : []), ...callers].join(', ')})`);
  }

  const request: HttpRequest = {
    method: options.method,
    path: options.path ?? (from === INGRESS ? firstIngressPath(manifests) : undefined) ?? '/',
    headers: options.headers,
  };
  const explanation = evaluate({ manifests, namespace: lab.namespace, callees, from, request, requests: options.requests, seed: options.seed });
  const context: ReportContext = {
    lab: lab.name,
    scenarios: build.applied.map((a) => a.preset.scenario.name),
    set: selection.set ?? {},
    from,
    seed: options.seed,
    request,
    to: options.to,
  };
  io.out(options.json ? formatJson(explanation, context) : formatText(explanation, context));
  return 0;
}

/** One line per file that could not be read as manifests, then exit code 1. */
function unreadable(findings: readonly Finding[], io: Io): number {
  for (const f of findings) io.err(`meshlab: ${formatFinding(f)}`);
  io.err(`meshlab: ${findings.length} document(s) could not be read; nothing to explain`);
  return 1;
}

/**
 * PATH mode: the manifests of any files, read as `npm run check` reads them, and one hop
 * from a workload in them (or the ingress gateway) to a Service.
 */
function explainFiles(options: ExplainOptions, io: Io): number {
  const loaded = loadManifests(options.paths);
  if (loaded.findings.length > 0) return unreadable(loaded.findings, io);
  // A folder's steps/ are alternatives applied one at a time (as npm run check reads them), so only a step given by name is read.
  const given = new Set(options.paths.map(shown));
  const chosen = loaded.objects.filter((o) => !/(^|\/)steps\//.test(o.file ?? '') || given.has(o.file ?? ''));
  // What a step's header deletes first (`# First: kubectl delete ...`, lib/validate/deletions.ts) is gone.
  const deleted = chosen.flatMap((o) => o.deletes ?? []);
  const read = chosen.filter((o) => o.deletes !== undefined || !deleted.some((d) => deletes(d, o.manifest))).map((o) => o.manifest);
  // A later object of the same identity replaces an earlier one, as kubectl apply would.
  const manifests = [...new Map(read.map((m) => [objectKey(m), m])).values()];
  const ingress = hasIngressGateway(manifests);
  const cluster = new Cluster(manifests);
  const from = options.from ?? (ingress ? INGRESS : undefined);
  if (from === undefined) throw new UsageError('give --from WORKLOAD: a Deployment, a Pod or an app label in the files (they hold no ingress Gateway)');
  let namespace: string;
  let fromPods: Pod[] | undefined;
  const callees = new Map<string, readonly string[]>();
  if (from === INGRESS) {
    if (!ingress) throw new UsageError('--from ingress: the files hold no Gateway on the ingress gateway (selector istio: ingressgateway)');
    const to = options.to === undefined ? undefined : cluster.services.get(serviceHost(cluster, options.to, 'default'));
    namespace = to?.namespace ?? cluster.pods.find((p) => p.namespace !== ROOT_NAMESPACE)?.namespace ?? 'default';
  } else {
    fromPods = workloadPods(cluster, from);
    namespace = fromPods[0].namespace;
    if (options.to === undefined) throw new UsageError(`give --to SERVICE: the Service ${from} calls (services: ${serviceNames(cluster)})`);
    const host = serviceHost(cluster, options.to, namespace);
    if (!cluster.services.has(host) && !cluster.isExternal(host, namespace)) throw new UsageError(`unknown --to ${options.to}: no Service or ServiceEntry host in the files ${allowedNames(options.to, 'services', serviceList(cluster))}`);
    callees.set(from, [options.to]);
  }
  const request: HttpRequest = {
    method: options.method,
    path: options.path ?? (from === INGRESS ? firstIngressPath(manifests) : undefined) ?? '/',
    headers: options.headers,
  };
  const explanation = evaluate({ manifests, namespace, callees, from, fromPods, request, requests: options.requests, seed: options.seed });
  const context: ReportContext = { files: options.paths, scenarios: [], from, seed: options.seed, request, to: from === INGRESS ? options.to : undefined };
  io.out(options.json ? formatJson(explanation, context) : formatText(explanation, context));
  return 0;
}

const serviceList = (cluster: Cluster) => [...cluster.services.values()].map((s) => `${s.name}.${s.namespace}`).sort();
const serviceNames = (cluster: Cluster) => serviceList(cluster).join(', ') || 'none';

/** The host `--to` names: a Service by name (in `namespace`), `name.namespace`, or a host as written. */
function serviceHost(cluster: Cluster, to: string, namespace: string): string {
  // `--to` is a name the caller dials: cluster DNS, as the shared index reads it.
  const service = cluster.index.serviceDialed(to, namespace);
  return service ? qualifyHost(service.metadata.name, namespaceOf(service)) : to;
}

/** The pods of `--from`: a Deployment or Pod by name, else an `app` label; `namespace/name` narrows it. */
function workloadPods(cluster: Cluster, from: string): Pod[] {
  const [ns, name] = from.includes('/') ? from.split('/', 2) : [undefined, from];
  const inNs = (p: Pod) => ns === undefined || p.namespace === ns;
  let pods = cluster.pods.filter((p) => inNs(p) && p.workload === name);
  if (pods.length === 0) pods = cluster.pods.filter((p) => inNs(p) && p.labels.app === name);
  if (pods.length === 0) {
    const known = [...[...new Set(cluster.pods.map((p) => `${p.namespace}/${p.workload}`))].sort(), INGRESS];
    throw new UsageError(`unknown --from ${from}: no Deployment, Pod or app label of that name in the files ${allowedNames(from, 'workloads', known)}`);
  }
  const namespaces = [...new Set(pods.map((p) => p.namespace))];
  if (namespaces.length > 1) throw new UsageError(`--from ${from} is in several namespaces (${namespaces.join(', ')}); write namespace/${name}`);
  return pods;
}
