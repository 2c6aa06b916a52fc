/** One HTTP request as a hop sees it. Header names are lower case, as Envoy sees them. */
export interface HttpRequest {
  readonly method: string;
  /** The path with its query string, as on the request line. */
  readonly path: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** The path without its query string. */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

/**
 * The query parameters of a path. A repeated name keeps its first value, the one Envoy's
 * query_parameters matcher and hash policy read (Envoy's Utility::QueryParamsMulti, first value).
 */
export function queryOf(path: string): Map<string, string> {
  const q = path.indexOf('?');
  const params = new Map<string, string>();
  if (q < 0) return params;
  for (const pair of path.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (!params.has(name)) params.set(name, decode(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return params;
}

/** The workload a request comes from, as the destination's sidecar sees it. */
export interface Source {
  /** The name the report uses: `ingress`, a service or a client. */
  readonly name: string;
  readonly namespace: string;
  /** Labels of the sending pod (what `sourceLabels` matches). */
  readonly labels: Readonly<Record<string, string>>;
  /** Whether a sidecar sends the request (else no VirtualService applies and it is plain text). */
  readonly sidecar: boolean;
  /** Whether ztunnel captures the sending pod (ambient mode): routes then apply only at a waypoint. */
  readonly ambient?: boolean;
  /** Its mTLS identity; undefined when it sends plain text. */
  readonly principal: string | undefined;
  /** Name of the sending pod, for consistent hashing on the source IP. */
  readonly pod: string;
  /** The proxy that routes what it sends when it is no sidecar: a gateway, or a waypoint. @default a sidecar (or none) */
  readonly proxy?: 'gateway' | 'waypoint';
}
