import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildLab } from '../lib/app';
import { runExplain } from '../lib/cli/explain';
import { authorize } from '../lib/explain/authz';
import { evaluate } from '../lib/explain/evaluate';
import { matchRoute } from '../lib/explain/match';
import { re2FullMatch as fullMatch } from '../lib/istio/re2';
import { Random } from '../lib/explain/random';
import { Source } from '../lib/explain/request';
import { Explanation } from '../lib/explain/tally';
import { LABS, LAB_NAMES } from '../lib/labs';
import { render } from '../lib/output/render';
import { Manifest } from './support/synth';

const root = path.resolve(__dirname, '..');

/** A flags file with no scenario switched on, so a run without --scenario shows the plain lab whatever the checked-in one says. */
const PLAIN = ['--config', path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-explain-')), 'plain.json')];
fs.writeFileSync(PLAIN[1], JSON.stringify({ labs: {} }));

/** `npm run explain` in memory: exit code, stdout and stderr lines. */
function explain(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runExplain(argv, {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err, text: out.join('\n') };
}

interface JsonCount { name: string; count: number; percent: number }
interface JsonHop { from: string; to: string; reached: number; versions: JsonCount[]; pods: JsonCount[]; outcomes: JsonCount[]; delayed: JsonCount[]; mirrored: JsonCount[]; notes: Array<{ text: string; percent?: number }> }
interface JsonReport { hops: JsonHop[]; endToEnd: Array<{ status: string; count: number; percent: number }>; request: { path: string } }

/** The JSON report of a run that must succeed. */
function report(argv: string[]): JsonReport {
  const { code, out, err } = explain([...argv, '--json']);
  expect({ code, err }).toEqual({ code: 0, err: [] });
  return JSON.parse(out[0]);
}

/** The hop `from -> to`; fails the test when the walk never took it. */
function hop(r: JsonReport, from: string, to: string): JsonHop {
  const found = r.hops.find((h) => h.from === from && h.to === to);
  if (!found) throw new Error(`no hop ${from} -> ${to} (hops: ${r.hops.map((h) => `${h.from} -> ${h.to}`).join(', ')})`);
  return found;
}

/** The percentage of `name` in a list of counts (0 when absent). */
const share = (list: JsonCount[], name: string) => list.find((c) => c.name === name)?.percent ?? 0;
const statuses = (r: JsonReport) => Object.fromEntries(r.endToEnd.map((s) => [s.status, s.percent]));
const notes = (h: JsonHop) => h.notes.map((n) => n.text);

/** A lab's manifests and call graph, for calling evaluate() on edited copies. */
function labManifests(name: string, scenarios: string[] = []) {
  const definition = LABS.find((l) => l.name === name)!;
  const { lab } = buildLab(definition, undefined, { scenarios });
  const manifests = render([lab], { files: false }).objects.map((o) => JSON.parse(JSON.stringify(o.manifest)) as Manifest);
  const callees = new Map([...lab.services, ...lab.clients].map((c) => [c.name, c.callees.map((s) => s.name)] as const));
  return { manifests, callees, namespace: lab.namespace };
}

const byName = (manifests: Manifest[], kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
const GET_ROOT = { method: 'GET', path: '/', headers: new Map<string, string>() };
const hopOf = (e: Explanation, from: string, to: string) => e.hops.find((h) => h.from === from && h.to === to)!;
const countOf = (list: ReadonlyArray<{ name: string; count: number }>, name: string) => list.find((c) => c.name === name)?.count ?? 0;

describe('routing through the tutorial lab', () => {
  test('without scenarios, requests walk the call graph and recommendation answers from v1 and v2 about evenly (one pod each)', () => {
    const r = report(['--lab', 'tutorial', ...PLAIN, '--requests', '2000']);
    expect(r.hops.map((h) => `${h.from} -> ${h.to}`)).toEqual(['ingress -> customer', 'customer -> preference', 'preference -> recommendation']);
    expect(r.hops.map((h) => h.reached)).toEqual([2000, 2000, 2000]);
    const rec = hop(r, 'preference', 'recommendation');
    expect(share(rec.versions, 'v1')).toBeGreaterThan(45);
    expect(share(rec.versions, 'v2')).toBeGreaterThan(45);
    expect(statuses(r)).toEqual({ 200: 100 });
  });

  test('from ingress the default path is the gateway route\'s own (/customer), rewritten to / on the way to customer', () => {
    const r = report(['--lab', 'tutorial', ...PLAIN]);
    expect(r.request.path).toBe('/customer');
    expect(notes(hop(r, 'ingress', 'customer'))).toContain('path /customer rewritten to /');
  });

  test('a prefix rewrite replaces only the matched prefix, as Envoy does (/customer/x becomes //x)', () => {
    const r = report(['--lab', 'tutorial', ...PLAIN, '--path', '/customer/x']);
    expect(notes(hop(r, 'ingress', 'customer'))).toContain('path /customer/x rewritten to //x');
  });

  test('canary sends about 90% of recommendation traffic to v1 and 10% to v2', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'canary', '--requests', '2000']);
    const rec = hop(r, 'preference', 'recommendation');
    expect(share(rec.versions, 'v1')).toBeGreaterThanOrEqual(87);
    expect(share(rec.versions, 'v1')).toBeLessThanOrEqual(93);
    expect(rec.versions.map((v) => v.count).reduce((a, b) => a + b)).toBe(2000);
    expect(notes(rec)).toContain('route 1 of VirtualService recommendation (every request) -> v1 90%, v2 10%');
  });

  test('--set changes the split the preview sees', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.weights=v1:0,v2:100']);
    expect(hop(r, 'preference', 'recommendation').versions).toEqual([{ name: 'v2', count: 1000, percent: 100 }]);
  });

  test('without --scenario the flags file\'s scenarios for the lab apply, as for synth', () => {
    const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-explain-')), 'meshlab.config.json');
    fs.writeFileSync(config, JSON.stringify({ labs: { tutorial: { scenarios: ['route'], set: { 'route.version': 'v1' } } } }));
    const { code, text } = explain(['--lab', 'tutorial', '--config', config]);
    expect(code).toBe(0);
    expect(text).toMatch(/^meshlab explain: lab tutorial \(scenarios route with route\.version=v1\)/);
    expect(text).toMatch(/preference -> recommendation +1000 reached +v1 100\.0%\n/);
  });

  test('the same seed gives byte-identical output; another seed other counts', () => {
    const run = (seed: string) => explain(['--lab', 'tutorial', '--scenario', 'canary', '--seed', seed]).text;
    expect(run('7')).toBe(run('7'));
    const counts = (seed: string) => hop(report(['--lab', 'tutorial', '--scenario', 'canary', '--seed', seed]), 'preference', 'recommendation').versions;
    expect(counts('7')).not.toEqual(counts('8'));
  });

  test('header-route: a Safari user-agent reaches v2 only, any other v1 only (headers are forwarded to every hop)', () => {
    const safari = report(['--lab', 'tutorial', '--scenario', 'header-route', '--header', 'User-Agent=Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15']);
    expect(hop(safari, 'preference', 'recommendation').versions.map((v) => [v.name, v.percent])).toEqual([['v2', 100]]);
    const other = report(['--lab', 'tutorial', '--scenario', 'header-route', '--header', 'user-agent=curl/8.0']);
    const rec = hop(other, 'preference', 'recommendation');
    expect(rec.versions.map((v) => [v.name, v.percent])).toEqual([['v1', 100]]);
    expect(notes(rec)).toContain('route 2 of VirtualService recommendation (every request) -> v1, as route 1 (headers user-agent ~ .*Safari.*) does not match');
  });

  test('fault-abort: about half the requests to recommendation end with 503 there, and that is what the caller gets', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'fault-abort', '--requests', '2000']);
    const rec = hop(r, 'preference', 'recommendation');
    const aborted = share(rec.outcomes, 'aborted 503');
    expect(aborted).toBeGreaterThan(45);
    expect(aborted).toBeLessThan(55);
    // Aborted requests never reach a pod: the versions and the aborts make up all requests.
    const count = (list: JsonCount[], name: string) => list.find((c) => c.name === name)?.count ?? 0;
    const abortedCount = count(rec.outcomes, 'aborted 503');
    expect(count(rec.versions, 'v1') + count(rec.versions, 'v2') + abortedCount).toBe(2000);
    expect(r.endToEnd.map((s) => [s.status, s.count])).toEqual([['200', 2000 - abortedCount], ['503', abortedCount]]);
    expect(notes(rec)).toContain('fault: abort 503 for 50% of requests');
  });

  test('fault-abort with another percentage and status aborts that share with that status', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'fault-abort', '--set', 'fault-abort.percent=20', '--set', 'fault-abort.status=500', '--requests', '2000']);
    const aborted = share(hop(r, 'preference', 'recommendation').outcomes, 'aborted 500');
    expect(aborted).toBeGreaterThan(17);
    expect(aborted).toBeLessThan(23);
  });

  test('fault-delay: about half the requests to recommendation are delayed 7s; all still answer 200', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'fault-delay', '--requests', '2000']);
    const delayed = share(hop(r, 'preference', 'recommendation').delayed, '7s');
    expect(delayed).toBeGreaterThan(45);
    expect(delayed).toBeLessThan(55);
    expect(statuses(r)).toEqual({ 200: 100 });
  });

  test('mirror: every answer comes from v1 and every request is copied to v2', () => {
    const rec = hop(report(['--lab', 'tutorial', '--scenario', 'mirror']), 'preference', 'recommendation');
    expect(rec.versions.map((v) => [v.name, v.percent])).toEqual([['v1', 100]]);
    expect(rec.mirrored.map((m) => [m.name, m.percent])).toEqual([['v2', 100]]);
  });

  test('timeout and retries are listed; an abort on the retrying route itself is not retried (the fault filter answers before the router)', () => {
    expect(notes(hop(report(['--lab', 'tutorial', '--scenario', 'timeout']), 'preference', 'recommendation'))).toContain(
      'timeout 1s: answers 504 when what it waits for takes longer (only injected delays take time here; the apps answer at once)');
    expect(notes(hop(report(['--lab', 'tutorial', '--scenario', 'retry']), 'preference', 'recommendation'))).toContain(
      'retries: up to 3, 2s per try, on 5xx,connect-failure,refused-stream');
    const both = report(['--lab', 'tutorial', '--scenario', 'fault-abort,retry', '--requests', '2000']);
    const rec = hop(both, 'preference', 'recommendation');
    expect(notes(rec)).toContain('fault: an abort here is not retried by this route: the fault filter answers before the router');
    expect(share(rec.outcomes, 'aborted 503')).toBeGreaterThan(45);
    expect(share(rec.outcomes, 'aborted 503')).toBeLessThan(55);
  });

  test('connection pools, outlier detection and local rate limits are named, since they depend on load and time', () => {
    const breaker = notes(hop(report(['--lab', 'tutorial', '--scenario', 'circuit-breaker']), 'preference', 'recommendation'));
    expect(breaker).toContainEqual(expect.stringMatching(/^connectionPool .*tcp\.maxConnections 1 .*not model/));
    expect(breaker).toContainEqual(expect.stringMatching(/^outlierDetection .*consecutive5xxErrors 1.*not model/));
    const limited = notes(hop(report(['--lab', 'tutorial', '--scenario', 'rate-limit']), 'preference', 'recommendation'));
    expect(limited).toContainEqual(expect.stringMatching(/^local rate limit at recommendation v2 \(EnvoyFilter recommendation-v2-local-ratelimit\): 1 request at once, 1 more every 1s; beyond that 429/));
  });

  test('load-balancer: requests spread over the pods, so the scaled-out v1 gets about two thirds', () => {
    const rec = hop(report(['--lab', 'tutorial', '--scenario', 'load-balancer', '--requests', '3000']), 'preference', 'recommendation');
    expect(share(rec.versions, 'v1')).toBeGreaterThan(62);
    expect(share(rec.versions, 'v1')).toBeLessThan(71);
    expect(rec.pods.map((p) => p.name)).toEqual(['recommendation-v1#1', 'recommendation-v1#2', 'recommendation-v2#1']);
  });

  test('consistent hashing on a header sends every request with the same value to one pod', () => {
    const argv = ['--lab', 'tutorial', '--scenario', 'load-balancer', '--set', 'load-balancer.hashHeader=x-user'];
    const same = hop(report([...argv, '--header', 'x-user=alice']), 'preference', 'recommendation');
    expect(same.versions).toHaveLength(1);
    expect(same.versions[0].percent).toBe(100);
    expect(hop(report(argv), 'preference', 'recommendation').versions).toHaveLength(2);
  });

  test('authz-deny: preference answers customer 403, so recommendation is never called', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'authz-deny']);
    const pref = hop(r, 'customer', 'preference');
    expect(pref.outcomes).toEqual([{ name: 'denied 403', count: 1000, percent: 100 }]);
    expect(notes(pref)).toContain('denied by AuthorizationPolicy preference-deny (DENY, rule 1)');
    expect(r.hops.some((h) => h.to === 'recommendation')).toBe(false);
    expect(statuses(r)).toEqual({ 403: 100 });
  });

  test('authz-allow: the listed calls pass; a method the rule does not list is denied at customer', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'authz-allow']);
    expect(statuses(r)).toEqual({ 200: 100 });
    expect(notes(hop(r, 'preference', 'recommendation'))).toContain('allowed by AuthorizationPolicy recommendation-allow (rule 1)');
    const post = report(['--lab', 'tutorial', '--scenario', 'authz-allow', '--method', 'post']);
    const customer = hop(post, 'ingress', 'customer');
    expect(customer.outcomes).toEqual([{ name: 'denied 403', count: 1000, percent: 100 }]);
    expect(notes(customer)).toContain('denied: no rule of the ALLOW policies allow-nothing, customer-allow matches');
  });

  test('--to shows only the hops into that service; the end-to-end line stays', () => {
    const { code, out } = explain(['--lab', 'tutorial', '--scenario', 'canary', '--to', 'recommendation']);
    expect(code).toBe(0);
    const hopLines = out[0].split('\n').filter((l) => / -> \S+ +\d+ reached/.test(l));
    expect(hopLines).toEqual([expect.stringMatching(/^preference -> recommendation +1000 reached +v1 /)]);
    expect(out[0]).toMatch(/\nend to end \(of 1000 requests\): 200 100\.0%$/);
  });
});

describe('the other labs', () => {
  test('fft: /fft/real/10 reaches wtyfft-svc (three pods); /nothing gets 404 at the gateway', () => {
    const fft = report(['--lab', 'fft', '--path', '/fft/real/10', '--method', 'POST', '--requests', '3000']);
    const svc = hop(fft, 'ingress', 'wtyfft-svc');
    expect(svc.versions.map((v) => [v.name, v.percent])).toEqual([['v1', 100]]);
    expect(svc.pods).toHaveLength(3);
    expect(statuses(fft)).toEqual({ 200: 100 });
    const nothing = report(['--lab', 'fft', '--path', '/nothing']);
    expect(nothing.hops).toHaveLength(1);
    expect(hop(nothing, 'ingress', '(no destination)').outcomes).toEqual([{ name: 'no route 404', count: 1000, percent: 100 }]);
    expect(statuses(nothing)).toEqual({ 404: 100 });
  });

  test('polyglot: /env through the gateway reaches service-python, which calls lua and node; node calls go', () => {
    const r = report(['--lab', 'polyglot', ...PLAIN, '--path', '/env']);
    expect(r.hops.map((h) => `${h.from} -> ${h.to}`)).toEqual([
      'ingress -> service-python', 'service-python -> service-lua', 'service-python -> service-node', 'service-node -> service-go',
    ]);
    expect(r.hops.every((h) => h.reached === 1000)).toBe(true);
  });

  test('polyglot: any other path reaches service-js v1; a Firefox user-agent reaches v2 with header-route', () => {
    expect(hop(report(['--lab', 'polyglot', ...PLAIN, '--path', '/']), 'ingress', 'service-js').versions.map((v) => v.name)).toEqual(['v1']);
    const firefox = report(['--lab', 'polyglot', '--scenario', 'header-route', '--path', '/', '--header', 'user-agent=Mozilla/5.0 Firefox/120.0']);
    expect(hop(firefox, 'ingress', 'service-js').versions.map((v) => v.name)).toEqual(['v2']);
  });

  test('polyglot authz-deny: service-go denies service-node, so the request through the gateway answers 403', () => {
    const r = report(['--lab', 'polyglot', '--scenario', 'authz-deny', '--path', '/env']);
    expect(share(hop(r, 'service-node', 'service-go').outcomes, 'denied 403')).toBe(100);
    expect(share(hop(r, 'service-python', 'service-lua').outcomes, 'denied 403')).toBe(0);
    expect(statuses(r)).toEqual({ 403: 100 });
  });

  test('polyglot authz-allow: service-go allows only service-node, so dns-test is denied', () => {
    const r = report(['--lab', 'polyglot', '--scenario', 'authz-allow', '--from', 'dns-test']);
    expect(hop(r, 'dns-test', 'service-go').outcomes).toEqual([{ name: 'denied 403', count: 1000, percent: 100 }]);
  });

  test('polyglot redirect answers 301; rewrite forwards the new path', () => {
    const redirect = report(['--lab', 'polyglot', '--scenario', 'redirect', '--from', 'dns-test', '--path', '/v1/env']);
    expect(statuses(redirect)).toEqual({ 301: 100 });
    expect(notes(hop(redirect, 'dns-test', 'service-go'))).toContain('redirect to /env');
    const rewrite = report(['--lab', 'polyglot', '--scenario', 'rewrite', '--from', 'dns-test', '--path', '/v1/env']);
    expect(notes(hop(rewrite, 'dns-test', 'service-go'))).toContain('path /v1/env rewritten to /env');
  });

  test('polyglot jwt: without a token httpbin\'s ALLOW policy (a request principal) matches nothing', () => {
    const r = report(['--lab', 'polyglot', '--scenario', 'jwt', '--from', 'sleep']);
    expect(statuses(r)).toEqual({ 403: 100 });
  });

  test('flask: the sleep client is the default caller (no gateway) and flaskapp answers from v1 and v2', () => {
    const { code, text } = explain(['--lab', 'flask', ...PLAIN]);
    expect(code).toBe(0);
    expect(text).toMatch(/from sleep, seed 1\n/);
    expect(text).toMatch(/\nsleep -> flaskapp +1000 reached +v1 \d+\.\d%  v2 \d+\.\d%\n/);
  });
});

describe('the report', () => {
  test('says plainly that it is a preview, not Istio, and what every percentage is of', () => {
    const lines = explain(['--lab', 'tutorial', '--scenario', 'canary', '--seed', '1']).out[0].split('\n');
    expect(lines[0]).toBe('meshlab explain: lab tutorial (scenarios canary), 1000 requests GET /customer with no headers, from ingress, seed 1');
    expect(lines[1]).toBe("A preview of Istio's routing rules, computed offline from the generated manifests: it is not Istio and sends no request.");
    expect(lines[2]).toMatch(/every percentage is of the requests that reached that hop/);
  });

  test('text and JSON show the same hops and numbers', () => {
    const argv = ['--lab', 'tutorial', '--scenario', 'fault-abort', '--seed', '3'];
    const text = explain(argv).text;
    const json = report(argv);
    for (const h of json.hops) {
      const versions = h.versions.map((v) => `${v.name} ${v.percent.toFixed(1)}%`).join('  ');
      expect(text).toContain(`${h.reached} reached   ${versions}`);
    }
    expect(text).toContain(`end to end (of 1000 requests): ${json.endToEnd.map((s) => `${s.status} ${s.percent.toFixed(1)}%`).join('  ')}`);
  });

  test('--help prints the usage', () => {
    const { code, out } = explain(['--help']);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^usage: npm run explain -- --lab L\|--lab-file PATH /);
  });
});

describe('evaluating edited manifests', () => {
  test('a route to a subset no DestinationRule defines answers 503 (no cluster)', () => {
    const { manifests, callees, namespace } = labManifests('tutorial', ['canary']);
    const dr = byName(manifests, 'DestinationRule', 'recommendation');
    dr.spec.subsets = dr.spec.subsets.filter((s: { name: string }) => s.name !== 'v2');
    const e = evaluate({ manifests, callees, namespace, from: 'preference', request: GET_ROOT, requests: 1000, seed: 1 });
    const rec = hopOf(e, 'preference', 'recommendation');
    expect(countOf(rec.outcomes, 'no subset 503') + countOf(rec.versions, 'v1')).toBe(1000);
    expect(countOf(rec.outcomes, 'no subset 503')).toBeGreaterThan(50);
  });

  test('a subset whose labels select no pod answers 503 (no healthy upstream)', () => {
    const { manifests, callees, namespace } = labManifests('tutorial', ['route']);
    byName(manifests, 'DestinationRule', 'recommendation').spec.subsets.find((s: { name: string }) => s.name === 'v2').labels = { version: 'v3' };
    const e = evaluate({ manifests, callees, namespace, from: 'preference', request: GET_ROOT, requests: 10, seed: 1 });
    expect(hopOf(e, 'preference', 'recommendation').outcomes).toEqual([{ name: 'no healthy upstream 503', count: 10 }]);
  });

  test('sourceLabels: a route for callers with some labels applies only to them', () => {
    const { manifests, callees, namespace } = labManifests('tutorial', ['route']);
    const vs = byName(manifests, 'VirtualService', 'recommendation');
    vs.spec.http.unshift({ match: [{ sourceLabels: { app: 'customer' } }], route: [{ destination: { host: 'recommendation', subset: 'v1' } }] });
    const fromPreference = evaluate({ manifests, callees, namespace, from: 'preference', request: GET_ROOT, requests: 10, seed: 1 });
    expect(hopOf(fromPreference, 'preference', 'recommendation').versions).toEqual([{ name: 'v2', count: 10 }]);
    vs.spec.http[0].match[0].sourceLabels = { app: 'preference' };
    const matching = evaluate({ manifests, callees, namespace, from: 'preference', request: GET_ROOT, requests: 10, seed: 1 });
    expect(hopOf(matching, 'preference', 'recommendation').versions).toEqual([{ name: 'v1', count: 10 }]);
  });

  test('STRICT mTLS resets the connection of a caller without a sidecar, which no VirtualService steers', () => {
    const { manifests, callees, namespace } = labManifests('flask', ['route']);
    byName(manifests, 'Deployment', 'sleep').spec.template.metadata.annotations = { 'sidecar.istio.io/inject': 'false' };
    const plain = evaluate({ manifests, callees, namespace, from: 'sleep', request: GET_ROOT, requests: 1000, seed: 1 });
    const flaskapp = hopOf(plain, 'sleep', 'flaskapp');
    // route sends everything to v2, but without a sidecar the caller is not routed: kube-proxy picks any pod.
    expect(flaskapp.versions.map((v) => v.name)).toEqual(['v1', 'v2']);
    expect(flaskapp.notes.map((n) => n.text)).toContain('sleep has no sidecar: no VirtualService or DestinationRule applies, kube-proxy picks any pod');
    manifests.push({ apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace }, spec: { mtls: { mode: 'STRICT' } } });
    const strict = evaluate({ manifests, callees, namespace, from: 'sleep', request: GET_ROOT, requests: 10, seed: 1 });
    expect(strict.endToEnd).toEqual([{ name: 'reset', count: 10 }]);
  });
});

describe('matching, one condition at a time', () => {
  const source: Source = { name: 'a', namespace: 'ns', labels: { app: 'a' }, sidecar: true, principal: 'cluster.local/ns/ns/sa/a', pod: 'a#1' };
  const ctx = (path: string, headers: Record<string, string> = {}, method = 'GET') => ({
    request: { method, path, headers: new Map(Object.entries(headers)) }, gateway: 'mesh', namespace: 'ns', port: 80, source, authority: undefined,
  });
  const matches = (match: object[] | undefined, c: ReturnType<typeof ctx>) => matchRoute(match as never, c).matched;

  test('a regex matches the whole value (RE2 semantics), not a part of it', () => {
    expect(fullMatch('Safari', 'Mozilla Safari')).toBe(false);
    expect(fullMatch('.*Safari.*', 'Mozilla Safari/605')).toBe(true);
  });

  test('uri exact ignores the query string, prefix does not; ignoreUriCase folds case', () => {
    expect(matches([{ uri: { exact: '/env' } }], ctx('/env?x=1'))).toBe(true);
    expect(matches([{ uri: { prefix: '/env?x' } }], ctx('/env?x=1'))).toBe(true);
    expect(matches([{ uri: { exact: '/ENV' } }], ctx('/env'))).toBe(false);
    expect(matches([{ uri: { exact: '/ENV' }, ignoreUriCase: true }], ctx('/env'))).toBe(true);
  });

  test('conditions of one block all hold (AND); blocks are alternatives (OR); no list matches all', () => {
    const both = [{ uri: { prefix: '/a' }, method: { exact: 'POST' } }];
    expect(matches(both, ctx('/a'))).toBe(false);
    expect(matches(both, ctx('/a', {}, 'POST'))).toBe(true);
    expect(matches([{ uri: { prefix: '/b' } }, { method: { exact: 'GET' } }], ctx('/a'))).toBe(true);
    expect(matches(undefined, ctx('/anything'))).toBe(true);
  });

  test('withoutHeaders matches when the header is absent or does not match', () => {
    const without = [{ withoutHeaders: { 'x-test': { exact: 'yes' } } }];
    expect(matches(without, ctx('/'))).toBe(true);
    expect(matches(without, ctx('/', { 'x-test': 'no' }))).toBe(true);
    expect(matches(without, ctx('/', { 'x-test': 'yes' }))).toBe(false);
  });

  test('query parameters are read from the path', () => {
    expect(matches([{ queryParams: { v: { exact: '2' } } }], ctx('/?v=2'))).toBe(true);
    expect(matches([{ queryParams: { v: { exact: '2' } } }], ctx('/?v=1'))).toBe(false);
  });

  test('an authority match cannot be known inside the mesh: taken as matching, and said so', () => {
    expect(matchRoute([{ authority: { exact: 'x' } }], ctx('/')).assumed).toEqual(['authority = x']);
  });
});

describe('authorization, one rule at a time', () => {
  const source: Source = { name: 'a', namespace: 'ns', labels: {}, sidecar: true, principal: 'cluster.local/ns/ns/sa/a', pod: 'a#1' };
  const policy = (action: string, rules?: object[]) => ({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name: `p-${action}` }, spec: { action, rules } }) as Manifest;
  const request = (method = 'GET', path = '/x', headers: Record<string, string> = {}) => ({ source, request: { method, path, headers: new Map(Object.entries(headers)) }, port: 8080, authority: 'svc', hasToken: false });

  test('an ALLOW policy without rules denies everything; with no policy everything is allowed', () => {
    expect(authorize([policy('ALLOW')], request()).allowed).toBe(false);
    expect(authorize([], request()).allowed).toBe(true);
  });

  test('DENY wins over ALLOW', () => {
    expect(authorize([policy('ALLOW', [{}]), policy('DENY', [{ to: [{ operation: { methods: ['GET'] } }] }])], request()).allowed).toBe(false);
  });

  test('principals take exact, prefix*, *suffix and * patterns', () => {
    const allowing = (principal: string) => authorize([policy('ALLOW', [{ from: [{ source: { principals: [principal] } }] }])], request()).allowed;
    expect(allowing('cluster.local/ns/ns/sa/a')).toBe(true);
    expect(allowing('cluster.local/ns/ns/*')).toBe(true);
    expect(allowing('*/sa/a')).toBe(true);
    expect(allowing('*')).toBe(true);
    expect(allowing('cluster.local/ns/ns/sa/b')).toBe(false);
  });

  test('paths, notMethods and request.headers conditions are evaluated; unknown keys are taken as matching and named', () => {
    expect(authorize([policy('ALLOW', [{ to: [{ operation: { paths: ['/x*'] } }] }])], request('GET', '/xy')).allowed).toBe(true);
    expect(authorize([policy('ALLOW', [{ to: [{ operation: { notMethods: ['GET'] } }] }])], request()).allowed).toBe(false);
    const header = [{ when: [{ key: 'request.headers[user-agent]', values: ['RBAC-*'] }] }];
    expect(authorize([policy('ALLOW', header)], request('GET', '/', { 'user-agent': 'RBAC-1' })).allowed).toBe(true);
    expect(authorize([policy('ALLOW', header)], request('GET', '/', { 'user-agent': 'curl' })).allowed).toBe(false);
    expect(authorize([policy('ALLOW', [{ when: [{ key: 'source.ip', values: ['10.0.0.1'] }] }])], request()).assumed).toEqual(['when source.ip']);
  });
});

test('the seeded generator is deterministic and spreads evenly', () => {
  const draw = (seed: number) => Array.from({ length: 5 }, ((r) => () => r.next())(new Random(seed)));
  expect(draw(1)).toEqual(draw(1));
  expect(draw(1)).not.toEqual(draw(2));
  const r = new Random(9);
  const hits = Array.from({ length: 10000 }, () => r.index(4)).filter((i) => i === 0).length;
  expect(hits).toBeGreaterThan(2300);
  expect(hits).toBeLessThan(2700);
});

describe('a Service a step adds, called from the client the guide calls it from', () => {
  test.each(['--api istio', '--api gateway-api', '--mode ambient'])('polyglot tcp-shift %s: connections to service-go-tcp split 80/20 between service-go v1 and v2', (flags) => {
    const r = report(['--lab', 'polyglot', ...flags.split(' '), '--scenario', 'tcp-shift', '--from', 'dns-test', '--to', 'service-go-tcp', '--requests', '2000']);
    const tcp = hop(r, 'dns-test', 'service-go-tcp');
    expect(r.hops.map((h) => h.to)).toEqual(['service-go-tcp']);
    expect(share(tcp.versions, 'v1')).toBeGreaterThan(77);
    expect(share(tcp.versions, 'v1')).toBeLessThan(83);
    expect(share(tcp.versions, 'v1') + share(tcp.versions, 'v2')).toBe(100);
  });

  test.each([
    ['--api istio', 'at gateway istio-egressgateway: denied by AuthorizationPolicy httpbin-org-egress (DENY, rule 1)'],
    ['--api gateway-api', 'at gateway httpbin-org-egress: denied: no rule of the ALLOW policies httpbin-org-egress matches'],
    ['--mode ambient', 'at waypoint waypoint: denied: no rule of the ALLOW policies httpbin-org matches'],
  ])('polyglot egress-gateway %s: GET leaves through the egress proxy, which originates TLS; POST is denied there', (flags, denied) => {
    const run = (method: string) => report(['--lab', 'polyglot', ...flags.split(' '), '--scenario', 'egress-gateway', '--from', 'sleep', '--to', 'httpbin.org', '--method', method, '--requests', '20']);
    const get = hop(run('GET'), 'sleep', 'httpbin.org');
    expect(get.outcomes).toEqual([{ name: 'leaves the mesh to httpbin.org 200', count: 20, percent: 100 }]);
    expect(notes(get)).toContain('DestinationRule httpbin-org: the proxy originates TLS (SIMPLE) to httpbin.org:443');
    expect(notes(get).some((n) => /^the route sends the request to gateway |ztunnel sends the request to waypoint waypoint \(istio.io\/use-waypoint on the ServiceEntry\)/.test(n))).toBe(true);
    const post = hop(run('POST'), 'sleep', 'httpbin.org');
    expect(post.outcomes.map((o) => [o.name.startsWith('denied 403'), o.count])).toEqual([[true, 20]]);
    expect(notes(post)).toContain(denied);
  });

  test('the ingress gateway does not route to it, and an unknown name still lists what there is', () => {
    expect(explain(['--lab', 'polyglot', '--scenario', 'tcp-route', '--to', 'redis-proxy']).err)
      .toEqual(['meshlab: --to redis-proxy: the ingress gateway does not route to this Service the step adds; give --from the client that calls it']);
    expect(explain(['--lab', 'polyglot', '--scenario', 'tcp-route', '--from', 'dns-test', '--to', 'redis-prox']).err[0]).toMatch(/, redis-proxy\); did you mean "redis-proxy"\?$/);
  });
});

describe("a fault meshlab puts in a callee's own sidecar (an EnvoyFilter) is walked, as the guide promises", () => {
  test('tutorial timeout: recommendation v2 holds its answers 3s, so the 504s of the 1s timeout are the requests that reach v2', () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'timeout', '--requests', '2000']);
    const rec = hop(r, 'preference', 'recommendation');
    expect(share(rec.outcomes, 'timeout 504')).toBe(share(rec.versions, 'v2'));
    expect(share(rec.versions, 'v2')).toBeGreaterThan(45);
    expect(notes(rec)).toContain("fault in recommendation v2's own sidecar (EnvoyFilter recommendation-v2-delay): delay 3s for 100% of its requests");
    expect(statuses(r)['504']).toBe(share(rec.versions, 'v2'));
  });

  test("tutorial retry: half the answers fail in recommendation's sidecar, and 3 retries leave about 0.5^4 of them", () => {
    const r = report(['--lab', 'tutorial', '--scenario', 'retry', '--requests', '4000']);
    expect(statuses(r)['503']).toBeGreaterThan(4.5);
    expect(statuses(r)['503']).toBeLessThan(8);
  });
});

describe('bad input: one line on stderr, exit code 2, nothing on stdout', () => {
  test.each([
    [['--colour'], 'meshlab: unknown flag --colour (flags: --lab, --lab-file, --scenario, --set, --config, --api, --mode, --from, --to, --path, --method, --header, --requests, --seed, --json, --help, -h, --version)'],
    [['tutorial'], 'meshlab: tutorial: no such file or folder'],
    [[], `meshlab: give --lab (labs: ${LAB_NAMES.join(', ')}), --lab-file or the files to read`],
    [['--lab', 'bookinfo'], `meshlab: unknown lab bookinfo (labs: ${LAB_NAMES.join(', ')})`],
    [['--lab', 'tutorial', '--lab', 'fft'], 'meshlab: --lab given twice (tutorial, fft); give it once'],
    [['--lab'], 'meshlab: --lab needs a value'],
    [['--lab', 'tutorial', '--scenario', 'canery'], 'meshlab: lab tutorial has no scenario canery (scenarios: route, canary, header-route, mirror, fault-abort, fault-delay, timeout, retry, load-balancer, circuit-breaker, outlier-detection, rate-limit, authz-deny, authz-allow, egress, egress-gateway, ingress-tls, metrics); did you mean "canary"?'],
    [['--lab', 'flask', '--scenario', 'mirror'], 'meshlab: lab flask has no scenario mirror (scenarios: route, canary, metrics)'],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.wieghts=v1:50,v2:50'], 'meshlab: --set canary.wieghts: scenario canary has no parameter wieghts (parameters: service, weights); did you mean "weights"?'],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.weights=v1:80,v2:30'], 'meshlab: canary weights for recommendation must add up to 100, got 110 (v1=80, v2=30)'],
    [['--lab', 'tutorial', '--set', 'canary.weights=v1:80,v2:20'], 'meshlab: --set needs the scenario switched on with --scenario'],
    [['--lab', 'tutorial', '--from', 'nobody'], 'meshlab: unknown --from nobody: nobody is not a service or client of lab tutorial (from: ingress, customer, preference, egresshttpbin, egressgithub, recommendation)'],
    [['--lab', 'flask', '--from', 'ingress'], 'meshlab: unknown --from ingress: lab flask has no ingress Gateway (from: flaskapp, sleep)'],
    [['--lab', 'tutorial', '--from', 'recommendation'], 'meshlab: --from recommendation calls no service of lab tutorial, so no request would leave it (callers: ingress, customer, preference)'],
    [['--lab', 'tutorial', '--to', 'nobody'], 'meshlab: unknown --to nobody: not a service of lab tutorial (services: customer, preference, egresshttpbin, egressgithub, recommendation)'],
    [['--lab', 'tutorial', '--requests', '0'], 'meshlab: --requests 0 must be a whole number from 1 to 1000000'],
    [['--lab', 'tutorial', '--requests', '1000001'], 'meshlab: --requests 1000001 must be a whole number from 1 to 1000000'],
    [['--lab', 'tutorial', '--requests', '2.5'], 'meshlab: --requests 2.5 must be a whole number from 1 to 1000000'],
    [['--lab', 'tutorial', '--requests', 'many'], 'meshlab: --requests many must be a whole number from 1 to 1000000'],
    [['--lab', 'tutorial', '--seed', 'x'], 'meshlab: --seed x must be a whole number, like 1 or 42'],
    [['--lab', 'tutorial', '--seed', '1.5'], 'meshlab: --seed 1.5 must be a whole number, like 1 or 42'],
    [['--lab', 'tutorial', '--header', 'user-agent'], 'meshlab: --header user-agent must be name=value, like user-agent=Safari'],
    [['--lab', 'tutorial', '--header', '=x'], 'meshlab: --header =x must be name=value, like user-agent=Safari'],
    [['--lab', 'tutorial', '--header', 'a=1', '--header', 'A=2'], 'meshlab: --header a given twice; give each header once'],
    [['--lab', 'tutorial', '--path', 'customer'], 'meshlab: --path customer must start with / (like /customer or /env?x=1)'],
    [['--lab', 'tutorial', '--method', 'GE T'], 'meshlab: --method GE T must be an HTTP method in letters, like GET or POST'],
    [['--lab', 'tutorial', '--json=yes'], 'meshlab: --json takes no value'],
  ])('%j', (argv, message) => {
    expect(explain(argv as string[])).toEqual({ code: 2, out: [], err: [message], text: '' });
  });
});

test('a lab whose manifests fail validation prints every problem and exits 1', () => {
  jest.isolateModules(() => {
    jest.doMock('../lib/output/render', () => ({
      render: () => ({ files: [], objects: [], findings: [{ code: 'ML0005', severity: 'error', object: 'VirtualService istio-tutorial/recommendation', field: 'spec.http[0]', message: 'broken' }] }),
    }));
    const isolated = require('../lib/cli/explain') as typeof import('../lib/cli/explain'); // eslint-disable-line @typescript-eslint/no-require-imports
    const err: string[] = [];
    const out: string[] = [];
    const code = isolated.runExplain(['--lab', 'tutorial'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect({ code, out, err }).toEqual({
      code: 1,
      out: [],
      err: ['meshlab: ML0005 error VirtualService istio-tutorial/recommendation spec.http[0]: broken', 'meshlab: 1 problem(s) in lab tutorial; nothing to explain'],
    });
  });
  jest.dontMock('../lib/output/render');
});

test('npm run explain runs the built command as a user would', () => {
  const result = spawnSync('npm', ['run', '-s', 'explain', '--', '--lab', 'tutorial', '--scenario', 'canary', '--seed', '1'], { cwd: root, encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^meshlab explain: lab tutorial \(scenarios canary\), 1000 requests GET \/customer/);
  expect(result.stdout).toMatch(/\npreference -> recommendation +1000 reached +v1 \d+\.\d%  v2 \d+\.\d%\n/);
  // The same as the in-process command, byte for byte.
  expect(result.stdout).toBe(`${explain(['--lab', 'tutorial', '--scenario', 'canary', '--seed', '1']).text}\n`);
});

describe('AuthorizationPolicies where Istio attaches them (istio/istio pilot/pkg/model/policyattachment.go)', () => {
  const from = (r: JsonReport, f: string, to: string) => hop(r, f, to);

  test('a sidecar ignores a policy with targetRefs: the Gateway API flavour lets its ingress gateway through the deny-all, not every pod', () => {
    // Absolute paths: a step named by its full path is read as one named relative to the working folder.
    const r = report([path.join(root, 'dist/tutorial-gateway-api'), path.join(root, 'dist/tutorial-gateway-api/steps/authz-allow.yaml'), '--from', 'recommendation-v1', '--to', 'preference']);
    expect(statuses(r)).toEqual({ 403: 100 });
    expect(notes(from(r, 'recommendation-v1', 'preference')).join('\n')).toContain('no rule of the ALLOW policies allow-nothing, preference-allow matches');
  });

  test('in ambient mode the waypoint applies the policies that name its Service, with the caller\'s identity: authz-deny answers 403 there', () => {
    const r = report([...PLAIN, '--lab', 'tutorial', '--api', 'gateway-api', '--mode', 'ambient', '--scenario', 'authz-deny']);
    expect(statuses(r)).toEqual({ 403: 100 });
    expect(notes(hop(r, 'customer', 'preference'))).toContain('at waypoint waypoint: denied by AuthorizationPolicy preference-deny (DENY, rule 1)');
  });

  test('in ambient mode ztunnel applies the selector policies with the identity of whoever connects: the waypoint passes, a caller past it is reset', () => {
    const through = report([...PLAIN, '--lab', 'tutorial', '--api', 'gateway-api', '--mode', 'ambient', '--scenario', 'authz-allow']);
    expect(statuses(through)).toEqual({ 200: 100 });
    expect(notes(hop(through, 'customer', 'preference'))).toContain('ztunnel at preference v1: allowed by AuthorizationPolicy preference-via-waypoint (rule 1)');
    // Without the namespace's waypoint label, ztunnel connects customer to preference itself: preference-via-waypoint refuses it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-explain-ambient-'));
    const nsFile = fs.readFileSync(path.join(root, 'dist/tutorial-ambient/00-namespace.yaml'), 'utf8').replace(/\n\s*istio\.io\/use-waypoint: waypoint/, '');
    fs.writeFileSync(path.join(dir, '00-namespace.yaml'), nsFile);
    const files = fs.readdirSync(path.join(root, 'dist/tutorial-ambient')).filter((f) => f.endsWith('.yaml') && f !== '00-namespace.yaml').map((f) => `dist/tutorial-ambient/${f}`);
    const past = report([dir, ...files, 'dist/tutorial-ambient/steps/authz-allow.yaml', '--from', 'customer', '--to', 'preference']);
    expect(statuses(past)).toEqual({ reset: 100 });
    expect(notes(hop(past, 'customer', 'preference')).join('\n')).toContain('ztunnel at preference v1: denied: no rule of the ALLOW policies preference-via-waypoint matches');
  });
});

test('a Pod written in an ambient namespace is captured by ztunnel, as istio-cni makes it once it runs: its calls go through the waypoint', () => {
  const r = report([...PLAIN, '--lab', 'polyglot', '--api', 'gateway-api', '--mode', 'ambient', '--scenario', 'retry', '--from', 'sleep', '--to', 'httpbin']);
  const notesOf = notes(hop(r, 'sleep', 'httpbin')).join('\n');
  expect(notesOf).toContain('sleep is in ambient mode: ztunnel sends the request to waypoint waypoint');
  expect(notesOf).toMatch(/retries: up to 3, 2s per try, on connect-failure,refused-stream,unavailable,cancelled/);
});
