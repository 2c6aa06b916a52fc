import type { HTTPMatchRequest } from '../../imports/istio';
import { usesGatewaySemantics } from '../istio/gateway-api';
import { hostMatches, serverHostsFor } from '../istio/index';
import { qualifyHost } from '../istio/resolve';
import { Manifest, specOf } from '../validate/manifest';
import { entries, istioGateway, virtualService } from '../validate/views';
import { Proxy, isPresentMatch, keptFor } from './match';
import { Route, hostMatchScore, namespaceOf, visibleVirtualServices, withDelegates } from './visibility';

export type { Proxy } from './match';

export type { Route };

/** One Envoy route: a route of a VirtualService with one of its match blocks. */
export interface RouteEntry {
  readonly vs: Manifest;
  /** Position of the route in the VirtualService's list, from 1. */
  readonly number: number;
  readonly route: Route;
  /** The match block; undefined for a route without matches. */
  readonly block: HTTPMatchRequest | undefined;
  readonly tcp: boolean;
}

/**
 * A route Envoy takes for every request: a uri of prefix `/` or regex `.*` (or none), and no
 * header, method, authority, scheme or query condition (route.go IsCatchAllRoute).
 */
export function isCatchAll(block: HTTPMatchRequest | undefined): boolean {
  if (!block) return true;
  const uri = block.uri as { exact?: string; prefix?: string; regex?: string } | undefined;
  const uriAll = !uri || isPresentMatch(uri) || uri.prefix === '/' || uri.regex === '.*';
  const none = (m: object | undefined) => m === undefined || Object.keys(m).length === 0;
  return uriAll && none(block.headers) && none(block.withoutHeaders) && none(block.queryParams) && !block.method && !block.authority && !block.scheme;
}

/**
 * A VirtualService's `http` routes, or its `tcp` routes read as routes: a TCP route's `route`
 * list has the HTTP route's shape, and its L4 match blocks are read by {@link keptFor}.
 */
export function routesOf(vs: Manifest, tcp: boolean): readonly Route[] {
  return tcp ? entries<Route>(specOf(vs).tcp) : virtualService(vs).http;
}

/**
 * The Envoy routes a VirtualService gives one proxy: every route and match block kept for it,
 * in order, up to the first catch-all (route.go BuildHTTPRoutesForVirtualService). On a TCP
 * port the `tcp` routes apply instead of the `http` ones (istio/istio
 * pilot/pkg/networking/core/listener.go builds a TCP proxy from them, an HTTP connection
 * manager from the others).
 */
export function routesFor(vs: Manifest, proxy: Proxy, tcp = false): RouteEntry[] {
  const routes = routesOf(vs, tcp);
  const ns = namespaceOf(vs);
  const out: RouteEntry[] = [];
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i];
    const blocks = route.match && route.match.length > 0 ? route.match : [undefined];
    for (const block of blocks) {
      if (!keptFor(block, ns, proxy)) continue;
      out.push({ vs, number: i + 1, route, block, tcp });
      if (!tcp && isCatchAll(block)) return out;
    }
  }
  return out;
}

/** The routes of a sidecar for a host, and the VirtualService they come from. */
export interface MeshRouting {
  readonly vs: Manifest;
  readonly entries: readonly RouteEntry[];
  readonly notes: readonly string[];
}

/**
 * The VirtualService a sidecar applies to `host`, with its routes for that sidecar. Of the
 * VirtualServices it sees (visibleVirtualServices, in istiod's order), those naming the host
 * exactly each offer their routes and the first that leaves the caller one wins (the
 * sidecar's later virtual hosts for the same domain are dropped: httproute.go
 * dedupeDomains). Only when none names it exactly does a wildcard host claim it, and then only
 * the first VirtualService with the most specific matching wildcard (istio/istio
 * pilot/pkg/model/sidecar.go computeWildcardHostVirtualServiceIndex; route.go
 * separateVSHostsAndServices). One that leaves the caller no route does not apply, and the
 * host gets its default route (route.go buildSidecarVirtualHostsForVirtualService returns
 * nothing without routes; BuildSidecarVirtualHostWrapper builds the Service's default).
 */
export function meshRouting(all: readonly Manifest[], host: string, proxy: Proxy, tcp = false): MeshRouting | undefined {
  // Routes made of the Gateway API apply only to a sidecar in the route's namespace or the
  // Service's (route.go buildSidecarVirtualHostsForVirtualService: "Gateway allows only routes
  // from the namespace of the proxy, or namespace of the destination").
  const serviceNamespace = serviceNamespaceOf(host);
  const visible = visibleVirtualServices(all, proxy.namespace, 'mesh')
    .filter((vs) => !usesGatewaySemantics(vs) || namespaceOf(vs) === proxy.namespace || namespaceOf(vs) === serviceNamespace);
  const hostsOf = (vs: Manifest) => virtualService(vs).hosts.map((h) => qualifyHost(h, namespaceOf(vs)).toLowerCase());
  const exact = visible.filter((vs) => hostsOf(vs).includes(host.toLowerCase()));
  let candidates = exact;
  if (exact.length === 0) {
    const scored = visible.map((vs) => ({ vs, score: Math.max(-1, ...hostsOf(vs).filter((h) => h.includes('*')).map((h) => hostMatchScore(h, host))) }));
    const best = Math.max(-1, ...scored.map((x) => x.score));
    candidates = best < 0 ? [] : scored.filter((x) => x.score === best).slice(0, 1).map((x) => x.vs);
  }
  for (const written of candidates) {
    const { vs, notes } = withDelegates(written, all);
    const entries = routesFor(vs, proxy, tcp);
    if (entries.length > 0) return { vs, entries, notes };
  }
  return undefined;
}

/** The namespace of a Kubernetes Service host (`name.ns.svc.cluster.local`), else undefined. */
export function serviceNamespaceOf(host: string): string | undefined {
  return /^[^.]+\.([^.]+)\.svc\.cluster\.local$/.exec(host.toLowerCase())?.[1];
}

/** The routes a waypoint has for a Service, and the VirtualServices (written or made of HTTPRoutes) they come from. */
export interface WaypointRouting {
  readonly vss: readonly Manifest[];
  readonly entries: readonly RouteEntry[];
}

/**
 * The routes a waypoint applies to requests for a Service host: every VirtualService bound to
 * the mesh, written or made of an HTTPRoute, in the waypoint's namespace or the Service's,
 * whose host covers the Service's, in the order its scope lists them; their routes are merged,
 * each cut after its first catch-all, and matches with `sourceLabels` are dropped (istio/istio
 * pilot/pkg/networking/core/listener_waypoint.go buildWaypointInboundHTTPRouteConfig,
 * getVirtualServiceForWaypoint, waypointInboundRoute; for TCP, getWaypointTCPRoutes). None: the
 * Service's default route.
 */
export function waypointRouting(all: readonly Manifest[], host: string, waypointNamespace: string, port: number, tcp = false): WaypointRouting {
  const serviceNamespace = serviceNamespaceOf(host);
  const proxy: Proxy = { gateway: 'mesh', labels: {}, namespace: waypointNamespace, port };
  const vss = visibleVirtualServices(all, waypointNamespace, 'mesh')
    .filter((vs) => namespaceOf(vs) === waypointNamespace || namespaceOf(vs) === serviceNamespace)
    .filter((vs) => virtualService(vs).hosts.some((h) => hostMatches(qualifyHost(h, namespaceOf(vs)).toLowerCase(), host.toLowerCase())));
  const used: Manifest[] = [];
  const entries: RouteEntry[] = [];
  for (const vs of vss) {
    // TCP: the first TCP route for the port of the VirtualServices in order (getWaypointTCPRoutes).
    const own = routesFor(vs, proxy, tcp);
    if (own.length === 0) continue;
    used.push(vs);
    entries.push(...own);
  }
  return { vss: used, entries };
}

/** Whether a host pattern covers a host or a narrower pattern (`*` all, `*.x` what ends in `.x`). */
function covers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : pattern === host;
}

/** The hosts two patterns share: the narrower one when one covers the other (istio/istio pkg/config/host/names.go Intersection). */
function intersect(a: string, b: string): string | undefined {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  if (covers(x, y)) return y;
  if (covers(y, x)) return x;
  return undefined;
}

/** The server hosts of a Gateway a VirtualService may bind: the shared index's reading (`ns/host`, `./host`, `*\/host`). */
export { serverHostsFor } from '../istio/index';

/** How Envoy ranks a virtual host's domain for a request's host: exact, then the longest wildcard, `*` last; -1 when it does not match. */
function domainScore(domain: string, authority: string | undefined): number {
  if (domain === '*') return 0;
  if (authority === undefined) return -1;
  return hostMatchScore(domain, authority);
}

/**
 * The routes an ingress gateway has for an authority. Each VirtualService bound to a Gateway
 * serving the port gives its routes to the virtual hosts where its hosts and the server hosts
 * its namespace may bind intersect; routes of several VirtualServices for one host are
 * appended in istiod's order, catch-alls moved last (istio/istio
 * pilot/pkg/networking/core/gateway.go buildGatewayHTTPRouteConfig; route.go
 * SortVHostRoutes). Envoy then takes the virtual host whose domain matches the authority most
 * specifically.
 */
export function gatewayRoutes(all: readonly Manifest[], gateways: readonly Manifest[], authority: string | undefined, proxy: Omit<Proxy, 'gateway'>): { entries: RouteEntry[]; bound: Manifest[]; gatewayOf: Map<RouteEntry, string>; notes: string[] } {
  const vhosts = new Map<string, Array<{ vs: Manifest; gateway: string }>>();
  for (const g of gateways) {
    const gateway = `${namespaceOf(g)}/${g.metadata.name}`;
    const servers = istioGateway(g).servers.filter((s) => s.port?.number === proxy.port && ['HTTP', 'HTTP2'].includes((s.port?.protocol ?? '').toUpperCase()));
    const serverHosts = servers.flatMap((s) => s.hosts ?? []);
    for (const vs of visibleVirtualServices(all, proxy.namespace, gateway)) {
      const allowed = serverHostsFor(serverHosts, namespaceOf(g), namespaceOf(vs));
      const domains = new Set<string>();
      for (const h of virtualService(vs).hosts) for (const sh of allowed) {
        const d = intersect(sh, h);
        if (d !== undefined) domains.add(d);
      }
      for (const d of domains) {
        const list = vhosts.get(d) ?? [];
        if (!list.some((x) => x.vs === vs)) list.push({ vs, gateway });
        vhosts.set(d, list);
      }
    }
  }
  const scored = [...vhosts.keys()].map((d) => ({ d, score: domainScore(d, authority) })).filter((x) => x.score >= 0);
  const best = scored.sort((a, b) => b.score - a.score)[0];
  const chosen = best ? vhosts.get(best.d)! : [];
  const entries: RouteEntry[] = [];
  const gatewayOf = new Map<RouteEntry, string>();
  const notes: string[] = [];
  for (const { vs: written, gateway } of chosen) {
    const { vs, notes: n } = withDelegates(written, all);
    notes.push(...n);
    for (const e of routesFor(vs, { ...proxy, gateway })) {
      entries.push(e);
      gatewayOf.set(e, gateway);
    }
  }
  const sorted = [...entries.filter((e) => !isCatchAll(e.block)), ...entries.filter((e) => isCatchAll(e.block))];
  return { entries: sorted, bound: chosen.map((b) => b.vs), gatewayOf, notes };
}
