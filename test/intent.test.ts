// Routing intent, then rendering: scenarios compose a typed per-host model; the Istio
// renderer (lib/render/istio.ts) is the one place it becomes VirtualService and DestinationRule.
import { App, Duration } from 'cdk8s';
import {
  Canary, CircuitBreaker, ExternalHost, Fault, FaultAbort, HeaderRoute, LoadBalancer, LoadBalancing, MeshLab, Mirror, Retry, Timeout,
  istioDestinationRule, istioHttpRoutes, istioVirtualService,
} from '../lib';
import { gatewayApiTcpRoute } from '../lib/render/gateway-api';
import { istioAuthorizationPolicy, istioServiceEntry, istioTcpVirtualService } from '../lib/render/istio';

function lab() {
  const l = new MeshLab(new App({ outdir: 'unused' }), 'shop', { namespace: 'shop' });
  const web = l.addService('web', { port: 8080 });
  const v1 = web.addVersion('v1', { image: 'example/web:1' });
  const v2 = web.addVersion('v2', { image: 'example/web:2' });
  return { l, web, v1, v2 };
}

describe('a host states its routing as typed intent', () => {
  test('a canary is a last route with weighted destinations: the versions, as plain data the renderers take', () => {
    const { l, web, v1, v2 } = lab();
    new Canary(l, 'canary', { weights: [{ version: v1, weight: 90 }, { version: v2, weight: 10 }] });
    const { routes } = web.intent;
    expect(routes).toHaveLength(1);
    expect(routes[0].to).toEqual([
      { destination: { service: 'web', namespace: 'shop', port: 8080, version: 'v1' }, weight: 90 },
      { destination: { service: 'web', namespace: 'shop', port: 8080, version: 'v2' }, weight: 10 },
    ]);
    expect(routes[0].to!.map((t) => t.destination)).toEqual([v1.target, v2.target]);
  });

  test('a header route comes before the catch-all, with its match as a Match object', () => {
    const { l, web, v2 } = lab();
    new HeaderRoute(l, 'safari', { header: 'User-Agent', regex: '.*Safari.*', to: v2 });
    const [first, last] = web.intent.routes;
    expect(first.match!.map((m) => [m.kind, m.header, m.value])).toEqual([['header', 'user-agent', '.*Safari.*']]);
    expect(last.to).toEqual([{ destination: { service: 'web', namespace: 'shop', port: 8080 } }]);
  });

  test('faults, retries and timeouts are values with Durations, not Istio JSON', () => {
    const { l, web } = lab();
    new FaultAbort(l, 'abort', { service: web, status: 503, percent: 50 });
    new Timeout(l, 'timeout', { service: web, timeout: Duration.seconds(3) });
    new Retry(l, 'retry', { service: web, attempts: 2, perTryTimeout: Duration.millis(500) });
    const { settings } = web.intent;
    expect(settings.abort).toBeInstanceOf(Fault);
    expect([settings.abort!.kind, settings.abort!.status, settings.abort!.percent]).toEqual(['abort', 503, 50]);
    expect(settings.timeout!.toSeconds()).toBe(3);
    expect(settings.retries!.perTryTimeout!.toMilliseconds()).toBe(500);
  });

  test('traffic policies are typed: load balancing by factory, limits and ejection with Durations', () => {
    const { l, web, v2 } = lab();
    new LoadBalancer(l, 'lb', { service: web, policy: 'LEAST_REQUEST', subset: { version: v2, policy: 'RANDOM' } });
    const { policy, subsetPolicies } = web.intent;
    expect(policy.loadBalancer).toEqual(LoadBalancing.algorithm('LEAST_REQUEST'));
    expect(subsetPolicies.get('v2')!.loadBalancer.algorithm).toBe('RANDOM');
  });

  test('a mirror names the version it copies to', () => {
    const { l, web, v1, v2 } = lab();
    new Mirror(l, 'mirror', { to: v1, mirror: v2, percent: 20 });
    expect(web.intent.mirror).toEqual({ destination: v2.target, percent: 20 });
  });
});

describe('the Istio renderer', () => {
  test('renders the VirtualService from the intent: settings on forwarding routes, mirror on the last', () => {
    const { l, web, v1, v2 } = lab();
    new Mirror(l, 'mirror', { to: v1, mirror: v2, percent: 20 });
    new Retry(l, 'retry', { service: web, attempts: 0 });
    expect(istioHttpRoutes(web.intent, 'shop')).toEqual([{
      route: [{ destination: { host: 'web', subset: 'v1', port: { number: 8080 } } }],
      mirror: { host: 'web', subset: 'v2', port: { number: 8080 } },
      mirrorPercentage: { value: 20 },
      // attempts 0 switches retries off: Istio refuses perTryTimeout and retryOn with it.
      retries: { attempts: 0 },
    }]);
  });

  test('renders a destination in another namespace by its full name, and an external host as it is', () => {
    const { web, v2 } = lab();
    const routes = istioHttpRoutes({ routes: [{ to: [{ destination: v2.target, weight: 50 }, { destination: ExternalHost.http('httpbin.org').target, weight: 50 }] }], settings: {}, policy: {}, subsetPolicies: new Map() }, 'elsewhere');
    expect(routes[0].route).toEqual([
      { destination: { host: 'web.shop.svc.cluster.local', subset: 'v2', port: { number: 8080 } }, weight: 50 },
      { destination: { host: 'httpbin.org', port: { number: 80 } }, weight: 50 },
    ]);
    expect(web.hostFrom('shop')).toBe('web');
  });

  test('renders the DestinationRule: a subset per version and the host policy in Istio units', () => {
    const { l, web } = lab();
    new CircuitBreaker(l, 'cb', {
      service: web, maxConnections: 1, maxPendingRequests: 1, consecutive5xxErrors: 1,
      interval: Duration.seconds(1), baseEjectionTime: Duration.minutes(3), maxEjectionPercent: 100,
    });
    const spec = istioDestinationRule({ name: 'web', isHttp: true, subsets: web.versions.map((v) => ({ name: v.subset, labels: { version: v.name } })), everyVersion: { to: [{ destination: web.target }] } }, web.intent);
    expect(spec.subsets!.map((s) => s.name)).toEqual(['v1', 'v2']);
    expect(spec.trafficPolicy!.outlierDetection).toEqual({ consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 });
    expect(spec.trafficPolicy!.connectionPool!.http!.http1MaxPendingRequests).toBe(1);
  });

  test('a TCP host routes every connection to the service', () => {
    const { web } = lab();
    const vs = istioVirtualService({ name: 'db', isHttp: false, subsets: [], everyVersion: { to: [{ destination: web.target }] } }, web.intent, 'shop');
    expect(vs).toEqual({ hosts: ['db'], tcp: [{ route: [{ destination: { host: 'web', port: { number: 8080 } } }] }] });
  });
});

describe('authorization, TCP routes and external hosts go through intent too, rendered by pure functions', () => {
  const web = { service: 'web', namespace: 'shop', port: 8080 };

  test('access intent: an ALLOW with no rule allows nothing; rules become from, to and when', () => {
    expect(istioAuthorizationPolicy({ action: 'ALLOW' }, {})).toEqual({ action: 'ALLOW', rules: undefined });
    expect(istioAuthorizationPolicy({ action: 'DENY', rules: [{ principals: ['cluster.local/ns/shop/sa/cart'] }] }, { selector: { matchLabels: { app: 'web' } } })).toEqual({
      selector: { matchLabels: { app: 'web' } }, action: 'DENY',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/cart'] } }], to: undefined, when: undefined }],
    });
    const allow = istioAuthorizationPolicy({ action: 'ALLOW', rules: [{ methods: ['GET'], header: { name: 'user-agent', values: ['x*'] } }] }, { targetRefs: [{ group: '', kind: 'Service', name: 'web' }] });
    expect(allow.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'web' }]);
    expect(allow.rules).toEqual([{ from: undefined, to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.headers[user-agent]', values: ['x*'] }] }]);
    expect(istioAuthorizationPolicy({ action: 'ALLOW', rules: [{ requestPrincipals: ['issuer/*'] }] }, {}).rules![0].from).toEqual([{ source: { requestPrincipals: ['issuer/*'] } }]);
  });

  test('a TCP route: a VirtualService tcp route, or a GAMMA TCPRoute on the Service, to the destination as seen from the namespace', () => {
    expect(istioTcpVirtualService({ host: 'redis-proxy', port: 16379, to: [{ destination: web }] }, 'elsewhere')).toEqual({
      hosts: ['redis-proxy'], tcp: [{ match: [{ port: 16379 }], route: [{ destination: { host: 'web.shop.svc.cluster.local', port: { number: 8080 } } }] }],
    });
    expect(gatewayApiTcpRoute({ host: 'redis-proxy', port: 16379, to: [{ destination: web }] }, 'shop')).toEqual({
      parentRefs: [{ group: '', kind: 'Service', name: 'redis-proxy', port: 16379 }], rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }],
    });
  });

  test('a TCP route shared by weight: weighted destinations (subsets), or weighted backendRefs to the per-version Services', () => {
    const to = [{ destination: { ...web, version: 'v1' }, weight: 80 }, { destination: { ...web, version: 'v2' }, weight: 20 }];
    expect(istioTcpVirtualService({ host: 'web-tcp', port: 9000, to }, 'shop').tcp).toEqual([{
      match: [{ port: 9000 }],
      route: [{ destination: { host: 'web', subset: 'v1', port: { number: 8080 } }, weight: 80 }, { destination: { host: 'web', subset: 'v2', port: { number: 8080 } }, weight: 20 }],
    }]);
    expect(gatewayApiTcpRoute({ host: 'web-tcp', port: 9000, to }, 'shop').rules).toEqual([{ backendRefs: [{ name: 'web-v1', port: 8080, weight: 80 }, { name: 'web-v2', port: 8080, weight: 20 }] }]);
  });

  test('an external host is a ServiceEntry, and its routing (a timeout) the same HostIntent any host has', () => {
    expect(istioServiceEntry(ExternalHost.http('httpbin.org'))).toEqual({
      hosts: ['httpbin.org'], ports: [{ number: 80, name: 'http-80', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_EXTERNAL',
    });
    const [route] = istioHttpRoutes({ routes: [{ to: [{ destination: ExternalHost.http('httpbin.org').target }] }], settings: { timeout: Duration.seconds(3) }, policy: {}, subsetPolicies: new Map() }, 'shop');
    expect(route).toMatchObject({ route: [{ destination: { host: 'httpbin.org', port: { number: 80 } } }], timeout: '3s' });
  });

});
