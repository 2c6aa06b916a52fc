import type { Severity } from './manifest';

/**
 * Every kind of finding, by code. IST codes are Istio's own analyzer messages
 * (istio.io/latest/docs/reference/config/analysis/) where one describes the same problem;
 * ML codes are meshlab's, for problems Istio's analyzers do not name. The severity is
 * meshlab's: anything that routes traffic wrongly or fails on apply is an error.
 */
export const CODES = {
  IST0002: { severity: 'error', title: 'a deprecated or ignored Istio field or value, or a kind Istio removed' },
  IST0101: { severity: 'error', title: 'a referenced resource does not exist (host, subset, port, gateway, ServiceAccount, gateway workload)' },
  IST0102: { severity: 'warning', title: 'workloads in a namespace not labelled for sidecar injection' },
  IST0106: { severity: 'error', title: 'schema validation error' },
  IST0109: { severity: 'error', title: 'two VirtualServices route one host on the same gateway or the mesh' },
  IST0112: { severity: 'error', title: 'a destination without a port, to a Service with several' },
  IST0118: { severity: 'warning', title: 'a Service port without an Istio protocol name or appProtocol' },
  IST0122: { severity: 'error', title: "a regular expression Envoy's RE2 rejects (syntax, lookaround, backreference)" },
  IST0127: { severity: 'warning', title: 'a policy selector that matches no workload' },
  IST0130: { severity: 'error', title: 'a route that can never match (after a catch-all, or repeating an earlier match)' },
  IST0132: { severity: 'warning', title: 'a VirtualService host its Gateway does not serve' },
  IST0162: { severity: 'error', title: "a Gateway port the gateway's Service does not expose" },
  ML0001: { severity: 'error', title: 'a Deployment selector that does not match its pod template labels' },
  ML0002: { severity: 'error', title: 'a Service selector that matches no pod' },
  ML0003: { severity: 'error', title: 'a Service targetPort that is not a container port' },
  ML0004: { severity: 'warning', title: 'a DestinationRule subset that selects no pod' },
  ML0005: { severity: 'error', title: 'route weights that do not add up to 100' },
  ML0006: { severity: 'error', title: 'an object defined twice' },
  ML0007: { severity: 'warning', title: 'a namespaced object without metadata.namespace, among objects that name theirs' },
  ML0008: { severity: 'warning', title: 'a meshed pod without the app or version label' },
  ML0009: { severity: 'warning', title: 'a kind meshlab has no schema for (not checked)' },
  ML0010: { severity: 'error', title: 'a file or document that is not a Kubernetes object (YAML syntax, missing kind)' },
  ML0011: { severity: 'error', title: 'a lab model error (meshlab synth only)' },
  ML0012: { severity: 'error', title: 'a route to a subset that selects no pod (503 no healthy upstream)' },
} as const satisfies Record<string, { readonly severity: Severity; readonly title: string }>;

export type Code = keyof typeof CODES;
