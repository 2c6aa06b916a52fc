import { parseAllDocuments } from 'yaml';
import type { RouteDecision } from '../lib/explain/tally';
import { LABS } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { SimResult, compareDecision, goDurationMs, parseCluster } from '../lib/verify/simulation/compare';
import { TUTORIAL_FACTS, readFact, sameValue } from '../lib/verify/simulation/facts';
import { judge, readFacts, simulationCases, simulatorInput } from '../lib/verify/simulation/main';

// verify:simulation's own logic, without Go: what it asks Istio's simulation, and how it compares
// the answer with explain's decisions. The simulation itself runs in CI (.ci/run).

const tutorial = LABS.find((l) => l.name === 'tutorial')!;
const REC = 'recommendation.istio-tutorial.svc.cluster.local';

/** The canary's decision at preference's sidecar, as explain took it. */
function canaryDecision(): RouteDecision {
  const [c] = simulationCases([tutorial], [Flavour.CLASSIC]).filter((x) => x.id === 'tutorial/canary');
  return c.decisions.find((d) => d.to === 'recommendation')!;
}

/** What Envoy would have for the canary: a route of VirtualService recommendation, 90/10. */
const envoyCanary: SimResult = {
  config: 'tutorial/canary', proxy: 'p1', call: 'c1', position: 1, route: '',
  origin: '/apis/networking.istio.io/v1/namespaces/istio-tutorial/virtual-service/recommendation',
  clusters: [{ cluster: `outbound|8080|v1|${REC}`, weight: 90 }, { cluster: `outbound|8080|v2|${REC}`, weight: 10 }],
  timeout: '0s', retry: { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: 2 },
};

describe('reading Envoy back', () => {
  test('a cluster name is port, subset and host (BuildSubsetKey); a waypoint\'s subset follows its protocol; another name is none', () => {
    expect(parseCluster(`outbound|8080|v1|${REC}`)).toEqual({ port: 8080, subset: 'v1', host: REC });
    expect(parseCluster(`inbound-vip|8080|http/v1|${REC}`)).toEqual({ port: 8080, subset: 'v1', host: REC });
    expect(parseCluster(`inbound-vip|8080|http|${REC}`)).toEqual({ port: 8080, host: REC });
    expect(parseCluster('outbound|80||httpbin.org')).toEqual({ port: 80, host: 'httpbin.org' });
    expect(parseCluster('PassthroughCluster')).toBeUndefined();
  });

  test("Go's durations in ms", () => {
    expect([goDurationMs('1s'), goDurationMs('500ms'), goDurationMs('1m0s'), goDurationMs('1.5s'), goDurationMs('0s'), goDurationMs(undefined)]).toEqual([1000, 500, 60000, 1500, 0, 0]);
    expect(() => goDurationMs('1 second')).toThrow('not a Go duration: 1 second');
  });
});

describe('comparing a decision with what Envoy has', () => {
  test('the canary as explain takes it: route 1 of VirtualService recommendation, v1 90 and v2 10, no timeout, Istio\'s default retries', () => {
    const d = canaryDecision();
    expect(d.route).toEqual({ kind: 'VirtualService', namespace: 'istio-tutorial', name: 'recommendation', position: 1 });
    expect(d.destinations).toEqual([{ host: REC, subset: 'v1', port: 8080, weight: 90 }, { host: REC, subset: 'v2', port: 8080, weight: 10 }]);
    expect(compareDecision(d, envoyCanary)).toEqual([]);
  });

  test('each difference is named: weights, timeout, retries, route, fault, mirrors', () => {
    const d = canaryDecision();
    const differ = (change: Partial<SimResult>) => compareDecision(d, { ...envoyCanary, ...change });
    expect(differ({ clusters: [{ cluster: `outbound|8080|v1|${REC}`, weight: 50 }, { cluster: `outbound|8080|v2|${REC}`, weight: 50 }] }))
      .toEqual([`clusters: explain ${REC}|v1|8080 90%, ${REC}|v2|8080 10%; Envoy ${REC}|v1|8080 50%, ${REC}|v2|8080 50%`]);
    expect(differ({ timeout: '1s' })).toEqual(['timeout: explain 0ms, Envoy 1000ms']);
    expect(differ({ retry: { retryOn: '5xx', numRetries: 3, perTryTimeout: '2s' } }))
      .toEqual(['retries: explain 2 on cancelled,connect-failure,refused-stream,retriable-status-codes,unavailable; Envoy 3 on 5xx per try 2000ms']);
    expect(differ({ position: 2 })[0]).toMatch(/^route: explain VirtualService istio-tutorial\/recommendation route 1, Envoy .*recommendation route 2$/);
    expect(differ({ fault: { abortStatus: 503, abortPercent: 50 } })).toEqual(['fault: explain none; Envoy abort 503 50%']);
    expect(differ({ mirrors: [{ cluster: `outbound|8080|v2|${REC}`, percent: 100 }] })).toEqual([`mirrors: explain none; Envoy ${REC}|v2 100%`]);
    expect(differ({ error: 'no listener matched' })).toEqual(['the simulation found no route: no listener matched']);
  });

  test('a call the simulation cannot judge is listed with why, not counted as agreeing', () => {
    const d = canaryDecision();
    const calls = new Map([['c1', { case: 'tutorial/canary', decision: d }], ['c2', { case: 'tutorial/canary', decision: d }], ['c3', { case: 'tutorial/canary', decision: d }]]);
    const verdicts = judge(calls, [envoyCanary, { ...envoyCanary, call: 'c2', unjudged: 'headers' }]);
    expect(verdicts.map((v) => [v.verdict, v.reasons])).toEqual([['agree', []], ['unjudged', ['headers']], ['differ', ['the simulation gave no result for this call']]]);
  });
});

describe('what the simulation is given', () => {
  const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJSON());

  test('every hop of every step of a lab is a call of the proxy that routes it; Services get cluster IPs and their ports targetPort', () => {
    const cases = simulationCases([tutorial], [Flavour.CLASSIC]);
    expect(cases.map((c) => c.id)).toContain('tutorial/(lab)');
    expect(cases.length).toBe(1 + tutorial.scenarios.length);
    const { input, calls } = simulatorInput(cases.filter((c) => c.id === 'tutorial/canary'));
    const [config] = input.configs;
    expect(config.proxies.map((p) => [p.router, p.namespace, p.labels])).toEqual([
      [true, 'istio-system', { app: 'istio-ingressgateway', istio: 'ingressgateway' }],
      [false, 'istio-tutorial', { app: 'customer', version: 'v1' }],
      [false, 'istio-tutorial', { app: 'preference', version: 'v1' }],
    ]);
    expect(calls.size).toBe(3);
    const services = objects(config.yaml).filter((o) => o.kind === 'Service');
    expect(services.every((s) => /^10\.96\.\d+\.\d+$/.test(s.spec.clusterIP) && s.spec.ports.every((p: { targetPort?: unknown }) => p.targetPort !== undefined))).toBe(true);
  });

  test('a Gateway API gateway comes with what istiod deploys for it, at the proxy\'s IP; HTTPRoute matches with their defaults', () => {
    const fft = LABS.find((l) => l.name === 'fft')!;
    const { input } = simulatorInput(simulationCases([fft], [Flavour.GATEWAY_API]).filter((c) => c.id === 'fft-gateway-api/(lab)'));
    const [config] = input.configs;
    const all = objects(config.yaml);
    const slice = all.find((o) => o.kind === 'EndpointSlice');
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'wtyfft-gateway-istio' });
    expect(config.proxies.map((p) => [p.router, p.ip])).toEqual([[true, slice.endpoints[0].addresses[0]]]);
    expect(all.filter((o) => o.kind === 'GatewayClass').map((o) => o.spec.controllerName)).toEqual(['istio.io/gateway-controller', 'istio.io/mesh-controller']);
    const route = all.find((o) => o.kind === 'HTTPRoute');
    expect(route.spec.rules[0].matches.every((m: { path?: { type?: string } }) => m.path?.type !== undefined)).toBe(true);
  });

  test('in ambient mode a waypoint\'s decisions are its calls, with what istiod deploys for it and the Gateway\'s address it writes', () => {
    const flask = LABS.find((l) => l.name === 'flask')!;
    const { input, unjudged } = simulatorInput(simulationCases([flask], [Flavour.AMBIENT]).filter((c) => c.id === 'flask-ambient/route'));
    expect(unjudged).toEqual([]);
    const [config] = input.configs;
    expect(config.ambient).toBe(true);
    const waypoint = config.proxies.find((p) => p.waypoint)!;
    expect(waypoint.labels).toEqual({ 'gateway.networking.k8s.io/gateway-name': 'waypoint', 'gateway.istio.io/managed': 'istio.io-mesh-controller' });
    expect(waypoint.calls).toMatchObject([{ host: 'flaskapp:7777', fqdn: 'flaskapp.istio-app.svc.cluster.local', port: 7777 }]);
    const all = objects(config.yaml);
    const gateway = all.find((o) => o.kind === 'Gateway' && o.spec.gatewayClassName === 'istio-waypoint');
    expect(gateway.status.addresses).toEqual([{ type: 'Hostname', value: 'waypoint.istio-app.svc.cluster.local' }]);
    const pod = all.find((o) => o.kind === 'Pod' && o.metadata.name === 'waypoint-0');
    expect(pod.status.podIP).toBe(waypoint.ip);
  });
});

describe('the tutorial numbers, read back from Envoy', () => {
  test('a route\'s weights by version (subset or per-version Service), its fault and retries; a cluster\'s limits', () => {
    expect(readFact('weights', envoyCanary)).toEqual({ v1: 90, v2: 10 });
    expect(readFact('weights', { ...envoyCanary, clusters: [{ cluster: 'outbound|8080||recommendation-v1.istio-tutorial.svc.cluster.local', weight: 3 }, { cluster: 'outbound|8080||recommendation-v2.istio-tutorial.svc.cluster.local', weight: 1 }] }))
      .toEqual({ v1: 75, v2: 25 });
    expect(readFact('retries', envoyCanary)).toBe(2);
    expect(readFact('abortPercent', { ...envoyCanary, fault: { abortStatus: 503, abortPercent: 50 } })).toBe(50);
    const limits = { clusterSettings: { a: { maxConnections: 1, lbPolicy: 'RANDOM' }, b: { maxConnections: 1, lbPolicy: 'RANDOM' } } };
    expect([readFact('maxConnections', { ...envoyCanary, ...limits }), readFact('lbPolicy', { ...envoyCanary, ...limits })]).toEqual([1, 'RANDOM']);
    // Two clusters that disagree have no one value.
    expect(readFact('maxConnections', { ...envoyCanary, clusterSettings: { a: { maxConnections: 1 }, b: { maxConnections: 2 } } })).toBeUndefined();
    expect(sameValue({ v2: 10, v1: 90 }, { v1: 90, v2: 10 })).toBe(true);
  });

  test('each fact is read on its hop in each flavour with its step; a different value is a difference, an unjudged hop unread', () => {
    const d = canaryDecision();
    const canary = TUTORIAL_FACTS.filter((f) => f.lab === 'tutorial' && f.step === 'canary');
    expect(canary.map((f) => [f.hop, f.read, f.value])).toEqual([['preference -> recommendation', 'weights', { v1: 90, v2: 10 }]]);
    const hop = (simulation: SimResult | undefined, verdict: 'agree' | 'unjudged' = 'agree') => [{ case: 'tutorial/canary', decision: d, verdict, reasons: verdict === 'agree' ? [] : ['why'], simulation }];
    expect(readFacts(canary, hop(envoyCanary), [Flavour.CLASSIC], [tutorial]).map((f) => f.verdict)).toEqual(['agree']);
    const half = { ...envoyCanary, clusters: [{ cluster: `outbound|8080|v1|${REC}`, weight: 50 }, { cluster: `outbound|8080|v2|${REC}`, weight: 50 }] };
    expect(readFacts(canary, hop(half), [Flavour.CLASSIC], [tutorial])).toMatchObject([{ verdict: 'differ', envoy: { v1: 50, v2: 50 } }]);
    expect(readFacts(canary, hop(undefined, 'unjudged'), [Flavour.CLASSIC], [tutorial])).toMatchObject([{ verdict: 'unread', why: 'why' }]);
    expect(readFacts(canary, [], [Flavour.CLASSIC], [tutorial])).toMatchObject([{ verdict: 'differ', why: "no hop preference -> recommendation in the step's preview" }]);
  });

  test('every fact names a step its lab has, and its source', () => {
    for (const f of TUTORIAL_FACTS) {
      expect([f.lab, f.step, LABS.find((l) => l.name === f.lab)?.scenarios.some((p) => p.scenario.name === f.step)]).toEqual([f.lab, f.step, true]);
      expect(f.source).toMatch(/seed 00\d/);
    }
  });
});
