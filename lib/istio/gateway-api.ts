/**
 * The Gateway API objects of a set of manifests, read the way istiod reads them: Gateways
 * (`gatewayClassName: istio` for ingress, `istio-waypoint` for waypoints), HTTPRoutes and
 * TCPRoutes, their parentRefs and backendRefs, and the ambient enrolment of Services in a
 * waypoint. istiod does not route by these objects directly: it converts them into internal
 * VirtualServices and Gateways (istio/istio pilot/pkg/config/kube/gateway/route_collections.go
 * HTTPRouteCollection, conversion.go convertHTTPRoute) and builds Envoy's configuration from
 * those. {@link GatewayApiReading} makes the same conversion, so explain and the traffic
 * pictures route an HTTPRoute with the code they route a VirtualService with, and the
 * conversion is the one place that says what a field of the Gateway API means to Istio.
 *
 * Istio source (tag 1.30.3), cited at each step:
 * - pilot/pkg/config/kube/gateway/conversion.go: matches, filters, weights, timeouts, retries,
 *   backendRefs (buildDestination), parentRefs (referenceAllowed), rule order (sortHTTPRoutes);
 * - pilot/pkg/config/kube/gateway/route_collections.go: one VirtualService per parent and host,
 *   mesh parents per namespace and port (augmentPortMatch), routes of several HTTPRoutes for one
 *   key merged oldest first (mergeHTTPRoutes);
 * - pilot/pkg/config/kube/gateway/conditions.go: the status conditions of a route (BackendNotFound,
 *   NoMatchingParent, MissingUseWaypointLabel);
 * - pilot/pkg/serviceregistry/ambient/waypoints.go: `istio.io/use-waypoint` on the Service, else
 *   on its Namespace (`none` opts out), `istio.io/use-waypoint-namespace` for another namespace.
 */
import type { HTTPMatchRequest } from '../../imports/istio';
import { Manifest, specOf } from '../validate/manifest';
import { Fields, fields, isFields, items, num, texts } from '../validate/read';
import type { Route } from '../validate/views';
import { qualifyHost } from './resolve';

/** The API group of the Gateway API. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** The GatewayClass of Istio's ingress (and egress) gateways, and of its waypoints. */
export const ISTIO_GATEWAY_CLASS = 'istio';
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';

/** The label that enrols a Service or a Namespace in a waypoint, and the one naming the waypoint's namespace. */
export const USE_WAYPOINT = 'istio.io/use-waypoint';
export const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';

/**
 * The annotation istiod puts on the VirtualServices it makes from Gateway API routes
 * (pkg/config/constants: InternalRouteSemantics = "internal.istio.io/route-semantics", value
 * "gateway"); route.go reads it (model.UseGatewaySemantics) to answer 500 for a missing
 * backend, match prefixes by path segment and rewrite a prefix to `/` as the Gateway API says.
 */
export const ROUTE_SEMANTICS = 'internal.istio.io/route-semantics';
/** meshlab's own annotation on a converted object: the Gateway API object it comes from (`HTTPRoute ns/name`). */
export const CONVERTED_FROM = 'meshlab.internal/converted-from';

/**
 * An Istio HTTP (or TCP) route as istiod converts a rule of a Gateway API route, with the rule it
 * comes from for the reader (istiod keeps only the rule's name). A field of the Gateway API
 * object of another shape than its schema's (ML0017 says so) is read as absent, never thrown on.
 */
export type ConvertedRoute = Route & { meshlabRule?: { readonly route: string; readonly rule: number } };

/** A listener of a Gateway API Gateway, as written. */
export type Listener = Fields;

/** Whether an object is of the Gateway API (`gateway.networking.k8s.io/*`). */
export function isGatewayApi(m: Manifest | undefined): boolean {
  return String(m?.apiVersion ?? '').startsWith(`${GATEWAY_API_GROUP}/`);
}

/** Whether an object is Istio's own Gateway (networking.istio.io), not a Gateway API Gateway of the same kind name. */
export function isIstioGateway(m: Manifest | undefined): boolean {
  return m?.kind === 'Gateway' && !isGatewayApi(m);
}

/** Whether a VirtualService is one istiod made from a Gateway API route (model.UseGatewaySemantics). */
export function usesGatewaySemantics(vs: Manifest): boolean {
  return vs.metadata?.annotations?.[ROUTE_SEMANTICS] === 'gateway';
}

const nsOf = (m: Manifest) => m.metadata?.namespace ?? 'default';
const classOf = (gateway: Manifest) => specOf(gateway).gatewayClassName;
/** A route's `hostnames`, `*` when none are written. */
const hostnamesOf = (route: Manifest): string[] => {
  const written = items(specOf(route).hostnames);
  return written.length > 0 ? written.map(String) : ['*'];
};
const createdAt = (m: Manifest): unknown => (m.metadata as { creationTimestamp?: unknown }).creationTimestamp;

/** A parentRef of a route, resolved: what it names, where, and on which port or listener. */
export interface ParentRef {
  /** Its index in `spec.parentRefs`. */
  readonly index: number;
  /** `Service` (GAMMA: mesh traffic to the Service), `Gateway`, `ServiceEntry`, or another kind Istio ignores. */
  readonly kind: string;
  readonly name: string;
  /** The route's namespace unless the ref names one. */
  readonly namespace: string;
  readonly port?: number;
  readonly sectionName?: string;
}

/** A backendRef (or a RequestMirror's backendRef) of a route, resolved. */
export interface BackendRef {
  /** Path of the ref in the route (`spec.rules[0].backendRefs[1]`). */
  readonly field: string;
  readonly rule: number;
  /** `Service`, or another kind (group/kind as written). */
  readonly kind: string;
  readonly name: string;
  /** The route's namespace unless the ref names one (conversion.go buildDestination). */
  readonly namespace: string;
  readonly port?: number;
  /** The weight as written; 1 when left out (conversion.go weightSum). */
  readonly weight: number;
  /** The host istiod routes to: `name.namespace.svc.cluster.local` for a Service. */
  readonly host: string;
}

/** The parentRefs of a route (Gateway when group and kind are left out, as the Gateway API defaults them). */
export function parentRefsOf(route: Manifest): ParentRef[] {
  return items(specOf(route).parentRefs).flatMap((r, index): ParentRef[] => {
    if (!isFields(r)) return [];
    const group = r.group ?? GATEWAY_API_GROUP;
    const kind = r.kind ?? 'Gateway';
    // conversion.go toInternalParentReference: Gateway of the Gateway API group, Service and ServiceEntry.
    const known = (kind === 'Gateway' && group === GATEWAY_API_GROUP) || (kind === 'Service' && group === '') || (kind === 'ServiceEntry' && group === 'networking.istio.io');
    return [{
      index, kind: known ? String(kind) : `${String(group)}/${String(kind)}`, name: String(r.name ?? ''), namespace: String(r.namespace ?? nsOf(route)),
      ...(typeof r.port === 'number' && { port: r.port }), ...(r.sectionName !== undefined && { sectionName: String(r.sectionName) }),
    }];
  });
}

/** Istio's backendRef kind for a ServiceEntry's host, as BackendRef.kind writes it. */
const HOSTNAME_KIND = 'networking.istio.io/Hostname';

function backendRef(written: unknown, field: string, rule: number, routeNamespace: string): BackendRef {
  const r = fields(written);
  const group = String(r.group ?? '');
  const kind = String(r.kind ?? 'Service');
  const namespace = String(r.namespace ?? routeNamespace);
  const isService = group === '' && kind === 'Service';
  const name = String(r.name ?? '');
  // conversion.go buildDestination: Istio's kind Hostname routes to the host itself (a ServiceEntry's).
  const isHostname = `${group}/${kind}` === HOSTNAME_KIND;
  return {
    field, rule, kind: isService ? 'Service' : `${group}/${kind}`, name, namespace,
    ...(typeof r.port === 'number' && { port: r.port }),
    weight: num(r.weight) ?? 1,
    host: isService ? `${name}.${namespace}.svc.cluster.local` : isHostname ? name : '',
  };
}

/** Every backendRef of a route's rules, and every RequestMirror filter's backendRef. */
export function backendRefsOf(route: Manifest): BackendRef[] {
  const ns = nsOf(route);
  const out: BackendRef[] = [];
  items(specOf(route).rules).forEach((rule, i) => {
    items(fields(rule).backendRefs).forEach((b, j) => {
      if (isFields(b)) out.push(backendRef(b, `spec.rules[${i}].backendRefs[${j}]`, i, ns));
    });
    items(fields(rule).filters).map(fields).forEach((f, j) => {
      const mirrored = fields(f.requestMirror).backendRef;
      if (f.type === 'RequestMirror' && mirrored) {
        out.push({ ...backendRef(mirrored, `spec.rules[${i}].filters[${j}].requestMirror.backendRef`, i, ns), weight: 1 });
      }
    });
  });
  return out;
}

/** An Istio StringMatch. */
type StringMatch = { exact?: string; prefix?: string; regex?: string };

/**
 * A path match as Istio converts it (conversion.go createURIMatch): PathPrefix (the default,
 * with `/` when no value: the CRD's default) without a trailing `/`, Exact, RegularExpression.
 */
function uriMatch(written: unknown): StringMatch {
  const path = fields(written);
  const type = path.type ?? 'PathPrefix';
  const value = String(path.value ?? '/');
  if (type === 'Exact') return { exact: value };
  if (type === 'RegularExpression') return { regex: value };
  return { prefix: value !== '/' && value.endsWith('/') ? value.slice(0, -1) : value };
}

/** Headers or query parameters: Exact (the default) or RegularExpression (createHeadersMatch, createQueryParamsMatch). */
function namedMatches(written: unknown): Record<string, StringMatch> | undefined {
  const list = items(written);
  if (list.length === 0) return undefined;
  const out: Record<string, StringMatch> = {};
  for (const h of list.map(fields)) out[String(h.name)] = h.type === 'RegularExpression' ? { regex: String(h.value ?? '') } : { exact: String(h.value ?? '') };
  return out;
}

/** Header operations of an Istio route: `add`, `set`, `remove`. */
type HeaderOperations = { add?: Record<string, string>; set?: Record<string, string>; remove?: string[] };

/** A header filter's operations, names lower-cased and the first of equal names kept (headerListToMap). */
function headerOps(written: unknown): HeaderOperations {
  const f = fields(written);
  const toMap = (written: unknown) => {
    const list = items(written);
    if (list.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const h of list.map(fields)) {
      const k = String(h.name ?? '').toLowerCase();
      if (!(k in out)) out[k] = String(h.value ?? '');
    }
    return out;
  };
  const ops: HeaderOperations = {};
  const add = toMap(f.add);
  const set = toMap(f.set);
  if (add) ops.add = add;
  if (set) ops.set = set;
  if (items(f.remove).length > 0) ops.remove = items(f.remove).map(String);
  return ops;
}

/** A duration of the Gateway API (`1h2m3s4ms`, a subset of Go's) as Istio's (`7s`, `500ms`); undefined for 0 (conversion.go: 0 sets nothing). */
function duration(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  let ms = 0;
  const re = /(\d+)(h|ms|m|s)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) ms += Number(m[1]) * ({ h: 3600000, m: 60000, s: 1000, ms: 1 } as Record<string, number>)[m[2]];
  if (ms === 0) return undefined;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The retry conditions istiod gives Envoy for an HTTPRoute rule's `retry.codes`: the
 * connection failures always, then the codes as written (istio/istio
 * pilot/pkg/config/kube/gateway/conversion.go, the Retry block of convertHTTPRoute).
 */
export function istioRetryOn(codes: readonly unknown[]): string {
  return ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', ...codes.map(String)].join(',');
}

/** Why istiod converts no route at all for a route (a "hard" ConfigError: convertRules returns the error alone). */
export interface ConversionError {
  readonly field: string;
  readonly message: string;
}

/**
 * The Istio HTTP routes of one HTTPRoute rule, one per match (route_collections.go splits a rule
 * into one route per match), as conversion.go convertHTTPRoute builds them.
 */
function convertHttpRule(route: Manifest, written: unknown, ruleIndex: number, errors: ConversionError[]): ConvertedRoute[] {
  const ns = nsOf(route);
  const rule = fields(written);
  // meshlabRule: which rule of which route, for the reader (istiod keeps only the name).
  const base: ConvertedRoute = { name: String(rule.name ?? `${ns}.${route.metadata.name}.${ruleIndex}`), meshlabRule: { route: `${route.kind} ${ns}/${route.metadata.name}`, rule: ruleIndex + 1 } };
  for (const [j, f] of items(rule.filters).map(fields).entries()) {
    switch (f.type) {
      case 'RequestHeaderModifier': base.headers = { ...base.headers, request: headerOps(f.requestHeaderModifier) }; break;
      case 'ResponseHeaderModifier': base.headers = { ...base.headers, response: headerOps(f.responseHeaderModifier) }; break;
      case 'RequestRedirect': {
        const r = fields(f.requestRedirect);
        const path = fields(r.path);
        // createRedirectFilter; the CRD defaults statusCode to 302.
        const redirect: NonNullable<ConvertedRoute['redirect']> = { redirectCode: num(r.statusCode) ?? 302 };
        if (r.hostname !== undefined) redirect.authority = String(r.hostname);
        if (r.scheme !== undefined) redirect.scheme = String(r.scheme);
        if (r.port !== undefined) redirect.port = Number(r.port);
        if (path.type === 'ReplaceFullPath') redirect.uri = String(path.replaceFullPath);
        else if (path.type === 'ReplacePrefixMatch') redirect.uri = `%PREFIX()%${String(path.replacePrefixMatch)}`;
        base.redirect = redirect;
        break;
      }
      case 'RequestMirror': {
        const mirror = fields(f.requestMirror);
        const b = backendRef(mirror.backendRef, `spec.rules[${ruleIndex}].filters[${j}].requestMirror.backendRef`, ruleIndex, ns);
        const fraction = isFields(mirror.fraction) ? mirror.fraction : undefined;
        const percent = fraction ? (100 * Number(fraction.numerator ?? 0)) / Number(fraction.denominator ?? 100) : num(mirror.percent);
        base.mirrors = [...(base.mirrors ?? []), { destination: { host: b.host, ...(b.port !== undefined && { port: { number: b.port } }) }, ...(percent !== undefined && { percentage: { value: percent } }) }];
        break;
      }
      case 'URLRewrite': {
        // createRewriteFilter: ReplacePrefixMatch without its trailing `/` (`/` itself removes the prefix), ReplaceFullPath as a regex rewrite of the whole path.
        const u = fields(f.urlRewrite);
        const path = fields(u.path);
        const rewrite: NonNullable<ConvertedRoute['rewrite']> = {};
        if (path.type === 'ReplacePrefixMatch') {
          const p = String(path.replacePrefixMatch ?? '');
          rewrite.uri = p.endsWith('/') ? p.slice(0, -1) || '/' : p || '/';
        } else if (path.type === 'ReplaceFullPath') {
          rewrite.uriRegexRewrite = { match: '/.*', rewrite: String(path.replaceFullPath) };
        }
        if (u.hostname !== undefined) rewrite.authority = String(u.hostname);
        if (Object.keys(rewrite).length > 0) base.rewrite = rewrite;
        break;
      }
      case 'CORS': {
        base.corsPolicy = { allowOrigins: items(fields(f.cors).allowOrigins).map((o) => (o === '*' ? { regex: '.*' } : { exact: String(o) })) };
        break;
      }
      default:
        // conversion.go: any other filter type is a hard error ("unsupported filter type").
        errors.push({ field: `spec.rules[${ruleIndex}].filters[${j}].type`, message: `unsupported filter type "${String(f.type)}": istiod converts no route of this HTTPRoute` });
    }
  }
  if (rule.retry) {
    // conversion.go: connection errors always, plus the codes; attempts default 2.
    const retry = fields(rule.retry);
    const attempts = num(retry.attempts) ?? 2;
    base.retries = { attempts, ...(attempts > 0 && { retryOn: istioRetryOn(items(retry.codes)) }) };
  }
  const timeouts = fields(rule.timeouts);
  const request = duration(timeouts.request);
  const backendRequest = duration(timeouts.backendRequest);
  if (request) base.timeout = request;
  if (backendRequest) {
    if (base.retries) base.retries.perTryTimeout = backendRequest;
    else base.timeout = backendRequest;
  }
  const refs = items(rule.backendRefs);
  const ws = refs.map((b) => num(fields(b).weight) ?? 1);
  if (ws.reduce((a, b) => a + b, 0) === 0 && !base.redirect) {
    // Gateway API: no backends answer 404, backends of weight 0 only answer 500.
    base.directResponse = { status: refs.length === 0 ? 404 : 500 };
  } else if (!base.redirect) {
    const kept = refs.map((b, j) => ({ b, w: ws[j], j })).filter((x) => x.w !== 0);
    base.route = kept.map(({ b, w, j }) => {
      const ref = backendRef(b, `spec.rules[${ruleIndex}].backendRefs[${j}]`, ruleIndex, ns);
      if (ref.kind === 'Service' && ref.name.includes('.')) {
        errors.push({ field: `${ref.field}.name`, message: 'service name invalid; the name of the Service must be used, not the hostname: istiod converts no route of this HTTPRoute' });
      }
      if (ref.kind === HOSTNAME_KIND && fields(b).namespace !== undefined) {
        errors.push({ field: `${ref.field}.namespace`, message: 'namespace may not be set with Hostname type: istiod converts no route of this HTTPRoute' });
      }
      if (ref.kind === 'Service' && ref.port === undefined) {
        errors.push({ field: `${ref.field}.port`, message: 'port is required in backendRef: istiod converts no route of this HTTPRoute' });
      }
      const out: NonNullable<ConvertedRoute['route']>[number] = { destination: { host: ref.host, ...(ref.port !== undefined && { port: { number: ref.port } }) } };
      if (kept.length > 1) out.weight = w;
      for (const f of items(fields(b).filters).map(fields)) {
        if (f.type === 'RequestHeaderModifier') out.headers = { ...out.headers, request: headerOps(f.requestHeaderModifier) };
        if (f.type === 'ResponseHeaderModifier') out.headers = { ...out.headers, response: headerOps(f.responseHeaderModifier) };
      }
      return out;
    });
  }
  const matches = items(rule.matches);
  if (matches.length === 0) return [{ ...base }];
  return matches.map(fields).map((m) => {
    const match: HTTPMatchRequest = { uri: uriMatch(m.path) };
    const headers = namedMatches(m.headers);
    const queryParams = namedMatches(m.queryParams);
    if (headers) match.headers = headers;
    if (queryParams) match.queryParams = queryParams;
    if (m.method !== undefined) match.method = { exact: String(m.method) };
    return { ...base, match: [match] };
  });
}

/** The rank of a route's path match, Exact over Prefix over RegularExpression (conversion.go getURIRank). */
function uriRank(m: HTTPMatchRequest): [number, number] {
  const uri = m.uri as StringMatch | undefined;
  if (!uri) return [-1, 0];
  if (uri.exact !== undefined) return [3, uri.exact.length];
  if (uri.prefix !== undefined) return [2, uri.prefix.length];
  if (uri.regex !== undefined) return [1, uri.regex.length];
  return [-1, 0];
}

/**
 * Gateway API precedence among the routes for one host (conversion.go sortHTTPRoutes, a stable
 * sort): routes without match last; then Exact before PathPrefix before RegularExpression, the
 * longer path first; then a method match; then more header matches; then more query parameter
 * matches. Equal ones keep their order: the oldest route first, then by namespace and name
 * (mergeHTTPRoutes), each route's rules in order.
 */
export function sortGatewayRoutes(routes: readonly ConvertedRoute[]): ConvertedRoute[] {
  const cmp = (a: ConvertedRoute, b: ConvertedRoute): number => {
    const ma = a.match?.[0];
    const mb = b.match?.[0];
    if (!ma && !mb) return 0;
    if (!ma) return 1;
    if (!mb) return -1;
    const [ra, la] = uriRank(ma);
    const [rb, lb] = uriRank(mb);
    if (ra !== rb) return rb - ra;
    if (la !== lb) return lb - la;
    if (Boolean(ma.method) !== Boolean(mb.method)) return ma.method ? -1 : 1;
    const ha = Object.keys(ma.headers ?? {}).length;
    const hb = Object.keys(mb.headers ?? {}).length;
    if (ha !== hb) return hb - ha;
    return Object.keys(mb.queryParams ?? {}).length - Object.keys(ma.queryParams ?? {}).length;
  };
  return routes.map((r, i) => ({ r, i })).sort((x, y) => cmp(x.r, y.r) || x.i - y.i).map((x) => x.r);
}

/** istiod's order of configs: creation time, then namespace, then name (conversion.go sortRoutesByCreationTime). */
function byAge(a: Manifest, b: Manifest): number {
  const t = (m: Manifest) => String((m.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
  const c = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return c(t(a), t(b)) || c(nsOf(a), nsOf(b)) || c(a.metadata.name, b.metadata.name);
}

/** A listener of a Gateway API Gateway that a parentRef of a route reaches, or why none does. */
export interface Attachment {
  readonly parent: ParentRef;
  /** The Gateway API Gateway, for a Gateway parent that exists. */
  readonly gateway?: Manifest;
  /** The Service, for a Service parent that exists. */
  readonly service?: Manifest;
  /** The listeners the route attaches to (Gateway parents). */
  readonly listeners: readonly Listener[];
  /** Why the parent does not accept the route, as the route's `Accepted` condition would say; undefined when it does. */
  readonly denied?: { readonly reason: string; readonly message: string };
}

/** Whether two hostnames (either possibly `*.x`) overlap, as host.Name.Matches does. */
function hostnamesOverlap(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  const aw = a.startsWith('*.');
  const bw = b.startsWith('*.');
  if (aw && bw) return a.length < b.length ? b.endsWith(a.slice(1)) : a.endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** The route kinds a listener accepts by default for its protocol (Gateway API: HTTP and HTTPS take HTTPRoute and GRPCRoute, TCP takes TCPRoute). */
function listenerAccepts(listener: Listener, routeKind: string): boolean {
  const kinds = items(fields(listener.allowedRoutes).kinds);
  if (kinds.length > 0) return kinds.some((k) => fields(k).kind === routeKind);
  const protocol = String(listener.protocol ?? '');
  if (protocol === 'HTTP' || protocol === 'HTTPS') return routeKind === 'HTTPRoute' || routeKind === 'GRPCRoute';
  if (protocol === 'TCP') return routeKind === 'TCPRoute';
  if (protocol === 'TLS') return routeKind === 'TLSRoute' || routeKind === 'TCPRoute';
  return false;
}

/** Whether a listener lets routes of `routeNamespace` attach (allowedRoutes.namespaces.from: Same, the default; All; Selector on the Namespace's labels). */
function listenerAllowsNamespace(listener: Listener, gatewayNamespace: string, routeNamespace: string, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  const namespaces = fields(fields(listener.allowedRoutes).namespaces);
  const from = namespaces.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gatewayNamespace;
  const selector = fields(fields(namespaces.selector).matchLabels);
  return Object.entries(selector).every(([k, v]) => namespaceLabels?.[k] === v);
}

/** What the reading needs of the rest of the index. */
export interface GatewayApiLookups {
  readonly service: (namespace: string, name: string) => Manifest | undefined;
  readonly namespace: (name: string) => Manifest | undefined;
  readonly serviceEntry: (namespace: string, name: string) => Manifest | undefined;
}

/** A Service's waypoint, as ambient mode resolves it. */
export interface WaypointBinding {
  /** Where the label was found: on the Service itself or on its Namespace. */
  readonly via: 'Service' | 'Namespace';
  readonly name: string;
  readonly namespace: string;
  /** The waypoint Gateway (`gatewayClassName: istio-waypoint`), when the input has it. */
  readonly gateway?: Manifest;
}

/**
 * The Gateway API objects of a set of manifests and what istiod makes of them: the routes'
 * parents and backends, the VirtualServices and Gateways it converts them into, and waypoints.
 */
export class GatewayApiReading {
  /** Gateway API Gateways by `namespace/name` (ingress and waypoints alike). */
  public readonly gateways = new Map<string, Manifest>();
  public readonly httpRoutes: Manifest[] = [];
  public readonly tcpRoutes: Manifest[] = [];
  public readonly grpcRoutes: Manifest[] = [];
  private converted?: { virtualServices: Manifest[]; istioGateways: Manifest[]; errors: Map<Manifest, ConversionError[]> };

  public constructor(objects: readonly Manifest[], private readonly lookups: GatewayApiLookups) {
    for (const m of objects) {
      if (!isGatewayApi(m) || !m?.metadata?.name) continue;
      if (m.kind === 'Gateway') this.gateways.set(`${nsOf(m)}/${m.metadata.name}`, m);
      else if (m.kind === 'HTTPRoute') this.httpRoutes.push(m);
      else if (m.kind === 'TCPRoute') this.tcpRoutes.push(m);
      else if (m.kind === 'GRPCRoute') this.grpcRoutes.push(m);
    }
  }

  /** Waypoints: Gateways of class `istio-waypoint`. */
  public get waypoints(): Manifest[] {
    return [...this.gateways.values()].filter((g) => classOf(g) === WAYPOINT_GATEWAY_CLASS);
  }

  /** Ingress Gateways run by Istio: class `istio`. */
  public get ingressGateways(): Manifest[] {
    return [...this.gateways.values()].filter((g) => classOf(g) === ISTIO_GATEWAY_CLASS);
  }

  /**
   * The Deployment (and ServiceAccount) name Istio gives the proxy it runs for a Gateway:
   * `<name>-istio` for class istio, the name itself for a waypoint (istio/istio
   * pilot/pkg/config/kube/gatewaycommon/gateway_utils.go GetDefaultName; classinfo.go:
   * DisableNameSuffix for istio-waypoint); the `gateway.istio.io/service-account` annotation
   * overrides the account. Undefined for classes Istio does not deploy.
   */
  public static deployedAccount(gateway: Manifest): string | undefined {
    const override = gateway.metadata?.annotations?.['gateway.istio.io/service-account'];
    const cls = classOf(gateway);
    if (cls !== ISTIO_GATEWAY_CLASS && cls !== WAYPOINT_GATEWAY_CLASS) return undefined;
    return override || (cls === WAYPOINT_GATEWAY_CLASS ? gateway.metadata.name : `${gateway.metadata.name}-${cls}`);
  }

  /**
   * The Service Istio deploys for a Gateway of class istio, `<name>-istio` (GetDefaultName);
   * undefined for a waypoint (its Service is its own name, which nobody routes to) and for
   * classes Istio does not deploy.
   */
  public static deployedService(gateway: Manifest): string | undefined {
    return classOf(gateway) === ISTIO_GATEWAY_CLASS ? `${gateway.metadata.name}-${ISTIO_GATEWAY_CLASS}` : undefined;
  }

  /** `namespace/account` of every ServiceAccount Istio creates for the Gateways it deploys. */
  public get deployedAccounts(): ReadonlySet<string> {
    return new Set([...this.gateways.values()].flatMap((g) => {
      const account = GatewayApiReading.deployedAccount(g);
      return account ? [`${nsOf(g)}/${account}`] : [];
    }));
  }

  /**
   * The waypoint a Service is enrolled in: `istio.io/use-waypoint` on the Service, else on its
   * Namespace (`none` opts out), a waypoint for Service traffic, in the namespace
   * `istio.io/use-waypoint-namespace` names, else the labelled object's own
   * (pilot/pkg/serviceregistry/ambient/waypoints.go fetchWaypointForService; conversion.go waypointConfigured).
   */
  public waypointFor(service: Manifest): WaypointBinding | undefined {
    const ns = nsOf(service);
    // Labels are strings; a value of another shape (ML0017) counts as absent.
    const strings = (labels: Readonly<Record<string, unknown>> | undefined): Record<string, string> =>
      Object.fromEntries(Object.entries(labels ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const own = strings(service.metadata?.labels);
    const nsObject = this.lookups.namespace(ns);
    const nsLabels = strings(nsObject?.metadata?.labels);
    let via: WaypointBinding['via'];
    let labels: Readonly<Record<string, string>>;
    // `none` (as written: waypoints.go getUseWaypoint compares exactly) opts out.
    if ((own[USE_WAYPOINT] ?? '') !== '') {
      if (own[USE_WAYPOINT] === 'none') return undefined;
      via = 'Service';
      labels = own;
    } else if ((nsLabels[USE_WAYPOINT] ?? '') !== '' && nsLabels[USE_WAYPOINT] !== 'none') {
      via = 'Namespace';
      labels = nsLabels;
    } else {
      return undefined;
    }
    const name = labels[USE_WAYPOINT];
    const namespace = labels[USE_WAYPOINT_NAMESPACE] || ns;
    const gateway = this.gateways.get(`${namespace}/${name}`);
    // A waypoint serves Services unless its `istio.io/waypoint-for` says workload or none
    // (waypoints.go: the default traffic type is service; fetchWaypointForService takes service or all).
    const trafficType = gateway?.metadata?.labels?.['istio.io/waypoint-for'] ?? 'service';
    const serves = gateway !== undefined && classOf(gateway) === WAYPOINT_GATEWAY_CLASS && (trafficType === 'service' || trafficType === 'all');
    return { via, name, namespace, ...(gateway && serves && { gateway }) };
  }

  /**
   * Whether ingress gateways send a Service's requests to its waypoint: `istio.io/ingress-use-waypoint`
   * on the Service, else on its Namespace, read as Go's strconv.ParseBool (pilot/pkg/serviceregistry/ambient/services.go
   * ingressUseWaypointFromLabels).
   */
  public ingressUsesWaypoint(service: Manifest): boolean {
    const key = 'istio.io/ingress-use-waypoint';
    const own = service.metadata?.labels ?? {};
    const value = key in own ? own[key] : this.lookups.namespace(nsOf(service))?.metadata?.labels?.[key];
    return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(String(value));
  }

  /**
   * Where each parentRef of a route attaches, or why it does not (conversion.go referenceAllowed):
   * a Service parent must exist; a Gateway parent must exist, and one of its listeners must have
   * the ref's port and sectionName, a hostname that overlaps the route's, allow the route's
   * namespace and kind.
   */
  public attachments(route: Manifest): Attachment[] {
    const routeNs = nsOf(route);
    const hostnames = hostnamesOf(route);
    return parentRefsOf(route).map((parent) => {
      if (parent.kind === 'Service') {
        const service = this.lookups.service(parent.namespace, parent.name);
        return service ? { parent, service, listeners: [] } : { parent, listeners: [], denied: { reason: 'NoMatchingParent', message: `parent service: "${parent.name}" not found` } };
      }
      if (parent.kind === 'ServiceEntry') {
        const se = this.lookups.serviceEntry(parent.namespace, parent.name);
        return se ? { parent, listeners: [] } : { parent, listeners: [], denied: { reason: 'NoMatchingParent', message: `parent service entry: "${parent.name}" not found` } };
      }
      if (parent.kind !== 'Gateway') return { parent, listeners: [], denied: { reason: 'NoMatchingParent', message: `unsupported parent: ${parent.kind} (istiod ignores it)` } };
      const gateway = this.gateways.get(`${parent.namespace}/${parent.name}`);
      if (!gateway) return { parent, listeners: [], denied: { reason: 'NoMatchingParent', message: `Gateway ${parent.namespace}/${parent.name} not found` } };
      const listeners = items(specOf(gateway).listeners).map(fields);
      let denied: Attachment['denied'];
      const accepted = listeners.filter((l) => {
        if (parent.port !== undefined && parent.port !== l.port) return (denied ??= { reason: 'NoMatchingParent', message: `port ${parent.port} not found` }, false);
        if (parent.sectionName !== undefined && parent.sectionName !== l.name) return (denied ??= { reason: 'NoMatchingParent', message: `sectionName "${parent.sectionName}" not found` }, false);
        const listenerHost = String(l.hostname ?? '*');
        if (!hostnames.some((h) => hostnamesOverlap(listenerHost, h))) return (denied ??= { reason: 'NoMatchingListenerHostname', message: `no hostnames matched parent hostname "${String(l.hostname ?? '')}"` }, false);
        if (!listenerAllowsNamespace(l, nsOf(gateway), routeNs, this.lookups.namespace(routeNs)?.metadata?.labels)) {
          return (denied = { reason: 'NotAllowedByListeners', message: `hostnames matched parent hostname "${String(l.hostname ?? '')}", but namespace "${routeNs}" is not allowed by the parent` }, false);
        }
        if (!listenerAccepts(l, route.kind)) return (denied = { reason: 'NotAllowedByListeners', message: `kind ${route.kind} is not allowed` }, false);
        return true;
      });
      return accepted.length > 0 ? { parent, gateway, listeners: accepted } : { parent, gateway, listeners: [], denied: denied ?? { reason: 'NoMatchingParent', message: 'the Gateway has no listener' } };
    });
  }

  /** The name of the Istio Gateway istiod makes of a listener (gateway_collection.go: `<gateway>-istio-autogenerated-k8s-gateway-<listener>`). */
  public static listenerGatewayName(gateway: Manifest, listener: unknown): string {
    return `${gateway.metadata.name}-istio-autogenerated-k8s-gateway-${String(fields(listener).name ?? '')}`;
  }

  /** The Gateway API object a converted VirtualService or Gateway comes from (`HTTPRoute ns/name`, `Gateway ns/name`). */
  public originOf(converted: Manifest): string | undefined {
    return converted.metadata?.annotations?.[CONVERTED_FROM];
  }

  /**
   * The VirtualServices istiod makes of the HTTPRoutes and TCPRoutes (with gateway semantics),
   * and the Istio Gateways it makes of each listener of the `istio` class Gateways. Mesh
   * parents give a VirtualService per route namespace, port and Service host, bound to `mesh`;
   * Gateway parents one per listener and route hostname; several routes for one key are
   * merged, oldest first, and sorted by the Gateway API's precedence.
   */
  public get virtualServices(): readonly Manifest[] {
    return this.convert().virtualServices;
  }

  public get istioGateways(): readonly Manifest[] {
    return this.convert().istioGateways;
  }

  /** Errors that make istiod convert no route at all of a route. */
  public conversionErrors(route: Manifest): readonly ConversionError[] {
    return this.convert().errors.get(route) ?? [];
  }

  private convert(): NonNullable<GatewayApiReading['converted']> {
    if (this.converted) return this.converted;
    const istioGateways: Manifest[] = [];
    for (const g of this.ingressGateways) {
      const ns = nsOf(g);
      for (const l of items(specOf(g).listeners).map(fields)) {
        const from = fields(fields(l.allowedRoutes).namespaces).from ?? 'Same';
        // gateway/conversion.go buildHostnameMatch: `<namespace>/<hostname or *>` per namespace the listener allows.
        const scope = from === 'All' || from === 'Selector' ? '*' : ns;
        istioGateways.push({
          apiVersion: 'networking.istio.io/v1', kind: 'Gateway',
          metadata: { name: GatewayApiReading.listenerGatewayName(g, l), namespace: ns, annotations: { [CONVERTED_FROM]: `Gateway ${ns}/${g.metadata.name}` } },
          spec: {
            selector: { 'gateway.networking.k8s.io/gateway-name': g.metadata.name },
            servers: [{ port: { number: l.port, name: 'default', protocol: l.protocol }, hosts: [`${scope}/${String(l.hostname ?? '*')}`] }],
          },
        });
      }
    }
    const errors = new Map<Manifest, ConversionError[]>();
    const groups = new Map<string, Array<{ route: Manifest; spec: readonly ConvertedRoute[]; gateway: string; host: string }>>();
    const add = (key: string, route: Manifest, spec: readonly ConvertedRoute[], gateway: string, host: string) => {
      const list = groups.get(key) ?? [];
      list.push({ route, spec, gateway, host });
      groups.set(key, list);
    };
    const routes = [...this.httpRoutes, ...this.tcpRoutes].sort(byAge);
    for (const route of routes) {
      const tcp = route.kind === 'TCPRoute';
      const ns = nsOf(route);
      const errs: ConversionError[] = [];
      const converted = tcp ? this.convertTcp(route) : items(specOf(route).rules).flatMap((rule, i) => convertHttpRule(route, rule, i, errs));
      if (errs.length > 0) {
        errors.set(route, errs);
        continue;
      }
      for (const a of this.attachments(route)) {
        if (a.denied) continue;
        if (a.parent.kind === 'Service' || a.parent.kind === 'ServiceEntry') {
          const entry = a.parent.kind === 'ServiceEntry' ? this.lookups.serviceEntry(a.parent.namespace, a.parent.name) : undefined;
          const hosts = a.parent.kind === 'Service' ? [qualifyHost(a.parent.name, a.parent.namespace)] : entry ? texts(specOf(entry).hosts) : [];
          // route_collections.go augmentPortMatch: a port on the parentRef becomes a port match on every route.
          const withPort = a.parent.port === undefined ? converted : converted.map((r) => ({
            ...r, match: r.match && r.match.length > 0 ? r.match.map((m) => ({ ...m, port: a.parent.port })) : [{ port: a.parent.port }],
          }));
          for (const h of hosts) add(`${ns}/${a.parent.port === undefined ? '' : `${a.parent.port}/`}${h}`, route, withPort, 'mesh', h);
          continue;
        }
        for (const l of a.listeners) {
          const gatewayName = `${nsOf(a.gateway!)}/${GatewayApiReading.listenerGatewayName(a.gateway!, l)}`;
          for (const h of hostnamesOf(route)) add(`${gatewayName}/${h}`, route, converted, gatewayName, h);
        }
      }
    }
    const virtualServices: Manifest[] = [];
    for (const [key, members] of groups) {
      const first = members[0];
      const tcp = first.route.kind === 'TCPRoute';
      const all = members.flatMap((m) => m.spec);
      const name = key.replace(/\//g, '~');
      const from = [...new Set(members.map((m) => `${m.route.kind} ${nsOf(m.route)}/${m.route.metadata.name}`))].join(', ');
      virtualServices.push({
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
        metadata: {
          name, namespace: nsOf(first.route),
          annotations: { [ROUTE_SEMANTICS]: 'gateway', [CONVERTED_FROM]: from },
          ...(createdAt(first.route) !== undefined && { creationTimestamp: createdAt(first.route) }),
        },
        spec: { hosts: [first.host], gateways: [first.gateway], ...(tcp ? { tcp: all } : { http: sortGatewayRoutes(all) }) },
      });
    }
    this.converted = { virtualServices, istioGateways, errors };
    return this.converted;
  }

  /** A TCPRoute's rules as Istio TCP routes (conversion.go convertTCPRoute: weights; none above 0 goes nowhere). */
  private convertTcp(route: Manifest): ConvertedRoute[] {
    const ns = nsOf(route);
    return items(specOf(route).rules).map((rule, i) => {
      const refs = items(fields(rule).backendRefs).map((b, j) => backendRef(b, `spec.rules[${i}].backendRefs[${j}]`, i, ns)).filter((b) => b.weight !== 0);
      const meshlabRule = { route: `${route.kind} ${ns}/${route.metadata.name}`, rule: i + 1 };
      if (refs.length === 0) return { meshlabRule, route: [{ destination: { host: 'internal.cluster.local', port: { number: 65535 } } }] };
      return { meshlabRule, route: refs.map((b) => ({ destination: { host: b.host, ...(b.port !== undefined && { port: { number: b.port } }) }, ...(refs.length > 1 && { weight: b.weight }) })) };
    });
  }
}
