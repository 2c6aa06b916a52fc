import * as fs from 'fs';
import * as path from 'path';
import { agreementTable, compareCase } from '../lib/verify/agreement';
import { Case, CaseFile, corpusCases, fixtureCases, outputCases, overlay } from '../lib/verify/cases';
import { analyzeArgs, istioctlCachePath, parseAnalyze, parseAnalyzeEach, parseManifestGenerate, parseValidate } from '../lib/verify/istioctl';
import { clusterFiles, runVerify } from '../lib/verify/main';
import { MUTATIONS, mutate, mutations } from '../lib/verify/mutations';
import { AMBIENT_REDIRECTION, asAdmitted, enrolledInAmbient, gatewayApiCrds, istioGatewayDeployments } from '../lib/verify/pods';
import { judgeOutputObjects, outputGatewayApiObjects } from '../lib/verify/gateway-api';
import { istioctlSuppressions, SUPPRESSIONS, suppressedObject, unsuppressedMessages, unsuppressedValidateWarnings } from '../lib/verify/suppressions';
import { Manifest } from './support/synth';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

const obj = (kind: string, name: string, namespace: string | undefined, rest: object = {}): Manifest =>
  ({ apiVersion: kind === 'Namespace' || kind === 'Pod' || kind === 'Service' ? 'v1' : kind === 'Deployment' ? 'apps/v1' : 'networking.istio.io/v1beta1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest });
const objects = (c: Case): Manifest[] => c.files.flatMap((f) => f.objects);

describe('a step over its lab', () => {
  test("the step's object replaces the base object of the same kind, namespace and name", () => {
    const base: CaseFile[] = [{ name: 'lab/a.yaml', objects: [obj('VirtualService', 'a', 'ns', { spec: { hosts: ['a'] } }), obj('Service', 'a', 'ns')] }];
    const step: CaseFile = { name: 'lab/steps/s.yaml', objects: [obj('VirtualService', 'a', 'ns', { spec: { hosts: ['a'], http: [] } }), obj('DestinationRule', 'b', 'ns')] };
    const merged = overlay(base, step).flatMap((f) => f.objects);
    expect(merged.filter((m) => m.kind === 'VirtualService')).toEqual([step.objects[0]]);
    expect(merged.map((m) => m.kind).sort()).toEqual(['DestinationRule', 'Service', 'VirtualService']);
  });

  test('a v1alpha3 step object replaces a v1beta1 base object: one object to the API server', () => {
    const base: CaseFile[] = [{ name: 'a.yaml', objects: [obj('VirtualService', 'a', 'ns')] }];
    const step: CaseFile = { name: 's.yaml', objects: [{ ...obj('VirtualService', 'a', 'ns'), apiVersion: 'networking.istio.io/v1alpha3' }] };
    expect(overlay(base, step).flatMap((f) => f.objects)).toEqual(step.objects);
  });

  test('every lab and every step of dist/ is a case, each step over its own lab', () => {
    const cases = outputCases(dist);
    const labs = fs.readdirSync(dist).filter((f) => fs.statSync(path.join(dist, f)).isDirectory());
    const steps = labs.flatMap((l) => (fs.existsSync(path.join(dist, l, 'steps')) ? fs.readdirSync(path.join(dist, l, 'steps')) : []));
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining([...labs, 'tutorial/steps/canary']));
    expect(cases).toHaveLength(labs.length + steps.length);
    const canary = cases.find((c) => c.name === 'tutorial/steps/canary')!;
    const routes = objects(canary).filter((m) => m.kind === 'VirtualService' && m.metadata.name === 'recommendation');
    expect(routes).toHaveLength(1);
    expect(routes[0].spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([90, 10]);
    expect(objects(canary).some((m) => m.kind === 'Deployment' && m.metadata.name === 'customer')).toBe(true);
  });
});

describe('Pods for Istio analyzers', () => {
  const deployment = (name: string, ns: string, labels: Record<string, string> = { app: name }) =>
    obj('Deployment', name, ns, { spec: { template: { metadata: { labels }, spec: { containers: [{ name, image: 'x' }] } } } });
  const proxies = (m: Manifest) => m.spec.containers.filter((c: { name: string }) => c.name === 'istio-proxy').length;

  test('a Deployment in a namespace labelled for injection becomes a Pod with its labels and an istio-proxy container', () => {
    const files = asAdmitted([{ name: 'a.yaml', objects: [obj('Namespace', 'shop', undefined, { metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } }), deployment('web-v1', 'shop')] }]);
    const pod: Manifest = files.flatMap((f) => f.objects).find((m) => m.kind === 'Pod')!;
    expect(pod.metadata).toEqual({ name: 'web-v1-pod', namespace: 'shop', labels: { app: 'web-v1' } });
    expect(proxies(pod)).toBe(1);
    expect(pod.spec.containers[0]).toEqual({ name: 'web-v1', image: 'x' });
  });

  test('no sidecar without an injection label, or where the pod opts out', () => {
    const files = asAdmitted([{ name: 'a.yaml', objects: [
      obj('Namespace', 'meshed', undefined, { metadata: { name: 'meshed', labels: { 'istio-injection': 'enabled' } } }),
      deployment('plain', 'legacy'),
      deployment('out', 'meshed', { app: 'out', 'sidecar.istio.io/inject': 'false' }),
    ] }]);
    for (const pod of files.flatMap((f) => f.objects).filter((m) => m.kind === 'Pod')) expect(proxies(pod)).toBe(0);
  });

  test('a bare Pod is admitted in place, not repeated', () => {
    const files = asAdmitted([{ name: 'a.yaml', objects: [
      obj('Namespace', 'default', undefined, { metadata: { name: 'default', labels: { 'istio-injection': 'enabled' } } }),
      obj('Pod', 'sleep', 'default', { spec: { containers: [{ name: 'sleep', image: 'curl' }] } }),
    ] }]);
    const pods = files.flatMap((f) => f.objects).filter((m) => m.kind === 'Pod');
    expect(pods.map((p) => p.metadata.name)).toEqual(['sleep']);
    expect(proxies(pods[0])).toBe(1);
  });
});

describe('a cluster with Istio in ambient mode and the Gateway API', () => {
  const ambientNs = obj('Namespace', 'shop', undefined, { metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  const deployment = (name: string, labels: Record<string, string> = { app: name }) =>
    obj('Deployment', name, 'shop', { spec: { template: { metadata: { labels }, spec: { containers: [{ name, image: 'x' }] } } } });
  const gateway = (name: string, className: string, listeners: object[]): Manifest =>
    ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'shop' }, spec: { gatewayClassName: className, listeners } });
  const pods = (files: CaseFile[]) => files.flatMap((f) => f.objects).filter((m) => m.kind === 'Pod');

  test('a pod of an ambient namespace carries the redirection annotation istio-cni sets; one labelled none, or injected, does not', () => {
    const files = asAdmitted([{ name: 'a.yaml', objects: [ambientNs, deployment('web'), deployment('out', { app: 'out', 'istio.io/dataplane-mode': 'none' })] }]);
    const byName = new Map(pods(files).map((p) => [p.metadata.name, p]));
    expect(byName.get('web-pod')!.metadata.annotations).toEqual(AMBIENT_REDIRECTION);
    expect(byName.get('out-pod')!.metadata.annotations).toBeUndefined();
    expect(enrolledInAmbient({}, ambientNs, false, true)).toBe(false);
    expect(enrolledInAmbient({}, ambientNs, true, false)).toBe(false);
    expect(enrolledInAmbient({ 'istio.io/dataplane-mode': 'ambient' }, undefined, false, false)).toBe(true);
    expect(enrolledInAmbient({}, undefined, false, false)).toBe(false);
  });

  test("an istio-class Gateway gets the <name>-istio Service and a pod with the gateway-name label; a waypoint keeps its name and stays out of ztunnel's capture", () => {
    const objects = [ambientNs, gateway('web-gateway', 'istio', [{ name: 'http', port: 80, protocol: 'HTTP' }]), gateway('waypoint', 'istio-waypoint', [{ name: 'mesh', port: 15008, protocol: 'HBONE' }])];
    const deployed: Manifest[] = istioGatewayDeployments(objects);
    const service = deployed.find((m) => m.kind === 'Service' && m.metadata.name === 'web-gateway-istio')!;
    expect(service.spec.selector).toEqual({ 'gateway.networking.k8s.io/gateway-name': 'web-gateway' });
    expect(service.spec.ports.map((p: { name: string; port: number; appProtocol: string }) => [p.name, p.port, p.appProtocol])).toEqual([['status-port', 15021, 'tcp'], ['http', 80, 'http']]);
    const waypoint = deployed.find((m) => m.kind === 'Service' && m.metadata.name === 'waypoint')!;
    expect(waypoint.spec.ports.map((p: { port: number }) => p.port)).toEqual([15021, 15008]);
    // The port name analyzer skips the Services istiod manages (its `hbone` appProtocol is no protocol of a Service).
    expect(waypoint.metadata.labels!['gateway.istio.io/managed']).toBe('istio.io-mesh-controller');
    expect(service.metadata.labels!['gateway.istio.io/managed']).toBe('istio.io-gateway-controller');
    const byName = new Map(pods(asAdmitted([{ name: 'a.yaml', objects }])).map((p) => [p.metadata.name, p]));
    expect(byName.get('web-gateway-istio-pod')!.metadata.labels!['gateway.networking.k8s.io/gateway-name']).toBe('web-gateway');
    expect(byName.get('waypoint-pod')!.metadata.labels!['istio.io/dataplane-mode']).toBe('none');
    expect(byName.get('waypoint-pod')!.metadata.annotations).toBeUndefined();
    expect(istioGatewayDeployments([gateway('other', 'other-class', [])])).toEqual([]);
  });

  test('Gateway API cases run with the CRDs at the platform\'s version; classic cases without them', () => {
    const withCrds = (c: Case) => clusterFiles(c).some((f) => f.objects.some((m) => m.kind === 'CustomResourceDefinition'));
    expect(withCrds({ name: 'g', generated: true, files: [{ name: 'a.yaml', objects: [gateway('g', 'istio', [])] }] })).toBe(true);
    expect(withCrds({ name: 'c', generated: true, files: [{ name: 'a.yaml', objects: [ambientNs] }] })).toBe(false);
    const tcp = gatewayApiCrds('v1.6.3').objects.find((m) => m.metadata.name === 'tcproutes.gateway.networking.k8s.io')!;
    expect(tcp.metadata.annotations!['gateway.networking.k8s.io/bundle-version']).toBe('v1.6.3');
  });

  test('every Gateway API object of every flavour is judged once, bases and steps alike', () => {
    const cases = outputCases(dist);
    const ids = outputGatewayApiObjects(cases).map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('tutorial-ambient/customer-gateway.yaml Gateway istio-tutorial/customer-gateway');
    expect(ids.some((id) => id.startsWith('tutorial-gateway-api/step-canary.yaml HTTPRoute '))).toBe(true);
    expect(ids.some((id) => id.startsWith('tutorial/'))).toBe(false);
  });

  test('an output object counts against both judges, and they agree when both accept or both reject', () => {
    const route = { id: 'r', object: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r' }, spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: 'no-slash' } }] }] } } };
    const good = { id: 'g', object: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'g' }, spec: {} } };
    const j = judgeOutputObjects([route, good], [{ id: 'r', errors: ['spec.rules[0].matches[0].path: Invalid value'] }, { id: 'g', errors: [] }]);
    expect(j).toMatchObject({ total: 2, agree: 2, crdRejects: ['r: spec.rules[0].matches[0].path: Invalid value'] });
    expect(j.checkRejects).toHaveLength(1);
    expect(judgeOutputObjects([good], []).crdRejects).toEqual(['g: no verdict from the CRDs']);
    expect(judgeOutputObjects([good], []).agree).toBe(0);
  });
});

describe('the mutation corpus', () => {
  const tutorial = outputCases(dist).find((c) => c.name === 'tutorial')!;

  test('a mutation changes a copy and leaves the case it came from as it was', () => {
    const before = JSON.stringify(tutorial.files);
    const mutated = mutate(tutorial, MUTATIONS.find((m) => m.name === 'rename-destination-host')!)!;
    expect(JSON.stringify(tutorial.files)).toBe(before);
    const hosts = objects(mutated).filter((m) => m.kind === 'VirtualService').flatMap((vs) => vs.spec.http.flatMap((r: { route: Array<{ destination: { host: string } }> }) => r.route.map((d) => d.destination.host)));
    expect(hosts.filter((h) => h.endsWith('-missing'))).toHaveLength(1);
  });

  test('a duplicated match differs from the original only in its name', () => {
    const header = outputCases(dist).find((c) => c.name === 'tutorial/steps/header-route')!;
    const mutated = mutate(header, MUTATIONS.find((m) => m.name === 'duplicate-match')!)!;
    const vs = objects(mutated).find((m) => m.kind === 'VirtualService' && m.metadata.name === 'recommendation')!;
    const [first, second] = vs.spec.http;
    expect(second.match.map(({ name, ...rest }: { name: string }) => rest)).toEqual(first.match.map(({ name, ...rest }: { name: string }) => rest));
    expect(second.match[0].name).toBe('copy');
  });

  test('a step is mutated only in the objects the step brings', () => {
    const canary = outputCases(dist).find((c) => c.name === 'tutorial/steps/canary')!;
    const mutated = mutate(canary, MUTATIONS.find((m) => m.name === 'rename-destination-host')!)!;
    const renamed = objects(mutated).find((m) => m.kind === 'VirtualService' && JSON.stringify(m.spec).includes('-missing'))!;
    expect(renamed.metadata.name).toBe('recommendation');
  });

  test('the labs and the fixtures give a mutation of every kind', () => {
    const all = mutations([...outputCases(dist), ...fixtureCases(path.join(root, 'test/fixtures/check'))]);
    const made = new Set(all.map((c) => c.name.split('/mutation/')[1]));
    expect([...made].sort()).toEqual(MUTATIONS.map((m) => m.name).sort());
    expect(all.every((c) => !c.generated)).toBe(true);
  });
});

describe('agreement of check with istioctl', () => {
  const claimed = new Set(['IST0101', 'IST0132']);

  test('findings match by code and object; each tool counts once per code and object', () => {
    const { counts, disagreements } = compareCase(
      'c',
      [{ code: 'IST0101', object: 'VirtualService shop/a' }, { code: 'IST0101', object: 'VirtualService shop/a' }, { code: 'IST0132', object: 'VirtualService shop/b' }],
      [{ code: 'IST0101', object: 'VirtualService shop/a' }, { code: 'IST0101', object: 'DestinationRule shop/a' }],
      claimed,
    );
    expect(counts.get('IST0101')).toEqual({ both: 1, onlyIstioctl: 0, onlyCheck: 1 });
    expect(counts.get('IST0132')).toEqual({ both: 0, onlyIstioctl: 1, onlyCheck: 0 });
    expect(disagreements).toEqual([
      { case: 'c', code: 'IST0132', object: 'VirtualService shop/b', by: 'istioctl' },
      { case: 'c', code: 'IST0101', object: 'DestinationRule shop/a', by: 'check' },
    ]);
  });

  test("a Pod made from a Deployment is the Deployment, and check's namespace-less object is in default", () => {
    const { counts } = compareCase(
      'c',
      [{ code: 'IST0101', object: 'Pod shop/web-v1-pod' }, { code: 'IST0132', object: 'VirtualService default/x' }],
      [{ code: 'IST0101', object: 'Deployment shop/web-v1' }, { code: 'IST0132', object: 'VirtualService x' }],
      claimed,
      new Map([['Pod shop/web-v1-pod', 'Deployment shop/web-v1']]),
    );
    expect(counts.get('IST0101')).toEqual({ both: 1, onlyIstioctl: 0, onlyCheck: 0 });
    expect(counts.get('IST0132')).toEqual({ both: 1, onlyIstioctl: 0, onlyCheck: 0 });
  });

  test('codes check does not claim are left out, and a code neither tool reports agrees fully', () => {
    const one = compareCase('c', [{ code: 'IST0103', object: 'Pod a/b' }], [{ code: 'ML0005', object: 'VirtualService a/b' }], claimed);
    const two = compareCase('d', [{ code: 'IST0101', object: 'Service a/b' }], [], claimed);
    const table = agreementTable([one.counts, two.counts], claimed);
    expect(table).toEqual([
      { code: 'IST0101', both: 0, onlyIstioctl: 1, onlyCheck: 0, percent: 0 },
      { code: 'IST0132', both: 0, onlyIstioctl: 0, onlyCheck: 0, percent: 100 },
    ]);
  });
});

describe('reading istioctl', () => {
  test('analyze asks for every namespace offline, with the suppressions', () => {
    const args = analyzeArgs(['d'], [{ code: 'IST0161', resource: 'Gateway g.ns' }]);
    expect(args).toEqual(['analyze', '--use-kube=false', '--all-namespaces', '--output', 'json', '--suppress', 'IST0161=Gateway g.ns', 'd']);
  });

  test("analyze's JSON messages, and files it could not read as an error", () => {
    const stdout = JSON.stringify([{ code: 'IST0101', level: 'Error', origin: 'VirtualService shop/a', message: 'Referenced host not found' }]);
    expect(parseAnalyze({ status: 0, stdout, stderr: '' })).toEqual([{ code: 'IST0101', level: 'error', object: 'VirtualService shop/a', message: 'Referenced host not found' }]);
    const broken = parseAnalyze({ status: 1, stdout: '[]', stderr: 'Error(s) adding files: bad.yaml: yaml: line 2' });
    expect(broken).toEqual([{ code: 'PARSE', level: 'error', object: '(files)', message: 'Error(s) adding files: bad.yaml: yaml: line 2' }]);
  });

  test("validate: its object warnings apart from its errors, and a failure without output still counts", () => {
    expect(parseValidate({ status: 0, stdout: '', stderr: '"a.yaml" is valid\n"b.yaml" is valid\n' })).toEqual({ warnings: [], errors: [] });
    const stderr = '"a.yaml" has warnings: \n\t* EnvoyFilter/ns/f: exposes internals\n\nError: 1 error occurred:\n\t* VirtualService//x: bad\n';
    expect(parseValidate({ status: 1, stdout: '', stderr })).toEqual({ warnings: ['EnvoyFilter/ns/f: exposes internals'], errors: ['Error: 1 error occurred:', '* VirtualService//x: bad'] });
    expect(parseValidate({ status: 1, stdout: '', stderr: '' })).toEqual({ warnings: [], errors: ['exit 1'] });
  });

  test('manifest generate: a clean render has no problems; stderr lines and a silent failure are problems', () => {
    expect(parseManifestGenerate({ status: 0, stdout: 'apiVersion: v1\nkind: ServiceAccount\n', stderr: '' })).toEqual([]);
    expect(parseManifestGenerate({ status: 1, stdout: '', stderr: 'Error: could not unmarshal: json: unknown field "ztunel"\n' })).toEqual(['Error: could not unmarshal: json: unknown field "ztunel"']);
    expect(parseManifestGenerate({ status: 0, stdout: 'kind: Deployment\n', stderr: '! values.foo is deprecated\n' })).toEqual(['! values.foo is deprecated']);
    expect(parseManifestGenerate({ status: 2, stdout: '', stderr: '' })).toEqual(['exit 2']);
  });

  test("a suppression drops validate's warning of the same text on the objects it names, and no other", () => {
    const s = [{ code: 'IST0133', resource: 'EnvoyFilter */*-ratelimit', reason: 'r', validateWarning: 'EnvoyFilter exposes' }];
    const warnings = ['EnvoyFilter/shop/web-ratelimit: EnvoyFilter exposes internals', 'EnvoyFilter/shop/other: EnvoyFilter exposes internals', 'EnvoyFilter/shop/web-ratelimit: something else'];
    expect(unsuppressedValidateWarnings(warnings, s)).toEqual(warnings.slice(1));
  });

  test("suppressions name objects as istioctl's origins do, Kind namespace/name", () => {
    expect(suppressedObject('Gateway */g', 'Gateway shop/g')).toBe(true);
    expect(suppressedObject('Gateway */g', 'Gateway shop/gg')).toBe(false);
    expect(suppressedObject('Gateway g.shop', 'Gateway shop/g')).toBe(false);
  });

  test('a suppression with a message drops only messages that start with it, and is not given to istioctl', () => {
    const s = [{ code: 'IST0101', resource: 'Gateway */*', reason: 'r', message: 'Referenced credentialName not found' }];
    const credential = { code: 'IST0101', object: 'Gateway shop/g', message: 'Referenced credentialName not found: "c"' };
    const selector = { code: 'IST0101', object: 'Gateway shop/g', message: 'Referenced selector not found: "istio=x"' };
    expect(unsuppressedMessages([credential, selector], s)).toEqual([selector]);
    expect(istioctlSuppressions(s)).toEqual([]);
  });

  test("istio-analyze --each: each folder reads as a run of its own; a folder it gave nothing for is a failure, never a clean case", () => {
    const stdout = JSON.stringify({
      a: { messages: [{ code: 'IST0101', level: 'Error', origin: 'VirtualService ns/x', message: 'Referenced host not found' }], errors: '' },
      b: { messages: [], errors: 'Error(s) adding files: bad yaml' },
    });
    const runs = parseAnalyzeEach({ status: 0, stdout, stderr: '' }, ['a', 'b', 'c']);
    expect(parseAnalyze(runs.get('a')!)).toEqual([{ code: 'IST0101', level: 'error', object: 'VirtualService ns/x', message: 'Referenced host not found' }]);
    expect(parseAnalyze(runs.get('b')!).map((m) => m.code)).toEqual(['PARSE']);
    expect(parseAnalyze(runs.get('c')!).map((m) => m.code)).toEqual(['PARSE']);
    expect(parseAnalyze(parseAnalyzeEach({ status: 2, stdout: '', stderr: 'boom' }, ['a']).get('a')!)).toMatchObject([{ code: 'PARSE', message: 'boom' }]);
  });

  test('analyze JSON is found after a notice istioctl prints first', () => {
    const stdout = '[1]: failed parsing JSON for built-in type: spec.replicas - skipping\n[\n]\n';
    expect(parseAnalyze({ status: 0, stdout, stderr: '' })).toEqual([{ code: 'PARSE', level: 'error', object: '(files)', message: '[1]: failed parsing JSON for built-in type: spec.replicas - skipping' }]);
  });

  test('the built istioctl is cached per version under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(istioctlCachePath({ XDG_CACHE_HOME: '/c', HOME: '/h' }, 'v1')).toBe(path.join('/c', 'meshlab', 'istioctl-v1', 'istioctl'));
    expect(istioctlCachePath({ HOME: '/h' }, 'v1')).toBe(path.join('/h', '.cache', 'meshlab', 'istioctl-v1', 'istioctl'));
  });
});

describe('npm run verify:istio', () => {
  test('a bad flag is one line naming it, exit code 2', async () => {
    const err: string[] = [];
    const code = await runVerify(['--agreement-target', '120'], { out: () => undefined, err: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err).toEqual(['meshlab verify:istio: --agreement-target must be a percent from 0 to 100, got 120']);
  });

  test('docs/verify.md gives every suppression with its reason', () => {
    const readme = fs.readFileSync(path.join(root, 'docs', 'verify.md'), 'utf8');
    for (const s of SUPPRESSIONS) {
      expect(readme).toContain(`${s.code}=${s.resource}`);
      if (s.message) expect(readme).toContain(s.message);
      expect(readme).toContain(s.reason);
    }
  });
});

test('a step case holds no steps/ folder, which npm run check would lay over the case again', () => {
  for (const c of outputCases(dist)) for (const f of c.files) expect(f.name).not.toMatch(/(^|\/)steps\//);
});

test("Istio's own log warnings are not taken for files it could not read", () => {
  const stderr = '2026-11-30T06:25:53Z\twarn\tvalidation\toutlier detection consecutive errors is deprecated\n';
  expect(parseAnalyze({ status: 0, stdout: '[]', stderr })).toEqual([]);
});

test('the rate-limit EnvoyFilters patch with an absolute operation, as istioctl analyze wants without a priority (IST0151)', () => {
  const relative = ['INSERT_BEFORE', 'INSERT_AFTER', 'REPLACE', 'REMOVE'];
  const filters: Manifest[] = outputCases(dist).flatMap((c) => c.files.flatMap((f) => f.objects)).filter((m) => m.kind === 'EnvoyFilter');
  expect(filters.length).toBeGreaterThan(0);
  for (const f of filters) {
    for (const p of f.spec.configPatches) if (f.spec.priority === undefined) expect(relative).not.toContain(p.patch.operation);
  }
});

test('each file of test/fixtures/corpus is a case over the clean shop, mutated only in its own objects', () => {
  const cases = corpusCases(path.join(root, 'test/fixtures/corpus'), path.join(root, 'test/fixtures/check'));
  const files = fs.readdirSync(path.join(root, 'test/fixtures/corpus')).filter((f) => f.endsWith('.yaml'));
  expect(cases.map((c) => c.name).sort()).toEqual(files.map((f) => `corpus/${f.replace('.yaml', '')}`).sort());
  const exportTo = cases.find((c) => c.name === 'corpus/exportto-hidden-service')!;
  expect(objects(exportTo).some((m) => m.kind === 'Deployment' && m.metadata.name === 'web-v1')).toBe(true);
  const renamed = mutate(exportTo, MUTATIONS.find((m) => m.name === 'rename-destination-host')!)!;
  expect(objects(renamed).find((m) => m.metadata.name === 'to-secrets')!.spec.http[0].route[0].destination.host).toBe('secrets-missing');
});

test("a fixture kept verbatim has Pods for its Deployments, as a cluster would run them", () => {
  const c = fixtureCases(path.join(root, 'test', 'fixtures', 'check')).find((x) => x.name === 'fixture/IST0162-custom-gateway')!;
  const pods = clusterFiles(c).flatMap((f) => f.objects).filter((m) => m.kind === 'Pod');
  expect(pods.map((p) => p.metadata.name)).toContain('edge-pod');
  expect(clusterFiles(c).map((f) => f.name)).not.toContain('rules/IST0162-custom-gateway.yaml');
});
