/** The current Istio release the platform also installs (minor version; Kubernetes 1.32 or later). */
export const CURRENT_ISTIO = '1.30';

/** The profiles of the current release's install, each in its own file. */
export type CurrentProfile = 'demo' | 'ambient';
export const CURRENT_PROFILES: readonly CurrentProfile[] = ['demo', 'ambient'];

/** The file, under the platform's folder, of the current release's install with `profile`. */
export const currentInstallFile = (profile: CurrentProfile) => `istioctl/istio-${CURRENT_ISTIO}-${profile}.yaml`;

/**
 * The Gateway API release every guide installs, in its experimental channel: the one version
 * and channel that both Istio 1.30 and 1.31 read whole.
 *
 * | Gateway API | TCPRoute served | HTTPRoute `retry` | Istio 1.30.3 (watches TCPRoute v1alpha2) | Istio 1.31 (watches v1, needs >= v1.6.0) |
 * |---|---|---|---|---|
 * | v1.5.1 experimental | v1alpha2 | yes | works | TCPRoutes ignored |
 * | v1.6.3 standard | v1 | no | TCPRoutes unread | works, no retries |
 * | v1.6.3 experimental | v1 and v1alpha2 | yes | works | works |
 * | v1.7.0 standard | v1 | yes | TCPRoutes unread | works (its module needs Go 1.27) |
 *
 * Facts from the CRDs in the sigs.k8s.io/gateway-api modules and from istio/istio's
 * `pkg/config/schema/gatewayapi/minimumversions.go` (1.31.0-rc.0 requires v1.6.0 for TCPRoute;
 * 1.30.3 has no minimum) and `pkg/config/schema/gvk/resources.gen.go`. meshlab writes TCPRoute at
 * v1, which this release serves beside v1alpha2 from one stored object, so both Istios read it.
 */
export const GATEWAY_API_VERSION = 'v1.6.3';

/**
 * Which CRD bundle of a Gateway API release: `standard`, or `experimental`, which adds
 * HTTPRoute `retry`, TCPRoute v1alpha2 and UDPRoute (gateway-api v1.6.3 config/crd/standard and
 * experimental; `retry` is `<gateway:experimental>` in apis/v1/httproute_types.go). The guides
 * install the experimental one; the standard one is named for a cluster that has it already.
 */
export type GatewayApiChannel = 'standard' | 'experimental';

/** The channel every guide installs. */
export const GATEWAY_API_CHANNEL: GatewayApiChannel = 'experimental';

/** The release asset of `channel`'s CRDs. */
export const gatewayApiCrdUrl = (channel: GatewayApiChannel = GATEWAY_API_CHANNEL, version = GATEWAY_API_VERSION) =>
  `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/${channel}-install.yaml`;

/**
 * The command that installs the guides' CRDs. Server-side apply, as the release notes ask (the
 * CRDs are too large for the last-applied annotation).
 */
export function gatewayApiCrdCommand(channel: GatewayApiChannel = GATEWAY_API_CHANNEL, version = GATEWAY_API_VERSION): string {
  return `kubectl apply --server-side -f ${gatewayApiCrdUrl(channel, version)}`;
}

/**
 * The Gateway API's ValidatingAdmissionPolicy that refuses experimental CRDs over standard ones
 * (config/crd/<channel>/gateway.networking.k8s.io_vap_safeupgrades.yaml); its message says to remove it
 * to install the experimental channel over the standard one.
 */
export const SAFE_UPGRADES = 'safe-upgrades.gateway.networking.k8s.io';

/** The command that removes the safe-upgrades policy and its binding. */
export const removeSafeUpgrades = () => `kubectl delete validatingadmissionpolicybinding,validatingadmissionpolicy ${SAFE_UPGRADES}`;

/**
 * What a guide says to do on a cluster that has the standard channel already (some managed
 * offerings install it): prose, with the command inline, since only such a cluster runs it.
 */
export const STANDARD_ALREADY: readonly string[] = [
  `A cluster that already has the standard channel (some managed Kubernetes offerings install it) refuses`,
  `the experimental CRDs over it: the Gateway API's \`${SAFE_UPGRADES}\` admission policy says`,
  '"Installing experimental CRDs on top of standard channel CRDs is prohibited by default". Remove that',
  `policy and its binding, as its message says (\`${removeSafeUpgrades()}\`), then run the command again.`,
];
