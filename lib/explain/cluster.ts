import { GatewayApiReading, isIstioGateway } from '../istio/gateway-api';
import { MeshIndex, hostCovers, isAmbientNamespace, namespaceOf } from '../istio/index';
import { qualifyHost, selects } from '../istio/resolve';
import { Manifest, specOf } from '../validate/manifest';
import { fields, items, labels as labelsOf, num, text } from '../validate/read';
import { ServicePort, istioGateway, service } from '../validate/views';

/** Istio's root namespace: policies there apply mesh-wide. */
export const ROOT_NAMESPACE = 'istio-system';

/** Labels of the ingress gateway pods of Istio's demo profile, which the labs' Gateways select. */
export const INGRESS_GATEWAY_LABELS: Readonly<Record<string, string>> = { app: 'istio-ingressgateway', istio: 'ingressgateway' };

/** One pod: a Pod object, or one replica of a Deployment. */
export interface Pod {
  /** `Deployment/recommendation-v1#2` style name: the workload and the replica. */
  readonly name: string;
  /** Name of the Deployment or Pod. */
  readonly workload: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The `version` label, else the workload name. */
  readonly version: string;
  /** Whether Istio injects a sidecar (namespace label, pod label or annotation). */
  readonly sidecar: boolean;
  /** Whether ztunnel captures it (ambient mode), as the shared index reads it. */
  readonly ambient: boolean;
  /** The SPIFFE identity its sidecar (or ztunnel, in ambient mode) presents; undefined outside the mesh. */
  readonly principal: string | undefined;
  /** Container ports by name, to resolve a Service's named targetPort. */
  readonly ports: Readonly<Record<string, number>>;
}

/** A Kubernetes Service and where it is. */
export interface KubeService {
  readonly name: string;
  readonly namespace: string;
  /** `name.namespace.svc.cluster.local`. */
  readonly host: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePort[];
}

/** A gateway's pods behind a Service that routes send to (Cluster.gatewayBehind). */
export interface GatewayBehind {
  readonly service: KubeService;
  /** One of its pods: the proxy's labels, namespace and identity. */
  readonly pod: Pod;
  /** The Istio Gateways (written, or made of a Gateway API Gateway's listeners) its pods run. */
  readonly gateways: readonly Manifest[];
  /** The Gateway API Gateway Istio deployed it for, if it did. */
  readonly gatewayApi?: Manifest;
}

/** Whether a host pattern (`*`, `*.example.com` or a name) covers `host`: the shared index's reading. */
export const hostMatches = hostCovers;

/** How specific a host pattern is: a name beats any wildcard, a longer wildcard a shorter one. */
export function hostSpecificity(pattern: string): number {
  return pattern.includes('*') ? pattern.length - 1 : Number.MAX_SAFE_INTEGER;
}

/**
 * The generated manifests, indexed the way a sidecar sees them: Services by host, pods
 * (Deployments expanded into their replicas), and the Istio objects by kind.
 */
export class Cluster {
  public readonly services = new Map<string, KubeService>();
  public readonly pods: Pod[] = [];
  public readonly virtualServices: Manifest[];
  public readonly destinationRules: Manifest[];
  public readonly gateways: Manifest[];
  public readonly serviceEntries: Manifest[];
  public readonly authorizationPolicies: Manifest[];
  public readonly peerAuthentications: Manifest[];
  public readonly requestAuthentications: Manifest[];
  public readonly envoyFilters: Manifest[];
  /** The one reading of the manifests that check and the traffic pictures share (lib/istio/index.ts). */
  public readonly index: MeshIndex;

  public constructor(manifests: readonly Manifest[]) {
    this.index = new MeshIndex(manifests);
    const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
    for (const s of ofKind('Service')) {
      const namespace = namespaceOf(s);
      const host = qualifyHost(s.metadata.name, namespace);
      const view = service(s);
      this.services.set(host, { name: s.metadata.name, namespace, host, selector: view.selector ?? {}, ports: view.ports });
    }
    for (const w of [...ofKind('Deployment'), ...ofKind('Pod')]) {
      const namespace = namespaceOf(w);
      const template = w.kind === 'Pod' ? { metadata: w.metadata, spec: w.spec } : fields(specOf(w).template);
      const podSpec = fields(template.spec);
      const labels = labelsOf(fields(template.metadata).labels) ?? {};
      // Whether it runs a sidecar, as the shared index reads it (an injected istio-proxy, or the injector's choice).
      const sidecar = this.index.podFor(w)?.sidecar ?? false;
      // A Pod written in an ambient namespace is captured too, once running: istio-cni gives it
      // the redirection annotation the shared index (which reads files as istioctl analyze does) waits for.
      const view = this.index.podFor(w);
      const ambient = (view?.ambient ?? false) || (w.kind === 'Pod' && !sidecar && view?.labels['istio.io/dataplane-mode'] !== 'none' && isAmbientNamespace(this.index.namespace(namespace)));
      const ports: Record<string, number> = {};
      for (const c of items(podSpec.containers)) {
        for (const p of items(fields(c).ports).map(fields)) {
          const [name, port] = [text(p.name), num(p.containerPort)];
          if (name && port !== undefined) ports[name] = port;
        }
      }
      const account = text(podSpec.serviceAccountName) ?? 'default';
      const replicas = w.kind === 'Pod' ? 1 : num(specOf(w).replicas) ?? 1;
      for (let i = 1; i <= replicas; i++) {
        this.pods.push({
          name: w.kind === 'Pod' ? w.metadata.name : `${w.metadata.name}#${i}`,
          workload: w.metadata.name,
          namespace,
          labels,
          version: labels.version ?? w.metadata.name,
          sidecar,
          ambient,
          // A sidecar or, in ambient mode, ztunnel presents the pod's ServiceAccount.
          principal: sidecar || ambient ? `cluster.local/ns/${namespace}/sa/${account}` : undefined,
          ports,
        });
      }
    }
    this.pods.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // With the VirtualServices istiod makes of the Gateway API's routes (lib/istio/gateway-api.ts),
    // which the proxies read beside the written ones.
    this.virtualServices = [...ofKind('VirtualService'), ...this.index.gatewayApi.virtualServices];
    this.destinationRules = ofKind('DestinationRule');
    this.gateways = ofKind('Gateway').filter(isIstioGateway);
    this.serviceEntries = ofKind('ServiceEntry');
    this.authorizationPolicies = ofKind('AuthorizationPolicy');
    this.peerAuthentications = ofKind('PeerAuthentication');
    this.requestAuthentications = ofKind('RequestAuthentication');
    this.envoyFilters = ofKind('EnvoyFilter');
  }

  /** The pods a Service selects, narrowed to those with `labels` too (a subset); sorted by name. */
  public podsOf(service: KubeService, labels: Readonly<Record<string, string>> = {}): Pod[] {
    // A Service without a selector selects no pod (its endpoints are managed by hand).
    if (Object.keys(service.selector).length === 0) return [];
    return this.pods.filter((p) => p.namespace === service.namespace && selects(service.selector, p.labels) && selects(labels, p.labels));
  }

  /** The pods of a Deployment or Pod called `name` in `namespace`. */
  public podsOfWorkload(name: string, namespace: string): Pod[] {
    return this.pods.filter((p) => p.workload === name && p.namespace === namespace);
  }

  /**
   * The Kubernetes Service a destination host names for a proxy in `namespace`, as the shared
   * index resolves it (exportTo included): undefined for a host that is no Service there.
   */
  public serviceFor(host: string, namespace: string): KubeService | undefined {
    const target = this.index.findHost(host, namespace);
    return target?.kind === 'Service' ? this.services.get(target.host) : undefined;
  }

  /** Whether a ServiceEntry visible in `namespace` registers `host` (a host outside the cluster), wildcards included. */
  public isExternal(host: string, namespace: string): boolean {
    return this.index.findHost(host, namespace)?.kind === 'ServiceEntry';
  }

  /**
   * The gateway behind a Service the files do not hold, that a route sends to: the demo
   * profile's egress gateway (the shared index's platform Service istio-egressgateway), or the
   * gateway Istio deploys for a Gateway API Gateway of class istio (`<name>-istio`,
   * deploymentcontroller.go). Its pods run the Gateways that select them: Istio's, or those
   * istiod makes of the Gateway API Gateway's listeners.
   */
  public gatewayBehind(host: string): GatewayBehind | undefined {
    const m = this.index.services.get(host);
    if (!m || this.services.has(host)) return undefined;
    const namespace = namespaceOf(m);
    const view = service(m);
    const deployed = [...this.index.gatewayApi.gateways.values()].find((g) => namespaceOf(g) === namespace && GatewayApiReading.deployedService(g) === m.metadata.name);
    let labels: Readonly<Record<string, string>>;
    let account: string;
    if (deployed) {
      labels = { 'gateway.networking.k8s.io/gateway-name': deployed.metadata.name };
      account = GatewayApiReading.deployedAccount(deployed)!;
    } else {
      const pod = Object.keys(view.selector ?? {}).length > 0 ? this.index.podsSelected(view.selector, namespace).find((p) => p.platform) : undefined;
      if (!pod) return undefined;
      labels = pod.labels;
      // The demo profile's ServiceAccount of its gateways: `<Service>-service-account`.
      account = `${m.metadata.name}-service-account`;
    }
    const gateways = [...this.gateways, ...this.index.gatewayApi.istioGateways].filter((g) => selects(istioGateway(g).selector, labels));
    if (gateways.length === 0) return undefined;
    const pod: Pod = {
      name: m.metadata.name, workload: m.metadata.name, namespace, labels, version: m.metadata.name,
      sidecar: true, ambient: false, principal: `cluster.local/ns/${namespace}/sa/${account}`, ports: {},
    };
    return { service: { name: m.metadata.name, namespace, host, selector: view.selector ?? {}, ports: view.ports }, pod, gateways, gatewayApi: deployed };
  }

  /**
   * The Gateways the ingress gateway pods run, and the Istio Gateways istiod makes of each
   * listener of a Gateway API Gateway of class `istio` (which Istio deploys as its own gateway).
   */
  public ingressGateways(): Manifest[] {
    return [...this.gateways.filter((g) => selects(istioGateway(g).selector, INGRESS_GATEWAY_LABELS)), ...this.index.gatewayApi.istioGateways];
  }
}

export { gatewayKey, resolveGatewayRef as resolveGateway } from '../istio/index';
