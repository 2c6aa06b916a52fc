import { isIP } from 'net';
import { Fields, isFields, items } from './read';

/**
 * Gateway API objects checked as the API server checks them once the Gateway API v1.6.3 CRDs
 * are installed (the version and channel every guide installs, lib/platform/release.ts):
 * a structural schema closed against unknown fields, then every CEL rule
 * (x-kubernetes-validations) of the CRDs, compiled into TypeScript with the rule's own message.
 *
 * Kinds: Gateway, HTTPRoute, GRPCRoute (gateway.networking.k8s.io/v1), ReferenceGrant (v1 and
 * v1beta1) and TCPRoute (v1, and v1alpha2 of the experimental channel). The schema is the experimental
 * channel's, a superset of the standard one: retries, which meshlab renders, exist only there.
 *
 * Written from the CRDs in the Go module sigs.k8s.io/gateway-api@v1.6.3 (config/crd/experimental);
 * no CRD text is copied. No npm package fits: @kubernetes-models/gateway-api 2.0.0 needs Node 22,
 * is ESM-only, leaves objects open to unknown fields and has no CEL rules.
 *
 * The API server applies defaults before CEL runs; so do these checks (a backendRef's kind is
 * Service, a parentRef's kind Gateway, a rule's matches `[{path: {type: PathPrefix, value: /}}]`).
 *
 * CEL rules, by where they sit (`[]` is every item) and their message:
 *
 * | Kind | Field | Message |
 * |---|---|---|
 * | Gateway | spec.addresses | IPAddress values must be unique |
 * | Gateway | spec.addresses | Hostname values must be unique |
 * | Gateway | spec.addresses[] | Hostname value must be empty or contain only valid characters (...) |
 * | Gateway | spec.infrastructure.annotations, .labels | keys in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters |
 * | Gateway | spec.infrastructure.annotations, .labels | If specified, the key's prefix must be a DNS subdomain not longer than 253 characters in total |
 * | Gateway | spec.listeners | tls must not be specified for protocols ['HTTP', 'TCP', 'UDP'] |
 * | Gateway | spec.listeners | tls mode must be Terminate for protocol HTTPS |
 * | Gateway | spec.listeners | tls mode must be set for protocol TLS |
 * | Gateway | spec.listeners | hostname must not be specified for protocols ['TCP', 'UDP'] |
 * | Gateway | spec.listeners | Listener name must be unique within the Gateway |
 * | Gateway | spec.listeners | Combination of port, protocol and hostname must be unique for each listener |
 * | Gateway | spec.listeners[].tls | certificateRefs or options must be specified when mode is Terminate |
 * | Gateway | spec.tls.frontend.perPort | Port for TLS configuration must be unique within the Gateway |
 * | *Route | spec.parentRefs | sectionName or port must be specified when parentRefs includes 2 or more references to the same parent |
 * | *Route | spec.parentRefs | sectionName or port must be unique when parentRefs includes 2 or more references to the same parent |
 * | HTTP/GRPCRoute | spec.rules | While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128 |
 * | *Route | spec.rules | Rule name must be unique within the route |
 * | HTTPRoute | spec.rules[] | RequestRedirect filter must not be used together with backendRefs |
 * | HTTPRoute | spec.rules[] | When using RequestRedirect / URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified (rule filters, and "Within backendRefs, ..." for backendRef filters: 4 rules) |
 * | *Route | spec.rules[].backendRefs[], requestMirror.backendRef, externalAuth.backendRef | Must have port for Service reference |
 * | HTTPRoute | …filters | May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both |
 * | HTTP/GRPCRoute | …filters | <Type> filter cannot be repeated (CORS, RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite) |
 * | HTTP/GRPCRoute | …filters[] | filter.<field> must be nil if the filter.type is not <Type> / must be specified for <Type> filter.type (every filter type) |
 * | HTTPRoute | …filters[].cors | AllowHeaders / AllowMethods cannot contain '*' alongside other methods; AllowOrigins cannot contain '*' alongside other origins |
 * | HTTPRoute | …filters[].externalAuth | grpc/http must be specified when protocol is set to 'GRPC'/'HTTP'; protocol must be 'GRPC'/'HTTP' when grpc/http is set |
 * | HTTP/GRPCRoute | …filters[].requestMirror | Only one of percent or fraction may be specified in HTTPRequestMirrorFilter |
 * | HTTP/GRPCRoute | …filters[].requestMirror.fraction | numerator must be less than or equal to denominator |
 * | HTTPRoute | …filters[].requestRedirect.path, urlRewrite.path | replaceFullPath / replacePrefixMatch must be specified when type is set to '…'; type must be '…' when … is set |
 * | HTTPRoute | spec.rules[].matches[].path | value must be an absolute path and start with '/'; must not contain '//', '/./', '/../', '%2f', '%2F', '#'; must not end with '/..', '/.'; type must be one of [...]; must only contain valid characters (...) |
 * | HTTP/GRPCRoute | spec.rules[].sessionPersistence | AbsoluteTimeout must be specified when cookie lifetimeType is Permanent; cookieConfig can only be set with type Cookie |
 * | HTTPRoute | spec.rules[].timeouts | backendRequest timeout cannot be longer than request timeout |
 * | GRPCRoute | spec.rules[].matches[].method | One or both of 'service' or 'method' must be specified; service / method must only contain valid characters (...) |
 * | ReferenceGrant | (none) | |
 *
 * The status subresource is not checked: meshlab writes no status.
 */

/** One violation: dotted field path and message (the CRD's message for a CEL rule). */
export interface GatewayApiProblem {
  readonly field: string;
  readonly message: string;
}

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/* ---------- structural schema ---------- */

/** `defaulted`: the CRD gives the field a default, which also replaces a null. */
type Schema = (
  | { readonly t: 'string'; readonly enum?: readonly string[]; readonly pattern?: RegExp; readonly min?: number; readonly max?: number }
  | { readonly t: 'integer'; readonly enum?: readonly number[]; readonly min?: number; readonly max?: number }
  | { readonly t: 'boolean' }
  | { readonly t: 'object'; readonly props: Readonly<Record<string, Schema>>; readonly required?: readonly string[] }
  | { readonly t: 'map'; readonly values: Schema }
  | { readonly t: 'array'; readonly items: Schema; readonly min?: number; readonly max?: number }
) & { readonly defaulted?: boolean };

const str = (o: { enum?: readonly string[]; pattern?: RegExp; min?: number; max?: number } = {}): Schema => ({ t: 'string', ...o });
const int = (min?: number, max?: number): Schema => ({ t: 'integer', min, max });
const bool: Schema = { t: 'boolean' };
const obj = (props: Record<string, Schema>, required: readonly string[] = []): Schema => ({ t: 'object', props, required });
const arr = (items: Schema, max?: number, min?: number): Schema => ({ t: 'array', items, max, min });
const map = (values: Schema): Schema => ({ t: 'map', values });
const defaulted = (schema: Schema): Schema => ({ ...schema, defaulted: true });

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const HEADER_VALUE = /^[!-~]+([\t ]?[!-~]+)*$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const PROTOCOL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ADDRESS_TYPE = /^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

const group = str({ max: 253, pattern: GROUP });
const kind = str({ min: 1, max: 63, pattern: KIND });
const name = str({ min: 1, max: 253 });
const namespace = str({ min: 1, max: 63, pattern: NAMESPACE });
const port = int(1, 65535);
const sectionName = str({ min: 1, max: 253, pattern: DNS_SUBDOMAIN });
const duration = str({ pattern: DURATION });

const refGroup = defaulted(group);
const refKind = defaulted(kind);
const parentRef = obj({ group: refGroup, kind: refKind, name, namespace, port, sectionName }, ['name']);
const backendObjectRef = obj({ group: refGroup, kind: refKind, name, namespace, port }, ['name']);
const secretRef = obj({ group: refGroup, kind: refKind, name, namespace }, ['name']);
const localRef = obj({ group, kind, name }, ['group', 'kind', 'name']);
const headerPair = obj({ name: str({ min: 1, max: 256, pattern: HEADER_NAME }), value: str({ min: 1, max: 4096, pattern: HEADER_VALUE }) }, ['name', 'value']);
const headerModifier = obj({ add: arr(headerPair, 16), set: arr(headerPair, 16), remove: arr(str(), 16) });
const requestMirror = obj(
  { backendRef: backendObjectRef, percent: int(0, 100), fraction: obj({ numerator: int(0), denominator: defaulted(int(1)) }, ['numerator']) },
  ['backendRef'],
);
const pathModifier = obj(
  { type: str({ enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] }), replaceFullPath: str({ max: 1024 }), replacePrefixMatch: str({ max: 1024 }) },
  ['type'],
);
const hostnameNoWildcard = str({ min: 1, max: 253, pattern: DNS_SUBDOMAIN });
const headerToken = str({ min: 1, max: 256, pattern: HEADER_NAME });

const httpFilter = obj(
  {
    type: str({ enum: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth'] }),
    requestHeaderModifier: headerModifier,
    responseHeaderModifier: headerModifier,
    requestMirror,
    requestRedirect: obj({
      scheme: str({ enum: ['http', 'https'] }),
      hostname: hostnameNoWildcard,
      path: pathModifier,
      port,
      statusCode: { t: 'integer', enum: [301, 302, 303, 307, 308], defaulted: true },
    }),
    urlRewrite: obj({ hostname: hostnameNoWildcard, path: pathModifier }),
    extensionRef: localRef,
    cors: obj({
      allowOrigins: arr(str({ min: 1, max: 253, pattern: /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/ }), 64),
      allowCredentials: bool,
      allowMethods: arr(str({ enum: [...METHODS, '*'] }), 9),
      allowHeaders: arr(headerToken, 64),
      exposeHeaders: arr(headerToken, 64),
      maxAge: defaulted(int(1)),
    }),
    externalAuth: obj(
      {
        protocol: str({ enum: ['HTTP', 'GRPC'] }),
        backendRef: backendObjectRef,
        grpc: obj({ allowedHeaders: arr(str(), 64) }),
        http: obj({ path: str({ max: 1024, pattern: PATH_CHARS }), allowedHeaders: arr(str(), 64), allowedResponseHeaders: arr(str(), 64) }),
        forwardBody: obj({ maxSize: int() }),
      },
      ['backendRef', 'protocol'],
    ),
  },
  ['type'],
);

const grpcFilter = obj(
  {
    type: str({ enum: ['ResponseHeaderModifier', 'RequestHeaderModifier', 'RequestMirror', 'ExtensionRef'] }),
    requestHeaderModifier: headerModifier,
    responseHeaderModifier: headerModifier,
    requestMirror,
    extensionRef: localRef,
  },
  ['type'],
);

const sessionPersistence = obj({
  sessionName: str({ max: 128 }),
  absoluteTimeout: duration,
  type: defaulted(str({ enum: ['Cookie', 'Header'] })),
  cookieConfig: obj({ lifetimeType: defaulted(str({ enum: ['Permanent', 'Session'] })) }),
});

const backendRef = (filter: Schema): Schema =>
  obj({ group: refGroup, kind: refKind, name, namespace, port, weight: defaulted(int(0, 1000000)), filters: arr(filter, 16) }, ['name']);

const routeCommon = {
  parentRefs: arr(parentRef, 32),
  useDefaultGateways: str({ enum: ['All', 'None'] }),
};
const ruleName = str({ min: 1, max: 253, pattern: DNS_SUBDOMAIN });
const hostnames = arr(str({ min: 1, max: 253, pattern: HOSTNAME }), 16);

const httpRouteSpec = obj({
  ...routeCommon,
  hostnames,
  rules: defaulted(arr(
    obj({
      name: ruleName,
      matches: defaulted(arr(
        obj({
          path: defaulted(obj({ type: defaulted(str({ enum: ['Exact', 'PathPrefix', 'RegularExpression'] })), value: defaulted(str({ max: 1024 })) })),
          headers: arr(obj({ type: defaulted(str({ enum: ['Exact', 'RegularExpression'] })), name: str({ min: 1, max: 256, pattern: HEADER_NAME }), value: str({ min: 1, max: 4096 }) }, ['name', 'value']), 16),
          queryParams: arr(obj({ type: defaulted(str({ enum: ['Exact', 'RegularExpression'] })), name: str({ min: 1, max: 256, pattern: HEADER_NAME }), value: str({ min: 1, max: 1024 }) }, ['name', 'value']), 16),
          method: str({ enum: METHODS }),
        }),
        64,
      )),
      filters: arr(httpFilter, 16),
      backendRefs: arr(backendRef(httpFilter), 16),
      timeouts: obj({ request: duration, backendRequest: duration }),
      // v1.6: at least one attempt.
      retry: obj({ codes: arr(int(400, 599)), attempts: int(1), backoff: duration }),
      sessionPersistence,
    }),
    16,
    1,
  )),
});

const grpcRouteSpec = obj({
  ...routeCommon,
  hostnames,
  rules: arr(
    obj({
      name: ruleName,
      matches: arr(
        obj({
          method: obj({ type: defaulted(str({ enum: ['Exact', 'RegularExpression'] })), service: str({ max: 1024 }), method: str({ max: 1024 }) }),
          headers: arr(obj({ type: defaulted(str({ enum: ['Exact', 'RegularExpression'] })), name: str({ min: 1, max: 256, pattern: HEADER_NAME }), value: str({ min: 1, max: 4096 }) }, ['name', 'value']), 16),
        }),
        64,
      ),
      filters: arr(grpcFilter, 16),
      backendRefs: arr(backendRef(grpcFilter), 16),
      sessionPersistence,
    }),
    16,
  ),
});

const tcpRule = obj({ name: ruleName, backendRefs: arr(obj({ group: refGroup, kind: refKind, name, namespace, port, weight: defaulted(int(0, 1000000)) }, ['name']), 16, 1) }, ['backendRefs']);
const tcpRouteSpec = obj({ ...routeCommon, rules: arr(tcpRule, 16, 1) }, ['rules']);
/** TCPRoute v1 (v1.6): one rule at most, so no rule-name uniqueness rule. */
const tcpRouteSpecV1 = obj({ ...routeCommon, rules: arr(tcpRule, 1, 1) }, ['rules']);

const labelSelector = obj({
  matchLabels: map(str()),
  matchExpressions: arr(obj({ key: str(), operator: str(), values: arr(str()) }, ['key', 'operator'])),
});
const frontendValidation = obj(
  { caCertificateRefs: arr(localRef, 16, 1), mode: defaulted(str({ enum: ['AllowValidOnly', 'AllowInsecureFallback'] })) },
  ['caCertificateRefs'],
);

const gatewaySpec = obj(
  {
    gatewayClassName: name,
    listeners: arr(
      obj(
        {
          name: sectionName,
          hostname: str({ min: 1, max: 253, pattern: HOSTNAME }),
          port,
          protocol: str({ min: 1, max: 255, pattern: PROTOCOL }),
          tls: obj({ mode: defaulted(str({ enum: ['Terminate', 'Passthrough'] })), certificateRefs: arr(secretRef, 64), options: map(str({ max: 4096 })) }),
          allowedRoutes: defaulted(obj({
            namespaces: defaulted(obj({ from: defaulted(str({ enum: ['All', 'Selector', 'Same'] })), selector: labelSelector })),
            kinds: arr(obj({ group: refGroup, kind }, ['kind']), 8),
          })),
        },
        ['name', 'port', 'protocol'],
      ),
      64,
      1,
    ),
    addresses: arr(obj({ type: defaulted(str({ min: 1, max: 253, pattern: ADDRESS_TYPE })), value: str({ max: 253 }) }), 16),
    infrastructure: obj({
      labels: map(str({ max: 63, pattern: LABEL_VALUE })),
      annotations: map(str({ max: 4096 })),
      parametersRef: localRef,
    }),
    allowedListeners: obj({ namespaces: defaulted(obj({ from: defaulted(str({ enum: ['All', 'Selector', 'Same', 'None'] })), selector: labelSelector })) }),
    tls: obj({
      backend: obj({ clientCertificateRef: secretRef }),
      frontend: obj({ default: obj({ validation: frontendValidation }), perPort: arr(obj({ port, tls: obj({ validation: frontendValidation }) }, ['port', 'tls']), 64) }, ['default']),
    }),
    defaultScope: str({ enum: ['All', 'None'] }),
  },
  ['gatewayClassName', 'listeners'],
);

const referenceGrantSpec = obj(
  {
    from: arr(obj({ group, kind, namespace }, ['group', 'kind', 'namespace']), 16, 1),
    to: arr(obj({ group, kind, name }, ['group', 'kind']), 16, 1),
  },
  ['from', 'to'],
);

/* ---------- CEL rules ---------- */

type Problems = GatewayApiProblem[];
/**
 * The rules read the object as written, of any shape (the API server runs them on what its
 * schema admitted, and so does validateGatewayApi, after the structural problems): `unknown`,
 * narrowed by these helpers.
 */
const isObj = isFields;
/** Whether `o` is an object with `k` set (not null), as CEL's `has()`. */
const has = (o: unknown, k: string): boolean => isFields(o) && o[k] !== undefined && o[k] !== null;
const list = items;
const empty = (v: unknown): boolean => v === undefined || v === null || v === '' || v === 0;
/** `o[k]` if it is an object. */
const objAt = (o: Fields, k: string): Fields | undefined => (isFields(o[k]) ? o[k] as Fields : undefined);

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Gateway API Duration (`1h30m`, `500ms`) in milliseconds. */
function millis(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(n) * UNIT_MS[unit];
  return total;
}

/**
 * Several refs to one parent: sectionName and port set on all or none, and unique. The
 * experimental channel's rule (the standard one's looks at sectionName alone).
 */
function checkParentRefs(refs: readonly unknown[], at: string, out: Problems): void {
  const refsWithDefaults = refs.filter(isObj).map((r): Fields => ({ ...r, group: r.group ?? GATEWAY_API_GROUP, kind: r.kind ?? 'Gateway' }));
  const sameParent = (a: Fields, b: Fields): boolean =>
    a.group === b.group && a.kind === b.kind && a.name === b.name && (empty(a.namespace) && empty(b.namespace) ? true : has(a, 'namespace') && has(b, 'namespace') && a.namespace === b.namespace);
  const what = 'sectionName or port';
  const specified = refsWithDefaults.every((a) =>
    refsWithDefaults.every((b) => !sameParent(a, b) || (empty(a.sectionName) === empty(b.sectionName) && empty(a.port) === empty(b.port))),
  );
  if (!specified) out.push({ field: at, message: `${what} must be specified when parentRefs includes 2 or more references to the same parent` });
  const same = (x: unknown, y: unknown): boolean => (empty(x) && empty(y)) || (!empty(x) && !empty(y) && x === y);
  const unique = refsWithDefaults.every(
    (a) => refsWithDefaults.filter((b) => sameParent(a, b) && same(a.sectionName, b.sectionName) && same(a.port, b.port)).length === 1,
  );
  if (!unique) out.push({ field: at, message: `${what} must be unique when parentRefs includes 2 or more references to the same parent` });
}

function checkRuleNames(rules: readonly unknown[], at: string, out: Problems): void {
  const named = rules.filter(isObj).filter((r) => has(r, 'name')).map((r) => r.name);
  if (named.some((n) => named.filter((m) => m === n).length !== 1)) out.push({ field: at, message: 'Rule name must be unique within the route' });
}

function checkMatchTotal(rules: readonly unknown[], at: string, out: Problems): void {
  // The CEL rule sums the first 16 rules' matches (a rule without matches counts its default: one).
  const total = rules.slice(0, 16).reduce((sum: number, r) => sum + (isObj(r) && has(r, 'matches') ? list(r.matches).length : 1), 0);
  if (total > 128) out.push({ field: at, message: 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128' });
}

function checkServicePort(ref: unknown, at: string, out: Problems): void {
  if (!isObj(ref)) return;
  if ((ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service' && !has(ref, 'port')) out.push({ field: at, message: 'Must have port for Service reference' });
}

const FILTER_FIELDS: Record<string, string> = {
  CORS: 'cors',
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
  ExternalAuth: 'externalAuth',
};

function checkFilters(filters: readonly unknown[], grpc: boolean, at: string, out: Problems): void {
  const types = grpc ? ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] : Object.keys(FILTER_FIELDS);
  const count = (t: string): number => filters.filter((f) => isObj(f) && f.type === t).length;
  if (!grpc && count('RequestRedirect') > 0 && count('URLRewrite') > 0) {
    out.push({ field: at, message: 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both' });
  }
  const unrepeatable = grpc ? ['RequestHeaderModifier', 'ResponseHeaderModifier'] : ['CORS', 'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'];
  for (const t of unrepeatable) if (count(t) > 1) out.push({ field: at, message: `${t} filter cannot be repeated` });
  filters.forEach((f, i) => {
    if (!isObj(f)) return;
    const fa = `${at}[${i}]`;
    for (const t of types) {
      const field = FILTER_FIELDS[t];
      if (has(f, field) && f.type !== t) out.push({ field: fa, message: `filter.${field} must be nil if the filter.type is not ${t}` });
      if (!has(f, field) && f.type === t) out.push({ field: fa, message: `filter.${field} must be specified for ${t} filter.type` });
    }
    const m = objAt(f, 'requestMirror');
    if (m) {
      if (has(m, 'percent') && has(m, 'fraction')) out.push({ field: `${fa}.requestMirror`, message: 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter' });
      checkServicePort(m.backendRef, `${fa}.requestMirror.backendRef`, out);
      const fraction = objAt(m, 'fraction');
      if (fraction && typeof fraction.numerator === 'number' && fraction.numerator > Number(fraction.denominator ?? 100)) {
        out.push({ field: `${fa}.requestMirror.fraction`, message: 'numerator must be less than or equal to denominator' });
      }
    }
    if (grpc) return;
    for (const key of ['requestRedirect', 'urlRewrite']) {
      const path = objAt(f, key)?.path;
      if (!isObj(path)) continue;
      for (const t of ['ReplaceFullPath', 'ReplacePrefixMatch']) {
        const field = t === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
        if (path.type === t && !has(path, field)) out.push({ field: `${fa}.${key}.path`, message: `${field} must be specified when type is set to '${t}'` });
        if (has(path, field) && path.type !== t) out.push({ field: `${fa}.${key}.path`, message: `type must be '${t}' when ${field} is set` });
      }
    }
    const cors = objAt(f, 'cors');
    if (cors) {
      const star = (v: unknown): boolean => list(v).includes('*') && list(v).length > 1;
      if (star(cors.allowHeaders)) out.push({ field: `${fa}.cors.allowHeaders`, message: "AllowHeaders cannot contain '*' alongside other methods" });
      if (star(cors.allowMethods)) out.push({ field: `${fa}.cors.allowMethods`, message: "AllowMethods cannot contain '*' alongside other methods" });
      if (star(cors.allowOrigins)) out.push({ field: `${fa}.cors.allowOrigins`, message: "AllowOrigins cannot contain '*' alongside other origins" });
    }
    const a = objAt(f, 'externalAuth');
    if (a) {
      for (const [protocol, field] of [['GRPC', 'grpc'], ['HTTP', 'http']]) {
        if (a.protocol === protocol && !has(a, field)) out.push({ field: `${fa}.externalAuth`, message: `${field} must be specified when protocol is set to '${protocol}'` });
        if (has(a, field) && a.protocol !== protocol) out.push({ field: `${fa}.externalAuth`, message: `protocol must be '${protocol}' when ${field} is set` });
      }
      checkServicePort(a.backendRef, `${fa}.externalAuth.backendRef`, out);
    }
  });
}

function checkSessionPersistence(sp: unknown, at: string, out: Problems): void {
  if (!isObj(sp)) return;
  if (objAt(sp, 'cookieConfig')?.lifetimeType === 'Permanent' && !has(sp, 'absoluteTimeout')) {
    out.push({ field: at, message: 'AbsoluteTimeout must be specified when cookie lifetimeType is Permanent' });
  }
  if (has(sp, 'cookieConfig') && (sp.type ?? 'Cookie') !== 'Cookie') out.push({ field: at, message: 'cookieConfig can only be set with type Cookie' });
}

function prefixRewriteNeedsOnePrefixMatch(rule: Fields): boolean {
  const matches: readonly unknown[] = has(rule, 'matches') ? list(rule.matches) : [{ path: { type: 'PathPrefix', value: '/' } }];
  // A match without path gets the default path, PathPrefix /.
  const first = matches[0];
  const path = isObj(first) ? first.path ?? { type: 'PathPrefix' } : undefined;
  return matches.length === 1 && isObj(path) && (path.type ?? 'PathPrefix') === 'PathPrefix';
}

function usesPrefixReplace(filters: readonly unknown[], key: string): boolean {
  // CEL exists_one: exactly one such filter triggers the rule.
  return filters.filter((f) => {
    const path = isObj(f) ? objAt(f, key)?.path : undefined;
    return isObj(path) && path.type === 'ReplacePrefixMatch' && has(path, 'replacePrefixMatch');
  }).length === 1;
}

function checkHttpRule(rule: Fields, at: string, out: Problems): void {
  const filters = list(rule.filters);
  const backends = list(rule.backendRefs);
  if (backends.length > 0 && filters.some((f) => has(f, 'requestRedirect'))) {
    out.push({ field: at, message: 'RequestRedirect filter must not be used together with backendRefs' });
  }
  const onePrefix = prefixRewriteNeedsOnePrefixMatch(rule);
  const redirect = 'requestRedirect';
  const rewrite = 'urlRewrite';
  if (usesPrefixReplace(filters, redirect) && !onePrefix) out.push({ field: at, message: 'When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified' });
  if (usesPrefixReplace(filters, rewrite) && !onePrefix) out.push({ field: at, message: 'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified' });
  const backendsUsing = (key: string): number => backends.filter((b) => isObj(b) && usesPrefixReplace(list(b.filters), key)).length;
  if (backendsUsing(redirect) === 1 && !onePrefix) {
    out.push({ field: at, message: 'Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified' });
  }
  if (backendsUsing(rewrite) === 1 && !onePrefix) {
    out.push({ field: at, message: 'Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified' });
  }
  list(rule.matches).forEach((m, i) => {
    const path = isObj(m) ? m.path : undefined;
    if (!isObj(path)) return;
    const type = path.type ?? 'PathPrefix';
    const value: string = typeof path.value === 'string' ? path.value : '/';
    const pa = `${at}.matches[${i}].path`;
    const literal = type === 'Exact' || type === 'PathPrefix';
    if (literal) {
      if (!value.startsWith('/')) out.push({ field: pa, message: "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']" });
      for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) {
        if (value.includes(bad)) out.push({ field: pa, message: `must not contain '${bad}' when type one of ['Exact', 'PathPrefix']` });
      }
      for (const bad of ['/..', '/.']) if (value.endsWith(bad)) out.push({ field: pa, message: `must not end with '${bad}' when type one of ['Exact', 'PathPrefix']` });
      if (!PATH_CHARS.test(value)) {
        out.push({ field: pa, message: "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']" });
      }
    } else if (type !== 'RegularExpression') {
      out.push({ field: pa, message: "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']" });
    }
  });
  const t = rule.timeouts;
  if (isObj(t) && typeof t.request === 'string' && typeof t.backendRequest === 'string' && DURATION.test(t.request) && DURATION.test(t.backendRequest)) {
    if (millis(t.request) !== 0 && millis(t.backendRequest) > millis(t.request)) {
      out.push({ field: `${at}.timeouts`, message: 'backendRequest timeout cannot be longer than request timeout' });
    }
  }
}

function checkGrpcRule(rule: Fields, at: string, out: Problems): void {
  list(rule.matches).forEach((m, i) => {
    const method = isObj(m) ? m.method : undefined;
    if (!isObj(method)) return;
    const ma = `${at}.matches[${i}].method`;
    const type = method.type ?? 'Exact';
    if (!has(method, 'service') && !has(method, 'method')) out.push({ field: ma, message: "One or both of 'service' or 'method' must be specified" });
    if (type === 'Exact' && typeof method.service === 'string' && !/^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i.test(method.service)) {
      out.push({ field: ma, message: 'service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)' });
    }
    if (type === 'Exact' && typeof method.method === 'string' && !/^[A-Za-z_][A-Za-z_0-9]*$/.test(method.method)) {
      out.push({ field: ma, message: 'method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)' });
    }
  });
}

function checkRoute(spec: Fields, routeKind: 'HTTPRoute' | 'GRPCRoute' | 'TCPRoute', out: Problems): void {
  checkParentRefs(list(spec.parentRefs), 'spec.parentRefs', out);
  const rules: readonly unknown[] = has(spec, 'rules') ? list(spec.rules) : routeKind === 'HTTPRoute' ? [{}] : [];
  if (routeKind !== 'TCPRoute') checkMatchTotal(rules, 'spec.rules', out);
  checkRuleNames(rules, 'spec.rules', out);
  rules.forEach((rule, r) => {
    if (!isObj(rule)) return;
    const at = `spec.rules[${r}]`;
    if (routeKind === 'HTTPRoute') checkHttpRule(rule, at, out);
    if (routeKind === 'GRPCRoute') checkGrpcRule(rule, at, out);
    if (routeKind !== 'TCPRoute') {
      checkFilters(list(rule.filters), routeKind === 'GRPCRoute', `${at}.filters`, out);
      checkSessionPersistence(rule.sessionPersistence, `${at}.sessionPersistence`, out);
    }
    list(rule.backendRefs).forEach((b, i) => {
      checkServicePort(b, `${at}.backendRefs[${i}]`, out);
      if (routeKind !== 'TCPRoute' && isObj(b)) checkFilters(list(b.filters), routeKind === 'GRPCRoute', `${at}.backendRefs[${i}].filters`, out);
    });
  });
}

const KEY_FORM = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

function checkGateway(spec: Fields, out: Problems): void {
  const addresses = list(spec.addresses).filter(isObj);
  for (const type of ['IPAddress', 'Hostname']) {
    const values = addresses.filter((a) => (a.type ?? 'IPAddress') === type && has(a, 'value')).map((a) => a.value);
    if (values.some((v) => values.filter((w) => w === v).length !== 1)) out.push({ field: 'spec.addresses', message: `${type} values must be unique` });
  }
  addresses.forEach((a, i) => {
    // Not CEL: the schema's oneOf, whose IPAddress branch wants an ipv4 or ipv6 value.
    if ((a.type ?? 'IPAddress') === 'IPAddress' && has(a, 'value') && isIP(String(a.value)) === 0) {
      out.push({ field: `spec.addresses[${i}].value`, message: 'must be an IPv4 or IPv6 address when type is IPAddress' });
    }
    if ((a.type ?? 'IPAddress') === 'Hostname' && has(a, 'value') && !HOSTNAME.test(String(a.value))) {
      out.push({ field: `spec.addresses[${i}]`, message: `Hostname value must be empty or contain only valid characters (matching ${HOSTNAME.source})` });
    }
  });
  const infra = objAt(spec, 'infrastructure') ?? {};
  for (const [field, what] of [['annotations', 'Annotation'], ['labels', 'Label']]) {
    const written = objAt(infra, field);
    if (!written) continue;
    const keys = Object.keys(written);
    if (!keys.every((k) => KEY_FORM.test(k))) {
      out.push({ field: `spec.infrastructure.${field}`, message: `${what} keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.` });
    }
    if (!keys.every((k) => k.split('/')[0].length < 253)) {
      out.push({ field: `spec.infrastructure.${field}`, message: `If specified, the ${what.toLowerCase()} key's prefix must be a DNS subdomain not longer than 253 characters in total.` });
    }
  }
  const listeners = list(spec.listeners).filter(isObj);
  const at = 'spec.listeners';
  const protocolIn = (l: Fields, protocols: readonly unknown[]) => protocols.includes(l.protocol);
  if (listeners.some((l) => protocolIn(l, ['HTTP', 'TCP', 'UDP']) && has(l, 'tls'))) out.push({ field: at, message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']" });
  // tls.mode defaults to Terminate, so an explicit Passthrough is what the rule refuses.
  const tlsOf = (l: Fields) => objAt(l, 'tls');
  if (listeners.some((l) => { const mode = tlsOf(l)?.mode; return l.protocol === 'HTTPS' && tlsOf(l) !== undefined && mode !== undefined && mode !== '' && mode !== 'Terminate'; })) {
    out.push({ field: at, message: 'tls mode must be Terminate for protocol HTTPS' });
  }
  if (listeners.some((l) => { const tls = tlsOf(l); return l.protocol === 'TLS' && !(tls && (tls.mode ?? 'Terminate') !== ''); })) out.push({ field: at, message: 'tls mode must be set for protocol TLS' });
  if (listeners.some((l) => protocolIn(l, ['TCP', 'UDP']) && !empty(l.hostname))) out.push({ field: at, message: "hostname must not be specified for protocols ['TCP', 'UDP']" });
  if (listeners.some((a) => listeners.filter((b) => a.name === b.name).length !== 1)) out.push({ field: at, message: 'Listener name must be unique within the Gateway' });
  const sameHost = (a: Fields, b: Fields): boolean => (has(a, 'hostname') && has(b, 'hostname') ? a.hostname === b.hostname : !has(a, 'hostname') && !has(b, 'hostname'));
  if (listeners.some((a) => listeners.filter((b) => a.port === b.port && a.protocol === b.protocol && sameHost(a, b)).length !== 1)) {
    out.push({ field: at, message: 'Combination of port, protocol and hostname must be unique for each listener' });
  }
  listeners.forEach((l, i) => {
    const tls = objAt(l, 'tls');
    if (tls && (tls.mode ?? 'Terminate') === 'Terminate' && list(tls.certificateRefs).length === 0 && !(isObj(tls.options) && Object.keys(tls.options).length > 0)) {
      out.push({ field: `spec.listeners[${i}].tls`, message: 'certificateRefs or options must be specified when mode is Terminate' });
    }
  });
  const frontend = objAt(objAt(spec, 'tls') ?? {}, 'frontend');
  const perPort = frontend ? list(frontend.perPort).filter(isObj) : [];
  if (perPort.some((a) => perPort.filter((b) => a.port === b.port).length !== 1)) {
    out.push({ field: 'spec.tls.frontend.perPort', message: 'Port for TLS configuration must be unique within the Gateway' });
  }
}

/* ---------- entry point ---------- */

const SPECS: Record<string, { schema: Schema; cel?: (spec: Fields, out: Problems) => void }> = {
  'v1/Gateway': { schema: gatewaySpec, cel: checkGateway },
  'v1/HTTPRoute': { schema: httpRouteSpec, cel: (s, o) => checkRoute(s, 'HTTPRoute', o) },
  'v1/GRPCRoute': { schema: grpcRouteSpec, cel: (s, o) => checkRoute(s, 'GRPCRoute', o) },
  'v1alpha2/TCPRoute': { schema: tcpRouteSpec, cel: (s, o) => checkRoute(s, 'TCPRoute', o) },
  'v1/TCPRoute': { schema: tcpRouteSpecV1, cel: (s, o) => checkRoute(s, 'TCPRoute', o) },
  'v1/ReferenceGrant': { schema: referenceGrantSpec },
  'v1beta1/ReferenceGrant': { schema: referenceGrantSpec },
};

/** True when meshlab checks this apiVersion and kind of the Gateway API. */
export function isCheckedGatewayApiKind(apiVersion: string, kind: string): boolean {
  return apiVersion.startsWith(`${GATEWAY_API_GROUP}/`) && `${apiVersion.slice(GATEWAY_API_GROUP.length + 1)}/${kind}` in SPECS;
}

const METADATA_KEYS = new Set(['name', 'namespace', 'labels', 'annotations', 'generateName', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers', 'managedFields', 'selfLink']);

/**
 * Every problem the API server would report for this Gateway API object, structural first, then
 * the CEL rules'. Empty for a valid object. Call only for a kind isCheckedGatewayApiKind accepts.
 */
export function validateGatewayApi(manifest: Fields): GatewayApiProblem[] {
  const entry = SPECS[`${String(manifest.apiVersion).slice(GATEWAY_API_GROUP.length + 1)}/${String(manifest.kind)}`];
  if (!entry) return [{ field: 'kind', message: `no schema for apiVersion ${String(manifest.apiVersion)} kind ${String(manifest.kind)}` }];
  const out: Problems = [];
  for (const key of Object.keys(manifest)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key)) out.push({ field: key, message: 'is not in the schema (the API server would drop it silently)' });
  }
  const metadata = objAt(manifest, 'metadata');
  if (metadata) {
    for (const key of Object.keys(metadata)) if (!METADATA_KEYS.has(key)) out.push({ field: `metadata.${key}`, message: 'is not in the schema (the API server would drop it silently)' });
  }
  if (!has(manifest, 'spec')) {
    out.push({ field: 'spec', message: 'is required' });
    return out;
  }
  walk(entry.schema, manifest.spec, 'spec', out);
  const spec = objAt(manifest, 'spec');
  if (spec) entry.cel?.(spec, out);
  return out;
}

function walk(schema: Schema, value: unknown, at: string, out: Problems): void {
  // No field of these CRDs is nullable: null takes the default where there is one, and is a wrong type elsewhere.
  if (value === null && schema.defaulted) return;
  if (value === null) return void out.push({ field: at, message: `must be ${schema.t === 'map' ? 'object' : schema.t}` });
  switch (schema.t) {
    case 'string':
      if (typeof value !== 'string') return void out.push({ field: at, message: 'must be string' });
      if (schema.enum && !schema.enum.includes(value)) return void out.push({ field: at, message: `must be one of ${schema.enum.join(', ')}` });
      if (schema.min !== undefined && value.length < schema.min) out.push({ field: at, message: `must NOT have fewer than ${schema.min} characters` });
      if (schema.max !== undefined && value.length > schema.max) out.push({ field: at, message: `must NOT have more than ${schema.max} characters` });
      if (schema.pattern && !schema.pattern.test(value)) out.push({ field: at, message: `must match pattern "${schema.pattern.source}"` });
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return void out.push({ field: at, message: 'must be integer' });
      if (schema.enum && !schema.enum.includes(value)) return void out.push({ field: at, message: `must be one of ${schema.enum.join(', ')}` });
      if (schema.min !== undefined && value < schema.min) out.push({ field: at, message: `must be >= ${schema.min}` });
      if (schema.max !== undefined && value > schema.max) out.push({ field: at, message: `must be <= ${schema.max}` });
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push({ field: at, message: 'must be boolean' });
      return;
    case 'array':
      if (!Array.isArray(value)) return void out.push({ field: at, message: 'must be array' });
      if (schema.min !== undefined && value.length < schema.min) out.push({ field: at, message: `must NOT have fewer than ${schema.min} items` });
      if (schema.max !== undefined && value.length > schema.max) out.push({ field: at, message: `must NOT have more than ${schema.max} items` });
      value.forEach((v, i) => walk(schema.items, v, `${at}[${i}]`, out));
      return;
    case 'map':
      if (!isObj(value)) return void out.push({ field: at, message: 'must be object' });
      for (const [k, v] of Object.entries(value)) walk(schema.values, v, `${at}.${k}`, out);
      return;
    case 'object':
      if (!isObj(value)) return void out.push({ field: at, message: 'must be object' });
      for (const r of schema.required ?? []) if (!has(value, r)) out.push({ field: at ? `${at}.${r}` : r, message: 'is required' });
      for (const [k, v] of Object.entries(value)) {
        const child = schema.props[k];
        if (child) walk(child, v, `${at}.${k}`, out);
        else out.push({ field: `${at}.${k}`, message: 'is not in the schema (the API server would drop it silently)' });
      }
      return;
  }
}
