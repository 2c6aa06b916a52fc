import { Construct } from 'constructs';
import { KubernetesGateway } from '../../imports/gateway-api';
import { FileConstruct } from './file';

/** The name of an ambient lab's waypoint: the default `istioctl waypoint apply` gives (pkg/config/constants: DefaultNamespaceWaypoint). */
export const WAYPOINT = 'waypoint';

/** The port and protocol every waypoint listens on: HBONE, the HTTP CONNECT tunnel ztunnel sends through. */
export const WAYPOINT_LISTENER = { name: 'mesh', port: 15008, protocol: 'HBONE' } as const;

/**
 * The waypoint of an ambient lab's namespace: a Gateway API Gateway of class
 * `istio-waypoint`, which istiod deploys as the Deployment and Service `waypoint`, without the
 * class suffix an ingress gateway's get (istio/istio pilot/pkg/config/kube/gatewaycommon/
 * classinfo.go: DisableNameSuffix for the waypoint class). It is the
 * Envoy that gives the namespace's services L7: HTTPRoutes, DestinationRule policies, and the
 * policies that attach with `targetRefs`. The namespace's `istio.io/use-waypoint` label sends
 * traffic for its Services through it.
 *
 * The same object `istioctl waypoint generate --for service` writes (istio/istio
 * istioctl/pkg/waypoint/waypoint.go: class constants.WaypointGatewayClassName, one listener
 * `mesh` on 15008 with protocol HBONE). The `istio.io/waypoint-for: service` label is written
 * out although istiod defaults to it, so the file says which traffic the waypoint takes.
 * @see https://istio.io/latest/docs/ambient/usage/waypoint/
 */
export class Waypoint extends FileConstruct {
  /** The waypoint's name, which policies' `targetRefs` and the `istio.io/use-waypoint` label name. */
  public readonly name: string = WAYPOINT;
  /** The ServiceAccount istiod gives the waypoint's pods, and so its identity: the Gateway's name (gateway_utils.go GetDefaultName, no class suffix). */
  public readonly serviceAccountName: string = WAYPOINT;
  public readonly gateway: KubernetesGateway;

  public constructor(scope: Construct) {
    super(scope, 'Waypoint', 'waypoint.yaml');
    this.gateway = new KubernetesGateway(this, 'Gateway', {
      metadata: { name: this.name, labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ ...WAYPOINT_LISTENER }] },
    });
  }
}
