import type { HTTPRouteDestination } from '../../imports/istio';
import { Manifest, specOf } from '../validate/manifest';
import { destinationRule as destinationRuleView, service as serviceView, virtualService } from '../validate/views';
import { AuthzDecision, AuthzRequest, authorize, gatewayPoliciesFor, policiesFor, waypointPoliciesFor } from './authz';
import { re2ReplaceAll } from '../istio/re2';
import { GatewayApiReading, usesGatewaySemantics } from '../istio/gateway-api';
import { qualifyHost } from '../istio/resolve';
import { Cluster, GatewayBehind, INGRESS_GATEWAY_LABELS, KubeService, Pod, ROOT_NAMESPACE } from './cluster';
import { describeRetries, durationMs, faultOf, mirrorsOf, msText, retriable, retryPolicyOf } from './faults';
import { IngressPlan, planIngress } from './ingress';
import { MatchContext, describeMatch, matchBlock } from './match';
import { filterNotes, isTcpPort, peerMode, sidecarFaultOf, tokenSources, tokensOf } from './policy';
import { Random } from './random';
import { HttpRequest, Source, pathOnly, queryOf } from './request';
import { Route, RouteEntry, gatewayRoutes, meshRouting, routesOf, waypointRouting } from './route';
import { Explanation, HopTally, RouteDecision, compareOrder, increment } from './tally';
import { Upstream, effectivePolicy, flatten, pickPod, upstreamOf } from './upstream';
import { hostMatchScore, namespaceOf, visibleVirtualServices } from './visibility';

export { firstIngressPath, hasIngressGateway } from './ingress';

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
  proxy: 'gateway',
};

/** What the preview runs: the manifests, the call graph, and the requests. */
export interface ExplainInput {
  readonly manifests: readonly Manifest[];
  /** The namespace the names of the call graph are written in (a short name is a Service there). */
  readonly namespace: string;
  /** Who calls whom: service and client names to the services they call, in order. */
  readonly callees: ReadonlyMap<string, readonly string[]>;
  /** `ingress`, or a service or client of the call graph. */
  readonly from: string;
  /** The pods requests start from, when `from` is not a name of the call graph's namespace (a Deployment elsewhere). */
  readonly fromPods?: readonly Pod[];
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

/**
 * How a call ended for the caller: the status, the time it took (only injected delays take
 * time), and whether the caller's own proxy answered it (a local reply, which its router
 * does not retry).
 */
interface Outcome {
  readonly status: number;
  readonly ms: number;
  readonly local?: boolean;
}

/** A route the request matched, in the VirtualService it came from. */
interface Matched extends RouteEntry {
  readonly assumed: readonly string[];
}

/** Where a request is sent: a host, maybe a subset, a port. */
interface Target {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  /**
   * Whether the route comes from the Gateway API: a backend that is no Service then answers 500,
   * not 503 (istio/istio pilot/pkg/networking/core/route/route.go applyHTTPRouteDestination sets
   * ClusterNotFoundResponseCode INTERNAL_SERVER_ERROR under UseGatewaySemantics).
   */
  readonly gatewaySemantics?: boolean;
}

/** A route destination as a target, its host qualified from the VirtualService's namespace. */
function targetOf(d: HTTPRouteDestination, namespace: string, gatewaySemantics = false): Target {
  return { host: qualifyHost(d.destination?.host ?? '', namespace), subset: d.destination?.subset, port: d.destination?.port?.number, ...(gatewaySemantics && { gatewaySemantics }) };
}

/**
 * A converted rule's match as its HTTPRoute wrote it: without the parentRef's port istiod adds to
 * every match and the default path prefix `/`.
 */
function ruleMatch(block: NonNullable<RouteEntry['block']>): NonNullable<RouteEntry['block']> {
  const { port: _port, ...rest } = block;
  const uri = rest.uri as { prefix?: string } | undefined;
  return uri?.prefix === '/' ? { ...rest, uri: undefined } : rest;
}

/** Where a converted route came from: its HTTPRoute and rule (lib/istio/gateway-api.ts sets it). */
type RuleOrigin = { readonly route: string; readonly rule: number };
const originOf = (r: Route): RuleOrigin | undefined => (r as Route & { meshlabRule?: RuleOrigin }).meshlabRule;

const NO_POLICY: AuthzDecision = { allowed: true, assumed: [] };
/** No RequestAuthentication: tokens are read from no header but `authorization`, which ztunnel does not see anyway. */
const NO_TOKENS = { headers: [] as string[], params: [] as string[] };

/** The path after `rewrite.uri`: a matched prefix is replaced, else the whole path (Envoy's prefix_rewrite). */
function rewritePath(path: string, block: RouteEntry['block'], uri: string): string {
  const m = block?.uri as { exact?: string; prefix?: string; regex?: string } | undefined;
  if (m?.prefix !== undefined) return uri + path.slice(m.prefix.length);
  if (m?.exact !== undefined || m?.regex !== undefined) {
    const q = path.indexOf('?');
    return q < 0 ? uri : uri + path.slice(q);
  }
  return uri + path.slice(1);
}

/** The `:authority` an app sends to a Service it calls by name: the name, and the port unless it is 80. */
const authorityFor = (name: string, port: number | undefined) => (port === undefined || port === 80 ? name : `${name}:${port}`);

/** Walks N requests through the manifests and counts what happens at each hop. */
class Walk {
  private readonly tallies = new Map<string, HopTally>();
  private readonly random: Random;
  private readonly routeNotes = new Map<unknown, Map<string, string>>();
  private readonly routing = new Map<string, ReturnType<typeof meshRouting>>();
  private readonly upstreams = new Map<string, Upstream>();
  private readonly podPolicies = new Map<string, { policies: Manifest[]; headers: string[]; params: string[] }>();
  /** Per waypoint and Service host: the policies it attaches there and where its RequestAuthentications read tokens. */
  private readonly waypointPolicies = new Map<string, { policies: Manifest[]; headers: string[]; params: string[] }>();
  /** Per pod (and the Service it was reached by): its EnvoyFilters' notes and the fault its sidecar injects. */
  private readonly podFilters = new Map<string, { notes: string[]; fault: ReturnType<typeof sidecarFaultOf> }>();
  /** Per host no file's Service has: the gateway behind it, if a gateway's Service. */
  private readonly gatewaysBehind = new Map<string, GatewayBehind | undefined>();
  /** Every routing decision, once per hop, proxy and call (decide). */
  private readonly decisions = new Map<string, RouteDecision>();
  /** Per gateway, authority and port: the routes bound to it (gatewayRoutes). */
  private readonly gatewayPlans = new Map<string, ReturnType<typeof gatewayRoutes>>();
  private ingress: IngressPlan | undefined;

  public constructor(private readonly cluster: Cluster, private readonly input: ExplainInput) {
    this.random = new Random(input.seed);
  }

  public run(): Explanation {
    const statuses = new Map<string, number>();
    const start = this.input.from === INGRESS ? undefined : this.input.fromPods ?? this.workloadPods(this.input.from);
    for (let i = 0; i < this.input.requests; i++) {
      const { status } = start ? this.fromWorkload(this.input.from, start) : this.fromIngress();
      increment(statuses, status === RESET ? 'reset' : String(status));
    }
    const hops = [...this.tallies.values()].sort((a, b) => compareOrder(a.order, b.order)).map((t) => t.result());
    const endToEnd = [...statuses.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([name, count]) => ({ name, count }));
    return { requests: this.input.requests, hops, endToEnd, decisions: [...this.decisions.values()] };
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

  /** Ends the hop's request with an outcome the report counts. */
  private end(t: HopTally, outcome: string, status: number, ms: number, local = true): Outcome {
    t.end(outcome, status);
    return { status, ms, local };
  }

  /** The name a report gives a host: the Service's name in the call graph's namespace, else the host. */
  private shortName(host: string): string {
    const s = this.cluster.services.get(host);
    if (!s) return host;
    return s.namespace === this.input.namespace ? s.name : `${s.name}.${s.namespace}`;
  }

  /** The host a name written by an app resolves to: a Service in the caller's namespace, `name.namespace`, or the name itself. */
  private resolveCallee(name: string, namespace: string): string {
    const service = this.cluster.index.serviceDialed(name, namespace);
    return service ? qualifyHost(service.metadata.name, namespaceOf(service)) : qualifyHost(name, namespace);
  }

  private fromWorkload(name: string, pods: readonly Pod[]): Outcome {
    const pod = pods.length === 1 ? pods[0] : pods[this.random.index(pods.length)];
    return this.callAll(name, pod, this.input.request, [], [name]);
  }

  /**
   * A pod calls every service its service calls, in order; the first failure is what it
   * answers, after the time all its calls took. A call back to a service already on the
   * request's path (a loop) is not followed.
   */
  private callAll(name: string, pod: Pod, request: HttpRequest, order: readonly number[], onPath: readonly string[]): Outcome {
    const source: Source = { name, namespace: pod.namespace, labels: pod.labels, sidecar: pod.sidecar, ...(pod.ambient && { ambient: true }), principal: pod.principal, pod: pod.name };
    let status = 200;
    let ms = 0;
    (this.input.callees.get(name) ?? []).forEach((callee, i) => {
      if (onPath.includes(callee)) return;
      const o = this.call(source, callee, request, [...order, i], [...onPath, callee]);
      ms += o.ms;
      if (status === 200) status = o.status;
    });
    return { status, ms };
  }

  /** Requests entering through the ingress gateway: the Gateway's servers, then the routes bound to it for the host. */
  private fromIngress(): Outcome {
    const request = this.input.request;
    const authority = request.headers.get('host');
    this.ingress ??= planIngress(this.cluster, this.cluster.virtualServices, authority);
    const { gateways, served, port, bound, entries, gatewayOf } = this.ingress;
    if (served.length === 0) {
      const t = this.tally(INGRESS, NO_DESTINATION, [-1]);
      t.reached++;
      t.note(RANK.route, `no HTTP server of Gateway ${gateways.map((g) => this.gatewayName(g)).join(', ')} accepts host ${authority ?? '(none given: only * matches; give --header host=...)'}`);
      return this.end(t, 'no route 404', 404, 0);
    }
    for (const entry of entries) {
      const source = this.ingressSource(gatewayOf.get(entry)!);
      const ctx: MatchContext = { request, gateway: gatewayOf.get(entry)!, namespace: namespaceOf(entry.vs), port, source, authority, gatewaySemantics: usesGatewaySemantics(entry.vs) };
      const result = matchBlock(entry.block ?? {}, ctx);
      if (!result.matched) continue;
      const matched: Matched = { ...entry, assumed: result.assumed };
      const destination = this.pickDestination(entry.route);
      const to = destination ? this.shortName(targetOf(destination, namespaceOf(entry.vs)).host) : NO_DESTINATION;
      const t = this.tally(INGRESS, to, destination ? [bound.indexOf(entry.vs) + 1, entry.number] : [-1]);
      t.reached++;
      for (const n of this.ingress.notes) t.note(RANK.route, n);
      const name = destination ? to : NO_DESTINATION;
      this.decide(t, source, request, matched, port, authority ?? '*');
      return this.apply(t, source, request, matched, destination, t.order, [], entry.route.rewrite?.authority ?? authority ?? name);
    }
    const t = this.tally(INGRESS, NO_DESTINATION, [-1]);
    t.reached++;
    const names = bound.map((vs) => this.routeSource(vs)).join(', ');
    t.note(RANK.route, names ? `no route of ${names} matches ${request.method} ${request.path}` : `no ${served.some((g) => this.cluster.index.gatewayApi.originOf(g)) ? 'route' : 'VirtualService'} is bound to Gateway ${served.map((g) => this.gatewayName(g)).join(', ')} for this host`);
    return this.end(t, 'no route 404', 404, 0);
  }

  /** A call from a pod (or a caller without a sidecar) to a service, by the name its app uses. */
  private call(source: Source, serviceName: string, request: HttpRequest, order: readonly number[], onPath: readonly string[]): Outcome {
    const host = this.resolveCallee(serviceName, source.namespace);
    const t = this.tally(source.name, serviceName, order);
    t.reached++;
    const service = this.cluster.services.get(host);
    const port = service?.ports[0]?.port ?? 80;
    const tcp = isTcpPort(service?.ports[0]);
    const authority = authorityFor(serviceName, port);
    if (!source.sidecar && source.ambient) return this.viaZtunnel(t, source, host, request, order, onPath, authority, port, tcp);
    if (!source.sidecar) {
      t.note(RANK.caller, `${source.name} has no sidecar: no VirtualService or DestinationRule applies, kube-proxy picks any pod`);
      return this.deliver(t, source, request, { host }, order, onPath, authority);
    }
    const proxy = { gateway: 'mesh', labels: source.labels, namespace: source.namespace, port };
    const key = `${host}|${source.namespace}|${JSON.stringify(source.labels)}|${port}|${tcp}`;
    const routing = memo(this.routing, key, () => meshRouting(this.cluster.virtualServices, host, proxy, tcp));
    if (routing) this.noteRivals(t, routing.vs, host, source.namespace, tcp);
    if (!routing && !this.cluster.serviceFor(host, source.namespace) && service) {
      // A Service not exported to the caller's namespace has no listener or route in its sidecar.
      // Under Istio's default outboundTrafficPolicy ALLOW_ANY the request falls to the
      // PassthroughCluster (istio/istio pilot/pkg/networking/core/httproute.go: the allow_any
      // virtual host when util.IsAllowAnyOutbound; listener_builder.go likewise for TCP): plain
      // text, no DestinationRule, and kube-proxy picks any pod. Mesh config is not read here.
      t.note(RANK.route, `Service ${service.name}.${service.namespace} is not exported to ${source.namespace} (exportTo): the sidecar passes the call through (ALLOW_ANY, Istio's default) as plain text, no DestinationRule applies, kube-proxy picks any pod`, true);
      return this.deliver(t, { ...source, sidecar: false, principal: undefined }, request, { host }, order, onPath, authority);
    }
    if (!routing) {
      const named = visibleVirtualServices(this.cluster.virtualServices, source.namespace, 'mesh')
        .filter((vs) => virtualService(vs).hosts.some((h) => hostMatchScore(qualifyHost(h, namespaceOf(vs)), host) >= 0));
      t.note(RANK.route, named.length > 0
        ? `${named.map((vs) => this.routeSource(vs)).join(', ')} ${named.length > 1 ? 'have' : 'has'} no route for ${source.name} (sourceLabels, gateways, port${named.some(usesGatewaySemantics) ? ', an HTTPRoute of another namespace' : ''}): default routing, any pod of the Service`
        : `no VirtualService for ${serviceName}: any pod of the Service`, true);
      this.decide(t, source, request, undefined, port, authority, { host, port, tcp });
      return tcp ? this.deliver(t, source, request, { host }, order, onPath, authority) : this.router(t, source, request, undefined, { host }, order, onPath, authority, 0);
    }
    for (const n of routing.notes) t.note(RANK.route, n);
    const ctx: MatchContext = { request, gateway: 'mesh', namespace: namespaceOf(routing.vs), port, source, authority: undefined, gatewaySemantics: usesGatewaySemantics(routing.vs) };
    for (const entry of routing.entries) {
      const result = matchBlock(entry.block ?? {}, ctx);
      if (result.matched) {
        this.decide(t, source, request, entry, port, authority);
        return this.apply(t, source, request, { ...entry, assumed: result.assumed }, this.pickDestination(entry.route), order, onPath, authority);
      }
    }
    t.note(RANK.route, `no route of ${this.routeSource(routing.vs)} matches ${request.method} ${request.path}`);
    return this.end(t, 'no route 404', 404, 0);
  }

  /**
   * Who sends what enters through a Gateway (`namespace/name`): the demo profile's ingress
   * gateway, or for a listener of a Gateway API Gateway the gateway Istio deploys for it, in the
   * Gateway's namespace, labelled with its name, running as ServiceAccount `<gateway>-istio`
   * (istio/istio pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go GetDefaultName: `<name>-<class>`).
   */
  private ingressSource(gatewayKey: string): Source {
    const converted = this.cluster.index.gatewayApi.istioGateways.find((g) => `${namespaceOf(g)}/${g.metadata.name}` === gatewayKey);
    const origin = converted && this.cluster.index.gatewayApi.originOf(converted);
    if (!origin) return INGRESS_SOURCE;
    const ns = namespaceOf(converted);
    const name = origin.slice(origin.indexOf('/') + 1);
    const gateway = this.cluster.index.gatewayApi.gateways.get(`${ns}/${name}`)!;
    return {
      name: INGRESS, namespace: ns, labels: { 'gateway.networking.k8s.io/gateway-name': name }, sidecar: true,
      principal: `cluster.local/ns/${ns}/sa/${GatewayApiReading.deployedAccount(gateway)}`, pod: `${name}-istio`, proxy: 'gateway',
    };
  }

  /** `VirtualService name`, or the HTTPRoute (or TCPRoute) istiod made a VirtualService of. */
  private routeSource(vs: Manifest): string {
    const origin = usesGatewaySemantics(vs) ? this.cluster.index.gatewayApi.originOf(vs) : undefined;
    if (!origin) return `VirtualService ${vs.metadata.name}`;
    return origin.split(', ').map((o) => o.replace(` ${this.input.namespace}/`, ' ')).join(', ');
  }

  /** A Gateway's name, or the Gateway API Gateway and listener istiod made it of. */
  private gatewayName(g: Manifest): string {
    const origin = this.cluster.index.gatewayApi.originOf(g);
    if (!origin) return g.metadata.name;
    const name = origin.slice(origin.indexOf('/') + 1);
    return `${name} (listener ${g.metadata.name.slice(`${name}-istio-autogenerated-k8s-gateway-`.length)})`;
  }

  /**
   * When a VirtualService and an HTTPRoute both route a host for the mesh, a sidecar takes the
   * routes of one only, the first in its order (route.ts meshRouting): HTTPRoutes of its own
   * namespace, then the oldest (pilot/pkg/model/virtualservice.go SelectVirtualServices; the
   * sidecar keeps the first virtual host of a domain, httproute.go). Say which won.
   */
  private noteRivals(t: HopTally, winner: Manifest, host: string, namespace: string, tcp: boolean): void {
    const rivals = visibleVirtualServices(this.cluster.virtualServices, namespace, 'mesh')
      .filter((vs) => vs !== winner && usesGatewaySemantics(vs) !== usesGatewaySemantics(winner) && (tcp ? specOf(vs).tcp : specOf(vs).http))
      .filter((vs) => virtualService(vs).hosts.some((h) => qualifyHost(h, namespaceOf(vs)).toLowerCase() === host.toLowerCase()));
    if (rivals.length === 0) return;
    t.note(RANK.route, `${this.routeSource(winner)} and ${rivals.map((vs) => this.routeSource(vs)).join(', ')} both route ${this.shortName(host)}: the caller's sidecar applies only ${this.routeSource(winner)} (an HTTPRoute of the caller's namespace first, else the oldest, then by name); the other's routes are ignored`);
  }

  /**
   * A call from a pod in ambient mode: ztunnel captures it. When the Service (or its namespace)
   * is enrolled in a waypoint that exists, ztunnel sends the request there and the waypoint
   * applies the routes (HTTPRoutes with the Service as parent, and VirtualServices) and the
   * DestinationRules; else ztunnel delivers it at L4, to any pod, and no route applies
   * (pilot/pkg/serviceregistry/ambient/waypoints.go; conversion.go MissingUseWaypointLabel:
   * "in ambient mode, route will not be respected").
   */
  private viaZtunnel(t: HopTally, source: Source, host: string, request: HttpRequest, order: readonly number[], onPath: readonly string[], authority: string, port: number, tcp: boolean): Outcome {
    // A ServiceEntry's host is bound to a waypoint as a Service is (its label, else its namespace's).
    const entry = this.cluster.index.services.has(host) ? undefined : this.cluster.index.findHost(host, source.namespace);
    const service = this.cluster.index.services.get(host) ?? (entry?.kind === 'ServiceEntry' ? entry.object : undefined);
    const binding = service ? this.cluster.index.gatewayApi.waypointFor(service) : undefined;
    const routed = this.cluster.virtualServices.filter((vs) => this.cluster.index.isMeshBound(vs) &&
      virtualService(vs).hosts.some((h) => qualifyHost(h, namespaceOf(vs)).toLowerCase() === host.toLowerCase()));
    if (!binding?.gateway) {
      const why = !binding ? `neither ${service?.kind ?? 'Service'} ${service?.kind === 'ServiceEntry' ? service.metadata.name : this.shortName(host)} nor its namespace has the istio.io/use-waypoint label`
        : `istio.io/use-waypoint on its ${binding.via} names waypoint ${binding.namespace}/${binding.name}, which the files do not hold`;
      const unused = routed.length > 0 ? `; ${routed.map((vs) => this.routeSource(vs)).join(', ')} ${routed.length > 1 ? 'are' : 'is'} not applied` : '';
      t.note(RANK.caller, `${source.name} is in ambient mode and ${why}: ztunnel is L4, delivers to any pod of the Service${unused}`, true);
      return this.deliver(t, { ...source, sidecar: false }, request, { host }, order, onPath, authority);
    }
    const wp = binding.gateway;
    const via = `${source.name} is in ambient mode: ztunnel sends the request to waypoint ${this.waypointName(wp)} (istio.io/use-waypoint on the ${binding.via === 'Service' ? service!.kind : binding.via})`;
    return this.throughWaypoint(t, wp, via, source, host, request, order, onPath, authority, port, tcp);
  }

  private waypointName(wp: Manifest): string {
    return `${wp.metadata.name}${namespaceOf(wp) === this.input.namespace ? '' : `.${namespaceOf(wp)}`}`;
  }

  /**
   * A request a waypoint receives from `caller` for a Service: the policies attached to it there
   * (waypointPoliciesFor, with the caller's identity, which the waypoint sees), its routes for
   * the Service (waypointRouting), then the Service's pods, which see the waypoint's identity.
   */
  private throughWaypoint(t: HopTally, wp: Manifest, via: string, caller: Source, host: string, request: HttpRequest, order: readonly number[], onPath: readonly string[], authority: string, port: number, tcp: boolean): Outcome {
    const waypointNs = namespaceOf(wp);
    const routing = waypointRouting(this.cluster.virtualServices, host, waypointNs, port, tcp);
    const waypoint: Source = {
      name: `waypoint ${wp.metadata.name}`, namespace: waypointNs, labels: { 'gateway.networking.k8s.io/gateway-name': wp.metadata.name }, sidecar: true,
      principal: `cluster.local/ns/${waypointNs}/sa/${GatewayApiReading.deployedAccount(wp)}`, pod: wp.metadata.name, proxy: 'waypoint',
    };
    const service = this.cluster.services.get(host) ?? this.externalService(host, caller.namespace);
    const { policies, ...tokens } = service
      ? memo(this.waypointPolicies, `${waypointNs}/${wp.metadata.name}|${host}`, () => ({
        policies: waypointPoliciesFor(this.cluster.authorizationPolicies, wp, service),
        ...tokensOf(waypointPoliciesFor(this.cluster.requestAuthentications, wp, service)),
      }))
      : { policies: [], headers: [], params: [] };
    if (service && policies.length > 0) {
      const decision = this.authorizeWith(policies, tokens, service, undefined, request, caller, port, authority, tcp);
      if (decision.reason) t.note(RANK.authz, `at waypoint ${this.waypointName(wp)}: ${decision.reason}`, true);
      for (const a of decision.assumed) t.note(RANK.assumed, `AuthorizationPolicy: ${a} cannot be checked offline; taken as matching`);
      if (!decision.allowed) return tcp ? this.end(t, 'reset by the waypoint', RESET, 0, false) : this.end(t, 'denied 403', 403, 0, false);
    }
    if (routing.entries.length === 0) {
      const external = !this.cluster.services.has(host) && this.cluster.isExternal(host, caller.namespace);
      t.note(RANK.caller, `${via}, which has no route for ${this.shortName(host)}: ${external ? 'it sends the request out of the mesh (an egress waypoint)' : 'any pod of the Service'}`, true);
      return tcp ? this.deliver(t, waypoint, request, { host }, order, onPath, authority) : this.router(t, waypoint, request, undefined, { host }, order, onPath, authority, 0);
    }
    const merged = routing.vss.length > 1 ? `; it merges the routes of ${routing.vss.map((vs) => this.routeSource(vs)).join(' and ')}, in that order` : '';
    t.note(RANK.caller, `${via}, which applies the routes${merged}`, true);
    for (const entry of routing.entries) {
      const ctx: MatchContext = { request, gateway: 'mesh', namespace: namespaceOf(entry.vs), port, source: waypoint, authority: undefined, gatewaySemantics: usesGatewaySemantics(entry.vs) };
      const result = matchBlock(entry.block ?? {}, ctx);
      if (result.matched) {
        this.decide(t, waypoint, request, entry, port, authority);
        return this.apply(t, waypoint, request, { ...entry, assumed: result.assumed }, this.pickDestination(entry.route), order, onPath, authority);
      }
    }
    t.note(RANK.route, `no route of ${routing.vss.map((vs) => this.routeSource(vs)).join(', ')} matches ${request.method} ${request.path}`);
    return this.end(t, 'no route 404', 404, 0);
  }

  /** A ServiceEntry's host as a waypoint sees it: a service named as the entry, with its ports, that policies may name (kind ServiceEntry). */
  private externalService(host: string, namespace: string): (KubeService & { readonly kind: 'ServiceEntry' }) | undefined {
    const entry = this.cluster.index.findHost(host, namespace);
    if (entry?.kind !== 'ServiceEntry') return undefined;
    const ports = entry.ports.map((p) => ({ name: p.name, port: p.number, targetPort: p.targetPort }));
    return { kind: 'ServiceEntry', name: entry.object.metadata.name, namespace: namespaceOf(entry.object), host, selector: {}, ports };
  }

  /**
   * Records the routing decision of `source`'s proxy for a call to `host` on `port`: the route
   * matched (undefined: the Service's default route, to `fallback`) and what it does, as Istio
   * renders it (faults.ts faultOf, retryPolicyOf), once per hop, proxy and call.
   */
  private decide(t: HopTally, source: Source, request: HttpRequest, entry: RouteEntry | undefined, port: number, host: string, fallback?: { host: string; port: number; tcp: boolean }): void {
    const proxy = { kind: source.proxy ?? 'sidecar', namespace: source.namespace, labels: source.labels } as const;
    const call = { host, port, path: request.path, method: request.method, headers: Object.fromEntries(request.headers), tcp: entry?.tcp ?? fallback?.tcp ?? false };
    const key = JSON.stringify([t.from, t.to, proxy, call]);
    if (this.decisions.has(key)) return;
    if (!entry) {
      this.decisions.set(key, { from: t.from, to: t.to, proxy, call, destinations: [{ host: fallback!.host, port: fallback!.port, weight: 100 }], timeoutMs: 0, retry: fallback!.tcp ? undefined : retryPolicyOf(undefined), mirrors: [] });
      return;
    }
    const r = entry.route;
    const ns = namespaceOf(entry.vs);
    const routes = routesOf(entry.vs, entry.tcp);
    // Envoy has a route per match of a VirtualService route (route.go BuildHTTPRoutesForVirtualService).
    const before = routes.slice(0, entry.number - 1).reduce((n, x) => n + Math.max(1, x.match?.length ?? 0), 0);
    const within = entry.block ? Math.max(0, (r.match ?? []).indexOf(entry.block)) : 0;
    const origin = originOf(r);
    const all = r.route ?? [];
    const fault = entry.tcp ? undefined : faultOf(r);
    const retry = entry.tcp ? undefined : retryPolicyOf(r);
    const mirrors = mirrorsOf(r).map((m) => ({ ...m, host: qualifyHost(m.host, ns) }));
    this.decisions.set(key, {
      from: t.from, to: t.to, proxy, call,
      route: { kind: entry.vs.kind, namespace: ns, name: entry.vs.metadata.name, position: before + within + 1, ...(origin && { rule: origin }) },
      destinations: all.map((d) => ({ ...targetOf(d, ns), weight: all.length > 1 ? d.weight ?? 0 : 100 })).map(({ gatewaySemantics: _g, ...d }) => d),
      timeoutMs: durationMs(r.timeout) ?? 0,
      ...(retry && { retry: { retries: retry.retries, retryOn: retry.retryOn, ...(retry.perTryMs !== undefined && { perTryMs: retry.perTryMs }) } }),
      ...(fault && { fault: { delayMs: fault.delayMs, delayPercent: fault.delayPercent, abortStatus: fault.abortStatus, abortPercent: fault.abortPercent } }),
      mirrors,
      ...(r.redirect && { redirect: true }),
      ...(r.directResponse && { directResponse: r.directResponse.status ?? 200 }),
    });
  }

  /** One of a route's destinations, drawn by weight (a single destination without weight is 100). */
  private pickDestination(r: Route): HTTPRouteDestination | undefined {
    const destinations = r.route ?? [];
    if (destinations.length <= 1) return destinations[0];
    const weights = destinations.map((d) => d.weight ?? 0);
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0) return destinations[0];
    let x = this.random.next() * total;
    for (let i = 0; i < destinations.length; i++) {
      x -= weights[i];
      if (x < 0) return destinations[i];
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
      const ns = namespaceOf(m.vs);
      const all = m.route.route ?? [];
      const origin = originOf(m.route);
      const total = all.reduce((sum, d) => sum + (d.weight ?? 0), 0);
      // A Gateway API rule's backends are Services by name (per-version Services), its weights relative.
      const share = (d: HTTPRouteDestination) => `${Math.round(((d.weight ?? 0) * 1000) / (total || 1)) / 10}%`;
      const destinations = origin ? all.map((d) => `${this.shortName(targetOf(d, ns).host) || '(not a Service)'}${all.length > 1 ? ` ${share(d)}` : ''}`) : all.map((d) => {
        const target = targetOf(d, ns);
        // On the hop's own Service, a destination is a version; a host outside the mesh has none.
        const label = target.host === hopHost && this.cluster.services.has(hopHost) ? target.subset ?? 'any version' : `${this.shortName(target.host)}${target.subset ? ` ${target.subset}` : ''}`;
        return all.length > 1 ? `${label} ${d.weight ?? 0}%` : label;
      });
      const to = destinations.length > 0 ? ` -> ${destinations.join(', ')}` : '';
      const routes = routesOf(m.vs, m.tcp);
      const skipped = routes.slice(0, m.number - 1).map((r, i) => `route ${i + 1} (${describeMatch(r.match)})`);
      const after = skipped.length > 0 ? `, as ${skipped.join(' and ')} ${skipped.length > 1 ? 'do' : 'does'} not match` : '';
      text = origin
        ? `rule ${origin.rule} of ${origin.route.replace(` ${this.input.namespace}/`, ' ')} (${describeMatch(m.block ? [ruleMatch(m.block)] : undefined)})${to}`
        : `${m.tcp ? 'TCP ' : ''}route ${m.number} of VirtualService ${m.vs.metadata.name} (${describeMatch(m.route.match)})${to}${after}`;
      byHost.set(hopHost, text);
    }
    return text;
  }

  /**
   * What a matched route does before the router: the fault filter (a delay, then an abort,
   * each drawn on its own, as Envoy's fault filter does: fault_filter.cc delays and then
   * calls postDelayInjection, which draws the abort), a redirect or direct response; then
   * the router.
   */
  private apply(t: HopTally, source: Source, request: HttpRequest, m: Matched, destination: HTTPRouteDestination | undefined, order: readonly number[], onPath: readonly string[], authority: string): Outcome {
    const r = m.route;
    const ns = namespaceOf(m.vs);
    const gatewaySemantics = usesGatewaySemantics(m.vs);
    const target = destination ? targetOf(destination, ns, gatewaySemantics) : undefined;
    t.note(RANK.route + m.number / 1000, this.describeRoute(m, target?.host ?? ''), true);
    for (const a of m.assumed) t.note(RANK.assumed, `route ${m.number}: ${a} cannot be checked offline; taken as matching`);

    let delayMs = 0;
    const fault = faultOf(r);
    if (fault?.delayText !== undefined) {
      t.note(RANK.fault, `fault: delay ${fault.delayText} for ${fault.delayPercent}% of requests${fault.delayPercent === 0 ? ' (no percentage: Istio renders 0%)' : ''}`);
      if (this.random.percent(fault.delayPercent)) {
        delayMs = fault.delayMs ?? 0;
        increment(t.delayed, fault.delayText);
      }
    }
    if (fault?.abortOther) {
      t.note(RANK.fault, `fault abort with ${fault.abortOther}: not evaluated`);
    } else if (fault?.abortStatus !== undefined) {
      t.note(RANK.fault, `fault: abort ${fault.abortStatus} for ${fault.abortPercent}% of requests${fault.abortPercent === 0 ? ' (no percentage: Envoy aborts none)' : ''}`);
      if (fault.delayText !== undefined) t.note(RANK.fault, 'fault: the abort is drawn after the delay, on its own: a request can be delayed and then aborted');
      if (r.retries) t.note(RANK.fault, 'fault: an abort here is not retried by this route: the fault filter answers before the router');
      if (this.random.percent(fault.abortPercent)) return this.end(t, `aborted ${fault.abortStatus}`, fault.abortStatus, delayMs);
    }
    if (r.redirect) {
      const code = r.redirect.redirectCode ?? 301;
      t.note(RANK.path, `redirect to ${r.redirect.authority ?? ''}${r.redirect.uri ?? request.path}`);
      return this.end(t, `redirect ${code}`, code, delayMs);
    }
    if (r.directResponse) return this.end(t, `direct response ${r.directResponse.status}`, r.directResponse.status ?? 200, delayMs);
    if (!destination || !target) return this.end(t, 'no destination 503', 503, delayMs);

    let next = request;
    // uriRegexRewrite: Envoy's regex_rewrite on the path without its query (istio/istio route.go applyHTTPRouteDestination).
    const regexRewrite = r.rewrite?.uriRegexRewrite;
    if (regexRewrite?.match !== undefined) {
      const q = request.path.indexOf('?');
      const rewritten = re2ReplaceAll(regexRewrite.match, pathOnly(request.path), regexRewrite.rewrite ?? '');
      if (rewritten !== undefined) {
        const path = rewritten + (q < 0 ? '' : request.path.slice(q));
        t.note(RANK.path, `path ${request.path} rewritten to ${path}`, true);
        next = { ...next, path };
      }
    } else if (r.rewrite?.uri !== undefined) {
      // A prefix replaced by `/` under gateway semantics drops the prefix and keeps one `/`
      // (route.go applyHTTPRouteDestination: regex `^<prefix>(/?)(.*)` to `/\2`).
      const prefix = (m.block?.uri as { prefix?: string } | undefined)?.prefix;
      const path = gatewaySemantics && r.rewrite.uri === '/' && prefix !== undefined
        ? `/${request.path.slice(prefix.length).replace(/^\//, '')}`
        : rewritePath(request.path, m.block, r.rewrite.uri);
      t.note(RANK.path, `path ${request.path} rewritten to ${path}`, true);
      next = { ...next, path };
    }
    if (r.rewrite?.authority) t.note(RANK.path, `authority rewritten to ${r.rewrite.authority}`);
    const ops = r.headers?.request;
    if (ops && (ops.set || ops.add || ops.remove)) {
      const headers = new Map(next.headers);
      for (const [k, v] of Object.entries({ ...ops.set, ...ops.add })) headers.set(k.toLowerCase(), v);
      for (const k of ops.remove ?? []) headers.delete(k.toLowerCase());
      const changes = [...Object.entries({ ...ops.set, ...ops.add }).map(([k, v]) => `${k}: ${v}`), ...(ops.remove ?? []).map((k) => `remove ${k}`)];
      t.note(RANK.path, `request headers: ${changes.join(', ')}`);
      next = { ...next, headers };
    }
    if (r.corsPolicy) t.note(RANK.path, 'corsPolicy: answers CORS preflights (OPTIONS with Origin) at the sidecar; not evaluated');
    this.mirror(t, r, ns, target.host);
    // A TCP route is a TCP proxy: no router, so no retries or timeouts.
    if (m.tcp) return this.deliver(t, source, next, target, order, onPath, authority);
    return this.router(t, source, next, r, target, order, onPath, r.rewrite?.authority ?? authority, delayMs);
  }

  /** A route's mirrors (faults.ts mirrorsOf), each drawn on its own. */
  private mirror(t: HopTally, r: Route, ns: string, destHost: string): void {
    for (const m of mirrorsOf(r)) {
      const mirrorHost = qualifyHost(m.host, ns);
      const where = mirrorHost === destHost && m.subset ? m.subset : `${this.shortName(mirrorHost)}${m.subset ? ` ${m.subset}` : ''}`;
      t.note(RANK.mirror, `mirror: a copy of ${m.percent}% of requests to ${where} (its answers are discarded; the copies are not followed further)`);
      if (m.percent > 0 && this.random.percent(m.percent)) increment(t.mirrored, where);
    }
  }

  /**
   * Envoy's router: attempts to the target, retried by the route's retry policy (Istio's
   * default when it sets none: faults.ts retryPolicyOf) on the answers `retryOn` names, each
   * attempt drawing again whatever happens downstream; a per-try timeout ends an attempt, and
   * the route's `timeout` ends them all with 504 (its timer starts after this route's own
   * fault delay, which runs before the router). A caller without a sidecar has no router.
   */
  private router(t: HopTally, source: Source, request: HttpRequest, r: Route | undefined, target: Target, order: readonly number[], onPath: readonly string[], authority: string, delayMs: number): Outcome {
    if (!source.sidecar) return this.deliver(t, source, request, target, order, onPath, authority);
    const policy = retryPolicyOf(r);
    const timeoutMs = durationMs(r?.timeout);
    if (r?.timeout) t.note(RANK.timeout, `timeout ${r.timeout}: answers 504 when what it waits for takes longer (only injected delays take time here; the apps answer at once)`);
    if (r?.retries) t.note(RANK.timeout, describeRetries(policy));
    let elapsed = 0;
    for (let attempt = 1; ; attempt++) {
      const o = this.deliver(t, source, request, target, order, onPath, authority);
      const perTry = policy?.perTryMs !== undefined && policy.perTryMs > 0 && o.ms > policy.perTryMs;
      const status = perTry ? 504 : o.status;
      const ms = perTry ? policy!.perTryMs! : o.ms;
      if (timeoutMs !== undefined && timeoutMs > 0 && elapsed + ms > timeoutMs) {
        t.note(RANK.timeout, `timed out after ${r!.timeout} (504)`, true);
        return this.end(t, 'timeout 504', 504, delayMs + timeoutMs);
      }
      elapsed += ms;
      if (!o.local && status !== 200 && policy && attempt <= policy.retries && retriable(policy, status, perTry)) {
        t.note(RANK.timeout, `retry ${attempt} after ${perTry ? `a per-try timeout (${msText(policy.perTryMs!)})` : status}${policy.written ? '' : " (Istio's default retry policy)"}`, true);
        continue;
      }
      if (perTry) return this.end(t, 'per-try timeout 504', 504, delayMs + elapsed);
      return { status, ms: delayMs + elapsed, local: o.local };
    }
  }

  /** One attempt: the request reaches a pod of the target (subset, load balancing), which authorizes it, then calls on. */
  private deliver(t: HopTally, source: Source, request: HttpRequest, target: Target, order: readonly number[], onPath: readonly string[], authority: string): Outcome {
    // An ingress gateway sends to a Service's waypoint only when the Service (else its namespace)
    // says `istio.io/ingress-use-waypoint: true` (pilot/pkg/serviceregistry/ambient/services.go
    // ingressUseWaypointFromLabels; xds/endpoints/endpoint_builder.go); the waypoint then applies its routes.
    if (source.name === INGRESS) {
      const service = this.cluster.index.services.get(target.host);
      const binding = service && this.cluster.index.gatewayApi.ingressUsesWaypoint(service) ? this.cluster.index.gatewayApi.waypointFor(service) : undefined;
      if (binding?.gateway) {
        const port = target.port ?? serviceView(service!).ports[0]?.port ?? 80;
        const via = `the ingress gateway sends the request to waypoint ${this.waypointName(binding.gateway)} (istio.io/ingress-use-waypoint)`;
        return this.throughWaypoint(t, binding.gateway, via, source, target.host, request, order, onPath, authority, port, false);
      }
    }
    // The host as the shared index resolves it for the caller's namespace (lib/istio/index.ts), the
    // reading check and the pictures use: `web.shop` is no Service host, and a Service not exported
    // to the caller's namespace has no cluster in its sidecar, so Envoy answers 503 (no cluster). A
    // caller without a sidecar reaches any Service through kube-proxy.
    const service = source.sidecar ? this.cluster.serviceFor(target.host, source.namespace) : this.cluster.services.get(target.host);
    const behind = !service && source.sidecar ? memo(this.gatewaysBehind, target.host, () => this.cluster.gatewayBehind(target.host)) : undefined;
    if (behind) return this.throughGateway(t, behind, source, request, order, onPath, authority, target.port ?? behind.service.ports[0]?.port ?? 80);
    if (!service) {
      if (this.cluster.isExternal(target.host, source.namespace)) {
        const tls = source.sidecar ? this.originatedTls(target.host, source.namespace, target.port) : undefined;
        if (tls) t.note(RANK.route, tls);
        return this.end(t, `leaves the mesh to ${target.host} 200`, 200, 0, false);
      }
      const hidden = this.cluster.services.get(target.host);
      if (target.gatewaySemantics) {
        t.note(RANK.route, `backendRef ${target.host || '(not a Service)'} is not a Service${hidden ? ` exported to ${source.namespace}` : ''}: the route answers 500, as the Gateway API requires for an invalid backend`);
        return this.end(t, 'backend not found 500', 500, 0);
      }
      t.note(RANK.route, hidden ? `Service ${hidden.name}.${hidden.namespace} is not exported to ${source.namespace} (exportTo)` : `${target.host} is not a Service of the lab`);
      return this.end(t, 'no such host 503', 503, 0);
    }
    const upstream = memo(this.upstreams, `${service.host}|${source.sidecar ? target.subset ?? '' : ''}|${source.sidecar ? `${source.namespace}|${JSON.stringify(source.labels)}` : '-'}`,
      () => upstreamOf(this.cluster, service, source.sidecar ? target.subset : undefined, source));
    if (upstream.missingSubset) {
      t.note(RANK.route, `subset ${target.subset} is not defined in a DestinationRule for ${service.name}: Envoy has no cluster for it`);
      return this.end(t, 'no subset 503', 503, 0);
    }
    const { dr, subset, pods } = upstream;
    if (pods.length === 0) {
      t.note(RANK.route, `no pod of ${service.name}${target.subset ? ` has the labels of subset ${target.subset}` : ' exists'}`);
      return this.end(t, 'no healthy upstream 503', 503, 0);
    }
    const port = target.port ?? service.ports[0]?.port;
    const policy = source.sidecar ? effectivePolicy(dr, subset, port) : {};
    const { pod, notes } = pickPod(pods, policy, request, source, this.random);
    for (const n of notes) t.note(RANK.balance, n);
    increment(t.versions, pod.version);
    increment(t.pods, pod.name);
    if (policy.connectionPool) t.note(RANK.pool, `connectionPool ${flatten(policy.connectionPool).join(', ')} (answers 503 beyond these under concurrent load, which the preview does not model)`);
    if (policy.outlierDetection) t.note(RANK.pool, `outlierDetection ${flatten(policy.outlierDetection).join(', ')} (ejects failing pods over time, which the preview does not model)`);

    if (!pod.sidecar && pod.ambient) {
      // ztunnel on the pod's node enforces the selector policies at L4, with the identity of
      // whoever sends it the connection: the waypoint, for a call through one (istio.io docs/ambient/usage/l4-policy).
      const { policies } = this.policiesAt(pod);
      if (policies.length === 0) {
        t.note(RANK.mtls, `${service.name} ${pod.version} is in ambient mode: ztunnel delivers it, and no policy selects its pods`);
      } else {
        const decision = this.authorizeWith(policies, NO_TOKENS, service, pod, request, source, port, authority, true);
        if (decision.reason) t.note(RANK.authz, `ztunnel at ${service.name} ${pod.version}: ${decision.reason}`, true);
        if (!decision.allowed) return this.end(t, 'reset by ztunnel', RESET, 0, false);
      }
    } else if (!pod.sidecar) {
      t.note(RANK.mtls, `${service.name} ${pod.version} has no sidecar: no policy is enforced there`);
    } else {
      if (!source.principal && peerMode(this.cluster, pod) === 'STRICT') {
        t.note(RANK.mtls, `PeerAuthentication STRICT at ${service.name} ${pod.version}: a caller without a sidecar sends plain text, the connection is reset`);
        return this.end(t, 'reset (mTLS STRICT)', RESET, 0, false);
      }
      const decision = this.authorize(service, pod, request, source, port, authority);
      if (decision.reason) t.note(RANK.authz, decision.reason, true);
      for (const a of decision.assumed) t.note(RANK.assumed, `AuthorizationPolicy: ${a} cannot be checked offline; taken as matching`);
      if (!decision.allowed) return this.end(t, 'denied 403', 403, 0, false);
      const { notes, fault } = memo(this.podFilters, `${pod.namespace}/${pod.name}|${service.name}`, () => ({ notes: filterNotes(this.cluster, service, pod), fault: sidecarFaultOf(this.cluster, pod) }));
      for (const n of notes) t.note(RANK.filter, n);
      // A fault the pod's own sidecar injects (an EnvoyFilter), before the app answers.
      if (fault) {
        const what = [fault.delayText !== undefined ? `delay ${fault.delayText} for ${fault.delayPercent}%` : '', fault.abortStatus !== undefined ? `abort ${fault.abortStatus} for ${fault.abortPercent}%` : ''].filter(Boolean).join(', ');
        t.note(RANK.fault, `fault in ${service.name} ${pod.version}'s own sidecar (EnvoyFilter ${fault.filter}): ${what} of its requests`);
        let delayMs = 0;
        if (fault.delayMs !== undefined && this.random.percent(fault.delayPercent)) {
          delayMs = fault.delayMs;
          increment(t.delayed, `${fault.delayText} at ${service.name} ${pod.version}`);
        }
        if (fault.abortStatus !== undefined && this.random.percent(fault.abortPercent)) return this.end(t, `aborted ${fault.abortStatus} by ${service.name} ${pod.version}'s sidecar`, fault.abortStatus, delayMs, false);
        const o = this.callAll(service.name, pod, request, order, onPath.includes(service.name) ? onPath : [...onPath, service.name]);
        return { ...o, ms: o.ms + delayMs };
      }
    }
    return this.callAll(service.name, pod, request, order, onPath.includes(service.name) ? onPath : [...onPath, service.name]);
  }

  /**
   * A request a route sends to a gateway's Service (an egress gateway): the gateway applies its
   * policies (selector ones, and with the Gateway API those naming its Gateway), then the routes
   * bound to its Gateways for the request's authority (the external host it was sent for), as the
   * ingress gateway does.
   */
  private throughGateway(t: HopTally, behind: GatewayBehind, caller: Source, request: HttpRequest, order: readonly number[], onPath: readonly string[], authority: string, port: number): Outcome {
    const { pod, gateways } = behind;
    const name = behind.gatewayApi?.metadata.name ?? behind.service.name;
    const gateway: Source = { name: `gateway ${name}`, namespace: pod.namespace, labels: pod.labels, sidecar: true, principal: pod.principal, pod: pod.name, proxy: 'gateway' };
    const policies = [...policiesFor(this.cluster, pod), ...(behind.gatewayApi ? gatewayPoliciesFor(this.cluster.authorizationPolicies, behind.gatewayApi) : [])];
    if (policies.length > 0) {
      const decision = this.authorizeWith(policies, NO_TOKENS, behind.service, pod, request, caller, port, authority, false);
      if (decision.reason) t.note(RANK.authz, `at gateway ${name}: ${decision.reason}`, true);
      for (const a of decision.assumed) t.note(RANK.assumed, `AuthorizationPolicy: ${a} cannot be checked offline; taken as matching`);
      if (!decision.allowed) return this.end(t, 'denied 403 by the gateway', 403, 0, false);
    }
    const plan = memo(this.gatewayPlans, `${pod.namespace}/${name}|${authority}|${port}`, () => gatewayRoutes(this.cluster.virtualServices, gateways, authority, { labels: pod.labels, namespace: pod.namespace, port }));
    t.note(RANK.caller, `the route sends the request to gateway ${name}${pod.namespace === this.input.namespace ? '' : ` in ${pod.namespace}`}, which applies the routes bound to it for ${authority}`, true);
    for (const entry of plan.entries) {
      const ctx: MatchContext = { request, gateway: plan.gatewayOf.get(entry)!, namespace: namespaceOf(entry.vs), port, source: gateway, authority, gatewaySemantics: usesGatewaySemantics(entry.vs) };
      const result = matchBlock(entry.block ?? {}, ctx);
      if (result.matched) {
        this.decide(t, gateway, request, entry, port, authority);
        return this.apply(t, gateway, request, { ...entry, assumed: result.assumed }, this.pickDestination(entry.route), order, onPath, authority);
      }
    }
    t.note(RANK.route, `no route bound to gateway ${name} matches ${authority} ${request.method} ${request.path}`);
    return this.end(t, 'no route 404', 404, 0);
  }

  /**
   * What a DestinationRule for an external host does to the connection a proxy opens to it: TLS
   * it originates (`tls` of the host, or of its port), to the ServiceEntry port's targetPort.
   */
  private originatedTls(host: string, namespace: string, port: number | undefined): string | undefined {
    const entry = this.cluster.index.findHost(host, namespace);
    const written = entry?.ports.find((p) => p.number === port) ?? entry?.ports[0];
    for (const dr of this.cluster.destinationRules) {
      const rule = destinationRuleView(dr);
      if (qualifyHost(rule.host ?? '', namespaceOf(dr)).toLowerCase() !== host.toLowerCase()) continue;
      const level = rule.trafficPolicy?.portLevelSettings?.find((l) => l.port?.number === written?.number)?.tls ?? rule.trafficPolicy?.tls;
      if (!level?.mode || level.mode === 'DISABLE') continue;
      const to = typeof written?.targetPort === 'number' ? written.targetPort : written?.number;
      return `DestinationRule ${dr.metadata.name}: the proxy originates TLS (${level.mode}) to ${host}${to === undefined ? '' : `:${to}`}`;
    }
    return undefined;
  }

  private authorize(service: KubeService, pod: Pod, request: HttpRequest, source: Source, port: number | undefined, authority: string): AuthzDecision {
    const { policies, headers, params } = this.policiesAt(pod);
    if (policies.length === 0) return NO_POLICY;
    return this.authorizeWith(policies, { headers, params }, service, pod, request, source, port, authority, false);
  }

  /** The selector policies a pod's sidecar or ztunnel applies, and where its RequestAuthentications read tokens (once per pod). */
  private policiesAt(pod: Pod): { policies: Manifest[]; headers: string[]; params: string[] } {
    return memo(this.podPolicies, `${pod.namespace}/${pod.name}`, () => ({ policies: policiesFor(this.cluster, pod), ...tokenSources(this.cluster, pod) }));
  }

  /**
   * `policies` over one request to `service` (at `pod`, or at a waypoint without one), whose
   * RequestAuthentications read tokens from `tokens`; `l4` where only the connection is seen
   * (ztunnel), else whether the port carries TCP.
   */
  private authorizeWith(policies: readonly Manifest[], tokens: { readonly headers: readonly string[]; readonly params: readonly string[] }, service: KubeService, pod: Pod | undefined, request: HttpRequest, source: Source, port: number | undefined, authority: string, l4: boolean): AuthzDecision {
    const servicePort = service.ports.find((p) => p.port === port) ?? service.ports[0];
    const target = servicePort?.targetPort;
    const workloadPort = typeof target === 'number' ? target : (target !== undefined && pod ? pod.ports[target] : undefined) ?? servicePort?.port ?? 0;
    const query = tokens.params.length > 0 ? queryOf(request.path) : undefined;
    const req: AuthzRequest = {
      source,
      request,
      port: pod ? workloadPort : servicePort?.port ?? 0,
      authority,
      tcp: l4 || isTcpPort(servicePort),
      hasToken: tokens.headers.some((h) => request.headers.has(h)) || tokens.params.some((p) => query!.has(p)),
    };
    return authorize(policies, req);
  }
}

/**
 * Sends `requests` requests through the manifests, from `from`, and counts per hop where
 * they go and what happens to them. Pure: the same input gives the same result.
 */
export function evaluate(input: ExplainInput): Explanation {
  return new Walk(new Cluster(input.manifests), input).run();
}
