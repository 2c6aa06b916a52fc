import { Manifest } from '../validate/manifest';
import { AuthorizationRule as Rule, authorizationPolicy, targetRefs } from '../validate/views';
import { GATEWAY_API_GROUP, WAYPOINT_GATEWAY_CLASS } from '../istio/gateway-api';
import { selects } from '../istio/resolve';
import { Cluster, Pod, ROOT_NAMESPACE } from './cluster';
import { HttpRequest, pathOnly, Source } from './request';

type SourceRule = NonNullable<NonNullable<Rule['from']>[number]['source']>;
type Operation = NonNullable<NonNullable<Rule['to']>[number]['operation']>;
type Condition = NonNullable<Rule['when']>[number];

/** What the destination's sidecar knows about a request when it authorizes it. */
export interface AuthzRequest {
  readonly source: Source;
  readonly request: HttpRequest;
  /** The workload port the request arrives on. */
  readonly port: number;
  /** The request's `:authority`, as the caller sent it (`reviews:9080`). */
  readonly authority: string;
  /** Whether the port is a TCP port, where istiod builds the TCP RBAC filter (no HTTP attributes). */
  readonly tcp?: boolean;
  /** Whether the request carries a token a RequestAuthentication would read. */
  readonly hasToken: boolean;
}

/** The outcome of the AuthorizationPolicies at one pod. */
export interface AuthzDecision {
  readonly allowed: boolean;
  /** Which policy decided, for a reader; undefined when no policy applies. */
  readonly reason?: string;
  /** Conditions taken as matching because the preview cannot know them. */
  readonly assumed: readonly string[];
}

/**
 * The AuthorizationPolicies a pod's own sidecar, or in ambient mode ztunnel on its node,
 * applies: its namespace's and the root namespace's, by selector. A policy with targetRefs is
 * not a workload's (istio/istio pilot/pkg/model/policyattachment.go ShouldAttachPolicy: "if
 * targetRef is specified, ignore the policy altogether"): a gateway or a waypoint applies it.
 */
export function policiesFor(cluster: Cluster, pod: Pod): Manifest[] {
  return cluster.authorizationPolicies.filter((p) => {
    const ns = p.metadata.namespace ?? 'default';
    const view = authorizationPolicy(p);
    return view.targetRefs.length === 0 && (ns === pod.namespace || ns === ROOT_NAMESPACE) && selects(view.selector, pod.labels);
  });
}

/**
 * The policies of `kind` a waypoint applies to a request for `service`, as ShouldAttachPolicy
 * attaches them to a waypoint (never by selector): those of the Service's namespace with the
 * Service (or the ServiceEntry, for a host outside the mesh) in targetRefs, those of the waypoint's namespace with the waypoint's Gateway, and
 * those of the root namespace with the GatewayClass istio-waypoint.
 */
export function waypointPoliciesFor(policies: readonly Manifest[], waypoint: Manifest, service: { readonly name: string; readonly namespace: string; readonly kind?: 'Service' | 'ServiceEntry' }): Manifest[] {
  const waypointNs = waypoint.metadata.namespace ?? 'default';
  const [group, kind] = service.kind === 'ServiceEntry' ? ['networking.istio.io', 'ServiceEntry'] : ['', 'Service'];
  return policies.filter((p) => {
    const ns = p.metadata.namespace ?? 'default';
    return targetRefs(p).some((r) =>
      (r.group === group && r.kind === kind && r.name === service.name && ns === service.namespace)
      || (r.group === GATEWAY_API_GROUP && r.kind === 'Gateway' && r.name === waypoint.metadata.name && ns === waypointNs)
      || (r.group === GATEWAY_API_GROUP && r.kind === 'GatewayClass' && r.name === WAYPOINT_GATEWAY_CLASS && ns === ROOT_NAMESPACE));
  });
}

/**
 * The policies a gateway Istio deploys for a Gateway API Gateway applies besides the selector
 * ones (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY, on by default): those of its namespace with
 * the Gateway in targetRefs (policyattachment.go ShouldAttachPolicy, "Gateway attached").
 */
export function gatewayPoliciesFor(policies: readonly Manifest[], gateway: Manifest): Manifest[] {
  const ns = gateway.metadata.namespace ?? 'default';
  return policies.filter((p) => (p.metadata.namespace ?? 'default') === ns
    && targetRefs(p).some((r) => r.group === GATEWAY_API_GROUP && r.kind === 'Gateway' && r.name === gateway.metadata.name));
}

/**
 * Istio's value patterns: exact, `prefix*`, `*suffix`, or `*` (any non-empty value)
 * (istio/istio pilot/pkg/security/authz/matcher/string.go StringMatcherWithPrefix);
 * `ignoreCase` for hosts (matcher/header.go HostMatcher).
 */
function matchValue(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const v = ignoreCase ? value.toLowerCase() : value;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === '*') return v !== '' || ignoreCase;
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

/** One path segment and any rest of a path, as Envoy's URI template matcher turns `*` and `**` into RE2 (envoyproxy/envoy source/extensions/path/uri_template_lib/uri_template_internal.cc toRegexPattern). */
const SEGMENT = "[a-zA-Z0-9._~%!$&'()+,;:@=-]+";
const REST = "[a-zA-Z0-9._~%!$&'()+,;:@=/-]*";

/**
 * A path pattern: a template with `{*}` (one segment) or `{**}` (the rest, slashes included),
 * which Istio renders as Envoy's uri_template matcher (istio/istio
 * pilot/pkg/security/authz/matcher/template.go; model/generator.go pathGenerator), else
 * Istio's value pattern.
 */
function matchPath(pattern: string, path: string): boolean {
  if (!pattern.includes('{*}') && !pattern.includes('{**}')) return matchValue(pattern, path);
  const source = pattern.split(/(\{\*\*\}|\{\*\})/).map((part) => (part === '{**}' ? REST : part === '{*}' ? SEGMENT : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(path);
}

/** `values` (any must match) and `notValues` (none may) of one field; absent lists impose nothing. */
function field(values: readonly string[] | undefined, notValues: readonly string[] | undefined, value: string | undefined, match = matchValue): boolean {
  if (values && !values.some((v) => match(v, value))) return false;
  if (notValues && notValues.some((v) => match(v, value))) return false;
  return true;
}

const hostMatch = (pattern: string, value: string | undefined) => matchValue(pattern, value, true);
const pathMatch = (pattern: string, value: string | undefined) => value !== undefined && matchPath(pattern, value);

/**
 * The HTTP-only attributes a rule names: on a TCP port istiod cannot build them
 * (istio/istio pilot/pkg/security/authz/model/generator.go: "is HTTP only"), and
 * model.go checkError then drops the whole rule of an ALLOW policy (fewer requests
 * allowed) but only the attribute of a DENY policy (more requests denied).
 */
export function httpOnlyFields(rule: Rule): string[] {
  const out = new Set<string>();
  for (const t of rule.to ?? []) {
    const o = t.operation ?? {};
    for (const k of ['hosts', 'notHosts', 'paths', 'notPaths', 'methods', 'notMethods'] as const) if (o[k]) out.add(k);
  }
  for (const f of rule.from ?? []) {
    const s = f.source ?? {};
    if (s.requestPrincipals) out.add('requestPrincipals');
    if (s.notRequestPrincipals) out.add('notRequestPrincipals');
  }
  for (const c of rule.when ?? []) if ((c.key ?? '').startsWith('request.')) out.add(c.key!);
  return [...out];
}

class RuleEvaluator {
  public readonly assumed: string[] = [];

  /** On a TCP port, HTTP-only attributes are left out (what istiod does for a DENY rule). */
  private readonly tcp: boolean;

  public constructor(private readonly req: AuthzRequest) {
    this.tcp = req.tcp === true;
  }

  public rule(rule: Rule): boolean {
    if (rule.from?.length && !rule.from.some((f) => this.source(f.source ?? {}))) return false;
    if (rule.to?.length && !rule.to.some((t) => this.operation(t.operation ?? {}))) return false;
    return (rule.when ?? []).every((c) => this.condition(c));
  }

  private assume(what: string): boolean {
    if (!this.assumed.includes(what)) this.assumed.push(what);
    return true;
  }

  private source(s: SourceRule): boolean {
    const { source, hasToken } = this.req;
    const namespace = source.principal ? source.namespace : undefined;
    if (!field(s.principals, s.notPrincipals, source.principal)) return false;
    if (!field(s.namespaces, s.notNamespaces, namespace)) return false;
    if (!this.tcp && (s.requestPrincipals || s.notRequestPrincipals)) {
      if (!hasToken) return field(s.requestPrincipals, s.notRequestPrincipals, undefined);
      this.assume('requestPrincipals (the token is taken as valid)');
    }
    if (s.ipBlocks || s.notIpBlocks || s.remoteIpBlocks || s.notRemoteIpBlocks) this.assume('ipBlocks (pod addresses are not known)');
    return true;
  }

  private operation(o: Operation): boolean {
    const { request, port, authority } = this.req;
    if (!field(o.ports, o.notPorts, String(port))) return false;
    if (this.tcp) return true;
    if (!field(o.methods, o.notMethods, request.method)) return false;
    if (!field(o.paths, o.notPaths, pathOnly(request.path), pathMatch)) return false;
    // `hosts` match the `:authority` header as sent, port included (matcher/header.go HostMatcher).
    return field(o.hosts, o.notHosts, authority, hostMatch);
  }

  private condition(c: Condition): boolean {
    const { request, source, port, hasToken } = this.req;
    const key = c.key ?? '';
    if (this.tcp && key.startsWith('request.')) return true;
    const header = /^request\.headers\[(.+)\]$/.exec(key);
    let value: string | undefined;
    if (header) value = request.headers.get(header[1].toLowerCase());
    else if (key === 'source.principal') value = source.principal;
    else if (key === 'source.namespace') value = source.principal ? source.namespace : undefined;
    else if (key === 'destination.port') value = String(port);
    else if (key.startsWith('request.auth.') && !hasToken) value = undefined;
    else return this.assume(`when ${key}`);
    return field(c.values, c.notValues, value);
  }
}

/**
 * Istio's order: CUSTOM (not evaluated here), then DENY (any matching rule denies), then
 * ALLOW (when any ALLOW policy applies, a rule of one must match; a policy without rules
 * matches nothing). No policy: allowed.
 */
export function authorize(policies: readonly Manifest[], req: AuthzRequest): AuthzDecision {
  const evaluator = new RuleEvaluator(req);
  // Each policy read once per request (explain authorizes every request of a run).
  const views = new Map(policies.map((p) => [p, authorizationPolicy(p)]));
  const ACTION = (p: Manifest) => views.get(p)!.action;
  const dropped = (p: Manifest, r: Rule) => req.tcp === true && ACTION(p) === 'ALLOW' && httpOnlyFields(r).length > 0;
  const matchingRule = (p: Manifest) => views.get(p)!.rules.findIndex((r) => !dropped(p, r) && evaluator.rule(r));
  const custom = policies.filter((p) => ACTION(p) === 'CUSTOM').map((p) => p.metadata.name);
  if (custom.length > 0) evaluator.assumed.push(`CUSTOM policy ${custom.join(', ')} (an external authorizer) allows`);
  for (const p of policies.filter((x) => ACTION(x) === 'DENY')) {
    const i = matchingRule(p);
    if (i >= 0) return { allowed: false, reason: `denied by AuthorizationPolicy ${p.metadata.name} (DENY, rule ${i + 1})`, assumed: evaluator.assumed };
  }
  const allow = policies.filter((p) => ACTION(p) === 'ALLOW');
  if (allow.length === 0) return { allowed: true, assumed: evaluator.assumed };
  for (const p of allow) {
    const i = matchingRule(p);
    if (i >= 0) return { allowed: true, reason: `allowed by AuthorizationPolicy ${p.metadata.name} (rule ${i + 1})`, assumed: evaluator.assumed };
  }
  const droppedRules = allow.flatMap((p) => views.get(p)!.rules.filter((r) => dropped(p, r)).map(() => p.metadata.name));
  const why = droppedRules.length > 0 ? ` (on this TCP port istiod drops the rules of ${[...new Set(droppedRules)].join(', ')} that use HTTP-only fields)` : '';
  return { allowed: false, reason: `denied: no rule of the ALLOW policies ${allow.map((p) => p.metadata.name).join(', ')} matches${why}`, assumed: evaluator.assumed };
}
