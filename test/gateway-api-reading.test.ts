import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump, loadAll } from 'js-yaml';
import { runCheck } from '../lib/cli/check';
import { runExplain } from '../lib/cli/explain';
import { headerDeletions } from '../lib/validate/deletions';
import { evaluate, INGRESS } from '../lib/explain/evaluate';
import { Explanation } from '../lib/explain/tally';
import { MeshIndex } from '../lib/istio/index';
import { sortGatewayRoutes } from '../lib/istio/gateway-api';
import { checkManifests } from '../lib/validate/check';
import { trafficDiagram } from '../lib/output/diagram';
import { objectKey } from '../lib/validate/manifest';
import { Manifest } from './support/synth';

/*
 * check and explain on the Gateway API and ambient mode, over hand-written labs in the shapes the
 * gateway-api and ambient flavours write (test/fixtures/gateway-api-labs): flask with a GAMMA
 * HTTPRoute splitting to per-version Services, the tutorial's ingress through a Gateway API
 * Gateway, and flask in an ambient namespace with a waypoint. Each broken/ file replaces objects
 * of its base lab and declares, on `# expect:` lines, the findings check must give.
 */

const dir = path.resolve(__dirname, 'fixtures/gateway-api-labs');
const read = (file: string): Manifest[] => (loadAll(fs.readFileSync(path.join(dir, file), 'utf8')) as Manifest[]).filter((m) => m);

/** The base lab with the objects of `overlay` in place of those of the same kind, namespace and name. */
function overlay(base: readonly Manifest[], over: readonly Manifest[]): Manifest[] {
  const replaced = new Set(over.map(objectKey));
  return [...base.filter((m) => !replaced.has(objectKey(m))), ...over];
}

/** Replaces one object's spec (by kind and name). */
function withSpec(objects: readonly Manifest[], kind: string, name: string, spec: object): Manifest[] {
  return objects.map((m) => (m.kind === kind && m.metadata.name === name ? { ...m, spec } : m));
}

const findings = (objects: readonly Manifest[]) => checkManifests(objects.map((manifest) => ({ manifest })));

function explain(objects: readonly Manifest[], from: string, callees: Record<string, string[]>, request: { path?: string; headers?: Record<string, string> } = {}, requests = 2000): Explanation {
  const namespace = objects.find((m) => m.kind === 'Namespace')!.metadata.name;
  return evaluate({
    manifests: objects, namespace, callees: new Map(Object.entries(callees)), from,
    request: { method: 'GET', path: request.path ?? '/', headers: new Map(Object.entries(request.headers ?? {})) }, requests, seed: 7,
  });
}

/** The share of a hop's requests that reached each version, in percent. */
function versions(e: Explanation, from: string, to: string): Record<string, number> {
  const hop = e.hops.find((h) => h.from === from && h.to === to);
  if (!hop) throw new Error(`no hop ${from} -> ${to}: ${e.hops.map((h) => `${h.from} -> ${h.to}`).join(', ')}`);
  return Object.fromEntries(hop.versions.map((v) => [v.name, (100 * v.count) / hop.reached]));
}
const hop = (e: Explanation, from: string, to: string) => e.hops.find((h) => h.from === from && h.to === to)!;
const statuses = (e: Explanation) => Object.fromEntries(e.endToEnd.map((s) => [s.name, s.count]));

const flask = read('flask.yaml');
const tutorial = read('tutorial.yaml');
const ambient = read('ambient.yaml');
const SLEEP = { sleep: ['flaskapp'] };

/** flask's HTTPRoute with these rules. */
const flaskRules = (objects: readonly Manifest[], rules: object[]) =>
  withSpec(objects, 'HTTPRoute', 'flaskapp', { parentRefs: [{ group: '', kind: 'Service', name: 'flaskapp', port: 7777 }], rules });
const split = (v1: number, v2: number) => [{ name: 'flaskapp-v1', port: 7777, weight: v1 }, { name: 'flaskapp-v2', port: 7777, weight: v2 }];

describe('the hand-written labs of the new flavours', () => {
  test.each(['flask.yaml', 'tutorial.yaml', 'ambient.yaml'])('%s checks clean', (file) => {
    expect(findings(read(file))).toEqual([]);
  });
});

describe('check: cross-object findings of the Gateway API and ambient mode', () => {
  const broken = fs.readdirSync(path.join(dir, 'broken')).filter((f) => f.endsWith('.yaml')).sort();
  test.each(broken)('%s finds exactly what it declares', (file) => {
    const text = fs.readFileSync(path.join(dir, 'broken', file), 'utf8');
    const base = /^# base: (\S+)$/m.exec(text)![1];
    const expected = text.split('\n').filter((l) => l.startsWith('# expect: ')).map((l) => l.slice('# expect: '.length).trim()).sort();
    const got = findings(overlay(read(base), read(`broken/${file}`))).map((f) => `${f.code} ${f.object} ${f.field}`).sort();
    expect(got).toEqual(expected);
  });

  test('a missing backend says the condition Istio writes and the 500 it answers', () => {
    const [f] = findings(flaskRules(flask, [{ backendRefs: [{ name: 'flaskapp-v1', port: 7777, weight: 90 }, { name: 'flaskapp-v3', port: 7777, weight: 10 }] }]));
    expect(f.message).toMatch(/ResolvedRefs=False, reason BackendNotFound.*500/);
  });

  test('an AuthorizationPolicy attached to the waypoint by targetRefs is not an ambient HTTP-rule finding', () => {
    const policy: Manifest = {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'get', namespace: 'istio-app' },
      spec: { targetRefs: [{ group: '', kind: 'Service', name: 'flaskapp' }], action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] },
    };
    expect(findings([...ambient, policy])).toEqual([]);
  });

  test("targetRefs are checked as Istio validates them (the schema package predates them): no namespace, a known kind, not beside selector", () => {
    const policy: Manifest = {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'bad', namespace: 'istio-app' },
      spec: { selector: { matchLabels: { app: 'flaskapp' } }, targetRefs: [{ group: '', kind: 'Pod', name: 'flaskapp', namespace: 'other' }], action: 'DENY', rules: [{}] },
    };
    const got = findings([...ambient, policy]).filter((f) => f.code === 'IST0106').map((f) => `${f.field}: ${f.message}`);
    // With the schema package's AuthorizationPolicy, which has no targetRefs, these are policyTargetRefProblems'
    // words (Istio's validation.go); a schema that knows targetRefs reports the same mistakes in its own.
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.join('\n')).toMatch(/only one of targetRefs or (workloadSelector|selector) can be set/);
    expect(got.join('\n')).toMatch(/spec\.targetRefs\[0\]/);
  });

  test('a policy may target only what Istio validation allows, also where the schema knows targetRefs', () => {
    for (const apiVersion of ['security.istio.io/v1beta1', 'security.istio.io/v1']) {
      const policy: Manifest = {
        apiVersion, kind: 'AuthorizationPolicy', metadata: { name: 'pods', namespace: 'istio-app' },
        spec: { targetRefs: [{ group: '', kind: 'Pod', name: 'flaskapp' }], action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] },
      };
      const got = findings([...ambient, policy]).filter((f) => f.code === 'IST0106').map((f) => `${f.field}: ${f.message}`);
      expect(got).toEqual(['spec.targetRefs[0].kind: targetRef must be to a Service, ServiceEntry, Gateway or GatewayClass but was /Pod']);
    }
  });

  test('a Gateway API Gateway is not read as an Istio Gateway (no IST0101 for its missing selector)', () => {
    const index = new MeshIndex(tutorial);
    expect([...index.gateways.keys()].filter((k) => !k.startsWith('istio-system/'))).toEqual([]);
    expect([...index.gatewayApi.gateways.keys()]).toEqual(['istio-tutorial/customer-gateway']);
  });
});

describe('explain: GAMMA HTTPRoutes in the caller\'s sidecar', () => {
  test('a 50/50 HTTPRoute split to per-version Services gives about half each', () => {
    const v = versions(explain(flask, 'sleep', SLEEP), 'sleep', 'flaskapp');
    expect(v.v1).toBeGreaterThan(45);
    expect(v.v2).toBeGreaterThan(45);
  });

  test('weights are relative: 9 and 1 give 90% and 10%', () => {
    const v = versions(explain(flaskRules(flask, [{ backendRefs: split(9, 1) }]), 'sleep', SLEEP), 'sleep', 'flaskapp');
    expect(v.v1).toBeGreaterThan(87);
    expect(v.v1).toBeLessThan(93);
    expect(v.v2).toBeGreaterThan(7);
  });

  test('a backendRef of weight 0 gets nothing; all of weight 0 answer 500, a rule without backendRefs 404', () => {
    expect(versions(explain(flaskRules(flask, [{ backendRefs: split(1, 0) }]), 'sleep', SLEEP), 'sleep', 'flaskapp')).toEqual({ v1: 100 });
    expect(statuses(explain(flaskRules(flask, [{ backendRefs: split(0, 0) }]), 'sleep', SLEEP))).toEqual({ 500: 2000 });
    expect(statuses(explain(flaskRules(flask, [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]), 'sleep', SLEEP, {}, 10))).toEqual({ 404: 10 });
  });

  test('a backendRef to a missing Service answers 500 for its share, not 503', () => {
    const e = explain(flaskRules(flask, [{ backendRefs: [{ name: 'flaskapp-v1', port: 7777, weight: 50 }, { name: 'flaskapp-v3', port: 7777, weight: 50 }] }]), 'sleep', SLEEP);
    const s = statuses(e);
    expect(Object.keys(s).sort()).toEqual(['200', '500']);
    expect(s['500']).toBeGreaterThan(900);
  });

  test('a header match sends Safari to v2 and the rest to v1', () => {
    const objects = flaskRules(flask, [
      { matches: [{ headers: [{ type: 'RegularExpression', name: 'user-agent', value: '.*Safari.*' }] }], backendRefs: [{ name: 'flaskapp-v2', port: 7777 }] },
      { backendRefs: [{ name: 'flaskapp-v1', port: 7777 }] },
    ]);
    expect(versions(explain(objects, 'sleep', SLEEP, { headers: { 'user-agent': 'Mozilla/5.0 Safari/605.1.15' } }), 'sleep', 'flaskapp')).toEqual({ v2: 100 });
    expect(versions(explain(objects, 'sleep', SLEEP, { headers: { 'user-agent': 'curl/8' } }), 'sleep', 'flaskapp')).toEqual({ v1: 100 });
  });

  test('precedence: an Exact path beats a longer PathPrefix written before it, and a PathPrefix matches whole segments', () => {
    const objects = flaskRules(flask, [
      { matches: [{ path: { type: 'PathPrefix', value: '/env/version/x' } }], backendRefs: [{ name: 'flaskapp-v1', port: 7777 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/env' } }], backendRefs: [{ name: 'flaskapp-v1', port: 7777 }] },
      { matches: [{ path: { type: 'Exact', value: '/env/version' } }], backendRefs: [{ name: 'flaskapp-v2', port: 7777 }] },
    ]);
    expect(versions(explain(objects, 'sleep', SLEEP, { path: '/env/version' }), 'sleep', 'flaskapp')).toEqual({ v2: 100 });
    expect(versions(explain(objects, 'sleep', SLEEP, { path: '/env/other' }), 'sleep', 'flaskapp')).toEqual({ v1: 100 });
    // `/env` does not match `/environment` (Envoy's path_separated_prefix): no rule matches, 404.
    expect(statuses(explain(objects, 'sleep', SLEEP, { path: '/environment' }))).toEqual({ 404: 2000 });
  });

  test('precedence among equal paths: a method match, then more headers, come first', () => {
    const sorted = sortGatewayRoutes([
      { name: 'a', match: [{ uri: { prefix: '/' } }] },
      { name: 'b', match: [{ uri: { prefix: '/' }, headers: { x: { exact: '1' }, y: { exact: '2' } } }] },
      { name: 'c', match: [{ uri: { prefix: '/' }, method: { exact: 'GET' } }] },
      { name: 'd' },
      { name: 'e', match: [{ uri: { prefix: '/' }, queryParams: { q: { exact: '1' } } }] },
    ]);
    expect(sorted.map((r) => r.name)).toEqual(['c', 'b', 'e', 'a', 'd']);
  });

  test('a RequestMirror filter copies its percent of requests to the mirror', () => {
    const objects = flaskRules(flask, [{
      filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'flaskapp-v2', port: 7777 }, percent: 50 } }],
      backendRefs: [{ name: 'flaskapp-v1', port: 7777 }],
    }]);
    const h = hop(explain(objects, 'sleep', SLEEP), 'sleep', 'flaskapp');
    const mirrored = h.mirrored.find((m) => m.name === 'flaskapp-v2')!;
    expect(mirrored.count / h.reached).toBeGreaterThan(0.45);
    expect(mirrored.count / h.reached).toBeLessThan(0.55);
    expect(versions(explain(objects, 'sleep', SLEEP), 'sleep', 'flaskapp')).toEqual({ v1: 100 });
  });

  test('a RequestRedirect answers 302 (the CRD default) and a request timeout is noted', () => {
    const redirect = flaskRules(flask, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/env' } } }] }]);
    expect(statuses(explain(redirect, 'sleep', SLEEP))).toEqual({ 302: 2000 });
    const timeout = flaskRules(flask, [{ timeouts: { request: '500ms' }, backendRefs: [{ name: 'flaskapp-v1', port: 7777 }] }]);
    expect(hop(explain(timeout, 'sleep', SLEEP, {}, 10), 'sleep', 'flaskapp').notes.map((n) => n.text).join('\n')).toMatch(/timeout 500ms/);
  });

  test('an HTTPRoute of another namespace is not applied to this caller (only the caller\'s or the Service\'s namespace)', () => {
    const other = flask.map((m) => (m.kind === 'HTTPRoute' ? { ...m, metadata: { ...m.metadata, namespace: 'elsewhere' }, spec: { ...m.spec, parentRefs: [{ group: '', kind: 'Service', name: 'flaskapp', namespace: 'istio-app', port: 7777 }], rules: [{ backendRefs: [{ name: 'flaskapp-v2', namespace: 'istio-app', port: 7777 }] }] } } : m));
    const v = versions(explain(other, 'sleep', SLEEP), 'sleep', 'flaskapp');
    expect(v.v1).toBeGreaterThan(40);
    expect(v.v2).toBeGreaterThan(40);
  });

  test('with a VirtualService for the same host, the HTTPRoute of the caller\'s namespace wins, and explain says so', () => {
    const vs: Manifest = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'flaskapp', namespace: 'istio-app' },
      spec: { hosts: ['flaskapp'], http: [{ route: [{ destination: { host: 'flaskapp-v1', port: { number: 7777 } } }] }] },
    };
    const e = explain(flaskRules([...flask, vs], [{ backendRefs: [{ name: 'flaskapp-v2', port: 7777 }] }]), 'sleep', SLEEP, {}, 100);
    expect(versions(e, 'sleep', 'flaskapp')).toEqual({ v2: 100 });
    expect(hop(e, 'sleep', 'flaskapp').notes.map((n) => n.text).join('\n')).toMatch(/HTTPRoute flaskapp and VirtualService flaskapp both route flaskapp: the caller's sidecar applies only HTTPRoute flaskapp/);
  });
});

describe('explain: TCPRoute', () => {
  const proxied = (base: readonly Manifest[]): Manifest[] => [
    ...base,
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flask-proxy', namespace: 'istio-app' }, spec: { ports: [{ name: 'tcp', port: 17777, targetPort: 7777, protocol: 'TCP' }] } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: { name: 'flask-proxy', namespace: 'istio-app' },
      spec: { parentRefs: [{ group: '', kind: 'Service', name: 'flask-proxy', port: 17777 }], rules: [{ backendRefs: [{ name: 'flaskapp-v2', port: 7777 }] }] },
    },
  ];

  test('in ambient mode the waypoint applies a TCPRoute too', () => {
    const e = explain(proxied(ambient), 'sleep', { sleep: ['flask-proxy'] }, {}, 20);
    expect(versions(e, 'sleep', 'flask-proxy')).toEqual({ v2: 100 });
  });

  test('a TCPRoute with a Service parent sends the connections to its backend, a Service without pods of its own', () => {
    const objects: Manifest[] = [
      ...flask,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flask-proxy', namespace: 'istio-app' }, spec: { ports: [{ name: 'tcp', port: 17777, targetPort: 7777, protocol: 'TCP' }] } },
      {
        apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: { name: 'flask-proxy', namespace: 'istio-app' },
        spec: { parentRefs: [{ group: '', kind: 'Service', name: 'flask-proxy', port: 17777 }], rules: [{ backendRefs: [{ name: 'flaskapp-v2', port: 7777 }] }] },
      },
    ];
    const e = explain(objects, 'sleep', { sleep: ['flask-proxy'] }, {}, 50);
    expect(versions(e, 'sleep', 'flask-proxy')).toEqual({ v2: 100 });
    expect(hop(e, 'sleep', 'flask-proxy').notes.map((n) => n.text).join('\n')).toMatch(/rule 1 of TCPRoute flask-proxy/);
  });
});

describe('explain: ingress through a Gateway API Gateway', () => {
  const CHAIN = { customer: ['preference'], preference: ['recommendation'] };
  test('a request at /customer follows the route bound to the Gateway, rewritten to /, then the chain', () => {
    const e = explain(tutorial, INGRESS, CHAIN, { path: '/customer', headers: { 'user-agent': 'Safari' } }, 200);
    expect(versions(e, INGRESS, 'customer')).toEqual({ v1: 100 });
    expect(hop(e, INGRESS, 'customer').notes.map((n) => n.text).join('\n')).toMatch(/path \/customer rewritten to \//);
    expect(versions(e, 'preference', 'recommendation')).toEqual({ v2: 100 });
  });

  test("the Gateway's own deployment sends the requests: an ALLOW policy for its ServiceAccount <gateway>-istio lets them in", () => {
    const allow = (principal: string): Manifest => ({
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'customer', namespace: 'istio-tutorial' },
      spec: { selector: { matchLabels: { app: 'customer' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal] } }] }] },
    });
    const gatewayAccount = explain([...tutorial, allow('cluster.local/ns/istio-tutorial/sa/customer-gateway-istio')], INGRESS, {}, { path: '/customer' }, 10);
    expect(statuses(gatewayAccount)).toEqual({ 200: 10 });
    // check knows the account Istio creates, so the principal is no missing ServiceAccount (ML0014).
    expect(findings([...tutorial, allow('cluster.local/ns/istio-tutorial/sa/customer-gateway-istio')]).filter((f) => f.code === 'ML0014')).toEqual([]);
    expect(findings([...tutorial, allow('cluster.local/ns/istio-tutorial/sa/customer-gateway')]).map((f) => f.code)).toEqual(['ML0014']);
    const demoAccount = explain([...tutorial, allow('cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account')], INGRESS, {}, { path: '/customer' }, 10);
    expect(statuses(demoAccount)).toEqual({ 403: 10 });
  });

  test('a path no route of the Gateway matches is 404', () => {
    expect(statuses(explain(tutorial, INGRESS, CHAIN, { path: '/other' }, 10))).toEqual({ 404: 10 });
  });

  test('a listener hostname the request does not name serves nothing', () => {
    const hosted = withSpec(tutorial, 'Gateway', 'customer-gateway', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'shop.example.com' }] });
    expect(statuses(explain(hosted, INGRESS, CHAIN, { path: '/customer', headers: { host: 'other.example.com' } }, 10))).toEqual({ 404: 10 });
    expect(statuses(explain(hosted, INGRESS, CHAIN, { path: '/customer', headers: { host: 'shop.example.com' } }, 10))).toEqual({ 200: 10 });
  });
});

describe('explain: ambient mode', () => {
  test('with the waypoint, the HTTPRoute splits 90/10 at the waypoint', () => {
    const e = explain(ambient, 'sleep', SLEEP);
    const v = versions(e, 'sleep', 'flaskapp');
    expect(v.v1).toBeGreaterThan(87);
    expect(v.v2).toBeGreaterThan(7);
    expect(v.v2).toBeLessThan(13);
    expect(hop(e, 'sleep', 'flaskapp').notes.map((n) => n.text).join('\n')).toMatch(/ztunnel sends the request to waypoint waypoint/);
  });

  test('without a waypoint label, ztunnel is L4: the route is not applied and any pod answers', () => {
    const noLabel = ambient.map((m) => (m.kind === 'Namespace' ? { ...m, metadata: { ...m.metadata, labels: { 'istio.io/dataplane-mode': 'ambient' } } } : m));
    const e = explain(noLabel, 'sleep', SLEEP);
    const v = versions(e, 'sleep', 'flaskapp');
    expect(v.v2).toBeGreaterThan(40);
    expect(hop(e, 'sleep', 'flaskapp').notes.map((n) => n.text).join('\n')).toMatch(/ztunnel is L4.*HTTPRoute flaskapp is not applied/);
  });

  test('from the ingress, the waypoint applies its routes only with istio.io/ingress-use-waypoint', () => {
    const ingress: Manifest[] = [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'flask-gateway', namespace: 'istio-app' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } },
      {
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'flask-gateway', namespace: 'istio-app' },
        spec: { parentRefs: [{ name: 'flask-gateway' }], rules: [{ backendRefs: [{ name: 'flaskapp', port: 7777 }] }] },
      },
    ];
    const labelled = (labels: Record<string, string>) => [...ambient.map((m) => (m.kind === 'Namespace' ? { ...m, metadata: { ...m.metadata, labels: { ...m.metadata.labels, ...labels } } } : m)), ...ingress];
    const through = versions(explain(labelled({ 'istio.io/ingress-use-waypoint': 'true' }), INGRESS, {}), INGRESS, 'flaskapp');
    expect(through.v2).toBeLessThan(13);
    const direct = versions(explain(labelled({}), INGRESS, {}), INGRESS, 'flaskapp');
    expect(direct.v2).toBeGreaterThan(40);
  });

  test('a waypoint for workload traffic only (istio.io/waypoint-for: workload) serves no Service: no route applies', () => {
    const workloadOnly = ambient.map((m) => (m.kind === 'Gateway' ? { ...m, metadata: { ...m.metadata, labels: { 'istio.io/waypoint-for': 'workload' } } } : m));
    expect(versions(explain(workloadOnly, 'sleep', SLEEP), 'sleep', 'flaskapp').v2).toBeGreaterThan(40);
    const labelled = workloadOnly.map((m) => (m.kind === 'Service' && m.metadata.name === 'flaskapp' ? { ...m, metadata: { ...m.metadata, labels: { ...m.metadata.labels, 'istio.io/use-waypoint': 'waypoint' } } } : m));
    expect(findings(labelled).map((f) => `${f.code} ${f.object}`)).toEqual(['ML0022 Service istio-app/flaskapp']);
  });

  test('a waypoint label naming a waypoint that does not exist routes nothing either', () => {
    const noWaypoint = ambient.filter((m) => !(m.kind === 'Gateway'));
    const v = versions(explain(noWaypoint, 'sleep', SLEEP), 'sleep', 'flaskapp');
    expect(v.v2).toBeGreaterThan(40);
  });
});

describe('the traffic picture draws HTTPRoutes through the same conversion', () => {
  const graph = (namespace: string, services: Array<{ name: string; callees: string[] }> = []) => ({ namespace, services, clients: [{ name: 'sleep', callees: ['flaskapp'] }] });
  const edges = (text: string) => text.split('\n').filter((l) => l.includes('-->')).map((l) => l.trim());

  test('a split to per-version Services is drawn to the versions of the Service, with the shares', () => {
    const text = trafficDiagram(flaskRules(flask, [{ backendRefs: split(3, 1) }]), graph('istio-app'));
    expect(edges(text)).toEqual([
      'svc_flaskapp -->|"75%, via flaskapp-v1"| ver_flaskapp_v1',
      'svc_flaskapp -->|"25%, via flaskapp-v2"| ver_flaskapp_v2',
    ]);
    // The per-version Services are no boxes of their own.
    expect(text).not.toMatch(/svc_flaskapp_v1/);
  });

  test('a Gateway API Gateway is an ingress node with its listener and the routes bound to it', () => {
    const text = trafficDiagram(tutorial, graph('istio-tutorial', [{ name: 'customer', callees: ['preference'] }, { name: 'preference', callees: ['recommendation'] }]));
    expect(text).toMatch(/gw_customer_gateway\{\{"ingress gateway customer-gateway #40;Gateway API#41;<br\/>HTTP :80 \*"\}\}/);
    expect(edges(text)).toContain('gw_customer_gateway -->|"prefix /customer, rewrite /"| svc_customer');
    expect(edges(text)).toContain('svc_recommendation -->|"user-agent ~ .*Safari.*, via recommendation-v2"| ver_recommendation_v2');
  });

  test('in ambient mode without a waypoint the route is not drawn: the Service reaches all its versions', () => {
    const noLabel = ambient.map((m) => (m.kind === 'Namespace' ? { ...m, metadata: { ...m.metadata, labels: { 'istio.io/dataplane-mode': 'ambient' } } } : m));
    expect(edges(trafficDiagram(ambient, graph('istio-app')))).toContain('svc_flaskapp -->|"90%, via flaskapp-v1"| ver_flaskapp_v1');
    expect(edges(trafficDiagram(noLabel, graph('istio-app')))).toEqual([
      'svc_flaskapp -->|"load balanced"| ver_flaskapp_v1',
      'svc_flaskapp -->|"load balanced"| ver_flaskapp_v2',
    ]);
  });
});

describe("a step's `# First: kubectl delete` header: the step is read with those objects gone", () => {
  test('the deletions of the header are read, kind names as kubectl takes them', () => {
    expect(headerDeletions('# Step x\n# First: kubectl -n shop delete httproute web && kubectl delete vs/api -n data\napiVersion: v1\n# First: kubectl delete svc late\n')).toEqual([
      { kind: 'httproute', namespace: 'shop', name: 'web' },
      { kind: 'virtualservice', namespace: 'data', name: 'api' },
    ]);
  });

  const vs: Manifest = {
    apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'flaskapp', namespace: 'istio-app' },
    spec: { hosts: ['flaskapp'], http: [{ fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }, route: [{ destination: { host: 'flaskapp' } }] }] },
  };
  const lab = (header: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-gw-step-'));
    fs.mkdirSync(path.join(dir, 'steps'));
    fs.writeFileSync(path.join(dir, 'flask.yaml'), flask.map((m) => dump(m)).join('---\n'));
    fs.writeFileSync(path.join(dir, 'steps', 'fault-abort.yaml'), `${header}${dump(vs)}`);
    return dir;
  };
  const run = (command: typeof runCheck, argv: string[]) => {
    const out: string[] = [];
    const code = command(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out };
  };

  test('check: a step that deletes the HTTPRoute first does not claim the host with both APIs (no ML0025)', () => {
    const deleting = run(runCheck, [lab('# First: kubectl -n istio-app delete httproute flaskapp\n')]);
    expect(deleting.out).toEqual([expect.stringMatching(/0 error\(s\), 0 warning\(s\)$/)]);
    const keeping = run(runCheck, [lab('# Step without the deletion\n')]);
    expect(keeping.out.join('\n')).toMatch(/ML0025 warning VirtualService istio-app\/flaskapp/);
  });

  test('explain: with the step given, the VirtualService routes (the HTTPRoute is gone), so the fault applies', () => {
    const dir = lab('# First: kubectl -n istio-app delete httproute flaskapp\n');
    const out: string[] = [];
    const code = runExplain([dir, path.join(dir, 'steps', 'fault-abort.yaml').split(path.sep).join('/'), '--from', 'sleep', '--to', 'flaskapp', '--requests', '10', '--json'], {}, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(0);
    expect(JSON.parse(out[0]).endToEnd.map((s: { status: string; percent: number }) => [s.status, s.percent])).toEqual([['503', 100]]);
  });
});

describe('objects of another shape', () => {
  const odd: Manifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 5 as unknown as string } } },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'x' }, spec: { parentRefs: 'svc', rules: { a: 1 }, hostnames: 3 } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r2', namespace: 'x' },
      spec: { parentRefs: [null, { kind: 'Service', group: '', name: 's' }], rules: [null, { matches: 'x', filters: [null, { type: 'RequestMirror' }], backendRefs: [null, { name: 7 }] }] },
    },
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'x' }, spec: { gatewayClassName: 'istio', listeners: { a: 1 } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'x' }, spec: { selector: { app: 's' }, ports: [{ name: 'http', port: 80 }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 's', namespace: 'x', labels: { app: 's' } }, spec: { containers: [{ name: 's', image: 's', ports: [{ containerPort: 80 }] }] } },
  ];

  test('are schema findings (ML0017) for check, and no reader throws', () => {
    const codes = new Set(findings(odd).map((f) => f.code));
    expect([...codes].sort()).toEqual(['ML0017', 'ML0026']);
    expect(() => explain(odd, 's', { s: ['s'] }, {}, 5)).not.toThrow();
    expect(() => trafficDiagram(odd, { namespace: 'x', services: [{ name: 's', callees: [] }], clients: [] })).not.toThrow();
  });
});
