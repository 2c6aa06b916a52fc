import type { Manifest } from '../validate/manifest';
import type { CaseFile } from './cases';

/** The sidecar image the generated Pods carry; any non-empty image marks a pod as injected. */
export const PROXY_IMAGE = 'docker.io/istio/proxyv2:verify';

/** The name of the Pod standing for a Deployment's replicas. */
export const podNameOf = (deployment: string) => `${deployment}-pod`;

type Labels = Readonly<Record<string, string>> | undefined;

/**
 * Whether the injection webhook gives a pod a sidecar: the pod's `sidecar.istio.io/inject`
 * label (else annotation) decides when set, else its namespace's `istio-injection=enabled` or
 * `istio.io/rev` label. Pods on the host network are never injected.
 * istio/istio pkg/config/analysis/analyzers/util/in_mesh.go (inMesh) and
 * pkg/config/analysis/analyzers/injection/injection.go read pods the same way.
 */
function injected(labels: Labels, annotations: Labels, namespace: Manifest | undefined, hostNetwork: boolean): boolean {
  if (hostNetwork) return false;
  const own = labels?.['sidecar.istio.io/inject'] ?? annotations?.['sidecar.istio.io/inject'];
  if (own !== undefined) return own === 'true';
  const nsLabels = namespace?.metadata.labels ?? {};
  if (nsLabels['istio-injection'] !== undefined) return nsLabels['istio-injection'] === 'enabled';
  return nsLabels['istio.io/rev'] !== undefined;
}

/** A pod spec as the injection webhook leaves it: an `istio-proxy` container added. */
function withSidecar(spec: any): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const containers = [...(spec?.containers ?? [])];
  if (!containers.some((c) => c?.name === 'istio-proxy')) containers.push({ name: 'istio-proxy', image: PROXY_IMAGE });
  return { ...spec, containers };
}

/**
 * What a cluster would run for these files, for Istio's analyzers, which look at Pods and never
 * at Deployments' templates: every bare Pod as the injection webhook admits it, and one Pod per
 * Deployment (the replica count matters to no analyzer), named `<deployment>-pod`, with the
 * template's labels, annotations and spec, in an added file `workload-pods.yaml`. Pods in
 * namespaces labelled for injection get the sidecar container the webhook would add.
 */
export function asAdmitted(files: readonly CaseFile[]): CaseFile[] {
  const objects = files.flatMap((f) => f.objects);
  const namespaces = new Map(objects.filter((m) => m.kind === 'Namespace').map((m) => [m.metadata.name, m]));
  const pod = (name: string, namespace: string, labels: Labels, annotations: Labels, spec: any): Manifest => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const sidecar = injected(labels, annotations, namespaces.get(namespace), spec?.hostNetwork === true);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
      spec: sidecar ? withSidecar(spec) : spec,
    };
  };
  const admitted = files.map((f) => ({
    name: f.name,
    objects: f.objects.map((m) =>
      m.kind === 'Pod' ? pod(m.metadata.name, m.metadata.namespace ?? 'default', m.metadata.labels, m.metadata.annotations, m.spec) : m),
  }));
  const workloads = objects
    .filter((m) => m.kind === 'Deployment')
    .map((m) => {
      const template = m.spec?.template ?? {};
      return pod(podNameOf(m.metadata.name), m.metadata.namespace ?? 'default', template.metadata?.labels, template.metadata?.annotations, template.spec);
    });
  return workloads.length > 0 ? [...admitted, { name: 'workload-pods.yaml', objects: workloads }] : admitted;
}

/**
 * What Istio's demo profile (the platform's IstioOperator) runs in `istio-system`, as the
 * analyzers would find it on the cluster: the ingress and egress gateways' Services (ports as
 * the profile sets them) and a Pod of each, with their ServiceAccounts. npm run check assumes
 * the same (lib/validate/check.ts); istioctl has to be given it.
 */
export function demoProfile(): CaseFile {
  const gateway = (name: string, istio: string, ports: ReadonlyArray<readonly [string, number, number]>): Manifest[] => {
    const labels = { app: name, istio };
    const account = `${name}-service-account`;
    return [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace: 'istio-system' } },
      {
        apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'istio-system', labels },
        spec: { selector: labels, ports: ports.map(([portName, port, targetPort]) => ({ name: portName, port, targetPort, protocol: 'TCP' })) },
      },
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-pod`, namespace: 'istio-system', labels },
        spec: {
          serviceAccountName: account,
          containers: [{ name: 'istio-proxy', image: PROXY_IMAGE, ports: ports.map(([, , containerPort]) => ({ containerPort, protocol: 'TCP' })) }],
        },
      },
    ];
  };
  return {
    name: 'cluster/istio-demo-profile.yaml',
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
      ...gateway('istio-ingressgateway', 'ingressgateway', [['status-port', 15021, 15021], ['http2', 80, 8080], ['https', 443, 8443], ['tcp', 31400, 31400], ['tls', 15443, 15443]]),
      ...gateway('istio-egressgateway', 'egressgateway', [['http2', 80, 8080], ['https', 443, 8443], ['tls', 15443, 15443]]),
    ],
  };
}
