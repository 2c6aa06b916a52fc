/**
 * Findings across Gateway API objects and ambient mode, read through the shared index
 * (lib/istio/gateway-api.ts). What one object says on its own (schema, CEL rules) is ML0017 in
 * gateway-api.ts; these are the references between objects. istiod reports most of them in the
 * status of the route or policy on a cluster (istio/istio pilot/pkg/config/kube/gateway/
 * conditions.go, pilot/pkg/serviceregistry/ambient/policies.go), which `istioctl analyze`
 * repeats only from a status already written (pkg/config/analysis/analyzers/conditions), never
 * from files: so they are meshlab's codes, each message naming the condition Istio would set.
 */
import { WAYPOINT_GATEWAY_CLASS, backendRefsOf, isGatewayApi, usesGatewaySemantics } from '../istio/gateway-api';
import { MeshIndex, isAmbientNamespace, namespaceOf, qualifyHost } from '../istio/index';
import type { Code } from './codes';
import { fields, isFields, items, text } from './read';
import { Manifest, specOf } from './manifest';
import { authorizationPolicy, policySelector, service as serviceView, virtualService } from './views';

type Report = (code: Code, field: string, message: string) => void;

/**
 * ML0018 a backendRef (or RequestMirror backendRef) naming no Service; ML0021 one whose Service
 * selects no pod; ML0019 a parentRef that attaches nowhere; ML0020 a Service parentRef's port the
 * Service does not have; ML0026 a GAMMA route in an ambient namespace without a waypoint.
 */
export function checkRoute(route: Manifest, index: MeshIndex, report: Report): void {
  const api = index.gatewayApi;
  const ns = namespaceOf(route);
  // conversion.go: errors for which istiod converts no route at all of the route (ResolvedRefs=False).
  const hard = api.conversionErrors(route);
  // A missing port or an unknown filter type breaks the CRD's own rules: ML0017 says so (gateway-api.ts).
  for (const e of hard.filter((x) => x.field.endsWith('.name'))) report('ML0018', e.field, `${e.message}; Istio sets ResolvedRefs=False and callers get the Service's default routing`);
  for (const b of backendRefsOf(route)) {
    if (b.kind !== 'Service' || hard.some((e) => e.field.startsWith(b.field))) continue;
    const service = index.services.get(qualifyHost(b.name, b.namespace));
    if (service && !index.findHost(b.host, ns)) {
      // The Service exists, so istiod resolves the ref; but a sidecar of the route's namespace has no
      // cluster for a Service not exported there, and answers 500 (route.go ClusterNotFoundResponseCode).
      report('ML0018', b.field, `Service ${b.name} of ${b.namespace} is not exported to ${ns} (networking.istio.io/exportTo): sidecars there have no cluster for it and its share of requests gets 500`);
      continue;
    }
    if (!service) {
      // conversion.go buildDestination: InvalidDestinationNotFound, "backend(<host>) not found".
      const share = b.field.includes('requestMirror') ? 'no copy is mirrored' : 'its share of requests gets 500 (route.go: ClusterNotFoundResponseCode for gateway semantics)';
      report('ML0018', b.field, `Service ${b.name}${b.namespace === ns ? '' : ` of ${b.namespace}`} does not exist: Istio sets ResolvedRefs=False, reason BackendNotFound, and ${share}`);
      continue;
    }
    const selector = serviceView(service).selector ?? {};
    if (Object.keys(selector).length > 0 && index.podsIn(b.namespace).some((p) => !p.platform) && index.podsSelected(selector, b.namespace).length === 0) {
      report('ML0021', b.field, `Service ${b.name} selects no pod (${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')}): its share of requests gets 503 no healthy upstream`);
    }
    const ports = items(specOf(service).ports).map(fields);
    if (b.port !== undefined && !ports.some((p) => p.port === b.port)) {
      report('ML0018', `${b.field}.port`, `${b.port} is not a port of Service ${b.name} (${ports.map((p) => p.port).join(', ')}): no endpoint answers it`);
    }
  }
  for (const a of api.attachments(route)) {
    const field = `spec.parentRefs[${a.parent.index}]`;
    if (a.denied) {
      report('ML0019', field, `${a.parent.kind} ${a.parent.name}: ${a.denied.message}; Istio sets Accepted=False, reason ${a.denied.reason}, and the route applies nowhere for this parent`);
      continue;
    }
    if (a.parent.kind !== 'Service' || !a.service) continue;
    const ports = items(fields(a.service.spec).ports).map(fields);
    if (a.parent.port !== undefined && !ports.some((p) => p.port === a.parent.port)) {
      // route_collections.go augmentPortMatch: the rules match only requests to that port.
      report('ML0020', `${field}.port`, `${a.parent.port} is not a port of Service ${a.parent.name} (${ports.map((p) => p.port).join(', ')}): Istio accepts the route, but its rules only match requests to port ${a.parent.port}, which never come`);
    }
    const svcNs = namespaceOf(a.service);
    if (isAmbientNamespace(index.namespace(svcNs))) {
      const binding = api.waypointFor(a.service);
      if (!binding) {
        // conditions.go WaypointErrorMsgMissingLabel.
        report('ML0026', field, `Service ${a.parent.name} is in ambient namespace ${svcNs} with no istio.io/use-waypoint label on it or its namespace: ztunnel is L4 and the route is not applied ("in ambient mode, route will not be respected")`);
      }
    }
  }
}

/**
 * ML0022: `istio.io/use-waypoint` on a Namespace or Service naming a waypoint the input does not
 * hold (or a Gateway that is not of class istio-waypoint): the Service is not bound to a
 * waypoint (its istio.io/WaypointBound condition is False), so in ambient mode its HTTPRoutes and
 * L7 policies are not applied.
 */
export function checkWaypointLabel(m: Manifest, index: MeshIndex, report: Report): void {
  const labels = m.metadata?.labels ?? {};
  const name = labels['istio.io/use-waypoint'];
  if (typeof name !== 'string' || name === '' || name === 'none') return;
  const ns = labels['istio.io/use-waypoint-namespace'] || (m.kind === 'Namespace' ? m.metadata.name : namespaceOf(m));
  const gateway = index.gatewayApi.gateways.get(`${ns}/${name}`);
  const trafficType = gateway?.metadata?.labels?.['istio.io/waypoint-for'] ?? 'service';
  // A waypoint for workload traffic only (or none) binds no Service: waypoints.go fetchWaypointForService.
  const forServices = trafficType === 'service' || trafficType === 'all';
  const className = gateway && text(specOf(gateway).gatewayClassName);
  if (className === WAYPOINT_GATEWAY_CLASS && (forServices || m.kind === 'Namespace')) return;
  const what = !gateway ? `no waypoint (Gateway of class ${WAYPOINT_GATEWAY_CLASS}) ${ns}/${name} exists`
    : className !== WAYPOINT_GATEWAY_CLASS ? `Gateway ${ns}/${name} is of class ${className ?? '(none)'}, not ${WAYPOINT_GATEWAY_CLASS}`
      : `waypoint ${ns}/${name} is for ${trafficType} traffic (istio.io/waypoint-for), not Services`;
  const whose = m.kind === 'Namespace' ? `Services of ${m.metadata.name}` : `Service ${m.metadata.name}`;
  report('ML0022', 'metadata.labels.istio.io/use-waypoint', `${what}: ${whose} are bound to no waypoint (istio.io/WaypointBound=False), so their HTTPRoutes and L7 policies are not applied`);
}

/** The fields of an AuthorizationPolicy rule ztunnel cannot enforce (pilot/pkg/serviceregistry/ambient/authorization.go httpOperations, httpSources, l4WhenAttributes). */
function httpFields(policy: Manifest): string[] {
  const found = new Set<string>();
  const l4When = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);
  for (const rule of items(specOf(policy).rules).map(fields)) {
    for (const to of items(rule.to)) for (const k of ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths']) if (items(fields(fields(to).operation)[k]).length > 0) found.add(k);
    for (const from of items(rule.from)) for (const k of ['remoteIpBlocks', 'notRemoteIpBlocks', 'requestPrincipals', 'notRequestPrincipals']) if (items(fields(fields(from).source)[k]).length > 0) found.add(k);
    for (const when of items(rule.when)) {
      const key = fields(when).key;
      if (typeof key === 'string' && !l4When.has(key)) found.add(key);
    }
  }
  return [...found].sort();
}

/**
 * For AuthorizationPolicy and RequestAuthentication: ML0023 a `targetRef`/`targetRefs` naming a
 * Service or Gateway the input does not hold, or a Service bound to no waypoint (policies.go:
 * WaypointAccepted=False, TargetNotFound or AncestorNotBound); ML0024 an AuthorizationPolicy
 * with HTTP fields that ztunnel enforces (no targetRefs, in an ambient namespace): ztunnel
 * drops the HTTP rules (authorization.go: an ALLOW rule with HTTP attributes never matches, so
 * requests the policy meant to allow are denied; a DENY policy is enforced without its HTTP
 * rules, denying more).
 */
export function checkPolicyTargets(m: Manifest, index: MeshIndex, report: Report): void {
  const ns = namespaceOf(m);
  const spec = specOf(m);
  const single = spec.targetRef ? [{ ref: fields(spec.targetRef), field: 'spec.targetRef' }] : [];
  const refs = [...single, ...items(spec.targetRefs).map((ref, i) => ({ ref: fields(ref), field: `spec.targetRefs[${i}]` }))];
  for (const { ref, field } of refs) {
    const kind = ref.kind;
    const group = ref.group ?? '';
    const name = String(ref.name ?? '');
    const refNs = String(ref.namespace ?? ns);
    if (kind === 'Service' && group === '') {
      const service = index.services.get(qualifyHost(name, refNs));
      if (!service) report('ML0023', field, `Service ${name} was not found (WaypointAccepted=False, TargetNotFound): the policy applies to nothing`);
      else if (!index.gatewayApi.waypointFor(service)?.gateway) report('ML0023', field, `Service ${name} is not bound to a waypoint (WaypointAccepted=False, AncestorNotBound): a policy with targetRefs is enforced only by a waypoint, so it applies to nothing`);
    } else if (kind === 'Gateway' && group === 'gateway.networking.k8s.io') {
      if (!index.gatewayApi.gateways.has(`${refNs}/${name}`)) report('ML0023', field, `Gateway ${name} was not found (TargetNotFound): the policy applies to nothing`);
    }
  }
  if (m.kind !== 'AuthorizationPolicy' || refs.length > 0) return;
  const selector = policySelector(m);
  const pods = (selector ? index.podsSelected(selector, ns) : index.podsIn(ns)).filter((p) => !p.platform);
  const ambient = isAmbientNamespace(index.namespace(ns)) && (pods.length === 0 || pods.some((p) => p.ambient));
  if (!ambient) return;
  const httpOnly = httpFields(m);
  if (httpOnly.length === 0) return;
  const action = authorizationPolicy(m).action;
  const effect = action === 'DENY'
    ? 'ztunnel enforces this DENY policy without its HTTP rules, so it denies more than written'
    : action === 'ALLOW' ? 'ztunnel omits the ALLOW rules with HTTP attributes, so they never match (with no other ALLOW rule, every request is denied)'
      : `ztunnel does not support the ${action} action`;
  report('ML0024', 'spec.rules', `HTTP attributes (${httpOnly.join(', ')}) in ambient namespace ${ns} with no targetRefs: ${effect}; attach it to a waypoint with targetRefs (a Service or the waypoint Gateway)`);
}

/**
 * ML0025: a VirtualService and an HTTPRoute (through a Service parent) routing one Service host
 * for the mesh. A sidecar applies only one of them: an HTTPRoute of the caller's namespace
 * first, else the oldest (pilot/pkg/model/virtualservice.go SelectVirtualServices; the first
 * virtual host of a domain wins, httproute.go); a waypoint merges both (listener_waypoint.go).
 * Reported on the VirtualService.
 */
export function checkRouteRivals(index: MeshIndex, reportOn: (m: Manifest) => Report | undefined): void {
  const converted = index.gatewayApi.virtualServices.filter((vs) => usesGatewaySemantics(vs) && virtualService(vs).gateways.includes('mesh'));
  if (converted.length === 0) return;
  for (const vs of index.virtualServices) {
    if (!index.isMeshBound(vs)) continue;
    items(specOf(vs).hosts).forEach((h, i) => {
      if (typeof h !== 'string') return;
      const host = qualifyHost(h, namespaceOf(vs)).toLowerCase();
      const rivals = converted.filter((c) => virtualService(c).hosts.includes(host));
      if (rivals.length === 0) return;
      const names = [...new Set(rivals.map((c) => index.gatewayApi.originOf(c)))].join(', ');
      reportOn(vs)?.('ML0025', `spec.hosts[${i}]`, `${h} is also routed by ${names}: a caller's sidecar applies only one of them (an HTTPRoute of its own namespace, else the oldest), a waypoint merges both; route each host with one API`);
    });
  }
}

/** Whether a route kind is read here. */
export function isGatewayRoute(m: Manifest): boolean {
  return isGatewayApi(m) && (m.kind === 'HTTPRoute' || m.kind === 'TCPRoute' || m.kind === 'GRPCRoute');
}

/** The policy kinds of Istio 1.30 that attach with `targetRef`/`targetRefs` (istio.io type.v1beta1.PolicyTargetReference). */
const TARGETED_KINDS = new Set(['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin']);

/**
 * Whether a schema problem says a policy's `targetRef`/`targetRefs` is an unknown field: the
 * schemas of `@kubernetes-models/istio` 2.3.0 predate those fields (Istio 1.22+), so
 * {@link policyTargetRefProblems} checks them instead. A schema that knows them gives no such problem.
 */
export function isTargetRefSchemaGap(m: Manifest, problem: { readonly field: string; readonly message: string }): boolean {
  return TARGETED_KINDS.has(m.kind) && String(m.apiVersion ?? '').includes('istio.io/') && /^spec\.targetRefs?$/.test(problem.field) && /not in the schema/.test(problem.message);
}

/**
 * Istio's own validation of `targetRef`/`targetRefs` (istio/istio pkg/config/validation/validation.go
 * validatePolicyTargetReference, validateOneOfSelectorType): a Service, ServiceEntry, Gateway
 * API Gateway or GatewayClass, which no schema says; and where the schema does not know the
 * fields (`schemaKnows` false), also their shape: a name, no namespace, not beside `selector`.
 */
export function policyTargetRefProblems(m: Manifest, schemaKnows: boolean): Array<{ field: string; message: string }> {
  if (!TARGETED_KINDS.has(m.kind) || !String(m.apiVersion ?? '').includes('istio.io/')) return [];
  const out: Array<{ field: string; message: string }> = [];
  const spec = specOf(m);
  const single: Array<{ ref: unknown; field: string }> = spec.targetRef !== undefined ? [{ ref: spec.targetRef, field: 'spec.targetRef' }] : [];
  const list = items(spec.targetRefs).map((ref, i) => ({ ref, field: `spec.targetRefs[${i}]` }));
  if (!schemaKnows && spec.targetRefs !== undefined && !Array.isArray(spec.targetRefs)) out.push({ field: 'spec.targetRefs', message: 'must be a list of references' });
  const allowed = ['/Service', 'networking.istio.io/ServiceEntry', 'gateway.networking.k8s.io/Gateway', 'gateway.networking.k8s.io/GatewayClass'];
  for (const { ref, field } of [...single, ...list]) {
    if (!isFields(ref)) {
      if (!schemaKnows) out.push({ field, message: 'must be an object with group, kind and name' });
      continue;
    }
    if (!schemaKnows) {
      for (const key of Object.keys(ref)) if (!['group', 'kind', 'name', 'namespace'].includes(key)) out.push({ field: `${field}.${key}`, message: 'is not in the schema (the API server would drop it silently)' });
      if (typeof ref.name !== 'string' || ref.name === '') out.push({ field: `${field}.name`, message: 'targetRef name must be set' });
      if (ref.namespace !== undefined && ref.namespace !== '') out.push({ field: `${field}.namespace`, message: 'targetRef namespace must not be set; cross namespace referencing is not supported' });
    }
    const groupKind = `${String(ref.group ?? '')}/${String(ref.kind ?? '')}`;
    if (!allowed.includes(groupKind)) out.push({ field: `${field}.kind`, message: `targetRef must be to a Service, ServiceEntry, Gateway or GatewayClass but was ${groupKind}` });
  }
  const kinds = [spec.selector !== undefined, single.length > 0, list.length > 0].filter(Boolean).length;
  if (!schemaKnows && kinds > 1) out.push({ field: 'spec', message: 'only one of targetRefs or workloadSelector can be set' });
  return out;
}
