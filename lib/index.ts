// The public API of meshlab's construct library: a lab, its services and versions, clients
// and gateways, and the scenarios (a tutorial's steps) as constructs. A library user imports
// everything from here; a plain `app.synth()` checks and writes the labs.

// The mesh model.
export { MeshLab } from './mesh/lab';
export type { MeshLabProps, IOutputFile } from './mesh/lab';
export { MeshService, ServiceVersion } from './mesh/service';
export type { MeshServiceProps, ServiceContainer, VersionProps } from './mesh/service';
export { DEFAULT_RESOURCES, DEFAULT_SECURITY } from './mesh/defaults';
export { Client } from './mesh/client';
export type { ClientContainer, ClientProps } from './mesh/client';
export { IngressGateway, INGRESS_GATEWAY_PORTS } from './mesh/gateway';
export type { IngressGatewayProps } from './mesh/gateway';
export { WAYPOINT, WAYPOINT_LISTENER, Waypoint } from './mesh/waypoint';
export { ExternalHost, Match } from './mesh/routing';
export type { DestinationSpec, HttpRouteProps, IDestination, ILab, IService, IVersion } from './mesh/routing';
export { Protocol } from './mesh/protocol';
export { SecurityProfile } from './mesh/security';
export type { Capability } from './mesh/security';
export type { ContainerSpec, PortSpec, Resources } from './mesh/workload';

// Scenarios.
export { Scenario } from './scenarios/scenario';
export { Canary, Cors, FaultAbort, FaultDelay, HeaderRoute, Mirror, Redirect, RequestHeaders, Retry, Rewrite, Route, SidecarFault, Timeout } from './scenarios/traffic';
export type {
  CanaryProps, CorsProps, FaultAbortProps, FaultDelayProps, HeaderRouteProps, MirrorProps, RedirectProps, RequestHeadersProps,
  RetryProps, RewriteProps, RouteProps, SidecarFaultProps, TimeoutProps, Weights,
} from './scenarios/traffic';
export { CircuitBreaker, ConnectionPool, LOAD_BALANCER_POLICIES, LoadBalancer, OutlierDetection } from './scenarios/policy';
export type {
  CircuitBreakerProps, ConnectionPoolProps, LoadBalancerPolicy, LoadBalancerProps, OutlierDetectionProps, OutlierProps, Scale,
} from './scenarios/policy';
export { AuthzAllow, AuthzDeny, Jwt, Mtls } from './scenarios/security';
export type { AllowRule, AuthzAllowProps, AuthzDenyProps, Caller, JwtProps, MtlsMode, MtlsProps, MtlsScope } from './scenarios/security';
export { EGRESS_GATEWAY_HOST, Egress, EgressGateway, IngressTls, RateLimit, TcpRoute, TcpShift } from './scenarios/edge';
export type { EgressGatewayProps, EgressProps, IngressTlsProps, RateLimitProps, TcpRouteProps, TcpShiftProps } from './scenarios/edge';

// What a lab module needs: its definition, the presets of its steps, its options, and the
// flavours every lab is written in (the routing API and the data-plane mode).
export { defineLab } from './labs';
export type { LabDefinition, LabDefinitionInput } from './labs';
// The scenarios a lab offers as steps (preset({ scenario: canary, defaults: {...} })), as the command line knows them.
export {
  SCENARIOS, authzAllow, authzDeny, canary, circuitBreaker, connectionPool, cors, egress, egressGateway, faultAbort, faultDelay, headerRoute, ingressTls,
  jwt, loadBalancer, mirror, mtls, outlierDetection, rateLimit, redirect, requestHeaders, retry, rewrite, route, tcpRoute, tcpShift, timeout,
} from './scenarios/catalog';
export type { ScenarioDefinition } from './scenarios/catalog';
export { egressLog, podIpCall, proxyLog } from './mesh/command';
export type { Command, EgressLog, PodIpCall, ProxyLog } from './mesh/command';
export { LabContext } from './labs/options';
export type { LabOptions } from './labs/options';
export { preset } from './scenarios/engine';
export type { Preset } from './scenarios/engine';
export { Flavour } from './mesh/flavour';
export type { Api, DataPlaneMode, FlavourName, PolicyAttachment, ScenarioNeeds } from './mesh/flavour';

// Errors a library user may catch: one line naming the value and what is allowed.
export { MeshlabError } from './errors';

// Routing intent (what a host's routing is, independent of the API) and its Istio renderer.
export { Fault, LoadBalancing } from './intent';
export type {
  ConnectionLimits, CorsIntent, EjectionIntent, HeaderOperations, HostIntent, LoadBalancerAlgorithm, MirrorIntent, RetryIntent, RouteIntent,
  RouteSettings, SubsetPolicyIntent, TrafficPolicyIntent, WeightedDestination,
  AccessIntent, AccessRule, Destination, ExternalDestination, ExternalHostIntent, ServiceDestination, TcpRouteIntent,
} from './intent';
export { istioAuthorizationPolicy, istioDestinationRule, istioHttpRoutes, istioServiceEntry, istioTcpVirtualService, istioVirtualService } from './render/istio';
export { gatewayApiTcpRoute } from './render/gateway-api';
export type { IstioHost } from './render/istio';
