import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from '../../imports/istio';
import type { MeshService } from './service';

/** Where a route sends traffic: a whole service (every version) or one version of it (a subset). */
export interface Destination {
  /** The service whose host receives the traffic. */
  readonly meshService: MeshService;
  /** The subset, named after the version. @default every version */
  readonly subset?: string;
}

/** Renders a destination as seen from an object in `namespace`. */
export function renderDestination(destination: Destination, namespace: string): HTTPRouteDestination['destination'] {
  const service = destination.meshService;
  return { host: service.hostFrom(namespace), subset: destination.subset, port: { number: service.port } };
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
  readonly to?: ReadonlyArray<{ readonly destination: Destination; readonly weight?: number }>;
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
