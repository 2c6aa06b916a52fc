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
import { ApiObject, ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct } from 'constructs';

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
  /** '' for the core group (Service), `gateway.networking.k8s.io` for a Gateway. */
  readonly group: string;
  readonly kind: 'Service' | 'Gateway';
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

export interface IstioObjectProps<Spec> {
  readonly metadata: ApiObjectMetadata;
  /** The spec, or a function producing it at synthesis (so later constructs can still add to it). */
  readonly spec: Spec | (() => Spec);
}

/** An Istio custom resource whose spec is typed by its schema. */
export abstract class IstioObject<Spec> extends ApiObject {
  protected constructor(scope: Construct, id: string, apiVersion: string, kind: string, props: IstioObjectProps<Spec>) {
    const spec = props.spec;
    super(scope, id, {
      apiVersion,
      kind,
      metadata: props.metadata,
      spec: typeof spec === 'function' ? Lazy.any({ produce: spec as () => Spec }) : spec,
    });
  }
}

/** Makes the class of one Istio kind: `new VirtualService(scope, id, { metadata, spec })`. */
function istioKind<Spec>(apiVersion: string, kind: string) {
  return class extends IstioObject<Spec> {
    public static readonly API_VERSION = apiVersion;
    public static readonly KIND = kind;
    public constructor(scope: Construct, id: string, props: IstioObjectProps<Spec>) {
      super(scope, id, apiVersion, kind, props);
    }
  };
}

/** Synthesizes a networking.istio.io/v1beta1 VirtualService. */
export class VirtualService extends istioKind<VirtualServiceSpec>('networking.istio.io/v1beta1', 'VirtualService') {}
/** Synthesizes a networking.istio.io/v1beta1 DestinationRule. */
export class DestinationRule extends istioKind<DestinationRuleSpec>('networking.istio.io/v1beta1', 'DestinationRule') {}
/** Synthesizes a networking.istio.io/v1beta1 Gateway. */
export class Gateway extends istioKind<GatewaySpec>('networking.istio.io/v1beta1', 'Gateway') {}
/** Synthesizes a networking.istio.io/v1beta1 ServiceEntry. */
export class ServiceEntry extends istioKind<ServiceEntrySpec>('networking.istio.io/v1beta1', 'ServiceEntry') {}
/** Synthesizes a networking.istio.io/v1beta1 Sidecar. */
export class Sidecar extends istioKind<SidecarSpec>('networking.istio.io/v1beta1', 'Sidecar') {}
/** Synthesizes a networking.istio.io/v1alpha3 EnvoyFilter (the only version Istio 1.17 serves). */
export class EnvoyFilter extends istioKind<EnvoyFilterSpec>('networking.istio.io/v1alpha3', 'EnvoyFilter') {}
/** Synthesizes a security.istio.io/v1beta1 PeerAuthentication. */
export class PeerAuthentication extends istioKind<PeerAuthenticationSpec>('security.istio.io/v1beta1', 'PeerAuthentication') {}
/** Synthesizes a security.istio.io/v1beta1 AuthorizationPolicy. */
export class AuthorizationPolicy extends istioKind<AuthorizationPolicySpec>('security.istio.io/v1beta1', 'AuthorizationPolicy') {}
/** Synthesizes a security.istio.io/v1beta1 RequestAuthentication. */
export class RequestAuthentication extends istioKind<RequestAuthenticationSpec>('security.istio.io/v1beta1', 'RequestAuthentication') {}
/** Synthesizes an install.istio.io/v1alpha1 IstioOperator, the input of `istioctl install -f`. */
export class IstioOperator extends istioKind<IstioOperatorSpec>('install.istio.io/v1alpha1', 'IstioOperator') {}
