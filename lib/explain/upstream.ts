import type { Subset, TrafficPolicy } from '../../imports/istio';
import { Manifest } from '../validate/manifest';
import { destinationRule } from '../validate/views';
import { Cluster, KubeService, Pod } from './cluster';
import { Random, hashString } from './random';
import { HttpRequest, Source, queryOf } from './request';
import { destinationRuleFor } from './visibility';

/** Where a host and subset lead for one caller: the rules that apply and the pods that can answer. */
export interface Upstream {
  readonly dr: Manifest | undefined;
  readonly subset?: Subset;
  readonly pods: readonly Pod[];
  /** The route names a subset no DestinationRule defines. */
  readonly missingSubset: boolean;
}

/**
 * The DestinationRule (as the caller's namespace sees it, visibility.ts destinationRuleFor),
 * the subset and the pods of a Service. A caller without a sidecar applies no rule.
 */
export function upstreamOf(cluster: Cluster, service: KubeService, subsetName: string | undefined, source: Source): Upstream {
  const dr = source.sidecar ? destinationRuleFor(cluster.destinationRules, service.host, source.namespace, source.labels, service.namespace) : undefined;
  const subset = subsetName === undefined ? undefined : (dr && destinationRule(dr).subsets.find((s) => s.name === subsetName));
  if (subsetName !== undefined && !subset) return { dr, pods: [], missingSubset: true };
  return { dr, subset, pods: cluster.podsOf(service, subset?.labels ?? {}), missingSubset: false };
}

/** `loadBalancer`, `connectionPool`, `outlierDetection` in effect for one subset and port. */
export function effectivePolicy(dr: Manifest | undefined, subset: Subset | undefined, port: number | undefined): TrafficPolicy {
  const layers = [dr && destinationRule(dr).trafficPolicy, subset?.trafficPolicy];
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    const atPort = layer.portLevelSettings?.find((p) => p.port?.number === port);
    for (const key of ['loadBalancer', 'connectionPool', 'outlierDetection'] as const) {
      const value = atPort?.[key] ?? layer[key];
      if (value !== undefined) out[key] = value;
    }
  }
  return out as TrafficPolicy;
}

/** `tcp.maxConnections 1, http.http1MaxPendingRequests 1` from a nested object. */
export function flatten(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [`${prefix} ${String(value)}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * A pod of the candidates: uniform (every simple policy spreads evenly in expectation), or by
 * consistent hash on the request's key. Returns the pod and a note for the report.
 */
export function pickPod(pods: readonly Pod[], policy: TrafficPolicy, request: HttpRequest, source: Source, random: Random): { pod: Pod; notes: string[] } {
  const notes: string[] = [];
  const lb = policy.loadBalancer;
  if (lb?.simple) notes.push(`loadBalancer ${lb.simple}: requests spread evenly over the pods in expectation`);
  const hash = lb?.consistentHash;
  if (hash) {
    let key: string | undefined;
    let what: string;
    if (hash.httpHeaderName) {
      what = `header ${hash.httpHeaderName}`;
      key = request.headers.get(hash.httpHeaderName.toLowerCase());
    } else if (hash.useSourceIp) {
      what = 'the source IP';
      key = source.pod;
    } else if (hash.httpQueryParameterName) {
      what = `query parameter ${hash.httpQueryParameterName}`;
      key = queryOf(request.path).get(hash.httpQueryParameterName);
    } else {
      what = `cookie ${hash.httpCookie?.name ?? ''}`;
      const cookie = request.headers.get('cookie') ?? '';
      key = cookie.split(';').map((c) => c.trim().split('=')).find(([k]) => k === hash.httpCookie?.name)?.[1];
    }
    notes.push(key === undefined
      ? `loadBalancer consistentHash on ${what}: the request has none, so any pod`
      : `loadBalancer consistentHash on ${what}: every request with the same value reaches the same pod`);
    if (key !== undefined) return { pod: pods[hashString(key) % pods.length], notes };
  }
  return { pod: pods.length === 1 ? pods[0] : pods[random.index(pods.length)], notes };
}
