import { Construct } from 'constructs';
import { Duration } from 'cdk8s';
import { ConnectionLimits, EjectionIntent, LoadBalancerAlgorithm, LoadBalancing } from '../intent';
import { MeshlabError } from '../errors';
import type { IService, IVersion } from '../mesh/routing';
import { count, d, isAmbient, outlierParams, poolParams, scenario, svc } from './define';
import { optional, param } from './params';
import { Scenario, checkPercent } from './scenario';

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

/** Envoy's load-balancing algorithms, as Istio names them (LEAST_CONN is now LEAST_REQUEST). */
export type LoadBalancerPolicy = LoadBalancerAlgorithm;
export const LOAD_BALANCER_POLICIES: readonly LoadBalancerPolicy[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH'];

function checkCount(scenario: string, what: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) throw new MeshlabError(`${scenario}: ${what} must be a whole number ${min} or more, got ${value}`);
}

/** Scales one version, for scenarios that need more than one pod to show anything. */
export interface Scale {
  /** The version scaled. */
  readonly version: IVersion;
  /** Its pods, 1 or more. */
  readonly replicas: number;
}

function applyScale(scenario: string, scale: Scale | undefined): void {
  if (!scale) return;
  checkCount(scenario, 'replicas', scale.replicas);
  scale.version.scale(scale.replicas);
}

export interface LoadBalancerProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** The load-balancing algorithm. */
  readonly policy: LoadBalancerPolicy;
  /** Consistent hashing on this request header instead of `policy`. @default none */
  readonly hashHeader?: string;
  /** Scale a version so the choice between pods shows. @default no change */
  readonly scale?: Scale;
  /** Another algorithm for one version's subset, optionally another again on one port of it. @default none */
  readonly subset?: { readonly version: IVersion; readonly policy: LoadBalancerPolicy; readonly port?: { readonly number: number; readonly policy: LoadBalancerPolicy } };
}

/**
 * Chooses how requests spread over a service's pods.
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings
 */
export class LoadBalancer extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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

  public constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id, LoadBalancer.definition.name, props);
    if (!LOAD_BALANCER_POLICIES.includes(props.policy)) {
      throw new MeshlabError(`load-balancer: policy ${props.policy} is not one of ${LOAD_BALANCER_POLICIES.join(', ')}`);
    }
    const loadBalancer = props.hashHeader ? LoadBalancing.hashHeader(props.hashHeader) : LoadBalancing.algorithm(props.policy);
    props.service.routing.setTrafficPolicy(this.owner, 'loadBalancer', loadBalancer);
    const subset = props.subset;
    if (subset) {
      for (const p of [subset.policy, subset.port?.policy]) {
        if (p !== undefined && !LOAD_BALANCER_POLICIES.includes(p)) throw new MeshlabError(`load-balancer: policy ${p} is not one of ${LOAD_BALANCER_POLICIES.join(', ')}`);
      }
      if (subset.port && subset.port.number !== props.service.port) {
        throw new MeshlabError(`load-balancer: port ${subset.port.number} is not the port of ${props.service.name} (${props.service.port})`);
      }
      props.service.routing.setSubsetPolicy(this.owner, subset.version.subset, {
        loadBalancer: LoadBalancing.algorithm(subset.policy),
        port: subset.port && { number: subset.port.number, loadBalancer: LoadBalancing.algorithm(subset.port.policy) },
      });
    }
    applyScale(this.name, props.scale);
  }
}

export interface ConnectionPoolProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** TCP connections to the service at most. */
  readonly maxConnections: number;
  /** TCP connect timeout. @default Envoy's (10s) */
  readonly connectTimeout?: Duration;
  /** Requests in flight at most. @default Envoy's (1024) */
  readonly http2MaxRequests?: number;
  /** Requests waiting for a connection at most. */
  readonly maxPendingRequests: number;
  /** Requests per connection before it is closed. @default unlimited */
  readonly maxRequestsPerConnection?: number;
  /** Retries in flight at most. @default Envoy's (1024) */
  readonly maxRetries?: number;
}

function connectionPool(scenario: string, props: ConnectionPoolProps): ConnectionLimits {
  checkCount(scenario, 'maxConnections', props.maxConnections);
  checkCount(scenario, 'maxPendingRequests', props.maxPendingRequests);
  for (const [what, value] of [['http2MaxRequests', props.http2MaxRequests], ['maxRequestsPerConnection', props.maxRequestsPerConnection], ['maxRetries', props.maxRetries]] as const) {
    if (value !== undefined) checkCount(scenario, what, value, what === 'maxRetries' ? 0 : 1);
  }
  return {
    maxConnections: props.maxConnections,
    connectTimeout: props.connectTimeout,
    maxPendingRequests: props.maxPendingRequests,
    maxRequests: props.http2MaxRequests,
    maxRequestsPerConnection: props.maxRequestsPerConnection,
    maxRetries: props.maxRetries,
  };
}

/**
 * Limits the connections and requests a service's callers may open.
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#ConnectionPoolSettings
 */
export class ConnectionPool extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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

  public constructor(scope: Construct, id: string, props: ConnectionPoolProps) {
    super(scope, id, ConnectionPool.definition.name, props);
    props.service.routing.setTrafficPolicy(this.owner, 'connectionPool', connectionPool(this.name, props));
  }
}

export interface OutlierProps {
  /** 5xx answers in a row that eject a pod. */
  readonly consecutive5xxErrors: number;
  /** How often pods are checked. */
  readonly interval: Duration;
  /** How long an ejected pod stays out (times the number of ejections). */
  readonly baseEjectionTime: Duration;
  /** Percent of the pods that may be out at once. */
  readonly maxEjectionPercent: number;
}

function outlierDetection(scenario: string, props: OutlierProps): EjectionIntent {
  checkCount(scenario, 'consecutive5xxErrors', props.consecutive5xxErrors);
  checkPercent(scenario, 'maxEjectionPercent', props.maxEjectionPercent);
  return {
    consecutive5xxErrors: props.consecutive5xxErrors,
    interval: props.interval,
    baseEjectionTime: props.baseEjectionTime,
    maxEjectionPercent: props.maxEjectionPercent,
  };
}

/** A small connection pool and ejection of failing pods. */
export interface CircuitBreakerProps extends ConnectionPoolProps, OutlierProps {}

/**
 * Trips a service's circuit: a small connection pool that rejects the excess with 503, and
 * ejection of pods that keep failing.
 * @see https://istio.io/latest/docs/tasks/traffic-management/circuit-breaking/
 */
export class CircuitBreaker extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'circuit-breaker',
    summary: 'a small connection pool that rejects the excess, and ejection of failing pods',
    params: { service: svc, ...poolParams, http2MaxRequests: optional(param.count('requests in flight at most (empty: Envoy default)', 1)), ...outlierParams },
    apply: (lab, id, v) => new CircuitBreaker(lab, id, { ...v }),
    expect: (v, lab) => `under concurrent load some requests to ${v.service.name} fail at once with 503 (the circuit is open: the load tool reports them as Code 503, and ${isAmbient(lab) ? "the waypoint's access log, which holds the pool," : "the calling sidecar's access log"} shows them with response flag UO, upstream overflow); a pod that answers ${count(v.consecutive5xxErrors, 'error')} in a row is out for ${d(v.baseEjectionTime)}`,
  });

  public constructor(scope: Construct, id: string, props: CircuitBreakerProps) {
    super(scope, id, CircuitBreaker.definition.name, props);
    props.service.routing.setTrafficPolicy(this.owner, 'connectionPool', connectionPool(this.name, props));
    props.service.routing.setTrafficPolicy(this.owner, 'outlierDetection', outlierDetection(this.name, props));
  }
}

export interface OutlierDetectionProps extends OutlierProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Scale a version so the ejection shows. @default no change */
  readonly scale?: Scale;
}

/**
 * Ejects failing pods from the load-balancing pool ("pool ejection"), with random load
 * balancing over a scaled-out version so the ejection shows.
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#OutlierDetection
 */
export class OutlierDetection extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'outlier-detection',
    summary: 'ejects failing pods from the load-balancing pool (random balancing over a scaled-out version)',
    params: { service: svc, ...outlierParams, version: param.version('version to scale out'), replicas: param.count('its replicas', 1) },
    apply: (lab, id, v) => new OutlierDetection(lab, id, { ...v, scale: { version: v.version, replicas: v.replicas } }),
    expect: (v) => `a failing ${v.service.name} pod is ejected after ${count(v.consecutive5xxErrors, 'error')} in a row for ${d(v.baseEjectionTime)}: the answers come from the healthy pods, and its error shows again only when it comes back`,
  });

  public constructor(scope: Construct, id: string, props: OutlierDetectionProps) {
    super(scope, id, OutlierDetection.definition.name, props);
    props.service.routing.setTrafficPolicy(this.owner, 'outlierDetection', outlierDetection(this.name, props));
    props.service.routing.setTrafficPolicy(this.owner, 'loadBalancer', LoadBalancing.algorithm('RANDOM'));
    applyScale(this.name, props.scale);
  }
}
