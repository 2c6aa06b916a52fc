// The construct library as a library user meets it: everything imported from lib/index.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Construct } from 'constructs';
import { Canary, FaultAbort, IService, MeshLab, MeshService, Retry, Route, ServiceVersion } from '../lib';

interface Obj {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-library-'));
}

/** What a plain `app.synth()` wrote: every object of every file in the folder. */
function written(outdir: string): Obj[] {
  return fs.readdirSync(outdir).flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(outdir, f), 'utf8')) as Obj[]);
}

const find = (objs: readonly Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name)!;
const split = (vs: Obj) => vs.spec.http.at(-1).route.map((r: any) => [r.destination.subset, r.weight]); // eslint-disable-line @typescript-eslint/no-explicit-any

function shop(app: App, id = 'shop', namespace = 'shop') {
  const lab = new MeshLab(app, id, { namespace });
  const web = lab.addService('web', { port: 8080 });
  const cart = lab.addService('cart', { port: 9090 });
  const versions = (s: MeshService): [ServiceVersion, ServiceVersion] => [s.addVersion('v1', { image: `example/${s.name}:1` }), s.addVersion('v2', { image: `example/${s.name}:2` })];
  return { lab, web, cart, webV: versions(web), cartV: versions(cart) };
}

describe('a lab written with the library', () => {
  test("the issue's ten-line example synthesizes with a plain app.synth(), defaults for resources and security", () => {
    const outdir = scratch();
    const app = new App({ outdir });
    const lab = new MeshLab(app, 'shop', { namespace: 'shop' });
    const web = lab.addService('web', { port: 8080 });
    const v1 = web.addVersion('v1', { image: 'example/web:1' });
    const v2 = web.addVersion('v2', { image: 'example/web:2' });
    new Canary(lab, 'web-canary', { weights: [{ version: v1, weight: 90 }, { version: v2, weight: 10 }] });
    app.synth();
    const objs = written(outdir);
    expect(split(find(objs, 'VirtualService', 'web'))).toEqual([['v1', 90], ['v2', 10]]);
    const container = find(objs, 'Deployment', 'web-v2').spec.template.spec.containers[0];
    expect(container.image).toBe('example/web:2');
    expect(container.resources).toEqual({ limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  test('two canaries in one lab, on web and on cart, each split their own service', () => {
    const outdir = scratch();
    const app = new App({ outdir });
    const { lab, webV, cartV } = shop(app);
    new Canary(lab, 'web-canary', { weights: [{ version: webV[0], weight: 90 }, { version: webV[1], weight: 10 }] });
    new Canary(lab, 'cart-canary', { weights: [{ version: cartV[0], weight: 50 }, { version: cartV[1], weight: 50 }] });
    app.synth();
    const objs = written(outdir);
    expect(split(find(objs, 'VirtualService', 'web'))).toEqual([['v1', 90], ['v2', 10]]);
    expect(split(find(objs, 'VirtualService', 'cart'))).toEqual([['v1', 50], ['v2', 50]]);
    expect(find(objs, 'VirtualService', 'cart').spec.http.at(-1).route[0].destination).toEqual({ host: 'cart', subset: 'v1', port: { number: 9090 } });
  });

  test('scenarios of different kinds on different services compose in one lab', () => {
    const outdir = scratch();
    const app = new App({ outdir });
    const { lab, web, webV, cart } = shop(app);
    new Route(lab, 'web-v2', { to: webV[1] });
    new Retry(lab, 'web-retry', { service: web, attempts: 2 });
    new FaultAbort(lab, 'cart-abort', { service: cart, status: 503, percent: 50 });
    app.synth();
    const objs = written(outdir);
    const webRoute = find(objs, 'VirtualService', 'web').spec.http[0];
    expect(webRoute).toMatchObject({ retries: { attempts: 2, perTryTimeout: '2s' }, route: [{ destination: { subset: 'v2' } }] });
    expect(find(objs, 'VirtualService', 'cart').spec.http[0].fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 50 } } });
  });

  test('a version of another lab is refused in one line naming both labs', () => {
    const app = new App({ outdir: scratch() });
    const a = shop(app, 'shop-a', 'shop-a');
    const b = shop(app, 'shop-b', 'shop-b');
    expect(() => new Route(a.lab, 'route', { to: b.webV[1] })).toThrow(/^shop-a\/route: shop-b\/web\/v2 belongs to lab shop-b, not to lab shop-a where the scenario is$/);
    expect(() => new Canary(a.lab, 'canary', { weights: [{ version: a.webV[0], weight: 50 }, { version: b.webV[1], weight: 50 }] })).toThrow(/lab shop-b, not to lab shop-a/);
    expect(() => new FaultAbort(a.lab, 'abort', { service: b.web, status: 503, percent: 10 })).toThrow(/shop-b\/web belongs to lab shop-b/);
    // Lab B is untouched.
    expect(b.web.routing.touched).toBe(false);
  });

  test('scenarios take a service through the IService interface, not only the MeshService class', () => {
    const app = new App({ outdir: scratch() });
    const { lab, web } = shop(app);
    new FaultAbort(lab, 'web-abort', { service: new ServiceRef(web, 'ref'), status: 503, percent: 20 });
    app.synth();
    expect(find(written(app.outdir), 'VirtualService', 'web').spec.http[0].fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 20 } } });
  });

  test("an IService of another lab is refused in one line naming both labs", () => {
    const app = new App({ outdir: scratch() });
    const a = shop(app, 'shop-a', 'shop-a');
    const b = shop(app, 'shop-b', 'shop-b');
    expect(() => new FaultAbort(a.lab, 'abort', { service: new ServiceRef(b.web, 'ref'), status: 503, percent: 10 }))
      .toThrow(/^shop-a\/abort: shop-b\/web\/ref belongs to lab shop-b, not to lab shop-a where the scenario is$/);
    expect(b.web.routing.touched).toBe(false);
  });

  test('two scenarios claiming the same routes are refused, naming both by path', () => {
    const app = new App({ outdir: scratch() });
    const { lab, webV } = shop(app);
    new Canary(lab, 'first', { weights: [{ version: webV[0], weight: 90 }, { version: webV[1], weight: 10 }] });
    expect(() => new Route(lab, 'second', { to: webV[0] })).toThrow('scenarios shop/first and shop/second both set the routes of web; switch one of them off');
  });

  test('a scenario outside any lab is refused in one line', () => {
    const app = new App({ outdir: scratch() });
    const { webV } = shop(app);
    expect(() => new Route(app, 'route', { to: webV[1] })).toThrow('route is not inside a MeshLab: create it with a lab (or a construct in one) as its scope');
  });

  test('a scenario may live in a construct inside the lab', () => {
    const outdir = scratch();
    const app = new App({ outdir });
    const { lab, webV } = shop(app);
    const { Construct } = require('constructs'); // eslint-disable-line @typescript-eslint/no-require-imports
    const group = new Construct(lab, 'release');
    new Route(group, 'web-v2', { to: webV[1] });
    app.synth();
    expect(find(written(outdir), 'VirtualService', 'web').spec.http[0].route).toEqual([{ destination: { host: 'web', subset: 'v2', port: { number: 8080 } } }]);
  });
});

describe('model input is checked where it arrives', () => {
  const app = () => new App({ outdir: scratch() });
  test.each([
    ['port 0', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 0 }), 'port of service web must be a whole number from 1 to 65535, got 0'],
    ['port 70000', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 70000 }), 'port of service web must be a whole number from 1 to 65535, got 70000'],
    ['targetPort 1.5', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 80, targetPort: 1.5 }), 'targetPort of service web must be a whole number from 1 to 65535, got 1.5'],
    ['namespace Bad_NS', () => new MeshLab(app(), 'l', { namespace: 'Bad_NS' }), 'namespace of lab l "Bad_NS" must be a DNS label'],
    ['service name Web', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('Web', { port: 80 }), 'service name in lab l "Web" must be a DNS label'],
    ['version name V 1', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 80 }).addVersion('V 1', { image: 'x/y:1' }), 'version name of service web "V 1" must be a DNS label'],
    ['replicas -2', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 80 }).addVersion('v1', { image: 'x/y:1', replicas: -2 }), 'replicas of web v1 must be a whole number 0 or more, got -2'],
    ['image Example/Web', () => new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 80 }).addVersion('v1', { image: 'Example/Web:1' }), 'image Example/Web:1 of web v1 is not a valid image reference'],
    ['a version twice', () => {
      const s = new MeshLab(app(), 'l', { namespace: 'l' }).addService('web', { port: 80 });
      s.addVersion('v1', { image: 'x/y:1' });
      s.addVersion('v1', { image: 'x/y:1' });
    }, 'service web already has a version v1'],
  ])('%s is refused in one line', (_what, build, message) => {
    expect(build).toThrow(message);
    try {
      build();
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
      expect((e as Error).constructor.name).toBe('MeshlabError');
    }
  });
});

describe('whole-graph checks run on a plain app.synth()', () => {
  test('a gateway that selects no gateway pods fails synthesis with the checker finding, and nothing is written', () => {
    const outdir = path.join(scratch(), 'out');
    const app = new App({ outdir });
    const { lab } = shop(app);
    lab.addGateway('shop-gateway', { selector: { istio: 'no-such-gateway' } });
    expect(() => app.synth()).toThrow(/IST0101.*istio=no-such-gateway selects no gateway/);
    expect(fs.existsSync(outdir) ? fs.readdirSync(outdir) : []).toEqual([]);
  });

  test('a service without a version fails synthesis before any file is written', () => {
    const outdir = path.join(scratch(), 'out');
    const app = new App({ outdir });
    new MeshLab(app, 'l', { namespace: 'l' }).addService('web', { port: 80 });
    expect(() => app.synth()).toThrow(/service web has no version/);
    expect(fs.existsSync(outdir) ? fs.readdirSync(outdir) : []).toEqual([]);
  });

  test('the routing of a valid lab passes the same checks and is written', () => {
    const outdir = scratch();
    const app = new App({ outdir });
    const { lab, web, webV } = shop(app);
    new Canary(lab, 'canary', { weights: [{ version: webV[0], weight: 80 }, { version: webV[1], weight: 20 }] });
    new Retry(lab, 'retry', { service: web, perTryTimeout: Duration.millis(500) });
    app.synth();
    expect(fs.readdirSync(outdir)).toEqual(['shop.k8s.yaml']);
  });
});

describe("the README's library example", () => {
  test('runs exactly as written and writes the canary through a plain app.synth()', () => {
    const { transformSync } = require('esbuild'); // eslint-disable-line @typescript-eslint/no-require-imports
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Write your own lab'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)![1];
    const { code } = transformSync(example, { loader: 'ts', format: 'cjs', target: 'node20' });
    const outdir = scratch();
    // The example's `new App()` writes to dist/: here, to a scratch folder instead.
    const cdk8s = { ...require('cdk8s'), App: class extends App { constructor() { super({ outdir }); } } }; // eslint-disable-line @typescript-eslint/no-require-imports
    const requireForExample = (m: string) => (m === 'cdk8s' ? cdk8s : m === './lib' ? require('../lib') : require(m)); // eslint-disable-line @typescript-eslint/no-require-imports
    new Function('exports', 'require', 'module', code)({}, requireForExample, { exports: {} });
    expect(split(find(written(outdir), 'VirtualService', 'web'))).toEqual([['v1', 90], ['v2', 10]]);
  });
});

/** A service reference that is not the MeshService class: a construct that answers for one, as a user's own wrapper might. */
class ServiceRef extends Construct implements IService {
  public constructor(private readonly of: MeshService, id: string) {
    super(of, id);
  }
  public get name() { return this.of.name; }
  public get lab() { return this.of.lab; }
  public get port() { return this.of.port; }
  public get protocol() { return this.of.protocol; }
  public get isHttp() { return this.of.isHttp; }
  public get app() { return this.of.app; }
  public get serviceAccountName() { return this.of.serviceAccountName; }
  public get routing() { return this.of.routing; }
  public get versions() { return this.of.versions; }
  public get meshService() { return this.of; }
  public get defaultDestination() { return this.of.defaultDestination; }
  public get intent() { return this.of.intent; }
  public version(name: string) { return this.of.version(name); }
  public destinationFrom(namespace: string) { return this.of.destinationFrom(namespace); }
  public get target() { return this.of.target; }
}

describe('what a lab module needs is exported, and a service or client made with new joins its lab', () => {
  test('the lab definition, presets, options and flavour types come from lib/index.ts', () => {
    const lib = require('../lib'); // eslint-disable-line @typescript-eslint/no-require-imports
    const missing = ['defineLab', 'preset', 'LabContext', 'Flavour'].filter((name) => lib[name] === undefined);
    expect(missing).toEqual([]);
    expect(typeof lib.defineLab).toBe('function');
    expect(lib.Flavour.ALL.map((f: { name: string }) => f.name)).toEqual(['classic', 'gateway-api', 'ambient']);
  });

  test('new MeshService(lab, ...) and new Client(lab, ...) are in the lab, as addService and addClient are', () => {
    const { App: CdkApp } = require('cdk8s'); // eslint-disable-line @typescript-eslint/no-require-imports
    const { MeshLab: Lab, MeshService: Service, Client: LabClient } = require('../lib'); // eslint-disable-line @typescript-eslint/no-require-imports
    const lab = new Lab(new CdkApp({ outdir: scratch() }), 'shop', { namespace: 'shop' });
    const web = new Service(lab, 'web', { port: 8080 });
    web.addVersion('v1', { image: 'example/web:1' });
    const client = new LabClient(lab, 'curl', { container: { image: 'curlimages/curl:8.16.0' } });
    expect(lab.services).toEqual([web]);
    expect(lab.clients).toEqual([client]);
    expect(() => new Service(lab, 'web', { port: 8080 })).toThrow('lab shop already has a service web');
    expect(() => new Service(lab, 'Bad_Name', { port: 8080 })).toThrow(/service name in lab shop/);
    expect(lab.toJson().some((m: { kind: string; metadata: { name: string } }) => m.kind === 'Service' && m.metadata.name === 'web')).toBe(true);
  });
});
