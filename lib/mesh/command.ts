/**
 * A command a guide prints: a shell line, or one whose form the lab's flavour decides
 * (Flavour.command), so a guide is written once and never patched afterwards.
 */
export type Command = string | ProxyLog;

/** Reads the access log of the proxy that handles the calls of `pods`: their sidecar, or in ambient mode the waypoint. */
export interface ProxyLog {
  readonly kind: 'proxyLog';
  /** The pods, as `kubectl logs` names them: `-l app=x,version=v2`, `deploy/preference`, `fortio`. */
  readonly pods: string;
  /** kubectl's flags after the container: `--tail=5`. @default none */
  readonly flags?: string;
}

/** The access log of the proxy that handles `pods`' calls, with kubectl's `flags` (`--tail=5`). */
export function proxyLog(pods: string, flags?: string): ProxyLog {
  return { kind: 'proxyLog', pods, flags };
}
