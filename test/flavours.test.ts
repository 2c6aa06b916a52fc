// The flavours of a lab: --api and --mode, the Gateway API renderer, and objects a step removes.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Canary, FaultAbort, MeshLab } from '../lib';
import { selectFlavours } from '../lib/cli/args';
import { runExplain } from '../lib/cli/explain';
import { Flavour } from '../lib/mesh/flavour';
import { retryCodes } from '../lib/render/gateway-api';
import { expectRejected, runCli, tmpdir } from './support/cli';
import { find, manifestsOf, synth } from './support/synth';

describe('--api and --mode choose the flavours written', () => {
  test('neither writes every flavour; one flag takes the other default; ambient alone means the Gateway API', () => {
    expect(selectFlavours(undefined, undefined).map((f) => f.name)).toEqual(['classic', 'gateway-api', 'ambient']);
    expect(selectFlavours('gateway-api', undefined).map((f) => f.name)).toEqual(['gateway-api']);
    expect(selectFlavours('istio', undefined).map((f) => f.name)).toEqual(['classic']);
    expect(selectFlavours(undefined, 'sidecar').map((f) => f.name)).toEqual(['classic']);
    expect(selectFlavours(undefined, 'ambient').map((f) => f.name)).toEqual(['ambient']);
  });

  test('each flavour has its own folder', () => {
    expect(Flavour.ALL.map((f) => f.folder('tutorial'))).toEqual(['tutorial', 'tutorial-gateway-api', 'tutorial-ambient']);
  });

  test.each([
    [['--api', 'gateway'], 'meshlab: unknown --api gateway (allowed: istio, gateway-api)'],
    [['--mode', 'sidecarless'], 'meshlab: unknown --mode sidecarless (allowed: sidecar, ambient)'],
    [['--api', 'istio', '--mode', 'ambient'], 'meshlab: --api istio --mode ambient is not supported: VirtualService on ambient waypoints is alpha in Istio; use --api gateway-api --mode ambient, or --api istio --mode sidecar'],
    [['--api', 'istio', '--api', 'gateway-api'], 'meshlab: --api given 2 times; give it once'],
  ])('%j is refused in one line, nothing written', (argv, message) => {
    expectRejected(argv, message);
  });

  test('explain previews a flavour, and refuses the unsupported pair in one line', () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(runExplain(['--lab', 'flask', '--api', 'istio', '--mode', 'ambient'], {}, io)).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/^meshlab: --api istio --mode ambient is not supported/)]);
  });
});

describe('the Gateway API flavour', () => {
  const output = synth({ targets: ['flask', 'tutorial', 'polyglot'], flavours: [Flavour.ALL[1]], scenarios: { flask: { scenarios: ['canary'] } } });
  const flask = manifestsOf(output, 'flask-gateway-api');

  test('writes nothing of the classic folders', () => {
    expect(manifestsOf(output, 'flask')).toEqual([]);
  });

  test('a split routes to per-version Services that select exactly the version', () => {
    const route = find(flask, 'HTTPRoute', 'flaskapp');
    expect(route.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'flaskapp', port: 7777 }]);
    expect(route.spec.rules).toEqual([{ backendRefs: [{ name: 'flaskapp-v1', port: 7777, weight: 50 }, { name: 'flaskapp-v2', port: 7777, weight: 50 }] }]);
    for (const v of ['v1', 'v2']) {
      const service = find(flask, 'Service', `flaskapp-${v}`);
      expect(service.spec.selector).toEqual({ app: 'flaskapp', version: v });
      expect(service.spec.ports).toEqual([{ name: 'http', port: 7777, targetPort: 7777 }]);
    }
    expect(flask.filter((m) => m.kind === 'VirtualService' || m.kind === 'DestinationRule')).toEqual([]);
  });

  test('the ingress is a Gateway of class istio with an HTTPRoute carrying the service routing', () => {
    const tutorial = manifestsOf(output, 'tutorial-gateway-api');
    expect(find(tutorial, 'Gateway', 'customer-gateway').spec).toEqual({ gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] });
    const route = find(tutorial, 'HTTPRoute', 'customer-gateway');
    expect(route.spec.parentRefs).toEqual([{ name: 'customer-gateway' }]);
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/customer' } }]);
  });

  test('a fault step swaps the host to Istio kinds and deletes its HTTPRoute first; the revert deletes them after re-applying', () => {
    const step = output.files.find((f) => f.path === 'tutorial-gateway-api/steps/fault-abort.yaml')!.content;
    expect(step).toMatch(/^# First: kubectl -n istio-tutorial delete httproute recommendation$/m);
    expect(step).toMatch(/^# Revert: kubectl -n istio-tutorial delete destinationrule recommendation && kubectl -n istio-tutorial delete virtualservice recommendation && kubectl apply -f dist\/tutorial-gateway-api\/$/m);
    const objects = yaml.loadAll(step) as Array<{ kind: string }>;
    expect(objects.map((o) => o.kind).sort()).toEqual(['DestinationRule', 'VirtualService']);
  });

  test('a traffic policy is a DestinationRule on the Service the route sends to', () => {
    const step = output.files.find((f) => f.path === 'polyglot-gateway-api/steps/circuit-breaker.yaml')!.content;
    const rule = (yaml.loadAll(step) as Array<{ kind: string; spec: { host: string } }>).find((o) => o.kind === 'DestinationRule')!;
    expect(rule.spec.host).toBe('service-go');
  });

  test("the mtls step's namespaces run Istio's current httpbin and curl samples, the Service keeping port 8000", () => {
    const step = yaml.loadAll(output.files.find((f) => f.path === 'polyglot-gateway-api/steps/mtls.yaml')!.content) as Array<{ kind: string; metadata: { name: string; namespace: string }; spec: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const foo = (kind: string, name: string) => step.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === 'foo')!;
    const httpbin = foo('Deployment', 'httpbin').spec.template.spec.containers[0];
    expect([httpbin.image, httpbin.ports[0].containerPort]).toEqual(['docker.io/mccutchen/go-httpbin:v2.15.0', 8080]);
    expect(foo('Service', 'httpbin').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8080 }]);
    expect(foo('Deployment', 'sleep').spec.template.spec.containers[0].image).toBe('docker.io/curlimages/curl:8.16.0');
  });

  test("a redirect keeps Istio's 301, where the Gateway API would default to 302", () => {
    const step = yaml.loadAll(output.files.find((f) => f.path === 'polyglot-gateway-api/steps/redirect.yaml')!.content) as Array<{ kind: string; spec: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const rule = step.find((o) => o.kind === 'HTTPRoute')!.spec.rules[0];
    expect(rule.filters).toEqual([{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/env' }, statusCode: 301 } }]);
  });

  test("retries list Envoy's 5xx as the codes the Gateway API retries on", () => {
    expect(retryCodes('5xx,connect-failure,refused-stream')).toEqual([500, 502, 503, 504]);
    expect(retryCodes('gateway-error,429')).toEqual([429, 502, 503, 504]);
  });
});

describe('the library in the Gateway API', () => {
  test('a plain app.synth() writes the HTTPRoute, or the VirtualService when a fault needs it, never both', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-flavour-'));
    const app = new App({ outdir });
    const lab = new MeshLab(app, 'shop', { namespace: 'shop', flavour: Flavour.GATEWAY_API });
    const web = lab.addService('web', { port: 8080 });
    const v1 = web.addVersion('v1', { image: 'example/web:1' });
    const v2 = web.addVersion('v2', { image: 'example/web:2' });
    const cart = lab.addService('cart', { port: 9090 });
    cart.addVersion('v1', { image: 'example/cart:1' });
    new Canary(lab, 'web-canary', { weights: [{ version: v1, weight: 90 }, { version: v2, weight: 10 }] });
    new FaultAbort(lab, 'cart-abort', { service: cart, status: 503, percent: 50 });
    app.synth();
    const objs = fs.readdirSync(outdir).flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(outdir, f), 'utf8')) as Array<{ kind: string; metadata: { name: string } }>);
    const names = (kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
    expect(names('HTTPRoute')).toEqual(['web']);
    expect(names('VirtualService')).toEqual(['cart']);
    expect(names('Service')).toEqual(['cart', 'cart-v1', 'web', 'web-v1', 'web-v2']);
  });
});

describe('a timeout shown one hop below', () => {
  test('delayBelow names a service the timed-out one calls, never itself: one line, exit 2', () => {
    const { code, err } = runCli(['--lab', 'tutorial', '--scenario', 'timeout', '--set', 'timeout.delayBelow=preference', '--api', 'gateway-api', '--out', path.join(tmpdir(), 'out')]);
    expect(code).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^meshlab: timeout: delayBelow must be a service preference calls, not preference itself/)]);
  });

  test('the classic flavour can use it too, and then writes no EnvoyFilter', () => {
    const dir = path.join(tmpdir(), 'out');
    const { code, err } = runCli(['--lab', 'tutorial', '--scenario', 'timeout', '--set', 'timeout.service=preference', '--set', 'timeout.delayBelow=recommendation', '--set', 'timeout.delayPercent=50', '--set', 'timeout.delayVersion=', '--api', 'istio', '--out', dir]);
    expect([code, err]).toEqual([0, []]);
    const step = fs.readFileSync(path.join(dir, 'tutorial', 'steps', 'timeout.yaml'), 'utf8');
    expect(step).not.toContain('kind: EnvoyFilter');
    expect(step).toMatch(/fixedDelay: 3s\n\s+percentage:\n\s+value: 50/);
  });
});

describe('the timeout and retry steps together', () => {
  test('a per-try timeout longer than the route timeout is written as the route timeout in an HTTPRoute, which the CRD requires', () => {
    const dir = path.join(tmpdir(), 'out');
    // Both on recommendation (the Gateway API flavour's timeout step times out preference, with the delay on recommendation's route).
    const onRecommendation = ['--set', 'timeout.service=recommendation', '--set', 'timeout.delay=', '--set', 'timeout.delayBelow='];
    const { code, err } = runCli(['--lab', 'tutorial', '--scenario', 'timeout,retry', '--set', 'retry.perTryTimeout=2s', '--set', 'timeout.timeout=1s', ...onRecommendation, '--api', 'gateway-api', '--out', dir]);
    expect([code, err]).toEqual([0, []]);
    const text = fs.readFileSync(path.join(dir, 'tutorial-gateway-api', 'recommendation.yaml'), 'utf8');
    expect(text).toMatch(/timeouts:\n\s+backendRequest: 1s\n\s+request: 1s/);
  });
});
