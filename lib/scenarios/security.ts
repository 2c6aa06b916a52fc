import { CURL_IMAGE, HTTPBIN_IMAGE } from '../labs/options';
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AuthorizationPolicy, PeerAuthentication, RequestAuthentication } from '../../imports/istio';
import { MeshlabError } from '../errors';
import type { IngressGateway } from '../mesh/gateway';
import type { AllowRule, Caller, IService } from '../mesh/routing';

export type { AllowRule, Caller } from '../mesh/routing';
import type { MeshLab } from '../mesh/lab';
import { PolicyAttachment, gatewayTarget } from '../mesh/flavour';
import { WAYPOINT } from '../mesh/waypoint';
import { SecurityProfile } from '../mesh/security';
import { newDeployment, newService } from '../mesh/workload';
import { isAmbient, scenario, svc } from './define';
import { optional, param } from './params';
import { Scenario, principalOf } from './scenario';
import { istioAuthorizationPolicy } from '../render/istio';

/** The body of the 403 a sidecar or waypoint answers for a call its AuthorizationPolicies deny. */
const RBAC_DENIED = 'RBAC: access denied';

/**
 * What the callers up the chain answer when a call from `caller` failed, as far as their
 * images report it (MeshService.relaysFailures): `customer answers 503 with \`customer => 403
 * RBAC: access denied\``, so a guide says what a learner calling the top of the chain sees.
 */
function relayed(lab: MeshLab, caller: string, status: number, body: string): string[] {
  const answers: string[] = [];
  const seen = new Set<string>();
  let current = lab.services.find((s) => s.name === caller);
  while (current?.relaysFailures && !seen.has(current.name)) {
    seen.add(current.name);
    body = current.relaysFailures.body(status, body);
    status = current.relaysFailures.status;
    answers.push(`a call to ${current.name} answers ${status} with \`${body}\``);
    const callers = lab.services.filter((s) => s.callees.includes(current!));
    current = callers.length === 1 ? callers[0] : undefined;
  }
  return answers.slice(-1);
}

/** Istio's sample issuer, its signing keys and a token it signed (security/tools/jwt/samples in istio/istio). */
export const DEMO_ISSUER = 'testing@secure.istio.io';
/** Istio's demo key (`jwks.json`) or the token it signs (`demo.jwt`) on the branch of an Istio release (`1.30`). */
export const demoJwtFile = (release: string, file: 'jwks.json' | 'demo.jwt') =>
  `https://raw.githubusercontent.com/istio/istio/release-${release}/security/tools/jwt/samples/${file}`;

/** What the mtls step shows in ambient mode, where mTLS between meshed workloads needs no policy. */
function mtlsAmbientExpect(v: { mode: string; scope: string; namespace?: string; service?: IService }): string {
  const where = v.scope === 'namespace' ? `namespace ${v.namespace ?? 'of the lab'}` : v.scope === 'mesh' ? 'the mesh' : v.service?.name;
  const already = 'ztunnel already sends every call between ambient workloads over mutual TLS (HBONE, port 15008), with or without this policy';
  return v.mode === 'STRICT'
    ? `${already}, so ambient callers still succeed; what STRICT changes is plain text from outside the mesh: ztunnel refuses it, and a caller that is not in the mesh (sleep.legacy) gets "connection reset by peer" (000) when it calls into ${where}`
    : `${already}; PERMISSIVE also accepts plain text from callers outside the mesh, so callers in and out of the mesh both succeed (${v.scope} scope)`;
}

const principals = (callers: readonly Caller[]) => [...new Set(callers.map(principalOf))].sort();
const selectorOf = (service: IService) => ({ matchLabels: { app: service.app } });

/**
 * What a policy on one service attaches to, as the lab's flavour says (Flavour.attachPolicy):
 * with sidecars the service's pods (`selector`); in ambient mode the Service in `targetRefs`,
 * which the waypoint serving it takes. Without a waypoint an L4-only policy with a selector
 * would be ztunnel's; every ambient lab has one.
 */
export function attachTo(service: IService): PolicyAttachment {
  return service.lab.flavour.attachPolicy(service.name, selectorOf(service).matchLabels);
}

/** The name of the policy that lets only the waypoint reach a service's pods. */
const viaWaypoint = (service: IService) => `${service.name}-via-waypoint`;

/**
 * Where the flavour asks for it (ambient), the policy that lets only the waypoint's identity
 * reach `service`'s pods, so the L7 policies the step attaches at the waypoint hold for a call
 * to a pod's own IP too. ztunnel enforces it at the destination, where the caller is the
 * waypoint for every call through the Service (istio.io docs/ambient/usage/l4-policy). One per
 * service, whichever scenarios of the step ask for it.
 */
function requireWaypoint(scope: Scenario, service: IService): void {
  const lab = scope.lab;
  const attachment = lab.flavour.waypointOnly(selectorOf(service).matchLabels);
  if (!attachment || !lab.waypoint) return;
  const name = viaWaypoint(service);
  if (lab.node.findAll().some((c) => c instanceof AuthorizationPolicy && c.metadata.name === name)) return;
  new AuthorizationPolicy(scope, `${service.name}-via-waypoint`, {
    metadata: { name },
    spec: istioAuthorizationPolicy({ action: 'ALLOW', rules: [{ principals: [principalOf({ lab, serviceAccountName: lab.waypoint.serviceAccountName })] }] }, attachment),
  });
}

/** What Expect adds where the step also admits only the waypoint at the pods: a call to a pod's IP is refused. */
function bypassRefused(lab: MeshLab, services: readonly IService[]): string {
  if (!lab.waypoint || services.length === 0 || !lab.flavour.podIpSkipsPolicies) return '';
  const names = [...new Set(services.map(viaWaypoint))].sort().join(', ');
  return `. A call to a pod's own IP skips the waypoint, and ztunnel refuses it: ${names} admit${services.length === 1 ? 's' : ''} only the waypoint's identity (cluster.local/ns/${lab.namespace}/sa/${lab.waypoint.serviceAccountName}), so curl prints 000 (connection reset)`;
}

/**
 * The mTLS matrix of Istio's authentication task: namespaces `foo` and `bar` (meshed) and
 * `legacy` (no sidecars), each with httpbin (port http 8000) and a sleep client, so every
 * sleep can curl every httpbin and show which calls mTLS lets through.
 */
class MtlsMatrix extends Construct {
  public static readonly NAMESPACES = { foo: true, bar: true, legacy: false } as const;

  public constructor(scope: Construct, lab: MeshLab) {
    super(scope, 'Matrix');
    // The new flavours use Istio's current sample images (lib/labs/options.ts), the classic one the task's.
    const classic = lab.flavour.seedImages;
    const httpbinPort = classic ? 8000 : HTTPBIN_IMAGE.port!;
    for (const [namespace, meshed] of Object.entries(MtlsMatrix.NAMESPACES)) {
      // legacy says "no sidecars" explicitly, as Istio's analyzer (IST0102) asks of a namespace left out on purpose.
      // In ambient mode foo and bar join through ztunnel (no waypoint: mTLS is L4), and legacy stays out of the mesh.
      const labels = lab.flavour.extraNamespaceLabels(meshed);
      const ns = new kplus.Namespace(this, namespace, { metadata: { name: namespace, labels } });
      ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'), JsonPatch.remove('/spec'));
      for (const app of ['httpbin', 'sleep'] as const) {
        const serviceAccount = new kplus.ServiceAccount(this, `${namespace}-${app}-sa`, { metadata: { name: app, namespace } });
        const labels = { app, version: 'v1' };
        newDeployment(this, `${namespace}-${app}`, app, 1, {
          namespace, labels, serviceAccount, containerName: app,
          container: app === 'httpbin'
            // citizenstig/httpbin listens on 8000, go-httpbin (the new flavours') on 8080; neither image names a user.
            ? { image: lab.image(`${namespace}-httpbin`, classic ? HTTPBIN_IMAGE.classic : HTTPBIN_IMAGE.current), ports: [{ number: httpbinPort, name: 'http' }], resources: { cpu: 50, memory: 50, memoryLimit: 100 }, security: SecurityProfile.root('image runs as root (no USER)') }
            : { image: lab.image(`${namespace}-sleep`, classic ? CURL_IMAGE.classic : CURL_IMAGE.current), command: classic ? ['sleep', '3650d'] : [...CURL_IMAGE.command!], resources: { cpu: 10, memory: 16, memoryLimit: 32 }, security: SecurityProfile.nonRoot(65534, { readOnlyRootFilesystem: true }) },
        });
        // The Service keeps port 8000, the task's, in every flavour.
        if (app === 'httpbin') newService(this, `${namespace}-httpbin-svc`, 'httpbin', [{ name: 'http', port: 8000, targetPort: httpbinPort }], { app }, { namespace });
      }
    }
  }
}

export type MtlsMode = 'STRICT' | 'PERMISSIVE';
export type MtlsScope = 'mesh' | 'namespace' | 'service';

export interface MtlsProps {
  /** STRICT: mutual TLS only; PERMISSIVE: plain text accepted too. */
  readonly mode: MtlsMode;
  /** Where the policy applies. */
  readonly scope: MtlsScope;
  /** The service, when `scope` is 'service'. @default none (required with scope 'service') */
  readonly service?: IService;
  /** The namespace, when `scope` is 'namespace'. @default the lab's */
  readonly namespace?: string;
  /** Also create the foo / bar / legacy namespaces with httpbin and sleep to test from. @default false */
  readonly matrix?: boolean;
}

/**
 * Requires (STRICT) or accepts (PERMISSIVE) mutual TLS between the workloads of the mesh (their sidecars, or ztunnel), mesh-wide (in
 * istio-system), for the lab's namespace, or for one service. In ambient mode the same
 * PeerAuthentication is ztunnel's: traffic between ambient workloads is mTLS (HBONE) with or
 * without it, and STRICT refuses plain text from callers outside the mesh (PERMISSIVE, the
 * default, accepts it; DISABLE is ignored: istio.io docs/ambient/usage/l4-policy, "Peer authentication").
 * @see https://istio.io/latest/docs/tasks/security/authentication/authn-policy/
 */
export class Mtls extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'mtls',
    summary: 'requires (STRICT) or accepts (PERMISSIVE) mutual TLS between the workloads of the mesh',
    params: {
      mode: param.oneOf('STRICT or PERMISSIVE', ['STRICT', 'PERMISSIVE'] as const),
      scope: param.oneOf('mesh (istio-system), namespace or service', ['mesh', 'namespace', 'service'] as const),
      service: optional(param.service('the service, for scope service')),
      namespace: optional(param.text("the namespace, for scope namespace (empty: the lab's)")),
      matrix: param.oneOf('also create namespaces foo, bar (meshed) and legacy (not) with httpbin and sleep', ['yes', 'no'] as const),
    },
    apply: (lab, id, v) => new Mtls(lab, id, { mode: v.mode, scope: v.scope, service: v.service, namespace: v.namespace, matrix: v.matrix === 'yes' }),
    expect: (v, lab) => (isAmbient(lab) ? mtlsAmbientExpect(v) : v.mode === 'STRICT'
      ? `meshed callers still succeed (their sidecars use mTLS); a caller without a sidecar (sleep.legacy) gets "connection reset by peer" (000) when it calls into ${v.scope === 'namespace' ? `namespace ${v.namespace ?? 'of the lab'}` : v.scope === 'mesh' ? 'the mesh' : v.service?.name}`
      : `callers with and without a sidecar both succeed (${v.scope} scope)`),
  });

  public readonly policy: ApiObject;
  public constructor(scope: Construct, id: string, props: MtlsProps) {
    super(scope, id, Mtls.definition.name, props);
    const lab = this.lab;
    if (props.scope === 'service' && !props.service) throw new MeshlabError('mtls: scope service needs mtls.service');
    const service = props.scope === 'service' ? props.service! : undefined;
    const namespace = props.scope === 'mesh' ? 'istio-system' : props.scope === 'namespace' ? props.namespace ?? lab.namespace : lab.namespace;
    const known = [lab.namespace, ...(props.matrix ? Object.keys(MtlsMatrix.NAMESPACES) : [])];
    if (props.scope === 'namespace' && props.namespace !== undefined && !known.includes(props.namespace)) {
      throw new MeshlabError(`mtls: namespace ${props.namespace} is not part of the lab (namespaces: ${known.join(', ')}; mtls.matrix=yes adds foo, bar, legacy)`);
    }
    this.policy = new PeerAuthentication(this, 'Policy', {
      metadata: { name: service?.name ?? 'default', namespace },
      spec: { selector: service && selectorOf(service), mtls: { mode: props.mode } },
    });
    if (props.matrix) new MtlsMatrix(this, lab);
  }
}

export interface AuthzDenyProps {
  /** The callers denied (at least one). */
  readonly from: readonly Caller[];
  /** The service they may no longer call. */
  readonly to: IService;
}

/**
 * Denies the listed callers access to a service (they get 403). In ambient mode it attaches
 * to the service at the waypoint (see `attachTo`).
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-deny/
 */
export class AuthzDeny extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'authz-deny',
    summary: 'denies some callers access to a service (AuthorizationPolicy DENY on their ServiceAccounts)',
    params: { service: svc, from: param.callers('denied callers, comma-separated') },
    apply: (lab, id, v) => new AuthzDeny(lab, id, { from: v.from, to: v.service }),
    expect: (v, lab) => `calls from ${v.from.map((c) => c.name).join(', ')} to ${v.service.name} answer 403 "${RBAC_DENIED}"`
      + v.from.flatMap((c) => relayed(lab, c.name, 403, RBAC_DENIED)).map((r) => `, so ${r}`).join('')
      + '; other callers are unaffected' + bypassRefused(lab, [v.service]),
  });

  public constructor(scope: Construct, id: string, props: AuthzDenyProps) {
    super(scope, id, AuthzDeny.definition.name, props);
    if (props.from.length === 0) throw new MeshlabError('authz-deny needs at least one caller');
    new AuthorizationPolicy(this, 'Policy', {
      metadata: { name: `${props.to.name}-deny` },
      spec: istioAuthorizationPolicy({ action: 'DENY', rules: [{ principals: principals(props.from) }] }, attachTo(props.to)),
    });
    requireWaypoint(this, props.to);
  }
}

export interface AuthzAllowProps {
  /** The calls allowed; everything else in the namespace is denied. */
  readonly rules: readonly AllowRule[];
}

/**
 * Denies everything in the lab's namespace, then allows each listed call: a whitelist
 * built from the services' own ServiceAccounts.
 *
 * With the Gateway API the lab's ingress gateway runs in the lab's namespace, where a
 * namespace-wide policy reaches it too (istio/istio pilot/pkg/model/policyattachment.go: a
 * Gateway API gateway takes selector policies while ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is
 * on, the default), so each gateway gets an ALLOW-all attached to it, and traffic enters as it
 * does with Istio's gateway in istio-system. In ambient mode the deny-all attaches to the
 * waypoint (every call between the lab's services passes it) and each allow to its Service
 * there (see `attachTo`): a namespace-wide policy would be ztunnel's, and would refuse the
 * waypoint's own connections to the pods.
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-http/
 * @see https://istio.io/latest/docs/ambient/usage/l7-features/
 */
export class AuthzAllow extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'authz-allow',
    summary: "denies everything in the lab's namespace, then allows the listed calls by ServiceAccount",
    params: { rules: param.allowRules('to<from,from[:METHOD|METHOD][@Header=value] rules separated by ";" (from * means anyone)') },
    apply: (lab, id, v) => new AuthzAllow(lab, id, { rules: v.rules }),
    expect: (v, lab) => `only these calls succeed: ${v.rules.map((r) => `${r.from ? r.from.map((c) => c.name).join(',') : 'anyone'} -> ${r.to.name}${r.methods ? ` (${r.methods.join('|')})` : ''}${r.header ? ` with ${r.header.name}: ${r.header.values.join(' or ')}` : ''}`).join('; ')}; any other call in the namespace answers 403 "RBAC: access denied"`
      + bypassRefused(lab, lab.services.filter((s) => s.versions.length > 0)),
  });

  public constructor(scope: Construct, id: string, props: AuthzAllowProps) {
    super(scope, id, AuthzAllow.definition.name, props);
    const lab = this.lab;
    // An ALLOW policy without rules matches nothing, so everything not allowed below is denied.
    new AuthorizationPolicy(this, 'AllowNothing', {
      metadata: { name: 'allow-nothing' },
      spec: istioAuthorizationPolicy({ action: 'ALLOW' }, lab.flavour.namespacePolicy(WAYPOINT)),
    });
    if (lab.flavour.policiesReachIngress) {
      for (const gateway of lab.gateways) {
        // One empty rule matches every request.
        new AuthorizationPolicy(this, `${gateway.name}-ingress`, {
          metadata: { name: `${gateway.name}-allow` },
          spec: istioAuthorizationPolicy({ action: 'ALLOW', rules: [{}] }, { targetRefs: [gatewayTarget(gateway.name)] }),
        });
      }
    }
    for (const rule of props.rules) {
      const methods = rule.methods?.map((m) => m.toUpperCase());
      const bad = methods?.find((m) => !/^[A-Z]+$/.test(m));
      if (bad) throw new MeshlabError(`authz-allow: ${bad} is not an HTTP method`);
      new AuthorizationPolicy(this, rule.to.name, {
        metadata: { name: `${rule.to.name}-allow` },
        spec: istioAuthorizationPolicy({
          action: 'ALLOW',
          rules: [{ principals: rule.from && principals(rule.from), methods, header: rule.header }],
        }, attachTo(rule.to)),
      });
    }
    // Everything in the namespace: every service's pods admit only the waypoint (ambient).
    for (const service of lab.services.filter((s) => s.versions.length > 0)) requireWaypoint(this, service);
  }
}

export interface JwtProps {
  /** The service it applies to (of the same lab). @default none: give `service` or `gateway` */
  readonly service?: IService;
  /**
   * Validate tokens where requests enter instead: at this ingress gateway of the lab, for
   * every request through it. Gateway API flavours only (the gateway runs in the lab's
   * namespace; Istio's own runs in istio-system, outside the lab). @default none
   */
  readonly gateway?: IngressGateway;
  /** The `iss` of accepted tokens. */
  readonly issuer: string;
  /** Where the issuer's public keys are. @default Istio's demo key on the branch of the release the lab's flavour is written for */
  readonly jwksUri?: string;
  /** Read the token from this header instead of `Authorization: Bearer`. @default Authorization */
  readonly fromHeader?: string;
  /** Also accept the token in this query parameter. @default none */
  readonly fromParam?: string;
}

/**
 * Accepts only requests with a valid JWT from the issuer: a RequestAuthentication that
 * validates tokens and an AuthorizationPolicy that requires one, on a service's pods (in
 * ambient mode on the service at the waypoint, see `attachTo`), or on an ingress gateway of
 * class istio with `targetRefs` to the Gateway (istio/istio pilot/pkg/model/policyattachment.go:
 * a Gateway API gateway attaches a policy whose targetRef names its Gateway).
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/
 * @see https://istio.io/latest/docs/ambient/usage/l7-features/
 */
export class Jwt extends Scenario {
  /** The step as the command line knows it: its name, parameters and what a learner sees (catalog.ts lists it). */
  public static readonly definition = scenario({
    name: 'jwt',
    summary: 'accepts only requests carrying a valid JWT (RequestAuthentication and AuthorizationPolicy)',
    params: {
      service: svc,
      issuer: param.text('accepted token issuer (iss)'),
      jwksUri: optional(param.text("URL of the issuer's public keys (empty: Istio's demo key, security/tools/jwt/samples/jwks.json on the branch of the flavour's Istio release)")),
      header: param.headerName('header the token comes in (Authorization means "Bearer <token>")'),
      param: optional(param.text('query parameter that may carry the token too, e.g. access_token (empty: none)')),
    },
    apply: (lab, id, v) => new Jwt(lab, id, { service: v.service, issuer: v.issuer, jwksUri: v.jwksUri, fromHeader: v.header, fromParam: v.param }),
    expect: (v, lab) => `without a token ${v.service.name} answers 403 (RBAC: access denied: the AuthorizationPolicy requires a request principal), with an invalid token 401 (Jwt is not in the form of Header.Payload.Signature), with a valid token from ${v.issuer} 200`
      + (v.issuer === DEMO_ISSUER ? `. The valid token is Istio's demo token for ${DEMO_ISSUER} (${demoJwtFile(lab.flavour.istioRelease, 'demo.jwt')}), signed with the key at ${v.jwksUri ?? demoJwtFile(lab.flavour.istioRelease, 'jwks.json')}` : '')
      + bypassRefused(lab, [v.service]),
  });

  public constructor(scope: Construct, id: string, props: JwtProps) {
    super(scope, id, Jwt.definition.name, props);
    const jwksUri = props.jwksUri ?? demoJwtFile(this.lab.flavour.istioRelease, 'jwks.json');
    if (!/^https?:\/\/\S+$/.test(jwksUri)) throw new MeshlabError(`jwt: jwksUri ${jwksUri} is not an http(s) URL`);
    if ((props.service === undefined) === (props.gateway === undefined)) throw new MeshlabError('jwt: give either a service or a gateway to validate tokens at');
    if (props.gateway && !this.lab.flavour.gatewayApi) {
      throw new MeshlabError(`jwt: gateway ${props.gateway.name} is Istio's ingress gateway in istio-system, outside the lab; validate tokens at a service, or use --api gateway-api`);
    }
    const name = props.service?.name ?? props.gateway!.name;
    const attachment = props.service ? attachTo(props.service) : { targetRefs: [gatewayTarget(props.gateway!.name)] };
    new RequestAuthentication(this, 'Authentication', {
      metadata: { name: `${name}-jwt` },
      spec: {
        ...attachment,
        jwtRules: [{
          issuer: props.issuer,
          jwksUri,
          fromHeaders: props.fromHeader && props.fromHeader.toLowerCase() !== 'authorization' ? [{ name: props.fromHeader }] : undefined,
          fromParams: props.fromParam ? [props.fromParam] : undefined,
        }],
      },
    });
    new AuthorizationPolicy(this, 'RequireToken', {
      metadata: { name: `${name}-require-jwt` },
      spec: istioAuthorizationPolicy({ action: 'ALLOW', rules: [{ requestPrincipals: [`${props.issuer}/*`] }] }, attachment),
    });
    if (props.service) requireWaypoint(this, props.service);
  }
}
