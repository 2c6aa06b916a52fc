import { Construct } from 'constructs';
import { Duration } from 'cdk8s';
import { HTTPRouteObject, KubernetesGateway, TCPRouteObject } from '../../imports/gateway-api';
import { AuthorizationPolicy, DestinationRule, EnvoyFilter, Gateway, ServiceEntry, Sidecar, VirtualService } from '../../imports/istio';
import { gatewayApiTcpRoute } from '../render/gateway-api';
import { istioAuthorizationPolicy, istioHttpRoutes, istioServiceEntry, istioTcpVirtualService } from '../render/istio';
import type { HostIntent, TcpRouteIntent } from '../intent';
import { MeshlabError } from '../errors';
import { egressGatewayName } from '../mesh/command';
import { gatewayTarget } from '../mesh/flavour';
import type { IngressGateway } from '../mesh/gateway';
import { ExternalHost, IDestination, type IService, type IVersion } from '../mesh/routing';
import type { MeshLab } from '../mesh/lab';
import { newService } from '../mesh/workload';
import { LAST_COMMAND, NO_SIDECAR, count, d, scenario, svc } from './define';
import { optional, param } from './params';
import { Scenario } from './scenario';
import { checkWeights, type Weights } from './traffic';

/** Where the ingress-tls step's certificate Secret goes: where the lab's gateway reads it (IngressGateway.secretNamespace). */
const secretNamespace = (lab: MeshLab) => lab.gateways[0]?.secretNamespace ?? 'istio-system';

/** The demo profile's egress gateway Service. */
export const EGRESS_GATEWAY_HOST = 'istio-egressgateway.istio-system.svc.cluster.local';

/** The port the demo profile's egress gateway pods take HTTP on (its Service's port 80), which a policy there names. */
const EGRESS_GATEWAY_HTTP_PORT = 8080;

/**
 * The address the ambient egress step gives its external host: one of Istio's own range for
 * ServiceEntries (240.240.0.0/16, which its allocator skips when a ServiceEntry names one), at its top.
 */
const EGRESS_VIP = '240.240.255.1';

/** The CA bundle in Istio's proxy image, against which a proxy originating TLS checks the host's certificate. */
const PROXY_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The demo profile's egress gateway, as a destination: one subset per external host it sends out. */
const egressGatewaySubset = (subset: string): IDestination => ({
  subset,
  destinationFrom: () => ({ host: EGRESS_GATEWAY_HOST, subset, port: { number: 80 } }),
  target: { host: EGRESS_GATEWAY_HOST, port: 80, subset },
});

export interface EgressProps {
  /** The external hosts the lab may call (`ExternalHost.http('httpbin.org')`, `ExternalHost.tls('www.google.com')`). */
  readonly hosts: readonly ExternalHost[];
  /** Timeout of HTTP calls to the hosts. @default none */
  readonly timeout?: Duration;
  /**
   * Make the lab's namespace registry-only (a namespace-wide Sidecar), so calls to hosts
   * without a ServiceEntry fail whatever the mesh's outbound policy is. @default true
   */
  readonly registryOnly?: boolean;
}

/**
 * Registers external hosts with the mesh (ServiceEntry, MESH_EXTERNAL, DNS), so they stay
 * reachable with `outboundTrafficPolicy: REGISTRY_ONLY`, which it sets for the lab's namespace
 * (the mesh's own policy is ALLOW_ANY unless installed otherwise), and gives HTTP ones a
 * timeout. EgressGateway sends a host out through a gateway instead.
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/
 */
export class Egress extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'egress',
    summary: 'registers external hosts with the mesh (ServiceEntry) and blocks calls to any other (REGISTRY_ONLY)',
    params: {
      hosts: param.list('host:port pairs (port 443 is TLS, others HTTP)'),
      timeout: optional(param.duration('timeout of HTTP calls to them (empty: none)')),
    },
    needs: { ownSidecar: 'the step makes the namespace registry-only with a Sidecar resource (outboundTrafficPolicy REGISTRY_ONLY), which only sidecars read: ztunnel sends ambient pods\' calls to external hosts out whatever the policy, and istio.io controls ambient egress with an egress waypoint instead (the egress-gateway step)' },
    apply: (lab, id, v) => new Egress(lab, id, {
      timeout: v.timeout,
      hosts: v.hosts.map((hp) => {
        const [host, port] = hp.split(':');
        return port === '443' ? ExternalHost.tls(host) : ExternalHost.http(host, Number(port ?? 80));
      }),
    }),
    expect: (v) => `the step makes the lab's namespace registry-only (its Sidecar default sets outboundTrafficPolicy REGISTRY_ONLY, whatever the mesh's policy is), so calls to ${v.hosts.join(' and ')} succeed and calls to any other external host fail (HTTP with 502 from the sidecar, HTTPS with a reset connection, curl's code 000)${v.timeout ? `; calls to ${v.hosts.filter((h) => !h.endsWith(':443')).join(' and ')} that take longer than ${d(v.timeout)} answer 504 after ${d(v.timeout)}` : ''}`,
  });

  public constructor(scope: Construct, id: string, props: EgressProps) {
    super(scope, id, Egress.definition.name, props);
    const lab = this.lab;
    if (props.hosts.length === 0) throw new MeshlabError('egress needs at least one host:port');
    if (props.registryOnly ?? true) {
      // The namespace's default Sidecar: without egress hosts it keeps every host of the
      // registry (istio/istio pilot/pkg/model/sidecar.go: ConvertToSidecarScope defaults an
      // empty egress to */*) and only changes the outbound policy.
      new Sidecar(this, 'RegistryOnly', { metadata: { name: 'default' }, spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    }
    for (const h of props.hosts) {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(h.host)) throw new MeshlabError(`egress: ${h.host} is not a DNS host name`);
      if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535) throw new MeshlabError(`egress: port ${h.port} of ${h.host} must be from 1 to 65535`);
      const name = h.host.replace(/\./g, '-');
      new ServiceEntry(this, name, { metadata: { name }, spec: istioServiceEntry(h) });
      if (h.protocol !== 'HTTP' || !props.timeout) continue;
      // The host's routing as intent: every request to it, with the step's timeout.
      const intent: HostIntent = { routes: [{ to: [{ destination: h.target }] }], settings: { timeout: props.timeout }, policy: {}, subsetPolicies: new Map() };
      new VirtualService(this, `${name}-vs`, { metadata: { name }, spec: { hosts: [h.host], http: istioHttpRoutes(intent, lab.namespace) } });
    }
  }
}

export interface EgressGatewayProps {
  /** The external HTTP host (`ExternalHost.http('httpbin.org')`). */
  readonly host: ExternalHost;
  /** Originate TLS to the host's port 443 where the calls leave, so plain http:// calls travel the internet as HTTPS. @default true */
  readonly originateTls?: boolean;
  /** The HTTP methods allowed out to the host, enforced where the calls leave. @default every method */
  readonly methods?: readonly string[];
}

/**
 * Sends an external host's calls out through one proxy where they can be watched, limited and
 * encrypted: with sidecars an egress gateway (the demo profile's istio-egressgateway with
 * Istio's APIs; with the Gateway API a Gateway the step deploys, and two HTTPRoutes), in
 * ambient mode the namespace's waypoint, which takes a ServiceEntry of its namespace as it
 * takes a Service. There it originates TLS (the ServiceEntry's port 80 goes to port 443, and a
 * DestinationRule starts TLS on it) and allows only `methods`.
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway-tls-origination/
 * @see https://istio.io/latest/docs/ambient/usage/egress-gateway/
 */
export class EgressGateway extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'egress-gateway',
    summary: "sends an external host's calls out through one proxy (an egress gateway, or in ambient the waypoint), which originates TLS and allows only some methods",
    params: {
      host: param.text('the external host, called over plain HTTP on port 80'),
      tls: param.oneOf('originate TLS to port 443 of the host where the calls leave', ['yes', 'no'] as const),
      methods: param.list('HTTP methods allowed out to the host'),
    },
    apply: (lab, id, v) => new EgressGateway(lab, id, { host: ExternalHost.http(v.host), originateTls: v.tls === 'yes', methods: v.methods }),
    expect: (v, lab) => `calls to http://${v.host}/ leave through ${lab.flavour.sidecars ? (lab.flavour.gatewayApi ? `the Gateway ${egressGatewayName(v.host)} the step deploys (its Deployment ${egressGatewayName(v.host)}-istio)` : 'the egress gateway istio-egressgateway in istio-system') : `the namespace's waypoint \`${lab.waypoint?.name ?? ''}\`, which takes the ServiceEntry as it takes a Service`}, whose access log shows them${v.tls === 'yes' ? `; it opens TLS to ${v.host}:443, so the answer of /get names \`"url": "https://${v.host}/get"\` although the caller asked for http://` : ''}; ${v.methods.join(' and ')} pass${v.methods.length === 1 ? 'es' : ''} and any other method gets 403 from it (RBAC: access denied)`,
  });

  public constructor(scope: Construct, id: string, props: EgressGatewayProps) {
    super(scope, id, EgressGateway.definition.name, props);
    const lab = this.lab;
    const h = props.host;
    if (h.protocol !== 'HTTP') throw new MeshlabError(`egress-gateway: ${h.host} must be an HTTP host: a gateway can only read, limit and encrypt plain HTTP calls`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(h.host)) throw new MeshlabError(`egress-gateway: ${h.host} is not a DNS host name such as httpbin.org`);
    for (const m of props.methods ?? []) {
      if (!/^[A-Z]+$/.test(m)) throw new MeshlabError(`egress-gateway: method ${m} must be an HTTP method in capitals, such as GET or POST`);
    }
    const name = h.host.replace(/\./g, '-');
    const gateway = egressGatewayName(h.host);
    const originate = props.originateTls ?? true;
    // Port 80 of the host goes to its port 443 (ServiceEntry targetPort), where a DestinationRule starts TLS.
    const waypoint = lab.flavour.sidecars ? undefined : lab.waypoint;
    // In ambient mode the host gets its own address, which ztunnel's DNS proxy answers with (istio-cni
    // dnsCapture, on by default) so its calls reach the waypoint: left to istiod, the address can be
    // lost, as its allocator's status patch fails once the waypoint's status condition is written
    // first (pilot/pkg/controllers/ipallocate/ipallocate.go; verify:cluster saw it every time).
    new ServiceEntry(this, name, {
      metadata: { name, labels: waypoint ? { 'istio.io/use-waypoint': waypoint.name } : undefined },
      spec: istioServiceEntry({ host: h.host, port: h.port, portName: h.portName, protocol: h.protocol, targetPort: originate ? 443 : undefined, address: waypoint ? EGRESS_VIP : undefined }),
    });
    if (originate) {
      // The proxy checks the host's certificate against the CA bundle of its image (proxyv2):
      // without caCertificates istioctl analyze warns (IST0129, destinationrule/ca-certificates.go).
      const tls = { mode: 'SIMPLE' as const, caCertificates: PROXY_CA_BUNDLE };
      new DestinationRule(this, `${name}-tls`, { metadata: { name }, spec: { host: h.host, trafficPolicy: { portLevelSettings: [{ port: { number: h.port }, tls }] } } });
    }
    const allow = props.methods === undefined ? undefined : { action: 'ALLOW' as const, rules: [{ methods: [...props.methods] }] };
    if (waypoint) {
      // The namespace's waypoint takes the ServiceEntry (istio.io/use-waypoint) and applies the policies that name it.
      if (allow) new AuthorizationPolicy(this, `${name}-methods`, { metadata: { name }, spec: istioAuthorizationPolicy(allow, { targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name }] }) });
      return;
    }
    if (lab.flavour.gatewayApi) {
      // istio.io's Gateway API form: a Gateway of class istio (a ClusterIP Service), mesh calls to the
      // host sent to it (an HTTPRoute on the ServiceEntry), and from it to the host (kind Hostname).
      new KubernetesGateway(this, `${name}-gateway`, {
        metadata: { name: gateway, annotations: { 'networking.istio.io/service-type': 'ClusterIP' } },
        spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', hostname: h.host, port: h.port, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
      });
      new HTTPRouteObject(this, `${name}-to-gateway`, {
        metadata: { name: `${name}-to-egress` },
        spec: { parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name }], rules: [{ backendRefs: [{ name: `${gateway}-istio`, port: h.port }] }] },
      });
      new HTTPRouteObject(this, `${name}-from-gateway`, {
        metadata: { name: `${name}-from-egress` },
        spec: { parentRefs: [{ name: gateway }], hostnames: [h.host], rules: [{ backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: h.host, port: h.port }] }] },
      });
      if (allow) new AuthorizationPolicy(this, `${name}-methods`, { metadata: { name: gateway }, spec: istioAuthorizationPolicy(allow, { targetRefs: [gatewayTarget(gateway)] }) });
      return;
    }
    // Istio's APIs: the sidecars send the host to the demo profile's egress gateway, which sends it out.
    new Gateway(this, `${name}-gateway`, {
      metadata: { name: gateway },
      spec: { selector: { istio: 'egressgateway' }, servers: [{ port: { number: h.port, name: 'http', protocol: 'HTTP' }, hosts: [h.host] }] },
    });
    new DestinationRule(this, `${name}-dr`, { metadata: { name: gateway }, spec: { host: EGRESS_GATEWAY_HOST, subsets: [{ name }] } });
    new VirtualService(this, `${name}-vs`, {
      metadata: { name },
      spec: {
        hosts: [h.host],
        gateways: [gateway, 'mesh'],
        http: [
          { match: [{ gateways: ['mesh'], port: h.port }], route: [{ destination: egressGatewaySubset(name).destinationFrom(lab.namespace) }] },
          { match: [{ gateways: [gateway], port: h.port }], route: [{ destination: h.destinationFrom() }] },
        ],
      },
    });
    // The egress gateway is shared (istio-system): a DENY of the other methods to this host
    // leaves every other host it sends out alone, where an ALLOW would refuse them. On its HTTP
    // port only: a DENY of HTTP attributes alone would refuse every TCP connection (IST0133).
    if (props.methods) {
      const operation = { hosts: [h.host], notMethods: [...props.methods], ports: [String(EGRESS_GATEWAY_HTTP_PORT)] };
      new AuthorizationPolicy(this, `${name}-methods`, {
        metadata: { name: gateway, namespace: 'istio-system' },
        spec: { selector: { matchLabels: { istio: 'egressgateway' } }, action: 'DENY', rules: [{ to: [{ operation }] }] },
      });
    }
  }
}

export interface IngressTlsProps {
  /** The lab's gateway to serve over HTTPS too. */
  readonly gateway: IngressGateway;
  /**
   * The secret holding the certificate and key, where the gateway reads it
   * (`gateway.secretNamespace`): istio-system for Istio's gateway, the lab's namespace for a
   * Gateway API one.
   */
  readonly credentialName: string;
  /** The host the certificate is for (it names the certificate a learner makes). @default none */
  readonly host?: string;
}

/**
 * Serves a lab's gateway over HTTPS too (port 443, TLS terminated at the ingress gateway
 * with the certificate in a secret: in istio-system, or with the Gateway API in the lab's namespace).
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/secure-ingress/
 */
export class IngressTls extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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

  public constructor(scope: Construct, id: string, props: IngressTlsProps) {
    super(scope, id, IngressTls.definition.name, props);
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.credentialName)) {
      throw new MeshlabError(`ingress-tls: ${props.credentialName} is not a valid secret name`);
    }
    // The host only names the certificate a learner makes for the guide; the gateway keeps serving every host.
    if (props.host !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(props.host)) {
      throw new MeshlabError(`ingress-tls: host ${props.host} is not a DNS host name such as lab.example.com`);
    }
    props.gateway.enableTls(props.credentialName);
  }
}

export interface TcpRouteProps {
  /** Name of the Service without pods that callers connect to. */
  readonly name: string;
  /** Its port, 1 to 65535. */
  readonly port: number;
  /** The service whose port gets the connections. */
  readonly to: IService;
}

/**
 * Routes TCP: a Service without pods (`redis-proxy`) whose connections the sidecars send
 * to another service's port.
 * @see https://istio.io/latest/docs/tasks/traffic-management/tcp-traffic-shifting/
 */
export class TcpRoute extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'tcp-route',
    summary: 'routes TCP connections for a proxy Service without pods to another service',
    params: { name: param.text('name of the proxy Service'), port: param.count('its port', 1), service: param.service('the service that answers') },
    apply: (lab, id, v) => new TcpRoute(lab, id, { name: v.name, port: v.port, to: v.service }),
    expect: (v) => `connections to ${v.name}:${v.port} reach ${v.service.name} on port ${v.service.port}`,
  });

  public constructor(scope: Construct, id: string, props: TcpRouteProps) {
    super(scope, id, TcpRoute.definition.name, props);
    routeTcp(this, this.name, props.name, props.port, () => [{ destination: props.to.defaultDestination.target }]);
  }
}

export interface TcpShiftProps {
  /** Name of the Service without pods that callers connect to. */
  readonly name: string;
  /** Its port, 1 to 65535. */
  readonly port: number;
  /** Versions of one service with the percent of connections each gets; they add up to 100. */
  readonly weights: Weights;
}

/**
 * Shifts TCP connections between a service's versions by weight: a Service without pods
 * (`service-go-tcp`) whose port is TCP, so each connection, not each request, goes to one
 * version (Envoy's TCP proxy picks a weighted cluster per connection).
 * @see https://istio.io/latest/docs/tasks/traffic-management/tcp-traffic-shifting/
 */
export class TcpShift extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'tcp-shift',
    summary: "shifts TCP connections between a service's versions by weight, through a proxy Service without pods",
    params: {
      name: param.text('name of the proxy Service'),
      port: param.count('its port', 1),
      service: svc,
      weights: param.weights('version:percent pairs adding up to 100'),
    },
    apply: (lab, id, v) => new TcpShift(lab, id, { name: v.name, port: v.port, weights: v.weights.map((w) => ({ version: w.version, weight: w.weight })) }),
    expect: (v) => `connections to ${v.name}:${v.port} reach ${v.service.name} on port ${v.service.port}, about ${v.weights.map((w) => `${w.weight}% of them ${w.version.name}`).join(', ')}: each connection goes to one version, so each call (a new connection) answers from one`,
  });

  public constructor(scope: Construct, id: string, props: TcpShiftProps) {
    super(scope, id, TcpShift.definition.name, props);
    checkWeights(this.name, props.weights);
    routeTcp(this, this.name, props.name, props.port, () => props.weights.map((w) => ({ destination: w.version.target, weight: w.weight })));
  }
}

/**
 * The Service without pods callers connect to, its port named tcp, and its route: GAMMA's
 * TCPRoute (experimental channel) attached to it, or a VirtualService tcp route.
 */
function routeTcp(scenario: Scenario, step: string, name: string, port: number, to: () => TcpRouteIntent['to']): void {
  const lab = scenario.lab;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MeshlabError(`${step}: port must be from 1 to 65535, got ${port}`);
  newService(scenario, 'Service', name, [{ name: 'tcp', port }]);
  const intent = (): TcpRouteIntent => ({ host: name, port, to: to() });
  if (lab.flavour.gatewayApi) {
    new TCPRouteObject(scenario, 'Routes', { metadata: { name }, spec: () => gatewayApiTcpRoute(intent(), lab.namespace) });
    return;
  }
  new VirtualService(scenario, 'Routes', { metadata: { name }, spec: () => istioTcpVirtualService(intent(), lab.namespace) });
}

/** The header RateLimit's filter adds to the answers it refuses with 429 (its response_headers_to_add; a test keeps the two equal). */
export const RATE_LIMIT_HEADER = 'x-local-rate-limit';

/** Envoy wants protobuf durations in seconds: `5s`, `0.5s`. */
const envoySeconds = (d: Duration) => `${d.toMilliseconds() / 1000}s`;

export interface RateLimitProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Requests allowed per period, 1 or more. */
  readonly requests: number;
  /** The period, at least 50ms. */
  readonly per: Duration;
  /** Only this version's pods. @default every version */
  readonly version?: IVersion;
}

/**
 * Limits the requests a service accepts, with Envoy's local rate limit in its sidecar
 * (the modern form of the Mixer quotas the book used); the excess gets 429.
 * @see https://istio.io/latest/docs/tasks/policy-enforcement/rate-limit/
 */
export class RateLimit extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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

  public constructor(scope: Construct, id: string, props: RateLimitProps) {
    super(scope, id, RateLimit.definition.name, props);
    if (!Number.isInteger(props.requests) || props.requests < 1) throw new MeshlabError(`rate-limit: requests must be a whole number 1 or more, got ${props.requests}`);
    // Envoy refuses a token bucket fill_interval under 50ms (envoyproxy/envoy
    // api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto, token_bucket).
    if (props.per.toMilliseconds() < 50) throw new MeshlabError(`rate-limit: per must be at least 50ms (Envoy refuses a shorter fill interval), got ${props.per.toMilliseconds()}ms`);
    const enabled = { runtime_key: 'local_rate_limit_enabled', default_value: { numerator: 100, denominator: 'HUNDRED' } };
    new EnvoyFilter(this, 'Filter', {
      metadata: { name: `${props.version ? `${props.service.name}-${props.version.name}` : props.service.name}-local-ratelimit` },
      spec: {
        workloadSelector: { labels: props.version ? { ...props.version.labels } : { app: props.service.app } },
        configPatches: [{
          applyTo: 'HTTP_FILTER',
          match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } },
          patch: {
            // First in the chain. Istio's task writes INSERT_BEFORE without a subFilter, which
            // istiod applies as INSERT_FIRST (istio/istio pilot/pkg/networking/core/envoyfilter/
            // listener_patch.go), but a relative operation without a priority is IST0151 for
            // istioctl analyze (pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go).
            operation: 'INSERT_FIRST',
            value: {
              name: 'envoy.filters.http.local_ratelimit',
              typed_config: {
                '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
                type_url: 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
                value: {
                  stat_prefix: 'http_local_rate_limiter',
                  token_bucket: { max_tokens: props.requests, tokens_per_fill: props.requests, fill_interval: envoySeconds(props.per) },
                  filter_enabled: { ...enabled, runtime_key: 'local_rate_limit_enabled' },
                  filter_enforced: { ...enabled, runtime_key: 'local_rate_limit_enforced' },
                  response_headers_to_add: [{ append: false, header: { key: 'x-local-rate-limit', value: 'true' } }],
                },
              },
            },
          },
        }],
      },
    });
  }
}
