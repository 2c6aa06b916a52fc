import { MeshlabError } from '../errors';
import type { HostIntent, MirrorIntent, RouteIntent, RouteSettings, SubsetPolicyIntent, TrafficPolicyIntent } from '../intent';
import type { Destination } from '../intent';

/** A destination the model binds by reference (a service, a version, an external host), with its plain form. */
export interface BoundDestination {
  /** The destination as plain data, for the renderers. */
  readonly target: Destination;
}

/** A route whose destinations are references, as the renderers take it: plain data. */
export function plainRoute(route: RouteIntent<BoundDestination>): RouteIntent {
  return { ...route, to: route.to?.map((t) => ({ ...t, destination: t.destination.target })) };
}

interface Owned<T> {
  /** The scenario construct (its node.path) that set it. */
  readonly owner: string;
  readonly value: T;
}

/** How a conflict names a route setting: Istio's field. */
const SETTING_NAMES: Record<keyof RouteSettings, string> = {
  abort: 'fault.abort', delay: 'fault.delay', timeout: 'timeout', retries: 'retries', headers: 'headers', cors: 'corsPolicy',
};

/**
 * The routing of one host as scenarios compose it, into the intent (lib/intent/index.ts) its
 * renderers read. Each part (the catch-all destinations, a route setting, a traffic policy
 * field) has one owner; a second scenario claiming it is a conflict naming both by path.
 * Routes with a match come first, in the order added; the catch-all comes last.
 */
export class HostRouting {
  private catchAll: Owned<RouteIntent<BoundDestination>> | undefined;
  private fallback: Owned<RouteIntent<BoundDestination>> | undefined;
  private mirror: Owned<MirrorIntent<BoundDestination>> | undefined;
  private readonly matched: Array<Owned<RouteIntent<BoundDestination>>> = [];
  private readonly settings = new Map<keyof RouteSettings, Owned<unknown>>();
  private readonly policy = new Map<keyof TrafficPolicyIntent, Owned<unknown>>();
  private readonly subsetPolicy = new Map<string, Owned<SubsetPolicyIntent>>();

  public constructor(private readonly host: string) {}

  private claim<K, V>(map: Map<K, Owned<V>>, key: K, owner: string, value: V, what: string): void {
    const held = map.get(key);
    if (held && held.owner !== owner) {
      throw new MeshlabError(`scenarios ${held.owner} and ${owner} both set the ${what} of ${this.host}; switch one of them off`);
    }
    map.set(key, { owner, value });
  }

  /** Sets where requests that match no other route go (every version by default). */
  public setCatchAll(owner: string, route: RouteIntent<BoundDestination>): void {
    if (this.catchAll && this.catchAll.owner !== owner) {
      throw new MeshlabError(`scenarios ${this.catchAll.owner} and ${owner} both set the routes of ${this.host}; switch one of them off`);
    }
    this.catchAll = { owner, value: route };
  }

  /**
   * Sets where unmatched requests go unless another scenario sets the catch-all (a header
   * route's "everyone else" yields to a canary split, for instance).
   */
  public setFallback(owner: string, route: RouteIntent<BoundDestination>): void {
    this.fallback = { owner, value: route };
  }

  /** Copies the catch-all route's requests to another destination. */
  public setMirror(owner: string, mirror: MirrorIntent<BoundDestination>): void {
    if (this.mirror && this.mirror.owner !== owner) {
      throw new MeshlabError(`scenarios ${this.mirror.owner} and ${owner} both mirror ${this.host}; switch one of them off`);
    }
    this.mirror = { owner, value: mirror };
  }

  /** Adds a route for matching requests, tried before the catch-all. */
  public addMatchRoute(owner: string, route: RouteIntent<BoundDestination>): void {
    if (!route.match?.length) throw new Error('a match route needs a match');
    this.matched.push({ owner, value: route });
  }

  /** Sets one setting of every forwarding route of the host. */
  public setRouteSetting<K extends keyof RouteSettings>(owner: string, setting: K, value: NonNullable<RouteSettings[K]>): void {
    this.claim(this.settings, setting, owner, value, SETTING_NAMES[setting]);
  }

  /** Sets one field of the host's traffic policy. */
  public setTrafficPolicy<K extends keyof TrafficPolicyIntent>(owner: string, field: K, value: NonNullable<TrafficPolicyIntent[K]>): void {
    this.claim(this.policy, field, owner, value, `traffic policy ${field}`);
  }

  /** Sets the traffic policy of one subset. */
  public setSubsetPolicy(owner: string, subset: string, policy: SubsetPolicyIntent): void {
    this.claim(this.subsetPolicy, subset, owner, policy, `traffic policy of subset ${subset}`);
  }

  /** The host's routing intent; requests no scenario routes go to `everyVersion`. */
  public intent(everyVersion: BoundDestination): HostIntent {
    const catchAll = (this.catchAll ?? this.fallback)?.value ?? { to: [{ destination: everyVersion }] };
    const mirror = this.mirror?.value;
    return {
      routes: [...this.matched.map((m) => m.value), catchAll].map(plainRoute),
      settings: Object.fromEntries([...this.settings].map(([k, v]) => [k, v.value])) as RouteSettings,
      mirror: mirror && { ...mirror, destination: mirror.destination.target },
      policy: Object.fromEntries([...this.policy].map(([k, v]) => [k, v.value])) as TrafficPolicyIntent,
      subsetPolicies: new Map([...this.subsetPolicy].map(([k, v]) => [k, v.value])),
    };
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
