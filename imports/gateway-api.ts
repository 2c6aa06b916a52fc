/**
 * Typed Kubernetes Gateway API objects (gateway.networking.k8s.io, v1.5.1, the release Istio
 * 1.30 builds on): the fields meshlab writes. The types are written from the Gateway API's
 * reference (https://gateway-api.sigs.k8s.io/reference/spec/); lib/validate/gateway-api.ts
 * checks every object against the CRDs' schema and CEL rules.
 */
import { meshKind } from './mesh-object';

/** A reference to a route's parent: a Gateway (ingress, waypoint) or a Service (GAMMA, mesh traffic). */
export interface ParentReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly port?: number;
  readonly sectionName?: string;
}

/**
 * What a route forwards to or mirrors to: a Service, or (Istio's kind `Hostname` of group
 * networking.istio.io) an external host of a ServiceEntry.
 */
export interface BackendObjectReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly port?: number;
}

export interface HTTPBackendRef extends BackendObjectReference {
  readonly weight?: number;
}

export interface HTTPPathMatch {
  readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly value: string;
}

export interface HTTPHeaderMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly name: string;
  readonly value: string;
}

export interface HTTPRouteMatch {
  readonly path?: HTTPPathMatch;
  readonly headers?: readonly HTTPHeaderMatch[];
}

export interface HTTPPathModifier {
  readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  readonly replaceFullPath?: string;
  readonly replacePrefixMatch?: string;
}

export type HTTPRouteFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly requestHeaderModifier: { readonly add: ReadonlyArray<{ readonly name: string; readonly value: string }> } }
  | { readonly type: 'RequestMirror'; readonly requestMirror: { readonly backendRef: BackendObjectReference; readonly percent?: number } }
  | { readonly type: 'RequestRedirect'; readonly requestRedirect: { readonly path: HTTPPathModifier; readonly statusCode?: 301 | 302 | 303 | 307 | 308 } }
  | { readonly type: 'URLRewrite'; readonly urlRewrite: { readonly path: HTTPPathModifier } }
  | { readonly type: 'CORS'; readonly cors: { readonly allowOrigins: readonly string[]; readonly allowMethods: readonly string[]; readonly maxAge: number } };

export interface HTTPRouteRule {
  readonly matches?: readonly HTTPRouteMatch[];
  readonly filters?: readonly HTTPRouteFilter[];
  readonly backendRefs?: readonly HTTPBackendRef[];
  readonly timeouts?: { readonly request?: string; readonly backendRequest?: string };
  /** Experimental channel only. */
  readonly retry?: { readonly attempts?: number; readonly codes?: readonly number[] };
}

export interface HTTPRouteSpec {
  readonly parentRefs: readonly ParentReference[];
  readonly hostnames?: readonly string[];
  readonly rules: readonly HTTPRouteRule[];
}

export interface TCPRouteSpec {
  readonly parentRefs: readonly ParentReference[];
  readonly rules: ReadonlyArray<{ readonly backendRefs: readonly HTTPBackendRef[] }>;
}

export interface Listener {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly hostname?: string;
  readonly tls?: { readonly mode: 'Terminate'; readonly certificateRefs: ReadonlyArray<{ readonly name: string }> };
  readonly allowedRoutes?: { readonly namespaces?: { readonly from: 'All' | 'Same' | 'Selector' } };
}

export interface GatewaySpec {
  readonly gatewayClassName: string;
  readonly listeners: readonly Listener[];
}

/** Synthesizes a gateway.networking.k8s.io/v1 Gateway (ingress with class `istio`, a waypoint with `istio-waypoint`). */
export class KubernetesGateway extends meshKind<GatewaySpec>('gateway.networking.k8s.io/v1', 'Gateway') {}
/** Synthesizes a gateway.networking.k8s.io/v1 HTTPRoute. */
export class HTTPRouteObject extends meshKind<HTTPRouteSpec>('gateway.networking.k8s.io/v1', 'HTTPRoute') {}
/**
 * Synthesizes a gateway.networking.k8s.io/v1 TCPRoute (standard since Gateway API v1.6; the
 * experimental channel serves it as v1alpha2 too, which Istio 1.30 reads).
 */
export class TCPRouteObject extends meshKind<TCPRouteSpec>('gateway.networking.k8s.io/v1', 'TCPRoute') {}
