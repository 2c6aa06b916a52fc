import { validateSchema } from '../../imports/schema';
import { qualifyHost, selects, sidecarInjected } from '../istio/resolve';
import { isIstioPortName } from '../mesh/protocol';
import { CODES, Code } from './codes';
import { deprecatedFields, removedKind } from './deprecated';
import { CLUSTER_SCOPED, Finding, Manifest, objectKey, objectName } from './manifest';

/** A manifest and where it comes from. */
export interface Located {
  readonly manifest: Manifest;
  readonly file?: string;
  /** Line of the object's YAML document in `file`. */
  readonly line?: number;
}

/**
 * Ports a Gateway server may name on the demo profile's gateways (Istio 1.17), by the `istio`
 * label of their pods: the Service ports, and the pod ports they forward to (80 -> 8080,
 * 443 -> 8443), which Istio accepts as well (newer samples use 8080).
 */
const GATEWAY_PORTS: Readonly<Record<string, readonly number[]>> = {
  ingressgateway: [80, 443, 31400, 15443, 8080, 8443],
  egressgateway: [80, 443, 15443, 8080, 8443],
};

/**
 * Services the Istio platform brings (demo profile, istio-system) that lab objects may
 * route to, with their ports: they are not in a lab's output but exist on the cluster.
 */
const PLATFORM_SERVICES: Readonly<Record<string, readonly number[]>> = {
  'istio-ingressgateway.istio-system.svc.cluster.local': [15021, 80, 443, 31400, 15443],
  'istio-egressgateway.istio-system.svc.cluster.local': [80, 443],
};

/** ServiceAccounts of the demo profile's gateways, which policies name as callers. */
const PLATFORM_ACCOUNTS = new Set(['istio-system/istio-ingressgateway-service-account', 'istio-system/istio-egressgateway-service-account']);

/** Istio's root namespace: policies there apply to the whole mesh. */
const ROOT_NAMESPACE = 'istio-system';

/** Where kubectl puts an object whose manifest names no namespace (its usual current namespace). */
const DEFAULT_NAMESPACE = 'default';

type Labels = Readonly<Record<string, string>>;

interface Workload {
  readonly located: Located;
  readonly namespace: string;
  /** Path of the pod spec within the object. */
  readonly podPath: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly pod: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const labelList = (labels: Labels) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

/** The namespace an object lands in ('' for cluster-scoped kinds). */
function namespaceOf(m: Manifest): string {
  return CLUSTER_SCOPED.has(m.kind) ? '' : m.metadata?.namespace ?? DEFAULT_NAMESPACE;
}

function asWorkload(located: Located): Workload | undefined {
  const m = located.manifest;
  const namespace = namespaceOf(m);
  if (m.kind === 'Pod') {
    return { located, namespace, podPath: 'spec', labels: m.metadata.labels ?? {}, annotations: m.metadata.annotations ?? {}, pod: m.spec };
  }
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) {
    const template = m.spec?.template;
    return { located, namespace, podPath: 'spec.template.spec', labels: template?.metadata?.labels ?? {}, annotations: template?.metadata?.annotations ?? {}, pod: template?.spec };
  }
  if (m.kind === 'CronJob') {
    const template = m.spec?.jobTemplate?.spec?.template;
    return { located, namespace, podPath: 'spec.jobTemplate.spec.template.spec', labels: template?.metadata?.labels ?? {}, annotations: template?.metadata?.annotations ?? {}, pod: template?.spec };
  }
  return undefined;
}

/** Everything a rule needs to resolve a reference, indexed once. */
class Index {
  public readonly services = new Map<string, Located>();
  public readonly serviceEntryHosts = new Set<string>();
  public readonly serviceAccounts = new Set<string>();
  public readonly gateways = new Map<string, Located>();
  public readonly namespaces = new Map<string, Located>();
  /**
   * True when some namespaced object names its namespace: then one that does not lands
   * apart from the others. (A set where none does is meant for `kubectl apply -n`.)
   */
  public namespaced = false;
  /** Namespaces any object of the input lives in. */
  public readonly usedNamespaces = new Set<string>();
  /** Subset names per host FQDN. */
  public readonly subsets = new Map<string, Set<string>>();
  /** Subset labels per `host subset`. */
  private readonly subsetLabels = new Map<string, Labels>();
  /** Workloads per namespace, then per `app` label (the usual selector key). */
  private readonly workloads = new Map<string, Map<string, Workload[]>>();
  private readonly allWorkloads = new Map<string, Workload[]>();

  public constructor(objects: readonly Located[]) {
    for (const located of objects) {
      const m = located.manifest;
      if (!m?.metadata) continue;
      const ns = namespaceOf(m);
      this.usedNamespaces.add(ns);
      if (m.metadata.namespace && !CLUSTER_SCOPED.has(m.kind)) this.namespaced = true;
      const key = `${ns}/${m.metadata.name}`;
      switch (m.kind) {
        case 'Service': this.services.set(qualifyHost(m.metadata.name, ns), located); break;
        case 'ServiceAccount': this.serviceAccounts.add(key); break;
        case 'Gateway': this.gateways.set(key, located); break;
        case 'Namespace': this.namespaces.set(m.metadata.name, located); break;
        case 'ServiceEntry': for (const h of m.spec?.hosts ?? []) this.serviceEntryHosts.add(h); break;
        case 'DestinationRule': {
          const host = qualifyHost(m.spec?.host ?? '', ns);
          const names = this.subsets.get(host) ?? new Set<string>();
          for (const s of m.spec?.subsets ?? []) {
            names.add(s.name);
            this.subsetLabels.set(`${host} ${s.name}`, s.labels ?? {});
          }
          this.subsets.set(host, names);
          break;
        }
        default: {
          const workload = asWorkload(located);
          if (workload) this.addWorkload(workload);
        }
      }
    }
  }

  private addWorkload(w: Workload): void {
    const byApp = this.workloads.get(w.namespace) ?? new Map<string, Workload[]>();
    this.workloads.set(w.namespace, byApp);
    const app = w.labels.app ?? '';
    byApp.set(app, [...(byApp.get(app) ?? []), w]);
    this.allWorkloads.set(w.namespace, [...(this.allWorkloads.get(w.namespace) ?? []), w]);
  }

  /** Workloads in `namespace` whose pods carry every label of `selector`. */
  public selected(namespace: string, selector: Labels): Workload[] {
    const candidates = selector.app !== undefined
      ? this.workloads.get(namespace)?.get(selector.app) ?? []
      : this.allWorkloads.get(namespace) ?? [];
    return candidates.filter((w) => selects(selector, w.labels));
  }

  /** Workloads in every namespace whose pods carry every label of `selector`. */
  public selectedAnywhere(selector: Labels): Workload[] {
    return [...this.allWorkloads.keys()].flatMap((ns) => this.selected(ns, selector));
  }

  public workloadsIn(namespace: string): readonly Workload[] {
    return this.allWorkloads.get(namespace) ?? [];
  }

  public get hasWorkloads(): boolean {
    return this.allWorkloads.size > 0;
  }

  /**
   * The labels of a subset of `host` (a FQDN) that selects no pod, or undefined when it
   * selects some, or when the input cannot tell (no Service with a selector, no workloads).
   */
  public emptySubset(host: string, subset: string): Labels | undefined {
    const labels = this.subsetLabels.get(`${host} ${subset}`);
    const service = this.services.get(host)?.manifest;
    if (!labels || !service?.spec?.selector) return undefined;
    const ns = namespaceOf(service);
    if (this.workloadsIn(ns).length === 0) return undefined;
    const selector = { ...service.spec.selector, ...labels };
    return this.selected(ns, selector).length === 0 ? selector : undefined;
  }

  /** For `name.namespace` naming a Service: why Istio does not find it, and what to write. */
  public shortNameHint(host: string): string {
    const full = `${host}.svc.cluster.local`;
    return host.split('.').length === 2 && this.services.has(full) ? ` (Istio does not expand ${host} as DNS would: write ${full})` : '';
  }

  /** True when a Service or ServiceEntry answers for `host` as written in an object in `namespace`. */
  public hostExists(host: string, namespace: string): boolean {
    if (this.serviceEntryHosts.has(host)) return true;
    const name = qualifyHost(host, namespace);
    return this.services.has(name) || PLATFORM_SERVICES[name] !== undefined;
  }
}

export interface CheckOptions {
  /**
   * Check only these objects, and every Istio object (which may refer to any other), against
   * the whole set: for a set that differs from an already checked one only in these objects.
   * @default every object
   */
  readonly only?: (located: Located) => boolean;
}

type Report = (code: Code, field: string, message: string) => void;

/**
 * Checks a set of manifests: each against its schema, then the references between them
 * (selectors, ports, hosts, subsets, gateways, service accounts) and the Istio pitfalls
 * that apply cleanly and route wrongly. Returns every finding; an empty list means valid.
 */
export function checkManifests(objects: readonly Located[], options: CheckOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const index = new Index(objects);
  const seen = new Set<string>();
  const routedHosts = new Map<string, string>();

  for (const located of objects) {
    const m = located.manifest;
    if (options.only && !options.only(located) && !m.apiVersion?.includes('istio.io/')) continue;
    const report: Report = (code, field, message) =>
      findings.push({ code, severity: CODES[code].severity, object: objectName(m), field, message, file: located.file, line: located.line });

    const removed = removedKind(m);
    if (removed) {
      report('IST0002', 'kind', removed);
      continue;
    }
    const deprecated = deprecatedFields(m);
    for (const p of validateSchema(m)) {
      // A removed field is also unknown to the schema: saying it is deprecated says more.
      if (!deprecated.some((d) => d.field === p.field)) report(p.unchecked ? 'ML0009' : 'IST0106', p.field, p.message);
    }
    if (!m.metadata?.name) continue;
    const identity = objectKey(m);
    if (seen.has(identity)) report('ML0006', 'metadata.name', 'is defined twice; the second would replace the first');
    seen.add(identity);
    if (!CLUSTER_SCOPED.has(m.kind) && !m.metadata.namespace && index.namespaced) {
      report('ML0007', 'metadata.namespace', `is missing: kubectl puts the object in its current namespace (checked here as ${DEFAULT_NAMESPACE})`);
    }
    for (const d of deprecated) report('IST0002', d.field, d.message);

    switch (m.kind) {
      case 'Namespace': checkNamespace(m, index, report); break;
      case 'Service': checkService(m, index, report); break;
      case 'DestinationRule': checkDestinationRule(m, index, report); break;
      case 'VirtualService': checkVirtualService(m, index, report, routedHosts); break;
      case 'Gateway': checkGateway(m, index, report); break;
      case 'AuthorizationPolicy': checkPolicySelector(m, 'spec.selector.matchLabels', m.spec?.selector?.matchLabels, index, report); checkPrincipals(m, index, report); break;
      case 'PeerAuthentication':
      case 'RequestAuthentication': checkPolicySelector(m, 'spec.selector.matchLabels', m.spec?.selector?.matchLabels, index, report); break;
      case 'Sidecar':
      case 'EnvoyFilter': checkPolicySelector(m, 'spec.workloadSelector.labels', m.spec?.workloadSelector?.labels, index, report); break;
      default: {
        const workload = asWorkload(located);
        if (workload) checkWorkload(workload, index, report);
      }
    }
  }
  return findings;
}

/** Whether Istio injects a sidecar into a workload's pods (namespace label, or the pod's own opt-in/out). */
function isMeshed(w: Workload, index: Index): boolean | undefined {
  const namespace = index.namespaces.get(w.namespace)?.manifest;
  return sidecarInjected(namespace && (namespace.metadata.labels ?? {}), w.labels, w.annotations);
}

function checkNamespace(m: Manifest, index: Index, report: Report): void {
  const labels = m.metadata.labels ?? {};
  if (labels['istio-injection'] !== undefined || labels['istio.io/rev'] !== undefined) return;
  const workloads = index.workloadsIn(m.metadata.name).filter((w) => isMeshed(w, index) !== true);
  if (workloads.length === 0) return;
  report('IST0102', 'metadata.labels', `has ${workloads.length} workload(s) (${workloads.slice(0, 3).map((w) => objectName(w.located.manifest)).join(', ')}${workloads.length > 3 ? ', ...' : ''}) but no injection label, so they run without sidecars: label it istio-injection=enabled, or istio-injection=disabled to say that is intended`);
}

function checkWorkload(w: Workload, index: Index, report: Report): void {
  const m = w.located.manifest;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(m.kind)) {
    const selector: Labels = m.spec?.selector?.matchLabels ?? {};
    if (!selects(selector, w.labels)) {
      report('ML0001', 'spec.selector.matchLabels', `${labelList(selector)} does not match the pod template labels ${labelList(w.labels)}`);
    }
  }
  const account = w.pod?.serviceAccountName ?? w.pod?.serviceAccount;
  if (account && account !== 'default' && !index.serviceAccounts.has(`${w.namespace}/${account}`)) {
    report('IST0101', `${w.podPath}.serviceAccountName`, `names ServiceAccount ${account}, which is not defined in ${w.namespace}`);
  }
  if (isMeshed(w, index)) {
    const labelsPath = w.podPath === 'spec' ? 'metadata.labels' : `${w.podPath.slice(0, -'.spec'.length)}.metadata.labels`;
    for (const label of ['app', 'version']) {
      if (!w.labels[label]) report('ML0008', labelsPath, `a meshed pod without the ${label} label is missing from Istio's metrics and traces`);
    }
  }
}

function checkService(m: Manifest, index: Index, report: Report): void {
  const ns = namespaceOf(m);
  const ports: any[] = m.spec?.ports ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
  ports.forEach((port, i) => {
    if (!port.appProtocol && !(port.name && isIstioPortName(port.name))) {
      report('IST0118', `spec.ports[${i}].name`, `${port.name ?? '(none)'} does not tell Istio the protocol: name it <protocol>[-suffix] (http, http2, grpc, tcp, tls, redis, ...) or set appProtocol`);
    }
  });
  const selector: Labels | undefined = m.spec?.selector;
  // No selector (or an empty one): the endpoints are managed elsewhere, or Istio routes the host.
  if (!selector || Object.keys(selector).length === 0 || m.spec?.type === 'ExternalName') return;
  const selected = index.selected(ns, selector);
  if (selected.length === 0) {
    const elsewhere = index.selectedAnywhere(selector);
    if (elsewhere.length > 0) {
      const where = elsewhere.map((w) => `${objectName(w.located.manifest)} in ${w.namespace}`).join(', ');
      report('ML0002', 'spec.selector', `${labelList(selector)} selects no pod in ${ns}: ${where} would match, but a Service only selects pods of its own namespace`);
    } else if (index.workloadsIn(ns).length > 0) {
      // Services in front of pods the input does not define (the Istio addons) cannot be checked here.
      report('ML0002', 'spec.selector', `${labelList(selector)} selects no pod in ${ns}`);
    }
    return;
  }
  ports.forEach((port, i) => {
    const target = port.targetPort ?? port.port;
    for (const w of selected) {
      const containerPorts = (w.pod?.containers ?? []).flatMap((c: any) => c.ports ?? []); // eslint-disable-line @typescript-eslint/no-explicit-any
      if (!containerPorts.some((p: any) => p.containerPort === target || p.name === target)) { // eslint-disable-line @typescript-eslint/no-explicit-any
        report('ML0003', `spec.ports[${i}].targetPort`, `${target} is not a container port of ${objectName(w.located.manifest)}`);
      }
    }
  });
}

function checkDestinationRule(m: Manifest, index: Index, report: Report): void {
  const ns = namespaceOf(m);
  const host = qualifyHost(m.spec?.host ?? '', ns);
  if (!index.hostExists(m.spec?.host ?? '', ns)) {
    report('IST0101', 'spec.host', `${m.spec?.host} matches no Service or ServiceEntry${index.shortNameHint(m.spec?.host ?? '')}`);
    return;
  }
  (m.spec?.subsets ?? []).forEach((subset: { name: string }, i: number) => {
    const selector = index.emptySubset(host, subset.name);
    if (selector) report('ML0004', `spec.subsets[${i}].labels`, `subset ${subset.name} (${labelList(selector)}) selects no pod`);
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function checkDestination(dest: any, field: string, ns: string, index: Index, report: Report): void {
  const host = qualifyHost(dest?.host ?? '', ns);
  if (!index.hostExists(dest?.host ?? '', ns)) {
    report('IST0101', `${field}.host`, `${dest?.host} matches no Service or ServiceEntry${index.shortNameHint(dest?.host ?? '')}`);
    return;
  }
  if (dest.subset !== undefined && !index.subsets.get(host)?.has(dest.subset)) {
    report('IST0101', `${field}.subset`, `no DestinationRule for ${dest.host} defines subset ${dest.subset}`);
  } else if (dest.subset !== undefined && index.emptySubset(host, dest.subset)) {
    report('ML0012', `${field}.subset`, `subset ${dest.subset} of ${dest.host} selects no pod: these requests fail with 503 (no healthy upstream)`);
  }
  const service = index.services.get(host)?.manifest;
  const port = dest.port?.number;
  const ports: number[] = PLATFORM_SERVICES[host] ? [...PLATFORM_SERVICES[host]] : (service?.spec?.ports ?? []).map((p: any) => p.port);
  if (!PLATFORM_SERVICES[host] && !service) return;
  if (port !== undefined && !ports.includes(port)) {
    report('IST0101', `${field}.port.number`, `${port} is not a port of ${service ? `Service ${dest.host}` : host} (ports: ${ports.join(', ')})`);
  }
  if (port === undefined && ports.length > 1) {
    report('IST0112', `${field}.port`, `is required: ${dest.host} has several ports (${ports.join(', ')})`);
  }
}

/** A match block in a canonical form (sorted keys), so equal matches compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** Why Envoy's RE2 would reject a regular expression, if it would. */
function regexProblem(re: string): string | undefined {
  if (/\(\?<?[=!]/.test(re)) return 'uses a lookaround, which RE2 (Envoy) does not support';
  if (/\\[1-9]/.test(re)) return 'uses a backreference, which RE2 (Envoy) does not support';
  try {
    new RegExp(re);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Every `regex` string match in a route match block, with its field. */
function regexesOf(match: any, field: string): Array<{ field: string; re: string }> {
  const found: Array<{ field: string; re: string }> = [];
  for (const key of ['uri', 'scheme', 'method', 'authority']) {
    if (typeof match?.[key]?.regex === 'string') found.push({ field: `${field}.${key}.regex`, re: match[key].regex });
  }
  for (const key of ['headers', 'queryParams', 'withoutHeaders']) {
    for (const [name, value] of Object.entries(match?.[key] ?? {})) {
      if (typeof (value as any)?.regex === 'string') found.push({ field: `${field}.${key}.${name}.regex`, re: (value as any).regex });
    }
  }
  return found;
}

function checkRoutes(routes: any[], kind: 'http' | 'tcp' | 'tls', ns: string, index: Index, report: Report): void {
  let catchAll: number | undefined;
  const earlier = new Map<string, number>();
  routes.forEach((route, i) => {
    const field = `spec.${kind}[${i}]`;
    const matches: any[] = route.match ?? [];
    if (catchAll !== undefined) {
      report('IST0130', field, `can never match: spec.${kind}[${catchAll}] before it takes every request`);
    } else if (matches.length > 0 && matches.every((mt) => earlier.has(canonical(mt)))) {
      report('IST0130', `${field}.match`, `can never match: spec.${kind}[${earlier.get(canonical(matches[0]))}] before it has the same match`);
    }
    matches.forEach((mt, j) => {
      if (!earlier.has(canonical(mt))) earlier.set(canonical(mt), i);
      for (const { field: reField, re } of regexesOf(mt, `${field}.match[${j}]`)) {
        const problem = regexProblem(re);
        if (problem) report('IST0122', reField, `${re} ${problem}`);
      }
    });
    if (matches.length === 0 || matches.some((mt) => Object.keys(mt).length === 0 || mt.uri?.prefix === '/')) catchAll ??= i;
    const destinations: any[] = route.route ?? [];
    destinations.forEach((d, j) => checkDestination(d.destination, `${field}.route[${j}].destination`, ns, index, report));
    if (destinations.length > 1 || (destinations.length === 1 && destinations[0].weight !== undefined && destinations[0].weight !== 100)) {
      const total = destinations.reduce((sum, d) => sum + (d.weight ?? 0), 0);
      if (total !== 100) report('ML0005', `${field}.route`, `weights must add up to 100, got ${total} (${destinations.map((d) => `${d.destination?.subset ?? d.destination?.host}=${d.weight ?? 0}`).join(', ')})`);
    }
    if (route.mirror) checkDestination(route.mirror, `${field}.mirror`, ns, index, report);
  });
}

/** Whether a Gateway server host (`host`, `ns/host`, `*.example.com`, or any namespace) serves `host`. */
function serves(serverHost: string, host: string, vsNamespace: string): boolean {
  const slash = serverHost.indexOf('/');
  const [namespace, pattern] = slash < 0 ? ['*', serverHost] : [serverHost.slice(0, slash), serverHost.slice(slash + 1)];
  if (namespace !== '*' && namespace !== '.' && namespace !== vsNamespace) return false;
  if (pattern === '*' || host === '*') return true;
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1)) || (host.startsWith('*') && host.endsWith(pattern.slice(1)));
  return pattern === host;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function checkVirtualService(m: Manifest, index: Index, report: Report, routedHosts: Map<string, string>): void {
  const ns = namespaceOf(m);
  const gateways: string[] = m.spec?.gateways?.length ? m.spec.gateways : ['mesh'];
  const hosts: string[] = m.spec?.hosts ?? [];
  const gatewayKey = (g: string) => (g === 'mesh' ? 'mesh' : g.includes('/') ? g : `${ns}/${g}`);
  gateways.forEach((g, i) => {
    if (g === 'mesh') return;
    const gateway = index.gateways.get(gatewayKey(g))?.manifest;
    if (!gateway) {
      report('IST0101', `spec.gateways[${i}]`, `${g} names no Gateway`);
      return;
    }
    const served: string[] = (gateway.spec?.servers ?? []).flatMap((s: { hosts?: string[] }) => s.hosts ?? []);
    const missing = hosts.filter((h) => !served.some((s) => serves(s, h, ns)));
    if (missing.length > 0) report('IST0132', `spec.gateways[${i}]`, `Gateway ${g} serves none of the hosts ${missing.join(', ')} (its hosts: ${served.join(', ') || 'none'})`);
  });
  hosts.forEach((host, i) => {
    const name = qualifyHost(host, ns);
    for (const g of gateways) {
      const key = `${gatewayKey(g)} ${name}`;
      const other = routedHosts.get(key);
      if (other) report('IST0109', `spec.hosts[${i}]`, `${host} on ${g} is also routed by ${other}; Istio merges or drops one of them unpredictably`);
      routedHosts.set(key, objectName(m));
    }
    if (gateways.includes('mesh') && !index.hostExists(host, ns)) {
      report('IST0101', `spec.hosts[${i}]`, `${host} matches no Service or ServiceEntry, so sidecars never use these routes${index.shortNameHint(host)}`);
    }
  });
  checkRoutes(m.spec?.http ?? [], 'http', ns, index, report);
  checkRoutes(m.spec?.tcp ?? [], 'tcp', ns, index, report);
  checkRoutes(m.spec?.tls ?? [], 'tls', ns, index, report);
}

function checkGateway(m: Manifest, index: Index, report: Report): void {
  const selector: Labels = m.spec?.selector ?? {};
  const kind = selector.istio;
  const ports = kind ? GATEWAY_PORTS[kind] : undefined;
  if (!ports) {
    // A gateway deployed with the input (not the demo profile's) is found by its pods.
    if (Object.keys(selector).length > 0 && index.selectedAnywhere(selector).length > 0) return;
    report('IST0101', 'spec.selector', `${labelList(selector) || '(empty)'} selects no gateway: neither one the demo profile installs (istio=ingressgateway, istio=egressgateway) nor a workload in the input`);
    return;
  }
  (m.spec?.servers ?? []).forEach((server: { port?: { number?: number } }, i: number) => {
    const port = server.port?.number;
    if (port === undefined || !ports.includes(port)) {
      report('IST0162', `spec.servers[${i}].port.number`, `${port} is not a port of the ${kind} Service (ports: ${ports.join(', ')})`);
    }
  });
}

/** A workload selector of a policy that selects no pod (only said when the input holds that namespace's workloads). */
function checkPolicySelector(m: Manifest, field: string, selector: Labels | undefined, index: Index, report: Report): void {
  if (!selector || Object.keys(selector).length === 0) return;
  const ns = namespaceOf(m);
  if (ns === ROOT_NAMESPACE) {
    if (index.hasWorkloads && index.selectedAnywhere(selector).length === 0) report('IST0127', field, `${labelList(selector)} matches no workload in any namespace`);
    return;
  }
  if (index.workloadsIn(ns).length > 0 && index.selected(ns, selector).length === 0) {
    report('IST0127', field, `${labelList(selector)} matches no workload in ${ns}, so the policy applies to nothing`);
  }
}

/** Principals `<trust domain>/ns/<ns>/sa/<name>` must name a ServiceAccount of a namespace the input holds. */
function checkPrincipals(m: Manifest, index: Index, report: Report): void {
  (m.spec?.rules ?? []).forEach((rule: { from?: Array<{ source?: { principals?: string[] } }> }, i: number) => {
    (rule.from ?? []).forEach((from, j) => {
      (from.source?.principals ?? []).forEach((principal, k) => {
        const parts = /^[^/]+\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal);
        if (!parts) return;
        const [, ns, account] = parts;
        if (account === 'default' || !index.usedNamespaces.has(ns) || index.serviceAccounts.has(`${ns}/${account}`) || PLATFORM_ACCOUNTS.has(`${ns}/${account}`)) return;
        report('IST0101', `spec.rules[${i}].from[${j}].source.principals[${k}]`, `${principal} names ServiceAccount ${account}, which is not defined in ${ns}, so the rule matches no caller`);
      });
    });
  });
}
