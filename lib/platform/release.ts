/** The current Istio release the platform also installs (minor version; Kubernetes 1.32 or later). */
export const CURRENT_ISTIO = '1.30';

/** The profiles of the current release's install, each in its own file. */
export type CurrentProfile = 'demo' | 'ambient';
export const CURRENT_PROFILES: readonly CurrentProfile[] = ['demo', 'ambient'];

/** The file, under the platform's folder, of the current release's install with `profile`. */
export const currentInstallFile = (profile: CurrentProfile) => `istioctl/istio-${CURRENT_ISTIO}-${profile}.yaml`;

/**
 * The Gateway API release Istio 1.30 is built against (istio/istio 1.30.3 go.mod:
 * `sigs.k8s.io/gateway-api v1.5.1`). Istio does not install these CRDs; waypoints and the
 * Gateway API flavour need them first.
 */
export const GATEWAY_API_VERSION = 'v1.5.1';

/**
 * Which CRD bundle of a Gateway API release: `standard` holds GatewayClass, Gateway,
 * HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant, BackendTLSPolicy, ListenerSet; `experimental`
 * adds TCPRoute, UDPRoute and HTTPRoute `retry` (gateway-api v1.5.1 config/crd/standard and
 * experimental; `retry` is `<gateway:experimental>` in apis/v1/httproute_types.go).
 */
export type GatewayApiChannel = 'standard' | 'experimental';

/** The release asset of `channel`'s CRDs. */
export const gatewayApiCrdUrl = (channel: GatewayApiChannel, version = GATEWAY_API_VERSION) =>
  `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/${channel}-install.yaml`;

/**
 * The command that installs `channel`'s CRDs. Server-side apply, as the release notes ask (the
 * CRDs are too large for the last-applied annotation). The standard channel goes in only where
 * no Gateway CRD is yet, the idiom of istio.io's tasks, so a cluster that already has them
 * (from a cloud provider, or the experimental channel) keeps its own.
 */
export function gatewayApiCrdCommand(channel: GatewayApiChannel, version = GATEWAY_API_VERSION): string {
  const apply = `kubectl apply --server-side -f ${gatewayApiCrdUrl(channel, version)}`;
  return channel === 'standard' ? `kubectl get crd gateways.gateway.networking.k8s.io &> /dev/null || \\\n  ${apply}` : apply;
}
