import { Manifest, specOf } from '../validate/manifest';
import { Fields, fields, items, labels as labelMap, num, text } from '../validate/read';
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

/**
 * Whether istio-cni's node agent enrolls a pod in ambient mode, which it marks with the
 * annotation `ambient.istio.io/redirection: enabled` (the annotation Istio's analyzers read for
 * "in the mesh, ambient": pkg/config/analysis/analyzers/util/in_mesh.go, PodInAmbientMode).
 * istio/istio cni/pkg/util/enablement_selector.go (Matches): never a pod on the host network or
 * with a sidecar; else the default enablement selectors of manifests/charts/istio-cni/values.yaml:
 * the pod labelled `istio.io/dataplane-mode: ambient`, or a pod not labelled `none` in a namespace
 * labelled `ambient`.
 */
export function enrolledInAmbient(labels: Labels, namespace: Manifest | undefined, hostNetwork: boolean, sidecar: boolean): boolean {
  if (hostNetwork || sidecar) return false;
  const own = labels?.[DATAPLANE_MODE];
  return own === 'ambient' || (own !== 'none' && namespace?.metadata.labels?.[DATAPLANE_MODE] === 'ambient');
}

const DATAPLANE_MODE = 'istio.io/dataplane-mode';
/** istio/istio pkg/config/constants/constants.go: AmbientRedirectionEnabled; istio/api annotation AmbientRedirection. */
export const AMBIENT_REDIRECTION = { 'ambient.istio.io/redirection': 'enabled' } as const;

/** A pod spec as the injection webhook leaves it: an `istio-proxy` container added. */
function withSidecar(spec: unknown): Fields {
  const containers = [...items(fields(spec).containers)];
  if (!containers.some((c) => fields(c).name === 'istio-proxy')) containers.push({ name: 'istio-proxy', image: PROXY_IMAGE });
  return { ...fields(spec), containers };
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
  const pod = (name: string, namespace: string, labels: Labels, annotations: Labels, spec: unknown): Manifest => {
    const ns = namespaces.get(namespace);
    const hostNetwork = fields(spec).hostNetwork === true;
    const sidecar = injected(labels, annotations, ns, hostNetwork);
    const ambient = enrolledInAmbient(labels, ns, hostNetwork, sidecar);
    const podAnnotations = ambient ? { ...annotations, ...AMBIENT_REDIRECTION } : annotations;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, ...(labels ? { labels } : {}), ...(podAnnotations ? { annotations: podAnnotations } : {}) },
      spec: sidecar ? withSidecar(spec) : spec,
    };
  };
  const admitted = files.map((f) => ({
    name: f.name,
    objects: f.objects.map((m) =>
      m.kind === 'Pod' ? pod(m.metadata.name, m.metadata.namespace ?? 'default', m.metadata.labels, m.metadata.annotations, m.spec) : m),
  }));
  const deployed = istioGatewayDeployments(objects);
  const deployments = [...objects, ...deployed].filter((m) => m.kind === 'Deployment');
  const workloads = deployments.map((m) => {
    const template = fields(specOf(m).template);
    const metadata = fields(template.metadata);
    return pod(podNameOf(m.metadata.name), m.metadata.namespace ?? 'default', labelMap(metadata.labels), labelMap(metadata.annotations), template.spec);
  });
  return [
    ...admitted,
    ...(deployed.length > 0 ? [{ name: 'cluster/istio-deployed-gateways.yaml', objects: deployed }] : []),
    ...(workloads.length > 0 ? [{ name: 'workload-pods.yaml', objects: workloads }] : []),
  ];
}

const GATEWAY_NAME = 'gateway.networking.k8s.io/gateway-name';
const GATEWAY_CLASS_NAME = 'gateway.networking.k8s.io/gateway-class-name';

/**
 * The ServiceAccount, Service and Deployment istiod's gateway deployment controller creates for
 * each Gateway API Gateway of the classes it manages, `istio` (an ingress gateway) and
 * `istio-waypoint` (a waypoint), as a cluster with Istio would hold them for the analyzers
 * (k8sgateway.SelectorAnalyzer finds gateway pods by their gateway-name label; the authorization
 * and service analyzers read their labels and ports).
 * istio/istio pilot/pkg/config/kube/gatewaycommon/gateway_utils.go (GetDefaultName: `<name>-<class>`,
 * the bare name for waypoints, whose class sets disableNameSuffix in classinfo.go),
 * deploymentcontroller.go (extractServicePorts: `status-port` 15021, then one port per listener
 * port, named after the listener, appProtocol its protocol lowercased), and the templates
 * manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml and waypoint.yaml (the
 * labels below; a waypoint's pod is labelled `istio.io/dataplane-mode: none`, no ingress gateway
 * pod gets a sidecar).
 */
export function istioGatewayDeployments(objects: readonly Manifest[]): Manifest[] {
  const classes: Record<string, { suffix: boolean; controller: string; podLabels: Record<string, string> }> = {
    istio: { suffix: true, controller: 'istio.io-gateway-controller', podLabels: {} },
    'istio-waypoint': { suffix: false, controller: 'istio.io-mesh-controller', podLabels: { [DATAPLANE_MODE]: 'none' } },
  };
  return objects
    .filter((m) => m.kind === 'Gateway' && String(m.apiVersion).startsWith('gateway.networking.k8s.io/') && classes[text(specOf(m).gatewayClassName) ?? ''] !== undefined)
    .flatMap((gw) => {
      const className = text(specOf(gw).gatewayClassName) ?? '';
      const info = classes[className];
      const namespace = gw.metadata.namespace ?? 'default';
      const name = info.suffix ? `${gw.metadata.name}-${className}` : gw.metadata.name;
      // Every object rendered gets the managed label (deploymentcontroller.go, `set managed-by label`);
      // the port name analyzer skips Services that carry it (pkg/config/analysis/analyzers/service/portname.go).
      const own = { ...(gw.metadata.labels ?? {}), [GATEWAY_NAME]: gw.metadata.name, [GATEWAY_CLASS_NAME]: className, 'gateway.istio.io/managed': info.controller };
      const podLabels = {
        'sidecar.istio.io/inject': 'false',
        ...info.podLabels,
        'service.istio.io/canonical-name': name,
        'service.istio.io/canonical-revision': 'latest',
        ...own,
      };
      const ports: Array<{ name: string; port: number; protocol: string; appProtocol: string }> = [
        { name: 'status-port', port: 15021, protocol: 'TCP', appProtocol: 'tcp' },
      ];
      for (const l of items(specOf(gw).listeners).map(fields)) {
        const port = num(l.port);
        if (port === undefined || ports.some((p) => p.port === port)) continue;
        ports.push({ name: String(l.name).replace(/\./g, '-').slice(0, 63), port, protocol: 'TCP', appProtocol: String(l.protocol).toLowerCase() });
      }
      return [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels: own } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: own }, spec: { ports, selector: { [GATEWAY_NAME]: gw.metadata.name } } },
        {
          apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, labels: own },
          spec: {
            selector: { matchLabels: { [GATEWAY_NAME]: gw.metadata.name } },
            template: {
              metadata: { labels: podLabels },
              spec: { serviceAccountName: name, containers: [{ name: 'istio-proxy', image: PROXY_IMAGE, ports: [{ containerPort: 15021, protocol: 'TCP' }] }] },
            },
          },
        },
      ];
    });
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

/**
 * The CustomResourceDefinitions of a Gateway API release's experimental channel, as
 * `kubectl apply --server-side -f .../<version>/experimental-install.yaml` (the platform's
 * install command) leaves them: named as the release names them, with the bundle annotations the
 * release puts on each. Only their metadata: k8sgateway.CRDVersionAnalyzer reads the
 * `gateway.networking.k8s.io/bundle-version` annotation against the minimum versions the Istio
 * build needs (istio/istio pkg/config/analysis/analyzers/k8sgateway/crdversion.go,
 * pkg/config/schema/gatewayapi/minimumversions.go).
 */
export function gatewayApiCrds(version: string): CaseFile {
  // By API group: gateway.networking.k8s.io, and the experimental x-k8s.io group.
  const main = ['backendtlspolicies', 'gatewayclasses', 'gateways', 'grpcroutes', 'httproutes', 'listenersets', 'referencegrants', 'tcproutes', 'tlsroutes', 'udproutes'];
  const x = ['xbackendtrafficpolicies', 'xmeshes'];
  const crd = (name: string): Manifest => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name, annotations: { 'gateway.networking.k8s.io/bundle-version': version, 'gateway.networking.k8s.io/channel': 'experimental' } },
  });
  return {
    name: 'cluster/gateway-api-crds.yaml',
    objects: [...main.map((p) => crd(`${p}.gateway.networking.k8s.io`)), ...x.map((p) => crd(`${p}.gateway.networking.x-k8s.io`))],
  };
}
