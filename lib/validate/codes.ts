/** How much a finding matters: an error fails `npm run check`, a warning is reported. */
export type Severity = 'error' | 'warning';

/**
 * Every kind of finding, by code. IST codes are Istio's own analyzer messages
 * (istio.io/latest/docs/reference/config/analysis/, istio/istio pkg/config/analysis/msg/
 * messages.yaml) and are reported where `istioctl analyze` reports them, with Istio's severity
 * (Istio's Info is a warning here: it does not change the exit code either); ML codes are
 * meshlab's, for problems Istio's analyzers do not name, and are errors when traffic goes wrong.
 */
export const CODES = {
  IST0002: { severity: 'warning', title: 'a deprecated field Istio reports: fault.delay.percent, Sidecar egressProxy, a removed kind\'s CRD' },
  IST0101: { severity: 'error', title: 'a referenced resource does not exist (destination host, port, subset, mirror, gateway, gateway or Sidecar/Telemetry pods, source namespace)' },
  IST0102: { severity: 'warning', title: 'a namespace labelled neither for sidecar injection nor for ambient (Istio: info)' },
  IST0106: { severity: 'error', title: "an Istio object's schema error, or a regular expression Envoy's RE2 rejects" },
  IST0109: { severity: 'error', title: 'VirtualServices bound to the mesh define the same host' },
  IST0112: { severity: 'error', title: 'a destination without a port, to a host with several' },
  IST0118: { severity: 'warning', title: 'a Service port without an Istio protocol name or appProtocol (Istio: info)' },
  IST0127: { severity: 'warning', title: 'an AuthorizationPolicy that applies to no pod in the mesh' },
  IST0130: { severity: 'warning', title: 'a route rule that can never match (after a rule without match, or repeating earlier matches)' },
  IST0131: { severity: 'warning', title: 'a match an earlier match repeats or covers (Istio: info)' },
  IST0132: { severity: 'warning', title: 'a VirtualService none of whose hosts its Gateway serves' },
  IST0140: { severity: 'warning', title: 'a gateway VirtualService routing without subset to a host another VirtualService splits by subset' },
  IST0145: { severity: 'error', title: 'Gateways serving one host on one port of the same gateway pods' },
  IST0150: { severity: 'warning', title: 'an ExternalName Service port without a protocol name (or named tcp)' },
  IST0162: { severity: 'warning', title: "a Gateway port the Services of the gateway's pods do not expose" },
  IST0173: { severity: 'error', title: 'a DestinationRule subset that selects no pod' },
  IST0174: { severity: 'warning', title: 'a DestinationRule host that matches no Service or ServiceEntry' },
  ML0001: { severity: 'error', title: 'a Deployment selector that does not match its pod template labels' },
  ML0002: { severity: 'error', title: 'a Service selector that matches no pod' },
  ML0003: { severity: 'error', title: 'a Service targetPort that is not a container port' },
  ML0005: { severity: 'error', title: 'route weights that do not add up to 100' },
  ML0006: { severity: 'error', title: 'an object defined twice' },
  ML0007: { severity: 'warning', title: 'a namespaced object without metadata.namespace, among objects that name theirs' },
  ML0008: { severity: 'warning', title: 'a meshed pod without the app or version label' },
  ML0009: { severity: 'warning', title: 'a kind meshlab has no schema for (not checked)' },
  ML0010: { severity: 'error', title: 'a file or document that is not a Kubernetes object (YAML syntax, missing kind)' },
  ML0011: { severity: 'error', title: 'a lab model error (meshlab synth only)' },
  ML0012: { severity: 'error', title: "a route to a subset that selects none of the Service's pods (503 no healthy upstream)" },
  ML0013: { severity: 'error', title: 'a field or value Istio ignores or renamed, or a kind Istio removed' },
  ML0014: { severity: 'error', title: 'a ServiceAccount that does not exist, named by a pod or an AuthorizationPolicy principal' },
  ML0015: { severity: 'error', title: 'a VirtualService host in the mesh that matches no Service or ServiceEntry' },
  ML0016: { severity: 'warning', title: 'a PeerAuthentication, RequestAuthentication or EnvoyFilter selector that matches no workload' },
  ML0017: { severity: 'error', title: "a Kubernetes object's schema error, or an Istio kind that does not exist" },
  ML0018: { severity: 'error', title: 'a Gateway API backendRef to a Service (or port) that does not exist (ResolvedRefs=False, BackendNotFound: 500)' },
  ML0019: { severity: 'error', title: 'a Gateway API parentRef that attaches nowhere: no such Gateway or Service, or no listener takes the route (Accepted=False)' },
  ML0020: { severity: 'error', title: "an HTTPRoute's Service parentRef port that the Service does not have (its rules never match)" },
  ML0021: { severity: 'error', title: 'a Gateway API backendRef to a Service that selects no pod (503 no healthy upstream)' },
  ML0022: { severity: 'error', title: 'an istio.io/use-waypoint label naming a waypoint that does not exist (WaypointBound=False)' },
  ML0023: { severity: 'error', title: 'a policy targetRef naming a missing Service or Gateway, or a Service bound to no waypoint (WaypointAccepted=False)' },
  ML0024: { severity: 'error', title: 'an AuthorizationPolicy with HTTP attributes that ztunnel enforces in ambient mode (no targetRefs): its HTTP rules are dropped' },
  ML0025: { severity: 'warning', title: 'a VirtualService and an HTTPRoute routing one Service host for the mesh (a sidecar applies only one)' },
  ML0026: { severity: 'error', title: 'an HTTPRoute for a Service of an ambient namespace without a waypoint (the route is not applied)' },
} as const satisfies Record<string, { readonly severity: Severity; readonly title: string }>;

export type Code = keyof typeof CODES;
