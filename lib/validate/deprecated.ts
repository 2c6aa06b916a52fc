import { Manifest, specOf } from './manifest';
import { fields, items } from './read';

/**
 * Fields Istio still parses but ignores, or has replaced: they apply without an error and
 * change nothing, the silent failure the old tutorials lead into. Each `path` is matched
 * against the end of a field's path (array indexes left out).
 */
const DEPRECATED: ReadonlyArray<{ readonly kind: string; readonly path: string; readonly use: string }> = [
  { kind: 'DestinationRule', path: 'outlierDetection.consecutiveErrors', use: 'consecutive5xxErrors (Istio 1.17 ignores consecutiveErrors)' },
  { kind: 'DestinationRule', path: 'consistentHash.minimumRingSize', use: 'consistentHash.ringHash.minimumRingSize' },
  { kind: 'VirtualService', path: 'http.mirrorPercent', use: 'mirrorPercentage.value' },
  { kind: 'VirtualService', path: 'http.mirror_percent', use: 'mirrorPercentage.value' },
  { kind: 'VirtualService', path: 'corsPolicy.allowOrigin', use: 'corsPolicy.allowOrigins' },
  { kind: 'VirtualService', path: 'fault.abort.percent', use: 'fault.abort.percentage.value' },
  { kind: 'VirtualService', path: 'http.appendHeaders', use: 'headers.request.add' },
  { kind: 'VirtualService', path: 'http.appendRequestHeaders', use: 'headers.request.add' },
  { kind: 'VirtualService', path: 'http.removeRequestHeaders', use: 'headers.request.remove' },
  { kind: 'VirtualService', path: 'http.appendResponseHeaders', use: 'headers.response.add' },
  { kind: 'VirtualService', path: 'http.removeResponseHeaders', use: 'headers.response.remove' },
  { kind: 'VirtualService', path: 'match.sni_hosts', use: 'match.sniHosts' },
];

/**
 * What Istio's deprecation analyzer reports as IST0002 (istio/istio
 * pkg/config/analysis/analyzers/deprecation/deprecation.go): `fault.delay.percent` above 0 on an
 * HTTP route, a Sidecar's `outboundTrafficPolicy.egressProxy` (ignored), and the CRD of a kind
 * Istio removed (rbac.istio.io ClusterRbacConfig, RbacConfig, ServiceRole, ServiceRoleBinding).
 */
export function istioDeprecations(m: Manifest): Array<{ field: string; message: string }> {
  const results: Array<{ field: string; message: string }> = [];
  const spec = specOf(m);
  if (m.kind === 'VirtualService') {
    items(spec.http).forEach((route, i) => {
      const percent = fields(fields(fields(route).fault).delay).percent;
      if (typeof percent === 'number' && percent > 0) {
        results.push({ field: `spec.http[${i}].fault.delay.percent`, message: 'is deprecated: use fault.delay.percentage.value' });
      }
    });
  }
  const egressProxy = fields(spec.outboundTrafficPolicy).egressProxy;
  if (m.kind === 'Sidecar' && egressProxy !== undefined && egressProxy !== null) {
    results.push({ field: 'spec.outboundTrafficPolicy.egressProxy', message: 'is ignored by Istio: route traffic to an egress gateway with a VirtualService instead' });
  }
  const removed = fields(spec.names).kind;
  if (m.kind === 'CustomResourceDefinition' && spec.group === 'rbac.istio.io' && typeof removed === 'string' &&
      ['ClusterRbacConfig', 'RbacConfig', 'ServiceRole', 'ServiceRoleBinding'].includes(removed)) {
    results.push({ field: 'spec.names.kind', message: `custom resource type rbac.istio.io ${removed} was removed in Istio 1.6: use AuthorizationPolicy` });
  }
  return results;
}

/** Values Istio renamed: the old spelling is rejected or ignored depending on the version. */
const RENAMED_VALUES: ReadonlyArray<{ readonly kind: string; readonly path: string; readonly value: string; readonly use: string }> = [
  { kind: 'DestinationRule', path: 'loadBalancer.simple', value: 'LEAST_CONN', use: 'LEAST_REQUEST' },
];

const found = new WeakMap<object, Array<{ field: string; message: string }>>();

/** Every deprecated field or value in a manifest, with what to write instead (remembered per object). */
export function deprecatedFields(m: Manifest): Array<{ field: string; message: string }> {
  let result = found.get(m);
  if (!result) {
    result = scan(m);
    found.set(m, result);
  }
  return result;
}

function scan(m: Manifest): Array<{ field: string; message: string }> {
  const fields = DEPRECATED.filter((d) => d.kind === m.kind);
  const values = RENAMED_VALUES.filter((d) => d.kind === m.kind);
  if (fields.length === 0 && values.length === 0) return [];
  const results: Array<{ field: string; message: string }> = [];
  const walk = (node: unknown, field: string, path: string) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${field}[${i}]`, path));
      return;
    }
    if (node === null || typeof node !== 'object') {
      for (const v of values) {
        if (node === v.value && path.endsWith(v.path)) results.push({ field, message: `${v.value} is deprecated: use ${v.use}` });
      }
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      const childField = field ? `${field}.${key}` : key;
      const childPath = path ? `${path}.${key}` : key;
      for (const d of fields) {
        if (childPath.endsWith(d.path)) results.push({ field: childField, message: `is deprecated and ignored by Istio: use ${d.use}` });
      }
      walk(child, childField, childPath);
    }
  };
  walk(m.spec, 'spec', 'spec');
  return results;
}

/**
 * API groups Istio removed, which the old tutorials still teach: `kubectl apply` fails on a
 * cluster without their CRDs (or, where an old CRD lingers, the object does nothing).
 */
const REMOVED_GROUPS: Readonly<Record<string, (kind: string) => string>> = {
  'config.istio.io': (kind) => ({
    RouteRule: 'removed in Istio 1.0: use a VirtualService (routes) and a DestinationRule (subsets)',
    DestinationPolicy: 'removed in Istio 1.0: use a DestinationRule (trafficPolicy)',
    EgressRule: 'removed in Istio 1.0: use a ServiceEntry (location MESH_EXTERNAL)',
  }[kind] ?? 'removed with Mixer in Istio 1.8: use an AuthorizationPolicy (denier, listchecker), an EnvoyFilter local rate limit (memquota, redisquota) or Telemetry (metric, logentry)'),
  'rbac.istio.io': () => 'removed in Istio 1.6: use an AuthorizationPolicy',
  'authentication.istio.io': () => 'removed in Istio 1.6: use a PeerAuthentication (mTLS) or a RequestAuthentication (JWT)',
};

/** Why an object's kind no longer exists in Istio, and what replaced it; undefined for a current kind. */
export function removedKind(m: { apiVersion?: unknown; kind?: unknown }): string | undefined {
  const apiVersion = String(m.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const why = REMOVED_GROUPS[group];
  return why ? `${apiVersion} ${m.kind} was ${why(String(m.kind))}` : undefined;
}
