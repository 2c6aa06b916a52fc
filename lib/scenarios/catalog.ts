import type { ScenarioDefinition } from './define';
import { Egress, EgressGateway, IngressTls, RateLimit, TcpRoute, TcpShift } from './edge';
import { CircuitBreaker, ConnectionPool, LoadBalancer, OutlierDetection } from './policy';
import { AuthzAllow, AuthzDeny, Jwt, Mtls } from './security';
import { Canary, Cors, FaultAbort, FaultDelay, HeaderRoute, Metrics, Mirror, Redirect, RequestHeaders, Retry, Rewrite, Route, Timeout } from './traffic';
export { requestsByVersion } from './traffic';

export type { ScenarioDefinition } from './define';
export { DEMO_ISSUER, demoJwtFile } from './security';

/**
 * The scenarios the command line knows, each defined once, by its class (`Canary.definition`:
 * its name, parameters, how it is applied and what a learner sees). Every scenario class, in
 * the order steps are listed and applied.
 */
export const SCENARIO_CLASSES = [
  Route,
  Canary,
  HeaderRoute,
  Mirror,
  FaultAbort,
  FaultDelay,
  Timeout,
  Retry,
  LoadBalancer,
  ConnectionPool,
  CircuitBreaker,
  OutlierDetection,
  RateLimit,
  Mtls,
  AuthzDeny,
  AuthzAllow,
  Jwt,
  Egress,
  EgressGateway,
  IngressTls,
  Redirect,
  Rewrite,
  Cors,
  RequestHeaders,
  TcpRoute,
  TcpShift,
  Metrics,
] as const;

/** Every scenario's definition, in the order steps are listed and applied. */
export const SCENARIOS: readonly ScenarioDefinition[] = SCENARIO_CLASSES.map((c) => c.definition as unknown as ScenarioDefinition);

// Each definition by the name a lab's presets use (preset({ scenario: canary, ... })).
export const route = Route.definition;
export const canary = Canary.definition;
export const headerRoute = HeaderRoute.definition;
export const mirror = Mirror.definition;
export const faultAbort = FaultAbort.definition;
export const faultDelay = FaultDelay.definition;
export const timeout = Timeout.definition;
export const retry = Retry.definition;
export const loadBalancer = LoadBalancer.definition;
export const connectionPool = ConnectionPool.definition;
export const circuitBreaker = CircuitBreaker.definition;
export const outlierDetection = OutlierDetection.definition;
export const rateLimit = RateLimit.definition;
export const mtls = Mtls.definition;
export const authzDeny = AuthzDeny.definition;
export const authzAllow = AuthzAllow.definition;
export const jwt = Jwt.definition;
export const egress = Egress.definition;
export const egressGateway = EgressGateway.definition;
export const ingressTls = IngressTls.definition;
export const redirect = Redirect.definition;
export const rewrite = Rewrite.definition;
export const cors = Cors.definition;
export const requestHeaders = RequestHeaders.definition;
export const tcpRoute = TcpRoute.definition;
export const tcpShift = TcpShift.definition;
export const metrics = Metrics.definition;
