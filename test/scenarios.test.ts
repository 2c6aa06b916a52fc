import * as fs from 'fs';
import * as path from 'path';
import { SCENARIOS, SCENARIO_CLASSES } from '../lib/scenarios/catalog';
import { Scenario } from '../lib/scenarios/scenario';
import { parseAllDocuments } from 'yaml';
import { buildLab } from '../lib/app';
import { Flavour } from '../lib/mesh/flavour';
import { LABS } from '../lib/labs';
import { render } from '../lib/output/render';
import { buildModel } from '../lib/app';
import { synthesizeOutput } from '../lib/output/synthesize';
import { checkManifests } from '../lib/validate/check';
import { Manifest } from './support/synth';
import { find } from './support/synth';

const ALL_STEPS = LABS.flatMap((l) => l.scenarios.map((p) => [l.name, p.scenario.name] as const));
const output = synthesizeOutput(buildModel());
const fileOf = (path: string) => output.files.find((f) => f.path === path);
const parse = (content: string) => parseAllDocuments(content).map((d) => d.toJSON() as Manifest).filter(Boolean);

/** The lab with these scenarios switched on, as manifests. */
function labWith(lab: string, scenarios: string[], set: Record<string, string> = {}): Manifest[] {
  const definition = LABS.find((l) => l.name === lab)!;
  const synthesis = render([buildLab(definition, undefined, { scenarios, set }).lab], { files: false });
  expect(synthesis.findings).toEqual([]);
  return synthesis.objects.map((o) => o.manifest);
}

const http = (m: Manifest) => m.spec.http;

test('every lab and every step synthesize with no finding', () => {
  expect(output.findings).toEqual([]);
  expect(ALL_STEPS.length).toBeGreaterThanOrEqual(40);
});

describe.each(ALL_STEPS)('%s step %s', (lab, scenario) => {
  const step = fileOf(`${lab}/steps/${scenario}.yaml`)!;
  const base = output.files.filter((f) => f.path.startsWith(`${lab}/`) && !f.path.includes('/steps/') && f.path.endsWith('.yaml'));

  test('applied on the lab, it is a valid whole', () => {
    const objects = new Map<string, Manifest>();
    const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`;
    for (const f of base) for (const m of parse(f.content)) objects.set(key(m), m);
    const stepObjects = parse(step.content);
    expect(stepObjects.length).toBeGreaterThan(0);
    for (const m of stepObjects) objects.set(key(m), m); // kubectl apply replaces by name
    expect(checkManifests([...objects.values()].map((manifest) => ({ manifest })))).toEqual([]);
  });

  test('holds exactly what the step changes, compared with a full build of the lab', () => {
    const plain = new Map(labWith(lab, []).map((m) => [JSON.stringify([m.kind, m.metadata.name]), JSON.stringify(m)]));
    const expected = labWith(lab, [scenario]).filter((m) => plain.get(JSON.stringify([m.kind, m.metadata.name])) !== JSON.stringify(m));
    expect(parse(step.content)).toEqual(expect.arrayContaining(expected));
    expect(parse(step.content)).toHaveLength(expected.length);
  });

  test('YAML', () => {
    expect(step.content).toMatchSnapshot();
  });
});

describe('the tutorials numbers', () => {
  test('tutorial canary sends 10% of recommendation traffic to v2', () => {
    const vs = find(labWith('tutorial', ['canary']), 'VirtualService', 'recommendation');
    expect(http(vs)[0].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([['v1', 90], ['v2', 10]]);
  });

  test('tutorial fault-delay 7s at 50%, timeout 1s, fault-abort 503 at 50%', () => {
    expect(http(find(labWith('tutorial', ['fault-delay']), 'VirtualService', 'recommendation'))[0].fault).toEqual({ delay: { fixedDelay: '7s', percentage: { value: 50 } } });
    expect(http(find(labWith('tutorial', ['timeout']), 'VirtualService', 'recommendation'))[0].timeout).toBe('1s');
    expect(http(find(labWith('tutorial', ['fault-abort']), 'VirtualService', 'recommendation'))[0].fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 50 } } });
  });

  test('tutorial header-route sends Safari (the forwarded User-Agent) to v2, the rest to v1', () => {
    const routes = http(find(labWith('tutorial', ['header-route']), 'VirtualService', 'recommendation'));
    expect(routes.map((r: any) => [r.match?.[0].headers['user-agent'].regex, r.route[0].destination.subset])).toEqual([['.*Safari.*', 'v2'], [undefined, 'v1']]);
  });

  test('tutorial mirror: all to v1, 100% mirrored to v2', () => {
    const route = http(find(labWith('tutorial', ['mirror']), 'VirtualService', 'recommendation'))[0];
    expect(route.mirror).toEqual({ host: 'recommendation', subset: 'v2', port: { number: 8080 } });
    expect(route.mirrorPercentage).toEqual({ value: 100 });
    expect(route.route[0].destination.subset).toBe('v1');
  });

  test('tutorial circuit-breaker: 1 connection, 1 pending, 1 per connection, 1 error ejects for 2m', () => {
    const dr = find(labWith('tutorial', ['circuit-breaker']), 'DestinationRule', 'recommendation');
    expect(dr.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '2m', maxEjectionPercent: 100 },
    });
  });

  test('tutorial outlier-detection scales recommendation-v2 to 2 and balances randomly', () => {
    const objects = labWith('tutorial', ['outlier-detection']);
    expect(find(objects, 'Deployment', 'recommendation-v2').spec.replicas).toBe(2);
    expect(find(objects, 'DestinationRule', 'recommendation').spec.trafficPolicy).toEqual({
      loadBalancer: { simple: 'RANDOM' },
      outlierDetection: { consecutive5xxErrors: 1, interval: '5s', baseEjectionTime: '15s', maxEjectionPercent: 100 },
    });
  });

  test('tutorial load-balancer is RANDOM with recommendation-v1 scaled to 2', () => {
    const objects = labWith('tutorial', ['load-balancer']);
    expect(find(objects, 'Deployment', 'recommendation-v1').spec.replicas).toBe(2);
    expect(find(objects, 'DestinationRule', 'recommendation').spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'RANDOM' } });
  });

  test('tutorial authz: deny customer -> preference; the whitelist chain by ServiceAccount', () => {
    const deny = find(labWith('tutorial', ['authz-deny']), 'AuthorizationPolicy', 'preference-deny');
    expect(deny.spec).toEqual({
      action: 'DENY',
      selector: { matchLabels: { app: 'preference' } },
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/istio-tutorial/sa/customer'] } }] }],
    });
    const allow = labWith('tutorial', ['authz-allow']);
    expect(find(allow, 'AuthorizationPolicy', 'allow-nothing').spec).toEqual({ action: 'ALLOW' });
    expect(find(allow, 'AuthorizationPolicy', 'customer-allow').spec.rules).toEqual([{ to: [{ operation: { methods: ['GET'] } }] }]);
    expect(find(allow, 'AuthorizationPolicy', 'recommendation-allow').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/istio-tutorial/sa/preference'] } }] }]);
  });

  test('tutorial rate-limit: recommendation v2 takes 1 request per second (Envoy local rate limit)', () => {
    const filter = find(labWith('tutorial', ['rate-limit']), 'EnvoyFilter', 'recommendation-v2-local-ratelimit');
    expect(filter.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(filter.spec.workloadSelector).toEqual({ labels: { app: 'recommendation', version: 'v2' } });
    expect(filter.spec.configPatches[0].patch.value.typed_config.value.token_bucket).toEqual({ max_tokens: 1, tokens_per_fill: 1, fill_interval: '1s' });
  });

  test('tutorial egress: httpbin.org:80 over HTTP and api.github.com:443 over TLS, external and resolved by DNS', () => {
    const objects = labWith('tutorial', ['egress']);
    expect(find(objects, 'ServiceEntry', 'httpbin-org').spec).toEqual({ hosts: ['httpbin.org'], ports: [{ number: 80, name: 'http-80', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_EXTERNAL' });
    expect(find(objects, 'ServiceEntry', 'api-github-com').spec.ports).toEqual([{ number: 443, name: 'tls-443', protocol: 'TLS' }]);
  });

  test('polyglot canary 70/30 on service-go; fault-abort 500 at 50%; timeout service-node 500ms', () => {
    expect(http(find(labWith('polyglot', ['canary']), 'VirtualService', 'service-go'))[0].route.map((r: any) => r.weight)).toEqual([70, 30]);
    expect(http(find(labWith('polyglot', ['fault-abort']), 'VirtualService', 'service-go'))[0].fault.abort).toEqual({ httpStatus: 500, percentage: { value: 50 } });
    expect(http(find(labWith('polyglot', ['timeout']), 'VirtualService', 'service-node'))[0].timeout).toBe('500ms');
  });

  test('polyglot header-route: Firefox reaches service-js v2 at the gateway, everyone else v1', () => {
    const routes = http(find(labWith('polyglot', ['header-route']), 'VirtualService', 'istio-lab'));
    expect(routes.map((r: any) => [JSON.stringify(r.match ?? null), r.route[0].destination.host, r.route[0].destination.subset])).toEqual([
      ['[{"uri":{"prefix":"/env"}}]', 'service-python', undefined],
      ['[{"headers":{"user-agent":{"regex":".*?(Firefox).*?"}}}]', 'service-js', 'v2'],
      ['null', 'service-js', 'v1'],
    ]);
  });

  test('polyglot connection-pool and circuit-breaker numbers on service-go', () => {
    expect(find(labWith('polyglot', ['connection-pool']), 'DestinationRule', 'service-go').spec.trafficPolicy.connectionPool).toEqual({
      tcp: { maxConnections: 10, connectTimeout: '30ms' },
      http: { http2MaxRequests: 10, http1MaxPendingRequests: 5, maxRequestsPerConnection: 2, maxRetries: 3 },
    });
    expect(find(labWith('polyglot', ['circuit-breaker']), 'DestinationRule', 'service-go').spec.trafficPolicy.outlierDetection).toEqual({
      consecutive5xxErrors: 3, interval: '3s', baseEjectionTime: '3m', maxEjectionPercent: 100,
    });
  });

  test('polyglot security: namespace mTLS STRICT; JWT from testing@secure.istio.io on httpbin', () => {
    const objects = labWith('polyglot', ['mtls', 'jwt']);
    expect(find(objects, 'PeerAuthentication', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(find(objects, 'RequestAuthentication', 'httpbin-jwt').spec.jwtRules[0].issuer).toBe('testing@secure.istio.io');
    expect(find(objects, 'AuthorizationPolicy', 'httpbin-require-jwt').spec.rules).toEqual([{ from: [{ source: { requestPrincipals: ['testing@secure.istio.io/*'] } }] }]);
  });

  test('polyglot extras: redirect, rewrite, CORS, request header, TCP route', () => {
    const objects = labWith('polyglot', ['redirect', 'rewrite', 'cors', 'request-headers', 'tcp-route']);
    expect(http(find(objects, 'VirtualService', 'service-go')).slice(0, 2)).toEqual([
      { match: [{ uri: { exact: '/v1/env' } }], redirect: { uri: '/env' } },
      { match: [{ uri: { prefix: '/v1/' } }], rewrite: { uri: '/' }, route: [{ destination: { host: 'service-go', port: { number: 80 } } }] },
    ]);
    const httpbin = http(find(objects, 'VirtualService', 'httpbin'))[0];
    expect(httpbin.corsPolicy).toEqual({ allowOrigins: [{ exact: 'http://www.will.com' }], allowMethods: ['POST', 'GET'], maxAge: '24h' });
    expect(httpbin.headers).toEqual({ request: { add: { 'X-custom-1': '1' } } });
    expect(find(objects, 'VirtualService', 'redis-proxy').spec.tcp).toEqual([
      { match: [{ port: 16379 }], route: [{ destination: { host: 'redis', port: { number: 6379 } } }] },
    ]);
  });

  test('polyglot mtls: STRICT in foo, with the foo / bar (meshed) / legacy matrix of httpbin and sleep', () => {
    const objects = labWith('polyglot', ['mtls']);
    expect(find(objects, 'PeerAuthentication', 'default').metadata.namespace).toBe('foo');
    const namespaces = objects.filter((m) => m.kind === 'Namespace').map((m) => [m.metadata.name, m.metadata.labels?.['istio-injection'] ?? null]);
    expect(namespaces).toEqual([['default', 'enabled'], ['foo', 'enabled'], ['bar', 'enabled'], ['legacy', 'disabled']]);
    for (const ns of ['foo', 'bar', 'legacy']) {
      expect(objects.filter((m) => m.metadata.namespace === ns).map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
        ['Deployment/httpbin', 'Deployment/sleep', 'Service/httpbin', 'ServiceAccount/httpbin', 'ServiceAccount/sleep', ...(ns === 'foo' ? ['PeerAuthentication/default'] : [])].sort());
    }
  });

  test('polyglot A/B canary: Firefox on /env splits service-python 70/30 at the gateway', () => {
    const set = { 'header-route.service': 'service-python', 'header-route.version': 'v1', 'header-route.fallback': 'v2', 'header-route.weights': 'v1:70,v2:30' };
    const routes = http(find(labWith('polyglot', ['header-route'], set), 'VirtualService', 'istio-lab'));
    expect(routes[0].match).toEqual([{ uri: { prefix: '/env' }, headers: { 'user-agent': { regex: '.*?(Firefox).*?' } } }]);
    expect(routes[0].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([['v1', 70], ['v2', 30]]);
    expect(routes[1].route[0].destination.subset).toBe('v2');
  });

  test('egress-gateway with Istio\'s APIs: mesh -> the demo egress gateway -> httpbin.org:443 over TLS, other methods denied there', () => {
    const objects = labWith('polyglot', ['egress-gateway']);
    expect(find(objects, 'ServiceEntry', 'httpbin-org').spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP', targetPort: 443 }]);
    expect(find(objects, 'DestinationRule', 'httpbin-org').spec).toEqual({
      host: 'httpbin.org', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', caCertificates: '/etc/ssl/certs/ca-certificates.crt' } }] },
    });
    expect(find(objects, 'Gateway', 'httpbin-org-egress').spec.selector).toEqual({ istio: 'egressgateway' });
    expect(find(objects, 'DestinationRule', 'httpbin-org-egress').spec).toEqual({ host: 'istio-egressgateway.istio-system.svc.cluster.local', subsets: [{ name: 'httpbin-org' }] });
    const vs = find(objects, 'VirtualService', 'httpbin-org');
    expect(vs.spec.gateways).toEqual(['httpbin-org-egress', 'mesh']);
    expect(http(vs).map((r: any) => [r.match[0].gateways[0], r.route[0].destination.host])).toEqual([
      ['mesh', 'istio-egressgateway.istio-system.svc.cluster.local'],
      ['httpbin-org-egress', 'httpbin.org'],
    ]);
    const policy = objects.find((m) => m.kind === 'AuthorizationPolicy' && m.metadata.namespace === 'istio-system')!;
    expect(policy.spec).toEqual({ selector: { matchLabels: { istio: 'egressgateway' } }, action: 'DENY', rules: [{ to: [{ operation: { hosts: ['httpbin.org'], notMethods: ['GET'], ports: ['8080'] } }] }] });
  });

  test('egress-gateway with the Gateway API: a Gateway of its own, an HTTPRoute on the ServiceEntry to it, one from it to the Hostname', () => {
    const objects = render([buildLab(LABS.find((l) => l.name === 'polyglot')!, { flavour: Flavour.GATEWAY_API }, { scenarios: ['egress-gateway'] }).lab], { files: false }).objects.map((o) => o.manifest);
    const gateway = find(objects, 'Gateway', 'httpbin-org-egress');
    expect(gateway.spec.listeners).toEqual([{ name: 'http', hostname: 'httpbin.org', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }]);
    expect(find(objects, 'HTTPRoute', 'httpbin-org-to-egress').spec).toEqual({
      parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'httpbin-org' }], rules: [{ backendRefs: [{ name: 'httpbin-org-egress-istio', port: 80 }] }],
    });
    expect(find(objects, 'HTTPRoute', 'httpbin-org-from-egress').spec.rules).toEqual([{ backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'httpbin.org', port: 80 }] }]);
    expect(find(objects, 'AuthorizationPolicy', 'httpbin-org-egress').spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'httpbin-org-egress' }]);
  });

  test('egress-gateway in ambient: the ServiceEntry uses the namespace\'s waypoint, whose policy on it allows GET', () => {
    const objects = render([buildLab(LABS.find((l) => l.name === 'polyglot')!, { flavour: Flavour.AMBIENT }, { scenarios: ['egress-gateway'] }).lab], { files: false }).objects.map((o) => o.manifest);
    expect(find(objects, 'ServiceEntry', 'httpbin-org').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
    // Its own address, which ztunnel's DNS proxy answers with: istiod's allocation can be lost (ipallocate.go).
    expect(find(objects, 'ServiceEntry', 'httpbin-org').spec.addresses).toEqual(['240.240.255.1']);
    expect(find(objects, 'AuthorizationPolicy', 'httpbin-org').spec).toEqual({
      action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }], targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'httpbin-org' }],
    });
    expect(objects.filter((m) => m.kind === 'HTTPRoute' && m.metadata.name.startsWith('httpbin-org'))).toEqual([]);
  });

  test('egress-gateway refuses a host that is not plain HTTP, and a method in small letters', () => {
    expect(() => labWith('polyglot', ['egress-gateway'], { 'egress-gateway.methods': 'get' })).toThrow('egress-gateway: method get must be an HTTP method in capitals, such as GET or POST');
    expect(() => labWith('polyglot', ['egress-gateway'], { 'egress-gateway.host': 'httpbin' })).toThrow('egress-gateway: httpbin is not a DNS host name such as httpbin.org');
  });

  test('polyglot load-balancer variants: v2 LEAST_REQUEST with port 80 RANDOM; consistent hash on x-lb-test', () => {
    const dr = find(labWith('polyglot', ['load-balancer'], { 'load-balancer.subset': 'v2:LEAST_REQUEST:80:RANDOM' }), 'DestinationRule', 'service-go');
    expect(dr.spec.subsets[1].trafficPolicy).toEqual({ loadBalancer: { simple: 'LEAST_REQUEST' }, portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'RANDOM' } }] });
    const hashed = find(labWith('polyglot', ['load-balancer'], { 'load-balancer.hashHeader': 'x-lb-test' }), 'DestinationRule', 'service-go');
    expect(hashed.spec.trafficPolicy.loadBalancer).toEqual({ consistentHash: { httpHeaderName: 'x-lb-test' } });
  });

  test('authz-allow takes the book\'s header rule: User-Agent RBAC-*', () => {
    const objects = labWith('polyglot', ['authz-allow'], { 'authz-allow.rules': 'service-python<*:GET@User-Agent=RBAC-*' });
    expect(find(objects, 'AuthorizationPolicy', 'service-python-allow').spec.rules).toEqual([
      { to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.headers[User-Agent]', values: ['RBAC-*'] }] },
    ]);
  });

  test('a step that adds namespaces reverts by deleting them, not what is inside', () => {
    expect(fileOf('polyglot/steps/mtls.yaml')!.content).toMatch(/^# Revert: kubectl delete namespace foo bar legacy$/m);
  });

  test('flask route sends everything to v2, and to v1 when asked', () => {
    expect(http(find(labWith('flask', ['route']), 'VirtualService', 'flaskapp'))[0].route[0].destination.subset).toBe('v2');
    expect(http(find(labWith('flask', ['route'], { 'route.version': 'v1' }), 'VirtualService', 'flaskapp'))[0].route[0].destination.subset).toBe('v1');
  });

  test('fft ingress-tls adds an HTTPS server with the credential secret to wtyfft-gateway', () => {
    expect(find(labWith('fft', ['ingress-tls']), 'Gateway', 'wtyfft-gateway').spec.servers[1]).toEqual({
      port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'wtyfft-credential' },
    });
  });
});

describe('composition', () => {
  test('fault-abort and retry merge into recommendation\'s one route', () => {
    const route = http(find(labWith('tutorial', ['fault-abort', 'retry']), 'VirtualService', 'recommendation'))[0];
    expect(route.fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 50 } } });
    expect(route.retries).toEqual({ attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure,refused-stream' });
  });

  test('fault-delay and fault-abort together (the book\'s "both")', () => {
    const route = http(find(labWith('polyglot', ['fault-abort', 'fault-delay'], { 'fault-delay.percent': '100' }), 'VirtualService', 'service-go'))[0];
    expect(route.fault).toEqual({ abort: { httpStatus: 500, percentage: { value: 50 } }, delay: { fixedDelay: '5s', percentage: { value: 100 } } });
  });

  test('canary and circuit-breaker: the split in the VirtualService, the breaker in the DestinationRule', () => {
    const objects = labWith('tutorial', ['canary', 'circuit-breaker']);
    expect(http(find(objects, 'VirtualService', 'recommendation'))[0].route.map((r: any) => r.weight)).toEqual([90, 10]);
    expect(Object.keys(find(objects, 'DestinationRule', 'recommendation').spec.trafficPolicy).sort()).toEqual(['connectionPool', 'outlierDetection']);
  });

  test('header-route and canary: the header match first, the canary split as the catch-all', () => {
    const routes = http(find(labWith('tutorial', ['header-route', 'canary']), 'VirtualService', 'recommendation'));
    expect(routes.map((r: any) => [Boolean(r.match), r.route.map((d: any) => `${d.destination.subset}:${d.weight ?? 100}`).join(',')])).toEqual([
      [true, 'v2:100'],
      [false, 'v1:90,v2:10'],
    ]);
  });

  test('a timeout on customer reaches the gateway route that carries customer', () => {
    const routes = http(find(labWith('tutorial', ['timeout'], { 'timeout.service': 'customer', 'timeout.delayVersion': '' }), 'VirtualService', 'customer-gateway'));
    expect(routes).toEqual([{ match: [{ uri: { prefix: '/customer' } }], rewrite: { uri: '/' }, timeout: '1s', route: [{ destination: { host: 'customer', port: { number: 8080 } } }] }]);
  });

  test.each([
    [['route', 'canary'], 'scenarios tutorial/route and tutorial/canary both set the routes of recommendation; switch one of them off'],
    [['mirror', 'route'], 'scenarios tutorial/route and tutorial/mirror both set the routes of recommendation; switch one of them off'],
    [['circuit-breaker', 'outlier-detection'], 'scenarios tutorial/circuit-breaker and tutorial/outlier-detection both set the traffic policy outlierDetection of recommendation; switch one of them off'],
    [['load-balancer', 'outlier-detection'], 'scenarios tutorial/load-balancer and tutorial/outlier-detection both set the traffic policy loadBalancer of recommendation; switch one of them off'],
  ])('%j contradict each other', (scenarios, message) => {
    const definition = LABS.find((l) => l.name === 'tutorial')!;
    expect(() => buildLab(definition, undefined, { scenarios })).toThrow(message);
  });
});

describe('a scenario is defined once, by its class', () => {
  const root = path.resolve(__dirname, '..');
  const source = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

  test('the catalog is the list of classes, each carrying its definition', () => {
    expect(SCENARIOS).toEqual(SCENARIO_CLASSES.map((c) => c.definition));
    expect(source('lib/scenarios/catalog.ts')).not.toMatch(/scenario\(\{/);
  });

  test("a scenario construct's kind is its definition's name, never a string of its own", () => {
    const files = ['traffic', 'policy', 'security', 'edge'].map((f) => source(`lib/scenarios/${f}.ts`));
    expect(files.flatMap((text) => text.match(/super\(scope, id, '[^']*'/g) ?? [])).toEqual([]);
    for (const c of SCENARIO_CLASSES) expect(files.some((text) => text.includes(`super(scope, id, ${c.name}.definition.name, props)`))).toBe(true);
  });

  test.each(LABS.flatMap((l) => l.scenarios.map((p) => [l.name, p.scenario.name] as const)))('%s %s: the construct applied is of the class whose definition it is', (lab, name) => {
    const definition = LABS.find((l) => l.name === lab)!;
    const { applied } = buildLab(definition, undefined, { scenarios: [name] });
    const made = applied[0].lab.node.findAll().filter((c): c is Scenario => c instanceof Scenario);
    expect(made.map((s) => s.name)).toEqual([name]);
    expect(SCENARIO_CLASSES.find((c) => made[0] instanceof c)!.definition.name).toBe(name);
  });
});
