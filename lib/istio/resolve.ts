/**
 * How Kubernetes and Istio read a few fields, shared by the checks (lib/validate) and the
 * routing preview (lib/explain) so the two cannot disagree.
 */

type Labels = Readonly<Record<string, string>>;

/**
 * The fully qualified name of a host written in an object in `namespace`, as Istio resolves
 * it: only a name without a dot is short (`reviews` -> `reviews.<ns>.svc.cluster.local`);
 * `reviews.bar` is taken as written, though Kubernetes DNS would resolve it.
 */
export function qualifyHost(host: string, namespace: string): string {
  return host.includes('.') || host.includes('*') ? host : `${host}.${namespace}.svc.cluster.local`;
}

/** Whether `labels` has every pair of `selector` (an empty selector selects everything). */
export function selects(selector: Labels | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Whether Istio injects a sidecar into a pod: its own `sidecar.istio.io/inject` label or
 * annotation decides, else its namespace's `istio-injection` or `istio.io/rev` label.
 * Undefined when the pod does not say and its namespace is not known.
 */
export function sidecarInjected(namespaceLabels: Labels | undefined, podLabels: Labels, podAnnotations: Labels): boolean | undefined {
  const podChoice = podLabels['sidecar.istio.io/inject'] ?? podAnnotations['sidecar.istio.io/inject'];
  if (podChoice === 'false') return false;
  if (podChoice === 'true') return true;
  if (!namespaceLabels) return undefined;
  return namespaceLabels['istio-injection'] === 'enabled' || (namespaceLabels['istio.io/rev'] !== undefined && namespaceLabels['istio-injection'] !== 'disabled');
}
