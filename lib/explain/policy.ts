import { selects } from '../istio/resolve';
import { Manifest, specOf } from '../validate/manifest';
import { fields, isFields, items, text } from '../validate/read';
import { policySelector, targetRefs, workloadLabels } from '../validate/views';
import { Cluster, KubeService, Pod, ROOT_NAMESPACE } from './cluster';
import { durationMs } from './faults';

/** The mTLS mode at a pod: its workload's PeerAuthentication, else its namespace's, else the mesh's; PERMISSIVE by default. */
export function peerMode(cluster: Cluster, pod: Pod): string {
  const all = cluster.peerAuthentications;
  const ns = (p: Manifest) => p.metadata.namespace ?? 'default';
  const hasSelector = (p: Manifest) => Object.keys(policySelector(p) ?? {}).length > 0;
  const levels = [
    all.filter((p) => ns(p) === pod.namespace && hasSelector(p) && selects(policySelector(p), pod.labels)),
    all.filter((p) => ns(p) === pod.namespace && !hasSelector(p)),
    all.filter((p) => ns(p) === ROOT_NAMESPACE && !hasSelector(p)),
  ];
  for (const level of levels) {
    const mode = level[0] && text(fields(specOf(level[0]).mtls).mode);
    if (mode && mode !== 'UNSET') return mode;
  }
  return 'PERMISSIVE';
}

/** Where the RequestAuthentications at a pod (by selector, without targetRefs) read tokens from: headers (always `authorization`) and query parameters. */
export function tokenSources(cluster: Cluster, pod: Pod): { headers: string[]; params: string[] } {
  return tokensOf(cluster.requestAuthentications.filter((ra) => {
    const ns = ra.metadata.namespace ?? 'default';
    return targetRefs(ra).length === 0 && (ns === pod.namespace || ns === ROOT_NAMESPACE) && selects(policySelector(ra), pod.labels);
  }));
}

/** Where these RequestAuthentications read tokens from: headers (always `authorization`) and query parameters. */
export function tokensOf(requestAuthentications: readonly Manifest[]): { headers: string[]; params: string[] } {
  const headers = new Set(['authorization']);
  const params = new Set<string>();
  for (const ra of requestAuthentications) {
    for (const rule of items(specOf(ra).jwtRules).map(fields)) {
      for (const h of items(rule.fromHeaders)) headers.add(String(fields(h).name).toLowerCase());
      for (const p of items(rule.fromParams)) params.add(String(p));
    }
  }
  return { headers: [...headers], params: [...params] };
}

const requestsText = (n: unknown) => `${String(n)} request${n === 1 ? '' : 's'}`;

/** The EnvoyFilters of a pod's own sidecar: its namespace's and the root namespace's that select it. */
function podFilters(cluster: Cluster, pod: Pod): Manifest[] {
  return cluster.envoyFilters.filter((f) => {
    const ns = f.metadata.namespace ?? 'default';
    return (ns === pod.namespace || ns === ROOT_NAMESPACE) && selects(workloadLabels(f), pod.labels);
  });
}

/** An Envoy FractionalPercent as a percentage (type/v3/percent.proto: denominator HUNDRED unless set). */
function fractionalPercent(value: unknown): number {
  const f = fields(value);
  const numerator = typeof f.numerator === 'number' ? f.numerator : 0;
  const denominator = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[text(f.denominator) ?? 'HUNDRED'] ?? 100;
  return (numerator * 100) / denominator;
}

/** Envoy's fault filter that an EnvoyFilter adds to a pod's own sidecar for its inbound requests. */
export interface SidecarFault {
  readonly filter: string;
  readonly delayMs?: number;
  readonly delayText?: string;
  readonly delayPercent: number;
  readonly abortStatus?: number;
  readonly abortPercent: number;
}

/**
 * The fault an EnvoyFilter inserts into the HTTP filters of a pod's inbound sidecar listener
 * (context SIDECAR_INBOUND, typed_config envoy.extensions.filters.http.fault.v3.HTTPFault):
 * a fixed delay and an HTTP abort, each with its percentage (Envoy's fault_filter.cc draws each
 * on its own, the delay first). meshlab writes one where a tutorial's image cannot wait or fail.
 */
export function sidecarFaultOf(cluster: Cluster, pod: Pod): SidecarFault | undefined {
  for (const f of podFilters(cluster, pod)) {
    for (const patch of items(specOf(f).configPatches).map(fields)) {
      if (text(fields(patch.match).context) !== 'SIDECAR_INBOUND') continue;
      const config = fields(fields(fields(patch.patch).value).typed_config);
      if (!String(config['@type'] ?? '').endsWith('envoy.extensions.filters.http.fault.v3.HTTPFault')) continue;
      const delay = fields(config.delay);
      const abort = fields(config.abort);
      const delayText = text(delay.fixed_delay);
      return {
        filter: f.metadata.name,
        ...(delayText !== undefined && { delayText, delayMs: durationMs(delayText) }),
        delayPercent: delayText !== undefined ? fractionalPercent(delay.percentage) : 0,
        ...(typeof abort.http_status === 'number' && { abortStatus: abort.http_status }),
        abortPercent: typeof abort.http_status === 'number' ? fractionalPercent(abort.percentage) : 0,
      };
    }
  }
  return undefined;
}

/** EnvoyFilters on the pod: a local rate limit is described, a fault is the walk's (sidecarFaultOf), others named. */
export function filterNotes(cluster: Cluster, service: KubeService, pod: Pod): string[] {
  const notes: string[] = [];
  const fault = sidecarFaultOf(cluster, pod);
  for (const f of podFilters(cluster, pod)) {
    if (f.metadata.name === fault?.filter) continue;
    const limit = items(specOf(f).configPatches).map((p) => fields(fields(fields(p).patch).value))
      .find((v) => v.name === 'envoy.filters.http.local_ratelimit');
    const config = fields(limit?.typed_config);
    const written = fields(config.value).token_bucket ?? config.token_bucket;
    const bucket = isFields(written) ? written : undefined;
    notes.push(bucket
      ? `local rate limit at ${service.name} ${pod.version} (EnvoyFilter ${f.metadata.name}): ${requestsText(bucket.max_tokens)} at once, ${String(bucket.tokens_per_fill ?? 1)} more every ${String(bucket.fill_interval)}; beyond that 429 (depends on the request rate, which the preview does not model)`
      : `EnvoyFilter ${f.metadata.name} applies at ${service.name} ${pod.version}: not evaluated`);
  }
  return notes;
}

/**
 * Whether a Service port carries TCP rather than HTTP, by its `appProtocol` or its name's
 * prefix (`tcp`, `tls`, `https`, `mongo`, `mysql`, `redis`); an unnamed port is sniffed, and
 * the preview's requests are HTTP (istio/istio pkg/config/protocol/instance.go Parse).
 */
export function isTcpPort(port: { readonly name?: string; readonly appProtocol?: string } | undefined): boolean {
  const protocol = (port?.appProtocol ?? port?.name?.split('-')[0] ?? '').toLowerCase();
  return ['tcp', 'tls', 'https', 'mongo', 'mysql', 'redis'].includes(protocol);
}
