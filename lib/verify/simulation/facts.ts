import type { FlavourName } from '../../mesh/flavour';
import { SimResult, goDurationMs, parseCluster } from './compare';

/** What of a route, or of the clusters it sends to, a fact reads in the Envoy configuration. */
export type FactRead =
  | 'weights' | 'timeoutMs' | 'retries' | 'perTryTimeoutMs' | 'delayMs' | 'delayPercent' | 'abortStatus' | 'abortPercent' | 'mirrorPercent'
  | 'lbPolicy' | 'connectTimeoutMs' | 'maxConnections' | 'maxPendingRequests' | 'maxRequests' | 'maxRequestsPerConnection' | 'maxRetries'
  | 'consecutive5xx' | 'intervalMs' | 'baseEjectionTimeMs' | 'maxEjectionPercent';

/**
 * A number a tutorial sets, as Envoy must receive it: read on one hop of the step's preview (the
 * route the hop's proxy matched, or the clusters it sends to), in every flavour that has the step
 * (or those named).
 */
export interface TutorialFact {
  readonly lab: string;
  readonly step: string;
  /** The hop, as explain names it: `preference -> recommendation`. */
  readonly hop: string;
  readonly read: FactRead;
  /** The value: a number, a load balancer's name, or each version's share of the weight in percent. */
  readonly value: number | string | Readonly<Record<string, number>>;
  /** Where the tutorial sets it. */
  readonly source: string;
  /** @default every flavour with the step */
  readonly flavours?: readonly FlavourName[];
}

const BOOK = 'Istio入门与实战 (mgxian/istio-lab, seed 000)';
const JIMMY = "Jimmy Song's Istio tutorial (rootsongjc/istio-tutorial, seed 002)";
const FLASK = '深入浅出Istio flask demo (istio-learning/istio-demo, seed 003)';
const NEW: readonly FlavourName[] = ['gateway-api', 'ambient'];

/**
 * Every number the tutorials' steps set that the labs write (weights, retries, timeouts, fault
 * percentages, mirror percentage, circuit-breaker and outlier limits, load balancers), with where
 * each comes from. The classic flavour keeps the tutorials' callees; the new flavours show
 * polyglot's timeout and retry on httpbin (sleep -> httpbin) and the tutorial's timeout on
 * preference's route (istio.io's request-timeouts pattern), with the same numbers.
 */
export const TUTORIAL_FACTS: readonly TutorialFact[] = [
  // polyglot: book files istio/route, istio/fault, istio/resilience.
  { lab: 'polyglot', step: 'canary', hop: 'service-node -> service-go', read: 'weights', value: { v1: 70, v2: 30 }, source: `${BOOK}: service-go v1 70 / v2 30` },
  { lab: 'polyglot', step: 'mirror', hop: 'service-node -> service-go', read: 'weights', value: { v1: 100 }, source: `${BOOK}: service-go route v1` },
  { lab: 'polyglot', step: 'mirror', hop: 'service-node -> service-go', read: 'mirrorPercent', value: 100, source: `${BOOK}: mirror to v2 (100%)` },
  { lab: 'polyglot', step: 'fault-abort', hop: 'service-node -> service-go', read: 'abortStatus', value: 500, source: `${BOOK}: service-go HTTP 500 at 50%` },
  { lab: 'polyglot', step: 'fault-abort', hop: 'service-node -> service-go', read: 'abortPercent', value: 50, source: `${BOOK}: service-go HTTP 500 at 50%` },
  { lab: 'polyglot', step: 'fault-delay', hop: 'service-node -> service-go', read: 'delayMs', value: 5000, source: `${BOOK}: service-go 5s at 30%` },
  { lab: 'polyglot', step: 'fault-delay', hop: 'service-node -> service-go', read: 'delayPercent', value: 30, source: `${BOOK}: service-go 5s at 30%` },
  { lab: 'polyglot', step: 'timeout', hop: 'service-python -> service-node', read: 'timeoutMs', value: 500, source: `${BOOK}: service-node 500ms`, flavours: ['classic'] },
  { lab: 'polyglot', step: 'timeout', hop: 'sleep -> httpbin', read: 'timeoutMs', value: 500, source: `${BOOK}: 500ms (on httpbin here)`, flavours: NEW },
  { lab: 'polyglot', step: 'retry', hop: 'service-python -> service-node', read: 'retries', value: 3, source: `${BOOK}: service-node 3 attempts`, flavours: ['classic'] },
  { lab: 'polyglot', step: 'retry', hop: 'service-python -> service-node', read: 'perTryTimeoutMs', value: 2000, source: `${BOOK}: perTryTimeout 2s`, flavours: ['classic'] },
  { lab: 'polyglot', step: 'retry', hop: 'sleep -> httpbin', read: 'retries', value: 3, source: `${BOOK}: 3 attempts (httpbin the same)`, flavours: NEW },
  { lab: 'polyglot', step: 'retry', hop: 'sleep -> httpbin', read: 'perTryTimeoutMs', value: 2000, source: `${BOOK}: perTryTimeout 2s (httpbin the same)`, flavours: NEW },
  { lab: 'polyglot', step: 'load-balancer', hop: 'service-node -> service-go', read: 'lbPolicy', value: 'ROUND_ROBIN', source: `${BOOK}: service-go ROUND_ROBIN` },
  ...([
    ['maxConnections', 10, 'tcp maxConnections 10'], ['connectTimeoutMs', 30, 'connectTimeout 30ms'], ['maxRequests', 10, 'http http2MaxRequests 10'],
    ['maxPendingRequests', 5, 'http1MaxPendingRequests 5'], ['maxRequestsPerConnection', 2, 'maxRequestsPerConnection 2'], ['maxRetries', 3, 'maxRetries 3'],
  ] as const).map(([read, value, what]): TutorialFact => ({ lab: 'polyglot', step: 'connection-pool', hop: 'service-node -> service-go', read, value, source: `${BOOK}: connection pool, ${what}` })),
  ...([
    ['maxConnections', 10, 'tcp maxConnections 10'], ['maxRequests', 10, 'http http2MaxRequests 10'], ['maxPendingRequests', 10, 'http1MaxPendingRequests 10'],
    ['consecutive5xx', 3, '3 consecutive errors'], ['intervalMs', 3000, 'interval 3s'], ['baseEjectionTimeMs', 180000, 'baseEjectionTime 3m'], ['maxEjectionPercent', 100, 'maxEjectionPercent 100'],
  ] as const).map(([read, value, what]): TutorialFact => ({ lab: 'polyglot', step: 'circuit-breaker', hop: 'service-node -> service-go', read, value, source: `${BOOK}: circuit breaker, ${what}` })),
  // tutorial: recommendation's steps.
  { lab: 'tutorial', step: 'canary', hop: 'preference -> recommendation', read: 'weights', value: { v1: 90, v2: 10 }, source: `${JIMMY}: v1 90 / v2 10` },
  { lab: 'tutorial', step: 'mirror', hop: 'preference -> recommendation', read: 'weights', value: { v1: 100 }, source: `${JIMMY}: route 100% to v1` },
  { lab: 'tutorial', step: 'mirror', hop: 'preference -> recommendation', read: 'mirrorPercent', value: 100, source: `${JIMMY}: mirror to v2` },
  { lab: 'tutorial', step: 'fault-abort', hop: 'preference -> recommendation', read: 'abortStatus', value: 503, source: `${JIMMY}: HTTP 503 at 50%` },
  { lab: 'tutorial', step: 'fault-abort', hop: 'preference -> recommendation', read: 'abortPercent', value: 50, source: `${JIMMY}: HTTP 503 at 50%` },
  { lab: 'tutorial', step: 'fault-delay', hop: 'preference -> recommendation', read: 'delayMs', value: 7000, source: `${JIMMY}: 7s at 50%` },
  { lab: 'tutorial', step: 'fault-delay', hop: 'preference -> recommendation', read: 'delayPercent', value: 50, source: `${JIMMY}: 7s at 50%` },
  { lab: 'tutorial', step: 'timeout', hop: 'preference -> recommendation', read: 'timeoutMs', value: 1000, source: `${JIMMY}: timeout 1s`, flavours: ['classic'] },
  { lab: 'tutorial', step: 'timeout', hop: 'customer -> preference', read: 'timeoutMs', value: 1000, source: `${JIMMY}: timeout 1s (on preference's route here)`, flavours: NEW },
  { lab: 'tutorial', step: 'timeout', hop: 'preference -> recommendation', read: 'delayMs', value: 3000, source: `${JIMMY}: v2 sleeps 3 s (a delay on half the requests here)`, flavours: NEW },
  { lab: 'tutorial', step: 'retry', hop: 'preference -> recommendation', read: 'retries', value: 3, source: `${JIMMY}: retries 3 attempts` },
  { lab: 'tutorial', step: 'retry', hop: 'preference -> recommendation', read: 'perTryTimeoutMs', value: 2000, source: `${JIMMY}: perTryTimeout 2s` },
  { lab: 'tutorial', step: 'load-balancer', hop: 'preference -> recommendation', read: 'lbPolicy', value: 'RANDOM', source: `${JIMMY}: RANDOM` },
  ...([
    ['maxConnections', 1, 'tcp maxConnections 1'], ['maxPendingRequests', 1, 'http1MaxPendingRequests 1'], ['maxRequestsPerConnection', 1, 'maxRequestsPerConnection 1'],
    ['consecutive5xx', 1, '1 consecutive error'], ['intervalMs', 1000, 'interval 1s'], ['baseEjectionTimeMs', 120000, 'baseEjectionTime 2m'], ['maxEjectionPercent', 100, 'maxEjectionPercent 100'],
  ] as const).map(([read, value, what]): TutorialFact => ({ lab: 'tutorial', step: 'circuit-breaker', hop: 'preference -> recommendation', read, value, source: `${JIMMY}: circuit breaker, ${what}` })),
  ...([
    ['consecutive5xx', 1, '1 consecutive error'], ['intervalMs', 5000, 'interval 5s'], ['baseEjectionTimeMs', 15000, 'baseEjectionTime 15s'], ['maxEjectionPercent', 100, 'maxEjectionPercent 100'],
  ] as const).map(([read, value, what]): TutorialFact => ({ lab: 'tutorial', step: 'outlier-detection', hop: 'preference -> recommendation', read, value, source: `${JIMMY}: pool ejection, ${what}` })),
  // flask: the VirtualService routes everything to v2.
  { lab: 'flask', step: 'route', hop: 'sleep -> flaskapp', read: 'weights', value: { v2: 100 }, source: `${FLASK}: everything to v2` },
];

/** The version a cluster sends to: its subset, or the per-version Service's (`service-go-v1`). */
function versionOf(cluster: string): string {
  const c = parseCluster(cluster);
  if (!c) return cluster;
  if (c.subset) return c.subset;
  return /-(v\d+)\./.exec(c.host)?.[1] ?? c.host;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** A fact's value in one simulated route, as Envoy has it; undefined where the route does not set it. */
export function readFact(read: FactRead, r: SimResult): number | string | Record<string, number> | undefined {
  const settings = Object.values(r.clusterSettings ?? {});
  const cluster = <K extends keyof NonNullable<SimResult['clusterSettings']>[string]>(key: K) => {
    const values = [...new Set(settings.map((s) => s[key]))];
    return values.length === 1 ? values[0] : undefined;
  };
  switch (read) {
    case 'weights': {
      const total = (r.clusters ?? []).reduce((n, c) => n + c.weight, 0);
      return Object.fromEntries((r.clusters ?? []).map((c) => [versionOf(c.cluster), round((c.weight * 100) / (total || 1))]));
    }
    case 'timeoutMs': return goDurationMs(r.timeout);
    case 'retries': return r.retry?.numRetries;
    case 'perTryTimeoutMs': return r.retry?.perTryTimeout === undefined ? undefined : goDurationMs(r.retry.perTryTimeout);
    case 'delayMs': return r.fault?.delayMs;
    case 'delayPercent': return r.fault?.delayPercent;
    case 'abortStatus': return r.fault?.abortStatus;
    case 'abortPercent': return r.fault?.abortPercent;
    case 'mirrorPercent': return r.mirrors?.[0]?.percent;
    default: return cluster(read);
  }
}

/** Whether two fact values are the same (weights by version, in any order). */
export function sameValue(a: TutorialFact['value'] | undefined, b: TutorialFact['value'] | undefined): boolean {
  return JSON.stringify(typeof a === 'object' ? Object.entries(a).sort() : a) === JSON.stringify(typeof b === 'object' ? Object.entries(b).sort() : b);
}
