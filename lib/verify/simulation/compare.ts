import type { RouteDecision } from '../../explain/tally';

/**
 * What Istio's simulation (scripts/istio-simulate) found for one call: the listener, virtual host
 * and route it matched in the configuration istiod generated for the proxy, and what that Envoy
 * route does.
 */
export interface SimResult {
  readonly config: string;
  readonly proxy: string;
  readonly call: string;
  readonly error?: string;
  readonly listener?: string;
  readonly virtualHost?: string;
  /** Envoy's route name: a VirtualService route's `name`, `<ns>.<HTTPRoute>.<rule>` for a converted rule, `default` for a Service's own. */
  readonly route?: string;
  /** Istio's config metadata of the route: `/apis/<group>/<version>/namespaces/<ns>/<kind>/<name>`. */
  readonly origin?: string;
  /** The route's place among the routes of its object in the virtual host, from 1. */
  readonly position: number;
  /** Why the simulation cannot judge this call, if it cannot. */
  readonly unjudged?: string;
  readonly clusters?: ReadonlyArray<{ readonly cluster: string; readonly weight: number }>;
  readonly directResponse?: number;
  readonly redirect?: boolean;
  /** Go's duration text: `1s`, `500ms`, `1m0s`; `0s` or absent for none. */
  readonly timeout?: string;
  readonly retry?: { readonly retryOn: string; readonly numRetries: number; readonly perTryTimeout?: string };
  readonly fault?: { readonly delayMs?: number; readonly delayPercent?: number; readonly abortStatus?: number; readonly abortPercent?: number };
  readonly mirrors?: ReadonlyArray<{ readonly cluster: string; readonly percent: number }>;
  /** What each cluster the route sends to is set to (a DestinationRule's traffic policy). */
  readonly clusterSettings?: Readonly<Record<string, {
    readonly connectTimeoutMs?: number; readonly lbPolicy?: string;
    readonly maxConnections?: number; readonly maxPendingRequests?: number; readonly maxRequests?: number; readonly maxRetries?: number; readonly maxRequestsPerConnection?: number;
    readonly consecutive5xx?: number; readonly intervalMs?: number; readonly baseEjectionTimeMs?: number; readonly maxEjectionPercent?: number;
  }>>;
}

/** An Envoy cluster name read back: `outbound|<port>|<subset>|<host>` (istio/istio pkg/config/model BuildSubsetKey). */
export interface ClusterName {
  readonly port: number;
  readonly subset?: string;
  readonly host: string;
}

/**
 * `outbound|8080|v1|recommendation.ns.svc.cluster.local`, read back, or a waypoint's
 * `inbound-vip|8080|http/v1|...` (its subset is the protocol, then the subset: listener_waypoint.go
 * portToSubset); undefined for another name (PassthroughCluster, BlackHoleCluster).
 */
export function parseCluster(name: string): ClusterName | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || (parts[0] !== 'outbound' && parts[0] !== 'inbound-vip')) return undefined;
  const subset = parts[0] === 'inbound-vip' ? parts[2].split('/').slice(1).join('/') : parts[2];
  return { port: Number(parts[1]), ...(subset !== '' && { subset }), host: parts[3] };
}

/** Milliseconds of a Go duration's text (`1s`, `500ms`, `1m0s`, `1.5s`, `0s`); absent is 0. */
export function goDurationMs(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g;
  let m: RegExpExecArray | null;
  let read = '';
  while ((m = re.exec(text)) !== null) {
    read += m[0];
    ms += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 0.001, us: 0.001, ns: 0.000001 }[m[2] as 'h']!;
  }
  if (read !== text) throw new Error(`not a Go duration: ${text}`);
  return ms;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const share = (weight: number, total: number) => round((weight * 100) / (total || 1));

/**
 * Where explain's decision and the simulation's route differ, one line each (none: they agree).
 * Compared: the route matched (its object and place), each cluster with its share of the
 * weight, the timeout, the retry policy, the fault and the mirrors.
 */
export function compareDecision(d: RouteDecision, r: SimResult): string[] {
  if (r.error) return [`the simulation found no route: ${r.error}`];
  const out: string[] = [];
  if (d.route?.rule) {
    const [ns, name] = d.route.rule.route.replace(/^\S+ /, '').split('/');
    const want = `${ns}.${name}.${d.route.rule.rule - 1}`;
    if (r.route !== want) out.push(`route: explain ${d.route.rule.route} rule ${d.route.rule.rule} (${want}), Envoy ${r.route ?? 'none'}`);
  } else if (d.route) {
    const kind = d.route.kind === 'VirtualService' ? 'virtual-service' : d.route.kind.toLowerCase();
    const same = (r.origin ?? '').endsWith(`/namespaces/${d.route.namespace}/${kind}/${d.route.name}`);
    if (!same || r.position !== d.route.position) {
      out.push(`route: explain ${d.route.kind} ${d.route.namespace}/${d.route.name} route ${d.route.position}, Envoy ${r.origin || r.route || 'none'} route ${r.position}`);
    }
  } else if (r.origin) {
    out.push(`route: explain the Service's default route, Envoy ${r.origin} route ${r.position}`);
  }
  if (d.redirect || r.redirect) {
    if (Boolean(d.redirect) !== Boolean(r.redirect)) out.push(`redirect: explain ${Boolean(d.redirect)}, Envoy ${Boolean(r.redirect)}`);
    return out;
  }
  if (d.directResponse !== undefined || r.directResponse !== undefined) {
    if (d.directResponse !== r.directResponse) out.push(`direct response: explain ${d.directResponse ?? 'none'}, Envoy ${r.directResponse ?? 'none'}`);
    return out;
  }
  out.push(...compareClusters(d, r));
  if (!d.call.tcp) {
    const timeout = goDurationMs(r.timeout);
    if (timeout !== d.timeoutMs) out.push(`timeout: explain ${d.timeoutMs}ms, Envoy ${timeout}ms`);
    out.push(...compareRetry(d, r), ...compareFault(d, r), ...compareMirrors(d, r));
  }
  return out;
}

function compareClusters(d: RouteDecision, r: SimResult): string[] {
  const got = (r.clusters ?? []).map((c) => ({ ...c, parsed: parseCluster(c.cluster) }));
  const totalGot = got.reduce((n, c) => n + c.weight, 0);
  const totalWant = d.destinations.reduce((n, x) => n + x.weight, 0);
  const want = d.destinations.map((x) => `${x.host}|${x.subset ?? ''}${x.port === undefined ? '' : `|${x.port}`} ${share(x.weight, totalWant)}%`).sort();
  const have = got.map((c) => {
    const wanted = d.destinations.find((x) => c.parsed && x.host === c.parsed.host && (x.subset ?? '') === (c.parsed.subset ?? ''));
    const port = wanted?.port === undefined ? '' : `|${c.parsed?.port ?? '?'}`;
    return `${c.parsed ? `${c.parsed.host}|${c.parsed.subset ?? ''}${port}` : c.cluster} ${share(c.weight, totalGot)}%`;
  }).sort();
  return want.join(', ') === have.join(', ') ? [] : [`clusters: explain ${want.join(', ')}; Envoy ${have.join(', ')}`];
}

function compareRetry(d: RouteDecision, r: SimResult): string[] {
  const want = d.retry ? `${d.retry.retries} on ${[...d.retry.retryOn].sort().join(',')}${d.retry.perTryMs ? ` per try ${d.retry.perTryMs}ms` : ''}` : 'none';
  const on = r.retry?.retryOn.split(',').filter(Boolean).sort().join(',');
  const perTry = goDurationMs(r.retry?.perTryTimeout);
  const have = r.retry && r.retry.numRetries > 0 ? `${r.retry.numRetries} on ${on}${perTry ? ` per try ${perTry}ms` : ''}` : 'none';
  return want === have ? [] : [`retries: explain ${want}; Envoy ${have}`];
}

function compareFault(d: RouteDecision, r: SimResult): string[] {
  const text = (f: { delayMs?: number; delayPercent?: number; abortStatus?: number; abortPercent?: number } | undefined) => {
    if (!f) return 'none';
    const parts = [
      f.delayMs ? `delay ${f.delayMs}ms ${round(f.delayPercent ?? 0)}%` : '',
      f.abortStatus ? `abort ${f.abortStatus} ${round(f.abortPercent ?? 0)}%` : '',
    ].filter(Boolean);
    return parts.length > 0 ? parts.join(', ') : 'none';
  };
  const [want, have] = [text(d.fault), text(r.fault)];
  return want === have ? [] : [`fault: explain ${want}; Envoy ${have}`];
}

function compareMirrors(d: RouteDecision, r: SimResult): string[] {
  const want = d.mirrors.filter((m) => m.percent > 0).map((m) => `${m.host}|${m.subset ?? ''} ${round(m.percent)}%`).sort();
  const have = (r.mirrors ?? []).map((m) => {
    const c = parseCluster(m.cluster);
    return `${c ? `${c.host}|${c.subset ?? ''}` : m.cluster} ${round(m.percent)}%`;
  }).sort();
  return want.join(', ') === have.join(', ') ? [] : [`mirrors: explain ${want.join(', ') || 'none'}; Envoy ${have.join(', ') || 'none'}`];
}
