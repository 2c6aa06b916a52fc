import { ApiObject } from 'cdk8s';
import { AuthorizationPolicy, PeerAuthentication, RequestAuthentication } from '../../imports/istio';
import { MeshlabError } from '../errors';
import type { MeshLab } from '../mesh/lab';
import type { MeshService } from '../mesh/service';
import { Scenario, principalOf } from './scenario';

/** A workload with an identity: a service or a client, each with its own ServiceAccount. */
export interface Caller {
  readonly name: string;
  readonly lab: MeshLab;
  readonly serviceAccountName: string;
}

const principals = (callers: readonly Caller[]) => [...new Set(callers.map(principalOf))].sort();
const selectorOf = (service: MeshService) => ({ matchLabels: { app: service.app } });

export type MtlsMode = 'STRICT' | 'PERMISSIVE';
export type MtlsScope = 'mesh' | 'namespace' | 'service';

export interface MtlsProps {
  readonly mode: MtlsMode;
  /** Where the policy applies. */
  readonly scope: MtlsScope;
  /** The service, when `scope` is 'service'. */
  readonly service?: MeshService;
}

/**
 * Requires (STRICT) or accepts (PERMISSIVE) mutual TLS between sidecars, mesh-wide (in
 * istio-system), for the lab's namespace, or for one service.
 * @see https://istio.io/latest/docs/tasks/security/authentication/authn-policy/
 */
export class Mtls extends Scenario {
  public readonly policy: ApiObject;
  public constructor(lab: MeshLab, props: MtlsProps) {
    super(lab, 'mtls');
    if (props.scope === 'service' && !props.service) throw new MeshlabError('mtls: scope service needs mtls.service');
    const service = props.scope === 'service' ? props.service! : undefined;
    this.policy = new PeerAuthentication(this, 'Policy', {
      metadata: { name: service?.name ?? 'default', namespace: props.scope === 'mesh' ? 'istio-system' : lab.namespace },
      spec: { selector: service && selectorOf(service), mtls: { mode: props.mode } },
    });
  }
}

/**
 * Denies the listed callers access to a service (they get 403).
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-deny/
 */
export class AuthzDeny extends Scenario {
  public constructor(lab: MeshLab, props: { readonly from: readonly Caller[]; readonly to: MeshService }) {
    super(lab, 'authz-deny');
    if (props.from.length === 0) throw new MeshlabError('authz-deny needs at least one caller');
    new AuthorizationPolicy(this, 'Policy', {
      metadata: { name: `${props.to.name}-deny` },
      spec: { selector: selectorOf(props.to), action: 'DENY', rules: [{ from: [{ source: { principals: principals(props.from) } }] }] },
    });
  }
}

/** Who may call one service, and how. */
export interface AllowRule {
  readonly to: MeshService;
  /** Callers allowed. @default anyone (including the ingress gateway) */
  readonly from?: readonly Caller[];
  /** HTTP methods allowed. @default any */
  readonly methods?: readonly string[];
}

/**
 * Denies everything in the lab's namespace, then allows each listed call: a whitelist
 * built from the services' own ServiceAccounts.
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-http/
 */
export class AuthzAllow extends Scenario {
  public constructor(lab: MeshLab, props: { readonly rules: readonly AllowRule[] }) {
    super(lab, 'authz-allow');
    // An ALLOW policy without rules matches nothing, so everything not allowed below is denied.
    new AuthorizationPolicy(this, 'AllowNothing', { metadata: { name: 'allow-nothing' }, spec: { action: 'ALLOW' } });
    for (const rule of props.rules) {
      const methods = rule.methods?.map((m) => m.toUpperCase());
      const bad = methods?.find((m) => !/^[A-Z]+$/.test(m));
      if (bad) throw new MeshlabError(`authz-allow: ${bad} is not an HTTP method`);
      new AuthorizationPolicy(this, rule.to.name, {
        metadata: { name: `${rule.to.name}-allow` },
        spec: {
          selector: selectorOf(rule.to),
          action: 'ALLOW',
          rules: [{
            from: rule.from ? [{ source: { principals: principals(rule.from) } }] : undefined,
            to: methods ? [{ operation: { methods } }] : undefined,
          }],
        },
      });
    }
  }
}

export interface JwtProps {
  readonly service: MeshService;
  /** The `iss` of accepted tokens. */
  readonly issuer: string;
  /** Where the issuer's public keys are. */
  readonly jwksUri: string;
  /** Read the token from this header instead of `Authorization: Bearer`. @default Authorization */
  readonly fromHeader?: string;
  /** Also accept the token in this query parameter. @default none */
  readonly fromParam?: string;
}

/**
 * Accepts only requests with a valid JWT from the issuer: a RequestAuthentication that
 * validates tokens and an AuthorizationPolicy that requires one.
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/
 */
export class Jwt extends Scenario {
  public constructor(lab: MeshLab, props: JwtProps) {
    super(lab, 'jwt');
    if (!/^https?:\/\/\S+$/.test(props.jwksUri)) throw new MeshlabError(`jwt: jwksUri ${props.jwksUri} is not an http(s) URL`);
    new RequestAuthentication(this, 'Authentication', {
      metadata: { name: `${props.service.name}-jwt` },
      spec: {
        selector: selectorOf(props.service),
        jwtRules: [{
          issuer: props.issuer,
          jwksUri: props.jwksUri,
          fromHeaders: props.fromHeader && props.fromHeader.toLowerCase() !== 'authorization' ? [{ name: props.fromHeader }] : undefined,
          fromParams: props.fromParam ? [props.fromParam] : undefined,
        }],
      },
    });
    new AuthorizationPolicy(this, 'RequireToken', {
      metadata: { name: `${props.service.name}-require-jwt` },
      spec: { selector: selectorOf(props.service), action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${props.issuer}/*`] } }] }] },
    });
  }
}
