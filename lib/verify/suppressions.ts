/**
 * Messages of `istioctl analyze` that are wrong only because it runs without a cluster, each
 * with why. Passed as `--suppress CODE=RESOURCE` (RESOURCE is `Kind name.namespace`, `*` allowed
 * in the name). The README's verify:istio section lists every one with the same reason; a test
 * keeps the two in step.
 */
export interface Suppression {
  readonly code: string;
  readonly resource: string;
  readonly reason: string;
}

export const SUPPRESSIONS: readonly Suppression[] = [];
