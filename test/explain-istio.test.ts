import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump } from 'js-yaml';
import { runExplain } from '../lib/cli/explain';
import { authorize } from '../lib/explain/authz';
import { evaluate } from '../lib/explain/evaluate';
import { matchRoute } from '../lib/explain/match';
import { queryOf, Source } from '../lib/explain/request';
import { Explanation } from '../lib/explain/tally';
import { re2Error, re2FullMatch } from '../lib/istio/re2';
import { checkRegex } from '../lib/scenarios/traffic';
import { Manifest } from './support/synth';

// Small meshes written by hand, each rule of istiod and Envoy checked on its own.

const NS = 'shop';

/** A namespace with injection, and for each service a Service (port 8080, named http) and one Deployment per version. */
function mesh(services: Record<string, string[]>, opts: { ns?: string; portName?: string } = {}): Manifest[] {
  const ns = opts.ns ?? NS;
  const out: Manifest[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } }];
  for (const [name, versions] of Object.entries(services)) {
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ name: opts.portName ?? 'http', port: 8080, targetPort: 8080 }] } });
    for (const version of versions) {
      out.push({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `${name}-${version}`, namespace: ns },
        spec: { replicas: 1, selector: { matchLabels: { app: name, version } }, template: { metadata: { labels: { app: name, version } }, spec: { containers: [{ name, image: 'x' }] } } },
      });
    }
  }
  return out;
}

const vs = (name: string, spec: object, ns = NS): Manifest => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ns }, spec } as Manifest);
const dr = (name: string, spec: object, ns = NS): Manifest => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec } as Manifest);
const ap = (name: string, spec: object, ns = NS): Manifest => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec } as Manifest);
const subsets = (host: string) => dr(host, { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });

const GET = (p = '/', headers: Record<string, string> = {}) => ({ method: 'GET', path: p, headers: new Map(Object.entries(headers)) });

function run(manifests: Manifest[], callees: Record<string, string[]>, from: string, requests = 1000, request = GET()): Explanation {
  return evaluate({ manifests, namespace: NS, callees: new Map(Object.entries(callees)), from, request, requests, seed: 1 });
}
const hopOf = (e: Explanation, from: string, to: string) => {
  const h = e.hops.find((x) => x.from === from && x.to === to);
  if (!h) throw new Error(`no hop ${from} -> ${to} (${e.hops.map((x) => `${x.from} -> ${x.to}`).join(', ')})`);
  return h;
};
const count = (list: ReadonlyArray<{ name: string; count: number }>, name: string) => list.find((c) => c.name === name)?.count ?? 0;
const versionsOf = (e: Explanation, from: string, to: string) => hopOf(e, from, to).versions.map((v) => v.name);
const status = (e: Explanation, s: string) => count(e.endToEnd, s);

describe('RE2, the engine Envoy matches regular expressions with', () => {
  test('(?i) flags and POSIX classes work as in RE2; lookarounds and backreferences do not compile', () => {
    expect(re2FullMatch('(?i).*safari.*', 'Mozilla SAFARI/605')).toBe(true);
    expect(re2FullMatch('[[:alpha:]]+', 'abcD')).toBe(true);
    expect(re2FullMatch('[[:alpha:]]+', 'ab1')).toBe(false);
    expect(re2Error('(?=a)b')).toMatch(/Perl syntax/);
    expect(re2Error('(a)\\1')).toMatch(/escape/);
    expect(re2FullMatch('(?=a)a', 'a')).toBe(false);
  });

  test('a header route with (?i) steers by RE2, whole value, and . does not cross a newline', () => {
    const route = [{ headers: { 'user-agent': { regex: '(?i).*firefox.*' } } }];
    const source: Source = { name: 'a', namespace: NS, labels: {}, sidecar: true, principal: undefined, pod: 'a' };
    const ctx = (ua: string) => ({ request: GET('/', { 'user-agent': ua }), gateway: 'mesh', namespace: NS, port: 8080, source, authority: undefined });
    expect(matchRoute(route, ctx('Mozilla FireFox/1')).matched).toBe(true);
    expect(matchRoute([{ headers: { x: { regex: 'a.b' } } }], ctx('')).matched).toBe(false);
    expect(matchRoute([{ headers: { 'user-agent': { regex: 'a.b' } } }], ctx('a\nb')).matched).toBe(false);
  });

  test("the scenarios' regex parameter is checked by RE2: (?i) passes, a lookahead does not", () => {
    expect(() => checkRegex('header-route', '(?i).*safari.*')).not.toThrow();
    expect(() => checkRegex('header-route', '[[:alpha:]]+')).not.toThrow();
    expect(() => checkRegex('header-route', '(?!x).*')).toThrow(/header-route: \(\?!x\)\.\* is not a valid RE2 regular expression/);
  });
});

describe('faults as Envoy injects them', () => {
  const withFault = (fault: object) => [...mesh({ a: ['v1'], b: ['v1'] }), vs('b', { hosts: ['b'], http: [{ fault, route: [{ destination: { host: 'b' } }] }] })];

  test('the delay comes first and the abort is drawn after it, on its own: a request can be delayed and aborted', () => {
    const e = run(withFault({ delay: { fixedDelay: '1s', percentage: { value: 100 } }, abort: { httpStatus: 500, percentage: { value: 100 } } }), { a: ['b'] }, 'a', 200);
    const b = hopOf(e, 'a', 'b');
    expect(count(b.delayed, '1s')).toBe(200);
    expect(count(b.outcomes, 'aborted 500')).toBe(200);
  });

  test('delay and abort draw independently: 50% and 50% delay about half and abort about half', () => {
    const e = run(withFault({ delay: { fixedDelay: '1s', percentage: { value: 50 } }, abort: { httpStatus: 503, percentage: { value: 50 } } }), { a: ['b'] }, 'a', 4000);
    const b = hopOf(e, 'a', 'b');
    expect(count(b.delayed, '1s') / 4000).toBeGreaterThan(0.45);
    expect(count(b.outcomes, 'aborted 503') / 4000).toBeGreaterThan(0.45);
  });

  test('a fault without percentage injects nothing: Istio renders the abort without one and the delay at 0%, and Envoy reads 0%', () => {
    const e = run(withFault({ delay: { fixedDelay: '1s' }, abort: { httpStatus: 503 } }), { a: ['b'] }, 'a', 500);
    const b = hopOf(e, 'a', 'b');
    expect(b.delayed).toEqual([]);
    expect(b.outcomes).toEqual([]);
    expect(b.notes.map((n) => n.text)).toContain('fault: abort 503 for 0% of requests (no percentage: Envoy aborts none)');
    // The delay's deprecated integer `percent` still counts.
    expect(count(hopOf(run(withFault({ delay: { fixedDelay: '1s', percent: 100 } }), { a: ['b'] }, 'a', 10), 'a', 'b').delayed, '1s')).toBe(10);
  });
});

describe('time and retries, where the manifests decide them', () => {
  /** a -> b -> c: b's route (called by a) has `bRoute`, c's route has `cRoute`. */
  const chain = (bRoute: object, cRoute: object) => [
    ...mesh({ a: ['v1'], b: ['v1'], c: ['v1'] }),
    vs('b', { hosts: ['b'], http: [{ ...bRoute, route: [{ destination: { host: 'b' } }] }] }),
    vs('c', { hosts: ['c'], http: [{ ...cRoute, route: [{ destination: { host: 'c' } }] }] }),
  ];
  const graph = { a: ['b'], b: ['c'] };

  test('a delay further down longer than a route timeout above it ends in 504; a shorter one does not', () => {
    const slow = run(chain({ timeout: '1s' }, { fault: { delay: { fixedDelay: '2s', percentage: { value: 100 } } } }), graph, 'a', 50);
    expect(status(slow, '504')).toBe(50);
    expect(count(hopOf(slow, 'a', 'b').outcomes, 'timeout 504')).toBe(50);
    const fast = run(chain({ timeout: '1s' }, { fault: { delay: { fixedDelay: '500ms', percentage: { value: 100 } } } }), graph, 'a', 50);
    expect(status(fast, '200')).toBe(50);
  });

  test("a delay on the route's own fault does not count against its timeout (the router starts after the fault filter)", () => {
    const e = run(chain({ timeout: '1s', fault: { delay: { fixedDelay: '2s', percentage: { value: 100 } } } }, {}), graph, 'a', 20);
    expect(status(e, '200')).toBe(20);
  });

  test('retries on 5xx draw the abort below again on every attempt: 50% aborts, 2 retries, about 12.5% fail', () => {
    const e = run(chain({ retries: { attempts: 2, retryOn: '5xx' } }, { fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } }), graph, 'a', 4000);
    expect(status(e, '503') / 4000).toBeGreaterThan(0.10);
    expect(status(e, '503') / 4000).toBeLessThan(0.15);
    expect(hopOf(e, 'b', 'c').reached).toBeGreaterThan(4000 * 1.6);
  });

  test("Istio's default retry policy retries no HTTP status; retryOn decides which; attempts 0 turns retries off", () => {
    const abort = { fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } };
    const rate = (bRoute: object) => status(run(chain(bRoute, abort), graph, 'a', 4000), '503') / 4000;
    expect(rate({})).toBeGreaterThan(0.45);
    expect(rate({ retries: { attempts: 2, retryOn: 'gateway-error' } })).toBeLessThan(0.15);
    expect(rate({ retries: { attempts: 2, retryOn: 'retriable-status-codes,503' } })).toBeLessThan(0.15);
    expect(rate({ retries: { attempts: 2, retryOn: '504' } })).toBeGreaterThan(0.45);
    expect(rate({ retries: { attempts: 2 } })).toBeGreaterThan(0.45);
    expect(rate({ retries: { attempts: 0, retryOn: '5xx' } })).toBeGreaterThan(0.45);
  });

  test('a per-try timeout ends a slow attempt with 504, which 5xx retries', () => {
    const delay = { fault: { delay: { fixedDelay: '2s', percentage: { value: 50 } } } };
    const e = run(chain({ retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' } }, delay), graph, 'a', 4000);
    expect(status(e, '504') / 4000).toBeLessThan(0.1);
    expect(status(e, '504')).toBeGreaterThan(0);
  });
});

describe('authorization as istiod builds it', () => {
  const source: Source = { name: 'a', namespace: NS, labels: {}, sidecar: true, principal: `cluster.local/ns/${NS}/sa/a`, pod: 'a' };
  const req = (over: object = {}) => ({ source, request: GET('/x'), port: 8080, authority: 'b:8080', hasToken: false, ...over });
  const policy = (action: string, rules: object[]) => ap(`p-${action}`, { action, rules });

  test('an ALLOW rule with HTTP-only fields is dropped on a TCP port, so the traffic is denied', () => {
    const allow = policy('ALLOW', [{ to: [{ operation: { methods: ['GET'] } }] }]);
    expect(authorize([allow], req()).allowed).toBe(true);
    expect(authorize([allow], req({ tcp: true })).allowed).toBe(false);
    const e = run([...mesh({ a: ['v1'], b: ['v1'] }, { portName: 'tcp' }), ap('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ to: [{ operation: { paths: ['/*'] } }] }] })], { a: ['b'] }, 'a', 10);
    expect(status(e, '403')).toBe(10);
  });

  test('a DENY rule with HTTP-only fields denies more broadly on a TCP port: the HTTP fields are left out', () => {
    const deny = policy('DENY', [{ to: [{ operation: { paths: ['/admin'], ports: ['8080'] } }] }]);
    expect(authorize([deny], req()).allowed).toBe(true);
    expect(authorize([deny], req({ tcp: true })).allowed).toBe(false);
    expect(authorize([deny], req({ tcp: true, port: 9090 })).allowed).toBe(true);
  });

  test('hosts match the :authority as sent, port included, in any case', () => {
    const allow = (hosts: string[]) => [policy('ALLOW', [{ to: [{ operation: { hosts } }] }])];
    expect(authorize(allow(['b']), req()).allowed).toBe(false);
    expect(authorize(allow(['B:8080']), req()).allowed).toBe(true);
    expect(authorize(allow(['b:*']), req()).allowed).toBe(true);
    const e = run([...mesh({ a: ['v1'], b: ['v1'] }), ap('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ to: [{ operation: { hosts: ['b:8080'] } }] }] })], { a: ['b'] }, 'a', 10);
    expect(status(e, '200')).toBe(10);
  });

  test('path templates: {*} is one segment, {**} the rest', () => {
    const allow = (paths: string[]) => [policy('ALLOW', [{ to: [{ operation: { paths } }] }])];
    const at = (p: string) => req({ request: GET(p) });
    expect(authorize(allow(['/api/{*}/orders']), at('/api/eu/orders')).allowed).toBe(true);
    expect(authorize(allow(['/api/{*}/orders']), at('/api/eu/west/orders')).allowed).toBe(false);
    expect(authorize(allow(['/api/{**}']), at('/api/eu/west/orders')).allowed).toBe(true);
    expect(authorize(allow(['/api/{**}']), at('/other')).allowed).toBe(false);
  });
});

describe('which VirtualService applies', () => {
  const base = () => [...mesh({ a: ['v1'], b: ['v1', 'v2'] }), subsets('b')];
  const to = (subset: string) => [{ destination: { host: `b.${NS}.svc.cluster.local`, subset } }];

  test('exportTo: a VirtualService exported only to its own namespace does not steer callers elsewhere', () => {
    const other = [...base(), vs('b', { hosts: [`b.${NS}.svc.cluster.local`], exportTo: ['.'], http: [{ route: to('v2') }] }, 'elsewhere')];
    expect(versionsOf(run(other, { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v1', 'v2']);
    other[other.length - 1].spec.exportTo = [NS];
    expect(versionsOf(run(other, { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v2']);
  });

  test("a VirtualService private to the caller's namespace comes before a public one, whatever the names", () => {
    const both = [...base(), vs('a-public', { hosts: [`b.${NS}.svc.cluster.local`], http: [{ route: to('v1') }] }, 'elsewhere'), vs('z-mine', { hosts: ['b'], exportTo: ['.'], http: [{ route: to('v2') }] })];
    expect(versionsOf(run(both, { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v2']);
  });

  test('a VirtualService left with no route for the caller does not apply: default routing, not 404', () => {
    const only = [...base(), vs('b', { hosts: ['b'], http: [{ match: [{ sourceLabels: { app: 'nobody' } }], route: to('v2') }] })];
    const e = run(only, { a: ['b'] }, 'a');
    expect(status(e, '200')).toBe(1000);
    expect(versionsOf(e, 'a', 'b')).toEqual(['v1', 'v2']);
  });

  test('a wildcard host claims a Service only when no VirtualService names it exactly, and only the most specific wildcard', () => {
    const wide = vs('a-wide', { hosts: ['*.svc.cluster.local'], http: [{ route: to('v2') }] });
    const narrow = vs('b-narrow', { hosts: [`*.${NS}.svc.cluster.local`], http: [{ route: to('v1') }] });
    expect(versionsOf(run([...base(), wide, narrow], { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v1']);
    const exactForNobody = vs('c-exact', { hosts: ['b'], http: [{ match: [{ sourceLabels: { app: 'nobody' } }], route: to('v2') }] });
    expect(versionsOf(run([...base(), narrow, exactForNobody], { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v1', 'v2']);
  });

  test('a match on port keeps the route only for callers on that port', () => {
    const ported = [...base(), vs('b', { hosts: ['b'], http: [{ match: [{ port: 9999 }], route: to('v2') }, { route: to('v1') }] })];
    expect(versionsOf(run(ported, { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v1']);
  });

  test('on a TCP port the tcp routes apply and the http ones do not; a ServiceEntry is not a VirtualService', () => {
    const tcpMesh = [...mesh({ a: ['v1'], b: ['v1', 'v2'] }, { portName: 'tcp' }), subsets('b')];
    const both = [...tcpMesh, vs('b', { hosts: ['b'], http: [{ route: to('v2') }], tcp: [{ route: to('v1') }] })];
    expect(versionsOf(run(both, { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v1']);
    const httpOnly = [...tcpMesh, vs('b', { hosts: ['b'], http: [{ route: to('v2') }] })];
    expect(versionsOf(run(httpOnly, { a: ['b'] }, 'a'), 'a', 'b')).toEqual(['v1', 'v2']);
    const entry = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'b', namespace: NS }, spec: { hosts: [`b.${NS}.svc.cluster.local`], ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] } } as Manifest;
    expect(status(run([...base(), entry], { a: ['b'] }, 'a', 10), '200')).toBe(10);
  });

  const ingress = (vss: Manifest[]) => [
    ...base(),
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: NS }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } } as Manifest,
    ...vss,
  ];

  test('gateways on a match: sourceLabels there are not looked at', () => {
    const m = ingress([vs('b', { hosts: ['*'], gateways: ['gw'], http: [{ match: [{ gateways: ['gw'], sourceLabels: { app: 'nobody' } }], route: to('v2') }] })]);
    expect(versionsOf(run(m, {}, 'ingress', 10), 'ingress', 'b')).toEqual(['v2']);
  });

  test("a gateway's VirtualServices for one host are merged, catch-alls last", () => {
    const m = ingress([
      vs('a-all', { hosts: ['*'], gateways: ['gw'], http: [{ route: to('v1') }] }),
      vs('b-special', { hosts: ['*'], gateways: ['gw'], http: [{ match: [{ uri: { prefix: '/special' } }], route: to('v2') }] }),
    ]);
    expect(versionsOf(run(m, {}, 'ingress', 10, GET('/special')), 'ingress', 'b')).toEqual(['v2']);
    expect(versionsOf(run(m, {}, 'ingress', 10, GET('/other')), 'ingress', 'b')).toEqual(['v1']);
  });

  test('a Gateway server host ./name or ns/name binds only VirtualServices of that namespace; the most specific host wins', () => {
    const gw = (hosts: string[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'edge' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] } } as Manifest);
    const route = vs('b', { hosts: ['shop.example.com'], gateways: ['edge/gw'], http: [{ route: to('v2') }] });
    const m = (hosts: string[]) => [...base(), gw(hosts), route];
    const host = GET('/', { host: 'shop.example.com' });
    expect(versionsOf(run(m([`${NS}/shop.example.com`]), {}, 'ingress', 10, host), 'ingress', 'b')).toEqual(['v2']);
    expect(status(run(m(['./shop.example.com']), {}, 'ingress', 10, host), '404')).toBe(10);
    expect(status(run(m(['other/*']), {}, 'ingress', 10, host), '404')).toBe(10);
    const wide = vs('a-wide', { hosts: ['*.example.com'], gateways: ['edge/gw'], http: [{ route: to('v1') }] });
    expect(versionsOf(run([...m(['*/*']), wide], {}, 'ingress', 10, host), 'ingress', 'b')).toEqual(['v2']);
    expect(versionsOf(run([...m(['*/*']), wide], {}, 'ingress', 10, GET('/', { host: 'other.example.com' })), 'ingress', 'b')).toEqual(['v1']);
  });

  test('delegates are followed: the root match narrows the delegate routes', () => {
    const m = [
      ...base(),
      vs('root', { hosts: ['b'], http: [{ match: [{ uri: { prefix: '/api' } }], delegate: { name: 'leaf' } }, { route: to('v1') }] }),
      vs('leaf', { http: [{ match: [{ uri: { prefix: '/api/v2' } }], route: [{ destination: { host: 'b', subset: 'v2' } }] }] }),
    ];
    expect(versionsOf(run(m, { a: ['b'] }, 'a', 10, GET('/api/v2/x')), 'a', 'b')).toEqual(['v2']);
    expect(versionsOf(run(m, { a: ['b'] }, 'a', 10, GET('/other')), 'a', 'b')).toEqual(['v1']);
  });
});

test("a Service not exported to the caller's namespace is passed through (ALLOW_ANY): plain text, no DestinationRule, every pod", () => {
  const hidden = mesh({ b: ['v1', 'v2'] });
  (hidden.find((x) => x.kind === 'Service')!.metadata as { annotations?: Record<string, string> }).annotations = { 'networking.istio.io/exportTo': '.' };
  // A DestinationRule the caller would use if the Service were visible: it does not apply.
  const m = [...hidden, ...mesh({ a: ['v1'] }, { ns: 'callers' }), dr('b', { host: `b.${NS}.svc.cluster.local`, subsets: [{ name: 'v1', labels: { version: 'v1' } }], trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }, 'callers')];
  const e = evaluate({ manifests: m, namespace: 'callers', callees: new Map([['a', [`b.${NS}`]]]), from: 'a', request: GET(), requests: 100, seed: 1 });
  expect(status(e, '200')).toBe(100);
  expect(versionsOf(e, 'a', `b.${NS}`).sort()).toEqual(['v1', 'v2']);
  expect(hopOf(e, 'a', `b.${NS}`).notes.map((n) => n.text).join('\n')).toMatch(/not exported to callers .*passes the call through/);
});

describe('which DestinationRule applies', () => {
  const rule = (name: string, host: string, version: string, ns = NS) => dr(name, { host, subsets: [{ name: 's', labels: { version } }] }, ns);
  const route = vs('b', { hosts: ['b'], http: [{ route: [{ destination: { host: 'b', subset: 's' } }] }] });

  test("the caller's namespace first, then the Service's", () => {
    const m = [...mesh({ b: ['v1', 'v2'] }), ...mesh({ a: ['v1'] }, { ns: 'callers' }).slice(0), route, rule('b', `b.${NS}.svc.cluster.local`, 'v1'), rule('b-local', `b.${NS}.svc.cluster.local`, 'v2', 'callers')];
    (m.find((x) => x.kind === 'VirtualService')!.spec as { exportTo?: string[] }).exportTo = ['*'];
    m.find((x) => x.kind === 'VirtualService')!.spec.hosts = [`b.${NS}.svc.cluster.local`];
    m.find((x) => x.kind === 'VirtualService')!.spec.http[0].route[0].destination.host = `b.${NS}.svc.cluster.local`;
    const e = evaluate({ manifests: m, namespace: 'callers', callees: new Map([['a', [`b.${NS}`]]]), from: 'a', request: GET(), requests: 10, seed: 1 });
    expect(versionsOf(e, 'a', `b.${NS}`)).toEqual(['v2']);
  });

  test('DestinationRules of one host in one namespace are merged: subsets of both, the older one first', () => {
    const only = (name: string, subset: string, version: string) => dr(name, { host: 'b', subsets: [{ name: subset, labels: { version } }] });
    const m = [...mesh({ a: ['v1'], b: ['v1', 'v2'] }), vs('b', { hosts: ['b'], http: [{ route: [{ destination: { host: 'b', subset: 'two' } }] }] }), only('b-1', 'one', 'v1'), only('b-2', 'two', 'v2'), only('b-3', 'two', 'v1')];
    expect(versionsOf(run(m, { a: ['b'] }, 'a', 10), 'a', 'b')).toEqual(['v2']);
  });

  test("the ingress gateway, in the root namespace, takes a mesh-wide rule there only after the Service's own", () => {
    const gw = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: NS }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } } as Manifest;
    const edge = vs('edge', { hosts: ['*'], gateways: ['gw'], http: [{ route: [{ destination: { host: 'b', subset: 's' } }] }] });
    const m = [...mesh({ b: ['v1', 'v2'] }), gw, edge, rule('b', 'b', 'v2'), rule('mesh-wide', '*.local', 'v1', 'istio-system')];
    expect(versionsOf(run(m, {}, 'ingress', 10), 'ingress', 'b')).toEqual(['v2']);
  });

  test('the most specific host wins over a wildcard, whatever the order', () => {
    const m = [...mesh({ a: ['v1'], b: ['v1', 'v2'] }), route, rule('a-wild', `*.${NS}.svc.cluster.local`, 'v1'), rule('z-exact', 'b', 'v2')];
    expect(versionsOf(run(m, { a: ['b'] }, 'a', 10), 'a', 'b')).toEqual(['v2']);
  });
});

describe('matching as Istio renders it for Envoy', () => {
  const source: Source = { name: 'a', namespace: NS, labels: {}, sidecar: true, principal: undefined, pod: 'a' };
  const ctx = (p: string, headers: Record<string, string> = {}) => ({ request: GET(p, headers), gateway: 'mesh', namespace: NS, port: 8080, source, authority: undefined });
  const matches = (match: object[], c: ReturnType<typeof ctx>) => matchRoute(match as never, c).matched;

  test('ignoreUriCase folds exact and prefix only, not regex', () => {
    expect(matches([{ uri: { prefix: '/API' }, ignoreUriCase: true }], ctx('/api/x'))).toBe(true);
    expect(matches([{ uri: { regex: '/API.*' }, ignoreUriCase: true }], ctx('/api/x'))).toBe(false);
  });

  test('withoutHeaders treats a missing header as empty', () => {
    expect(matches([{ withoutHeaders: { 'x-a': { regex: '.*' } } }], ctx('/'))).toBe(false);
    expect(matches([{ withoutHeaders: { 'x-a': { exact: '' } } }], ctx('/'))).toBe(false);
    expect(matches([{ withoutHeaders: { 'x-a': { exact: 'yes' } } }], ctx('/'))).toBe(true);
    expect(matches([{ withoutHeaders: { 'x-a': { regex: '*' } } }], ctx('/'))).toBe(true);
    expect(matches([{ withoutHeaders: { 'x-a': { regex: '*' } } }], ctx('/', { 'x-a': '' }))).toBe(false);
  });

  test('regex "*" means present', () => {
    expect(matches([{ headers: { 'x-a': { regex: '*' } } }], ctx('/', { 'x-a': 'anything' }))).toBe(true);
    expect(matches([{ headers: { 'x-a': { regex: '*' } } }], ctx('/'))).toBe(false);
    expect(matches([{ queryParams: { v: { regex: '*' } } }], ctx('/?v=1'))).toBe(true);
  });

  test('a repeated query parameter counts by its first value', () => {
    expect(queryOf('/?v=1&v=2').get('v')).toBe('1');
    expect(matches([{ queryParams: { v: { exact: '1' } } }], ctx('/?v=1&v=2'))).toBe(true);
    expect(matches([{ queryParams: { v: { exact: '2' } } }], ctx('/?v=1&v=2'))).toBe(false);
  });

  test('uriRegexRewrite rewrites the path with RE2 and \\1 groups, keeping the query', () => {
    const m = [...mesh({ a: ['v1'], b: ['v1'] }), vs('b', { hosts: ['b'], http: [{ rewrite: { uriRegexRewrite: { match: '^/svc/([^/]+)(/.*)$', rewrite: '\\2/of/\\1' } }, route: [{ destination: { host: 'b' } }] }] })];
    const b = hopOf(run(m, { a: ['b'] }, 'a', 1, GET('/svc/eu/list?x=1')), 'a', 'b');
    expect(b.notes.map((n) => n.text)).toContain('path /svc/eu/list?x=1 rewritten to /list/of/eu?x=1');
  });

  test('mirrors: each is read with its percentage', () => {
    const m = [...mesh({ a: ['v1'], b: ['v1', 'v2'] }), subsets('b'), vs('b', { hosts: ['b'], http: [{
      route: [{ destination: { host: 'b', subset: 'v1' } }],
      mirrors: [{ destination: { host: 'b', subset: 'v2' } }, { destination: { host: 'b', subset: 'v1' }, percentage: { value: 0 } }],
    }] })];
    const b = hopOf(run(m, { a: ['b'] }, 'a', 100), 'a', 'b');
    expect(b.mirrored).toEqual([{ name: 'v2', count: 100 }]);
  });
});

describe('npm run explain -- PATH...: any manifests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-explain-files-'));
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: NS, labels: { app: 'toolbox' } }, spec: { containers: [{ name: 'debug', image: 'x' }] } } as Manifest;
  const manifests = [...mesh({ web: ['v1'], api: ['v1', 'v2'] }), pod, subsets('api'), vs('api', { hosts: ['api'], http: [{ route: [{ destination: { host: 'api', subset: 'v2' } }] }] })];
  fs.writeFileSync(path.join(dir, 'all.yaml'), manifests.map((m) => dump(m)).join('---\n'));
  const explain = (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runExplain(argv, {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };

  test('a Deployment, a Pod or an app label in the files calls a Service, with the report of a lab', () => {
    for (const from of ['web-v1', 'web', `${NS}/web`, 'debug', 'toolbox']) {
      const { code, out, err } = explain([dir, '--from', from, '--to', 'api', '--requests', '20', '--json']);
      expect({ code, err }).toEqual({ code: 0, err: [] });
      const r = JSON.parse(out[0]);
      expect(r.files).toEqual([dir]);
      expect(r.hops.map((h: { from: string; to: string; versions: Array<{ name: string }> }) => [h.from, h.to, h.versions.map((v) => v.name)])).toEqual([[from, 'api', ['v2']]]);
    }
    const text = explain([dir, '--from', 'web', '--to', 'api', '--requests', '20']);
    expect(text.out[0]).toMatch(/^meshlab explain: files .*, 20 requests GET \/ with no headers, from web, seed 1/);
  });

  test('--to is read as the caller dials it, by cluster DNS: api, api.shop, api.shop.svc and the FQDN are one Service', () => {
    for (const to of ['api', `api.${NS}`, `api.${NS}.svc`, `api.${NS}.svc.cluster.local`]) {
      const { code, out } = explain([dir, '--from', 'web', '--to', to, '--requests', '10', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(out[0]).hops[0].versions.map((v: { name: string }) => v.name)).toEqual(['v2']);
    }
  });

  test('an unknown workload or service is one line naming it, exit code 2', () => {
    expect(explain([dir, '--from', 'nobody', '--to', 'api']).err[0]).toMatch(/^meshlab: unknown --from nobody: no Deployment, Pod or app label of that name in the files \(workloads: shop\/api-v1/);
    expect(explain([dir, '--from', 'web', '--to', 'nothing']).err[0]).toMatch(/^meshlab: unknown --to nothing: no Service or ServiceEntry host in the files/);
    expect(explain([dir, '--from', 'web']).code).toBe(2);
    expect(explain([dir, '--lab', 'tutorial']).err).toEqual([`meshlab: give --lab tutorial or files to read (${dir}), not both`]);
  });
});
