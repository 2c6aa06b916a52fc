import { validateSchema } from '../../imports/schema';
import { isIstioPortName } from '../mesh/protocol';
import { deprecatedFields } from './deprecated';
import { CLUSTER_SCOPED, Finding, Manifest, Severity, objectName } from './manifest';

/** A manifest and the file it comes from. */
export interface Located {
  readonly manifest: Manifest;
  readonly file?: string;
}

/** Ports of the demo profile's gateway Services (Istio 1.17), by the `istio` label of their pods. */
const GATEWAY_PORTS: Readonly<Record<string, readonly number[]>> = {
  ingressgateway: [80, 443, 31400, 15443],
  egressgateway: [80, 443, 15443],
};

/**
 * Services the Istio platform brings (demo profile, istio-system) that lab objects may
 * route to, with their ports: they are not in a lab's output but exist on the cluster.
 */
const PLATFORM_SERVICES: Readonly<Record<string, readonly number[]>> = {
  'istio-ingressgateway.istio-system.svc.cluster.local': [15021, 80, 443, 31400, 15443],
  'istio-egressgateway.istio-system.svc.cluster.local': [80, 443],
};

interface Workload {
  readonly located: Located;
  readonly namespace: string;
  /** Path of the pod spec within the object. */
  readonly podPath: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pod: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type Labels = Readonly<Record<string, string>>;

const selects = (selector: Labels, labels: Labels) => Object.entries(selector).every(([k, v]) => labels[k] === v);

const fqdns = new Map<string, string>();

/** The fully qualified name of a host as written in an object in `namespace`. */
export function fqdn(host: string, namespace: string): string {
  const key = `${host} ${namespace}`;
  let name = fqdns.get(key);
  if (name === undefined) {
    const parts = host.split('.');
    name = host.includes('*') || host.endsWith('.svc.cluster.local') || parts.length > 2 ? host
      : parts.length === 1 ? `${host}.${namespace}.svc.cluster.local` : `${host}.svc.cluster.local`;
    fqdns.set(key, name);
  }
  return name;
}

/** Everything a rule needs to resolve a reference, indexed once. */
class Index {
  public readonly services = new Map<string, Located>();
  public readonly serviceEntryHosts = new Set<string>();
  public readonly serviceAccounts = new Set<string>();
  public readonly gateways = new Map<string, Located>();
  public readonly namespaces = new Map<string, Located>();
  /** Subset names per host FQDN. */
  public readonly subsets = new Map<string, Set<string>>();
  /** Workloads per namespace, then per `app` label (the usual selector key). */
  private readonly workloads = new Map<string, Map<string, Workload[]>>();
  private readonly allWorkloads = new Map<string, Workload[]>();

  public constructor(objects: readonly Located[]) {
    for (const located of objects) {
      const m = located.manifest;
      const ns = m.metadata.namespace ?? '';
      const key = `${ns}/${m.metadata.name}`;
      switch (m.kind) {
        case 'Service': this.services.set(fqdn(m.metadata.name, ns), located); break;
        case 'ServiceAccount': this.serviceAccounts.add(key); break;
        case 'Gateway': this.gateways.set(key, located); break;
        case 'Namespace': this.namespaces.set(m.metadata.name, located); break;
        case 'ServiceEntry': for (const h of m.spec?.hosts ?? []) this.serviceEntryHosts.add(h); break;
        case 'DestinationRule': {
          const host = fqdn(m.spec?.host ?? '', ns);
          const names = this.subsets.get(host) ?? new Set<string>();
          for (const s of m.spec?.subsets ?? []) names.add(s.name);
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

  public workloadsIn(namespace: string): readonly Workload[] {
    return this.allWorkloads.get(namespace) ?? [];
  }

  /** True when a Service or ServiceEntry answers for `host` as written in an object in `namespace`. */
  public hostExists(host: string, namespace: string): boolean {
    if (this.serviceEntryHosts.has(host)) return true;
    const name = fqdn(host, namespace);
    return this.services.has(name) || PLATFORM_SERVICES[name] !== undefined;
  }
}

function asWorkload(located: Located): Workload | undefined {
  const m = located.manifest;
  const ns = m.metadata.namespace ?? '';
  if (m.kind === 'Pod') return { located, namespace: ns, podPath: 'spec', labels: m.metadata.labels ?? {}, pod: m.spec };
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) {
    return { located, namespace: ns, podPath: 'spec.template.spec', labels: m.spec?.template?.metadata?.labels ?? {}, pod: m.spec?.template?.spec };
  }
  return undefined;
}

const labelList = (labels: Labels) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

export interface CheckOptions {
  /**
   * Check only these objects, and every Istio object (which may refer to any other), against
   * the whole set: for a set that differs from an already checked one only in these objects.
   * @default every object
   */
  readonly only?: (located: Located) => boolean;
}

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
    const report = (severity: Severity, field: string, message: string) =>
      findings.push({ severity, object: objectName(m), field, message, file: located.file });
    const ns = m.metadata?.namespace ?? '';

    for (const p of validateSchema(m)) report('error', p.field, p.message);
    if (!m.metadata?.name) continue;
    const identity = `${m.apiVersion}/${m.kind}/${ns}/${m.metadata.name}`;
    if (seen.has(identity)) report('error', 'metadata.name', 'is defined twice; the second would replace the first');
    seen.add(identity);
    if (!CLUSTER_SCOPED.has(m.kind) && !ns) report('error', 'metadata.namespace', 'is missing: the object would land in whatever namespace kubectl defaults to');
    for (const d of deprecatedFields(m)) report('error', d.field, d.message);

    switch (m.kind) {
      case 'Service': checkService(m, index, report); break;
      case 'DestinationRule': checkDestinationRule(m, index, report); break;
      case 'VirtualService': checkVirtualService(m, index, report, routedHosts); break;
      case 'Gateway': checkGateway(m, report); break;
      default: {
        const workload = asWorkload(located);
        if (workload) checkWorkload(workload, index, report);
      }
    }
  }
  return findings;
}

type Report = (severity: Severity, field: string, message: string) => void;

function checkWorkload(w: Workload, index: Index, report: Report): void {
  const m = w.located.manifest;
  if (m.kind === 'Deployment') {
    const selector: Labels = m.spec?.selector?.matchLabels ?? {};
    if (!selects(selector, w.labels)) {
      report('error', 'spec.selector.matchLabels', `${labelList(selector)} does not match the pod template labels ${labelList(w.labels)}`);
    }
  }
  const account = w.pod?.serviceAccountName;
  if (account && account !== 'default' && !index.serviceAccounts.has(`${w.namespace}/${account}`)) {
    report('error', `${w.podPath}.serviceAccountName`, `names ServiceAccount ${account}, which is not defined in ${w.namespace}`);
  }
  const namespace = index.namespaces.get(w.namespace)?.manifest;
  if (namespace && namespace.metadata.labels?.['istio-injection'] === 'enabled') {
    for (const label of ['app', 'version']) {
      if (!w.labels[label]) report('warning', `${w.podPath === 'spec' ? 'metadata' : 'spec.template.metadata'}.labels`, `a meshed pod without the ${label} label is missing from Istio's metrics and traces`);
    }
  }
}

function checkService(m: Manifest, index: Index, report: Report): void {
  const ns = m.metadata.namespace ?? '';
  const ports: any[] = m.spec?.ports ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
  ports.forEach((port, i) => {
    if (!port.appProtocol && !(port.name && isIstioPortName(port.name))) {
      report('warning', `spec.ports[${i}].name`, `${port.name ?? '(none)'} does not tell Istio the protocol: name it <protocol>[-suffix] (http, http2, grpc, tcp, tls, redis, ...) or set appProtocol`);
    }
  });
  const selector: Labels | undefined = m.spec?.selector;
  // No selector (or an empty one): the endpoints are managed elsewhere, or Istio routes the host.
  if (!selector || Object.keys(selector).length === 0 || m.spec?.type === 'ExternalName') return;
  const selected = index.selected(ns, selector);
  if (selected.length === 0) {
    // Services in front of pods this output does not define (the Istio addons) cannot be checked here.
    if (index.workloadsIn(ns).length > 0) report('error', 'spec.selector', `${labelList(selector)} selects no pod in ${ns}`);
    return;
  }
  ports.forEach((port, i) => {
    const target = port.targetPort ?? port.port;
    for (const w of selected) {
      const containerPorts = (w.pod?.containers ?? []).flatMap((c: any) => c.ports ?? []); // eslint-disable-line @typescript-eslint/no-explicit-any
      if (!containerPorts.some((p: any) => p.containerPort === target || p.name === target)) { // eslint-disable-line @typescript-eslint/no-explicit-any
        report('error', `spec.ports[${i}].targetPort`, `${target} is not a container port of ${objectName(w.located.manifest)}`);
      }
    }
  });
}

function checkDestinationRule(m: Manifest, index: Index, report: Report): void {
  const ns = m.metadata.namespace ?? '';
  const host = fqdn(m.spec?.host ?? '', ns);
  if (!index.hostExists(m.spec?.host ?? '', ns)) {
    report('error', 'spec.host', `${m.spec?.host} matches no Service or ServiceEntry`);
    return;
  }
  const service = index.services.get(host)?.manifest;
  if (!service) return;
  const serviceNs = service.metadata.namespace ?? '';
  (m.spec?.subsets ?? []).forEach((subset: { name: string; labels?: Labels }, i: number) => {
    const selector = { ...service.spec?.selector, ...subset.labels };
    if (index.selected(serviceNs, selector).length === 0) {
      report('error', `spec.subsets[${i}].labels`, `subset ${subset.name} (${labelList(selector)}) selects no pod`);
    }
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function checkDestination(dest: any, field: string, ns: string, index: Index, report: Report): void {
  const host = fqdn(dest?.host ?? '', ns);
  if (!index.hostExists(dest?.host ?? '', ns)) {
    report('error', `${field}.host`, `${dest?.host} matches no Service or ServiceEntry`);
    return;
  }
  if (dest.subset !== undefined && !index.subsets.get(host)?.has(dest.subset)) {
    report('error', `${field}.subset`, `no DestinationRule for ${dest.host} defines subset ${dest.subset}`);
  }
  const service = index.services.get(host)?.manifest;
  const port = dest.port?.number;
  const platformPorts = PLATFORM_SERVICES[host];
  if (platformPorts && port !== undefined && !platformPorts.includes(port)) {
    report('error', `${field}.port.number`, `${port} is not a port of ${host} (ports: ${platformPorts.join(', ')})`);
  }
  if (service && port !== undefined && !(service.spec?.ports ?? []).some((p: any) => p.port === port)) {
    report('error', `${field}.port.number`, `${port} is not a port of Service ${dest.host} (ports: ${(service.spec?.ports ?? []).map((p: any) => p.port).join(', ')})`);
  }
}

function checkRoutes(routes: any[], kind: 'http' | 'tcp', ns: string, index: Index, report: Report): void {
  let catchAll: number | undefined;
  routes.forEach((route, i) => {
    const field = `spec.${kind}[${i}]`;
    if (catchAll !== undefined) report('error', field, `can never match: spec.${kind}[${catchAll}] before it takes every request`);
    const matches: any[] = route.match ?? [];
    if (matches.length === 0 || matches.some((mt) => Object.keys(mt).length === 0 || mt.uri?.prefix === '/')) catchAll ??= i;
    const destinations: any[] = route.route ?? [];
    destinations.forEach((d, j) => checkDestination(d.destination, `${field}.route[${j}].destination`, ns, index, report));
    if (destinations.length > 1) {
      const total = destinations.reduce((sum, d) => sum + (d.weight ?? 0), 0);
      if (total !== 100) report('error', `${field}.route`, `weights must add up to 100, got ${total} (${destinations.map((d) => `${d.destination?.subset ?? d.destination?.host}=${d.weight ?? 0}`).join(', ')})`);
    }
    if (route.mirror) checkDestination(route.mirror, `${field}.mirror`, ns, index, report);
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function checkVirtualService(m: Manifest, index: Index, report: Report, routedHosts: Map<string, string>): void {
  const ns = m.metadata.namespace ?? '';
  const gateways: string[] = m.spec?.gateways?.length ? m.spec.gateways : ['mesh'];
  gateways.forEach((g, i) => {
    if (g === 'mesh') return;
    const key = g.includes('/') ? g : `${ns}/${g}`;
    if (!index.gateways.has(key)) report('error', `spec.gateways[${i}]`, `${g} names no Gateway`);
  });
  (m.spec?.hosts ?? []).forEach((host: string, i: number) => {
    const name = fqdn(host, ns);
    for (const g of gateways) {
      const key = `${g === 'mesh' ? 'mesh' : g.includes('/') ? g : `${ns}/${g}`} ${name}`;
      const other = routedHosts.get(key);
      if (other) report('error', `spec.hosts[${i}]`, `${host} on ${g} is also routed by ${other}; Istio merges or drops one of them unpredictably`);
      routedHosts.set(key, objectName(m));
    }
    if (gateways.includes('mesh') && !index.hostExists(host, ns)) {
      report('error', `spec.hosts[${i}]`, `${host} matches no Service or ServiceEntry, so sidecars never use these routes`);
    }
  });
  checkRoutes(m.spec?.http ?? [], 'http', ns, index, report);
  checkRoutes(m.spec?.tcp ?? [], 'tcp', ns, index, report);
}

function checkGateway(m: Manifest, report: Report): void {
  const kind = m.spec?.selector?.istio as string | undefined;
  const ports = kind ? GATEWAY_PORTS[kind] : undefined;
  if (!ports) {
    report('error', 'spec.selector', `selects no gateway the demo profile installs (istio=ingressgateway or istio=egressgateway)`);
    return;
  }
  (m.spec?.servers ?? []).forEach((server: { port?: { number?: number } }, i: number) => {
    const port = server.port?.number;
    if (port === undefined || !ports.includes(port)) {
      report('error', `spec.servers[${i}].port.number`, `${port} is not a port of the ${kind} Service (ports: ${ports.join(', ')})`);
    }
  });
}
