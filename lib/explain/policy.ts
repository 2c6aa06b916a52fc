import { selects } from '../istio/resolve';
import { Manifest, specOf } from '../validate/manifest';
import { fields, isFields, items, text } from '../validate/read';
import { policySelector, targetRefs, workloadLabels } from '../validate/views';
import { Cluster, KubeService, Pod, ROOT_NAMESPACE } from './cluster';

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

/** EnvoyFilters on the pod: a local rate limit is described, others named. */
export function filterNotes(cluster: Cluster, service: KubeService, pod: Pod): string[] {
  const notes: string[] = [];
  for (const f of cluster.envoyFilters) {
    const ns = f.metadata.namespace ?? 'default';
    if ((ns !== pod.namespace && ns !== ROOT_NAMESPACE) || !selects(workloadLabels(f), pod.labels)) continue;
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
