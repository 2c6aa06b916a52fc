/**
 * Typed views of the kinds meshlab reads, over a {@link Manifest} as written.
 *
 * A view narrows what every reader relies on: a list is an array, a host or a name a string, a
 * label map a map of strings, each entry of a list an object (an entry that is not one reads as
 * `{}`, so indices in findings stay those of the file). Inside an entry, fields are typed as
 * Istio's schema types them and are not re-checked here: the schema check (ML0017, IST0002)
 * reports a file that does not hold to it, and `npm run check` falls back to that report alone
 * when an analyzer trips over such a file (lib/cli/check.ts).
 */
import type { AuthorizationPolicySpec, GatewaySpec, HTTPRoute as IstioHTTPRoute, Subset, TCPRoute, TrafficPolicy } from '../../imports/istio';
import { Manifest, specOf } from './manifest';
import { Labels, fields, isFields, items, labels, text, texts } from './read';

export type { Labels } from './read';

/**
 * The entries of a list of objects, typed as the schema types them: the one place where a
 * reader takes the schema's word for the shape inside an entry (see the module comment).
 */
export function entries<T>(v: unknown): readonly T[] {
  const list = items(v);
  return (list.every(isFields) ? list : list.map(fields)) as unknown as readonly T[];
}

export type Server = NonNullable<GatewaySpec['servers']>[number];

/**
 * An HTTP route of a VirtualService as written, with what the generated types predate:
 * `mirrors` (Istio 1.22+) and `rewrite.uriRegexRewrite` (Istio 1.18+).
 */
export type Route = Omit<IstioHTTPRoute, 'rewrite'> & {
  rewrite?: IstioHTTPRoute['rewrite'] & { uriRegexRewrite?: { match?: string; rewrite?: string } };
  mirrors?: ReadonlyArray<{
    readonly destination?: { readonly host?: string; readonly subset?: string; readonly port?: { readonly number?: number } };
    readonly percentage?: { readonly value?: number };
  }>;
};
export type AuthorizationRule = NonNullable<AuthorizationPolicySpec['rules']>[number];

/** A Service's port as written. */
export interface ServicePort {
  readonly name?: string;
  readonly port?: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export interface VirtualServiceView {
  readonly hosts: string[];
  readonly gateways: string[];
  readonly exportTo: string[];
  readonly http: readonly Route[];
  readonly tcp: readonly TCPRoute[];
}

export function virtualService(m: Manifest): VirtualServiceView {
  const s = specOf(m);
  return { hosts: texts(s.hosts), gateways: texts(s.gateways), exportTo: texts(s.exportTo), http: entries(s.http), tcp: entries(s.tcp) };
}

export interface DestinationRuleView {
  readonly host: string;
  readonly subsets: readonly Subset[];
  readonly trafficPolicy?: TrafficPolicy;
  readonly exportTo: string[];
  /** Whether the rule is written with a `workloadSelector`. */
  readonly hasWorkloadSelector: boolean;
  /** Its `workloadSelector.matchLabels`. */
  readonly workloadSelector?: Labels;
}

export function destinationRule(m: Manifest): DestinationRuleView {
  const s = specOf(m);
  return {
    host: text(s.host) ?? '',
    subsets: entries(s.subsets),
    trafficPolicy: s.trafficPolicy === undefined ? undefined : fields(s.trafficPolicy) as TrafficPolicy,
    exportTo: texts(s.exportTo),
    hasWorkloadSelector: Boolean(s.workloadSelector),
    workloadSelector: labels(fields(s.workloadSelector).matchLabels),
  };
}

/** An Istio Gateway (networking.istio.io). */
export interface GatewayView {
  readonly selector?: Labels;
  readonly servers: readonly Server[];
}

export function istioGateway(m: Manifest): GatewayView {
  const s = specOf(m);
  return { selector: labels(s.selector), servers: entries(s.servers) };
}

export interface ServiceView {
  readonly selector?: Labels;
  readonly ports: readonly ServicePort[];
  readonly type?: string;
}

export function service(m: Manifest): ServiceView {
  const s = specOf(m);
  return { selector: labels(s.selector), ports: entries(s.ports), type: text(s.type) };
}

/** `spec.selector.matchLabels` of a policy (AuthorizationPolicy, PeerAuthentication, RequestAuthentication, Telemetry). */
export function policySelector(m: Manifest): Labels | undefined {
  return labels(fields(specOf(m).selector).matchLabels);
}

/** `spec.workloadSelector.labels` of a Sidecar, EnvoyFilter or ServiceEntry. */
export function workloadLabels(m: Manifest): Labels | undefined {
  return labels(fields(specOf(m).workloadSelector).labels);
}

/** A policy's reference to what it attaches to (PolicyTargetReference). */
export interface TargetRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

/**
 * A policy's `targetRefs`, or its legacy `targetRef` when there are none (istio/istio
 * pilot/pkg/model/policyattachment.go GetTargetRefs); the group `core` is the empty one.
 */
export function targetRefs(m: Manifest): TargetRef[] {
  const s = specOf(m);
  const written = items(s.targetRefs).length > 0 ? items(s.targetRefs) : s.targetRef !== undefined ? [s.targetRef] : [];
  return written.map(fields).map((r) => ({ group: text(r.group) === 'core' ? '' : text(r.group) ?? '', kind: text(r.kind) ?? '', name: text(r.name) ?? '' }));
}

export interface AuthorizationPolicyView {
  /** As written, `ALLOW` when absent. */
  readonly action: string;
  readonly rules: readonly AuthorizationRule[];
  readonly selector?: Labels;
  readonly targetRefs: readonly TargetRef[];
}

export function authorizationPolicy(m: Manifest): AuthorizationPolicyView {
  const s = specOf(m);
  return { action: text(s.action) ?? 'ALLOW', rules: entries(s.rules), selector: policySelector(m), targetRefs: targetRefs(m) };
}
