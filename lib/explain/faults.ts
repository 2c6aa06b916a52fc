import type { Route } from './route';

/**
 * Faults, timeouts and retries of a route, as Istio renders them and Envoy runs them. Time
 * is only what the manifests decide: injected delays. The apps answer at once, and load is
 * not modelled.
 */

/** Milliseconds of a protobuf duration (`7s`, `0.5s`, `500ms`, `1m`, `1h`); undefined when unreadable. */
export function durationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(text).trim());
  if (!m) return undefined;
  const size = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * size;
}

/** `7s`, `1.5s`, `500ms`: a time for the report. */
export function msText(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))}s` : `${ms}ms`;
}

/** A fault of a route, with the share of requests it applies to. */
export interface RouteFault {
  readonly delayMs?: number;
  readonly delayText?: string;
  readonly delayPercent: number;
  readonly abortStatus?: number;
  /** An abort Envoy injects that the preview does not evaluate (gRPC status). */
  readonly abortOther?: string;
  readonly abortPercent: number;
}

/**
 * A route's fault as Istio renders it for Envoy (istio/istio
 * pilot/pkg/networking/core/route/route.go TranslateFault): the delay's share is its
 * `percentage`, else its deprecated integer `percent`, which defaults to 0; an abort without
 * `percentage` gets none, and Envoy's fault filter reads an unset FractionalPercent as 0
 * (envoyproxy/envoy source/extensions/filters/http/fault/fault_filter.cc: abort_percentage_
 * is the proto's value). So a fault without a percentage injects nothing. An `http2Error`
 * abort is dropped by Istio (only HTTP and gRPC aborts are rendered).
 */
export function faultOf(route: Route): RouteFault | undefined {
  const fault = route.fault as undefined | {
    delay?: { fixedDelay?: string; percentage?: { value?: number }; percent?: number };
    abort?: { httpStatus?: number; grpcStatus?: string; percentage?: { value?: number } };
  };
  if (!fault) return undefined;
  const delay = fault.delay?.fixedDelay !== undefined ? fault.delay : undefined;
  const abort = fault.abort?.httpStatus !== undefined || fault.abort?.grpcStatus !== undefined ? fault.abort : undefined;
  if (!delay && !abort) return undefined;
  return {
    delayMs: delay ? durationMs(delay.fixedDelay) : undefined,
    delayText: delay?.fixedDelay,
    delayPercent: delay ? (delay.percentage ? delay.percentage.value ?? 0 : delay.percent ?? 0) : 0,
    abortStatus: abort?.httpStatus,
    abortOther: abort && abort.httpStatus === undefined ? `gRPC ${abort.grpcStatus}` : undefined,
    abortPercent: abort ? abort.percentage?.value ?? 0 : 0,
  };
}

/** Istio's retry policy when a route sets none (istio/istio pilot/pkg/networking/core/route/retry/retry.go). */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** How the router retries: how many more attempts, on what, with what per-try timeout. */
export interface RetryPolicy {
  readonly retries: number;
  readonly retryOn: readonly string[];
  /** Status codes for `retriable-status-codes`. */
  readonly codes: readonly number[];
  readonly perTryMs?: number;
  /** Whether the route set it (else it is Istio's default). */
  readonly written: boolean;
}

/**
 * The retry policy Istio renders (retry.go ConvertPolicy): none written gives 2 retries on
 * connect-failure, refused-stream, unavailable, cancelled and retriable-status-codes (with no
 * codes); `attempts` of 0 or less turns retries off; numbers in `retryOn` are status codes,
 * and adding one adds retriable-status-codes.
 */
export function retryPolicyOf(route: Route | undefined): RetryPolicy | undefined {
  const r = route?.retries as undefined | { attempts?: number; retryOn?: string; perTryTimeout?: string };
  if (!r) return { retries: 2, retryOn: DEFAULT_RETRY_ON.split(','), codes: [], written: false };
  if ((r.attempts ?? 0) <= 0) return undefined;
  let retryOn = DEFAULT_RETRY_ON.split(',');
  const codes: number[] = [];
  if (r.retryOn) {
    retryOn = [];
    for (const part of r.retryOn.split(',').map((p) => p.trim()).filter(Boolean)) {
      if (/^\d+$/.test(part) && Number(part) >= 100 && Number(part) < 600) codes.push(Number(part));
      else retryOn.push(part);
    }
    if (codes.length > 0 && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
  }
  return { retries: r.attempts!, retryOn, codes, perTryMs: durationMs(r.perTryTimeout), written: true };
}

/**
 * Whether Envoy's router retries an attempt that ended so (Envoy docs, router filter
 * x-envoy-retry-on): `5xx` any 5xx or a per-try timeout, `gateway-error` 502/503/504 and a
 * per-try timeout, `reset` a per-try timeout, `retriable-4xx` 409, `retriable-status-codes`
 * the codes listed. The other conditions (connect-failure, refused-stream, gRPC statuses)
 * do not apply to an HTTP answer.
 */
export function retriable(policy: RetryPolicy, status: number, perTryTimeout: boolean): boolean {
  const on = (c: string) => policy.retryOn.includes(c);
  if (perTryTimeout) return on('5xx') || on('gateway-error') || on('reset');
  if (on('5xx') && status >= 500) return true;
  if (on('gateway-error') && [502, 503, 504].includes(status)) return true;
  if (on('retriable-4xx') && status === 409) return true;
  return on('retriable-status-codes') && policy.codes.includes(status);
}

/** `retries: 2 (Istio's default), on connect-failure,...`: the policy for the report. */
export function describeRetries(policy: RetryPolicy | undefined): string {
  if (!policy) return 'retries: off (attempts 0)';
  const codes = policy.codes.length > 0 ? ` (codes ${policy.codes.join(', ')})` : '';
  return `retries: up to ${policy.retries}${policy.written ? '' : " (Istio's default)"}${policy.perTryMs !== undefined ? `, ${msText(policy.perTryMs)} per try` : ''}, on ${policy.retryOn.join(',')}${codes}`;
}

/** A copy a route sends of its requests: the host as written, its subset, and the share copied. */
export interface RouteMirror {
  readonly host: string;
  readonly subset?: string;
  readonly percent: number;
}

/**
 * A route's mirrors as Istio renders them: `mirror` with `mirrorPercentage` (or the older
 * `mirrorPercent`), and each of `mirrors` with its `percentage`; unset is 100%, 0 mirrors nothing
 * (istio/istio pilot/pkg/networking/core/route/route.go MirrorPercent, MirrorPercentByPolicy).
 */
export function mirrorsOf(route: Route): RouteMirror[] {
  const r = route as Route & { mirrorPercent?: number };
  return [
    ...(r.mirror ? [{ host: r.mirror.host ?? '', subset: r.mirror.subset, percent: r.mirrorPercentage ? r.mirrorPercentage.value ?? 0 : r.mirrorPercent ?? 100 }] : []),
    ...(r.mirrors ?? []).filter((m) => m.destination).map((m) => ({ host: m.destination!.host ?? '', subset: m.destination!.subset, percent: m.percentage ? m.percentage.value ?? 0 : 100 })),
  ];
}
