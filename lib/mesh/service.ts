import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DestinationRule, VirtualService } from '../../imports/istio';
import { MeshlabError } from '../errors';
import { checkDnsLabel, checkImage, checkPort, checkReplicas } from './input';
import { StepState, defersWorkloads } from './step-state';
import { SecurityProfile } from './security';
import { DEFAULT_RESOURCES, DEFAULT_SECURITY } from './defaults';
import { istioDestinationRule, istioTrafficPolicy, istioVersionPolicy, istioVirtualService, IstioHost } from '../render/istio';
import { HostRouting } from './host-routing';
import { HTTPRouteObject } from '../../imports/gateway-api';
import { backendService, gatewayApiGap, gatewayApiRules, serviceParent, versionServiceName } from '../render/gateway-api';
import { presentWhen } from './presence';
import type { HostIntent, ServiceDestination } from '../intent';
import { FileConstruct } from './file';
import { Protocol, isHttpProtocol } from './protocol';
import { DestinationSpec, IDestination, IService, IVersion, ILab } from './routing';
import { ContainerSpec, PortSpec, Resources, newDeployment, newService } from './workload';

/** What every version of a service shares. */
export interface MeshServiceProps {
  /** The Service port, 1 to 65535. */
  readonly port: number;
  /** The container port the Service forwards to, 1 to 65535. @default port */
  readonly targetPort?: number;
  /** Protocol, which names the port for Istio. @default Protocol.HTTP */
  readonly protocol?: Protocol;
  /** The `app` label of the pods. @default the service name */
  readonly app?: string;
  /**
   * Container settings shared by the versions (each version brings its image).
   * @default { resources: DEFAULT_RESOURCES, security: DEFAULT_SECURITY }
   */
  readonly container?: ServiceContainer;
  /** Container ports besides the service's (agents, metrics). @default none */
  readonly extraPorts?: readonly PortSpec[];
  /** Version that gets the traffic no scenario routes. @default every version */
  readonly defaultVersion?: string;
  /**
   * How the service's answer reports a failed call to a service it calls, where its image
   * does so, so a guide can say what a failure further down looks like to its caller.
   * @default unknown (a guide then names only the failed call)
   */
  readonly relaysFailures?: FailureRelay;
}

/**
 * What a service answers when a call it makes fails: the tutorial's Java services answer 503
 * with `<name> => <status> <body>` (`customer => 503 preference => 503 fault filter abort`).
 */
export interface FailureRelay {
  /** The status of its own answer. */
  readonly status: number;
  /** Its answer's body, from the failed call's status and body. */
  body(status: number, body: string): string;
}

/** Container settings of a service's versions; resources and security have lab defaults. */
export interface ServiceContainer extends Omit<ContainerSpec, 'image' | 'ports' | 'resources' | 'security'> {
  /** @default DEFAULT_RESOURCES */
  readonly resources?: Resources;
  /** @default DEFAULT_SECURITY */
  readonly security?: SecurityProfile;
}

/** One version of a service. */
export interface VersionProps {
  /** Image reference a container runtime can pull (`[registry/]path[:tag][@digest]`). */
  readonly image: string;
  /** Pods of this version, 0 or more. @default 1 */
  readonly replicas?: number;
  /** @default `<service>-<version>` */
  readonly deploymentName?: string;
  /** Added to the service's environment. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Pod annotations. @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * A meshed service: one Kubernetes Service selecting `app` only, one ServiceAccount, and
 * the single DestinationRule and VirtualService of its host, which scenarios add to. Its
 * versions each synthesize a Deployment labelled `{app, version}`; the DestinationRule's
 * subsets are derived from them.
 */
export class MeshService extends FileConstruct implements IService {
  public readonly name: string;
  public readonly lab: ILab;
  public readonly port: number;
  public readonly targetPort: number;
  public readonly protocol: Protocol;
  /** The `app` label value. */
  public readonly app: string;
  /** Name of the ServiceAccount of every version's pods (the identity authorization uses). */
  public readonly serviceAccountName: string;
  public readonly destinationRule: DestinationRule;
  public readonly virtualService: VirtualService;
  private readonly _versions: ServiceVersion[] = [];
  /** The routes and traffic policies scenarios compose for this host. */
  public readonly routing: HostRouting;
  private readonly container: Omit<ContainerSpec, 'image' | 'ports'>;
  private readonly extraPorts: readonly PortSpec[];
  private readonly defaultVersion: string | undefined;
  private readonly _callees: MeshService[] = [];
  /** How its answer reports a failed call it made, where known. */
  public readonly relaysFailures: FailureRelay | undefined;

  public constructor(lab: ILab, name: string, props: MeshServiceProps) {
    super(lab, lab.claimServiceName(name), `${name}.yaml`);
    this.lab = lab;
    this.name = name;
    checkPort(`port of service ${name}`, props.port);
    if (props.targetPort !== undefined) checkPort(`targetPort of service ${name}`, props.targetPort);
    this.port = props.port;
    this.targetPort = props.targetPort ?? props.port;
    this.protocol = props.protocol ?? Protocol.HTTP;
    this.app = props.app ?? name;
    this.container = {
      ...props.container,
      resources: props.container?.resources ?? DEFAULT_RESOURCES,
      security: props.container?.security ?? DEFAULT_SECURITY,
    };
    this.extraPorts = props.extraPorts ?? [];
    this.defaultVersion = props.defaultVersion;
    this.relaysFailures = props.relaysFailures;
    this.routing = new HostRouting(name);

    this.serviceAccountName = name;
    if (!defersWorkloads(lab)) this.buildKubernetesObjects();
    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata: { name },
      spec: () => istioDestinationRule(this.istioHost, this.intent),
    });
    this.virtualService = new VirtualService(this, 'VirtualService', {
      metadata: { name },
      spec: () => istioVirtualService(this.istioHost, this.intent, this.lab.namespace),
    });
    if (lab.flavour.gatewayApi) this.addGatewayApiRouting();
    StepState.of(lab)?.recordRouting(this, () => this.routing.touched);
    StepState.of(lab)?.onReset(() => this.resetScenarioState());
    this.node.addValidation({
      validate: () => (this._versions.length === 0 ? [`service ${name} has no version: add one with addVersion()`] : []),
    });
    lab.registerService(this);
  }

  /**
   * Records that this service's code calls `services` (the tutorial's call chain). It
   * writes no object: the routing preview and the diagrams follow these calls.
   */
  public calls(...services: MeshService[]): this {
    for (const s of services) if (!this._callees.includes(s)) this._callees.push(s);
    return this;
  }

  /** The services this one calls, in the order they were declared. */
  public get callees(): readonly MeshService[] {
    return this._callees;
  }

  /** The port name Istio selects the protocol by. */
  public get portName(): string {
    return this.protocol;
  }

  /** Versions, sorted by name. */
  public get versions(): readonly ServiceVersion[] {
    return [...this._versions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds a version (its name a DNS label), which synthesizes its Deployment. */
  public addVersion(name: string, props: VersionProps): ServiceVersion {
    checkDnsLabel(`version name of service ${this.name}`, name);
    if (this._versions.some((v) => v.name === name)) {
      throw new MeshlabError(`service ${this.name} already has a version ${name}`);
    }
    if (props.replicas !== undefined) checkReplicas(`replicas of ${this.name} ${name}`, props.replicas);
    const version = new ServiceVersion(this, name, {
      ...props,
      container: { ...this.container, env: { ...this.container.env, ...props.env } },
      extraPorts: this.extraPorts,
    });
    this._versions.push(version);
    return version;
  }

  /** The version called `name`; the error lists the versions there are. */
  public version(name: string): ServiceVersion {
    const found = this._versions.find((v) => v.name === name);
    if (!found) {
      throw new MeshlabError(`service ${this.name} has no version ${name} (versions: ${this.versions.map((v) => v.name).join(', ')})`);
    }
    return found;
  }

  /** The host name of this service as written in an object in `namespace`. */
  public hostFrom(namespace: string): string {
    return namespace === this.lab.namespace ? this.name : `${this.name}.${this.lab.namespace}.svc.cluster.local`;
  }

  /** The ServiceAccount (built on first use when the lab defers workloads). */
  public get serviceAccount(): kplus.ServiceAccount {
    return this.buildKubernetesObjects().serviceAccount;
  }

  /** The Kubernetes Service (built on first use when the lab defers workloads). */
  public get kubernetesService(): kplus.Service {
    return this.buildKubernetesObjects().service;
  }

  private kubernetesObjects: { serviceAccount: kplus.ServiceAccount; service: kplus.Service } | undefined;

  /** Undoes what scenarios did to this service (step bookkeeping, lib/mesh/step-state.ts). */
  private resetScenarioState(): void {
    this.routing.clear();
    if (this.kubernetesObjects && defersWorkloads(this.lab)) {
      for (const id of ['ServiceAccount', 'Service', 'ServicePods']) this.node.tryRemoveChild(id);
      this.kubernetesObjects = undefined;
    }
  }

  private buildKubernetesObjects() {
    this.kubernetesObjects ??= {
      serviceAccount: new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name: this.serviceAccountName } }),
      service: newService(this, 'Service', this.name, [{ name: this.portName, port: this.port, targetPort: this.targetPort }], { app: this.app }),
    };
    return this.kubernetesObjects;
  }

  /** True when this service's port carries HTTP (so it takes HTTP routes, faults, retries). */
  public get isHttp(): boolean {
    return isHttpProtocol(this.protocol);
  }

  /** A route to the service itself reaches every version: no subset. */
  public get subset(): undefined {
    return undefined;
  }

  /** The service whose routing applies: this one. */
  public get meshService(): MeshService {
    return this;
  }

  /** Istio's destination of every version, as written in an object in `namespace`. */
  public destinationFrom(namespace: string): DestinationSpec {
    return { host: this.hostFrom(namespace), port: { number: this.port } };
  }

  /** Every version of this Service, as the renderers take it. */
  public get target(): ServiceDestination {
    return { service: this.name, namespace: this.lab.namespace, port: this.port };
  }

  /** Where traffic goes when no scenario says otherwise. */
  public get defaultDestination(): IDestination {
    return this.defaultVersion === undefined ? this : this.version(this.defaultVersion);
  }

  /** This host's routing intent, as the scenarios composed it (lib/intent/index.ts). */
  public get intent(): HostIntent {
    return this.routing.intent(this.defaultDestination);
  }

  /** Why this host is written with Istio's kinds in a Gateway API lab (a fault), if it is. */
  public get gatewayApiGap(): string | undefined {
    return this.isHttp ? gatewayApiGap(this.intent) : undefined;
  }

  /**
   * The Gateway API form of the host's routing: an HTTPRoute attached to the Service (GAMMA),
   * sending to per-version Services, and a DestinationRule per backend Service while a traffic
   * policy needs one. A host with a fault keeps the VirtualService and DestinationRule with
   * subsets instead (the Gateway API has no fault injection; mixing both APIs on one host is
   * not supported), so those are written only then.
   */
  private addGatewayApiRouting(): void {
    const viaIstio = () => this.gatewayApiGap !== undefined;
    presentWhen(this.virtualService, viaIstio);
    presentWhen(this.destinationRule, viaIstio);
    if (!this.isHttp) return;
    const route = new HTTPRouteObject(this, 'HTTPRoute', {
      metadata: { name: this.name },
      spec: () => ({ parentRefs: [serviceParent(this.name, this.port)], rules: gatewayApiRules(this.intent, this.lab.namespace) }),
    });
    presentWhen(route, () => !viaIstio());
    const hostRule = new DestinationRule(this, 'Policy', {
      metadata: { name: this.name },
      spec: () => ({ host: this.name, trafficPolicy: istioTrafficPolicy(this.intent.policy) }),
    });
    presentWhen(hostRule, () => !viaIstio() && this.backendServices().has(this.name) && istioTrafficPolicy(this.intent.policy) !== undefined);
  }

  /** The Services the host's routes send to (itself, or per-version Services). */
  public backendServices(): Set<string> {
    const intent = this.intent;
    return new Set(intent.routes.flatMap((r) => r.to ?? []).map((t) => backendService(t.destination)));
  }

  /** What the Istio renderer needs of this host besides its intent. */
  private get istioHost(): IstioHost {
    return {
      name: this.name,
      isHttp: this.isHttp,
      // The subset labels add `version` to the Service's selector (`app`), so they select exactly the version's pods.
      subsets: this.versions.map((v) => ({ name: v.subset, labels: { version: v.name } })),
      everyVersion: { to: [{ destination: this.target }] },
    };
  }
}

interface ServiceVersionProps extends VersionProps {
  readonly container: Omit<ContainerSpec, 'image' | 'ports'>;
  readonly extraPorts: readonly PortSpec[];
}

/** One version of a service: a Deployment of pods labelled `{app, version}`. */
export class ServiceVersion extends Construct implements IVersion {
  public readonly name: string;
  /** The service this is a version of. */
  public readonly meshService: MeshService;
  /** The DestinationRule subset of this version, named after it. */
  public readonly subset: string;
  /** The pod labels, which the Deployment selects and the subset matches. */
  public readonly labels: Readonly<Record<string, string>>;
  private _deployment: kplus.Deployment | undefined;
  private readonly newDeployment: () => kplus.Deployment;

  public constructor(service: MeshService, name: string, props: ServiceVersionProps) {
    super(service, name);
    this.name = name;
    this.meshService = service;
    checkImage(`${service.name} ${name}`, props.image);
    this.subset = name;
    this.labels = { app: service.app, version: name };
    this.newDeployment = () => newDeployment(this, 'Deployment', props.deploymentName ?? `${service.name}-${name}`, props.replicas ?? 1, {
      labels: this.labels,
      annotations: props.annotations,
      serviceAccount: service.serviceAccount,
      containerName: service.app,
      container: {
        ...props.container,
        image: props.image,
        ports: [{ number: service.targetPort, name: service.portName }, ...props.extraPorts],
      },
    });
    if (!defersWorkloads(service.lab)) this._deployment = this.newDeployment();
    StepState.of(service.lab)?.onReset(() => this.resetScenarioState());
    if (service.lab.flavour.gatewayApi) this.addGatewayApiObjects(service);
  }

  /** The Service of this version's pods, which Gateway API routes send to. */
  public get serviceName(): string {
    return versionServiceName(this.meshService.name, this.name);
  }

  /**
   * In a Gateway API lab: the version's own Service (selecting `{app, version}`, the same port),
   * and its DestinationRule while a traffic policy applies to it.
   */
  private addGatewayApiObjects(service: MeshService): void {
    if (!defersWorkloads(service.lab)) {
      newService(this, 'Service', this.serviceName, [{ name: service.portName, port: service.port, targetPort: service.targetPort }], this.labels);
    }
    if (!service.isHttp) return;
    const policy = () => istioVersionPolicy(service.intent.policy, service.intent.subsetPolicies.get(this.subset));
    const rule = new DestinationRule(this, 'Policy', {
      metadata: { name: this.serviceName },
      spec: () => ({ host: this.serviceName, trafficPolicy: policy() }),
    });
    presentWhen(rule, () => service.gatewayApiGap === undefined && policy() !== undefined
      && (service.intent.subsetPolicies.has(this.subset) || service.backendServices().has(this.serviceName)));
  }

  /** The lab of the version. */
  public get lab(): ILab {
    return this.meshService.lab;
  }

  /** Istio's destination of this version's subset, as written in an object in `namespace`. */
  public destinationFrom(namespace: string): DestinationSpec {
    return { ...this.meshService.destinationFrom(namespace), subset: this.subset };
  }

  /** This version of its Service, as the renderers take it. */
  public get target(): ServiceDestination {
    return { ...this.meshService.target, version: this.subset };
  }

  /** Undoes a scale: in a lab that defers workloads, the Deployment goes back to unbuilt. */
  private resetScenarioState(): void {
    if (this._deployment && defersWorkloads(this.meshService.lab)) {
      this.node.tryRemoveChild('Deployment');
      this._deployment = undefined;
    }
  }

  /** The Deployment of this version (built on first use when the lab defers workloads). */
  public get deployment(): kplus.Deployment {
    this._deployment ??= this.newDeployment();
    return this._deployment;
  }

  /** Sets the number of pods of this version (0 or more). */
  public scale(replicas: number): void {
    checkReplicas(`replicas of ${this.meshService.name} ${this.name}`, replicas);
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.replace('/spec/replicas', replicas));
    StepState.of(this.meshService.lab)?.recordChanged(ApiObject.of(this.deployment));
  }
}
