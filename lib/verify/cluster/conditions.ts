import { fields } from '../../validate/read';

/**
 * How verify:cluster reads the status istiod writes: a Gateway API route is accepted when every
 * parent it names reports Accepted and ResolvedRefs; a Gateway API Gateway (ingress or
 * waypoint) when it is Accepted and Programmed; an AuthorizationPolicy of an ambient namespace
 * when it is bound where it is enforced. Istio's classic `networking.istio.io` Gateways carry no
 * status and are not judged.
 */

/** What `kubectl get -o json` gives of an object istiod writes status on. */
export interface StatusObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly generation?: number };
  readonly spec?: unknown;
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly parents?: ReadonlyArray<{ readonly parentRef: { readonly name: string; readonly kind?: string; readonly namespace?: string }; readonly conditions?: readonly Condition[] }>;
  };
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

/** The resources judged, as kubectl names them. */
export const STATUS_RESOURCES = [
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'tcproutes.gateway.networking.k8s.io',
  'grpcroutes.gateway.networking.k8s.io',
  'authorizationpolicies.security.istio.io',
];

const GATEWAY_API = 'gateway.networking.k8s.io/';
const isGatewayApi = (o: StatusObject) => o.apiVersion.startsWith(GATEWAY_API);
const isRoute = (o: StatusObject) => isGatewayApi(o) && ['HTTPRoute', 'TCPRoute', 'GRPCRoute'].includes(o.kind);
const isGateway = (o: StatusObject) => isGatewayApi(o) && o.kind === 'Gateway';

/** Where a policy is enforced in ambient mode, and so which condition says it is bound. */
export type PolicyBinding = 'waypoint' | 'ztunnel' | 'ingress';

/**
 * Where an AuthorizationPolicy of an ambient namespace is enforced: by a waypoint when it
 * targets one, or a Service or ServiceEntry (which uses one); by ztunnel when it selects pods
 * or the whole namespace; by an ingress Gateway when it targets one. istiod reports the first
 * two as WaypointAccepted and ZtunnelAccepted (pilot/pkg/model/service.go); the last only
 * knows waypoints (pilot/pkg/serviceregistry/ambient/policies.go: TargetNotFound), so the
 * policy is judged by its gateway instead.
 */
export function policyBinding(policy: StatusObject, waypoints: ReadonlySet<string>): PolicyBinding {
  const spec = fields(policy.spec);
  const refs = (spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : [])) as ReadonlyArray<{ kind: string; name: string }>;
  if (refs.length === 0) return 'ztunnel';
  const ingress = refs.some((r) => r.kind === 'Gateway' && !waypoints.has(`${policy.metadata.namespace}/${r.name}`));
  return ingress ? 'ingress' : 'waypoint';
}

const conditionOf = (conditions: readonly Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type);
const describe = (c: Condition | undefined, type: string) => (c === undefined ? `no ${type} condition` : `${type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`);

/** Whether istiod has written status for the object's current generation (an object it does not judge counts as written). */
export function hasCurrentStatus(o: StatusObject, ambient: boolean, waypoints: ReadonlySet<string>): boolean {
  const generation = o.metadata.generation ?? 0;
  const current = (conditions: readonly Condition[] | undefined) => (conditions ?? []).length > 0 && (conditions ?? []).every((c) => (c.observedGeneration ?? generation) >= generation);
  if (isRoute(o)) return (o.status?.parents ?? []).length > 0 && (o.status?.parents ?? []).every((p) => current(p.conditions));
  if (isGateway(o)) return current(o.status?.conditions);
  if (o.kind === 'AuthorizationPolicy' && ambient && policyBinding(o, waypoints) !== 'ingress') return current(o.status?.conditions);
  return true;
}

/** What the status says of one object: undefined when it is not judged; else its tally and the problems (none when it passed). */
export function judgeStatus(o: StatusObject, ambient: boolean, waypoints: ReadonlySet<string>): { kind: 'route' | 'gateway' | 'policy'; problems: string[] } | undefined {
  if (isRoute(o)) {
    const parents = o.status?.parents ?? [];
    if (parents.length === 0) return { kind: 'route', problems: ['no parent reported status (the route was not read)'] };
    const problems = parents.flatMap((p) => ['Accepted', 'ResolvedRefs'].flatMap((type) => {
      const c = conditionOf(p.conditions, type);
      return c?.status === 'True' ? [] : [`parent ${p.parentRef.kind ?? 'Gateway'} ${p.parentRef.name}: ${describe(c, type)}`];
    }));
    return { kind: 'route', problems };
  }
  if (isGateway(o)) {
    const problems = ['Accepted', 'Programmed'].flatMap((type) => {
      const c = conditionOf(o.status?.conditions, type);
      return c?.status === 'True' ? [] : [describe(c, type)];
    });
    return { kind: 'gateway', problems };
  }
  if (o.kind === 'AuthorizationPolicy' && ambient) {
    const binding = policyBinding(o, waypoints);
    if (binding === 'ingress') return undefined;
    const type = binding === 'waypoint' ? 'WaypointAccepted' : 'ZtunnelAccepted';
    const c = conditionOf(o.status?.conditions, type);
    // ztunnel takes a policy whole only with reason Accepted: UnsupportedValue means it dropped HTTP rules (a waypoint was needed).
    const bound = c?.status === 'True' && (binding === 'waypoint' || c.reason === 'Accepted');
    return { kind: 'policy', problems: bound ? [] : [describe(c, type)] };
  }
  return undefined;
}
