import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump } from 'js-yaml';
import { runExplain } from '../lib/cli/explain';
import { trafficDiagram } from '../lib/output/diagram';
import { checkManifests } from '../lib/validate/check';
import { Manifest } from './support/synth';

/*
 * test/one-reading.test.ts for the Gateway API: check, explain and the traffic picture read the
 * backendRefs of HTTPRoutes (GAMMA: parentRef a Service) through the one index, and must resolve
 * each alike: the same Service, nothing (`unresolved`: check ML0018, explain 500, the picture a
 * plain node), or no route at all (`default`: istiod converts no route of the HTTPRoute, so the
 * front Service's own pods answer; check ML0018, the picture the Service's own versions).
 */

type Labels = Record<string, string>;

const namespace = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });

/** A Service with one port and a Deployment whose `version` label names the Service (`web@shop`). */
function service(name: string, ns: string, port: number, annotations?: Labels): Manifest[] {
  const labels = { app: name, version: `${name}@${ns}` };
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, ...(annotations && { annotations }) }, spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }] } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `${name}-v1`, namespace: ns },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: `example/${name}`, ports: [{ containerPort: port }] }] } } },
    },
  ];
}

/** The backendRef each front Service's HTTPRoute names, and what Istio resolves it to. */
const CASES: ReadonlyArray<{ front: string; ref: Labels; istio: string; why: string }> = [
  { front: 'f-local', ref: { name: 'web' }, istio: 'Service shop/web', why: 'the namespace defaults to the route\'s' },
  { front: 'f-cross', ref: { name: 'db', namespace: 'data' }, istio: 'Service data/db', why: 'another namespace, allowed without a ReferenceGrant for a mesh parent' },
  { front: 'f-missing', ref: { name: 'db' }, istio: 'unresolved', why: 'no Service db in the route\'s namespace' },
  { front: 'f-hidden', ref: { name: 'secret', namespace: 'data' }, istio: 'unresolved', why: 'exported only to its own namespace' },
  { front: 'f-shared', ref: { name: 'shared', namespace: 'data' }, istio: 'Service data/shared', why: 'exported to shop by name' },
  { front: 'f-dotted', ref: { name: 'web.shop' }, istio: 'default', why: 'a hostname is no Service name: istiod converts no route' },
];

const PORTS: Readonly<Record<number, string>> = { 8001: 'Service shop/web', 8002: 'Service data/db', 8003: 'Service data/secret', 8004: 'Service data/shared' };
const PORT_OF: Readonly<Record<string, number>> = { web: 8001, db: 8002, secret: 8003, shared: 8004, 'web.shop': 8001 };

const httpRoute = (front: string, port: number, ref: Labels, probe?: number): Manifest => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: front, namespace: 'shop' },
  spec: { parentRefs: [{ group: '', kind: 'Service', name: front, port }], rules: [{ backendRefs: [{ ...ref, port: probe ?? PORT_OF[ref.name] }] }] },
});

const fronts = CASES.map((c, i) => ({ ...c, port: 9000 + i }));
const base: Manifest[] = [
  namespace('shop'), namespace('data'),
  ...service('web', 'shop', 8001), ...service('db', 'data', 8002),
  ...service('secret', 'data', 8003, { 'networking.istio.io/exportTo': '.' }),
  ...service('shared', 'data', 8004, { 'networking.istio.io/exportTo': '., shop' }),
  ...fronts.flatMap((c) => service(c.front, 'shop', c.port)),
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'shop', labels: { app: 'client' } }, spec: { containers: [{ name: 'client', image: 'example/client' }] } },
];
const manifests = [...base, ...fronts.map((c) => httpRoute(c.front, c.port, c.ref))];

/** check: ML0018 on the backendRef; probed with port 1, a resolved Service names its ports. */
function checkReading(): Map<string, string> {
  const probed = [...base, ...fronts.map((c) => httpRoute(c.front, c.port, c.ref, 1))];
  const findings = checkManifests(probed.map((manifest) => ({ manifest })));
  const out = new Map<string, string>();
  for (const c of fronts) {
    const own = findings.filter((f) => f.object === `HTTPRoute shop/${c.front}` && f.code === 'ML0018');
    const port = own.find((f) => f.field.endsWith('.port'));
    const other = own.find((f) => !f.field.endsWith('.port'));
    const reading = other ? (/converts no route/.test(other.message) ? 'default' : 'unresolved')
      : port ? PORTS[Number(/\((\d+)\)/.exec(port.message)![1])] : 'no finding';
    out.set(c.front, reading);
  }
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-one-reading-gw-'));
fs.writeFileSync(path.join(dir, 'all.yaml'), manifests.map((m) => dump(m)).join('---\n'));

function explainReading(front: string): string {
  const out: string[] = [];
  const err: string[] = [];
  const code = runExplain([dir, '--from', 'client', '--to', front, '--requests', '4', '--json'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
  expect({ code, err }).toEqual({ code: 0, err: [] });
  const hop = JSON.parse(out[0]).hops[0] as { versions: Array<{ name: string }>; outcomes: Array<{ name: string }> };
  if (hop.outcomes.some((o) => o.name.startsWith('backend not found 500'))) return 'unresolved';
  const versions = new Set(hop.versions.map((v) => v.name.split('@').reverse().join('/')));
  if (versions.size === 1 && [...versions][0] === `shop/${front}`) return 'default';
  return versions.size === 1 ? `Service ${[...versions][0]}` : `versions ${[...versions].join(', ')}`;
}

function pictureReading(front: string): string {
  const text = trafficDiagram(manifests, { namespace: 'shop', services: [], clients: [{ name: 'client', callees: CASES.map((c) => c.front) }] });
  const labels = new Map<string, string>();
  for (const m of text.matchAll(/^\s*([A-Za-z0-9_]+)(?:\["|\(")(.*?)(?:"\]|"\))$/gm)) labels.set(m[1], m[2]);
  const id = [...labels.keys()].find((k) => k.startsWith('svc_') && labels.get(k)!.split(':')[0] === front)!;
  const to = [...text.matchAll(/^\s*([A-Za-z0-9_]+) -->(?:\|"[^"]*"\|)? ([A-Za-z0-9_]+)$/gm)].filter((m) => m[1] === id).map((m) => m[2]);
  const reading = new Set(to.map((t) => {
    if (t.startsWith('host_')) return 'unresolved';
    if (t.startsWith('ver_')) {
      const named = labels.get(t)!.split('<')[0].split('@').reverse().join('/');
      return named === `shop/${front}` ? 'default' : `Service ${named}`;
    }
    return PORTS[Number(labels.get(t)!.split(':')[1])] ?? labels.get(t)!;
  }));
  return [...reading].join(' | ');
}

describe('check, explain and the traffic picture read HTTPRoutes alike (one index)', () => {
  const check = checkReading();
  test.each(CASES.map((c) => ({ ...c, written: Object.entries(c.ref).map(([k, v]) => `${k}: ${v}`).join(', ') })))('an HTTPRoute backendRef {$written}: $istio ($why)', ({ front, istio }) => {
    expect({ front, check: check.get(front), explain: explainReading(front), picture: pictureReading(front) })
      .toEqual({ front, check: istio, explain: istio, picture: istio });
  });
});
