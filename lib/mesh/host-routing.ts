import type { HTTPRoute, TrafficPolicy } from '../../imports/istio';
import { MeshlabError } from '../errors';
import { Destination, HttpRouteProps, renderDestination, renderHttpRoute } from './routing';

/** Settings that apply to every HTTP route of a host; a dot nests (`fault.abort` is `fault: { abort }`). */
export type RouteSetting = 'fault.abort' | 'fault.delay' | 'timeout' | 'retries' | 'headers' | 'corsPolicy';

/** What the catch-all route of a host does besides choosing destinations. */
export interface Mirror {
  readonly destination: Destination;
  /** Percent of requests copied. */
  readonly percent: number;
}

interface Owned<T> {
  readonly owner: string;
  readonly value: T;
}

/**
 * The routing of one host, which scenarios compose into its single VirtualService and
 * DestinationRule. Each part (the catch-all destinations, a route setting, a traffic
 * policy field) has one owner; a second scenario claiming it is a conflict naming both.
 * Routes with a match come first, in the order added; the catch-all comes last.
 */
export class HostRouting {
  private catchAll: Owned<HttpRouteProps> | undefined;
  private fallback: Owned<HttpRouteProps> | undefined;
  private mirror: Owned<Mirror> | undefined;
  private readonly matched: Array<Owned<HttpRouteProps>> = [];
  private readonly settings = new Map<RouteSetting, Owned<unknown>>();
  private readonly policy = new Map<keyof TrafficPolicy, Owned<unknown>>();
  private readonly subsetPolicy = new Map<string, Owned<TrafficPolicy>>();

  public constructor(private readonly host: string) {}

  private claim<K, V>(map: Map<K, Owned<V>>, key: K, owner: string, value: V, what: string): void {
    const held = map.get(key);
    if (held && held.owner !== owner) {
      throw new MeshlabError(`scenarios ${held.owner} and ${owner} both set the ${what} of ${this.host}; switch one of them off`);
    }
    map.set(key, { owner, value });
  }

  /** Sets where requests that match no other route go (every version by default). */
  public setCatchAll(owner: string, route: HttpRouteProps): void {
    if (this.catchAll && this.catchAll.owner !== owner) {
      throw new MeshlabError(`scenarios ${this.catchAll.owner} and ${owner} both set the routes of ${this.host}; switch one of them off`);
    }
    this.catchAll = { owner, value: route };
  }

  /**
   * Sets where unmatched requests go unless another scenario sets the catch-all (a header
   * route's "everyone else" yields to a canary split, for instance).
   */
  public setFallback(owner: string, route: HttpRouteProps): void {
    this.fallback = { owner, value: route };
  }

  /** Copies the catch-all route's requests to another destination. */
  public setMirror(owner: string, mirror: Mirror): void {
    if (this.mirror && this.mirror.owner !== owner) {
      throw new MeshlabError(`scenarios ${this.mirror.owner} and ${owner} both mirror ${this.host}; switch one of them off`);
    }
    this.mirror = { owner, value: mirror };
  }

  /** Adds a route for matching requests, tried before the catch-all. */
  public addMatchRoute(owner: string, route: HttpRouteProps): void {
    if (!route.match?.length) throw new Error('a match route needs a match');
    this.matched.push({ owner, value: route });
  }

  /** Sets one field on every HTTP route of the host. */
  public setRouteSetting(owner: string, setting: RouteSetting, value: unknown): void {
    this.claim(this.settings, setting, owner, value, setting);
  }

  /** Sets one field of the DestinationRule's traffic policy. */
  public setTrafficPolicy<K extends keyof TrafficPolicy>(owner: string, field: K, value: TrafficPolicy[K]): void {
    this.claim(this.policy, field, owner, value, `traffic policy ${field}`);
  }

  /** Sets the traffic policy of one subset. */
  public setSubsetPolicy(owner: string, subset: string, policy: TrafficPolicy): void {
    this.claim(this.subsetPolicy, subset, owner, policy, `traffic policy of subset ${subset}`);
  }

  /** The HTTP routes, rendered as seen from `namespace`. */
  public renderHttp(namespace: string, everyVersion: Destination): HTTPRoute[] {
    const decorate = (route: HTTPRoute): HTTPRoute => {
      if (route.redirect) return route; // a redirect answers itself: faults, retries and timeouts do not apply
      const extra: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const [setting, owned] of this.settings) {
        const [field, nested] = setting.split('.');
        if (nested === undefined) extra[field] = owned.value;
        else extra[field] = { ...extra[field], [nested]: owned.value };
      }
      return { ...route, ...extra };
    };
    const catchAll = renderHttpRoute((this.catchAll ?? this.fallback)?.value ?? { to: [{ destination: everyVersion }] }, namespace);
    const mirror = this.mirror?.value;
    const last = mirror
      ? { ...catchAll, mirror: renderDestination(mirror.destination, namespace), mirrorPercentage: { value: mirror.percent } }
      : catchAll;
    return [...this.matched.map((m) => renderHttpRoute(m.value, namespace)), last].map(decorate);
  }

  /** The host-level traffic policy, if any scenario set one. */
  public renderTrafficPolicy(): TrafficPolicy | undefined {
    if (this.policy.size === 0) return undefined;
    return Object.fromEntries([...this.policy].map(([k, v]) => [k, v.value])) as TrafficPolicy;
  }

  /** The traffic policy of one subset, if any. */
  public subsetTrafficPolicy(subset: string): TrafficPolicy | undefined {
    return this.subsetPolicy.get(subset)?.value;
  }

  /** Forgets everything scenarios set (the host routes to its default again). */
  public clear(): void {
    this.catchAll = undefined;
    this.fallback = undefined;
    this.mirror = undefined;
    this.matched.length = 0;
    this.settings.clear();
    this.policy.clear();
    this.subsetPolicy.clear();
  }

  /** True when any scenario set anything on this host. */
  public get touched(): boolean {
    return this.catchAll !== undefined || this.fallback !== undefined || this.mirror !== undefined || this.matched.length > 0
      || this.settings.size > 0 || this.policy.size > 0 || this.subsetPolicy.size > 0;
  }
}
