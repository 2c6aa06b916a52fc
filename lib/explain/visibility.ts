import type { HTTPMatchRequest } from '../../imports/istio';
import { qualifyHost, selects } from '../istio/resolve';
import { Manifest, specOf } from '../validate/manifest';
import { Route, destinationRule, virtualService } from '../validate/views';
import { gatewayKeysOf, isExportedTo, namespaceOf } from '../istio/index';
import { usesGatewaySemantics } from '../istio/gateway-api';
import { ROOT_NAMESPACE, hostMatches } from './cluster';

export type { Route } from '../validate/views';

/**
 * Which VirtualServices and DestinationRules a proxy sees, as istiod orders and merges them.
 * Namespaces, `exportTo` and `gateways` are read by the shared index (lib/istio/index.ts).
 */

export { namespaceOf } from '../istio/index';

/** Whether an object in `owner` with this `exportTo` is visible from `viewer` (the shared index's {@link isExportedTo}). */
export const exportedTo = isExportedTo;

/** How istiod orders configs of equal creation time: by creation time, then name, then namespace (push_context.go sortConfigByCreationTime). */
export function byCreation(a: Manifest, b: Manifest): number {
  const time = (m: Manifest) => String((m.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return cmp(time(a), time(b)) || cmp(a.metadata.name, b.metadata.name) || cmp(namespaceOf(a), namespaceOf(b));
}

/** The gateways a VirtualService binds to, resolved to `mesh` or `namespace/name` by the shared index. */
export const gatewaysOf = gatewayKeysOf;

/**
 * The VirtualServices a proxy in `viewer` reads for `gateway` (`mesh` for a sidecar), in
 * istiod's order: those in its own namespace exported only there (`.`) first, then those
 * exported to it by name, then the public ones, each by creation (push_context.go
 * VirtualServicesForGateway; model/virtualservice.go SelectVirtualServices). A
 * VirtualService without hosts is a delegate and is never read on its own.
 */
export function visibleVirtualServices(all: readonly Manifest[], viewer: string, gateway: string): Manifest[] {
  const rank = (vs: Manifest): number => {
    const exportTo = virtualService(vs).exportTo;
    const owner = namespaceOf(vs);
    if (!isExportedTo(exportTo, owner, viewer)) return -1;
    if (exportTo.length === 0 || exportTo.includes('*')) return 2;
    return owner === viewer && exportTo.some((e) => e === '.' || e === owner) ? 0 : 1;
  };
  // Within each group, routes istiod made of the Gateway API in the proxy's own namespace come
  // first: the "consumer override" (push_context.go VirtualServicesForGateway; for sidecars
  // model/virtualservice.go SelectVirtualServices with PILOT_UNIFIED_SIDECAR_SCOPE, on by default).
  const own = (vs: Manifest) => (usesGatewaySemantics(vs) && namespaceOf(vs) === viewer ? 0 : 1);
  return all
    .filter((vs) => vs.kind === 'VirtualService' && virtualService(vs).hosts.length > 0 && gatewaysOf(vs).includes(gateway))
    .map((vs) => ({ vs, rank: rank(vs) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank || own(a.vs) - own(b.vs) || byCreation(a.vs, b.vs))
    .map((x) => x.vs);
}

/** How well a host pattern covers a host: exact beats any wildcard, a longer wildcard a shorter one; -1 when it does not. */
export function hostMatchScore(pattern: string, host: string): number {
  if (!hostMatches(pattern, host)) return -1;
  return pattern.includes('*') ? pattern.length : Number.MAX_SAFE_INTEGER;
}

/**
 * The DestinationRule a proxy in `caller` applies to `host` of a Service in `serviceNamespace`
 * (push_context.go destinationRule): the caller's own namespace first (rules exported there
 * or everywhere), then the Service's namespace, then the root namespace (rules exported to the
 * caller); in each, the most specific host (MostSpecificHostMatch), the oldest rule first.
 * A rule with a workloadSelector applies only to the pods it selects, in its namespace.
 */
export function destinationRuleFor(all: readonly Manifest[], host: string, caller: string, callerLabels: Readonly<Record<string, string>>, serviceNamespace: string): Manifest | undefined {
  const drHost = (dr: Manifest) => qualifyHost(destinationRule(dr).host, namespaceOf(dr));
  const selected = (dr: Manifest) => {
    const selector = destinationRule(dr).workloadSelector;
    return selector === undefined || (namespaceOf(dr) === caller && selects(selector, callerLabels));
  };
  const mostSpecific = (candidates: Manifest[]): Manifest | undefined => {
    const scored = candidates.map((dr) => ({ dr, score: hostMatchScore(drHost(dr), host) })).filter((x) => x.score >= 0);
    const best = Math.max(-1, ...scored.map((x) => x.score));
    const rules = scored.filter((x) => x.score === best).map((x) => x.dr)
      .sort((a, b) => Number(!destinationRule(a).hasWorkloadSelector) - Number(!destinationRule(b).hasWorkloadSelector) || byCreation(a, b));
    return rules.length > 1 ? mergeRules(rules) : rules[0];
  };
  const usable = all.filter(selected);
  const local = (ns: string) => usable.filter((dr) => namespaceOf(dr) === ns && (destinationRule(dr).hasWorkloadSelector || exportedTo(destinationRule(dr).exportTo, ns, ns)));
  const exported = (ns: string) => usable.filter((dr) => namespaceOf(dr) === ns && !destinationRule(dr).hasWorkloadSelector && exportedTo(destinationRule(dr).exportTo, ns, caller));
  // A proxy in the root namespace (the ingress gateway) takes only the root namespace's private rules first, so
  // that mesh-wide rules there do not hide the Service's own (push_context.go destinationRule, rootNamespaceLocal).
  const privateOnly = (dr: Manifest) => {
    const e = destinationRule(dr).exportTo;
    return e.length === 1 && (e[0] === '.' || e[0] === namespaceOf(dr));
  };
  const first = caller === ROOT_NAMESPACE ? local(caller).filter((dr) => destinationRule(dr).hasWorkloadSelector || privateOnly(dr)) : local(caller);
  return mostSpecific(first) ?? mostSpecific(exported(serviceNamespace)) ?? mostSpecific(exported(ROOT_NAMESPACE));
}

/**
 * DestinationRules of one host in one namespace, merged as istiod merges them: the oldest's
 * fields, with the subsets of the others added when their names are new, and the first
 * trafficPolicy (istio/istio pilot/pkg/model/destination_rule.go mergeDestinationRule).
 */
function mergeRules(rules: readonly Manifest[]): Manifest {
  const [first, ...rest] = rules;
  const subsets = [...destinationRule(first).subsets];
  let trafficPolicy = destinationRule(first).trafficPolicy;
  for (const r of rest) {
    for (const s of destinationRule(r).subsets) if (!subsets.some((x) => x.name === s.name)) subsets.push(s);
    trafficPolicy ??= destinationRule(r).trafficPolicy;
  }
  return { ...first, spec: { ...specOf(first), subsets, trafficPolicy } };
}

/**
 * A VirtualService with its delegates followed: each route that delegates is replaced by the
 * delegate's routes, their matches merged with the root's; a delegate that is missing, not
 * exported to the root's namespace, or whose matches conflict with the root's is dropped
 * (istio/istio pilot/pkg/model/virtualservice_controller.go mergeVirtualServices,
 * virtualservice.go MergeHTTPRoutes). Destination hosts of a delegate are relative to its
 * own namespace, so they are qualified here.
 */
export function withDelegates(vs: Manifest, all: readonly Manifest[]): { readonly vs: Manifest; readonly notes: readonly string[] } {
  const http: readonly Route[] = virtualService(vs).http;
  if (!http.some((r) => r.delegate)) return { vs, notes: [] };
  const notes: string[] = [];
  const root = namespaceOf(vs);
  const merged: Route[] = [];
  for (const route of http) {
    if (!route.delegate) {
      merged.push(route);
      continue;
    }
    const ns = route.delegate.namespace ?? root;
    const delegate = all.find((d) => d.kind === 'VirtualService' && d.metadata.name === route.delegate!.name && namespaceOf(d) === ns && virtualService(d).hosts.length === 0);
    if (!delegate) {
      notes.push(`delegate VirtualService ${ns}/${route.delegate.name} not found: its route is dropped`);
      continue;
    }
    if (!exportedTo(virtualService(delegate).exportTo, ns, root)) {
      notes.push(`delegate VirtualService ${ns}/${route.delegate.name} is not exported to ${root}: its route is dropped`);
      continue;
    }
    for (const leaf of virtualService(delegate).http as Route[]) {
      const match = mergeMatches(route.match ?? [], leaf.match ?? []);
      if (match === undefined) continue;
      const qualified = (leaf.route ?? []).map((d) => ({ ...d, destination: d.destination && { ...d.destination, host: qualifyHost(d.destination.host ?? '', ns) } }));
      merged.push({
        ...leaf,
        match: match.length > 0 ? match : undefined,
        route: leaf.route && qualified,
        rewrite: leaf.rewrite ?? route.rewrite,
        directResponse: leaf.directResponse ?? route.directResponse,
        timeout: leaf.timeout ?? route.timeout,
        retries: leaf.retries ?? route.retries,
        fault: leaf.fault ?? route.fault,
        mirror: leaf.mirror ?? route.mirror,
        mirrorPercentage: leaf.mirrorPercentage ?? route.mirrorPercentage,
        mirrors: leaf.mirrors ?? route.mirrors,
        corsPolicy: leaf.corsPolicy ?? route.corsPolicy,
        headers: leaf.headers ?? route.headers,
      });
    }
  }
  return { vs: { ...vs, spec: { ...specOf(vs), http: merged } }, notes };
}

type StringMatch = { exact?: string; prefix?: string; regex?: string } | undefined;

/** Whether a delegate's StringMatch narrows the root's (virtualservice.go stringMatchConflict). */
function conflicts(root: StringMatch, leaf: StringMatch): boolean {
  if (!root || !leaf) return false;
  if (root.regex || leaf.regex) return true;
  if (root.exact) return leaf.prefix !== undefined || leaf.exact !== root.exact;
  if (root.prefix) {
    if (leaf.prefix !== undefined) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact !== undefined) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}

/** The merged matches of a delegate's route, or undefined on a conflict (virtualservice.go mergeHTTPMatchRequests). */
function mergeMatches(root: readonly HTTPMatchRequest[], leaf: readonly HTTPMatchRequest[]): HTTPMatchRequest[] | undefined {
  if (root.length === 0) return [...leaf];
  if (leaf.length === 0) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const sub of leaf) {
    let found = false;
    for (const r of root) {
      const clash = (['uri', 'scheme', 'method', 'authority'] as const).some((k) => conflicts(r[k] as StringMatch, sub[k] as StringMatch))
        || Object.entries(sub.headers ?? {}).some(([k, v]) => conflicts(r.headers?.[k] as StringMatch, v as StringMatch))
        || Object.entries(sub.queryParams ?? {}).some(([k, v]) => conflicts(r.queryParams?.[k] as StringMatch, v as StringMatch))
        || (r.ignoreUriCase ?? false) !== (sub.ignoreUriCase ?? false)
        || (r.port !== undefined && sub.port !== undefined && r.port !== sub.port)
        || (r.sourceNamespace !== undefined && sub.sourceNamespace !== r.sourceNamespace)
        || Object.entries(sub.sourceLabels ?? {}).some(([k, v]) => r.sourceLabels?.[k] !== undefined && r.sourceLabels[k] !== v);
      if (clash) continue;
      found = true;
      out.push({
        ...sub,
        uri: sub.uri ?? r.uri,
        scheme: sub.scheme ?? r.scheme,
        method: sub.method ?? r.method,
        authority: sub.authority ?? r.authority,
        headers: r.headers || sub.headers ? { ...r.headers, ...sub.headers } : undefined,
        withoutHeaders: r.withoutHeaders || sub.withoutHeaders ? { ...r.withoutHeaders, ...sub.withoutHeaders } : undefined,
        queryParams: r.queryParams || sub.queryParams ? { ...r.queryParams, ...sub.queryParams } : undefined,
        port: sub.port ?? r.port,
        sourceLabels: r.sourceLabels || sub.sourceLabels ? { ...r.sourceLabels, ...sub.sourceLabels } : undefined,
        sourceNamespace: sub.sourceNamespace ?? r.sourceNamespace,
        gateways: sub.gateways && sub.gateways.length > 0 ? sub.gateways : r.gateways,
      });
    }
    if (!found) return undefined;
  }
  return out;
}
