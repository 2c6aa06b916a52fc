import type { HTTPMatchRequest } from '../../imports/istio';
import { pathOnly, queryOf, HttpRequest, Source } from './request';
import { selects } from '../istio/resolve';
import { resolveGateway } from './cluster';
import { re2FullMatch } from '../istio/re2';

/** Istio's StringMatch: one of exact, prefix, regex. */
export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

/**
 * Whether a value satisfies a StringMatch, as Envoy's StringMatcher does (regex: RE2, whole
 * value). `ignoreCase` folds exact and prefix only: Envoy ignores case_sensitive for
 * safe_regex (route.v3.RouteMatch.case_sensitive), and Istio sets case_sensitive from
 * ignoreUriCase (istio/istio pilot/pkg/networking/core/route/route.go TranslateRouteMatch).
 * An absent value never satisfies it.
 */
export function matchString(m: StringMatch, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (m.exact !== undefined) return fold(value) === fold(m.exact);
  if (m.prefix !== undefined) return fold(value).startsWith(fold(m.prefix));
  if (m.regex !== undefined) return re2FullMatch(m.regex, value);
  return true;
}

/**
 * Istio renders an empty StringMatch (`{}`) and `regex: "*"` as Envoy's present_match: the
 * header or parameter is there, whatever its value (istio/istio
 * pilot/pkg/networking/core/route/route.go canBeConvertedToPresentMatch).
 */
export function isPresentMatch(m: StringMatch | undefined): boolean {
  return m === undefined || (m.exact === undefined && m.prefix === undefined && (m.regex === undefined || m.regex === '*'));
}

/** A header or query parameter condition: present_match, else the StringMatch on its value. */
function matchValue(m: StringMatch, value: string | undefined): boolean {
  return isPresentMatch(m) ? value !== undefined : matchString(m, value);
}

/** The proxy routes are built for: a sidecar (`mesh`) or a gateway, with its pod's labels and namespace, on a port. */
export interface Proxy {
  /** `mesh`, or `namespace/name` of the Gateway. */
  readonly gateway: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly port: number;
}

/**
 * Whether a match block is kept for this proxy: `port` must be the port listened on; with
 * `gateways`, one of them must be the proxy's and `sourceLabels` is not looked at; without,
 * `sourceLabels` must select the proxy's pod and `sourceNamespace` be its namespace
 * (istio/istio pilot/pkg/networking/core/route/route.go TranslateRoute, sourceMatchHTTP).
 */
export function keptFor(block: HTTPMatchRequest | undefined, vsNamespace: string, proxy: Proxy): boolean {
  if (!block) return true;
  if (block.port !== undefined && block.port !== 0 && block.port !== proxy.port) return false;
  if (block.gateways && block.gateways.length > 0) return block.gateways.some((g) => resolveGateway(g, vsNamespace) === proxy.gateway);
  return selects(block.sourceLabels, proxy.labels) && (!block.sourceNamespace || block.sourceNamespace === proxy.namespace);
}

/** `= v`, `prefix v`, `~ v` (regex), or `present`. */
export function describeString(m: StringMatch): string {
  if (m.exact !== undefined) return `= ${m.exact}`;
  if (m.prefix !== undefined) return `prefix ${m.prefix}`;
  if (m.regex !== undefined && m.regex !== '*') return `~ ${m.regex}`;
  return 'present';
}

/** Where a request is being matched: which proxy, which port, from whom. */
export interface MatchContext {
  readonly request: HttpRequest;
  /** `mesh` for a sidecar, `namespace/name` of the Gateway at the ingress gateway. */
  readonly gateway: string;
  /** Namespace of the VirtualService (gateway names in a match are relative to it). */
  readonly namespace: string;
  /** The port the request is sent to. */
  readonly port: number;
  readonly source: Source;
  /** The authority (host) the request is sent to, when known. */
  readonly authority: string | undefined;
  /**
   * Whether the routes come from the Gateway API (model.UseGatewaySemantics): a path prefix then
   * matches whole path segments, Envoy's path_separated_prefix (istio/istio
   * pilot/pkg/networking/core/route/route.go TranslateRouteMatch), so `/v1` matches `/v1/env` but not `/v10`.
   */
  readonly gatewaySemantics?: boolean;
}

/** Whether one match block matches, and the conditions that could not be evaluated offline. */
export interface MatchResult {
  readonly matched: boolean;
  /** The block that matched (undefined when the route has no match list). */
  readonly block?: HTTPMatchRequest;
  /** Conditions taken as matching because the preview cannot know them. */
  readonly assumed: readonly string[];
}

const MATCHES_ALL: MatchResult = { matched: true, assumed: [] };
const NO_MATCH: MatchResult = { matched: false, assumed: [] };

/**
 * One HTTPMatchRequest: every condition it names must hold. The uri's exact and regex
 * forms compare the path without the query string, the prefix form the whole request
 * path, as Envoy does.
 */
export function matchBlock(m: HTTPMatchRequest, ctx: MatchContext): MatchResult {
  const req = ctx.request;
  const assumed: string[] = [];
  // gateways, port, sourceLabels and sourceNamespace choose the routes a proxy gets at all (route.ts keptFor).
  if (!keptFor(m, ctx.namespace, { gateway: ctx.gateway, labels: ctx.source.labels, namespace: ctx.source.namespace, port: ctx.port })) return NO_MATCH;
  if (m.uri) {
    const uri = m.uri as StringMatch;
    if (ctx.gatewaySemantics && uri.prefix !== undefined && uri.prefix !== '/') {
      const path = pathOnly(req.path);
      const prefix = uri.prefix.endsWith('/') ? uri.prefix.slice(0, -1) : uri.prefix;
      if (path !== prefix && !path.startsWith(`${prefix}/`)) return NO_MATCH;
    } else {
      const value = uri.prefix !== undefined ? req.path : pathOnly(req.path);
      if (!matchString(uri, value, m.ignoreUriCase === true)) return NO_MATCH;
    }
  }
  if (m.method && !matchValue(m.method as StringMatch, req.method)) return NO_MATCH;
  if (m.scheme && !matchValue(m.scheme as StringMatch, 'http')) return NO_MATCH;
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    if (!matchValue(sm as StringMatch, req.headers.get(name.toLowerCase()))) return NO_MATCH;
  }
  // Istio inverts the header matcher and sets treat_missing_header_as_empty, except for a
  // present_match (route.go TranslateRouteMatch): a missing header is matched as "".
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    const value = req.headers.get(name.toLowerCase());
    const present = isPresentMatch(sm as StringMatch);
    if (present ? value !== undefined : matchString(sm as StringMatch, value ?? '')) return NO_MATCH;
  }
  if (m.queryParams) {
    const query = queryOf(req.path);
    for (const [name, sm] of Object.entries(m.queryParams)) {
      if (!matchValue(sm as StringMatch, query.get(name))) return NO_MATCH;
    }
  }
  if (m.authority) {
    if (ctx.authority === undefined) assumed.push(`authority ${describeString(m.authority as StringMatch)}`);
    else if (!matchValue(m.authority as StringMatch, ctx.authority)) return NO_MATCH;
  }
  return { matched: true, block: m, assumed };
}

/** A route's match list: no list matches every request; blocks are alternatives (OR). */
export function matchRoute(match: readonly HTTPMatchRequest[] | undefined, ctx: MatchContext): MatchResult {
  if (!match || match.length === 0) return MATCHES_ALL;
  for (const block of match) {
    const result = matchBlock(block, ctx);
    if (result.matched) return result;
  }
  return NO_MATCH;
}

/** A match list for a reader: `uri prefix /fft or uri = /metrics`, or `every request`. */
export function describeMatch(match: readonly HTTPMatchRequest[] | undefined): string {
  if (!match || match.length === 0) return 'every request';
  return match.map(describeBlock).join(' or ');
}

function describeBlock(m: HTTPMatchRequest): string {
  const parts: string[] = [];
  const each = (what: string, map: Record<string, unknown> | undefined) => {
    for (const [name, sm] of Object.entries(map ?? {})) parts.push(`${what} ${name} ${describeString(sm as StringMatch)}`);
  };
  if (m.uri) parts.push(`uri ${describeString(m.uri as StringMatch)}${m.ignoreUriCase ? ' (any case)' : ''}`);
  if (m.method) parts.push(`method ${describeString(m.method as StringMatch)}`);
  each('headers', m.headers);
  each('without header', m.withoutHeaders);
  each('query', m.queryParams);
  if (m.authority) parts.push(`authority ${describeString(m.authority as StringMatch)}`);
  if (m.scheme) parts.push(`scheme ${describeString(m.scheme as StringMatch)}`);
  if (m.port !== undefined) parts.push(`port ${m.port}`);
  if (m.sourceLabels) parts.push(`source ${Object.entries(m.sourceLabels).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (m.sourceNamespace) parts.push(`source namespace ${m.sourceNamespace}`);
  if (m.gateways) parts.push(`gateways ${m.gateways.join(',')}`);
  return parts.length === 0 ? 'every request' : parts.join(' and ');
}
