import { definedFields } from './object';
import type { AuthorizationPolicySpec, DestinationRuleSpec, HTTPMatchRequest, HTTPRouteDestination, ServiceEntrySpec, HTTPRoute, TrafficPolicy, VirtualServiceSpec } from '../../imports/istio';
import { istioDuration } from '../istio/duration';
import type { ConnectionLimits, EjectionIntent, Fault, HostIntent, LoadBalancing, RouteIntent, RouteSettings, SubsetPolicyIntent, TrafficPolicyIntent } from '../intent';
import type { AccessIntent, Destination, ExternalHostIntent, Match, TcpRouteIntent } from '../intent';

/**
 * The Istio renderer of routing intent (lib/intent/index.ts): the one place a host's routes
 * and policies become a VirtualService and a DestinationRule. Another API's renderer (the
 * Gateway API's HTTPRoute) reads the same intent.
 */

/** Istio's HTTPMatchRequest of one match (header names are lower-cased, as Envoy compares them). */
export function istioMatch(match: Match): HTTPMatchRequest {
  switch (match.kind) {
    case 'prefix': return { uri: { prefix: match.value } };
    case 'exact': return { uri: { exact: match.value } };
    case 'header': return { headers: { [match.header!]: { regex: match.value } } };
  }
}

/** Istio's Destination: a host, optionally a subset of it, and a port. */
type DestinationSpec = NonNullable<HTTPRouteDestination['destination']>;

/**
 * Istio's destination of a route in an object in `namespace`: a Service by its short name in its
 * own namespace, else by its FQDN, with the version's subset.
 */
export function istioDestination(d: Destination, namespace: string): DestinationSpec {
  if ('host' in d) return { host: d.host, subset: d.subset, port: { number: d.port } };
  const host = namespace === d.namespace ? d.service : `${d.service}.${d.namespace}.svc.cluster.local`;
  return d.version === undefined ? { host, port: { number: d.port } } : { host, port: { number: d.port }, subset: d.version };
}

/** One route as seen from an object in `namespace`, without the host-wide settings. */
export function istioHttpRoute(route: RouteIntent, namespace: string): HTTPRoute {
  return {
    match: route.match?.length ? route.match.map(istioMatch) : undefined,
    rewrite: route.rewrite === undefined ? undefined : { uri: route.rewrite },
    redirect: route.redirect === undefined ? undefined : { uri: route.redirect },
    route: route.to?.map((t) => ({
      destination: istioDestination(t.destination, namespace),
      weight: route.to!.length > 1 ? t.weight : undefined,
    })),
  };
}

const fault = (f: Fault | undefined) => f && (f.kind === 'abort'
  ? { httpStatus: f.status, percentage: { value: f.percent } }
  : { fixedDelay: istioDuration(f.delay!), percentage: { value: f.percent } });

/** The fields every forwarding route of the host gets. */
function istioSettings(s: RouteSettings): Partial<HTTPRoute> {
  const retries = s.retries && (s.retries.attempts === 0
    // attempts 0 switches retries off, and Istio then refuses perTryTimeout and retryOn
    // (istio/istio pkg/config/validation/validation.go validateHTTPRetry).
    ? { attempts: 0 }
    : { attempts: s.retries.attempts, perTryTimeout: s.retries.perTryTimeout && istioDuration(s.retries.perTryTimeout), retryOn: s.retries.retryOn });
  const settings: Partial<HTTPRoute> = {
    fault: s.abort || s.delay ? { abort: fault(s.abort), delay: fault(s.delay) } : undefined,
    timeout: s.timeout && istioDuration(s.timeout),
    retries,
    headers: s.headers?.requestAdd && { request: { add: { ...s.headers.requestAdd } } },
    corsPolicy: s.cors && {
      allowOrigins: s.cors.allowOrigins.map((exact) => ({ exact })),
      allowMethods: [...s.cors.allowMethods],
      maxAge: istioDuration(s.cors.maxAge),
    },
  };
  return definedFields(settings);
}

/** The host's HTTP routes, as seen from an object in `namespace`. */
export function istioHttpRoutes(intent: HostIntent, namespace: string): HTTPRoute[] {
  const settings = istioSettings(intent.settings);
  return intent.routes.map((route, i) => {
    const rendered = istioHttpRoute(route, namespace);
    const last = i === intent.routes.length - 1;
    const mirrored = last && intent.mirror
      ? { ...rendered, mirror: istioDestination(intent.mirror.destination, namespace), mirrorPercentage: { value: intent.mirror.percent } }
      : rendered;
    // A redirect answers itself: faults, retries and timeouts do not apply.
    return mirrored.redirect ? mirrored : { ...mirrored, ...settings };
  });
}

function loadBalancer(lb: LoadBalancing): TrafficPolicy['loadBalancer'] {
  return lb.hashHeader !== undefined ? { consistentHash: { httpHeaderName: lb.hashHeader } } : { simple: lb.algorithm };
}

function connectionPool(c: ConnectionLimits): TrafficPolicy['connectionPool'] {
  return {
    tcp: { maxConnections: c.maxConnections, connectTimeout: c.connectTimeout && istioDuration(c.connectTimeout) },
    http: {
      http1MaxPendingRequests: c.maxPendingRequests,
      http2MaxRequests: c.maxRequests,
      maxRequestsPerConnection: c.maxRequestsPerConnection,
      maxRetries: c.maxRetries,
    },
  };
}

function outlierDetection(e: EjectionIntent): TrafficPolicy['outlierDetection'] {
  return {
    consecutive5xxErrors: e.consecutive5xxErrors,
    interval: istioDuration(e.interval),
    baseEjectionTime: istioDuration(e.baseEjectionTime),
    maxEjectionPercent: e.maxEjectionPercent,
  };
}

/** The DestinationRule's traffic policy, if the intent has one. */
export function istioTrafficPolicy(p: TrafficPolicyIntent): TrafficPolicy | undefined {
  const policy: TrafficPolicy = {
    loadBalancer: p.loadBalancer && loadBalancer(p.loadBalancer),
    connectionPool: p.connectionPool && connectionPool(p.connectionPool),
    outlierDetection: p.outlierDetection && outlierDetection(p.outlierDetection),
  };
  return Object.values(policy).some((v) => v !== undefined) ? policy : undefined;
}

function subsetPolicy(p: SubsetPolicyIntent): TrafficPolicy {
  return {
    loadBalancer: loadBalancer(p.loadBalancer),
    portLevelSettings: p.port && [{ port: { number: p.port.number }, loadBalancer: loadBalancer(p.port.loadBalancer) }],
  };
}

/**
 * The traffic policy of one version's own Service (the Gateway API flavours route to those
 * instead of subsets): the host's policy, with the version's subset policy over it.
 */
export function istioVersionPolicy(host: TrafficPolicyIntent, version: SubsetPolicyIntent | undefined): TrafficPolicy | undefined {
  const base = istioTrafficPolicy(host);
  return version ? { ...base, ...subsetPolicy(version) } : base;
}

/** What the renderer needs of a host besides its intent. */
export interface IstioHost {
  /** The host name as written in its own namespace. */
  readonly name: string;
  readonly isHttp: boolean;
  /** Subset name and pod labels of each version, sorted by name. */
  readonly subsets: ReadonlyArray<{ readonly name: string; readonly labels: Readonly<Record<string, string>> }>;
  /** Where a TCP host sends connections. */
  readonly everyVersion: RouteIntent;
}

/** The single VirtualService of a host. */
export function istioVirtualService(host: IstioHost, intent: HostIntent, namespace: string): VirtualServiceSpec {
  if (!host.isHttp) return { hosts: [host.name], tcp: [{ route: istioHttpRoute(host.everyVersion, namespace).route }] };
  return { hosts: [host.name], http: istioHttpRoutes(intent, namespace) };
}

/** The single DestinationRule of a host: its policy and a subset per version. */
export function istioDestinationRule(host: IstioHost, intent: HostIntent): DestinationRuleSpec {
  return {
    host: host.name,
    trafficPolicy: istioTrafficPolicy(intent.policy),
    subsets: host.subsets.map((s) => {
      const policy = intent.subsetPolicies.get(s.name);
      return { name: s.name, labels: { ...s.labels }, trafficPolicy: policy && subsetPolicy(policy) };
    }),
  };
}

/** Where a policy attaches: its workloads' pods (`selector`), or a Service or Gateway (`targetRefs`). */
export type PolicyAttachmentSpec = Pick<AuthorizationPolicySpec, 'selector' | 'targetRefs'>;

/**
 * The AuthorizationPolicy of an access intent, attached where `attachment` says: each rule a
 * `from` (callers' or tokens' principals), a `to` (methods) and a `when` (a header), as far as it
 * states them.
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
export function istioAuthorizationPolicy(intent: AccessIntent, attachment: PolicyAttachmentSpec): AuthorizationPolicySpec {
  return {
    ...attachment,
    action: intent.action,
    rules: intent.rules?.map((r) => ({
      from: r.principals || r.requestPrincipals
        ? [{ source: definedFields({ principals: r.principals && [...r.principals], requestPrincipals: r.requestPrincipals && [...r.requestPrincipals] }) }]
        : undefined,
      to: r.methods ? [{ operation: { methods: [...r.methods] } }] : undefined,
      when: r.header ? [{ key: `request.headers[${r.header.name}]`, values: [...r.header.values] }] : undefined,
    })),
  };
}

/** The VirtualService of a TCP route, as written in `namespace`: connections on its port go to its destination. */
export function istioTcpVirtualService(intent: TcpRouteIntent, namespace: string): VirtualServiceSpec {
  const route = intent.to.map((t) => ({ destination: istioDestination(t.destination, namespace), weight: intent.to.length > 1 ? t.weight : undefined }));
  return { hosts: [intent.host], tcp: [{ match: [{ port: intent.port }], route: route.map(definedFields) }] };
}

/** The ServiceEntry that registers an external host: outside the mesh, resolved by DNS. */
export function istioServiceEntry(intent: ExternalHostIntent): ServiceEntrySpec {
  return {
    hosts: [intent.host],
    ...(intent.address !== undefined && { addresses: [intent.address] }),
    ports: [definedFields({ number: intent.port, name: intent.portName, protocol: intent.protocol, targetPort: intent.targetPort })],
    resolution: 'DNS',
    location: 'MESH_EXTERNAL',
  };
}
