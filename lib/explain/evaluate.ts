import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, Subset, TrafficPolicy } from '../../imports/istio';
import { Manifest } from '../validate/manifest';
import { AuthzDecision, AuthzRequest, authorize, policiesFor } from './authz';
import { qualifyHost, selects } from '../istio/resolve';
import { Cluster, INGRESS_GATEWAY_LABELS, KubeService, Pod, ROOT_NAMESPACE, gatewayKey, hostMatches, hostSpecificity, resolveGateway } from './cluster';
import { MatchContext, describeMatch, matchRoute } from './match';
import { Random, hashString } from './random';
import { HttpRequest, Source, queryOf } from './request';
import { Explanation, HopTally, compareOrder, increment } from './tally';

/** `--from` for requests entering through the lab's ingress gateway. */
export const INGRESS = 'ingress';
/** The `to` of a hop the ingress gateway answers itself (no route, a redirect). */
export const NO_DESTINATION = '(no destination)';
/** The status of a connection the destination resets (STRICT mTLS and a plain-text caller). */
export const RESET = 0;

/** The identity and labels of the ingress gateway pods (Istio's demo profile). */
const INGRESS_SOURCE: Source = {
  name: INGRESS,
  namespace: ROOT_NAMESPACE,
  labels: INGRESS_GATEWAY_LABELS,
  sidecar: true,
  principal: `cluster.local/ns/${ROOT_NAMESPACE}/sa/istio-ingressgateway-service-account`,
  pod: 'istio-ingressgateway',
};

/** What the preview runs: the generated manifests, the lab's call graph, and the requests. */
export interface ExplainInput {
  readonly manifests: readonly Manifest[];
  /** The lab's namespace, where the names of the call graph live. */
  readonly namespace: string;
  /** Who calls whom: service and client names to the services they call, in order. */
  readonly callees: ReadonlyMap<string, readonly string[]>;
  /** `ingress`, or a service or client of the lab. */
  readonly from: string;
  readonly request: HttpRequest;
  readonly requests: number;
  readonly seed: number;
}

/** The order notes are listed in under a hop. */
const RANK = { route: 0, caller: 1, path: 2, fault: 3, timeout: 4, mirror: 5, balance: 6, pool: 7, mtls: 8, authz: 9, filter: 10, assumed: 11, loop: 12 } as const;

/** A lookup that depends only on its key, computed once per walk. */
function memo<K, V>(cache: Map<K, V>, key: K, compute: () => V): V {
  if (cache.has(key)) return cache.get(key) as V;
  const value = compute();
  cache.set(key, value);
  return value;
}

/** What the ingress gateway does with the request's host, the same for every request. */
interface IngressPlan {
  readonly gateways: readonly Manifest[];
  /** The Gateways with an HTTP server for the host. */
  readonly served: readonly Manifest[];
  readonly port: number;
  /** The most specific VirtualServices bound to them for the host, with the Gateway each binds. */
  readonly bound: ReadonlyArray<{ readonly vs: Manifest; readonly gateway: string }>;
}

/** A route the request matched, in the VirtualService it came from. */
interface Matched {
  readonly vs: Manifest;
  /** Position in the VirtualService's list, from 1. */
  readonly number: number;
  readonly route: HTTPRoute;
  readonly block: HTTPMatchRequest | undefined;
  readonly assumed: readonly string[];
  readonly tcp: boolean;
}

/** Where a request is sent: a host, maybe a subset, a port. */
interface Target {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
}

/** A route destination as a target, its host qualified from the VirtualService's namespace. */
function targetOf(d: HTTPRouteDestination, namespace: string): Target {
  return { host: qualifyHost(d.destination?.host ?? '', namespace), subset: d.destination?.subset, port: d.destination?.port?.number };
}

/** Where a host and subset lead: the rules that apply and the pods that can answer. */
interface Upstream {
  readonly dr: Manifest | undefined;
  readonly subset?: Subset;
  readonly pods: readonly Pod[];
  /** The route names a subset no DestinationRule defines. */
  readonly missingSubset: boolean;
}

/** The AuthorizationPolicies at a pod, and where tokens for its RequestAuthentications come from. */
interface PodPolicies {
  readonly policies: readonly Manifest[];
  readonly tokenHeaders: readonly string[];
  readonly tokenParams: readonly string[];
}

const NO_POLICY: AuthzDecision = { allowed: true, assumed: [] };

/** `loadBalancer`, `connectionPool`, `outlierDetection` in effect for one subset and port. */
function effectivePolicy(dr: Manifest | undefined, subset: Subset | undefined, port: number | undefined): TrafficPolicy {
  const layers = [dr?.spec?.trafficPolicy as TrafficPolicy | undefined, subset?.trafficPolicy as TrafficPolicy | undefined];
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    const atPort = layer.portLevelSettings?.find((p) => p.port?.number === port);
    for (const key of ['loadBalancer', 'connectionPool', 'outlierDetection'] as const) {
      const value = atPort?.[key] ?? layer[key];
      if (value !== undefined) out[key] = value;
    }
  }
  return out as TrafficPolicy;
}

const requestsText = (n: unknown) => `${String(n)} request${n === 1 ? '' : 's'}`;

/** `tcp.maxConnections 1, http.http1MaxPendingRequests 1` from a nested object. */
function flatten(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${prefix} ${String(value)}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

/** The path after `rewrite.uri`: a matched prefix is replaced, else the whole path (Envoy's prefix_rewrite). */
function rewritePath(path: string, block: HTTPMatchRequest | undefined, uri: string): string {
  const m = block?.uri as { exact?: string; prefix?: string; regex?: string } | undefined;
  if (m?.prefix !== undefined) return uri + path.slice(m.prefix.length);
  if (m?.exact !== undefined || m?.regex !== undefined) {
    const q = path.indexOf('?');
    return q < 0 ? uri : uri + path.slice(q);
  }
  return uri + path.slice(1);
}

/** Walks N requests through the manifests and counts what happens at each hop. */
class Walk {
  private readonly tallies = new Map<string, HopTally>();
  private readonly random: Random;
  private readonly routeNotes = new Map<HTTPRoute, Map<string, string>>();
  private readonly meshRouting = new Map<string, Manifest | undefined>();
  private readonly upstreams = new Map<string, Upstream>();
  private readonly podPolicies = new Map<string, PodPolicies>();
  private ingress: IngressPlan | undefined;

  public constructor(private readonly cluster: Cluster, private readonly input: ExplainInput) {
    this.random = new Random(input.seed);
  }

  public run(): Explanation {
    const statuses = new Map<string, number>();
    const start = this.input.from === INGRESS ? undefined : this.workloadPods(this.input.from);
    for (let i = 0; i < this.input.requests; i++) {
      const status = start ? this.fromWorkload(this.input.from, start) : this.fromIngress();
      increment(statuses, status === RESET ? 'reset' : String(status));
    }
    const hops = [...this.tallies.values()].sort((a, b) => compareOrder(a.order, b.order)).map((t) => t.result());
    const endToEnd = [...statuses.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([name, count]) => ({ name, count }));
    return { requests: this.input.requests, hops, endToEnd };
  }

  /** The pods of a service or client of the lab, which the requests start from. */
  private workloadPods(name: string): Pod[] {
    const service = this.cluster.services.get(qualifyHost(name, this.input.namespace));
    const pods = service ? this.cluster.podsOf(service) : this.cluster.podsOfWorkload(name, this.input.namespace);
    return pods.length > 0 ? pods : this.cluster.podsOfWorkload(name, this.input.namespace);
  }

  private tally(from: string, to: string, order: readonly number[]): HopTally {
    const key = `${from}\u0000${to}`;
    let t = this.tallies.get(key);
    if (!t) {
      t = new HopTally(from, to, order);
      this.tallies.set(key, t);
    } else if (compareOrder(order, t.order) < 0) {
      t.order = order;
    }
    return t;
  }

  /** The name a report gives a host: the Service's name in the lab's namespace, else the host. */
  private shortName(host: string): string {
    const s = this.cluster.services.get(host);
    if (!s) return host;
    return s.namespace === this.input.namespace ? s.name : `${s.name}.${s.namespace}`;
  }

  private fromWorkload(name: string, pods: readonly Pod[]): number {
    const pod = pods.length === 1 ? pods[0] : pods[this.random.index(pods.length)];
    return this.callAll(name, pod, this.input.request, [], [name]);
  }

  /**
   * A pod calls every service its service calls, in order; the first failure is what it
   * answers. A call back to a service already on the request's path (a loop) is not followed.
   */
  private callAll(name: string, pod: Pod, request: HttpRequest, order: readonly number[], onPath: readonly string[]): number {
    const source: Source = { name, namespace: pod.namespace, labels: pod.labels, sidecar: pod.sidecar, principal: pod.principal, pod: pod.name };
    let status = 200;
    (this.input.callees.get(name) ?? []).forEach((callee, i) => {
      if (onPath.includes(callee)) return;
      const s = this.call(source, callee, request, [...order, i], [...onPath, callee]);
      if (status === 200) status = s;
    });
    return status;
  }

  /** The Gateways serving the request's host and the VirtualServices bound to them (computed once). */
  private planIngress(): IngressPlan {
    const authority = this.input.request.headers.get('host');
    const isHttp = (server: { port?: { protocol?: string } }) => ['HTTP', 'HTTP2'].includes((server.port?.protocol ?? '').toUpperCase());
    type Server = { port?: { protocol?: string; number?: number }; hosts?: string[] };
    const gateways = this.cluster.ingressGateways();
    const served = gateways.filter((g) => ((g.spec?.servers ?? []) as Server[]).some((s) =>
      isHttp(s) && (s.hosts ?? []).some((h) => hostMatches(h.slice(h.indexOf('/') + 1), authority))));
    const server = served.length > 0 ? ((served[0].spec.servers ?? []) as Server[]).find(isHttp) : undefined;
    const keys = served.map(gatewayKey);
    const candidates = this.cluster.virtualServices
      .map((vs) => {
        const ns = vs.metadata.namespace ?? 'default';
        const gateway: string | undefined = (vs.spec?.gateways ?? []).map((g: string) => resolveGateway(g, ns)).find((g: string) => keys.includes(g));
        const hosts = (vs.spec?.hosts ?? []).filter((h: string) => hostMatches(h, authority));
        return { vs, gateway, specificity: Math.max(-1, ...hosts.map(hostSpecificity)) };
      })
      .filter((b) => b.gateway !== undefined && b.specificity >= 0);
    // Envoy picks the virtual host with the most specific domain; its routes are the VirtualServices' in order.
    const best = Math.max(-1, ...candidates.map((b) => b.specificity));
    const bound = candidates.filter((b) => b.specificity === best).map((b) => ({ vs: b.vs, gateway: b.gateway! }));
    return { gateways, served, port: server?.port?.number ?? 80, bound };
  }

  /** Requests entering through the ingress gateway: the Gateway's servers, then the VirtualServices bound to it. */
  private fromIngress(): number {
    const request = this.input.request;
    const authority = request.headers.get('host');
    this.ingress ??= this.planIngress();
    const { gateways, served, port, bound } = this.ingress;
    if (served.length === 0) {
      const t = this.tally(INGRESS, NO_DESTINATION, [-1]);
      t.reached++;
      t.note(RANK.route, `no HTTP server of Gateway ${gateways.map((g) => g.metadata.name).join(', ')} accepts host ${authority ?? '(none given: only * matches; give --header host=...)'}`);
      return t.end('no route 404', 404);
    }
    for (let i = 0; i < bound.length; i++) {
      const { vs, gateway } = bound[i];
      const ctx: MatchContext = { request, gateway, namespace: vs.metadata.namespace ?? 'default', port, source: INGRESS_SOURCE, authority };
      const matched = this.matchIn(vs, ctx);
      if (!matched) continue;
      const destination = this.pickDestination(matched.route);
      const to = destination ? this.shortName(targetOf(destination, vs.metadata.namespace ?? 'default').host) : NO_DESTINATION;
      const t = this.tally(INGRESS, to, destination ? [i + 1, matched.number] : [-1]);
      t.reached++;
      return this.apply(t, INGRESS_SOURCE, request, matched, destination, t.order, []);
    }
    const t = this.tally(INGRESS, NO_DESTINATION, [-1]);
    t.reached++;
    const names = bound.map((b) => b.vs.metadata.name).join(', ');
    t.note(RANK.route, names ? `no route of VirtualService ${names} matches ${request.method} ${request.path}` : `no VirtualService is bound to Gateway ${served.map((g) => g.metadata.name).join(', ')} for this host`);
    return t.end('no route 404', 404);
  }

  /** The first route of a VirtualService that matches (HTTP routes, else TCP routes). */
  private matchIn(vs: Manifest, ctx: MatchContext): Matched | undefined {
    const http = vs.spec?.http as HTTPRoute[] | undefined;
    const routes = http ?? (vs.spec?.tcp as HTTPRoute[] | undefined) ?? [];
    for (let i = 0; i < routes.length; i++) {
      const result = matchRoute(routes[i].match, ctx);
      if (result.matched) return { vs, number: i + 1, route: routes[i], block: result.block, assumed: result.assumed, tcp: http === undefined };
    }
    return undefined;
  }

  /** The VirtualService that sidecars apply to a host (bound to `mesh`, which no `gateways` field means). */
  private meshVirtualService(host: string): Manifest | undefined {
    return memo(this.meshRouting, host, () => this.cluster.virtualServices.find((vs) => {
      const ns = vs.metadata.namespace ?? 'default';
      const gateways: string[] | undefined = vs.spec?.gateways;
      return (!gateways || gateways.includes('mesh')) && (vs.spec?.hosts ?? []).some((h: string) => hostMatches(qualifyHost(h, ns), host));
    }));
  }

  /** A call from a pod (or the caller without a sidecar) to a service of the lab. */
  private call(source: Source, serviceName: string, request: HttpRequest, order: readonly number[], onPath: readonly string[]): number {
    const host = qualifyHost(serviceName, this.input.namespace);
    const t = this.tally(source.name, serviceName, order);
    t.reached++;
    const service = this.cluster.services.get(host);
    if (!source.sidecar) {
      t.note(RANK.caller, `${source.name} has no sidecar: no VirtualService or DestinationRule applies, kube-proxy picks any pod`);
      return this.deliver(t, source, request, { host }, order, onPath);
    }
    const vs = this.meshVirtualService(host);
    if (!vs) {
      t.note(RANK.route, `no VirtualService for ${serviceName}: any pod of the Service`, true);
      return this.deliver(t, source, request, { host }, order, onPath);
    }
    const ns = vs.metadata.namespace ?? 'default';
    const ctx: MatchContext = { request, gateway: 'mesh', namespace: ns, port: service?.ports[0]?.port ?? 80, source, authority: undefined };
    const matched = this.matchIn(vs, ctx);
    if (!matched) {
      t.note(RANK.route, `no route of VirtualService ${vs.metadata.name} matches ${request.method} ${request.path}`);
      return t.end('no route 404', 404);
    }
    return this.apply(t, source, request, matched, this.pickDestination(matched.route), order, onPath);
  }

  /** One of a route's destinations, drawn by weight (a single destination without weight is 100). */
  private pickDestination(route: HTTPRoute): HTTPRouteDestination | undefined {
    const destinations = route.route ?? [];
    if (destinations.length <= 1) return destinations[0];
    const weights = destinations.map((d) => d.weight ?? 0);
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0) return destinations[0];
    let r = this.random.next() * total;
    for (let i = 0; i < destinations.length; i++) {
      r -= weights[i];
      if (r < 0) return destinations[i];
    }
    return destinations[destinations.length - 1];
  }

  /** `route 2 of VirtualService x (headers user-agent ~ .*Safari.*) -> v2`; destinations on the hop's own host by subset. */
  private describeRoute(m: Matched, hopHost: string): string {
    let byHost = this.routeNotes.get(m.route);
    if (!byHost) {
      byHost = new Map();
      this.routeNotes.set(m.route, byHost);
    }
    let text = byHost.get(hopHost);
    if (text === undefined) {
      const ns = m.vs.metadata.namespace ?? 'default';
      const all = m.route.route ?? [];
      const destinations = all.map((d) => {
        const target = targetOf(d, ns);
        const label = target.host === hopHost ? target.subset ?? 'any version' : `${this.shortName(target.host)}${target.subset ? ` ${target.subset}` : ''}`;
        return all.length > 1 ? `${label} ${d.weight ?? 0}%` : label;
      });
      const to = destinations.length > 0 ? ` -> ${destinations.join(', ')}` : '';
      const routes = ((m.tcp ? m.vs.spec?.tcp : m.vs.spec?.http) ?? []) as HTTPRoute[];
      const skipped = routes.slice(0, m.number - 1).map((r, i) => `route ${i + 1} (${describeMatch(r.match)})`);
      const after = skipped.length > 0 ? `, as ${skipped.join(' and ')} ${skipped.length > 1 ? 'do' : 'does'} not match` : '';
      text = `${m.tcp ? 'TCP ' : ''}route ${m.number} of VirtualService ${m.vs.metadata.name} (${describeMatch(m.route.match)})${to}${after}`;
      byHost.set(hopHost, text);
    }
    return text;
  }

  /** What a matched route does: faults, redirect, rewrite, headers, mirror; then the destination. */
  private apply(t: HopTally, source: Source, request: HttpRequest, m: Matched, destination: HTTPRouteDestination | undefined, order: readonly number[], onPath: readonly string[]): number {
    const route = m.route;
    const ns = m.vs.metadata.namespace ?? 'default';
    const target = destination ? targetOf(destination, ns) : undefined;
    t.note(RANK.route + m.number / 1000, this.describeRoute(m, target?.host ?? ''), true);
    for (const a of m.assumed) t.note(RANK.assumed, `route ${m.number}: ${a} cannot be checked offline; taken as matching`);

    const abort = route.fault?.abort;
    if (abort) {
      const percent = abort.percentage?.value ?? 100;
      if (abort.httpStatus === undefined) {
        t.note(RANK.fault, 'fault abort with a gRPC or HTTP/2 error: not evaluated');
      } else {
        t.note(RANK.fault, `fault: abort ${abort.httpStatus} for ${percent}% of requests${route.retries ? ' (aborted requests are not retried: the fault filter answers before the router)' : ''}`);
        if (this.random.percent(percent)) return t.end(`aborted ${abort.httpStatus}`, abort.httpStatus);
      }
    }
    const delay = route.fault?.delay;
    if (delay?.fixedDelay) {
      const percent = delay.percentage?.value ?? 100;
      t.note(RANK.fault, `fault: delay ${delay.fixedDelay} for ${percent}% of requests`);
      if (this.random.percent(percent)) increment(t.delayed, delay.fixedDelay);
    }
    if (route.redirect) {
      const r = route.redirect;
      const code = r.redirectCode ?? 301;
      t.note(RANK.path, `redirect to ${r.authority ?? ''}${r.uri ?? request.path}`);
      return t.end(`redirect ${code}`, code);
    }
    if (route.directResponse) {
      return t.end(`direct response ${route.directResponse.status}`, route.directResponse.status ?? 200);
    }
    if (route.delegate) {
      t.note(RANK.route, `route ${m.number} delegates to VirtualService ${route.delegate.name}: not followed`);
      return t.end('delegated (not followed) 503', 503);
    }
    if (!destination || !target) return t.end('no destination 503', 503);

    let next = request;
    if (route.rewrite?.uri !== undefined) {
      const path = rewritePath(request.path, m.block, route.rewrite.uri);
      t.note(RANK.path, `path ${request.path} rewritten to ${path}`, true);
      next = { ...next, path };
    }
    if (route.rewrite?.authority) t.note(RANK.path, `authority rewritten to ${route.rewrite.authority}`);
    const ops = route.headers?.request;
    if (ops && (ops.set || ops.add || ops.remove)) {
      const headers = new Map(next.headers);
      for (const [k, v] of Object.entries({ ...ops.set, ...ops.add })) headers.set(k.toLowerCase(), v);
      for (const k of ops.remove ?? []) headers.delete(k.toLowerCase());
      const changes = [...Object.entries({ ...ops.set, ...ops.add }).map(([k, v]) => `${k}: ${v}`), ...(ops.remove ?? []).map((k) => `remove ${k}`)];
      t.note(RANK.path, `request headers: ${changes.join(', ')}`);
      next = { ...next, headers };
    }
    if (route.corsPolicy) t.note(RANK.path, 'corsPolicy: answers CORS preflights (OPTIONS with Origin) at the sidecar; not evaluated');
    if (route.timeout) t.note(RANK.timeout, `timeout ${route.timeout} (not simulated: how long the app takes is not known)`);
    if (route.retries) {
      const r = route.retries;
      t.note(RANK.timeout, (r.attempts ?? 0) === 0 && r.attempts !== undefined
        ? 'retries: off'
        : `retries: up to ${r.attempts ?? 2} attempts${r.perTryTimeout ? `, ${r.perTryTimeout} per try` : ''}${r.retryOn ? `, on ${r.retryOn}` : ''} (not simulated: failures of the app are not known)`);
    }
    if (route.mirror) {
      const percent = route.mirrorPercentage?.value ?? 100;
      const mirrorHost = qualifyHost(route.mirror.host ?? '', ns);
      const destHost = target.host;
      const where = mirrorHost === destHost && route.mirror.subset ? route.mirror.subset : `${this.shortName(mirrorHost)}${route.mirror.subset ? ` ${route.mirror.subset}` : ''}`;
      t.note(RANK.mirror, `mirror: a copy of ${percent}% of requests to ${where} (its answers are discarded; the copies are not followed further)`);
      if (this.random.percent(percent)) increment(t.mirrored, where);
    }
    return this.deliver(t, source, next, target, order, onPath);
  }

  /** The request reaches a pod of the target (subset, load balancing), which authorizes it, then calls on. */
  private deliver(t: HopTally, source: Source, request: HttpRequest, target: Target, order: readonly number[], onPath: readonly string[]): number {
    const service = this.cluster.services.get(target.host);
    if (!service) {
      if (this.cluster.isExternal(target.host)) return t.end(`leaves the mesh to ${target.host} 200`, 200);
      t.note(RANK.route, `${target.host} is not a Service of the lab`);
      return t.end('no such host 503', 503);
    }
    const upstream = this.upstream(service, source.sidecar ? target.subset : undefined, source.sidecar);
    if (upstream.missingSubset) {
      t.note(RANK.route, `subset ${target.subset} is not defined in a DestinationRule for ${service.name}: Envoy has no cluster for it`);
      return t.end('no subset 503', 503);
    }
    const { dr, subset, pods } = upstream;
    if (pods.length === 0) {
      t.note(RANK.route, `no pod of ${service.name}${target.subset ? ` has the labels of subset ${target.subset}` : ' exists'}`);
      return t.end('no healthy upstream 503', 503);
    }
    const port = target.port ?? service.ports[0]?.port;
    const policy = source.sidecar ? effectivePolicy(dr, subset, port) : {};
    const pod = this.pickPod(t, pods, policy, request, source);
    increment(t.versions, pod.version);
    increment(t.pods, pod.name);
    if (policy.connectionPool) t.note(RANK.pool, `connectionPool ${flatten(policy.connectionPool).join(', ')} (answers 503 beyond these under concurrent load, which the preview does not model)`);
    if (policy.outlierDetection) t.note(RANK.pool, `outlierDetection ${flatten(policy.outlierDetection).join(', ')} (ejects failing pods over time, which the preview does not model)`);

    if (!pod.sidecar) {
      t.note(RANK.mtls, `${service.name} ${pod.version} has no sidecar: no policy is enforced there`);
    } else {
      if (!source.principal && this.peerMode(pod) === 'STRICT') {
        t.note(RANK.mtls, `PeerAuthentication STRICT at ${service.name} ${pod.version}: a caller without a sidecar sends plain text, the connection is reset`);
        return t.end('reset (mTLS STRICT)', RESET);
      }
      const decision = this.authorize(service, pod, request, source, port);
      if (decision.reason) t.note(RANK.authz, decision.reason, true);
      for (const a of decision.assumed) t.note(RANK.assumed, `AuthorizationPolicy: ${a} cannot be checked offline; taken as matching`);
      if (!decision.allowed) return t.end('denied 403', 403);
      this.noteFilters(t, service, pod);
    }
    return this.callAll(service.name, pod, request, order, onPath.includes(service.name) ? onPath : [...onPath, service.name]);
  }

  /** The DestinationRule, subset and pods of a host and subset (the same for every request). */
  private upstream(service: KubeService, subsetName: string | undefined, withRules: boolean): Upstream {
    return memo(this.upstreams, `${service.host}|${subsetName ?? ''}|${withRules}`, () => {
      const dr = withRules ? this.cluster.destinationRule(service.host) : undefined;
      const subset = subsetName === undefined ? undefined : (dr?.spec?.subsets as Subset[] | undefined)?.find((s) => s.name === subsetName);
      if (subsetName !== undefined && !subset) return { dr, pods: [], missingSubset: true };
      return { dr, subset, pods: this.cluster.podsOf(service, subset?.labels ?? {}), missingSubset: false };
    });
  }

  /** A pod of the candidates: uniform (every simple policy spreads evenly in expectation), or by consistent hash. */
  private pickPod(t: HopTally, pods: readonly Pod[], policy: TrafficPolicy, request: HttpRequest, source: Source): Pod {
    const lb = policy.loadBalancer;
    if (lb?.simple) t.note(RANK.balance, `loadBalancer ${lb.simple}: requests spread evenly over the pods in expectation`);
    const hash = lb?.consistentHash;
    if (hash) {
      let key: string | undefined;
      let what: string;
      if (hash.httpHeaderName) {
        what = `header ${hash.httpHeaderName}`;
        key = request.headers.get(hash.httpHeaderName.toLowerCase());
      } else if (hash.useSourceIp) {
        what = 'the source IP';
        key = source.pod;
      } else if (hash.httpQueryParameterName) {
        what = `query parameter ${hash.httpQueryParameterName}`;
        key = queryOf(request.path).get(hash.httpQueryParameterName);
      } else {
        what = `cookie ${hash.httpCookie?.name ?? ''}`;
        const cookie = request.headers.get('cookie') ?? '';
        key = cookie.split(';').map((c) => c.trim().split('=')).find(([k]) => k === hash.httpCookie?.name)?.[1];
      }
      t.note(RANK.balance, key === undefined
        ? `loadBalancer consistentHash on ${what}: the request has none, so any pod`
        : `loadBalancer consistentHash on ${what}: every request with the same value reaches the same pod`);
      if (key !== undefined) return pods[hashString(key) % pods.length];
    }
    return pods.length === 1 ? pods[0] : pods[this.random.index(pods.length)];
  }

  /** The mTLS mode at a pod: its workload's PeerAuthentication, else its namespace's, else the mesh's; PERMISSIVE by default. */
  private peerMode(pod: Pod): string {
    const all = this.cluster.peerAuthentications;
    const ns = (p: Manifest) => p.metadata.namespace ?? 'default';
    const hasSelector = (p: Manifest) => Object.keys(p.spec?.selector?.matchLabels ?? {}).length > 0;
    const levels = [
      all.filter((p) => ns(p) === pod.namespace && hasSelector(p) && selects(p.spec.selector.matchLabels, pod.labels)),
      all.filter((p) => ns(p) === pod.namespace && !hasSelector(p)),
      all.filter((p) => ns(p) === ROOT_NAMESPACE && !hasSelector(p)),
    ];
    for (const level of levels) {
      const mode = level[0]?.spec?.mtls?.mode;
      if (mode && mode !== 'UNSET') return mode;
    }
    return 'PERMISSIVE';
  }

  /** The AuthorizationPolicies at a pod and where a RequestAuthentication there reads tokens from. */
  private policiesAt(pod: Pod): PodPolicies {
    return memo(this.podPolicies, pod.name, () => {
      const tokenHeaders = new Set(['authorization']);
      const tokenParams = new Set<string>();
      for (const ra of this.cluster.requestAuthentications) {
        const ns = ra.metadata.namespace ?? 'default';
        if ((ns !== pod.namespace && ns !== ROOT_NAMESPACE) || !selects(ra.spec?.selector?.matchLabels, pod.labels)) continue;
        for (const rule of ra.spec?.jwtRules ?? []) {
          for (const h of rule.fromHeaders ?? []) tokenHeaders.add(String(h.name).toLowerCase());
          for (const p of rule.fromParams ?? []) tokenParams.add(p);
        }
      }
      return { policies: policiesFor(this.cluster, pod), tokenHeaders: [...tokenHeaders], tokenParams: [...tokenParams] };
    });
  }

  private authorize(service: KubeService, pod: Pod, request: HttpRequest, source: Source, port: number | undefined): AuthzDecision {
    const { policies, tokenHeaders, tokenParams } = this.policiesAt(pod);
    if (policies.length === 0) return NO_POLICY;
    const servicePort = service.ports.find((p) => p.port === port) ?? service.ports[0];
    const target = servicePort?.targetPort;
    const workloadPort = typeof target === 'number' ? target : (target !== undefined ? pod.ports[target] : undefined) ?? servicePort?.port ?? 0;
    const query = tokenParams.length > 0 ? queryOf(request.path) : undefined;
    const req: AuthzRequest = {
      source,
      request,
      port: workloadPort,
      hosts: [service.name, service.host, `${service.name}.${service.namespace}`].map((h) => h.toLowerCase()),
      hasToken: tokenHeaders.some((h) => request.headers.has(h)) || tokenParams.some((p) => query!.has(p)),
    };
    return authorize(policies, req);
  }

  /** EnvoyFilters on the pod: a local rate limit is described, others named. */
  private noteFilters(t: HopTally, service: KubeService, pod: Pod): void {
    for (const f of this.cluster.envoyFilters) {
      const ns = f.metadata.namespace ?? 'default';
      if ((ns !== pod.namespace && ns !== ROOT_NAMESPACE) || !selects(f.spec?.workloadSelector?.labels, pod.labels)) continue;
      const limit = (f.spec?.configPatches ?? [])
        .map((p: { patch?: { value?: { name?: string; typed_config?: Record<string, any> } } }) => p.patch?.value) // eslint-disable-line @typescript-eslint/no-explicit-any
        .find((v: { name?: string } | undefined) => v?.name === 'envoy.filters.http.local_ratelimit');
      const bucket = limit?.typed_config?.value?.token_bucket ?? limit?.typed_config?.token_bucket;
      t.note(RANK.filter, bucket
        ? `local rate limit at ${service.name} ${pod.version} (EnvoyFilter ${f.metadata.name}): ${requestsText(bucket.max_tokens)} at once, ${bucket.tokens_per_fill ?? 1} more every ${bucket.fill_interval}; beyond that 429 (depends on the request rate, which the preview does not model)`
        : `EnvoyFilter ${f.metadata.name} applies at ${service.name} ${pod.version}: not evaluated`);
    }
  }
}

/**
 * Sends `requests` requests through the manifests, from `from`, and counts per hop where
 * they go and what happens to them. Pure: the same input gives the same result.
 */
export function evaluate(input: ExplainInput): Explanation {
  return new Walk(new Cluster(input.manifests), input).run();
}

/** Whether the manifests hold a Gateway on the ingress gateway (so requests can start at `ingress`). */
export function hasIngressGateway(manifests: readonly Manifest[]): boolean {
  return new Cluster(manifests).ingressGateways().length > 0;
}

/**
 * The first path the routes bound to the ingress Gateways name (an exact path or a prefix),
 * so a preview from `ingress` follows the lab's own entry (`/customer`, `/env`, `/fft`).
 */
export function firstIngressPath(manifests: readonly Manifest[]): string | undefined {
  const cluster = new Cluster(manifests);
  const keys = cluster.ingressGateways().map(gatewayKey);
  for (const vs of cluster.virtualServices) {
    const ns = vs.metadata.namespace ?? 'default';
    if (!(vs.spec?.gateways ?? []).some((g: string) => keys.includes(resolveGateway(g, ns)))) continue;
    for (const route of (vs.spec?.http ?? []) as HTTPRoute[]) {
      for (const m of route.match ?? []) {
        const uri = m.uri as { exact?: string; prefix?: string } | undefined;
        const path = uri?.exact ?? uri?.prefix;
        if (path?.startsWith('/')) return path;
      }
    }
  }
  return undefined;
}
