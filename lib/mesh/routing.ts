import type { HTTPRouteDestination } from '../../imports/istio';
import type { IConstruct } from 'constructs';
import type { Destination, HostIntent, RouteIntent } from '../intent';

export { plainRoute } from './host-routing';

export { Match } from '../intent/match';
import type { Flavour } from './flavour';
import type { HostRouting } from './host-routing';
import type { Protocol } from './protocol';

/** Istio's Destination: a host, optionally a subset of it, and a port. */
export type DestinationSpec = NonNullable<HTTPRouteDestination['destination']>;

/**
 * Where a route sends traffic, however it is bound: a whole meshed service (every version),
 * one version of it (a subset), or a host outside the mesh (`ExternalHost`). Everything a
 * route writes about its destination (host as seen from the route's namespace, subset, port)
 * comes from here, so no scenario spells a host by hand.
 */
export interface IDestination {
  /** The meshed service whose routing applies to this destination; none for an external host. */
  readonly meshService?: IService;
  /** The subset, named after the version. @default every version */
  readonly subset?: string;
  /** Istio's destination, as written in an object in `namespace`. */
  destinationFrom(namespace: string): DestinationSpec;
  /** The destination as plain data, for the renderers. */
  readonly target: Destination;
}

/**
 * A version of a meshed service, as scenarios reference it: a destination (its subset) whose
 * pods carry `labels`, which a scenario may scale.
 */
export interface IVersion extends IDestination, IConstruct {
  /** The version's name, which is also its subset's. */
  readonly name: string;
  readonly subset: string;
  /** The service it is a version of. */
  readonly meshService: IService;
  /** The lab it belongs to. */
  readonly lab: ILab;
  /** The pod labels, which the Deployment selects and the subset matches. */
  readonly labels: Readonly<Record<string, string>>;
  /** Sets the number of pods of this version (0 or more). */
  scale(replicas: number): void;
}

/**
 * A meshed service, as scenarios reference it (AWS CDK's App Mesh references virtual nodes and
 * services through interfaces the same way): a destination (every version) with its routing,
 * port, versions and identity. `MeshService` implements it; a scenario takes an `IService`.
 */
export interface IService extends IDestination, IConstruct {
  /** The service's name: its Kubernetes Service, and the host its routes are for. */
  readonly name: string;
  /** The lab it belongs to. */
  readonly lab: ILab;
  /** The Service port callers use. */
  readonly port: number;
  /** What the port speaks. */
  readonly protocol: Protocol;
  /** Whether it takes HTTP routing (routes, faults, retries). */
  readonly isHttp: boolean;
  /** The `app` label of its pods. */
  readonly app: string;
  /** Name of its ServiceAccount (its identity for authorization). */
  readonly serviceAccountName: string;
  /** The routing intent of its host, which scenarios add to. */
  readonly routing: HostRouting;
  /** Its versions, in the order added. */
  readonly versions: readonly IVersion[];
  /** The version called `name`; the error lists the versions there are. */
  version(name: string): IVersion;
  /** The service itself. */
  readonly meshService: IService;
  /** Where traffic goes when no scenario says otherwise: the service, or its default version. */
  readonly defaultDestination: IDestination;
  /** Its host's routing intent, as the scenarios composed it (gateways that forward to it render it). */
  readonly intent: HostIntent;
}

/**
 * A host outside the mesh (registered with a ServiceEntry), bound as a destination the same
 * way a service or a version is.
 */
export class ExternalHost implements IDestination {
  /** A plain HTTP host. */
  public static http(host: string, port = 80): ExternalHost {
    return new ExternalHost(host, port, 'HTTP');
  }

  /** A host the application itself speaks TLS to (HTTPS), which the mesh passes through. */
  public static tls(host: string, port = 443): ExternalHost {
    return new ExternalHost(host, port, 'TLS');
  }

  private constructor(
    /** The DNS name. */
    public readonly host: string,
    public readonly port: number,
    /** HTTP for plain requests, TLS for HTTPS the application encrypts itself. */
    public readonly protocol: 'HTTP' | 'TLS',
  ) {}

  /** The ServiceEntry's port name (`http-80`, `tls-443`). */
  public get portName(): string {
    return `${this.protocol.toLowerCase()}-${this.port}`;
  }

  /** An external host is the same from every namespace. */
  public destinationFrom(): DestinationSpec {
    return { host: this.host, port: { number: this.port } };
  }

  public get target(): Destination {
    return { host: this.host, port: this.port };
  }
}

/** Renders a destination as seen from an object in `namespace`. */
export function renderDestination(destination: IDestination, namespace: string): DestinationSpec {
  return destination.destinationFrom(namespace);
}

/** One HTTP route: the requests it takes and where it sends them (routing intent, lib/intent), to destinations by reference. */
export type HttpRouteProps = RouteIntent<IDestination>;

/**
 * A lab, as the constructs in it reference it: its name, namespace and flavour, its services,
 * and where a service or client it holds signs in. `MeshLab` implements it; services, clients
 * and gateways take an `ILab`, so they need not import the lab that adds them.
 */
export interface ILab extends IConstruct {
  readonly name: string;
  readonly namespace: string;
  /** The routing API and data-plane mode, and every difference that follows from them. */
  readonly flavour: Flavour;
  /** The meshed services, in the order added. */
  readonly services: readonly IService[];
  /** A service's name, checked before its constructor builds anything: a DNS label, once per lab. @internal */
  claimServiceName(name: string): string;
  /** Called by a service's constructor once it is built, so it is in the lab. @internal */
  registerService(service: IService): void;
  /** A client's name, checked before its constructor builds anything: a DNS label. @internal */
  claimClientName(name: string): string;
  /** Called by a client's constructor once it is built, so it is in the lab. @internal */
  registerClient(client: IConstruct): void;
}

/** A workload with an identity: a service or a client, each with its own ServiceAccount. */
export interface Caller {
  readonly name: string;
  readonly lab: ILab;
  readonly serviceAccountName: string;
}

/** Who may call one service, and how: by reference (a service, callers), or by name as a preset writes it (AllowRuleSpec). */
export interface AllowRule<To = IService, From = Caller> {
  readonly to: To;
  /** Callers allowed. @default anyone (including the ingress gateway) */
  readonly from?: readonly From[];
  /** HTTP methods allowed. @default any */
  readonly methods?: readonly string[];
  /** Only requests whose header has one of these values (`*` as prefix or suffix wildcard). @default any */
  readonly header?: { readonly name: string; readonly values: readonly string[] };
}
