import { Duration } from 'cdk8s';
import { istioDuration } from '../istio/duration';
import { MeshlabError } from '../errors';
import type { ScenarioNeeds } from '../mesh/flavour';
import type { MeshLab } from '../mesh/lab';
import { ExternalHost, type IService } from '../mesh/routing';
import { ParamSet, ValuesOf, optional, param } from './params';
import { CircuitBreaker, ConnectionPool, LOAD_BALANCER_POLICIES, LoadBalancer, LoadBalancerPolicy, OutlierDetection } from './policy';
import { AuthzAllow, AuthzDeny, Jwt, Mtls } from './security';
import { Egress, IngressTls, RATE_LIMIT_HEADER, RateLimit, TcpRoute } from './edge';
import { Canary, Cors, FaultAbort, FaultDelay, HeaderRoute, Mirror, Redirect, RequestHeaders, Retry, Rewrite, Route, Timeout } from './traffic';

/**
 * A scenario as the command line knows it: its parameters and how it is applied, typed from
 * the parameters (`v.weights` is what `param.weights` parses to). The methods are declared as
 * methods so a list of scenarios with different parameters is a `ScenarioDefinition[]`; the
 * engine only ever passes a scenario the values its own parameters parsed.
 */
export interface ScenarioDefinition<P extends ParamSet = ParamSet> {
  readonly name: string;
  /** What the step changes, one line. */
  readonly summary: string;
  /** Parameters, parsed in this order (later ones may depend on earlier ones). */
  readonly params: P;
  /** Applies the scenario to the lab as construct `id`, with parsed parameters. */
  apply(lab: MeshLab, id: string, v: ValuesOf<P>): void;
  /** What a learner should see once it is applied. */
  expect(v: ValuesOf<P>, lab: MeshLab): string;
  /** Commands a learner runs before applying the step (what no manifest can hold, such as a key). @default none */
  prepare?(v: ValuesOf<P>, lab: MeshLab): string[];
  /** Commands that remove what `prepare` made, run after the revert. @default none */
  cleanup?(v: ValuesOf<P>, lab: MeshLab): string[];
  /**
   * What the step needs of the data plane, each with why: a flavour without it leaves the step
   * out (Flavour.unsupported), and its guide says why. @default nothing: a form in every flavour
   */
  readonly needs?: ScenarioNeeds;
}

/** Whether the lab a step is written for has no sidecars (ambient mode: its words then name the waypoint). */
const isAmbient = (lab: MeshLab) => !lab.flavour.sidecars;

/** A scenario definition, its parameter values typed from its parameters. */
function scenario<P extends ParamSet>(definition: ScenarioDefinition<P>): ScenarioDefinition<P> {
  return definition;
}

/** Why an EnvoyFilter in a service's own sidecar has no ambient form. */
const NO_SIDECAR = 'ambient pods have no sidecar (ztunnel carries their traffic, and the waypoint is a separate proxy in front of the service)';

/** Istio's word on VirtualService in ambient mode, for the steps that keep it (a fault). */
const VIRTUAL_SERVICE_ALPHA = 'In ambient mode the waypoint applies the VirtualService: Istio calls VirtualService on waypoints alpha,'
  + ' and mixing it with Gateway API routes unsupported (istio.io docs/ambient/usage/l7-features), so the step deletes this host\'s HTTPRoute first and no host has both';

const d = (x: Duration) => istioDuration(x);

/** `1 error`, `3 errors`: a count with its noun. */
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The body of the 403 a sidecar or waypoint answers for a call its AuthorizationPolicies deny. */
const RBAC_DENIED = 'RBAC: access denied';

/**
 * What the callers up the chain answer when a call from `caller` failed, as far as their
 * images report it (MeshService.relaysFailures): `customer answers 503 with \`customer => 403
 * RBAC: access denied\``, so a guide says what a learner calling the top of the chain sees.
 */
function relayed(lab: MeshLab, caller: string, status: number, body: string): string[] {
  const answers: string[] = [];
  const seen = new Set<string>();
  let current = lab.services.find((s) => s.name === caller);
  while (current?.relaysFailures && !seen.has(current.name)) {
    seen.add(current.name);
    body = current.relaysFailures.body(status, body);
    status = current.relaysFailures.status;
    answers.push(`a call to ${current.name} answers ${status} with \`${body}\``);
    const callers = lab.services.filter((s) => s.callees.includes(current!));
    current = callers.length === 1 ? callers[0] : undefined;
  }
  return answers.slice(-1);
}

/** Where an Expect points at the access log its step's commands end with (the lab's observe commands read it last). */
const LAST_COMMAND = 'the last command above';

/** Istio's sample issuer, its signing keys and a token it signed (security/tools/jwt/samples in istio/istio). */
export const DEMO_ISSUER = 'testing@secure.istio.io';
export const DEMO_JWKS_URL = 'https://raw.githubusercontent.com/istio/istio/release-1.17/security/tools/jwt/samples/jwks.json';
export const DEMO_TOKEN_URL = 'https://raw.githubusercontent.com/istio/istio/release-1.17/security/tools/jwt/samples/demo.jwt';

/** `v2:LEAST_REQUEST[:80:RANDOM]` into a subset policy (policies are checked by LoadBalancer). */
function subsetPolicy(service: IService, text: string) {
  const [version, policy, port, portPolicy] = text.split(':');
  if (!policy || (port !== undefined && (!/^\d+$/.test(port) || !portPolicy))) {
    throw new MeshlabError(`load-balancer.subset=${text}: give version:POLICY or version:POLICY:port:POLICY, e.g. v2:LEAST_REQUEST:80:RANDOM`);
  }
  return {
    version: service.version(version),
    policy: policy as LoadBalancerPolicy,
    port: port === undefined ? undefined : { number: Number(port), policy: portPolicy as LoadBalancerPolicy },
  };
}
const svc = param.service('the service it applies to');

export const route = scenario({
  name: 'route',
  summary: 'sends all traffic of a service to one version',
  params: { service: svc, version: param.version('the version that gets all traffic') },
  apply: (lab, id, v) => new Route(lab, id, { to: v.version }),
  expect: (v) => `every answer comes from ${v.service.name} ${v.version.name}`,
});

export const canary = scenario({
  name: 'canary',
  summary: 'splits the traffic of a service between versions by weight',
  params: { service: svc, weights: param.weights('version:percent pairs adding up to 100') },
  apply: (lab, id, v) => new Canary(lab, id, { weights: v.weights.map((w) => ({ version: w.version, weight: w.weight })) }),
  expect: (v) => `about ${v.weights.map((w) => `${w.weight}% of answers from ${w.version.name}`).join(', ')}`,
});

export const headerRoute = scenario({
  name: 'header-route',
  summary: 'sends requests whose header matches a regular expression to one version',
  params: {
    service: svc,
    header: param.headerName('request header to match'),
    regex: param.text('RE2 regular expression for its value'),
    version: param.version('version for matching requests'),
    fallback: optional(param.version('version for the others (empty: the usual routing)')),
    weights: optional(param.weights('split matching requests instead, e.g. v1:70,v2:30 (an A/B test; empty: all to version)')),
  },
  apply: (lab, id, v) => new HeaderRoute(lab, id, { header: v.header, regex: v.regex, to: v.version, fallback: v.fallback, split: v.weights }),
  expect: (v) => `requests whose ${v.header} matches ${v.regex} reach ${v.service.name} ${v.weights
    ? v.weights.map((w) => `${w.version.name} ${w.weight}%`).join(' / ')
    : v.version.name}; the others reach ${v.fallback ? v.fallback.name : 'the versions they reached before'}`,
});

export const mirror = scenario({
  name: 'mirror',
  summary: 'routes a service to one version and mirrors its requests to another',
  params: {
    service: svc,
    version: param.version('the version that answers'),
    mirror: param.version('the version that gets a copy'),
    percent: param.percent('percent of requests copied'),
  },
  apply: (lab, id, v) => new Mirror(lab, id, { to: v.version, mirror: v.mirror, percent: v.percent }),
  expect: (v, lab) => `every answer comes from ${v.version.name}; ${isAmbient(lab)
    ? `the waypoint's access log (${LAST_COMMAND}) shows ${v.percent}% of the requests copied to ${v.service.name}-${v.mirror.name} too`
    : `the access log of ${v.service.name} ${v.mirror.name}'s sidecar (${LAST_COMMAND}) shows ${v.percent}% of the requests too, their authority ending in -shadow`}`,
});

export const faultAbort = scenario({
  name: 'fault-abort',
  summary: 'answers a share of the requests to a service with an HTTP error',
  params: { service: svc, status: param.status('HTTP status, 400 to 599'), percent: param.percent('percent of requests aborted') },
  apply: (lab, id, v) => new FaultAbort(lab, id, { service: v.service, status: v.status, percent: v.percent }),
  expect: (v, lab) => `about ${v.percent}% of the requests to ${v.service.name} fail with HTTP ${v.status} (fault filter abort)${isAmbient(lab) ? `. ${VIRTUAL_SERVICE_ALPHA}` : ''}`,
});

export const faultDelay = scenario({
  name: 'fault-delay',
  summary: 'delays a share of the requests to a service',
  params: { service: svc, delay: param.duration('added delay'), percent: param.percent('percent of requests delayed') },
  apply: (lab, id, v) => new FaultDelay(lab, id, { service: v.service, delay: v.delay, percent: v.percent }),
  expect: (v, lab) => `about ${v.percent}% of the requests to ${v.service.name} take ${d(v.delay)} longer${isAmbient(lab) ? `. ${VIRTUAL_SERVICE_ALPHA}` : ''}`,
});

export const timeout = scenario({
  name: 'timeout',
  summary: 'gives up on requests to a service after a time',
  params: {
    service: svc,
    timeout: param.duration('time allowed per request'),
    delay: optional(param.duration("delay the service's own sidecar adds to every answer, so the timeout shows with images that answer at once (empty: none)")),
    delayVersion: optional(param.version('only this version is delayed (empty: every version)')),
  },
  apply: (lab, id, v) => new Timeout(lab, id, { service: v.service, timeout: v.timeout, slowdown: v.delay && { delay: v.delay, version: v.delayVersion } }),
  // The waypoint takes the HTTPRoute's timeout, but the delay that shows it has nowhere to go:
  // a fault in the waypoint runs before its router, whose timeout starts only after it.
  needs: { ownSidecar: `the images answer at once, so the step shows its timeout with a delay an EnvoyFilter adds in the callee's own sidecar, below the route; ${NO_SIDECAR}, and a delay added in the waypoint would come before the route's timeout starts` },
  expect: (v) => {
    const fails = `fail after ${d(v.timeout)} with 504 "upstream request timeout"`;
    if (!v.delay) return `requests to ${v.service.name} that take longer than ${d(v.timeout)} ${fails}`;
    const slow = `${v.service.name}${v.delayVersion ? ` ${v.delayVersion.name}` : ''}`;
    if (v.delay.toMilliseconds() <= v.timeout.toMilliseconds()) {
      return `${slow} now answers after ${d(v.delay)}, within the ${d(v.timeout)} timeout, so nothing times out: set timeout.delay longer than timeout.timeout to see requests ${fails}`;
    }
    return `${slow} now answers after ${d(v.delay)}, longer than the ${d(v.timeout)} timeout, so requests that reach it ${fails}`
      + `${v.delayVersion ? `; the other versions answer at once` : ''}. The delay is part of this step: the images answer at once, so an EnvoyFilter`
      + ` delays ${slow} in its own sidecar, below the route that times out, as istio.io's request-timeouts task delays the hop below`
      + ' (a VirtualService delay on the same route would not be timed out: Envoy applies it before the route\'s timeout starts)';
  },
});

export const retry = scenario({
  name: 'retry',
  summary: 'retries failed requests to a service',
  params: {
    service: svc,
    abort: optional(param.percent("percent of requests the service's own sidecar answers 503, so the retries show with images that do not fail (empty: none)")),
    attempts: param.count('attempts after the first failure'),
    perTryTimeout: param.duration('timeout of each attempt'),
    retryOn: optional(param.retryOn("Envoy retry conditions or status codes, comma-separated (empty: Istio's)")),
  },
  apply: (lab, id, v) => new Retry(lab, id, { service: v.service, attempts: v.attempts, perTryTimeout: v.perTryTimeout, retryOn: v.retryOn, abortPercent: v.abort }),
  needs: { ownSidecar: `the images do not fail, so the step shows its retries with 503s an EnvoyFilter adds in the callee's own sidecar, below the retried route; ${NO_SIDECAR}, and an abort added in the waypoint would answer before its router, which retries, sees the request` },
  expect: (v) => {
    const retried = `a failed request to ${v.service.name} is retried up to ${v.attempts} times (${d(v.perTryTimeout)} each, on ${v.retryOn ?? "Istio's default conditions"})`;
    if (v.abort === undefined) return `${retried}, so far fewer errors reach the caller`;
    const left = Math.round(100 * (v.abort / 100) ** (v.attempts + 1));
    return `${v.service.name}'s own sidecar now answers ${v.abort}% of the requests with 503; ${retried}, so at most about ${left}% of the calls fail,`
      + ` and the access log of ${v.service.name}'s sidecar shows more requests than were sent: a 503 with response flag FI (fault_filter_abort)`
      + ' followed by the retry with the same x-request-id. The failures are part of this step:'
      + ' the images do not fail, so an EnvoyFilter aborts requests in the service\'s own sidecar, below the retried route'
      + ' (a VirtualService abort on the same route would never be retried: Envoy answers it before the router, which retries, sees it)';
  },
});

export const loadBalancer = scenario({
  name: 'load-balancer',
  summary: 'chooses how requests spread over the pods of a service',
  params: {
    service: svc,
    policy: param.oneOf('load-balancing algorithm', LOAD_BALANCER_POLICIES),
    version: param.version('version to scale out so the spreading shows'),
    replicas: param.count('replicas of that version', 1),
    hashHeader: optional(param.headerName('consistent hashing on this request header instead of policy (empty: off)')),
    subset: optional(param.text('another policy for one version, optionally for one port of it: v2:LEAST_REQUEST or v2:LEAST_REQUEST:80:RANDOM (empty: none)')),
  },
  apply: (lab, id, v) => new LoadBalancer(lab, id, {
    service: v.service,
    policy: v.policy,
    hashHeader: v.hashHeader,
    scale: { version: v.version, replicas: v.replicas },
    subset: v.subset ? subsetPolicy(v.service, v.subset) : undefined,
  }),
  expect: (v) => (v.hashHeader
    ? `requests with the same ${v.hashHeader} header always reach the same ${v.service.name} pod`
    : `requests spread over the ${v.replicas} pods of ${v.service.name} ${v.version.name} and the other versions by ${v.policy}`),
});

const poolParams = {
  maxConnections: param.count('TCP connections at most', 1),
  maxPendingRequests: param.count('requests waiting for a connection at most', 1),
  maxRequestsPerConnection: optional(param.count('requests per connection before it is closed (empty: unlimited)', 1)),
};

export const connectionPool = scenario({
  name: 'connection-pool',
  summary: 'limits the connections and requests callers may open to a service',
  params: {
    service: svc,
    ...poolParams,
    connectTimeout: optional(param.duration('TCP connect timeout (empty: Envoy default)')),
    http2MaxRequests: optional(param.count('requests in flight at most (empty: Envoy default)', 1)),
    maxRetries: optional(param.count('retries in flight at most (empty: Envoy default)')),
  },
  apply: (lab, id, v) => new ConnectionPool(lab, id, { ...v }),
  expect: (v, lab) => `under load beyond ${v.maxConnections} connections and ${v.maxPendingRequests} waiting requests, the excess to ${v.service.name} fails fast with 503 (the load tool reports them as Code 503; ${isAmbient(lab) ? "the waypoint's access log, which holds the pool," : "the calling sidecar's access log"} shows them with response flag UO, upstream overflow)`,
});

const outlierParams = {
  consecutive5xxErrors: param.count('5xx answers in a row that eject a pod', 1),
  interval: param.duration('how often pods are checked'),
  baseEjectionTime: param.duration('how long an ejected pod stays out'),
  maxEjectionPercent: param.percent('percent of pods that may be out at once'),
};

export const circuitBreaker = scenario({
  name: 'circuit-breaker',
  summary: 'a small connection pool that rejects the excess, and ejection of failing pods',
  params: { service: svc, ...poolParams, ...outlierParams },
  apply: (lab, id, v) => new CircuitBreaker(lab, id, { ...v }),
  expect: (v, lab) => `under concurrent load some requests to ${v.service.name} fail at once with 503 (the circuit is open: the load tool reports them as Code 503, and ${isAmbient(lab) ? "the waypoint's access log, which holds the pool," : "the calling sidecar's access log"} shows them with response flag UO, upstream overflow); a pod that answers ${count(v.consecutive5xxErrors, 'error')} in a row is out for ${d(v.baseEjectionTime)}`,
});

export const outlierDetection = scenario({
  name: 'outlier-detection',
  summary: 'ejects failing pods from the load-balancing pool (random balancing over a scaled-out version)',
  params: { service: svc, ...outlierParams, version: param.version('version to scale out'), replicas: param.count('its replicas', 1) },
  apply: (lab, id, v) => new OutlierDetection(lab, id, { ...v, scale: { version: v.version, replicas: v.replicas } }),
  expect: (v) => `a failing ${v.service.name} pod is ejected after ${count(v.consecutive5xxErrors, 'error')} in a row for ${d(v.baseEjectionTime)}: the answers come from the healthy pods, and its error shows again only when it comes back`,
});

export const rateLimit = scenario({
  name: 'rate-limit',
  summary: "limits the requests a service accepts (Envoy local rate limit in its sidecar)",
  params: {
    service: svc,
    requests: param.count('requests allowed per period', 1),
    per: param.duration('the period'),
    version: optional(param.version('limit only this version (empty: every version)')),
  },
  apply: (lab, id, v) => new RateLimit(lab, id, { service: v.service, requests: v.requests, per: v.per, version: v.version }),
  needs: { ownSidecar: `Envoy's local rate limit is added by an EnvoyFilter to the service's own sidecar (context SIDECAR_INBOUND, chosen by the pods' labels); ${NO_SIDECAR}, the Gateway API has no rate limit, and an EnvoyFilter attached to the waypoint (alpha) would patch a proxy every service of the namespace shares, a different filter meshlab does not write` },
  expect: (v) => `beyond ${count(v.requests, 'request')} per ${d(v.per)}, ${v.service.name}${v.version ? ` ${v.version.name}` : ''} answers \`HTTP/1.1 429 Too Many Requests\` with the header \`${RATE_LIMIT_HEADER}: true\` and the body local_rate_limited (${LAST_COMMAND}, with curl's -i, shows the status and the header)`,
});

export const mtls = scenario({
  name: 'mtls',
  summary: 'requires (STRICT) or accepts (PERMISSIVE) mutual TLS between sidecars',
  params: {
    mode: param.oneOf('STRICT or PERMISSIVE', ['STRICT', 'PERMISSIVE'] as const),
    scope: param.oneOf('mesh (istio-system), namespace or service', ['mesh', 'namespace', 'service'] as const),
    service: optional(param.service('the service, for scope service')),
    namespace: optional(param.text("the namespace, for scope namespace (empty: the lab's)")),
    matrix: param.oneOf('also create namespaces foo, bar (meshed) and legacy (not) with httpbin and sleep', ['yes', 'no'] as const),
  },
  apply: (lab, id, v) => new Mtls(lab, id, { mode: v.mode, scope: v.scope, service: v.service, namespace: v.namespace, matrix: v.matrix === 'yes' }),
  expect: (v, lab) => (isAmbient(lab) ? mtlsAmbientExpect(v) : v.mode === 'STRICT'
    ? `meshed callers still succeed (their sidecars use mTLS); a caller without a sidecar (sleep.legacy) gets "connection reset by peer" (000) when it calls into ${v.scope === 'namespace' ? `namespace ${v.namespace ?? 'of the lab'}` : v.scope === 'mesh' ? 'the mesh' : v.service?.name}`
    : `callers with and without a sidecar both succeed (${v.scope} scope)`),
});

/** What the mtls step shows in ambient mode, where mTLS between meshed workloads needs no policy. */
function mtlsAmbientExpect(v: { mode: string; scope: string; namespace?: string; service?: IService }): string {
  const where = v.scope === 'namespace' ? `namespace ${v.namespace ?? 'of the lab'}` : v.scope === 'mesh' ? 'the mesh' : v.service?.name;
  const already = 'ztunnel already sends every call between ambient workloads over mutual TLS (HBONE, port 15008), with or without this policy';
  return v.mode === 'STRICT'
    ? `${already}, so ambient callers still succeed; what STRICT changes is plain text from outside the mesh: ztunnel refuses it, and a caller that is not in the mesh (sleep.legacy) gets "connection reset by peer" (000) when it calls into ${where}`
    : `${already}; PERMISSIVE also accepts plain text from callers outside the mesh, so callers in and out of the mesh both succeed (${v.scope} scope)`;
}

export const authzDeny = scenario({
  name: 'authz-deny',
  summary: 'denies some callers access to a service (AuthorizationPolicy DENY on their ServiceAccounts)',
  params: { service: svc, from: param.callers('denied callers, comma-separated') },
  apply: (lab, id, v) => new AuthzDeny(lab, id, { from: v.from, to: v.service }),
  expect: (v, lab) => `calls from ${v.from.map((c) => c.name).join(', ')} to ${v.service.name} answer 403 "${RBAC_DENIED}"`
    + v.from.flatMap((c) => relayed(lab, c.name, 403, RBAC_DENIED)).map((r) => `, so ${r}`).join('')
    + '; other callers are unaffected',
});

export const authzAllow = scenario({
  name: 'authz-allow',
  summary: "denies everything in the lab's namespace, then allows the listed calls by ServiceAccount",
  params: { rules: param.allowRules('to<from,from[:METHOD|METHOD][@Header=value] rules separated by ";" (from * means anyone)') },
  apply: (lab, id, v) => new AuthzAllow(lab, id, { rules: v.rules }),
  expect: (v) => `only these calls succeed: ${v.rules.map((r) => `${r.from ? r.from.map((c) => c.name).join(',') : 'anyone'} -> ${r.to.name}${r.methods ? ` (${r.methods.join('|')})` : ''}${r.header ? ` with ${r.header.name}: ${r.header.values.join(' or ')}` : ''}`).join('; ')}; any other call in the namespace answers 403 "RBAC: access denied"`,
});

export const jwt = scenario({
  name: 'jwt',
  summary: 'accepts only requests carrying a valid JWT (RequestAuthentication and AuthorizationPolicy)',
  params: {
    service: svc,
    issuer: param.text('accepted token issuer (iss)'),
    jwksUri: param.text("URL of the issuer's public keys"),
    header: param.headerName('header the token comes in (Authorization means "Bearer <token>")'),
    param: optional(param.text('query parameter that may carry the token too, e.g. access_token (empty: none)')),
  },
  apply: (lab, id, v) => new Jwt(lab, id, { service: v.service, issuer: v.issuer, jwksUri: v.jwksUri, fromHeader: v.header, fromParam: v.param }),
  expect: (v) => `without a token ${v.service.name} answers 403 (RBAC: access denied: the AuthorizationPolicy requires a request principal), with an invalid token 401 (Jwt is not in the form of Header.Payload.Signature), with a valid token from ${v.issuer} 200`
    + (v.issuer === DEMO_ISSUER ? `. The valid token is Istio's demo token for ${DEMO_ISSUER} (${DEMO_TOKEN_URL}), signed with the key at ${v.jwksUri}` : ''),
});

export const egress = scenario({
  name: 'egress',
  summary: 'registers external hosts with the mesh (ServiceEntry) and blocks calls to any other (REGISTRY_ONLY)',
  params: {
    hosts: param.list('host:port pairs (port 443 is TLS, others HTTP)'),
    timeout: optional(param.duration('timeout of HTTP calls to them (empty: none)')),
    gateway: param.oneOf('send HTTP calls through the egress gateway', ['yes', 'no'] as const),
  },
  needs: { ownSidecar: 'the step makes the namespace registry-only with a Sidecar resource (outboundTrafficPolicy REGISTRY_ONLY), which only sidecars read: ztunnel sends ambient pods\' calls to external hosts out whatever the policy, and istio.io controls ambient egress with an egress waypoint instead' },
  apply: (lab, id, v) => new Egress(lab, id, {
    timeout: v.timeout,
    viaGateway: v.gateway === 'yes',
    hosts: v.hosts.map((hp) => {
      const [host, port] = hp.split(':');
      return port === '443' ? ExternalHost.tls(host) : ExternalHost.http(host, Number(port ?? 80));
    }),
  }),
  expect: (v) => `the step makes the lab's namespace registry-only (its Sidecar default sets outboundTrafficPolicy REGISTRY_ONLY, whatever the mesh's policy is), so calls to ${v.hosts.join(' and ')} succeed and calls to any other external host fail (HTTP with 502 from the sidecar, HTTPS with a reset connection, curl's code 000)${v.timeout ? `; calls to ${v.hosts.filter((h) => !h.endsWith(':443')).join(' and ')} that take longer than ${d(v.timeout)} answer 504 after ${d(v.timeout)}` : ''}${v.gateway === 'yes' ? `; the egress gateway's log (\`kubectl -n istio-system logs -l istio=egressgateway -c istio-proxy --tail=5\`) shows the HTTP calls` : ''}`,
});

/** Where the ingress-tls step's certificate Secret goes: where the lab's gateway reads it (IngressGateway.secretNamespace). */
const secretNamespace = (lab: MeshLab) => lab.gateways[0]?.secretNamespace ?? 'istio-system';

export const ingressTls = scenario({
  name: 'ingress-tls',
  summary: "also serves the lab's gateway over HTTPS on port 443 (TLS terminated at the ingress gateway)",
  params: {
    credentialName: param.text("secret with the certificate (tls.crt, tls.key): in istio-system, or with the Gateway API in the lab's namespace"),
    host: param.text('host name on the certificate the guide makes (the gateway serves every host)'),
  },
  apply: (lab, id, v) => new IngressTls(lab, id, { gateway: lab.gateways[0], credentialName: v.credentialName, host: v.host }),
  prepare: (v, lab) => [
    `openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj '/CN=${v.host}' -addext 'subjectAltName=DNS:${v.host}' -keyout ${v.host}.key -out ${v.host}.crt`,
    `kubectl -n ${secretNamespace(lab)} create secret tls ${v.credentialName} --cert=${v.host}.crt --key=${v.host}.key`,
  ],
  cleanup: (v, lab) => [`kubectl -n ${secretNamespace(lab)} delete secret ${v.credentialName}`],
  expect: (v, lab) => `https://${v.host}/ answers like http:// does, with the certificate of secret ${v.credentialName}${secretNamespace(lab) === 'istio-system' ? '' : ` in namespace ${secretNamespace(lab)}, where the Gateway API gateway runs`} (made with openssl above; \`--cacert\` trusts it and \`--resolve\` sends ${v.host} to the ingress address, since the name is in no DNS)`,
});

export const redirect = scenario({
  name: 'redirect',
  summary: 'answers one path with a redirect to another',
  params: { service: svc, from: param.text('path that is redirected'), to: param.text('where to') },
  apply: (lab, id, v) => new Redirect(lab, id, { service: v.service, from: v.from, to: v.to }),
  expect: (v) => `GET ${v.from} answers 301 with location: ${v.to}`,
});

export const rewrite = scenario({
  name: 'rewrite',
  summary: 'rewrites a path prefix before forwarding',
  params: { service: svc, prefix: param.text('path prefix to rewrite'), to: param.text('replacement') },
  apply: (lab, id, v) => new Rewrite(lab, id, { service: v.service, prefix: v.prefix, to: v.to }),
  expect: (v) => `GET ${v.prefix}... answers what ${v.to}... answers`,
});

export const cors = scenario({
  name: 'cors',
  summary: 'answers CORS preflights for the allowed origins',
  params: { service: svc, origins: param.list('allowed origins'), methods: param.list('allowed methods'), maxAge: param.duration('how long browsers cache the answer') },
  apply: (lab, id, v) => new Cors(lab, id, { service: v.service, allowOrigins: v.origins, allowMethods: v.methods, maxAge: v.maxAge }),
  expect: (v, lab) => `the preflight (OPTIONS with Origin: ${v.origins[0]} and Access-Control-Request-Method: ${v.methods[0]}) is answered by the ${isAmbient(lab) ? 'waypoint' : "caller's sidecar"} with 200 and the headers access-control-allow-origin: ${v.origins[0]}, access-control-allow-methods: ${v.methods.join(',')} and access-control-max-age: ${v.maxAge.toSeconds()}; a preflight from another origin is passed on to ${v.service.name} instead, so whatever CORS headers come back are its own`,
});

export const requestHeaders = scenario({
  name: 'request-headers',
  summary: 'adds a header to every request before it reaches the service',
  params: { service: svc, name: param.headerName('header name'), value: param.text('header value') },
  apply: (lab, id, v) => new RequestHeaders(lab, id, { service: v.service, add: { [v.name]: v.value } }),
  expect: (v) => `${v.service.name} receives ${v.name}: ${v.value} with every request`,
});

export const tcpRoute = scenario({
  name: 'tcp-route',
  summary: 'routes TCP connections for a proxy Service without pods to another service',
  params: { name: param.text('name of the proxy Service'), port: param.count('its port', 1), service: param.service('the service that answers') },
  apply: (lab, id, v) => new TcpRoute(lab, id, { name: v.name, port: v.port, to: v.service }),
  expect: (v) => `connections to ${v.name}:${v.port} reach ${v.service.name} on port ${v.service.port}`,
});

/** Every scenario, in the order steps are listed and applied. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  route, canary, headerRoute, mirror, faultAbort, faultDelay, timeout, retry, loadBalancer, connectionPool,
  circuitBreaker, outlierDetection, rateLimit, mtls, authzDeny, authzAllow, jwt, egress, ingressTls, redirect, rewrite, cors,
  requestHeaders, tcpRoute,
];
