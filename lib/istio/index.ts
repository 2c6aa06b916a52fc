/**
 * One reading of a set of manifests, the way istiod and Istio's analyzers read them: hosts,
 * namespaces, `exportTo`, selectors, gateways and the services a host names. `npm run check`
 * (lib/validate), the routing preview (lib/explain: its Cluster holds one) and the traffic
 * pictures (lib/output/diagram.ts) resolve every reference through it, so that no two readers
 * of one file can disagree (test/one-reading.test.ts feeds them the same files).
 *
 * Build it once per set of manifests (`new MeshIndex(objects)`): every map is filled in the
 * constructor, and every lookup after that is a map read or a scan of one namespace.
 *
 * What it resolves, and the Istio source it follows (istio/istio, tag 1.30.3):
 * - a host written in an object: {@link qualifyHost} (pkg/config/analysis/analyzers/util/hosts.go
 *   ConvertHostToFQDN: only a name without a dot and not starting with `*` is short);
 * - which Service or ServiceEntry a host names, seen from a namespace: {@link MeshIndex.findHost}
 *   (util/service_lookup.go GetDestinationHost), and every one a host pattern covers:
 *   {@link MeshIndex.servicesFor};
 * - `exportTo` of ServiceEntries, VirtualServices, DestinationRules and of Services (annotation
 *   `networking.istio.io/exportTo`): {@link exportToOf}, {@link isExportedTo};
 * - the pods the cluster runs: Pods, and the pods of Deployments and other controllers (one
 *   per template, as injected: see {@link PodView}); selectors over them: {@link MeshIndex.podsSelected};
 * - a VirtualService's `gateways` entries (`name`, `ns/name`, `./name`, `mesh`): {@link resolveGatewayRef},
 *   {@link MeshIndex.gatewayRefs}; a Gateway's server hosts (`host`, `ns/host`, `./host`, `*\/host`):
 *   {@link serverHostsFor}, {@link gatewayHostsFor};
 * - the Service a name an application dials reaches by cluster DNS: {@link MeshIndex.serviceDialed};
 * - the ports a Gateway's pods are reachable on, through the Services that select them:
 *   {@link MeshIndex.gatewayServicePorts};
 * - the Gateway API (gateway.networking.k8s.io): Gateways, HTTPRoutes, TCPRoutes, their parentRefs and
 *   backendRefs, waypoints, and the VirtualServices istiod converts the routes into:
 *   {@link MeshIndex.gatewayApi} (lib/istio/gateway-api.ts). `gateways` holds Istio's Gateways only.
 */
import { CLUSTER_SCOPED, Manifest, specOf } from '../validate/manifest';
import { GatewayApiReading, isGatewayApi } from './gateway-api';
import { Fields, Labels, fields, items, labels, text, texts } from '../validate/read';
import { qualifyHost, selects, sidecarInjected } from './resolve';

export { qualifyHost, selects } from './resolve';

export type { Labels };

/** Istio's root namespace (the default mesh config's `rootNamespace`), where the gateways run. */
export const ROOT_NAMESPACE = 'istio-system';

/** Where kubectl puts an object whose manifest names no namespace (its usual current namespace). */
export const DEFAULT_NAMESPACE = 'default';

/** The `gateways` entry that means the sidecars of the mesh. */
export const MESH_GATEWAY = 'mesh';

/**
 * Namespaces `istioctl analyze` drops from its input before analysing (kube-system and the like):
 * istio/istio pkg/kube/inject/initializer.go IgnoredNamespaces, applied in
 * pkg/config/analysis/local/istiod_analyze.go.
 */
export const IGNORED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** The namespace an object lands in ('' for cluster-scoped kinds). */
export function namespaceOf(m: Manifest): string {
  return CLUSTER_SCOPED.has(m.kind) ? '' : m.metadata?.namespace ?? DEFAULT_NAMESPACE;
}

/**
 * The `exportTo` list of an object as written: `spec.exportTo` of ServiceEntries,
 * VirtualServices and DestinationRules, the comma-separated `networking.istio.io/exportTo`
 * annotation of a Service. Empty means exported to every namespace.
 */
export function exportToOf(m: Manifest): readonly string[] {
  if (m.kind === 'Service') {
    const annotation = m.metadata?.annotations?.['networking.istio.io/exportTo'];
    return annotation ? annotation.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
  }
  return texts(specOf(m).exportTo);
}

/**
 * Whether an object of `ownNamespace` with this `exportTo` is visible in `namespace`: absent,
 * empty or `*` everywhere (the mesh default), `~` nowhere, `.` its own namespace, anything else
 * that namespace (istio/istio pilot/pkg/model/push_context.go initVirtualServices,
 * setDestinationRules; pkg/config/visibility: `~` is None).
 */
export function isExportedTo(exportTo: readonly string[] | undefined, ownNamespace: string, namespace: string): boolean {
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return true;
  if (exportTo.includes('~')) return false;
  return exportTo.some((e) => (e === '.' ? ownNamespace : e) === namespace);
}

/**
 * Whether host pattern `a` and `b` overlap, either side possibly a wildcard (`*.example.com`,
 * `*`): istio/istio pkg/config/host/name.go Name.Matches.
 */
export function hostMatches(a: string, b: string): boolean {
  const aWild = a.startsWith('*');
  const bWild = b.startsWith('*');
  if (aWild && bWild) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aWild) return b.endsWith(a.slice(1));
  if (bWild) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * A Service or ServiceEntry host resolved to a name Istio compares: `name.ns.svc.cluster.local`
 * for a Kubernetes Service host, else as written. (util/hosts.go GetResourceNameFromHost
 * is what pairs a destination with a DestinationRule subset: see {@link MeshIndex.subsetsOf}.)
 */
function resourceKey(host: string, namespace: string): string {
  const fqdn = /^(.+)\.(.+)\.svc\.cluster\.local$/.exec(host);
  return fqdn ? `${fqdn[2]}/${fqdn[1]}` : `${namespace}/${host}`;
}

/**
 * Whether a host pattern covers a host (an authority, a port after `:` ignored), case aside:
 * `*` covers all, `*.x` what ends in `.x`, a name itself (the way Envoy matches a virtual
 * host's domains, and istiod a wildcard ServiceEntry host).
 */
export function hostCovers(pattern: string, host: string | undefined): boolean {
  if (pattern === '*') return true;
  if (host === undefined) return false;
  const colon = host.lastIndexOf(':');
  const name = (colon >= 0 && /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host).toLowerCase();
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
}

/**
 * The server hosts of a Gateway in `gatewayNamespace` a VirtualService in `vsNamespace` may
 * bind: `./host` is the Gateway's own namespace, `*\/host` any namespace, `ns/host` only `ns`,
 * a bare host any namespace; hosts for other namespaces are left out.
 * @see istio/istio pilot/pkg/model/gateway.go and pkg/config/analysis/analyzers/virtualservice/gateways.go
 * sanitizeServerHostNamespace; pkg/config/host/names.go NamesForNamespace.
 */
export function serverHostsFor(serverHosts: readonly string[], gatewayNamespace: string, vsNamespace: string): string[] {
  const hosts: string[] = [];
  for (const h of serverHosts) {
    const slash = h.indexOf('/');
    if (slash < 0) {
      hosts.push(h);
      continue;
    }
    const ns = h.slice(0, slash);
    if (ns === '*' || (ns === '.' ? gatewayNamespace : ns) === vsNamespace) hosts.push(h.slice(slash + 1));
  }
  return hosts;
}

/** Every server host of a Gateway as a VirtualService of `vsNamespace` sees them ({@link serverHostsFor}). */
export function gatewayHostsFor(gateway: Manifest, vsNamespace: string): string[] {
  const written = items(fields(gateway.spec).servers).flatMap((server) => items(fields(server).hosts) as string[]);
  return serverHostsFor(written, namespaceOf(gateway), vsNamespace);
}

/**
 * A VirtualService's `gateways` entry, resolved: `mesh`, or the Gateway's `namespace/name`. A
 * bare name is in the VirtualService's namespace, `./name` too; the legacy `name.ns` and
 * `name.ns.svc.cluster.local` mean `ns/name` (istio/istio pilot/pkg/model/config.go resolveGatewayName).
 */
export function resolveGatewayRef(ref: string, vsNamespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  const slash = ref.indexOf('/');
  if (slash >= 0) return ref.slice(0, slash) === '.' ? `${vsNamespace}/${ref.slice(slash + 1)}` : ref;
  const dot = ref.indexOf('.');
  if (dot < 0) return `${vsNamespace}/${ref}`;
  return `${ref.slice(dot + 1).split('.')[0]}/${ref.slice(0, dot)}`;
}

/** `namespace/name` of a Gateway, the way a resolved `gateways` entry names it. */
export function gatewayKey(gateway: Manifest): string {
  return `${namespaceOf(gateway)}/${gateway.metadata.name}`;
}

/** The gateways a VirtualService binds to, resolved ({@link resolveGatewayRef}); none written means `mesh`. */
export function gatewayKeysOf(vs: Manifest): string[] {
  const written = texts(specOf(vs).gateways);
  return written.length === 0 ? [MESH_GATEWAY] : written.map((g) => resolveGatewayRef(g, namespaceOf(vs)));
}

/** A port of a Service or ServiceEntry. */
export interface PortView {
  readonly number: number;
  readonly name?: string;
  /** Kubernetes `protocol` (TCP, UDP) of a Service port, or the ServiceEntry port's protocol. */
  readonly protocol?: string;
  /** A Service port's `targetPort`, as written. */
  readonly targetPort?: number | string;
}

/** A Kubernetes Service or a ServiceEntry host that a host names. */
export interface HostTarget {
  readonly kind: 'Service' | 'ServiceEntry';
  readonly object: Manifest;
  /** The host the object registers (`name.ns.svc.cluster.local`, `api.example.com`, `*.example.com`). */
  readonly host: string;
  readonly ports: readonly PortView[];
  /** A ServiceEntry's `workloadSelector.labels` (a Kubernetes Service has none here, as in Istio's analyzers). */
  readonly workloadSelector?: Labels;
  /** A Kubernetes Service's `spec.selector`. */
  readonly selector?: Labels;
  /** True for the objects of the platform the index assumes (see {@link PLATFORM}). */
  readonly platform: boolean;
}

/**
 * A pod the cluster runs: a Pod object, or the pod a Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job or CronJob makes from its template (one per template: replicas are alike).
 */
export interface PodView {
  /** The object it comes from. */
  readonly source: Manifest;
  readonly namespace: string;
  /** Path of the pod spec within the source object (`spec`, `spec.template.spec`, ...). */
  readonly podPath: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly spec: Fields;
  /**
   * Whether it runs a sidecar: an `istio-proxy` container with an image, or the injector's decision
   * (its own `sidecar.istio.io/inject`, else its namespace's `istio-injection` / `istio.io/rev` label).
   * Istio's analyzers count such a pod as in the mesh (util/in_mesh.go PodInMesh).
   */
  readonly sidecar: boolean;
  /** Whether it is captured by ztunnel: annotation `ambient.istio.io/redirection: enabled`, or an ambient namespace without a sidecar. */
  readonly ambient: boolean;
  /** True for the platform's gateway pod the index assumes. */
  readonly platform: boolean;
}

/**
 * What the index assumes the cluster has beyond the input:
 * - the ingress gateway `istioctl analyze --use-kube=false` adds (istio/istio
 *   pkg/config/analysis/local/defaults.go): a pod labelled `istio: ingressgateway` in istio-system
 *   and the Service `istio-ingressgateway` with ports 80, 443, 31400 and 15443, each its own target;
 * - the egress gateway of Istio's demo profile, which istioctl does not add: pods labelled
 *   `app: istio-egressgateway, istio: egressgateway`, with the proxy's image, and their Service `istio-egressgateway`
 *   (80 -> 8080, 443 -> 8443). To compare with istioctl, give it these two objects.
 */
export const PLATFORM: readonly Manifest[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'istio-ingressgateway-dummypod', namespace: ROOT_NAMESPACE, labels: { istio: 'ingressgateway' } },
    spec: { containers: [{ name: 'istio-proxy' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'istio-ingressgateway', namespace: ROOT_NAMESPACE },
    spec: {
      selector: { istio: 'ingressgateway' },
      ports: [['http2', 80], ['https', 443], ['tcp', 31400], ['tls', 15443]].map(([name, port]) => ({ name, port, protocol: 'TCP', targetPort: port })),
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'istio-egressgateway', namespace: ROOT_NAMESPACE, labels: { app: 'istio-egressgateway', istio: 'egressgateway' } },
    // With its image, as on the cluster: a pod in the mesh, which a policy selecting it applies to (util/in_mesh.go hasIstioProxy).
    spec: { containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'istio-egressgateway', namespace: ROOT_NAMESPACE, labels: { app: 'istio-egressgateway', istio: 'egressgateway' } },
    spec: {
      selector: { app: 'istio-egressgateway', istio: 'egressgateway' },
      ports: [{ name: 'http2', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 }],
    },
  },
];

const CONTROLLERS: Readonly<Record<string, string>> = {
  Pod: 'spec',
  Deployment: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
};

/** Whether a namespace runs in ambient mode (istio/istio pkg/config/analysis/analyzers/util/in_mesh.go NamespaceInAmbientMode). */
export function isAmbientNamespace(namespace: Manifest | undefined): boolean {
  const labels = namespace?.metadata?.labels ?? {};
  if (labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] ?? '') !== '') return false;
  return labels['istio.io/dataplane-mode'] === 'ambient';
}

export interface MeshIndexOptions {
  /** Add the {@link PLATFORM} objects istioctl assumes. @default true */
  readonly platform?: boolean;
}

/** A `gateways` entry of a VirtualService, resolved. */
export interface GatewayRef {
  /** The entry as written. */
  readonly ref: string;
  /** Its index in `spec.gateways` (-1 for the implied `mesh`). */
  readonly index: number;
  /** `mesh`, or the Gateway's `namespace/name`. */
  readonly key: string;
  /** The Gateway, when the set has it. */
  readonly gateway?: Manifest;
  /**
   * `namespace/name` as Istio's analyzers read the entry (pkg/config/resource/name.go
   * NewShortOrFullName, in virtualservice/gateways.go): only `ns/name` names another namespace,
   * so `./name` and the legacy `name.ns` name no Gateway there, though istiod binds them.
   */
  readonly analyzerKey: string;
}

/** Every object of a set of manifests, indexed the way istiod reads them. */
export class MeshIndex {
  /** The input objects, without the platform ones. */
  public readonly objects: readonly Manifest[];
  /** Namespace objects by name. */
  public readonly namespaces = new Map<string, Manifest>();
  /** Kubernetes Services by FQDN (`name.ns.svc.cluster.local`), platform ones included. */
  public readonly services = new Map<string, Manifest>();
  public readonly serviceEntries: Manifest[] = [];
  public readonly virtualServices: Manifest[] = [];
  public readonly destinationRules: Manifest[] = [];
  /** Istio Gateways (networking.istio.io) by `namespace/name`; Gateway API Gateways are in {@link gatewayApi}. */
  public readonly gateways = new Map<string, Manifest>();
  /** The Gateway API objects, and what istiod makes of them (lib/istio/gateway-api.ts). */
  public readonly gatewayApi: GatewayApiReading;
  /** ServiceAccounts as `namespace/name`. */
  public readonly serviceAccounts = new Set<string>();
  /** Every pod, platform ones included. */
  public readonly pods: PodView[] = [];
  /** Namespaces any input object lives in. */
  public readonly usedNamespaces = new Set<string>();
  /**
   * Istio's table of hosts by visibility (util/service_lookup.go InitServiceEntryHostMap):
   * `scope/host` where scope is `*` or a namespace. Later objects replace earlier ones.
   */
  private readonly scopedHosts = new Map<string, HostTarget>();
  private readonly wildcardHosts: Array<{ scope: string; target: HostTarget }> = [];
  private readonly podsByNamespace = new Map<string, PodView[]>();
  private readonly podsBySource = new Map<Manifest, PodView>();
  /** Pods by one of their labels, `key=value`: a selector starts from the pods of its rarest pair. */
  private readonly podsByLabel = new Map<string, PodView[]>();
  /** Subset names by `namespace/name` of the DestinationRule host (util/hosts.go GetResourceNameFromHost). */
  private readonly subsets = new Map<string, Map<string, Manifest>>();

  public constructor(objects: readonly Manifest[], options: MeshIndexOptions = {}) {
    this.objects = objects;
    const platform = options.platform ?? true ? PLATFORM : [];
    const all = [...platform, ...objects];
    const isPlatform = new Set(platform);
    for (const m of all) {
      if (!m?.metadata || typeof m.kind !== 'string') continue;
      if (m.kind === 'Namespace') this.namespaces.set(m.metadata.name, m);
    }
    for (const m of all) {
      if (!m?.metadata || typeof m.kind !== 'string') continue;
      const ns = namespaceOf(m);
      if (!isPlatform.has(m)) this.usedNamespaces.add(ns);
      switch (m.kind) {
        case 'Service': this.addService(m, isPlatform.has(m)); break;
        case 'ServiceEntry': this.serviceEntries.push(m); this.addServiceEntry(m); break;
        case 'VirtualService': this.virtualServices.push(m); break;
        case 'DestinationRule': this.addDestinationRule(m); break;
        case 'Gateway': if (!isGatewayApi(m)) this.gateways.set(`${ns}/${m.metadata.name}`, m); break;
        case 'ServiceAccount': this.serviceAccounts.add(`${ns}/${m.metadata.name}`); break;
        default: {
          const pod = this.podOf(m, isPlatform.has(m));
          if (pod) {
            this.pods.push(pod);
            this.podsBySource.set(m, pod);
            const inNamespace = this.podsByNamespace.get(ns) ?? [];
            inNamespace.push(pod);
            this.podsByNamespace.set(ns, inNamespace);
            for (const [k, v] of Object.entries(pod.labels)) {
              const label = `${k}=${v}`;
              const withLabel = this.podsByLabel.get(label) ?? [];
              withLabel.push(pod);
              this.podsByLabel.set(label, withLabel);
            }
          }
        }
      }
    }
    // The Service istiod deploys for each Gateway of class istio (a route may send to it, as the
    // Gateway API's egress gateway does): `<name>-istio`, a port per listener port
    // (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go extractServicePorts). Its pods
    // are istiod's too, so it selects none here.
    for (const m of objects) {
      const name = m?.kind === 'Gateway' && isGatewayApi(m) ? GatewayApiReading.deployedService(m) : undefined;
      if (name === undefined || this.services.has(qualifyHost(name, namespaceOf(m)))) continue;
      const ports = [...new Map(items(specOf(m).listeners).map(fields).filter((l) => typeof l.port === 'number').map((l) => [l.port, l])).values()];
      this.addService({
        apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: namespaceOf(m) },
        spec: { ports: ports.map((l) => ({ name: text(l.name), port: l.port, protocol: 'TCP', appProtocol: text(l.protocol)?.toLowerCase() })) },
      }, true);
    }
    this.gatewayApi = new GatewayApiReading(objects, {
      service: (namespace, name) => this.services.get(qualifyHost(name, namespace)),
      namespace: (name) => this.namespaces.get(name),
      serviceEntry: (namespace, name) => this.serviceEntries.find((se) => namespaceOf(se) === namespace && se.metadata.name === name),
    });
  }

  private addScoped(scope: string, target: HostTarget): void {
    this.scopedHosts.set(`${scope}/${target.host}`, target);
    if (target.host.startsWith('*')) this.wildcardHosts.push({ scope, target });
  }

  private addServiceEntry(m: Manifest): void {
    const ns = namespaceOf(m);
    const ports = portViews(m, 'number');
    const exportTo = exportToOf(m);
    for (const host of texts(specOf(m).hosts)) {
      const target: HostTarget = { kind: 'ServiceEntry', object: m, host: qualifyHost(host, ns), ports, workloadSelector: labels(fields(specOf(m).workloadSelector).labels), platform: false };
      // util/service_lookup.go InitServiceEntryHostMap: `*` wins over any other entry.
      if (exportTo.length === 0 || exportTo.includes('*')) {
        this.addScoped('*', target);
        continue;
      }
      for (const e of exportTo) this.addScoped(e === '.' ? ns : e, target);
    }
  }

  private addService(m: Manifest, platform: boolean): void {
    const ns = namespaceOf(m);
    const host = qualifyHost(m.metadata.name, ns);
    this.services.set(host, m);
    const ports = portViews(m, 'port');
    const target: HostTarget = { kind: 'Service', object: m, host, ports, selector: labels(specOf(m).selector), platform };
    const exportTo = exportToOf(m);
    for (const scope of exportTo.length === 0 ? ['*'] : exportTo) this.addScoped(scope === '.' ? ns : scope, target);
  }

  private addDestinationRule(m: Manifest): void {
    this.destinationRules.push(m);
    const key = resourceKey(text(specOf(m).host) ?? '', namespaceOf(m));
    const names = this.subsets.get(key) ?? new Map<string, Manifest>();
    for (const s of items(specOf(m).subsets).map(fields)) if (typeof s.name === 'string') names.set(s.name, m);
    this.subsets.set(key, names);
  }

  private podOf(m: Manifest, platform: boolean): PodView | undefined {
    const podPath = CONTROLLERS[m.kind];
    if (!podPath) return undefined;
    const template = m.kind === 'Pod' ? m : podPath.split('.').slice(0, -1).reduce((o: unknown, k) => fields(o)[k], m as unknown);
    const metadata = fields(fields(template).metadata);
    const labels = fields(metadata.labels) as Labels;
    const annotations = fields(metadata.annotations) as Labels;
    const spec = fields(fields(template).spec);
    const namespace = namespaceOf(m);
    const nsObject = this.namespaces.get(namespace);
    const containers = [...items(spec.containers), ...items(spec.initContainers)].map(fields);
    // util/in_mesh.go hasIstioProxy: a proxy container counts only with an image.
    const sidecar = containers.some((c) => c.name === 'istio-proxy' && Boolean(c.image)) ||
      sidecarInjected(nsObject && (nsObject.metadata.labels ?? {}), labels, annotations) === true;
    const ambient = annotations['ambient.istio.io/redirection'] === 'enabled' || (m.kind !== 'Pod' && !sidecar && isAmbientNamespace(nsObject));
    return { source: m, namespace, podPath, labels, annotations, spec, sidecar, ambient, platform };
  }

  /** The Namespace object of `name`, if the set (or the platform) has it. */
  public namespace(name: string): Manifest | undefined {
    return this.namespaces.get(name);
  }

  /** The pod an object (a Pod, or a Deployment or other controller) runs, if it runs one. */
  public podFor(source: Manifest): PodView | undefined {
    return this.podsBySource.get(source);
  }

  /** Pods of `namespace`. */
  public podsIn(namespace: string): readonly PodView[] {
    return this.podsByNamespace.get(namespace) ?? [];
  }

  /**
   * Pods whose labels hold every pair of `selector` (an empty selector selects every pod, as a
   * Kubernetes label selector does), in `namespace`, or in every namespace when it is undefined.
   */
  public podsSelected(selector: Labels | undefined, namespace?: string): PodView[] {
    const pairs = Object.entries(selector ?? {});
    let pods: readonly PodView[] = namespace === undefined ? this.pods : this.podsIn(namespace);
    for (const [k, v] of pairs) {
      const withLabel = this.podsByLabel.get(`${k}=${v}`) ?? [];
      if (withLabel.length < pods.length) pods = withLabel;
    }
    return pods.filter((p) => (namespace === undefined || p.namespace === namespace) && selects(selector, p.labels));
  }

  /** Kubernetes Services of the pod's namespace whose selector selects it (a Service without selector selects every pod, as in gateway/gateway.go). */
  public servicesSelecting(pod: PodView): Manifest[] {
    return [...this.services.values()].filter((s) => namespaceOf(s) === pod.namespace && selects(labels(specOf(s).selector), pod.labels));
  }

  /**
   * The Service or ServiceEntry a host written in an object of `namespace` names, as Istio's
   * analyzers look it up (util/service_lookup.go GetDestinationHost): first a host visible
   * everywhere, then one visible in the namespaces of `exportTo` (the referring object's own,
   * empty meaning its namespace), then a wildcard ServiceEntry host visible in `namespace`.
   */
  public findHost(host: string, namespace: string, exportTo: readonly string[] = []): HostTarget | undefined {
    const fqdn = qualifyHost(host, namespace);
    const all = this.scopedHosts.get(`*/${fqdn}`);
    if (all) return all;
    for (const scope of exportTo.length === 0 ? [namespace] : exportTo.map((e) => (e === '.' ? namespace : e))) {
      const scoped = this.scopedHosts.get(`${scope}/${fqdn}`);
      if (scoped) return scoped;
    }
    const bare = host.startsWith('*') ? host.slice(1) : host;
    for (const { scope, target } of this.wildcardHosts) {
      if (scope !== '*' && scope !== namespace) continue;
      if (bare.endsWith(target.host.slice(1))) return target;
    }
    return undefined;
  }

  /**
   * The Kubernetes Service a name an application dials from a pod of `namespace` reaches
   * through cluster DNS (search path `<ns>.svc.cluster.local`, `svc.cluster.local`,
   * `cluster.local`): `web`, `web.shop`, `web.shop.svc` and the FQDN all name Service web of
   * shop. The sidecar serves these forms too (istio/istio pilot/pkg/networking/core/httproute.go
   * generateVirtualHostDomains). Unlike {@link findHost} this is not how Istio reads a host
   * written in a VirtualService or DestinationRule, which is taken literally.
   */
  public serviceDialed(name: string, namespace: string): Manifest | undefined {
    for (const candidate of [`${name}.${namespace}.svc.cluster.local`, `${name}.svc.cluster.local`, `${name}.cluster.local`, name]) {
      const service = this.services.get(candidate.toLowerCase());
      if (service) return service;
    }
    return undefined;
  }

  /**
   * Every Service and ServiceEntry host a host pattern (possibly a wildcard) written in an object
   * of `namespace` covers, among those visible in `namespace`, most specific first.
   */
  public servicesFor(host: string, namespace: string): HostTarget[] {
    const fqdn = qualifyHost(host, namespace);
    const seen = new Set<HostTarget>();
    for (const [key, target] of this.scopedHosts) {
      const scope = key.slice(0, key.indexOf('/'));
      if ((scope === '*' || scope === namespace) && hostMatches(fqdn, target.host)) seen.add(target);
    }
    return [...seen].sort((a, b) => (a.host.includes('*') ? 1 : 0) - (b.host.includes('*') ? 1 : 0) || b.host.length - a.host.length);
  }

  /**
   * The DestinationRule subsets a destination host of an object in `namespace` can name, by
   * subset name, whatever namespace or host form the DestinationRule used (util/hosts.go
   * GetResourceNameFromHost, as virtualservice/destinationrules.go pairs them).
   */
  public subsetsOf(host: string, namespace: string): ReadonlyMap<string, Manifest> {
    return this.subsets.get(resourceKey(host, namespace)) ?? new Map();
  }

  /**
   * The `gateways` of a VirtualService, resolved: `mesh`, `name` (the VirtualService's
   * namespace) or `ns/name`; none written means `mesh` (virtualservice/gateways.go).
   */
  public gatewayRefs(vs: Manifest): GatewayRef[] {
    const ns = namespaceOf(vs);
    const written = texts(specOf(vs).gateways);
    if (written.length === 0) return [{ ref: MESH_GATEWAY, index: -1, key: MESH_GATEWAY, analyzerKey: MESH_GATEWAY }];
    return written.map((ref, index) => {
      const key = resolveGatewayRef(ref, ns);
      const analyzerKey = ref === MESH_GATEWAY || ref.includes('/') ? ref : `${ns}/${ref}`;
      if (key === MESH_GATEWAY) return { ref, index, key, analyzerKey };
      return { ref, index, key, gateway: this.gateways.get(key), analyzerKey };
    });
  }

  /**
   * Whether the mesh's routes for a host (VirtualServices bound to `mesh`, HTTPRoutes with a
   * Service parent) are applied to requests from the host's own namespace: with sidecars
   * always; in ambient mode only when the Service is enrolled in a waypoint that exists, as
   * ztunnel is L4 (pilot/pkg/serviceregistry/ambient/waypoints.go; gateway/conditions.go
   * "in ambient mode, route will not be respected"). A host that is no Service: true.
   */
  public meshRoutesApply(host: string): boolean {
    const service = this.services.get(host.toLowerCase());
    if (!service || !isAmbientNamespace(this.namespaces.get(namespaceOf(service)))) return true;
    return this.gatewayApi.waypointFor(service)?.gateway !== undefined;
  }

  /** Whether a VirtualService is bound to the sidecars (`mesh`, or no `gateways`). */
  public isMeshBound(vs: Manifest): boolean {
    return this.gatewayRefs(vs).some((g) => g.key === MESH_GATEWAY);
  }

  /**
   * Whether the Gateway `key` (`namespace/name`) serves any of `hosts` of a VirtualService in
   * `vsNamespace` (virtualservice/gateways.go vsHostInGateway). False for a Gateway not in the set.
   */
  public gatewayServes(key: string, hosts: readonly string[], vsNamespace: string): boolean {
    const gateway = this.gateways.get(key);
    if (!gateway) return false;
    const served = gatewayHostsFor(gateway, vsNamespace);
    return served.some((g) => hosts.some((h) => hostMatches(g, h)));
  }

  /**
   * The pods a Gateway's selector selects (any namespace; an empty selector selects every pod),
   * and the ports they are reachable on through the Services of their namespace that select
   * them: each port's target port and the port itself, for ports written `protocol: TCP`
   * (gateway/gateway.go).
   */
  public gatewayServicePorts(gateway: Manifest): { readonly pods: readonly PodView[]; readonly ports: ReadonlySet<number> } {
    const pods = this.podsSelected(labels(specOf(gateway).selector) ?? {});
    const ports = new Set<number>();
    for (const pod of pods) {
      for (const service of this.servicesSelecting(pod)) {
        for (const p of items(specOf(service).ports).map(fields)) {
          // Istio's analyzer counts only ports whose protocol says TCP: on files, where the API
          // server has not defaulted it, a port without `protocol` does not count.
          if (p.protocol !== 'TCP') continue;
          if (typeof p.targetPort === 'number' && p.targetPort !== 0) ports.add(p.targetPort);
          else if (typeof p.targetPort === 'string' && /^\d+$/.test(p.targetPort)) ports.add(Number(p.targetPort));
          if (typeof p.port === 'number') ports.add(p.port);
        }
      }
    }
    return { pods, ports };
  }
}

/** The ports of a Service (`port`) or a ServiceEntry (`number`), as the index reads them. */
function portViews(m: Manifest, numberField: 'port' | 'number'): PortView[] {
  return items(fields(m.spec).ports).map(fields).map((p) => ({
    number: p[numberField] as number, name: text(p.name), protocol: text(p.protocol), targetPort: p.targetPort as number | string | undefined,
  }));
}
