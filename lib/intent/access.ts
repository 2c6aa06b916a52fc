/**
 * Who may call a workload, as plain data: the authorization intent scenarios state (authz-deny,
 * authz-allow, jwt) and lib/render/istio.ts turns into an AuthorizationPolicy. Where the policy
 * attaches (the pods' selector, or a Service or Gateway in targetRefs) is the flavour's
 * (Flavour.attachPolicy), given beside it.
 */
export interface AccessIntent {
  /** ALLOW: only requests some rule matches get through; DENY: requests some rule matches are refused. */
  readonly action: 'ALLOW' | 'DENY';
  /**
   * The rules, any one of which matches a request. An ALLOW with none matches nothing, so it
   * denies everything (istio.io's allow-nothing). @default none
   */
  readonly rules?: readonly AccessRule[];
}

/** One rule: every condition it states must hold; one that states none matches every request. */
export interface AccessRule {
  /** The callers' identities (`cluster.local/ns/<ns>/sa/<account>`). @default anyone */
  readonly principals?: readonly string[];
  /** The identities of end users' tokens (`<issuer>/<subject>`, `*` wildcards). @default any, or none */
  readonly requestPrincipals?: readonly string[];
  /** HTTP methods, upper-case. @default any */
  readonly methods?: readonly string[];
  /** A request header and the values it may have (`*` as prefix or suffix wildcard). @default any */
  readonly header?: { readonly name: string; readonly values: readonly string[] };
}
