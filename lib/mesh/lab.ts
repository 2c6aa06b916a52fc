import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MeshlabError } from '../errors';
import { Client, ClientProps } from './client';
import { IngressGateway, IngressGatewayProps } from './gateway';
import { MeshService, MeshServiceProps } from './service';

export interface MeshLabProps {
  /** Namespace of every object of the lab. */
  readonly namespace: string;
  /**
   * The image of a workload, from its seed image (the lab's options: registry mirror, overrides),
   * for workloads that scenarios add. @default the seed image
   */
  readonly images?: (workload: string, seed: string) => string;
}

/**
 * Context key: when true, versions build their Deployment only when something uses it.
 * Step synthesis sets it, since steps compare only what scenarios change.
 */
export const DEFER_WORKLOADS = 'meshlab:deferWorkloads';

/** A construct that owns one output file of its lab. */
export interface IOutputFile {
  /** File name within the lab's folder. */
  readonly fileName: string;
}

/** The lab's namespace, labelled for sidecar injection; written first so it is applied first. */
class LabNamespace extends Construct implements IOutputFile {
  public readonly fileName = '00-namespace.yaml';
  public constructor(scope: Construct, name: string) {
    super(scope, 'Namespace');
    const namespace = new kplus.Namespace(this, 'Resource', { metadata: { name, labels: { 'istio-injection': 'enabled' } } });
    // A Namespace is cluster-scoped: drop the chart's namespace and the empty spec.
    ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'), JsonPatch.remove('/spec'));
  }
}

/**
 * One lab: a namespace labelled `istio-injection=enabled` and the services, clients and
 * gateways in it. Every object gets the lab's namespace.
 */
export class MeshLab extends Chart {
  public readonly name: string;
  public readonly namespace: string;
  /** Versions build their Deployment on first use (see DEFER_WORKLOADS). */
  public readonly deferWorkloads: boolean;
  private readonly _services: MeshService[] = [];
  private readonly changed = new Set<ApiObject>();
  private readonly scenarioScopes: Construct[] = [];
  private readonly _clients: Client[] = [];
  private readonly _gateways: IngressGateway[] = [];

  private readonly images?: (workload: string, seed: string) => string;

  public constructor(scope: Construct, name: string, props: MeshLabProps) {
    super(scope, name, { namespace: props.namespace, disableResourceNameHashes: true });
    this.name = name;
    this.namespace = props.namespace;
    this.deferWorkloads = this.node.tryGetContext(DEFER_WORKLOADS) === true;
    this.images = props.images;
    new LabNamespace(this, props.namespace);
  }

  /** The image of a workload a scenario adds, under the lab's registry mirror and overrides. */
  public image(workload: string, seed: string): string {
    return this.images ? this.images(workload, seed) : seed;
  }

  /**
   * Records that a Kubernetes object was changed after its workload was built (scaled), so
   * step files, which otherwise only look at Istio objects and new objects, include it.
   */
  public markChanged(obj: ApiObject): void {
    this.changed.add(obj);
  }

  /** Records a scenario's construct, so `resetScenarios` can take it away again. */
  public registerScenario(scope: Construct): void {
    this.scenarioScopes.push(scope);
  }

  /**
   * Takes every scenario back out, so the next one can be tried alone on the plain lab
   * without building the lab again (steps). Only a lab that defers workloads can be reset:
   * what scenarios build in it (scaled Deployments) is removed with them.
   */
  public resetScenarios(): void {
    if (!this.deferWorkloads) throw new Error('only a lab that defers workloads can take scenarios back out');
    for (const scope of this.scenarioScopes) this.node.tryRemoveChild(scope.node.id);
    this.scenarioScopes.length = 0;
    for (const s of this._services) s.resetScenarioState();
    for (const g of this._gateways) g.resetScenarioState();
    this.changed.clear();
  }

  /** True when `obj` was changed after it was built. */
  public wasChanged(obj: ApiObject): boolean {
    return this.changed.has(obj);
  }

  /** The meshed services, in the order added. */
  public get services(): readonly MeshService[] {
    return this._services;
  }

  /** Adds a meshed service; add its versions with `addVersion`. */
  public addService(name: string, props: MeshServiceProps): MeshService {
    const service = new MeshService(this, name, props);
    this._services.push(service);
    return service;
  }

  /** The service called `name`; the error lists the services there are. */
  public service(name: string): MeshService {
    const found = this._services.find((s) => s.name === name);
    if (!found) {
      throw new MeshlabError(`lab ${this.name} has no service ${name} (services: ${this._services.map((s) => s.name).join(', ')})`);
    }
    return found;
  }

  /** The client workloads, in the order added. */
  public get clients(): readonly Client[] {
    return this._clients;
  }

  /** The gateways, in the order added. */
  public get gateways(): readonly IngressGateway[] {
    return this._gateways;
  }

  /** Adds a client workload (a pod to exec into, or a load generator). */
  public addClient(name: string, props: ClientProps): Client {
    const client = new Client(this, name, props);
    this._clients.push(client);
    return client;
  }

  /** Adds an Istio Gateway on the ingress gateway. */
  public addGateway(name: string, props: IngressGatewayProps = {}): IngressGateway {
    const gateway = new IngressGateway(this, name, props);
    this._gateways.push(gateway);
    return gateway;
  }
}
