import { definedFields } from './object';
import type { HTTPBackendRef, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, ParentReference } from '../../imports/gateway-api';
import { MeshlabError } from '../errors';
import { gatewayApiDuration } from '../istio/duration';
import type { HostIntent, RetryIntent, RouteIntent, RouteSettings } from '../intent';
import type { Destination, Match, ServiceDestination, TcpRouteIntent } from '../intent';

/**
 * The Gateway API renderer of routing intent (lib/intent/index.ts), beside lib/render/istio.ts:
 * a host's routes become the rules of an HTTPRoute whose backends are Services. A split goes
 * to per-version Services (`<service>-<version>`, as Istio's samples/bookinfo
 * bookinfo-versions.yaml), since the Gateway API has no subsets. What it cannot say (faults,
 * load balancing, connection pools, outlier detection) stays with Istio's kinds:
 * `gatewayApiGap` names it.
 * @see https://gateway-api.sigs.k8s.io/reference/spec/#httproute
 */

/** The Service of one version of a service: `<service>-<version>`. */
export function versionServiceName(service: string, version: string): string {
  return `${service}-${version}`;
}

/** The parentRef that attaches a route to a Service for mesh traffic (GAMMA). */
export function serviceParent(name: string, port: number): ParentReference {
  return { group: '', kind: 'Service', name, port };
}

/** The Service a destination names: the service, or its version's Service. */
export function backendService(destination: Destination): string {
  if ('host' in destination) {
    const { host, subset, port } = destination;
    throw new MeshlabError(`the Gateway API routes only to Services; ${JSON.stringify({ host, subset, port: { number: port } })} is not one (keep it with --api istio)`);
  }
  return destination.version === undefined ? destination.service : versionServiceName(destination.service, destination.version);
}

/** The backendRef of a destination, as written in a route in `namespace`. */
export function backendRef(destination: Destination, namespace: string): HTTPBackendRef {
  const name = backendService(destination);
  const d = destination as ServiceDestination;
  return { name, namespace: d.namespace === namespace ? undefined : d.namespace, port: d.port };
}

/** The HTTPRouteMatch of one match (the Gateway API's header names are case-insensitive too). */
export function gatewayApiMatch(match: Match): HTTPRouteMatch {
  switch (match.kind) {
    case 'prefix': return { path: { type: 'PathPrefix', value: match.value } };
    case 'exact': return { path: { type: 'Exact', value: match.value } };
    case 'header': return { headers: [{ type: 'RegularExpression', name: match.header!, value: match.value }] };
  }
}

/**
 * Envoy's retry conditions as the status codes an HTTPRoute retries on. Istio always adds
 * connect-failure, refused-stream, unavailable and cancelled (istio/istio
 * pilot/pkg/config/kube/gateway/conversion.go, the Retry block), so only codes are written;
 * `5xx` becomes 500, 502, 503 and 504, `gateway-error` 502, 503 and 504.
 */
export function retryCodes(retryOn: string | undefined): number[] {
  const codes = new Set<number>();
  for (const condition of (retryOn ?? '5xx').split(',').map((c) => c.trim())) {
    if (/^\d{3}$/.test(condition)) codes.add(Number(condition));
    if (condition === '5xx') [500, 502, 503, 504].forEach((c) => codes.add(c));
    if (condition === 'gateway-error') [502, 503, 504].forEach((c) => codes.add(c));
  }
  return [...codes].filter((c) => c >= 400 && c <= 599).sort((a, b) => a - b);
}

/** What the Gateway API cannot say of a host's intent, if anything (then the host keeps Istio's kinds). */
export function gatewayApiGap(intent: HostIntent): string | undefined {
  if (intent.settings.abort || intent.settings.delay) return 'fault injection';
  // Gateway API v1.6 requires retry.attempts >= 1 (HTTPRoute CRD), and a rule without `retry` gets
  // Istio's default retries: retries turned off have no HTTPRoute form.
  if (intent.settings.retries?.attempts === 0) return 'retries turned off (attempts 0)';
  return undefined;
}

const retry = (r: RetryIntent): HTTPRouteRule['retry'] => ({ attempts: r.attempts, codes: retryCodes(r.retryOn) });

/** The filters and fields every forwarding rule of the host gets. */
function settingsOf(s: RouteSettings): { filters: HTTPRouteFilter[]; rule: Partial<HTTPRouteRule> } {
  const filters: HTTPRouteFilter[] = [];
  if (s.headers?.requestAdd) {
    filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: { add: Object.entries(s.headers.requestAdd).map(([name, value]) => ({ name, value })) } });
  }
  if (s.cors) {
    filters.push({ type: 'CORS', cors: { allowOrigins: [...s.cors.allowOrigins], allowMethods: [...s.cors.allowMethods], maxAge: Math.round(s.cors.maxAge.toSeconds()) } });
  }
  const asked = s.retries && s.retries.attempts > 0 ? s.retries.perTryTimeout : undefined;
  // The CRD refuses a backendRequest longer than the request timeout (CEL on HTTPRouteTimeouts).
  // Envoy ends the request at the route timeout whatever the per-try timeout, so a longer try is
  // that timeout: the timeout and retry steps together behave as in Istio's classic flavour.
  const perTry = asked && s.timeout && asked.toMilliseconds() > s.timeout.toMilliseconds() ? s.timeout : asked;
  const timeouts = s.timeout || perTry
    ? { request: s.timeout && gatewayApiDuration(s.timeout), backendRequest: perTry && gatewayApiDuration(perTry) }
    : undefined;
  const rule: Partial<HTTPRouteRule> = { timeouts, retry: s.retries && retry(s.retries) };
  return { filters, rule: definedFields(rule) };
}

/** One route as an HTTPRoute rule in `namespace`, without the host-wide settings. */
export function gatewayApiRule(route: RouteIntent, namespace: string): HTTPRouteRule {
  const filters: HTTPRouteFilter[] = [];
  if (route.rewrite !== undefined) filters.push({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: route.rewrite } } });
  // Istio's redirect answers 301 unless told otherwise; the Gateway API's CRD defaults statusCode
  // to 302, so the code is written to keep the tutorial's 301 (istio/istio
  // pilot/pkg/config/kube/gateway/conversion.go createRedirectFilter copies it as redirectCode).
  if (route.redirect !== undefined) {
    filters.push({ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: route.redirect }, statusCode: 301 } });
  }
  const rule: HTTPRouteRule = {
    matches: route.match?.length ? route.match.map(gatewayApiMatch) : undefined,
    filters: filters.length > 0 ? filters : undefined,
    backendRefs: route.to?.map((t) => ({ ...backendRef(t.destination, namespace), weight: route.to!.length > 1 ? t.weight : undefined })),
  };
  return definedFields(rule);
}

/** The host's HTTPRoute rules, as seen from a route in `namespace`. */
export function gatewayApiRules(intent: HostIntent, namespace: string): HTTPRouteRule[] {
  const gap = gatewayApiGap(intent);
  if (gap) throw new Error(`${gap} has no Gateway API form; render this host with Istio's kinds`);
  const settings = settingsOf(intent.settings);
  return intent.routes.map((route, i) => {
    const rendered = gatewayApiRule(route, namespace);
    // A redirect answers itself: no timeout, retry, header or CORS filter applies.
    if (route.redirect !== undefined) return rendered;
    const last = i === intent.routes.length - 1;
    const mirror: HTTPRouteFilter[] = last && intent.mirror
      ? [{ type: 'RequestMirror', requestMirror: { backendRef: stripWeight(backendRef(intent.mirror.destination, namespace)), percent: intent.mirror.percent } }]
      : [];
    const filters = [...(rendered.filters ?? []), ...settings.filters, ...mirror];
    return definedFields({ ...rendered, filters: filters.length > 0 ? filters : undefined, ...settings.rule });
  });
}

const stripWeight = ({ name, namespace, port }: HTTPBackendRef) => definedFields({ name, namespace, port });

/** The spec of a GAMMA TCPRoute (experimental channel), attached to the Service callers connect to, as written in `namespace`. */
export function gatewayApiTcpRoute(intent: TcpRouteIntent, namespace: string): { parentRefs: ParentReference[]; rules: Array<{ backendRefs: HTTPBackendRef[] }> } {
  const backendRefs = intent.to.map((t) => definedFields({ ...backendRef(t.destination, namespace), weight: intent.to.length > 1 ? t.weight : undefined }));
  return { parentRefs: [serviceParent(intent.host, intent.port)], rules: [{ backendRefs }] };
}
