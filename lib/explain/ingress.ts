import { Manifest } from '../validate/manifest';
import { Server, istioGateway, virtualService } from '../validate/views';
import { Cluster, INGRESS_GATEWAY_LABELS, ROOT_NAMESPACE, gatewayKey, hostMatches } from './cluster';
import { RouteEntry, gatewayRoutes } from './route';
import { gatewaysOf } from './visibility';

/** What the ingress gateway does with the request's host, the same for every request. */
export interface IngressPlan {
  readonly gateways: readonly Manifest[];
  /** The Gateways with an HTTP server for the host. */
  readonly served: readonly Manifest[];
  readonly port: number;
  /** The VirtualServices whose routes the gateway has for the host (merged, catch-alls last). */
  readonly bound: readonly Manifest[];
  readonly entries: readonly RouteEntry[];
  /** The Gateway (`namespace/name`) each route was built for. */
  readonly gatewayOf: ReadonlyMap<RouteEntry, string>;
  readonly notes: readonly string[];
}

const isHttp = (server: Server) => ['HTTP', 'HTTP2'].includes((server.port?.protocol ?? '').toUpperCase());

/**
 * The Gateways on the ingress gateway pods that serve `authority` over HTTP, and the routes
 * bound to them for it. A server host `ns/host` or `./host` names the namespaces whose
 * VirtualServices may bind; the host part is what the authority must match.
 */
export function planIngress(cluster: Cluster, all: readonly Manifest[], authority: string | undefined): IngressPlan {
  const gateways = cluster.ingressGateways();
  const served = gateways.filter((g) => istioGateway(g).servers.some((s) =>
    isHttp(s) && (s.hosts ?? []).some((h) => hostMatches(h.slice(h.indexOf('/') + 1), authority))));
  const server = served.length > 0 ? istioGateway(served[0]).servers.find(isHttp) : undefined;
  const port = server?.port?.number ?? 80;
  const { entries, bound, gatewayOf, notes } = gatewayRoutes(all, served, authority, { labels: INGRESS_GATEWAY_LABELS, namespace: ROOT_NAMESPACE, port });
  return { gateways, served, port, bound, entries, gatewayOf, notes };
}

/**
 * The first path the routes bound to the ingress Gateways name (an exact path or a prefix),
 * so a preview from `ingress` follows the lab's own entry (`/customer`, `/env`, `/fft`).
 */
export function firstIngressPath(manifests: readonly Manifest[]): string | undefined {
  const cluster = new Cluster(manifests);
  const keys = cluster.ingressGateways().map(gatewayKey);
  for (const vs of cluster.virtualServices) {
    if (!gatewaysOf(vs).some((g) => keys.includes(g))) continue;
    for (const route of virtualService(vs).http) {
      for (const m of route.match ?? []) {
        const uri = m.uri as { exact?: string; prefix?: string } | undefined;
        const path = uri?.exact ?? uri?.prefix;
        if (path?.startsWith('/')) return path;
      }
    }
  }
  return undefined;
}

/** Whether the manifests hold a Gateway on the ingress gateway (so requests can start at `ingress`). */
export function hasIngressGateway(manifests: readonly Manifest[]): boolean {
  return new Cluster(manifests).ingressGateways().length > 0;
}

