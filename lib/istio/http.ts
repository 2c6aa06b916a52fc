// What Istio accepts for HTTP header names and retry conditions, so a value it would refuse
// is refused where it is given.

/**
 * A header name: one or more RFC 7230 tchar, as Istio's validation requires
 * (pkg/config/validation/validation.go validHeaderNameRegex).
 */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;

/**
 * The retry conditions Istio accepts in `retries.retryOn`
 * (pkg/config/validation/validation.go supportedRetryOnPolicies): Envoy's router
 * `x-envoy-retry-on` and `x-envoy-retry-grpc-on` conditions.
 */
export const RETRY_CONDITIONS: readonly string[] = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];

/**
 * Status codes Go's net/http knows (http.StatusText): Istio takes such a number in retryOn
 * as a retriable status code (pilot/pkg/networking/core/route/retry/retry.go parseRetryOn).
 */
const STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** The conditions of a retryOn text that Istio would refuse (empty: all known). */
export function unknownRetryConditions(retryOn: string): string[] {
  return retryOn.split(',').filter((c) => !RETRY_CONDITIONS.includes(c) && !(/^\d{3}$/.test(c) && STATUS_CODES.has(Number(c))));
}
