/** How many requests had some property. */
export interface Count {
  readonly name: string;
  readonly count: number;
}

/** A line under a hop; `count` is set when it holds for only some requests (it is shown as a share). */
export interface HopNote {
  readonly text: string;
  readonly count?: number;
}

/** One caller -> callee pair and what happened to the requests that took it. */
export interface Hop {
  readonly from: string;
  readonly to: string;
  /** Requests that reached this hop: every percentage of the hop is of these. */
  readonly reached: number;
  /** Requests that reached a pod of each version (those then denied there included). */
  readonly versions: readonly Count[];
  /** The same per pod, when some version has more than one. */
  readonly pods: readonly Count[];
  /** Requests that ended here, by what ended them: `aborted 503`, `denied 403`, `no route 404`... */
  readonly outcomes: readonly Count[];
  /** Requests delayed by a fault, by delay. */
  readonly delayed: readonly Count[];
  /** Requests copied by a mirror, by where the copy went. */
  readonly mirrored: readonly Count[];
  readonly notes: readonly HopNote[];
}

/**
 * One routing decision of a proxy on a hop, as the preview took it: who routes (the proxy's
 * kind, namespace and labels), the call it routes, the route it matched and what that route
 * does. The same for every request with the same key; verify:simulation compares each with
 * what Istio's own simulation finds in the configuration istiod generates.
 */
export interface RouteDecision {
  readonly from: string;
  readonly to: string;
  readonly proxy: { readonly kind: 'sidecar' | 'gateway' | 'waypoint'; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly call: { readonly host: string; readonly port: number; readonly path: string; readonly method: string; readonly headers: Readonly<Record<string, string>>; readonly tcp: boolean };
  /** The route matched: its object, its place there (from 1; per match, as Envoy has one route per match), and for a converted one its HTTPRoute rule. Undefined for the default route of a Service. */
  readonly route?: { readonly kind: string; readonly namespace: string; readonly name: string; readonly position: number; readonly rule?: { readonly route: string; readonly rule: number } };
  /** Where it sends, with the weights as written (one destination: 100). */
  readonly destinations: ReadonlyArray<{ readonly host: string; readonly subset?: string; readonly port?: number; readonly weight: number }>;
  /** The route's timeout in ms; 0 for none. */
  readonly timeoutMs: number;
  /** The retry policy Istio renders (its default when none is written); undefined when off. */
  readonly retry?: { readonly retries: number; readonly retryOn: readonly string[]; readonly perTryMs?: number };
  readonly fault?: { readonly delayMs?: number; readonly delayPercent: number; readonly abortStatus?: number; readonly abortPercent: number };
  readonly mirrors: ReadonlyArray<{ readonly host: string; readonly subset?: string; readonly percent: number }>;
  readonly redirect?: boolean;
  readonly directResponse?: number;
}

/** The preview's result: every hop in walk order and the statuses the senders got. */
export interface Explanation {
  readonly requests: number;
  readonly hops: readonly Hop[];
  /** Final statuses (`200`, `503`, `reset`...) over all requests. */
  readonly endToEnd: readonly Count[];
  /** Every routing decision taken, once each. */
  readonly decisions: readonly RouteDecision[];
}

/** Adds one to the count of `key`. */
export function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Orders hops by where the walk first took them: [route, destination] at the ingress, then callee positions. */
export function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}


/** The counts of one hop while the requests are walked. */
export class HopTally {
  public reached = 0;
  public readonly versions = new Map<string, number>();
  public readonly pods = new Map<string, number>();
  public readonly outcomes = new Map<string, number>();
  public readonly delayed = new Map<string, number>();
  public readonly mirrored = new Map<string, number>();
  private readonly notes = new Map<string, { rank: number; count: number; share: boolean }>();

  public constructor(public readonly from: string, public readonly to: string, public order: readonly number[]) {}

  /** Counts a note; `share` notes are shown with the share of requests they held for. */
  public note(rank: number, text: string, share = false): void {
    const n = this.notes.get(text);
    if (n) n.count++;
    else this.notes.set(text, { rank, count: 1, share });
  }

  public end(outcome: string, status: number): number {
    increment(this.outcomes, outcome);
    return status;
  }

  public result(): Hop {
    const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([name, count]) => ({ name, count }));
    const notes = [...this.notes.entries()]
      .sort(([ta, a], [tb, b]) => a.rank - b.rank || ta.localeCompare(tb, 'en', { numeric: true }))
      .map(([text, n]) => (n.share ? { text, count: n.count } : { text }));
    return {
      from: this.from,
      to: this.to,
      reached: this.reached,
      versions: sorted(this.versions),
      pods: this.pods.size > this.versions.size ? sorted(this.pods) : [],
      outcomes: sorted(this.outcomes),
      delayed: sorted(this.delayed),
      mirrored: sorted(this.mirrored),
      notes,
    };
  }
}

