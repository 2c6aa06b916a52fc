import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from '../../imports/istio';
import type { MeshService } from './service';

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
  readonly meshService?: MeshService;
  /** The subset, named after the version. @default every version */
  readonly subset?: string;
  /** Istio's destination, as written in an object in `namespace`. */
  destinationFrom(namespace: string): DestinationSpec;
}

/** @deprecated use IDestination */
export type Destination = IDestination;

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
}

/** Renders a destination as seen from an object in `namespace`. */
export function renderDestination(destination: IDestination, namespace: string): DestinationSpec {
  return destination.destinationFrom(namespace);
}

/** A condition on a request; several in one route must all hold. */
export class Match {
  /** The path starts with `prefix`. */
  public static prefix(prefix: string): Match {
    return new Match({ uri: { prefix } }, `path starts with ${prefix}`);
  }

  /** The path is exactly `path`. */
  public static exact(path: string): Match {
    return new Match({ uri: { exact: path } }, `path is ${path}`);
  }

  /** Header `name` matches the RE2 regular expression `regex` (header names are lower-cased by Envoy). */
  public static header(name: string, regex: string): Match {
    return new Match({ headers: { [name.toLowerCase()]: { regex } } }, `${name.toLowerCase()} matches ${regex}`);
  }

  private constructor(
    private readonly request: HTTPMatchRequest,
    /** A reader's description, for guides and errors. */
    public readonly description: string,
  ) {}

  /** Istio's HTTPMatchRequest. */
  public render(): HTTPMatchRequest {
    return this.request;
  }
}

/** One HTTP route: the requests it takes and where it sends them. */
export interface HttpRouteProps {
  /** Alternatives (any one matching selects the route). @default every request */
  readonly match?: readonly Match[];
  /** Destinations with their weights (percent; must add up to 100 when more than one). @default none: only with `redirect` */
  readonly to?: ReadonlyArray<{ readonly destination: IDestination; readonly weight?: number }>;
  /** Replaces the matched path prefix with this one before forwarding. @default path unchanged */
  readonly rewrite?: string;
  /** Answers with a redirect to this path instead of forwarding. @default forward */
  readonly redirect?: string;
}

/** Renders an HTTP route as seen from an object in `namespace`. */
export function renderHttpRoute(route: HttpRouteProps, namespace: string): HTTPRoute {
  return {
    match: route.match?.length ? route.match.map((m) => m.render()) : undefined,
    rewrite: route.rewrite === undefined ? undefined : { uri: route.rewrite },
    redirect: route.redirect === undefined ? undefined : { uri: route.redirect },
    route: route.to?.map((t) => ({
      destination: renderDestination(t.destination, namespace),
      weight: route.to!.length > 1 ? t.weight : undefined,
    })),
  };
}
