import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump } from 'js-yaml';
import { buildLab, unexpressed } from '../../app';
import { UsageError } from '../../cli/flags';
import { Io, runLongCommand } from '../../cli/io';
import { MeshlabError } from '../../errors';
import { INGRESS, evaluate, firstIngressPath, hasIngressGateway } from '../../explain/evaluate';
import { GatewayApiReading } from '../../istio/gateway-api';
import type { RouteDecision } from '../../explain/tally';
import { LABS } from '../../labs';
import type { LabDefinition } from '../../labs';
import { Flavour } from '../../mesh/flavour';
import { render } from '../../output/render';
import { allowedNames } from '../../suggest';
import type { Manifest } from '../../validate/manifest';
import { ISTIO_MODULE_VERSION, buildIstioProgram, builtFrom, goVersion, meshlabCache } from '../istioctl';
import { SimResult, compareDecision } from './compare';
import { TUTORIAL_FACTS, TutorialFact, readFact, sameValue } from './facts';

export const SIMULATION_USAGE = `usage: npm run verify:simulation -- [--lab NAME]... [--flavour NAME]... [--simulator PATH] [--report FILE]

  --lab NAME        only this lab (repeatable; default every lab)
  --flavour NAME    only this flavour: classic, gateway-api or ambient (repeatable; default every flavour)
  --simulator PATH  use this build of scripts/istio-simulate instead of building it (cached)
  --report FILE     write every hop, its verdict and what each side found as JSON

Builds scripts/istio-simulate against istio.io/istio@${ISTIO_MODULE_VERSION} (go test -c, cached),
previews each lab, flavour and step with npm run explain's own walk, and has Istio's routing
simulation route every call explain routed, through the configuration istiod generates for the
proxy that routes it. Compares the route matched, the clusters and their weights, the timeout, the
retry policy, the fault and the mirrors. Exit code: 0 they agree on every hop the simulation can
judge, 1 a hop differs, 2 bad usage.`;

interface SimulationArgs {
  readonly labs?: readonly string[];
  readonly flavours?: readonly Flavour[];
  readonly simulator?: string;
  readonly report?: string;
  readonly help: boolean;
}

function parseArgs(argv: readonly string[]): SimulationArgs {
  const labs: string[] = [];
  const flavours: Flavour[] = [];
  let simulator: string | undefined;
  let report: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--lab') {
      const name = value();
      if (!LABS.some((l) => l.name === name)) throw new UsageError(`unknown lab ${name} ${allowedNames(name, 'labs', LABS.map((l) => l.name))}`);
      labs.push(name);
    } else if (arg === '--flavour') {
      const name = value();
      const flavour = Flavour.ALL.find((f) => f.name === name);
      if (!flavour) throw new UsageError(`unknown flavour ${name} ${allowedNames(name, 'flavours', Flavour.ALL.map((f) => f.name))}`);
      flavours.push(flavour);
    } else if (arg === '--simulator') {
      simulator = value();
    } else if (arg === '--report') {
      report = value();
    } else if (arg === '--help' || arg === '-h') {
      help = true;
    } else {
      throw new UsageError(`unknown argument ${arg} ${allowedNames(arg, 'flags', ['--lab', '--flavour', '--simulator', '--report', '--help'])}`);
    }
  }
  return { labs: labs.length > 0 ? labs : undefined, flavours: flavours.length > 0 ? flavours : undefined, simulator, report, help };
}

/** One state of a lab the simulation judges: the lab with one step (or none) in one flavour. */
export interface SimulationCase {
  readonly id: string;
  /** Whether the lab runs in ambient mode. */
  readonly ambient: boolean;
  readonly manifests: readonly Manifest[];
  readonly decisions: readonly RouteDecision[];
}

/**
 * Every lab in every flavour, plain and with each step the flavour writes, previewed as
 * `npm run explain --lab L --scenario S --from F` previews it from the ingress gateway (on the
 * lab's first path) and from each client that calls a service: the routing decisions its walks took.
 */
export function simulationCases(labs: readonly LabDefinition[] = LABS, flavours: readonly Flavour[] = Flavour.ALL): SimulationCase[] {
  const cases: SimulationCase[] = [];
  for (const definition of labs) {
    for (const flavour of flavours) {
      const steps = definition.scenarios.map((p) => p.scenario.name).filter((name) => unexpressed(definition, [name], flavour).length === 0);
      for (const step of [undefined, ...steps]) {
        const { lab } = buildLab(definition, { flavour }, { scenarios: step ? [step] : [] });
        const synthesis = render([lab], { files: false });
        if (synthesis.findings.length > 0) throw new MeshlabError(`${definition.name} ${flavour.name} ${step ?? ''}: the lab has problems; run npm run check`);
        const manifests = synthesis.objects.map((o) => o.manifest);
        const callees = new Map([...lab.services, ...lab.clients].map((c) => [c.name, c.callees.map((s) => s.name)] as const));
        // From the ingress gateway, and from each client that calls a service, as the guides observe.
        const starts = [...(hasIngressGateway(manifests) ? [INGRESS] : []), ...lab.clients.filter((c) => c.callees.length > 0).map((c) => c.name)];
        const decisions = starts.flatMap((from) => {
          const request = { method: 'GET', path: (from === INGRESS ? firstIngressPath(manifests) : undefined) ?? '/', headers: new Map<string, string>() };
          return evaluate({ manifests, namespace: lab.namespace, callees, from, request, requests: 100, seed: 1 }).decisions;
        });
        if (decisions.length === 0) continue;
        // A hop two walks take (the same proxy routing the same call) is one hop.
        const unique = [...new Map(decisions.map((d) => [JSON.stringify([d.from, d.to, d.proxy, d.call]), d])).values()];
        cases.push({ id: `${flavour.folder(definition.name)}/${step ?? '(lab)'}`, ambient: !flavour.sidecars, manifests, decisions: unique });
      }
    }
  }
  return cases;
}

/** What the Go program is given: per case its objects, and per proxy the calls to route. */
interface SimulatorInput {
  readonly configs: ReadonlyArray<{
    readonly id: string;
    readonly yaml: string;
    /** Whether istiod runs its ambient index (the ambient flavour). */
    readonly ambient: boolean;
    readonly proxies: ReadonlyArray<{ readonly id: string; readonly router: boolean; readonly waypoint: boolean; readonly ip: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>>; readonly calls: readonly object[] }>;
  }>;
}

/** A hop and what became of it: agreed, differed (with how), or not judged (with why). */
export interface HopVerdict {
  readonly case: string;
  readonly decision: RouteDecision;
  readonly verdict: 'agree' | 'differ' | 'unjudged';
  readonly reasons: readonly string[];
  readonly simulation?: SimResult;
}

/**
 * An HTTPRoute as the API server stores it: the CRD's defaults applied (Gateway API
 * httproute_types.go, `+kubebuilder:default`): a rule without matches matches the prefix `/`, a
 * match without a path too, and header and query matches are Exact. Istio's conversion reads
 * the stored object (conversion.go createURIMatch dereferences the path); the simulation's
 * fake client applies no defaults.
 */
function httpRouteDefaults(m: Manifest): Manifest {
  const prefix = { type: 'PathPrefix', value: '/' };
  type Match = { path?: { type?: string; value?: string }; headers?: Array<{ type?: string }>; queryParams?: Array<{ type?: string }> };
  const spec = m.spec as { rules?: Array<{ matches?: Match[] }> };
  const rules = (spec.rules ?? []).map((r) => ({
    ...r,
    matches: (r.matches && r.matches.length > 0 ? r.matches : [{}]).map((x) => ({
      ...x,
      path: { ...prefix, ...x.path },
      ...(x.headers && { headers: x.headers.map((h) => ({ type: 'Exact', ...h })) }),
      ...(x.queryParams && { queryParams: x.queryParams.map((q) => ({ type: 'Exact', ...q })) }),
    })),
  }));
  return { ...m, spec: { ...spec, rules } };
}

/** The controllers of Istio's GatewayClasses (istiod installs them; the fake cluster has none). */
const GATEWAY_CLASSES: Readonly<Record<string, string>> = { istio: 'istio.io/gateway-controller', 'istio-waypoint': 'istio.io/mesh-controller' };

/**
 * What istiod deploys for a Gateway (deploymentcontroller.go), as the cluster then holds it: a
 * Service, one ready Pod at `ip` with the Gateway's labels, and the EndpointSlice that makes the
 * Pod the Service's endpoint. For class istio the Service is `<name>-istio` with a port per
 * listener port (extractServicePorts), and a gateway proxy takes the Istio Gateways istiod makes
 * of the listeners only through it (push_context.go mergeGateways:
 * internal.istio.io/gateway-service). A waypoint's is named as the Gateway (DisableNameSuffix),
 * with the HBONE port 15008, its pod labelled gateway.istio.io/managed as istiod labels it.
 */
function deployedGateway(gateway: Manifest, ip: string): Manifest[] {
  const namespace = gateway.metadata.namespace ?? 'default';
  const selector = { 'gateway.networking.k8s.io/gateway-name': gateway.metadata.name };
  const spec = gateway.spec as { gatewayClassName?: string; listeners?: Array<{ name: string; port: number }> };
  const waypoint = spec.gatewayClassName === 'istio-waypoint';
  const name = GatewayApiReading.deployedService(gateway) ?? gateway.metadata.name;
  const labels = waypoint ? { ...selector, 'gateway.istio.io/managed': 'istio.io-mesh-controller' } : selector;
  const ports = waypoint
    ? [{ name: 'mesh', port: 15008, protocol: 'TCP', appProtocol: 'hbone' }]
    : [...new Map((spec.listeners ?? []).map((l) => [l.port, { name: l.name, port: l.port, protocol: 'TCP' }])).values()];
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec: { selector, ports } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-0`, namespace, labels },
      spec: { serviceAccountName: name, containers: [{ name: 'istio-proxy', image: 'proxyv2' }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${name}-0`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4', ports,
      endpoints: [{ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', name: `${name}-0`, namespace } }],
    },
  ];
}

/**
 * The objects as the simulation's fake cluster reads them, as the API server would store them:
 * every Service gets a cluster IP (a TCP listener is bound to it), HTTPRoutes their defaults, and
 * what istiod installs and deploys is there too (its GatewayClasses, each Gateway's Service and Pod).
 */
function withClusterIps(manifests: readonly Manifest[]): { yaml: string; ips: Map<string, string>; gatewayIps: Map<string, string> } {
  const ips = new Map<string, string>();
  const gatewayIps = new Map<string, string>();
  const classOf = (m: Manifest) => (m.spec as { gatewayClassName?: string }).gatewayClassName;
  const deployed = manifests.filter((m) => m.kind === 'Gateway' && (classOf(m) === 'istio' || classOf(m) === 'istio-waypoint')).flatMap((g, i) => {
    const ip = `10.244.0.${i + 1}`;
    gatewayIps.set(`${g.metadata.namespace ?? 'default'}/${g.metadata.name}`, ip);
    return deployedGateway(g, ip);
  });
  const classes = Object.entries(GATEWAY_CLASSES).map(([name, controllerName]) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name }, spec: { controllerName } }));
  let n = 0;
  const objects = [...classes, ...manifests, ...deployed].map((m: Manifest): Manifest => {
    if (m.kind === 'HTTPRoute') return httpRouteDefaults(m);
    // A waypoint's address, which istiod writes once its pod is ready (ambient/waypoints.go reads no waypoint without one).
    if (m.kind === 'Gateway' && classOf(m) === 'istio-waypoint') return { ...m, status: { addresses: [{ type: 'Hostname', value: `${m.metadata.name}.${m.metadata.namespace ?? 'default'}.svc.cluster.local` }] } } as Manifest;
    if (m.kind !== 'Service') return m;
    // The API server's defaults for a port: its targetPort is its port, its protocol TCP.
    const spec = (m.spec ?? {}) as { clusterIP?: string; ports?: Array<{ port: number; targetPort?: number | string; protocol?: string }> };
    const ports = spec.ports?.map((p) => ({ ...p, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' }));
    if (spec.clusterIP === 'None') return { ...m, spec: { ...spec, ports } };
    n += 1;
    const ip = spec.clusterIP ?? `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    ips.set(`${m.metadata.name}.${m.metadata.namespace ?? 'default'}`, ip);
    return { ...m, spec: { ...spec, ports, clusterIP: ip } };
  });
  return { yaml: objects.map((o) => dump(o, { noRefs: true, lineWidth: -1 })).join('---\n'), ips, gatewayIps };
}

/** The input of the Go program for `cases`, and where each call's decision is. */
export function simulatorInput(cases: readonly SimulationCase[]): { input: SimulatorInput; calls: Map<string, { case: string; decision: RouteDecision }>; unjudged: HopVerdict[] } {
  const calls = new Map<string, { case: string; decision: RouteDecision }>();
  const unjudged: HopVerdict[] = [];
  const configs = cases.map((c) => {
    const { yaml, ips, gatewayIps } = withClusterIps(c.manifests);
    const proxies = new Map<string, { id: string; router: boolean; waypoint: boolean; ip: string; namespace: string; labels: Readonly<Record<string, string>>; calls: object[] }>();
    for (const d of c.decisions) {
      const key = JSON.stringify(d.proxy);
      let proxy = proxies.get(key);
      if (!proxy) {
        const gatewayName = d.proxy.labels['gateway.networking.k8s.io/gateway-name'];
        const ip = gatewayName === undefined ? '' : gatewayIps.get(`${d.proxy.namespace}/${gatewayName}`) ?? '';
        const waypoint = d.proxy.kind === 'waypoint';
        const labels = waypoint ? { ...d.proxy.labels, 'gateway.istio.io/managed': 'istio.io-mesh-controller' } : d.proxy.labels;
        proxy = { id: `p${proxies.size + 1}`, router: d.proxy.kind === 'gateway', waypoint, ip, namespace: d.proxy.namespace, labels, calls: [] };
        proxies.set(key, proxy);
      }
      const id = `${c.id}#${calls.size + 1}`;
      const name = d.call.host.replace(/:\d+$/, '');
      const service = name.includes('.') ? name.split('.').slice(0, 2).join('.') : `${name}.${d.proxy.namespace}`;
      const address = d.proxy.kind === 'gateway' ? '' : ips.get(service) ?? '';
      // The host a waypoint serves the call for: the Service's, else (a ServiceEntry's) the name itself.
      const fqdn = ips.has(service) ? `${service}.svc.cluster.local` : name;
      proxy.calls.push({ id, address, port: d.call.port, host: d.call.host, fqdn, path: d.call.path, method: d.call.method, headers: d.call.headers, tcp: d.call.tcp });
      calls.set(id, { case: c.id, decision: d });
    }
    return { id: c.id, yaml, ambient: c.ambient, proxies: [...proxies.values()] };
  });
  return { input: { configs }, calls, unjudged };
}

/** Each call's verdict: explain's decision against what the simulation found. */
export function judge(calls: ReadonlyMap<string, { case: string; decision: RouteDecision }>, results: readonly SimResult[]): HopVerdict[] {
  const byCall = new Map(results.map((r) => [r.call, r]));
  return [...calls.entries()].map(([id, { case: c, decision }]) => {
    const r = byCall.get(id);
    if (!r) return { case: c, decision, verdict: 'differ', reasons: ['the simulation gave no result for this call'] };
    if (r.unjudged) return { case: c, decision, verdict: 'unjudged', reasons: [r.unjudged], simulation: r };
    const reasons = compareDecision(decision, r);
    return { case: c, decision, verdict: reasons.length === 0 ? 'agree' : 'differ', reasons, simulation: r };
  });
}

/**
 * The built scripts/istio-simulate, cached beside istioctl (`go test -c` against the same
 * istio.io/istio module: the module and build caches verify:istio filled make it about a minute
 * and a half, four minutes cold); rebuilt when its source changes.
 */
export function ensureSimulator(log: (line: string) => void, root: string, version = ISTIO_MODULE_VERSION): string {
  const dir = path.join(meshlabCache(), `istioctl-${version}`);
  const binary = path.join(dir, 'istio-simulate');
  const source = fs.readFileSync(path.join(root, 'scripts', 'istio-simulate', 'simulate_test.go'), 'utf8');
  if (builtFrom(binary, source)) return binary;
  const goIs = goVersion('verify:simulation builds Istio\'s simulation');
  fs.mkdirSync(dir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    log(`building istio-simulate (scripts/istio-simulate against istio.io/istio@${version}) with ${goIs} into ${dir}`);
    buildIstioProgram(staging, 'istio-simulate', 'simulate_test.go', source, version, (out) => ['test', '-c', '-o', out, '.'], binary);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** Runs the simulator over the input; its results, or one line on why it failed. */
function simulate(simulator: string, input: SimulatorInput, scratch: string): SimResult[] {
  const inFile = path.join(scratch, 'cases.json');
  const outFile = path.join(scratch, 'results.json');
  fs.writeFileSync(inFile, JSON.stringify(input));
  const run = spawnSync(simulator, ['-test.run', '^TestSimulate$', '-test.count=1'], {
    env: { ...process.env, MESHLAB_SIMULATE_IN: inFile, MESHLAB_SIMULATE_OUT: outFile },
    encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0 || !fs.existsSync(outFile)) {
    // The test's own failures (t.Fatal in simulate_test.go, or a fake server's), not istiod's logging.
    const why = (run.stdout + run.stderr).split('\n').filter((l) => /--- FAIL|_test\.go:\d+|^panic:/.test(l)).slice(0, 6).map((l) => l.trim()).join(' | ');
    throw new MeshlabError(`istio-simulate failed (exit ${run.status}): ${why || 'no output'}`);
  }
  return (JSON.parse(fs.readFileSync(outFile, 'utf8')) as { results: SimResult[] }).results;
}

/** A tutorial fact in one flavour, and what Envoy has for it. */
export interface FactVerdict {
  readonly fact: TutorialFact;
  readonly folder: string;
  readonly verdict: 'agree' | 'differ' | 'unread';
  readonly envoy?: TutorialFact['value'];
  readonly why?: string;
}

/**
 * Each tutorial fact, in every flavour whose lab has its step (or those it names), read from the
 * routes the simulation matched on the fact's hop: every proxy that routes the hop must have the
 * value. A fact whose hop the simulation could not judge is unread, with why.
 */
export function readFacts(facts: readonly TutorialFact[], verdicts: readonly HopVerdict[], flavours: readonly Flavour[], labs: readonly LabDefinition[]): FactVerdict[] {
  return facts.flatMap((fact) => {
    const definition = labs.find((l) => l.name === fact.lab);
    if (!definition) return [];
    return flavours.filter((f) => (fact.flavours ?? Flavour.ALL.map((x) => x.name)).includes(f.name) && unexpressed(definition, [fact.step], f).length === 0).map((flavour): FactVerdict => {
      const folder = flavour.folder(fact.lab);
      const hops = verdicts.filter((v) => v.case === `${folder}/${fact.step}` && `${v.decision.from} -> ${v.decision.to}` === fact.hop);
      if (hops.length === 0) return { fact, folder, verdict: 'differ', why: `no hop ${fact.hop} in the step's preview` };
      const unread = hops.find((h) => h.verdict === 'unjudged' || h.simulation === undefined);
      if (unread) return { fact, folder, verdict: 'unread', why: unread.reasons[0] };
      const values = hops.map((h) => readFact(fact.read, h.simulation!));
      const differing = values.find((v) => !sameValue(v, fact.value));
      return differing === undefined && values.length > 0 ? { fact, folder, verdict: 'agree', envoy: values[0] } : { fact, folder, verdict: 'differ', envoy: differing };
    });
  });
}

const hopName = (v: HopVerdict) => `${v.case} ${v.decision.from} -> ${v.decision.to} (${v.decision.proxy.kind} ${v.decision.proxy.namespace} ${Object.entries(v.decision.proxy.labels).map(([k, x]) => `${k}=${x}`).join(',')})`;

/** `npm run verify:simulation`. */
export function runSimulationVerify(argv: readonly string[], io: Io): Promise<number> {
  return runLongCommand(io, 'meshlab verify:simulation', SIMULATION_USAGE, () => parseArgs(argv), async (args) => {
    const root = path.resolve(__dirname, '..');
    const simulator = args.simulator ?? ensureSimulator((l) => io.out(l), root);
    const labs = LABS.filter((l) => args.labs === undefined || args.labs.includes(l.name));
    const cases = simulationCases(labs, args.flavours ?? Flavour.ALL);
    const { input, calls, unjudged } = simulatorInput(cases);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-simulate-'));
    try {
      const verdicts = [...judge(calls, simulate(simulator, input, scratch)), ...unjudged];
      for (const v of verdicts.filter((x) => x.verdict === 'differ')) io.out(`DIFFER ${hopName(v)}: ${v.reasons.join('; ')}`);
      const notJudged = verdicts.filter((x) => x.verdict === 'unjudged');
      const why = new Map<string, number>();
      for (const v of notJudged) why.set(v.reasons[0], (why.get(v.reasons[0]) ?? 0) + 1);
      for (const [reason, count] of why) io.out(`not judged (${count} hop(s)): ${reason}`);
      const facts = readFacts(TUTORIAL_FACTS, verdicts, args.flavours ?? Flavour.ALL, labs);
      for (const f of facts.filter((x) => x.verdict === 'differ')) {
        io.out(`FACT ${f.folder}/${f.fact.step} ${f.fact.hop} ${f.fact.read}: the tutorial ${JSON.stringify(f.fact.value)} (${f.fact.source}), Envoy ${f.why ?? JSON.stringify(f.envoy ?? null)}`);
      }
      const unread = facts.filter((x) => x.verdict === 'unread');
      if (unread.length > 0) io.out(`facts not read (${unread.length}): ${[...new Set(unread.map((f) => f.why))].join('; ')}`);
      if (args.report) fs.writeFileSync(args.report, JSON.stringify({ hops: verdicts, facts }, null, 2));
      const judged = verdicts.filter((x) => x.verdict !== 'unjudged');
      const agreed = judged.filter((x) => x.verdict === 'agree').length;
      const read = facts.filter((x) => x.verdict !== 'unread');
      const held = read.filter((x) => x.verdict === 'agree').length;
      io.out(`verify:simulation: explain agrees with Istio's simulation on ${agreed}/${judged.length} hops; tutorial facts in Envoy ${held}/${read.length}`);
      return agreed === judged.length && held === read.length ? 0 : 1;
    } finally {
      // MESHLAB_SIMULATE_KEEP=1 keeps the simulator's input and output, to run it again by hand.
      if (process.env.MESHLAB_SIMULATE_KEEP) io.err(`verify:simulation: kept ${scratch}`);
      else fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}
