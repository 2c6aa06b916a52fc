import type { Manifest } from './manifest';

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
  { kind: 'VirtualService', path: 'fault.delay.percent', use: 'fault.delay.percentage.value' },
  { kind: 'VirtualService', path: 'fault.abort.percent', use: 'fault.abort.percentage.value' },
];

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
