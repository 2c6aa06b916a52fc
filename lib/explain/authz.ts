import type { AuthorizationPolicySpec } from '../../imports/istio';
import { Manifest } from '../validate/manifest';
import { selects } from '../istio/resolve';
import { Cluster, Pod, ROOT_NAMESPACE } from './cluster';
import { HttpRequest, pathOnly, Source } from './request';

type Rule = NonNullable<AuthorizationPolicySpec['rules']>[number];
type SourceRule = NonNullable<NonNullable<Rule['from']>[number]['source']>;
type Operation = NonNullable<NonNullable<Rule['to']>[number]['operation']>;
type Condition = NonNullable<Rule['when']>[number];

/** What the destination's sidecar knows about a request when it authorizes it. */
export interface AuthzRequest {
  readonly source: Source;
  readonly request: HttpRequest;
  /** The workload port the request arrives on. */
  readonly port: number;
  /** Names the request's host may have (short name, FQDN), lower case. */
  readonly hosts: readonly string[];
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

/** The AuthorizationPolicies that apply to a pod: its namespace's and the root namespace's, by selector. */
export function policiesFor(cluster: Cluster, pod: Pod): Manifest[] {
  return cluster.authorizationPolicies.filter((p) => {
    const ns = p.metadata.namespace ?? 'default';
    return (ns === pod.namespace || ns === ROOT_NAMESPACE) && selects(p.spec?.selector?.matchLabels, pod.labels);
  });
}

/** Istio's value patterns: exact, `prefix*`, `*suffix`, or `*` (any value that is present). */
function matchValue(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/** `values` (any must match) and `notValues` (none may) of one field; absent lists impose nothing. */
function field(values: readonly string[] | undefined, notValues: readonly string[] | undefined, value: string | undefined): boolean {
  if (values && !values.some((v) => matchValue(v, value))) return false;
  if (notValues && notValues.some((v) => matchValue(v, value))) return false;
  return true;
}

class RuleEvaluator {
  public readonly assumed: string[] = [];

  public constructor(private readonly req: AuthzRequest) {}

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
    if (s.requestPrincipals || s.notRequestPrincipals) {
      if (!hasToken) return field(s.requestPrincipals, s.notRequestPrincipals, undefined);
      this.assume('requestPrincipals (the token is taken as valid)');
    }
    if (s.ipBlocks || s.notIpBlocks || s.remoteIpBlocks || s.notRemoteIpBlocks) this.assume('ipBlocks (pod addresses are not known)');
    return true;
  }

  private operation(o: Operation): boolean {
    const { request, port, hosts } = this.req;
    const path = pathOnly(request.path);
    if (!field(o.methods, o.notMethods, request.method)) return false;
    if (!field(o.paths, o.notPaths, path)) return false;
    if (!field(o.ports, o.notPorts, String(port))) return false;
    if (o.hosts && !hosts.some((h) => field(o.hosts!.map((x) => x.toLowerCase()), undefined, h))) return false;
    if (o.notHosts && hosts.some((h) => o.notHosts!.some((x) => matchValue(x.toLowerCase(), h)))) return false;
    return true;
  }

  private condition(c: Condition): boolean {
    const { request, source, port, hasToken } = this.req;
    const key = c.key ?? '';
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

const ACTION = (p: Manifest) => (p.spec?.action ?? 'ALLOW') as string;

/**
 * Istio's order: CUSTOM (not evaluated here), then DENY (any matching rule denies), then
 * ALLOW (when any ALLOW policy applies, a rule of one must match; a policy without rules
 * matches nothing). No policy: allowed.
 */
export function authorize(policies: readonly Manifest[], req: AuthzRequest): AuthzDecision {
  const evaluator = new RuleEvaluator(req);
  const matchingRule = (p: Manifest) => ((p.spec?.rules ?? []) as Rule[]).findIndex((r) => evaluator.rule(r));
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
  return { allowed: false, reason: `denied: no rule of the ALLOW policies ${allow.map((p) => p.metadata.name).join(', ')} matches`, assumed: evaluator.assumed };
}
