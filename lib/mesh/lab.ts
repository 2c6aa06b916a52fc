import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { MeshlabError } from '../errors';
import type { Manifest } from '../validate/manifest';
import { GraphChecks } from './checks';
import { FileConstruct } from './file';
import { checkDnsLabel, checkImage } from './input';
import { Client, ClientProps } from './client';
import { IngressGateway, IngressGatewayProps } from './gateway';
import { MeshService, MeshServiceProps } from './service';
import { isPresent } from './presence';
import { Flavour } from './flavour';
import type { ILab } from './routing';
import { WAYPOINT, Waypoint } from './waypoint';

export interface MeshLabProps {
  /** Namespace of every object of the lab: a DNS label. */
  readonly namespace: string;
  /**
   * The image of a workload, from its seed image (the lab's options: registry mirror, overrides),
   * for workloads that scenarios add. @default the seed image
   */
  readonly images?: (workload: string, seed: string) => string;
  /**
   * The routing API and data-plane mode: `Flavour.CLASSIC`, `Flavour.GATEWAY_API` or `Flavour.AMBIENT`.
   * @default the flavour the scope's context names (Flavour.CONTEXT: synth sets it), else Flavour.CLASSIC
   */
  readonly flavour?: Flavour;
}

export { FileConstruct } from './file';
export type { IOutputFile } from './file';
export { WAYPOINT } from './waypoint';

/**
 * The lab's namespace, written first so it is applied first, labelled as its flavour joins
 * pods to the mesh: for sidecar injection, or in ambient mode for ztunnel and the namespace's
 * waypoint (Flavour.namespaceLabels).
 * @see https://istio.io/latest/docs/ambient/usage/waypoint/#configure-a-pod-to-use-a-waypoint
 */
class LabNamespace extends FileConstruct {
  public constructor(scope: Construct, name: string, flavour: Flavour) {
    super(scope, 'Namespace', '00-namespace.yaml');
    const labels = flavour.namespaceLabels(WAYPOINT);
    const namespace = new kplus.Namespace(this, 'Resource', { metadata: { name, labels } });
    // A Namespace is cluster-scoped: drop the chart's namespace and the empty spec.
    ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'), JsonPatch.remove('/spec'));
  }
}

/**
 * One lab: a namespace labelled `istio-injection=enabled` (in ambient mode: enrolled in
 * ambient, with its waypoint) and the services, clients and gateways in it. Every object
 * gets the lab's namespace. A plain `app.synth()` runs the
 * checks `npm run synth` runs over its objects first, and writes nothing when one fails.
 */
export class MeshLab extends Chart implements ILab {
  /**
   * The lab's objects as JSON, for `app.synth()`: cdk8s's, without the objects scenarios made
   * absent (lib/mesh/presence.ts). Validation runs first, as cdk8s's own does.
   */
  public toJson(): Manifest[] {
    const problems = this.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
    if (problems.length > 0) throw new Error(`Validation failed with the following errors:\n  ${problems.join('\n  ')}`);
    return this.node.findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === this && isPresent(c))
      .map((c) => c.toJson() as Manifest);
  }

  /** The lab a construct is in: its nearest MeshLab scope. */
  public static of(c: IConstruct): MeshLab {
    for (let scope: IConstruct | undefined = c; scope; scope = scope.node.scope) {
      if (scope instanceof MeshLab) return scope as MeshLab;
    }
    throw new MeshlabError(`${c.node.path} is not inside a MeshLab: create it with a lab (or a construct in one) as its scope`);
  }

  public readonly name: string;
  public readonly namespace: string;
  /** The routing API and data-plane mode, and every difference that follows from them. */
  public readonly flavour: Flavour;
  /** The namespace's waypoint, in ambient mode; undefined with sidecars. */
  public readonly waypoint?: Waypoint;
  private readonly _services: MeshService[] = [];
  private readonly _clients: Client[] = [];
  private readonly _gateways: IngressGateway[] = [];

  private readonly images?: (workload: string, seed: string) => string;

  public constructor(scope: Construct, name: string, props: MeshLabProps) {
    checkDnsLabel(`namespace of lab ${name}`, props.namespace);
    super(scope, name, { namespace: props.namespace, disableResourceNameHashes: true });
    this.name = name;
    this.namespace = props.namespace;
    this.images = props.images;
    this.flavour = props.flavour ?? Flavour.fromContext(scope) ?? Flavour.CLASSIC;
    new LabNamespace(this, props.namespace, this.flavour);
    if (!this.flavour.sidecars) this.waypoint = new Waypoint(this);
    new GraphChecks(this);
  }

  /** The image of a workload a scenario adds, under the lab's registry mirror and overrides. */
  public image(workload: string, seed: string): string {
    const image = this.images ? this.images(workload, seed) : seed;
    checkImage(workload, image);
    return image;
  }

  /** The meshed services, in the order added. */
  public get services(): readonly MeshService[] {
    return this._services;
  }

  /** Adds a meshed service (its name a DNS label); add its versions with `addVersion`. */
  public addService(name: string, props: MeshServiceProps): MeshService {
    return new MeshService(this, name, props);
  }

  /** A service's name, checked before MeshService's constructor builds anything: a DNS label, once per lab. @internal */
  public claimServiceName(name: string): string {
    checkDnsLabel(`service name in lab ${this.name}`, name);
    if (this._services.some((s) => s.name === name)) throw new MeshlabError(`lab ${this.name} already has a service ${name}`);
    return name;
  }

  /**
   * Called by MeshService's constructor once it is built, so `new MeshService(lab, ...)` and
   * `addService` alike put the service in the lab. @internal
   */
  public registerService(service: MeshService): void {
    this._services.push(service);
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
    return new Client(this, name, props);
  }

  /** A client's name, checked before Client's constructor builds anything: a DNS label. @internal */
  public claimClientName(name: string): string {
    checkDnsLabel(`client name in lab ${this.name}`, name);
    return name;
  }

  /** Called by Client's constructor once it is built, so `new Client(lab, ...)` and `addClient` alike put the client in the lab. @internal */
  public registerClient(client: Client): void {
    this._clients.push(client);
  }

  /** Adds an Istio Gateway on the ingress gateway. */
  public addGateway(name: string, props: IngressGatewayProps = {}): IngressGateway {
    checkDnsLabel(`gateway name in lab ${this.name}`, name);
    const gateway = new IngressGateway(this, name, props);
    this._gateways.push(gateway);
    return gateway;
  }
}
