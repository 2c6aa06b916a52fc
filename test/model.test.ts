// The shape of the model: one-way data flow, step bookkeeping kept internal, one destination
// abstraction with names that do not clash.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import * as lib from '../lib';
import { ExternalHost, MeshLab } from '../lib';
import { buildModel } from '../lib/app';

const outputDir = path.join(__dirname, '..', 'lib', 'output');

describe('data flows one way: command line -> labs and scenarios -> output', () => {
  test.each(fs.readdirSync(outputDir).filter((f) => f.endsWith('.ts')))('lib/output/%s builds no lab: no value import of the lab layer, no new App', (file) => {
    const text = fs.readFileSync(path.join(outputDir, file), 'utf8');
    const valueImports = [...text.matchAll(/^import (?!type )[^;]*? from '([^']+)';$/gm)].map((m) => m[1]);
    // lib/platform/release.ts is the release's facts (versions, file names, CRD URLs) and builds nothing.
    expect(valueImports.filter((m) => m !== '../platform/release' && /^\.\.\/(app|labs|platform|scenarios\/engine|scenarios\/catalog)(\/|$)/.test(m))).toEqual([]);
    expect(text).not.toMatch(/new App\(|buildLab\(|applyPreset\(/);
  });

  test('the lab layer builds every lab, its plain form and each step before anything is rendered', () => {
    const model = buildModel({ targets: ['flask'], scenarios: { flask: { scenarios: ['canary'] } } });
    const [flask] = model.labs;
    expect(flask.base.applied.map((a) => a.preset.scenario.name)).toEqual(['canary']);
    expect(flask.plain).not.toBe(flask.base.lab);
    expect(flask.steps.map((s) => s.applied.preset.scenario.name)).toEqual(['route', 'canary', 'metrics']);
    const canary = flask.steps[1].objects.find((m) => m.kind === 'VirtualService' && m.metadata.name === 'flaskapp')!;
    expect((canary.spec as { http: Array<{ route: unknown[] }> }).http[0].route).toHaveLength(2);
    expect(model.platform).toBeUndefined();
  });
});

describe('step bookkeeping is internal', () => {
  test('the model has no public reset or mark methods, and lib/index.ts exports none', () => {
    const app = new App({ outdir: 'unused' });
    const lab = new MeshLab(app, 'l', { namespace: 'l' });
    const web = lab.addService('web', { port: 80 });
    const v1 = web.addVersion('v1', { image: 'x/web:1' });
    // @ts-expect-error no public reset on the lab
    expect(lab.resetScenarios).toBeUndefined();
    // @ts-expect-error no public mark on the lab
    expect(lab.markChanged).toBeUndefined();
    // @ts-expect-error no changedByScenario on a service
    expect(web.changedByScenario).toBeUndefined();
    // @ts-expect-error the reset of a service is private to the model (step-state.ts calls it)
    const privateReset = () => web.resetScenarioState();
    expect(typeof privateReset).toBe('function');
    expect(v1.lab).toBe(lab);
    expect(Object.keys(lib)).not.toEqual(expect.arrayContaining(['resetScenarios']));
    expect(Object.keys(lib).filter((k) => /^reset|Reset|markChanged|wasChanged|recordScenario/.test(k))).toEqual([]);
  });
});

describe('one destination abstraction', () => {
  const app = new App({ outdir: 'unused' });
  const lab = new MeshLab(app, 'shop', { namespace: 'shop' });
  const web = lab.addService('web', { port: 8080 });
  const v2 = web.addVersion('v2', { image: 'example/web:2' });

  test.each([
    ['a service', web, 'shop', { host: 'web', port: { number: 8080 } }],
    ['a service from another namespace', web, 'other', { host: 'web.shop.svc.cluster.local', port: { number: 8080 } }],
    ['a version', v2, 'shop', { host: 'web', subset: 'v2', port: { number: 8080 } }],
    ['an external HTTP host', ExternalHost.http('httpbin.org'), 'shop', { host: 'httpbin.org', port: { number: 80 } }],
    ['an external TLS host', ExternalHost.tls('www.google.com'), 'other', { host: 'www.google.com', port: { number: 443 } }],
  ])('%s is bound by destinationFrom', (_what, destination: lib.IDestination, namespace, expected) => {
    expect(destination.destinationFrom(namespace)).toEqual(expected);
  });

  test('names no longer clash: a version has its meshService, a service its kubernetesService', () => {
    expect(v2.meshService).toBe(web);
    expect(web.meshService).toBe(web);
    expect(web.kubernetesService.name).toBe('web');
    // @ts-expect-error ServiceVersion.service was the MeshService: it is meshService now
    expect(v2.service).toBeUndefined();
    expect(ExternalHost.tls('www.google.com').portName).toBe('tls-443');
  });
});
