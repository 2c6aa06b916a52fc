/**
 * Messages of istioctl that meshlab's output gets by design, each with why. Passed to
 * `istioctl analyze` as `--suppress CODE=RESOURCE`. RESOURCE is matched (`*` any run of
 * characters) against the message's origin, `Kind namespace/name`: istioctl's help shows
 * `Kind name.namespace`, but istio/istio pkg/config/analysis/local/istiod_analyze.go
 * (filterMessages) globs the origin's FriendlyName, which is `Kind namespace/name`
 * (pkg/config/analysis/legacy/source/kube/origin.go). A suppression with a `message` is
 * narrower than istioctl's flag can say: it is applied here, to messages that start with it.
 * `istioctl validate` has no such flag, so its warning with the same text on the same objects
 * is dropped here. docs/verify.md's verify:istio section lists every one with the same reason; a
 * test keeps the two in step.
 */
export interface Suppression {
  readonly code: string;
  readonly resource: string;
  readonly reason: string;
  /** Only messages starting with this text (applied by verify:istio, not by istioctl). */
  readonly message?: string;
  /** The start of `istioctl validate`'s warning for the same thing, if it gives one. */
  readonly validateWarning?: string;
}

export const SUPPRESSIONS: readonly Suppression[] = [
  {
    code: 'IST0133',
    resource: 'EnvoyFilter */*-local-ratelimit',
    reason:
      "Istio warns about every EnvoyFilter; the rate-limit step needs one, since Envoy's local rate limit has no other Istio API for sidecars",
    validateWarning: 'EnvoyFilter exposes internal implementation details',
  },
  ...['delay', 'abort'].map((fault) => ({
    code: 'IST0133',
    resource: `EnvoyFilter */*-${fault}`,
    reason:
      `Istio warns about every EnvoyFilter; the timeout and retry steps put a ${fault} in the called service's own sidecar, after the caller's route timeout and retries start, which a VirtualService fault (applied in the caller's sidecar, before its router) cannot do`,
    validateWarning: 'EnvoyFilter exposes internal implementation details',
  })),
  {
    code: 'IST0101',
    resource: 'Gateway */*',
    message: 'Referenced credentialName not found',
    reason:
      "the ingress-tls step serves HTTPS with the learner's own certificate, a Secret they create in istio-system under the step's credentialName; a private key does not belong in generated files",
  },
];

/** What istioctl's `--suppress` can say; the others are applied by `unsuppressedMessages`. */
export const istioctlSuppressions = (suppressions: readonly Suppression[] = SUPPRESSIONS) => suppressions.filter((s) => s.message === undefined);

/** The messages left once the suppressions with a `message` are applied. */
export function unsuppressedMessages<M extends { readonly code: string; readonly object: string; readonly message: string }>(
  messages: readonly M[],
  suppressions: readonly Suppression[] = SUPPRESSIONS,
): M[] {
  return messages.filter((m) => !suppressions.some((s) =>
    s.message !== undefined && s.code === m.code && m.message.startsWith(s.message) && suppressedObject(s.resource, m.object)));
}

/** Whether an origin, `Kind namespace/name`, is a suppression's RESOURCE (`*` any run of characters). */
export function suppressedObject(resource: string, object: string): boolean {
  const pattern = new RegExp(`^${resource.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
  return pattern.test(object);
}

/** `istioctl validate`'s warnings (`Kind/namespace/name: text`) left once the suppressions are applied. */
export function unsuppressedValidateWarnings(warnings: readonly string[], suppressions: readonly Suppression[] = SUPPRESSIONS): string[] {
  return warnings.filter((w) => {
    const m = /^([^/]+)\/([^/]*)\/([^:]+): (.*)$/.exec(w);
    if (!m) return true;
    const object = m[2] ? `${m[1]} ${m[2]}/${m[3]}` : `${m[1]} ${m[3]}`;
    return !suppressions.some((s) => s.validateWarning && m[4].startsWith(s.validateWarning) && suppressedObject(s.resource, object));
  });
}
