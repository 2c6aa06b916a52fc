import * as kplus from 'cdk8s-plus-27';
import { FileConstruct } from './file';
import { defersWorkloads } from './step-state';
import type { MeshService } from './service';
import { Protocol } from './protocol';
import { ContainerSpec, Resources, newDeployment, newPod, newService } from './workload';
import { SecurityProfile } from './security';
import { DEFAULT_RESOURCES, DEFAULT_SECURITY } from './defaults';
import type { ILab } from './routing';
import { checkImage } from './input';

/** A client's container; resources and security have lab defaults. */
export interface ClientContainer extends Omit<ContainerSpec, 'resources' | 'security'> {
  /** @default DEFAULT_RESOURCES */
  readonly resources?: Resources;
  /** @default DEFAULT_SECURITY */
  readonly security?: SecurityProfile;
}

export interface ClientProps {
  readonly container: ClientContainer;
  /**
   * A bare Pod named after the client, which the tutorials `kubectl exec` into by name, or a
   * Deployment of that name. @default 'pod'
   */
  readonly kind?: 'pod' | 'deployment';
  /**
   * A Service in front of the client, on this port of its container (older Istio needed a
   * Service for every meshed pod, and the flask tutorial keeps one). @default no Service
   */
  readonly servicePort?: number;
}

/**
 * A client workload: a pod labelled `{app, version: v1}` with its own ServiceAccount, from
 * which learners send requests into the mesh.
 */
export class Client extends FileConstruct {
  public readonly name: string;
  public readonly lab: ILab;
  /** Name of the client's ServiceAccount (its identity for authorization). */
  public readonly serviceAccountName: string;
  public readonly labels: Readonly<Record<string, string>>;
  private readonly _callees: MeshService[] = [];

  public constructor(lab: ILab, name: string, props: ClientProps) {
    checkImage(`client ${name}`, props.container.image);
    super(lab, lab.claimClientName(name), `${name}.yaml`);
    this.lab = lab;
    this.name = name;
    this.labels = { app: name, version: 'v1' };
    this.serviceAccountName = name;
    // No scenario changes a client's Kubernetes objects, so steps leave them out.
    if (!defersWorkloads(lab)) this.build(props);
    lab.registerClient(this);
  }

  /** Records the services learners call from this client (no object is written for it). */
  public calls(...services: MeshService[]): this {
    for (const s of services) if (!this._callees.includes(s)) this._callees.push(s);
    return this;
  }

  /** The services this client calls, in the order they were declared. */
  public get callees(): readonly MeshService[] {
    return this._callees;
  }

  private build(props: ClientProps): void {
    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name: this.serviceAccountName } });
    const ports = props.servicePort === undefined ? props.container.ports : [{ number: props.servicePort, name: Protocol.HTTP }];
    const container = {
      ...props.container,
      resources: props.container.resources ?? DEFAULT_RESOURCES,
      security: props.container.security ?? DEFAULT_SECURITY,
      ports,
    };
    const spec = { labels: this.labels, serviceAccount, containerName: this.name, container };
    if ((props.kind ?? 'pod') === 'pod') {
      newPod(this, 'Pod', this.name, spec);
    } else {
      newDeployment(this, 'Deployment', this.name, 1, spec);
    }
    if (props.servicePort !== undefined) {
      newService(this, 'Service', this.name, [{ name: Protocol.HTTP, port: props.servicePort }], { app: this.name });
    }
  }
}
