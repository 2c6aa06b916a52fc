import type { Duration } from 'cdk8s';
import type { Match } from './match';

export { Match } from './match';
export type { AccessIntent, AccessRule } from './access';

/**
 * The routing of one host stated as intent, independent of the API that carries it: ordered
 * routes with their matches and weighted destinations, what applies to every route (faults,
 * retries, timeout, header operations, CORS), a mirror, and the traffic policies of the host
 * and of its subsets. Scenarios compose it (HostRouting); renderers turn it into an API's
 * objects (lib/render/istio.ts: VirtualService and DestinationRule). Nothing here is Istio
 * JSON, so a Gateway API renderer can sit beside the Istio one.
 */
export interface HostIntent {
  /** The routes in the order they are tried; the last one takes every request. */
  readonly routes: readonly RouteIntent[];
  /** Settings of every route that forwards (a redirect answers itself and takes none). */
  readonly settings: RouteSettings;
  /** A copy of the last route's requests. @default none */
  readonly mirror?: MirrorIntent;
  /** The host's traffic policy. */
  readonly policy: TrafficPolicyIntent;
  /** Traffic policies of single subsets, by subset name. */
  readonly subsetPolicies: ReadonlyMap<string, SubsetPolicyIntent>;
}

/**
 * Where a route sends traffic, as plain data: a meshed Service in its namespace (one version of
 * it, or every version), or a host outside the mesh. The model binds destinations by reference
 * (IDestination: a service, a version, an ExternalHost) and hands the renderers this.
 */
export type Destination = ServiceDestination | ExternalDestination;

/** A meshed Service, or one version of it (its subset, or its per-version Service). */
export interface ServiceDestination {
  readonly service: string;
  readonly namespace: string;
  /** The Service port callers use. */
  readonly port: number;
  /** The version, named as its subset. @default every version */
  readonly version?: string;
}

/** A host the lab does not own: outside the mesh (registered with a ServiceEntry), or a subset of Istio's egress gateway. */
export interface ExternalDestination {
  /** The DNS name. */
  readonly host: string;
  readonly port: number;
  /** A subset of the host's DestinationRule. @default none */
  readonly subset?: string;
}

/** One destination of a route, with its share of the requests (percent). `D`: plain data, or the model's references. */
export interface WeightedDestination<D = Destination> {
  readonly destination: D;
  /** Percent of the route's requests. @default all (the only destination) */
  readonly weight?: number;
}

/** One route: the requests it takes and what it does with them. */
export interface RouteIntent<D = Destination> {
  /** Alternatives (any one matching selects the route). @default every request */
  readonly match?: readonly Match[];
  /** Where it forwards. @default none: only with `redirect` */
  readonly to?: ReadonlyArray<WeightedDestination<D>>;
  /** Replaces the matched path prefix with this one before forwarding. @default path unchanged */
  readonly rewrite?: string;
  /** Answers with a redirect to this path instead of forwarding. @default forward */
  readonly redirect?: string;
}

/** A fault the proxy injects in front of the route: an abort or a delay of a share of the requests. */
export class Fault {
  /** Answer `percent` of the requests with HTTP `status`. */
  public static abort(status: number, percent: number): Fault {
    return new Fault('abort', percent, status, undefined);
  }

  /** Delay `percent` of the requests by `delay`. */
  public static delay(delay: Duration, percent: number): Fault {
    return new Fault('delay', percent, undefined, delay);
  }

  private constructor(
    public readonly kind: 'abort' | 'delay',
    /** Percent of the requests. */
    public readonly percent: number,
    /** The HTTP status of an abort. */
    public readonly status: number | undefined,
    /** The delay of a delay. */
    public readonly delay: Duration | undefined,
  ) {}
}

/** Retries of failed requests. */
export interface RetryIntent {
  /** Attempts after the first failure; 0 switches retries off. */
  readonly attempts: number;
  /** Timeout of each attempt. @default the proxy's */
  readonly perTryTimeout?: Duration;
  /** Conditions that trigger a retry (Envoy's names or status codes, comma-separated). @default the proxy's */
  readonly retryOn?: string;
}

/** CORS answers for browsers. */
export interface CorsIntent {
  /** Origins allowed, exactly. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  /** How long a browser may cache the preflight answer. */
  readonly maxAge: Duration;
}

/** Header operations on requests before they are forwarded. */
export interface HeaderOperations {
  /** Headers added to each request, by name. @default none */
  readonly requestAdd?: Readonly<Record<string, string>>;
}

/** What applies to every forwarding route of a host. */
export interface RouteSettings {
  /** @default none */
  readonly abort?: Fault;
  /** @default none */
  readonly delay?: Fault;
  /** Time allowed per request. @default none */
  readonly timeout?: Duration;
  /** @default none */
  readonly retries?: RetryIntent;
  /** @default none */
  readonly headers?: HeaderOperations;
  /** @default none */
  readonly cors?: CorsIntent;
}

/** A copy of requests sent to another destination; its answers are dropped. */
export interface MirrorIntent<D = Destination> {
  readonly destination: D;
  /** Percent of requests copied. */
  readonly percent: number;
}

/** Load-balancing algorithms, as Envoy names them (LEAST_CONN is now LEAST_REQUEST). */
export type LoadBalancerAlgorithm = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';

/** How requests spread over a host's endpoints. */
export class LoadBalancing {
  /** One of Envoy's algorithms. */
  public static algorithm(algorithm: LoadBalancerAlgorithm): LoadBalancing {
    return new LoadBalancing(algorithm, undefined);
  }

  /** Consistent hashing on a request header: the same value reaches the same endpoint. */
  public static hashHeader(header: string): LoadBalancing {
    return new LoadBalancing(undefined, header);
  }

  private constructor(
    public readonly algorithm: LoadBalancerAlgorithm | undefined,
    public readonly hashHeader: string | undefined,
  ) {}
}

/** Limits on the connections and requests callers may open. */
export interface ConnectionLimits {
  readonly maxConnections: number;
  /** @default the proxy's */
  readonly connectTimeout?: Duration;
  readonly maxPendingRequests: number;
  /** @default the proxy's */
  readonly maxRequests?: number;
  /** @default unlimited */
  readonly maxRequestsPerConnection?: number;
  /** @default the proxy's */
  readonly maxRetries?: number;
}

/** Ejection of endpoints that keep failing. */
export interface EjectionIntent {
  readonly consecutive5xxErrors: number;
  readonly interval: Duration;
  readonly baseEjectionTime: Duration;
  readonly maxEjectionPercent: number;
}

/** A host's traffic policy. */
export interface TrafficPolicyIntent {
  /** @default the proxy's (round robin) */
  readonly loadBalancer?: LoadBalancing;
  /** @default no limits */
  readonly connectionPool?: ConnectionLimits;
  /** @default no ejection */
  readonly outlierDetection?: EjectionIntent;
}

/** The traffic policy of one subset, optionally with another load balancing on one port. */
export interface SubsetPolicyIntent {
  readonly loadBalancer: LoadBalancing;
  /** @default none */
  readonly port?: { readonly number: number; readonly loadBalancer: LoadBalancing };
}

/**
 * TCP connections to a host (a Service callers connect to, on one port) sent on to one
 * destination, or shared between several by weight: istio.io's TCP traffic shifting.
 */
export interface TcpRouteIntent {
  /** The Service callers connect to. */
  readonly host: string;
  readonly port: number;
  /** Where connections go: one destination, or several with the percent of connections each gets. */
  readonly to: ReadonlyArray<WeightedDestination>;
}

/** A host outside the mesh, registered so the mesh routes to it (ServiceEntry, MESH_EXTERNAL, resolved by DNS). */
export interface ExternalHostIntent {
  /** The DNS name. */
  readonly host: string;
  readonly port: number;
  /** The port's name: `http-80`, `tls-443`. */
  readonly portName: string;
  /** HTTP for plain requests, TLS for HTTPS the application encrypts itself. */
  readonly protocol: 'HTTP' | 'TLS';
  /** The host's port the calls go to: 443 where the mesh originates TLS for plain HTTP calls to port 80. @default port */
  readonly targetPort?: number;
  /** A virtual IP for the host, which ztunnel's DNS proxy answers with. @default none (istiod allocates one in ambient mode) */
  readonly address?: string;
}
