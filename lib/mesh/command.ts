/**
 * A command a guide prints: a shell line, or one whose form the lab's flavour decides
 * (Flavour.command), so a guide is written once and never patched afterwards.
 */
export type Command = string | ProxyLog | PodIpCall | EgressLog;

/** Reads the access log of the proxy that handles the calls of `pods`: their sidecar, or in ambient mode the waypoint. */
export interface ProxyLog {
  readonly kind: 'proxyLog';
  /** The pods, as `kubectl logs` names them: `-l app=x,version=v2`, `deploy/preference`, `fortio`. */
  readonly pods: string;
  /** kubectl's flags after the container: `--tail=5`. @default none */
  readonly flags?: string;
}

/**
 * A call from a workload straight to the IP of one pod of `app`, past its Service. In ambient
 * mode such a call skips the waypoint, so it shows what ztunnel enforces on its own; with
 * sidecars it shows nothing a step teaches, and the guide leaves it out (Flavour.command).
 */
export interface PodIpCall {
  readonly kind: 'podIpCall';
  /** The caller as `kubectl exec` names it (`deploy/customer`, `sleep`), and its container. */
  readonly from: string;
  readonly container: string;
  /** The `app` label of the pod called, and the port its container listens on. */
  readonly app: string;
  readonly port: number;
}

/** A call from `from` (container `container`) to the IP of a pod of `app`, on `port`. */
export function podIpCall(from: string, container: string, app: string, port: number): PodIpCall {
  return { kind: 'podIpCall', from, container, app, port };
}

/** The access log of the proxy that handles `pods`' calls, with kubectl's `flags` (`--tail=5`). */
export function proxyLog(pods: string, flags?: string): ProxyLog {
  return { kind: 'proxyLog', pods, flags };
}

/**
 * Reads the access log of the proxy that sends `host` out of the mesh (the egress-gateway step):
 * with Istio's APIs the demo profile's istio-egressgateway, with the Gateway API the Gateway
 * the step deploys for the host, in ambient mode the namespace's waypoint.
 */
export interface EgressLog {
  readonly kind: 'egressLog';
  readonly host: string;
  /** kubectl's flags after the container: `--tail=5`. @default none */
  readonly flags?: string;
}

/** The access log of the proxy that sends `host` out of the mesh, with kubectl's `flags`. */
export function egressLog(host: string, flags?: string): EgressLog {
  return { kind: 'egressLog', host, flags };
}

/** The name of the Gateway that sends `host` out of the mesh (`httpbin-org-egress`): Istio's, or the Gateway API's, whose Deployment adds `-istio`. */
export const egressGatewayName = (host: string) => `${host.replace(/\./g, '-')}-egress`;
