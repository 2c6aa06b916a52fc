import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvoyFilter } from '../../imports/istio';
import { MeshlabError } from '../errors';
import { HEADER_NAME, unknownRetryConditions } from '../istio/http';
import { istioRetryOn } from '../istio/gateway-api';
import { gatewayApiGap, retryCodes } from '../render/gateway-api';
import { Fault } from '../intent';
import { Match, type IService, type IVersion } from '../mesh/routing';
import { Scenario, checkHttp, checkPercent, sameService } from './scenario';
import { LAST_COMMAND, NO_SIDECAR, VIRTUAL_SERVICE_ALPHA, d, isAmbient, scenario, svc } from './define';
import { optional, param } from './params';
import { re2Error } from '../istio/re2';

export interface RouteProps {
  /** The version that gets all the traffic of its service. */
  readonly to: IVersion;
}

/**
 * Sends all traffic of a service to one version.
 * @see https://istio.io/latest/docs/tasks/traffic-management/request-routing/
 */
export class Route extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'route',
    summary: 'sends all traffic of a service to one version',
    params: { service: svc, version: param.version('the version that gets all traffic') },
    apply: (lab, id, v) => new Route(lab, id, { to: v.version }),
    expect: (v) => `every answer comes from ${v.service.name} ${v.version.name}`,
  });

  public constructor(scope: Construct, id: string, props: RouteProps) {
    super(scope, id, Route.definition.name, props);
    checkHttp(this.name, props.to.meshService);
    props.to.meshService.routing.setCatchAll(this.owner, { to: [{ destination: props.to }] });
  }
}

export interface CanaryProps {
  /** Versions of one service with the percent of traffic each gets; they add up to 100. */
  readonly weights: ReadonlyArray<{ readonly version: IVersion; readonly weight: number }>;
}

/**
 * Splits a service's traffic between versions by weight.
 * @see https://istio.io/latest/docs/tasks/traffic-management/traffic-shifting/
 */
export class Canary extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'canary',
    summary: 'splits the traffic of a service between versions by weight',
    params: { service: svc, weights: param.weights('version:percent pairs adding up to 100') },
    apply: (lab, id, v) => new Canary(lab, id, { weights: v.weights.map((w) => ({ version: w.version, weight: w.weight })) }),
    expect: (v) => `about ${v.weights.map((w) => `${w.weight}% of answers from ${w.version.name}`).join(', ')}`,
  });

  public constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id, Canary.definition.name, props);
    splitByWeight(this.name, this.owner, props.weights);
  }
}

/** Sends a service's requests to its versions by weight (canary and metrics alike), the weights checked first. */
function splitByWeight(scenario: string, owner: string, weights: Weights): void {
  const service = checkWeights(scenario, weights);
  checkHttp(scenario, service);
  service.routing.setCatchAll(owner, { to: weights.map((w) => ({ destination: w.version, weight: w.weight })) });
}

/** A weighted split between versions of one service. */
export type Weights = CanaryProps['weights'];

/**
 * The Prometheus query that counts a service's requests of the last minute by version:
 * Istio's standard request count (istio_requests_total), as the destination's sidecar or the
 * waypoint reports it (`reporter!="source"` counts each request once in every flavour).
 * @see https://istio.io/latest/docs/reference/config/metrics/
 */
export function requestsByVersion(service: string): string {
  return `sum by (destination_version) (increase(istio_requests_total{destination_service_name="${service}",reporter!="source"}[1m]))`;
}

/**
 * Splits a service's requests between its versions, as canary does, and reads the split back
 * from Istio's metrics in Prometheus, which the platform installs with Istio's addons: the
 * count of requests by destination_version.
 * @see https://istio.io/latest/docs/tasks/observability/metrics/querying-metrics/
 */
export class Metrics extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'metrics',
    summary: "splits a service's requests between versions and reads the split back from Istio's metrics in Prometheus",
    params: { service: svc, weights: param.weights('version:percent pairs adding up to 100') },
    apply: (lab, id, v) => new Metrics(lab, id, { weights: v.weights.map((w) => ({ version: w.version, weight: w.weight })) }),
    expect: (v, lab) => `Prometheus answers the query ${requestsByVersion(v.service.name)} with one result per version,`
      + ` reported by ${lab.flavour.sidecars ? `the sidecars of ${v.service.name}'s pods` : 'the waypoint'}: their values are about`
      + ` ${v.weights.map((w) => `${w.weight}% (${w.version.name})`).join(' and ')} of the total, as the split says.`
      + ' Prometheus scrapes every 15s (the addon\'s global scrape_interval), so the last minute\'s traffic shows a scrape after it',
  });

  public constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id, Metrics.definition.name, props);
    splitByWeight(this.name, this.owner, props.weights);
  }
}

/** Fails unless the weights are whole percentages of one service's versions adding up to 100; returns the service. */
export function checkWeights(scenario: string, weights: Weights): IService {
  if (weights.length === 0) throw new MeshlabError(`${scenario} needs at least one version:weight`);
  const service = sameService(scenario, weights.map((w) => w.version));
  const listed = weights.map((w) => `${w.version.name}=${w.weight}`).join(', ');
  for (const w of weights) {
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100) {
      throw new MeshlabError(`${scenario} weight of ${service.name} ${w.version.name} must be a whole number from 0 to 100, got ${w.weight}`);
    }
  }
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  if (total !== 100) throw new MeshlabError(`${scenario} weights for ${service.name} must add up to 100, got ${total} (${listed})`);
  const names = weights.map((w) => w.version.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new MeshlabError(`${scenario} weights for ${service.name} name ${twice} twice (${listed})`);
  return service;
}

export interface HeaderRouteProps {
  /** Request header to look at (matched case-insensitively by name). */
  readonly header: string;
  /** RE2 regular expression the header value must match. */
  readonly regex: string;
  /** Version that gets matching requests. */
  readonly to: IVersion;
  /** Split matching requests between versions instead (an A/B test). @default all to `to` */
  readonly split?: Weights;
  /** Version that gets the others, unless another scenario routes them (canary). @default the service's usual routing */
  readonly fallback?: IVersion;
}

/**
 * Sends requests whose header matches a regular expression to one version.
 * @see https://istio.io/latest/docs/tasks/traffic-management/request-routing/#route-based-on-user-identity
 */
export class HeaderRoute extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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

  public constructor(scope: Construct, id: string, props: HeaderRouteProps) {
    super(scope, id, HeaderRoute.definition.name, props);
    const service = sameService(this.name, [props.to, ...(props.fallback ? [props.fallback] : []), ...(props.split ?? []).map((w) => w.version)]);
    if (props.split) checkWeights(this.name, props.split);
    checkHttp(this.name, service);
    if (!HEADER_NAME.test(props.header)) {
      throw new MeshlabError(`header-route: ${props.header} is not an HTTP header name (RFC 7230 token characters)`);
    }
    checkRegex(this.name, props.regex);
    const to = props.split ? props.split.map((w) => ({ destination: w.version, weight: w.weight })) : [{ destination: props.to }];
    service.routing.addMatchRoute(this.owner, { match: [Match.header(props.header, props.regex)], to });
    if (props.fallback) service.routing.setFallback(this.owner, { to: [{ destination: props.fallback }] });
  }
}

/** Fails unless `regex` compiles in RE2, the engine Envoy matches it with (lib/istio/re2.ts). */
export function checkRegex(scenario: string, regex: string): void {
  const error = re2Error(regex);
  if (error !== undefined) throw new MeshlabError(`${scenario}: ${regex} is not a valid RE2 regular expression (${error})`);
}

export interface MirrorProps {
  /** The version that answers. */
  readonly to: IVersion;
  /** The version of the same service that gets a copy. */
  readonly mirror: IVersion;
  /** Percent of the requests copied. @default 100 */
  readonly percent?: number;
}

/**
 * Routes a service to one version and copies the requests to another (responses of the
 * copy are dropped).
 * @see https://istio.io/latest/docs/tasks/traffic-management/mirroring/
 */
export class Mirror extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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

  public constructor(scope: Construct, id: string, props: MirrorProps) {
    super(scope, id, Mirror.definition.name, props);
    const service = sameService(this.name, [props.to, props.mirror]);
    checkHttp(this.name, service);
    const percent = props.percent ?? 100;
    checkPercent(this.name, 'percent', percent);
    if (props.to === props.mirror) throw new MeshlabError(`mirror: ${service.name} ${props.to.name} cannot mirror to itself`);
    service.routing.setCatchAll(this.owner, { to: [{ destination: props.to }] });
    service.routing.setMirror(this.owner, { destination: props.mirror, percent });
  }
}

export interface FaultAbortProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** HTTP status of the answer, 400 to 599. */
  readonly status: number;
  /** Percent of the requests aborted. */
  readonly percent: number;
}

/**
 * Answers a share of a service's requests with an HTTP error instead of forwarding them.
 * @see https://istio.io/latest/docs/tasks/traffic-management/fault-injection/
 */
export class FaultAbort extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'fault-abort',
    summary: 'answers a share of the requests to a service with an HTTP error',
    params: { service: svc, status: param.status('HTTP status, 400 to 599'), percent: param.percent('percent of requests aborted') },
    apply: (lab, id, v) => new FaultAbort(lab, id, { service: v.service, status: v.status, percent: v.percent }),
    expect: (v, lab) => `about ${v.percent}% of the requests to ${v.service.name} fail with HTTP ${v.status} (fault filter abort)${isAmbient(lab) ? `. ${VIRTUAL_SERVICE_ALPHA}` : ''}`,
  });

  public constructor(scope: Construct, id: string, props: FaultAbortProps) {
    super(scope, id, FaultAbort.definition.name, props);
    checkHttp(this.name, props.service);
    if (!Number.isInteger(props.status) || props.status < 400 || props.status > 599) {
      throw new MeshlabError(`fault-abort: status must be an HTTP error status from 400 to 599, got ${props.status}`);
    }
    checkPercent(this.name, 'percent', props.percent);
    props.service.routing.setRouteSetting(this.owner, 'abort', Fault.abort(props.status, props.percent));
  }
}

export interface FaultDelayProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Delay added. */
  readonly delay: Duration;
  /** Percent of the requests delayed. */
  readonly percent: number;
}

/**
 * Delays a share of a service's requests.
 * @see https://istio.io/latest/docs/tasks/traffic-management/fault-injection/
 */
export class FaultDelay extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'fault-delay',
    summary: 'delays a share of the requests to a service',
    params: { service: svc, delay: param.duration('added delay'), percent: param.percent('percent of requests delayed') },
    apply: (lab, id, v) => new FaultDelay(lab, id, { service: v.service, delay: v.delay, percent: v.percent }),
    expect: (v, lab) => `about ${v.percent}% of the requests to ${v.service.name} take ${d(v.delay)} longer${isAmbient(lab) ? `. ${VIRTUAL_SERVICE_ALPHA}` : ''}`,
  });

  public constructor(scope: Construct, id: string, props: FaultDelayProps) {
    super(scope, id, FaultDelay.definition.name, props);
    checkHttp(this.name, props.service);
    checkPercent(this.name, 'percent', props.percent);
    props.service.routing.setRouteSetting(this.owner, 'delay', Fault.delay(props.delay, props.percent));
  }
}

export interface SidecarFaultProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Only this version's pods. @default every version */
  readonly version?: IVersion;
  /** Delay every answer by this much. @default none */
  readonly delay?: Duration;
  /** Answer this percent of the requests with 503 instead. @default none */
  readonly abortPercent?: number;
}

/**
 * A fault in the service's own sidecar (an EnvoyFilter on its inbound listener), so callers
 * see a slow or failing service although its image is neither.
 *
 * A VirtualService fault cannot show a timeout or a retry of the same route: Envoy's fault
 * filter runs before the router, which applies the route's timeout and retries, so a delay
 * there is never timed out and an abort never retried (istio/istio
 * pilot/pkg/networking/core/listener_builder.go appends the fault filter ahead of the router
 * in every HTTP connection manager). istio.io's request-timeouts task therefore delays the hop
 * below the timed-out one; the hop below a route is the callee's inbound sidecar, where this
 * filter sits, before that sidecar's own router.
 * @see https://istio.io/latest/docs/tasks/traffic-management/request-timeouts/
 */
export class SidecarFault extends Construct {
  public readonly filter: EnvoyFilter;
  public constructor(scope: Construct, id: string, props: SidecarFaultProps) {
    super(scope, id);
    const { service, version } = props;
    const percent = (value: number) => ({ numerator: value, denominator: 'HUNDRED' });
    const fault = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      delay: props.delay && { fixed_delay: `${props.delay.toMilliseconds() / 1000}s`, percentage: percent(100) },
      abort: props.abortPercent !== undefined ? { http_status: 503, percentage: percent(props.abortPercent) } : undefined,
    };
    this.filter = new EnvoyFilter(this, 'Filter', {
      metadata: { name: `${version ? `${service.name}-${version.name}` : service.name}-${props.delay ? 'delay' : 'abort'}` },
      spec: {
        workloadSelector: { labels: version ? { ...version.labels } : { app: service.app } },
        // Before the router, which every HTTP connection manager ends with, whatever other filters
        // do: any priority works, and one is set because a relative operation without a priority is
        // IST0151 for istioctl analyze (istio/istio pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go).
        priority: 10,
        configPatches: [{
          applyTo: 'HTTP_FILTER',
          match: {
            context: 'SIDECAR_INBOUND',
            listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } },
          },
          // Its own name: the connection manager already holds Istio's (unconfigured) fault filter.
          patch: { operation: 'INSERT_BEFORE', value: { name: 'meshlab.sidecar_fault', typed_config: JSON.parse(JSON.stringify(fault)) } },
        }],
      },
    });
  }
}

export interface TimeoutProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Time allowed per request. */
  readonly timeout: Duration;
  /**
   * Delay the service's own sidecar adds to every answer (of one version, or all), so the
   * timeout shows with images that answer at once. @default none
   */
  readonly slowdown?: { readonly delay: Duration; readonly version?: IVersion };
  /**
   * A delay one hop below instead, with no sidecar of its own needed: the route of a service the
   * timed-out one calls delays `percent`% of its requests (a VirtualService fault), as istio.io's
   * request-timeouts task delays ratings below the reviews route that times out. @default none
   */
  readonly slowCallee?: { readonly service: IService; readonly delay: Duration; readonly percent: number };
}

/**
 * Gives up on a service's requests after a time (the caller sees 504), optionally with a
 * delay below the timed-out route that makes it show.
 * @see https://istio.io/latest/docs/tasks/traffic-management/request-timeouts/
 */
export class Timeout extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'timeout',
    summary: 'gives up on requests to a service after a time',
    params: {
      service: svc,
      timeout: param.duration('time allowed per request'),
      delay: optional(param.duration("delay the service's own sidecar adds to every answer, so the timeout shows with images that answer at once (empty: none)")),
      delayVersion: optional(param.version('only this version is delayed (empty: every version)')),
      delayBelow: optional(param.service("a service the timed-out one calls: its route delays the requests instead of a sidecar, one hop below (empty: the service's own sidecar)")),
      delayPercent: optional(param.percent('with delayBelow, the percent of its requests delayed (empty: 100)')),
    },
    apply: (lab, id, v) => new Timeout(lab, id, {
      service: v.service, timeout: v.timeout,
      ...(v.delay && (v.delayBelow ? { slowCallee: { service: v.delayBelow, delay: v.delay, percent: v.delayPercent ?? 100 } } : { slowdown: { delay: v.delay, version: v.delayVersion } })),
    }),
    // The waypoint takes the HTTPRoute's timeout, but the delay that shows it has nowhere to go:
    // a fault in the waypoint runs before its router, whose timeout starts only after it.
    needs: (t) => (t.delay && !t.delayBelow ? { ownSidecar: `the lab's images answer at once, so the step shows its timeout with a delay an EnvoyFilter adds in the callee's own sidecar, below the route; ${NO_SIDECAR}, and a delay added in the waypoint would come before the route's timeout starts` } : {}),
    expect: (v, lab) => {
      const fails = `fail after ${d(v.timeout)} with 504 "upstream request timeout"`;
      if (!v.delay) return `requests to ${v.service.name} that take longer than ${d(v.timeout)} ${fails}`;
      if (v.delayBelow) {
        const percent = v.delayPercent ?? 100;
        const within = v.delay.toMilliseconds() <= v.timeout.toMilliseconds();
        return `${v.delayBelow.name}'s route now delays ${percent}% of its requests by ${d(v.delay)} (a fault, one hop below ${v.service.name}'s route, as istio.io's request-timeouts task delays ratings below reviews), `
          + (within ? `within the ${d(v.timeout)} timeout, so nothing times out: set timeout.delay longer than timeout.timeout to see requests ${fails}`
            : `longer than the ${d(v.timeout)} timeout, so about ${percent}% of the requests to ${v.service.name} ${fails}; no EnvoyFilter is needed`)
          + (isAmbient(lab) ? `. ${VIRTUAL_SERVICE_ALPHA}` : '');
      }
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

  public constructor(scope: Construct, id: string, props: TimeoutProps) {
    super(scope, id, Timeout.definition.name, props);
    checkHttp(this.name, props.service);
    props.service.routing.setRouteSetting(this.owner, 'timeout', props.timeout);
    if (props.slowCallee) {
      const { service, delay, percent } = props.slowCallee;
      if (service === props.service) throw new MeshlabError(`timeout: delayBelow must be a service ${props.service.name} calls, not ${service.name} itself (a delay on the timed-out route comes before its timeout starts)`);
      checkHttp(this.name, service);
      checkPercent(this.name, 'delayPercent', percent);
      service.routing.setRouteSetting(this.owner, 'delay', Fault.delay(delay, percent));
    }
    if (props.slowdown) {
      if (props.slowdown.version && props.slowdown.version.meshService !== props.service) {
        throw new MeshlabError(`timeout: ${props.slowdown.version.meshService.name} ${props.slowdown.version.name} is not a version of ${props.service.name}`);
      }
      new SidecarFault(this, 'Delay', { service: props.service, version: props.slowdown.version, delay: props.slowdown.delay });
    }
  }
}

export interface RetryProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Attempts after the first failure. @default 3 */
  readonly attempts?: number;
  /** Timeout of each attempt. @default Duration.seconds(2) */
  readonly perTryTimeout?: Duration;
  /** Envoy conditions that trigger a retry. @default Istio's (connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes) */
  readonly retryOn?: string;
  /**
   * Percent of the requests the service's own sidecar answers with 503, so the retries show
   * with images that do not fail. @default none
   */
  readonly abortPercent?: number;
}

/**
 * Retries a service's failed requests, optionally with failures below the retried route
 * that make the retries show.
 * @see https://istio.io/latest/docs/concepts/traffic-management/#retries
 */
export class Retry extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
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
    needs: (t) => (t.abort ? { ownSidecar: `the lab's images do not fail, so the step shows its retries with 503s an EnvoyFilter adds in the callee's own sidecar, below the retried route; ${NO_SIDECAR}, and an abort added in the waypoint would answer before its router, which retries, sees the request` } : {}),
    expect: (v, lab) => {
      // An HTTPRoute has only status codes: Istio adds the connection failures itself.
      const viaHttpRoute = lab.flavour.gatewayApi && gatewayApiGap(v.service.intent) === undefined;
      const conditions = viaHttpRoute
        ? `${istioRetryOn(retryCodes(v.retryOn))}: the conditions Istio builds from the HTTPRoute's codes, istio/istio pilot/pkg/config/kube/gateway/conversion.go`
        : v.retryOn ?? "Istio's default conditions";
      const retried = `a failed request to ${v.service.name} is retried up to ${v.attempts} times (${d(v.perTryTimeout)} each, on ${conditions})`;
      if (v.abort === undefined) return `${retried}, so far fewer errors reach the caller`;
      const left = Math.round(100 * (v.abort / 100) ** (v.attempts + 1));
      return `${v.service.name}'s own sidecar now answers ${v.abort}% of the requests with 503; ${retried}, so at most about ${left}% of the calls fail,`
        + ` and the access log of ${v.service.name}'s sidecar shows more requests than were sent: a 503 with response flag FI (fault_filter_abort)`
        + ' followed by the retry with the same x-request-id. The failures are part of this step:'
        + ' the images do not fail, so an EnvoyFilter aborts requests in the service\'s own sidecar, below the retried route'
        + ' (a VirtualService abort on the same route would never be retried: Envoy answers it before the router, which retries, sees it)';
    },
  });

  public constructor(scope: Construct, id: string, props: RetryProps) {
    super(scope, id, Retry.definition.name, props);
    checkHttp(this.name, props.service);
    const attempts = props.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 0) throw new MeshlabError(`retry: attempts must be a whole number 0 or more, got ${attempts}`);
    if (props.retryOn !== undefined && (props.retryOn === '' || unknownRetryConditions(props.retryOn).length > 0)) {
      throw new MeshlabError(`retry: retryOn ${props.retryOn} must be comma-separated conditions Istio knows, such as 5xx,gateway-error,connect-failure or 503`);
    }
    props.service.routing.setRouteSetting(this.owner, 'retries', { attempts, perTryTimeout: props.perTryTimeout ?? Duration.seconds(2), retryOn: props.retryOn });
    if (props.abortPercent !== undefined) {
      checkPercent(this.name, 'abort', props.abortPercent);
      new SidecarFault(this, 'Abort', { service: props.service, abortPercent: props.abortPercent });
    }
  }
}

export interface RedirectProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** The path answered with a redirect. */
  readonly from: string;
  /** The path it redirects to. */
  readonly to: string;
}

/** Answers requests for one path with a redirect to another. */
export class Redirect extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'redirect',
    summary: 'answers one path with a redirect to another',
    params: { service: svc, from: param.text('path that is redirected'), to: param.text('where to') },
    apply: (lab, id, v) => new Redirect(lab, id, { service: v.service, from: v.from, to: v.to }),
    expect: (v) => `GET ${v.from} answers 301 with location: ${v.to}`,
  });

  public constructor(scope: Construct, id: string, props: RedirectProps) {
    super(scope, id, Redirect.definition.name, props);
    checkHttp(this.name, props.service);
    checkPath(this.name, props.from);
    checkPath(this.name, props.to);
    props.service.routing.addMatchRoute(this.owner, { match: [Match.exact(props.from)], redirect: props.to });
  }
}

export interface RewriteProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** The path prefix rewritten. */
  readonly prefix: string;
  /** What replaces it. */
  readonly to: string;
}

/** Rewrites a path prefix before forwarding. */
export class Rewrite extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'rewrite',
    summary: 'rewrites a path prefix before forwarding',
    params: { service: svc, prefix: param.text('path prefix to rewrite'), to: param.text('replacement') },
    apply: (lab, id, v) => new Rewrite(lab, id, { service: v.service, prefix: v.prefix, to: v.to }),
    expect: (v) => `GET ${v.prefix}... answers what ${v.to}... answers`,
  });

  public constructor(scope: Construct, id: string, props: RewriteProps) {
    super(scope, id, Rewrite.definition.name, props);
    checkHttp(this.name, props.service);
    checkPath(this.name, props.prefix);
    checkPath(this.name, props.to);
    props.service.routing.addMatchRoute(this.owner, {
      match: [Match.prefix(props.prefix)],
      rewrite: props.to,
      to: [{ destination: props.service.defaultDestination }],
    });
  }
}

function checkPath(scenario: string, path: string): void {
  if (!/^\/[^\s]*$/.test(path)) throw new MeshlabError(`${scenario}: ${path} is not a path (it starts with / and has no spaces)`);
}

export interface CorsProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Origins allowed, matched exactly (`https://example.com`). */
  readonly allowOrigins: readonly string[];
  /** HTTP methods allowed. */
  readonly allowMethods: readonly string[];
  /** How long a browser may cache the preflight answer. */
  readonly maxAge: Duration;
}

/**
 * Answers CORS preflights and adds CORS headers for the allowed origins.
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#CorsPolicy
 */
export class Cors extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'cors',
    summary: 'answers CORS preflights for the allowed origins',
    params: { service: svc, origins: param.list('allowed origins'), methods: param.list('allowed methods'), maxAge: param.duration('how long browsers cache the answer') },
    apply: (lab, id, v) => new Cors(lab, id, { service: v.service, allowOrigins: v.origins, allowMethods: v.methods, maxAge: v.maxAge }),
    expect: (v, lab) => `the preflight (OPTIONS with Origin: ${v.origins[0]} and Access-Control-Request-Method: ${v.methods[0]}) is answered by the ${isAmbient(lab) ? 'waypoint' : "caller's sidecar"} with 200 and the headers access-control-allow-origin: ${v.origins[0]}, access-control-allow-methods: ${v.methods.join(',')} and access-control-max-age: ${v.maxAge.toSeconds()}; a preflight from another origin is passed on to ${v.service.name} instead, so whatever CORS headers come back are its own`,
  });

  public constructor(scope: Construct, id: string, props: CorsProps) {
    super(scope, id, Cors.definition.name, props);
    checkHttp(this.name, props.service);
    props.service.routing.setRouteSetting(this.owner, 'cors', { allowOrigins: [...props.allowOrigins], allowMethods: [...props.allowMethods], maxAge: props.maxAge });
  }
}

export interface RequestHeadersProps {
  /** The service it applies to (of the same lab). */
  readonly service: IService;
  /** Headers added to every request, by name. */
  readonly add: Readonly<Record<string, string>>;
}

/** Adds headers to every request before it reaches the service. */
export class RequestHeaders extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'request-headers',
    summary: 'adds a header to every request before it reaches the service',
    params: { service: svc, name: param.headerName('header name'), value: param.text('header value') },
    apply: (lab, id, v) => new RequestHeaders(lab, id, { service: v.service, add: { [v.name]: v.value } }),
    expect: (v) => `${v.service.name} receives ${v.name}: ${v.value} with every request`,
  });

  public constructor(scope: Construct, id: string, props: RequestHeadersProps) {
    super(scope, id, RequestHeaders.definition.name, props);
    checkHttp(this.name, props.service);
    props.service.routing.setRouteSetting(this.owner, 'headers', { requestAdd: { ...props.add } });
  }
}
