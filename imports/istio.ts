/**
 * Typed Istio API objects for the kinds cdk8s-plus-27 does not model.
 *
 * The spec types come from @kubernetes-models/istio (type imports only: nothing of that
 * package is loaded at run time). Validation against the same schemas runs through
 * precompiled validators, see `imports/schema.ts`.
 */
import type { IAuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1beta1/AuthorizationPolicy';
import type { IPeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication';
import type { IRequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1/RequestAuthentication';
import type { IEnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import type { ISidecar } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar';
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { meshKind } from './mesh-object';

export type VirtualServiceSpec = NonNullable<IVirtualService['spec']>;
export type HTTPRoute = NonNullable<VirtualServiceSpec['http']>[number];
export type HTTPMatchRequest = NonNullable<HTTPRoute['match']>[number];
export type HTTPRouteDestination = NonNullable<HTTPRoute['route']>[number];
export type TCPRoute = NonNullable<VirtualServiceSpec['tcp']>[number];
export type DestinationRuleSpec = NonNullable<IDestinationRule['spec']>;
export type TrafficPolicy = NonNullable<DestinationRuleSpec['trafficPolicy']>;
export type Subset = NonNullable<DestinationRuleSpec['subsets']>[number];
export type GatewaySpec = NonNullable<IGateway['spec']>;
export type ServiceEntrySpec = NonNullable<IServiceEntry['spec']>;
export type SidecarSpec = NonNullable<ISidecar['spec']>;
export type EnvoyFilterSpec = NonNullable<IEnvoyFilter['spec']>;
export type PeerAuthenticationSpec = NonNullable<IPeerAuthentication['spec']>;

/**
 * What a policy attaches to instead of a workload selector: a Service (at the waypoint that
 * serves it) or a Gateway (a waypoint or an ingress gateway). Istio added `targetRefs` to
 * AuthorizationPolicy and RequestAuthentication after the schemas of @kubernetes-models/istio
 * 2.3.0, so meshlab adds the field to their types here and to their schemas in
 * scripts/istio-validators.js, as Istio 1.30's CRDs define it (istio/istio
 * manifests/charts/base/files/crd-all.gen.yaml: `targetRefs`, at most 16, group/kind/name,
 * no namespace; at most one of selector, targetRef and targetRefs).
 */
export interface PolicyTargetReference {
  /** '' for the core group (Service), `gateway.networking.k8s.io` for a Gateway, `networking.istio.io` for a ServiceEntry. */
  readonly group: string;
  readonly kind: 'Service' | 'Gateway' | 'ServiceEntry';
  readonly name: string;
}

/** A policy spec with Istio's `targetRefs` beside its selector. */
type Targetable<Spec> = Spec & { readonly targetRefs?: readonly PolicyTargetReference[] };

export type AuthorizationPolicySpec = Targetable<NonNullable<IAuthorizationPolicy['spec']>>;
export type RequestAuthenticationSpec = Targetable<NonNullable<IRequestAuthentication['spec']>>;

/** The part of an IstioOperator spec meshlab writes (the schema package leaves it untyped). */
export interface IstioOperatorSpec {
  readonly profile: string;
  readonly meshConfig?: {
    readonly accessLogFile?: string;
    readonly outboundTrafficPolicy?: { readonly mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
  };
  readonly components?: {
    /** Istio's CNI node agent (istio/istio operator/pkg/apis/types.go IstioComponentSpec.Cni); ambient needs it. */
    readonly cni?: { readonly enabled: boolean };
    /** The per-node L4 proxy of ambient mode (IstioComponentSpec.Ztunnel). */
    readonly ztunnel?: { readonly enabled: boolean };
    readonly ingressGateways?: ReadonlyArray<{
      readonly name: string;
      readonly enabled: boolean;
      /** Merged into the gateway's Service spec (strategic merge: ports are kept). */
      readonly k8s?: { readonly service?: { readonly externalIPs?: readonly string[] } };
    }>;
  };
}

export type { MeshObjectProps as IstioObjectProps } from './mesh-object';

/** Synthesizes a networking.istio.io/v1beta1 VirtualService. */
export class VirtualService extends meshKind<VirtualServiceSpec>('networking.istio.io/v1beta1', 'VirtualService') {}
/** Synthesizes a networking.istio.io/v1beta1 DestinationRule. */
export class DestinationRule extends meshKind<DestinationRuleSpec>('networking.istio.io/v1beta1', 'DestinationRule') {}
/** Synthesizes a networking.istio.io/v1beta1 Gateway. */
export class Gateway extends meshKind<GatewaySpec>('networking.istio.io/v1beta1', 'Gateway') {}
/** Synthesizes a networking.istio.io/v1beta1 ServiceEntry. */
export class ServiceEntry extends meshKind<ServiceEntrySpec>('networking.istio.io/v1beta1', 'ServiceEntry') {}
/** Synthesizes a networking.istio.io/v1beta1 Sidecar. */
export class Sidecar extends meshKind<SidecarSpec>('networking.istio.io/v1beta1', 'Sidecar') {}
/** Synthesizes a networking.istio.io/v1alpha3 EnvoyFilter (the only version Istio 1.17 serves). */
export class EnvoyFilter extends meshKind<EnvoyFilterSpec>('networking.istio.io/v1alpha3', 'EnvoyFilter') {}
/** Synthesizes a security.istio.io/v1beta1 PeerAuthentication. */
export class PeerAuthentication extends meshKind<PeerAuthenticationSpec>('security.istio.io/v1beta1', 'PeerAuthentication') {}
/** Synthesizes a security.istio.io/v1beta1 AuthorizationPolicy. */
export class AuthorizationPolicy extends meshKind<AuthorizationPolicySpec>('security.istio.io/v1beta1', 'AuthorizationPolicy') {}
/** Synthesizes a security.istio.io/v1beta1 RequestAuthentication. */
export class RequestAuthentication extends meshKind<RequestAuthenticationSpec>('security.istio.io/v1beta1', 'RequestAuthentication') {}
/** Synthesizes an install.istio.io/v1alpha1 IstioOperator, the input of `istioctl install -f`. */
export class IstioOperator extends meshKind<IstioOperatorSpec>('install.istio.io/v1alpha1', 'IstioOperator') {}
