import type {
  DestinationRuleSpec, GatewaySpec, HTTPMatchRequest, HTTPRoute, ServiceEntrySpec, TrafficPolicy, VirtualServiceSpec,
} from '../../imports/istio';
import { GatewayApiReading, isIstioGateway, usesGatewaySemantics } from '../istio/gateway-api';
import { MeshIndex, gatewayKey, namespaceOf, qualifyHost, resolveGatewayRef, selects } from '../istio/index';
import type { CallGraph } from '../document';
import { Manifest, specOf } from '../validate/manifest';
import { fields, items, num, text } from '../validate/read';
import { service } from '../validate/views';

/** The kinds the picture is drawn from; a change to any other kind leaves it as it is. */
export const DRAWN_KINDS: ReadonlySet<string> = new Set(['Service', 'Deployment', 'Pod', 'DestinationRule', 'VirtualService', 'Gateway', 'ServiceEntry', 'HTTPRoute', 'TCPRoute']);

/** Mermaid's entity codes for what would end or change a quoted label (and `#`, which starts a code). */
const ENTITIES: Readonly<Record<string, string>> = {
  '"': '#quot;', '#': '#35;', '|': '#124;', '<': '#60;', '>': '#62;', '[': '#91;', ']': '#93;',
  '(': '#40;', ')': '#41;', '{': '#123;', '}': '#125;', '`': '#96;', ';': '#59;', '&': '#38;',
};

/** Text for inside a double-quoted Mermaid label: one line, every special character as an entity code. */
export function mermaidText(text: string): string {
  const line = /\s\s|[^\S ]|^ | $/.test(text) ? text.replace(/\s+/g, ' ').trim() : text;
  return SPECIAL.test(line) ? line.replace(SPECIALS, (c) => ENTITIES[c]) : line;
}
const SPECIAL = /["#|<>[\](){}`;&]/;
const SPECIALS = /["#|<>[\](){}`;&]/g;

/** A label of several lines, each escaped. */
const label = (lines: readonly string[]) => lines.filter((l) => l !== '').map(mermaidText).join('<br/>');

/** Node ids: `[A-Za-z0-9_]` only, unique (a clash gets a counter), each with a prefix naming its kind. */
class Ids {
  private readonly taken = new Set<string>();

  public take(prefix: string, name: string): string {
    const base = `${prefix}_${/^[A-Za-z0-9_]*$/.test(name) ? name : name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let n = 2; this.taken.has(id); n++) id = `${base}_${n}`;
    this.taken.add(id);
    return id;
  }
}

/** One version of a host: the workloads its Service selects that share a `version` label. */
interface Version {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  replicas: number;
  readonly policy: string[];
}

/** What a route or a call can name: a Service, an external (ServiceEntry) host, or a name no manifest defines. */
interface Host {
  readonly id: string;
  /** The subgraph of a Service and its versions (only Services have one). */
  readonly group: string;
  readonly display: string;
  readonly kind: 'service' | 'external' | 'other';
  readonly ports: string[];
  readonly versions: Version[];
  readonly policy: string[];
  /** What routes from an external host to itself add (the egress timeout on httpbin.org). */
  readonly notes: string[];
  /** Redirects answered for this host (a node each). */
  readonly answers: Array<{ readonly id: string; readonly text: string }>;
  subsets: NonNullable<DestinationRuleSpec['subsets']>;
  /** True when a VirtualService routes the mesh's requests for this host. */
  routed: boolean;
  /** How requests without a weight spread over the versions: the load balancer's name. */
  spread: string;
}

interface Gateway {
  readonly id: string;
  readonly text: string;
  /** The Service of the gateway pods in the demo profile (`istio-egressgateway`), which routes name to reach it. */
  readonly serviceName: string | undefined;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly style: 'route' | 'mirror' | 'call';
  readonly text: string;
}

type RouteMatch = HTTPMatchRequest & { readonly port?: number; readonly sniHosts?: string[]; readonly gateways?: string[] };

const SHAPES = {
  service: (id: string, text: string) => `${id}["${text}"]`,
  version: (id: string, text: string) => `${id}("${text}")`,
  gateway: (id: string, text: string) => `${id}{{"${text}"}}`,
  client: (id: string, text: string) => `${id}(["${text}"])`,
  external: (id: string, text: string) => `${id}[/"${text}"/]`,
  answer: (id: string, text: string) => `${id}>"${text}"]`,
} as const;

const ARROWS: Readonly<Record<Edge['style'], string>> = { route: '-->', mirror: '-.->', call: '==>' };

/** Istio's percentage, which means all requests when it is left out. */
const percent = (p: { value?: number } | undefined) => `${p?.value ?? 100}%`;
/** Prefix of the key of a host no Service or ServiceEntry defines, so that `web.shop` as written never meets Service web of shop (`web.shop`). */
const UNRESOLVED = '?';
const lower = (s: string) => s.toLowerCase().replace(/_/g, ' ');

/** A string match in a few characters: `= v`, `prefix v`, `~ regex`. */
function describeString(s: { exact?: string; prefix?: string; regex?: string } | undefined): [string, string] | undefined {
  if (s?.exact !== undefined) return ['=', s.exact];
  if (s?.prefix !== undefined) return ['prefix', s.prefix];
  if (s?.regex !== undefined) return ['~', s.regex];
  return undefined;
}

const byName = <T>(record: Readonly<Record<string, T>> | undefined): Array<[string, T]> =>
  Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** One alternative of a route's match, its conditions ANDed: `prefix /env`, `user-agent ~ .*Safari.*`. */
function describeMatch(m: RouteMatch): string {
  const parts: string[] = [];
  const uri = describeString(m.uri);
  if (uri) parts.push(uri[0] === '=' ? `exact ${uri[1]}` : uri[0] === '~' ? `path ~ ${uri[1]}` : `prefix ${uri[1]}`);
  const named = (name: string, s: { exact?: string; prefix?: string; regex?: string } | undefined) => {
    const d = describeString(s);
    if (d) parts.push(`${name} ${d[0]} ${d[1]}`);
  };
  for (const [name, value] of byName(m.headers)) named(name, value);
  for (const [name] of byName(m.withoutHeaders)) parts.push(`no ${name}`);
  for (const [name, value] of byName(m.queryParams)) named(`?${name}`, value);
  named('method', m.method);
  named('authority', m.authority);
  if (m.port !== undefined) parts.push(`port ${m.port}`);
  if (m.sniHosts?.length) parts.push(`SNI ${m.sniHosts.join(', ')}`);
  if (m.sourceLabels) parts.push(`from ${byName(m.sourceLabels).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (m.sourceNamespace) parts.push(`from namespace ${m.sourceNamespace}`);
  return parts.join(' and ');
}

/** What a route does besides choosing where to go: faults, timeout, retries, rewrite, headers, CORS. */
function routeSettings(r: HTTPRoute): string[] {
  const out: string[] = [];
  const abort = r.fault?.abort as ({ httpStatus?: number; grpcStatus?: string; percentage?: { value?: number } } | undefined);
  if (abort) out.push(`abort ${abort.httpStatus ?? abort.grpcStatus ?? ''} ${percent(abort.percentage)}`);
  const delay = r.fault?.delay as ({ fixedDelay?: string; percentage?: { value?: number } } | undefined);
  if (delay) out.push(`delay ${delay.fixedDelay ?? ''} ${percent(delay.percentage)}`);
  if (r.timeout) out.push(`timeout ${r.timeout}`);
  if (r.retries) out.push(`retries ${r.retries.attempts ?? 0}${r.retries.perTryTimeout ? ` x ${r.retries.perTryTimeout}` : ''}`);
  if (r.rewrite?.uri !== undefined) out.push(`rewrite ${r.rewrite.uri}`);
  if (r.rewrite?.authority !== undefined) out.push(`authority ${r.rewrite.authority}`);
  const request = r.headers?.request;
  for (const [name, value] of byName({ ...request?.set, ...request?.add })) out.push(`header ${name}: ${value}`);
  for (const name of request?.remove ?? []) out.push(`drop header ${name}`);
  const origins = (r.corsPolicy?.allowOrigins ?? []).map((o) => o.exact ?? o.prefix ?? o.regex ?? '');
  if (r.corsPolicy) out.push(`CORS ${origins.join(', ')}`.trim());
  return out;
}

/** A DestinationRule's traffic policy in a few words: load balancer, connection pool, outlier detection. */
function describePolicy(p: TrafficPolicy | undefined): string[] {
  if (!p) return [];
  const out: string[] = [];
  const lb = p.loadBalancer;
  const hash = lb?.consistentHash;
  if (lb?.simple) out.push(`LB ${lower(lb.simple)}`);
  if (hash) {
    const key = hash.httpHeaderName !== undefined ? `header ${hash.httpHeaderName}`
      : hash.httpCookie ? `cookie ${hash.httpCookie.name}`
        : hash.useSourceIp ? 'source IP'
          : hash.httpQueryParameterName !== undefined ? `query ${hash.httpQueryParameterName}` : '';
    out.push(`LB hash ${key}`.trim());
  }
  const tcp = p.connectionPool?.tcp;
  const http = p.connectionPool?.http;
  const pool = [
    tcp?.maxConnections !== undefined ? `${tcp.maxConnections} conn` : '',
    tcp?.connectTimeout !== undefined ? `connect ${tcp.connectTimeout}` : '',
    http?.http1MaxPendingRequests !== undefined ? `${http.http1MaxPendingRequests} pending` : '',
    http?.http2MaxRequests !== undefined ? `${http.http2MaxRequests} requests` : '',
    http?.maxRequestsPerConnection !== undefined ? `${http.maxRequestsPerConnection} per conn` : '',
    http?.maxRetries !== undefined ? `${http.maxRetries} retries` : '',
  ].filter((s) => s !== '');
  if (pool.length > 0) out.push(`pool ${pool.join(', ')}`);
  const o = p.outlierDetection;
  if (o) {
    const errors = o.consecutive5xxErrors !== undefined ? `${o.consecutive5xxErrors} 5xx`
      : o.consecutiveGatewayErrors !== undefined ? `${o.consecutiveGatewayErrors} gateway errors` : 'errors';
    const details = [o.interval ? `every ${o.interval}` : '', o.maxEjectionPercent !== undefined ? `max ${o.maxEjectionPercent}%` : ''].filter((d) => d !== '');
    out.push(`eject after ${errors} in a row${o.baseEjectionTime ? ` for ${o.baseEjectionTime}` : ''}${details.length > 0 ? ` (${details.join(', ')})` : ''}`);
  }
  if (p.tls?.mode) out.push(`TLS ${p.tls.mode}`);
  for (const port of p.portLevelSettings ?? []) {
    const lines = describePolicy({ ...port, portLevelSettings: undefined } as TrafficPolicy);
    if (lines.length > 0) out.push(`port ${port.port?.number}: ${lines.join(', ')}`);
  }
  return out;
}

/**
 * The traffic of a lab as a Mermaid `flowchart LR`, from its manifests (what `kubectl apply`
 * would apply) and its call graph: ingress and egress gateways with their routes; each
 * Service as a node grouped with its versions (Deployments and Pods by their `version`
 * label); routing edges labelled with matches, weights, faults, timeouts, retries and
 * rewrites; dashed mirror edges; thick edges for the calls the code makes; ServiceEntry
 * hosts outside the mesh; the DestinationRules' policies on their hosts and versions.
 * Linear in the objects and deterministic: the same manifests give the same text.
 * @see https://istio.io/latest/docs/concepts/traffic-management/
 */
export function trafficDiagram(manifests: readonly Manifest[], graph: CallGraph): string {
  const byKind = new Map<string, Manifest[]>();
  for (const m of manifests) {
    const list = byKind.get(m.kind);
    if (list) list.push(m);
    else byKind.set(m.kind, [m]);
  }
  const ofKind = (kind: string) => byKind.get(kind) ?? [];
  const index = new MeshIndex(manifests);
  const picture = new Picture(graph, index);
  picture.addServices(ofKind('Service'));
  for (const se of ofKind('ServiceEntry')) picture.addServiceEntry(se);
  for (const dr of ofKind('DestinationRule')) picture.addDestinationRule(dr);
  for (const g of ofKind('Gateway').filter(isIstioGateway)) picture.addGateway(g);
  for (const g of index.gatewayApi.ingressGateways) picture.addGatewayApiGateway(g);
  // HTTPRoutes and TCPRoutes are drawn as the VirtualServices istiod converts them into
  // (lib/istio/gateway-api.ts), so they are drawn exactly as VirtualServices are.
  for (const vs of [...ofKind('VirtualService'), ...index.gatewayApi.virtualServices]) picture.addVirtualService(vs);
  picture.addUnroutedServices();
  picture.addCalls();
  return picture.render();
}

/** Where a VirtualService's requests come from: sidecars asking for one of its hosts (`mesh`), or a gateway. */
interface Source {
  readonly gateway: string;
  readonly id: string;
  readonly host?: Host;
}

/** One route of a VirtualService, whatever its protocol. */
interface AnyRoute {
  readonly match?: readonly RouteMatch[];
  readonly route?: ReadonlyArray<{ readonly destination?: { readonly host?: string; readonly subset?: string }; readonly weight?: number }>;
  readonly http?: HTTPRoute;
  /** What the route does besides choosing destinations (faults, timeout, ...), or its protocol. */
  readonly settings: readonly string[];
  /** Whether weights are relative (the Gateway API's), drawn as their share of the total. */
  readonly relative?: boolean;
}

/**
 * A match of a route istiod made of an HTTPRoute, without what the conversion adds to every
 * rule: the parentRef's port and the default path prefix `/`.
 */
function gatewayMatch(m: RouteMatch): RouteMatch {
  const { port: _port, ...rest } = m as RouteMatch & { port?: number };
  const uri = rest.uri as { prefix?: string } | undefined;
  return uri?.prefix === '/' ? { ...rest, uri: undefined } : rest;
}

/** The nodes and edges of one diagram, collected object by object. */
class Picture {
  private readonly ids = new Ids();
  private readonly outsideGroup = this.ids.take('grp', 'outside');
  private readonly clients: ReadonlyArray<{ readonly name: string; readonly id: string; readonly callees: readonly string[] }>;
  private readonly hosts = new Map<string, Host>();
  private readonly gateways = new Map<string, Gateway>();
  private readonly answersOutside: Array<{ readonly id: string; readonly text: string }> = [];
  private readonly edges: Edge[] = [];
  /**
   * Per-version Services (`reviews-v1`, as Istio's bookinfo-versions.yaml), by host key: a Service
   * whose pods are some versions of another Service's, whose selector it narrows. A route to
   * one is drawn to those versions of the other, as a route to a subset is.
   */
  private readonly versionServices = new Map<string, { readonly host: Host; readonly name: string; readonly versions: readonly string[] }>();

  /**
   * Hosts, namespaces, `exportTo`, selectors and gateways are read by the index check and
   * explain read them with (lib/istio/index.ts), so that the three cannot disagree about a file.
   */
  public constructor(private readonly graph: CallGraph, private readonly index: MeshIndex) {
    this.clients = graph.clients.map((c) => ({ name: c.name, callees: c.callees, id: this.ids.take('cli', c.name) }));
  }

  /** A name as the lab's reader knows it: bare in the lab's namespace, `name.namespace` elsewhere. */
  private display(name: string, namespace: string): string {
    return namespace === this.graph.namespace ? name : `${name}.${namespace}`;
  }

  private addHost(key: string, name: string, kind: Host['kind']): Host {
    const prefix = { service: 'svc', external: 'ext', other: 'host' }[kind];
    const host: Host = {
      id: this.ids.take(prefix, name), group: kind === 'service' ? this.ids.take('grp', name) : '', display: name, kind,
      ports: [], versions: [], policy: [], notes: [], answers: [], subsets: [], routed: false, spread: 'load balanced',
    };
    this.hosts.set(key, host);
    return host;
  }

  /**
   * The key of the node for a host written in a VirtualService or DestinationRule of
   * `namespace`, taken literally as Istio takes it (MeshIndex.findHost: `web.shop` is no
   * Service host): a Service's `name.namespace`; a ServiceEntry's host (a wildcard entry
   * stands for the hosts it covers); else the name itself, which no object defines.
   */
  private hostKey(name: string, namespace: string): string {
    const target = this.index.findHost(name, namespace);
    if (!target) return UNRESOLVED + (name.includes('.') || name.includes('*') ? name : `${name}.${namespace}`);
    // A ServiceEntry for a Service's own host stays with the Service.
    const service = target.kind === 'Service' ? target.object : this.index.services.get(target.host);
    return service ? `${service.metadata.name}.${namespaceOf(service)}` : target.host;
  }

  /** The host a name an application dials reaches through cluster DNS (MeshIndex.serviceDialed): `web.shop` is Service web of shop. */
  private dialedHost(name: string, namespace: string): Host {
    const service = this.index.serviceDialed(name, namespace);
    return service ? this.hostOf(service.metadata.name, namespaceOf(service)) : this.hostOf(name, namespace);
  }

  /** The host a name stands for; a name no object defines gets a plain node of its own. */
  private hostOf(name: string, namespace: string): Host {
    const key = this.hostKey(name, namespace);
    const known = this.hosts.get(key);
    if (known) return known;
    const shown = key.startsWith(UNRESOLVED) ? key.slice(UNRESOLVED.length) : key;
    const [short, ns] = shown.split('.');
    return this.addHost(key, ns === this.graph.namespace && shown.split('.').length === 2 ? short : shown, 'other');
  }

  /** The versions a subset of `host` selects: by the DestinationRule's subset labels, else by version name. */
  private versionsOf(host: Host, subset: string): Version[] {
    const labels = host.subsets.find((s) => s.name === subset)?.labels;
    return host.versions.filter((v) => (labels ? selects(labels, v.labels) : v.name === subset));
  }

  private edge(from: string, to: string, style: Edge['style'], parts: readonly string[]): void {
    this.edges.push({ from, to, style, text: parts.filter((p) => p !== '').map(mermaidText).join(', ') });
  }

  /**
   * Each Service is a host with the versions of the pods it selects (by `version` label,
   * replicas added up). A Service in front of a client (flask's sleep) is no host anyone routes to.
   */
  public addServices(services: readonly Manifest[]): void {
    const clients = new Set(this.graph.clients.map((c) => `${c.name}.${this.graph.namespace}`));
    const isClient = (w: Manifest) => clients.has(`${w.metadata.name}.${namespaceOf(w)}`);
    for (const s of services) {
      const namespace = namespaceOf(s);
      const selector = service(s).selector ?? {};
      // The Deployments and Pods the Service selects, by the index; a Service without a selector selects none.
      const pods = Object.keys(selector).length === 0 ? [] : this.index.podsSelected(selector, namespace)
        .filter((p) => !p.platform && (p.source.kind === 'Deployment' || p.source.kind === 'Pod')).map((p) => p.source);
      if (pods.length > 0 && pods.every(isClient)) continue;
      const parent = this.narrowedService(s, services);
      if (parent && pods.length > 0) {
        const versions = [...new Set(pods.map((w) => this.index.podFor(w)!.labels.version ?? w.metadata.name))].sort();
        this.versionServices.set(`${s.metadata.name}.${namespace}`, { host: this.hostOf(parent.metadata.name, namespaceOf(parent)), name: this.display(s.metadata.name, namespace), versions });
        continue;
      }
      const host = this.addHost(`${s.metadata.name}.${namespace}`, this.display(s.metadata.name, namespace), 'service');
      host.ports.push(...service(s).ports.map((p) => String(p.port)));
      for (const w of pods) {
        const labels = this.index.podFor(w)!.labels;
        const name = labels.version ?? w.metadata.name;
        const replicas = w.kind === 'Deployment' ? (num(specOf(w).replicas) ?? 1) : 1;
        const known = host.versions.find((v) => v.name === name);
        if (known) known.replicas += replicas;
        else host.versions.push({ id: this.ids.take('ver', `${host.display}_${name}`), name, labels, replicas, policy: [] });
      }
      host.versions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }

  /**
   * The Service a per-version Service narrows: one of its namespace with a selector of fewer
   * pairs, all of which it repeats (`{app: reviews}` for `{app: reviews, version: v1}`).
   * Services are added in order, so the wider one is looked up among all of them.
   */
  private narrowedService(s: Manifest, services: readonly Manifest[]): Manifest | undefined {
    const selector = service(s).selector ?? {};
    const pairs = Object.keys(selector).length;
    if (pairs < 2) return undefined;
    return services.find((o) => {
      const other = service(o).selector ?? {};
      const n = Object.keys(other).length;
      return o !== s && namespaceOf(o) === namespaceOf(s) && n > 0 && n < pairs && selects(other, selector);
    });
  }

  /** Each host of a ServiceEntry is a host outside the mesh, with the entry's ports. */
  public addServiceEntry(se: Manifest): void {
    const spec: ServiceEntrySpec = se.spec ?? {};
    const ports = (spec.ports ?? []).map((p) => `${p.number} ${p.protocol ?? ''}`.trim() + (p.targetPort !== undefined && p.targetPort !== p.number ? ` to ${p.targetPort}` : ''));
    for (const name of spec.hosts ?? []) {
      // The entry's own host, where its hosts' routes lead (hostKey); one that is a Service's host stays with the Service.
      const fqdn = qualifyHost(name, namespaceOf(se));
      const service = this.index.services.get(fqdn);
      const key = service ? `${service.metadata.name}.${namespaceOf(service)}` : fqdn;
      const host = this.hosts.get(key) ?? this.addHost(key, name, 'external');
      host.ports.push(...ports);
    }
  }

  /** The rule's subsets (which routes resolve to versions) and its policies, noted on the host and its versions. */
  public addDestinationRule(dr: Manifest): void {
    const spec: DestinationRuleSpec = dr.spec ?? {};
    // A rule for a host the lab does not define (the egress gateway's) has nothing to show it on.
    const host = spec.host === undefined ? undefined : this.hosts.get(this.hostKey(spec.host, namespaceOf(dr)));
    if (!host) return;
    host.subsets = spec.subsets ?? [];
    host.policy.push(...describePolicy(spec.trafficPolicy));
    const lb = spec.trafficPolicy?.loadBalancer;
    if (lb?.simple) host.spread = lower(lb.simple);
    else if (lb?.consistentHash) host.spread = 'consistent hash';
    for (const subset of host.subsets) {
      if (subset.name === undefined) continue;
      for (const v of this.versionsOf(host, subset.name)) v.policy.push(...describePolicy(subset.trafficPolicy));
    }
  }

  /** A gateway with its servers (protocol, port, hosts, TLS). */
  public addGateway(g: Manifest): void {
    const spec: GatewaySpec = g.spec ?? {};
    const selector = spec.selector ?? {};
    const name = this.display(g.metadata.name, namespaceOf(g));
    const egress = Object.values(selector).some((v) => v.includes('egress'));
    const servers = (spec.servers ?? []).map((s) => {
      const tls = s.tls?.mode ? ` (TLS ${lower(s.tls.mode)})` : '';
      return `${s.port?.protocol ?? ''} :${s.port?.number ?? ''} ${(s.hosts ?? []).join(', ')}${tls}`;
    });
    this.gateways.set(gatewayKey(g), {
      id: this.ids.take('gw', name),
      text: label([`${egress ? 'egress' : 'ingress'} gateway ${name}`, ...servers]),
      serviceName: selector.istio === undefined ? undefined : `istio-${selector.istio}`,
    });
  }

  /**
   * A Gateway API Gateway Istio runs (class `istio`), with its listeners; each listener is an
   * Istio Gateway once istiod converts it, and all of them are this one node.
   */
  public addGatewayApiGateway(g: Manifest): void {
    const name = this.display(g.metadata.name, namespaceOf(g));
    const listeners = items(specOf(g).listeners).map(fields).map((l) => {
      const mode = text(fields(l.tls).mode);
      return `${text(l.protocol) ?? ''} :${String(l.port ?? '')} ${text(l.hostname) ?? '*'}${mode ? ` (TLS ${lower(mode)})` : ''}`;
    });
    // A gateway that serves only hosts outside the mesh (ServiceEntry hosts) sends calls out: an egress gateway.
    const hostnames = items(specOf(g).listeners).map((l) => text(fields(l).hostname));
    const egress = hostnames.length > 0 && hostnames.every((h) => h !== undefined && this.hosts.get(this.hostKey(h, namespaceOf(g)))?.kind === 'external');
    const node: Gateway = {
      id: this.ids.take('gw', name),
      text: label([`${egress ? 'egress' : 'ingress'} gateway ${name} (Gateway API)`, ...listeners]),
      serviceName: GatewayApiReading.deployedService(g),
    };
    for (const l of items(specOf(g).listeners)) this.gateways.set(`${namespaceOf(g)}/${GatewayApiReading.listenerGatewayName(g, l)}`, node);
  }

  /** The routes of a VirtualService, as edges from each place its requests come from. */
  public addVirtualService(vs: Manifest): void {
    const spec: VirtualServiceSpec = vs.spec ?? {};
    const namespace = namespaceOf(vs);
    const sources: Source[] = [];
    const bound: Gateway[] = [];
    // `gateways` resolved by the index (`name`, `ns/name`, `./name`); a Gateway that serves none
    // of the VirtualService's hosts for its namespace gives it no route (MeshIndex.gatewayServes).
    for (const ref of this.index.gatewayRefs(vs)) {
      if (ref.key === 'mesh') {
        for (const h of spec.hosts ?? []) {
          // In ambient mode without a waypoint, ztunnel applies no route: the Service stays unrouted.
          if (!this.index.meshRoutesApply(qualifyHost(h, namespace))) continue;
          const host = this.hostOf(h, namespace);
          host.routed = true;
          sources.push({ gateway: ref.key, id: host.id, host });
        }
        continue;
      }
      const gateway = this.gateways.get(ref.key);
      const converted = this.index.gatewayApi.istioGateways.find((g) => gatewayKey(g) === ref.key);
      const serves = converted ? true : this.index.gatewayServes(ref.key, spec.hosts ?? [], namespace);
      if (gateway && serves && !bound.includes(gateway)) {
        bound.push(gateway);
        sources.push({ gateway: ref.key, id: gateway.id });
      }
    }
    const relative = usesGatewaySemantics(vs);
    const match = <M>(list: M[] | undefined): M[] | undefined => (relative ? list?.map((m) => gatewayMatch(m as RouteMatch) as M) : list);
    const routes: AnyRoute[] = [
      ...(spec.http ?? []).map((r) => ({ match: match(r.match), route: r.route, http: r, settings: routeSettings(r), relative })),
      ...(spec.tcp ?? []).map((r) => ({ match: match(r.match), route: r.route, settings: ['tcp'], relative })),
      ...(spec.tls ?? []).map((r) => ({ match: r.match, route: r.route, settings: ['tls'] })),
    ];
    let matchedBefore = false;
    for (const r of routes) {
      const matches = (r.match ?? []).map(describeMatch).filter((m) => m !== '');
      // Routes are tried in order: one without a match after matching ones takes the rest.
      const when = matches.length > 0 ? matches.join(' or ') : matchedBefore ? 'otherwise' : '';
      matchedBefore ||= matches.length > 0;
      const onlyFrom = new Set((r.match ?? []).flatMap((m) => m.gateways ?? []).map((g) => resolveGatewayRef(g, namespace)));
      for (const source of sources.filter((s) => onlyFrom.size === 0 || onlyFrom.has(s.gateway))) {
        this.addRoute(source, r, when, bound, namespace);
      }
    }
  }

  private addRoute(source: Source, r: AnyRoute, when: string, bound: readonly Gateway[], namespace: string): void {
    const redirect = r.http?.redirect;
    if (redirect) {
      const answer = { id: this.ids.take('ans', `${source.id}_redirect`), text: label([`redirect ${redirect.redirectCode ?? 301} to ${redirect.authority ?? ''}${redirect.uri ?? ''}`]) };
      (source.host?.answers ?? this.answersOutside).push(answer);
      this.edge(source.id, answer.id, 'route', [when]);
      return;
    }
    const destinations = r.route ?? [];
    const total = destinations.reduce((sum, d) => sum + (d.weight ?? 0), 0);
    for (const d of destinations) {
      if (d.destination?.host === undefined) continue;
      const weight = destinations.length <= 1 ? '' : r.relative ? `${Math.round(((d.weight ?? 0) * 1000) / (total || 1)) / 10}%` : `${d.weight ?? 0}%`;
      const subset = d.destination.subset;
      // A route to a bound gateway's own Service (the egress gateway's) goes to that gateway.
      const service = this.index.findHost(d.destination.host, namespace);
      // A mesh route to a gateway's Service (the Gateway API's egress gateway, `<name>-istio`) goes to that gateway too.
      const isServiceOf = (g: Gateway) => g.serviceName !== undefined && service?.kind === 'Service' && service.object.metadata.name === g.serviceName;
      const via = bound.find(isServiceOf) ?? (source.gateway === 'mesh' ? [...this.gateways.values()].find(isServiceOf) : undefined);
      if (via) {
        this.edge(source.id, via.id, 'route', [when, weight, ...r.settings]);
        continue;
      }
      const perVersion = this.versionServices.get(this.hostKey(d.destination.host, namespace));
      if (perVersion) {
        // A per-version Service: to the versions of the Service it narrows, as a subset would be.
        const versions = perVersion.host.versions.filter((v) => perVersion.versions.includes(v.name));
        for (const v of versions) this.edge(source.id, v.id, 'route', [when, weight, `via ${perVersion.name}`, ...r.settings]);
        continue;
      }
      const target = this.hostOf(d.destination.host, namespace);
      if (target === source.host && target.kind !== 'service') {
        // An external host routed to itself: what the route adds belongs to the host.
        target.notes.push(...r.settings);
        continue;
      }
      if (target.kind !== 'service' || (subset === undefined && target !== source.host)) {
        this.edge(source.id, target.id, 'route', [when, weight, subset === undefined ? '' : `subset ${subset}`, ...r.settings]);
        continue;
      }
      // A Service routed to itself without a subset reaches every version, spread by its load balancer.
      let versions = subset === undefined ? target.versions : this.versionsOf(target, subset);
      if (versions.length === 0 && subset !== undefined) {
        const missing: Version = { id: this.ids.take('ver', `${target.display}_${subset}`), name: `${subset} (no pods)`, labels: {}, replicas: 0, policy: [] };
        target.versions.push(missing);
        versions = [missing];
      }
      const share = weight !== '' ? weight
        : subset === undefined ? (versions.length > 1 ? target.spread : '')
          : when === '' && target.versions.length > 1 ? '100%' : '';
      for (const v of versions) this.edge(source.id, v.id, 'route', [when, share, ...r.settings]);
    }
    // `mirrors` (Istio 1.22+), which HTTPRoutes' RequestMirror filters become.
    const mirrors = (r.http as { mirrors?: Array<{ destination?: { host?: string }; percentage?: { value?: number } }> } | undefined)?.mirrors ?? [];
    for (const m of mirrors) {
      if (m.destination?.host === undefined) continue;
      const perVersion = this.versionServices.get(this.hostKey(m.destination.host, namespace));
      const to = perVersion ? perVersion.host.versions.filter((v) => perVersion.versions.includes(v.name)) : [this.hostOf(m.destination.host, namespace)];
      for (const t of to) this.edge(source.id, t.id, 'mirror', [`mirror ${percent(m.percentage)}`]);
    }
    const mirror = r.http?.mirror;
    if (mirror?.host !== undefined) {
      const target = this.hostOf(mirror.host, namespace);
      const to = mirror.subset === undefined ? [target] : this.versionsOf(target, mirror.subset);
      for (const t of to) this.edge(source.id, t.id, 'mirror', [`mirror ${percent(r.http?.mirrorPercentage as { value?: number } | undefined)}`]);
    }
  }

  /** A Service no VirtualService routes reaches all its pods, whatever their version. */
  public addUnroutedServices(): void {
    for (const host of this.hosts.values()) {
      if (host.kind !== 'service' || host.routed) continue;
      for (const v of host.versions) this.edge(host.id, v.id, 'route', [host.versions.length > 1 ? host.spread : '']);
    }
  }

  /** The calls of the services' code and the clients, to the hosts they name. */
  public addCalls(): void {
    const ns = this.graph.namespace;
    for (const s of this.graph.services) {
      const from = this.hosts.get(`${s.name}.${ns}`);
      if (from) for (const callee of s.callees) this.edge(from.id, this.dialedHost(callee, ns).id, 'call', []);
    }
    for (const c of this.clients) {
      for (const callee of c.callees) this.edge(c.id, this.dialedHost(callee, ns).id, 'call', []);
    }
  }

  /** The Mermaid text: gateways and clients; a subgraph per Service with its versions; outside hosts; then the edges. */
  public render(): string {
    const hosts = [...this.hosts.values()];
    const out = ['flowchart LR'];
    for (const g of this.gateways.values()) out.push(`  ${SHAPES.gateway(g.id, g.text)}`);
    for (const c of this.clients) out.push(`  ${SHAPES.client(c.id, label([`${c.name} (client)`]))}`);
    for (const h of hosts.filter((x) => x.kind === 'service')) {
      const ports = h.ports.length > 0 ? `:${h.ports.join(',')}` : '';
      out.push(`  subgraph ${h.group} ["${label([h.display])}"]`);
      out.push(`    ${SHAPES.service(h.id, label([`${h.display}${ports}`, ...h.policy]))}`);
      for (const v of h.versions) out.push(`    ${SHAPES.version(v.id, label([v.name, v.replicas > 1 ? `${v.replicas} replicas` : '', ...v.policy]))}`);
      for (const a of h.answers) out.push(`    ${SHAPES.answer(a.id, a.text)}`);
      out.push('  end');
    }
    const outside = hosts.filter((h) => h.kind === 'external');
    if (outside.length > 0) {
      out.push(`  subgraph ${this.outsideGroup} ["${label(['outside the mesh (ServiceEntry)'])}"]`);
      for (const h of outside) {
        const ports = h.ports.length > 0 ? ` :${h.ports.join(', :')}` : '';
        out.push(`    ${SHAPES.external(h.id, label([`${h.display}${ports}`, ...h.policy, ...h.notes]))}`);
        for (const a of h.answers) out.push(`    ${SHAPES.answer(a.id, a.text)}`);
      }
      out.push('  end');
    }
    for (const h of hosts.filter((x) => x.kind === 'other')) {
      out.push(`  ${SHAPES.service(h.id, label([h.display, ...h.policy, ...h.notes]))}`);
      for (const a of h.answers) out.push(`  ${SHAPES.answer(a.id, a.text)}`);
    }
    for (const a of this.answersOutside) out.push(`  ${SHAPES.answer(a.id, a.text)}`);
    // Reading order: what enters through the gateways, then each host's routing, then the calls.
    const gatewayIds = new Set([...this.gateways.values()].map((g) => g.id));
    const rank = (e: Edge) => (gatewayIds.has(e.from) ? 0 : e.style === 'call' ? 2 : 1);
    const seen = new Set<string>();
    for (const e of [...this.edges].sort((a, b) => rank(a) - rank(b))) {
      const line = `  ${e.from} ${ARROWS[e.style]}${e.text === '' ? '' : `|"${e.text}"|`} ${e.to}`;
      if (!seen.has(line)) out.push(line);
      seen.add(line);
    }
    return `${out.join('\n')}\n`;
  }
}
