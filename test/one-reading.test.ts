import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump } from 'js-yaml';
import { runExplain } from '../lib/cli/explain';
import { trafficDiagram } from '../lib/output/diagram';
import { checkManifests } from '../lib/validate/check';
import { Manifest } from './support/synth';

/*
 * check, explain and the traffic picture read one set of files, and must resolve every host a
 * route names alike: the same Service, a ServiceEntry, or nothing. Each reader is asked in its
 * own terms; the answer is turned into one of these names:
 * - `Service ns/name`: a Kubernetes Service (every Service has its own port, and its pods a
 *   version label naming it, so the port check names and the versions explain reaches tell it);
 * - `ServiceEntry`: a host outside the mesh;
 * - `unresolved`: no Service or ServiceEntry (check: IST0101; explain: 503 no such host; the
 *   picture: a plain node of the name).
 */

type Labels = Record<string, string>;

const namespace = (name: string, labels: Labels = { 'istio-injection': 'enabled' }): Manifest =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

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

/** A VirtualService for the mesh on Service `front` of shop, routing every request to `destination` as written. */
const route = (front: string, destination: string): Manifest => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: front, namespace: 'shop' },
  spec: { hosts: [front], http: [{ route: [{ destination: { host: destination } }] }] },
});

/** The destination each front Service's VirtualService names, and what Istio resolves it to. */
const CASES: ReadonlyArray<{ front: string; destination: string; istio: string; why: string }> = [
  { front: 'f-dotted', destination: 'web.shop', istio: 'unresolved', why: 'Istio takes web.shop literally (no DNS search path)' },
  { front: 'f-short', destination: 'web', istio: 'Service shop/web', why: 'a short name is in the VirtualService namespace' },
  { front: 'f-fqdn', destination: 'web.shop.svc.cluster.local', istio: 'Service shop/web', why: 'the FQDN' },
  { front: 'f-cross', destination: 'db.data.svc.cluster.local', istio: 'Service data/db', why: 'a Service of another namespace' },
  { front: 'f-cross-short', destination: 'db', istio: 'unresolved', why: 'a short name is never another namespace' },
  { front: 'f-hidden', destination: 'secret.data.svc.cluster.local', istio: 'unresolved', why: 'exported only to its own namespace' },
  { front: 'f-shared', destination: 'shared.data.svc.cluster.local', istio: 'Service data/shared', why: 'exported to shop by name' },
  { front: 'f-wildcard', destination: 'api.example.com', istio: 'ServiceEntry', why: 'a wildcard ServiceEntry host covers it' },
  { front: 'f-entry', destination: 'httpbin.org', istio: 'ServiceEntry', why: 'a ServiceEntry host' },
  { front: 'f-unknown', destination: 'nothing.example.org', istio: 'unresolved', why: 'no object defines it' },
];

/** Port of each Service and ServiceEntry: check names a target by its ports, the picture by the ports in its label. */
const PORTS: Readonly<Record<number, string>> = {
  8001: 'Service shop/web', 8002: 'Service data/db', 8003: 'Service data/secret', 8004: 'Service data/shared', 443: 'ServiceEntry', 8080: 'ServiceEntry',
};

const gateway = (name: string, hosts: string[]): Manifest => ({
  apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace: 'shop' },
  spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] },
});

const ingressRoute = (name: string, host: string, gateways: string[], destination: string): Manifest => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: 'shop' },
  spec: { hosts: [host], gateways, http: [{ route: [{ destination: { host: destination } }] }] },
});

/** What enters through the ingress gateway, by authority: the Gateway's `./host` binds shop's VirtualServices, `data/host` does not. */
const INGRESS: ReadonlyArray<{ authority: string; istio: string }> = [
  { authority: 'shop.example.io', istio: 'Service shop/web' },
  { authority: 'store.example.io', istio: 'Service data/db' },
  { authority: 'literal.example.io', istio: 'unresolved' },
  { authority: 'data.example.io', istio: 'no route' },
];

const fronts = CASES.map((c, i) => service(c.front, 'shop', 9000 + i)).flat();
const manifests: Manifest[] = [
  namespace('shop'), namespace('data'),
  ...service('web', 'shop', 8001), ...service('db', 'data', 8002),
  ...service('secret', 'data', 8003, { 'networking.istio.io/exportTo': '.' }),
  ...service('shared', 'data', 8004, { 'networking.istio.io/exportTo': '., shop' }),
  ...fronts,
  {
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'example', namespace: 'shop' },
    spec: { hosts: ['*.example.com'], location: 'MESH_EXTERNAL', resolution: 'NONE', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }] },
  },
  {
    apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'httpbin', namespace: 'shop' },
    spec: { hosts: ['httpbin.org'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] },
  },
  ...CASES.map((c) => route(c.front, c.destination)),
  gateway('entry', ['./shop.example.io', './store.example.io', './literal.example.io', 'data/data.example.io']),
  ingressRoute('entry-shop', 'shop.example.io', ['entry'], 'web'),
  // `./entry` would bind for istiod, but Istio's analyzer (and so check) reads it as namespace `.`.
  ingressRoute('entry-store', 'store.example.io', ['shop/entry'], 'db.data.svc.cluster.local'),
  ingressRoute('entry-literal', 'literal.example.io', ['shop/entry'], 'web.shop'),
  ingressRoute('entry-data', 'data.example.io', ['entry'], 'web'),
  {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'shop', labels: { app: 'client' } },
    spec: { containers: [{ name: 'client', image: 'example/client' }] },
  },
];

const targetByPorts = (ports: string) => {
  const names = new Set(ports.split(/[^0-9]+/).filter((p) => p !== '').map((p) => PORTS[Number(p)]).filter((n) => n !== undefined));
  return names.size === 1 ? [...names][0] : `ambiguous ports ${ports}`;
};

/**
 * check: IST0101 on a destination host is `unresolved`. To learn which target it resolved a
 * host to, every destination is given port 1, which no target has: check then lists the
 * target's ports ("1 is not a port of Service web (ports: 8001)").
 */
function checkReading(): Map<string, string> {
  const probed = manifests.map((m) => (m.kind !== 'VirtualService' ? m : {
    ...m, spec: { ...m.spec, http: m.spec.http.map((r: { route: Array<{ destination: object }> }) => ({ ...r, route: r.route.map((d) => ({ ...d, destination: { ...d.destination, port: { number: 1 } } })) })) },
  }));
  const findings = checkManifests(probed.map((manifest) => ({ manifest })));
  const out = new Map<string, string>();
  for (const vs of probed.filter((m) => m.kind === 'VirtualService')) {
    const own = findings.filter((f) => f.object === `VirtualService ${vs.metadata.namespace}/${vs.metadata.name}` && f.code === 'IST0101');
    const port = own.find((f) => f.field.endsWith('destination.port.number'));
    const missing = own.find((f) => f.field.endsWith('destination.host'));
    out.set(vs.metadata.name, missing ? 'unresolved' : port ? targetByPorts(/\(ports: ([^)]*)\)/.exec(port.message)![1]) : 'no finding');
  }
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-one-reading-'));
fs.writeFileSync(path.join(dir, 'all.yaml'), manifests.map((m) => dump(m)).join('---\n'));

/** explain, in PATH mode, in process: the first hop's versions name the Service; a ServiceEntry leaves the mesh; no host is 503. */
function explainReading(argv: string[]): string {
  const out: string[] = [];
  const err: string[] = [];
  const code = runExplain([dir, ...argv, '--requests', '4', '--json'], {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
  expect({ code, err }).toEqual({ code: 0, err: [] });
  const hop = JSON.parse(out[0]).hops[0] as { versions: Array<{ name: string }>; outcomes: Array<{ name: string }>; to: string };
  const outcomes = hop.outcomes.map((o) => o.name);
  if (outcomes.some((o) => o.startsWith('no route'))) return 'no route';
  if (outcomes.some((o) => o.startsWith('no such host'))) return 'unresolved';
  if (outcomes.some((o) => o.startsWith('leaves the mesh'))) return 'ServiceEntry';
  const versions = new Set(hop.versions.map((v) => v.name));
  return versions.size === 1 ? `Service ${[...versions][0].split('@').reverse().join('/')}` : `versions ${[...versions].join(', ')}`;
}

/** The picture: where the route edges from a node lead, named by the target node's label. */
function pictureReading(): { from: (node: string) => string } {
  const graph = { namespace: 'shop', services: [], clients: [{ name: 'client', callees: CASES.map((c) => c.front) }] };
  const text = trafficDiagram(manifests, graph);
  const labels = new Map<string, string>();
  for (const m of text.matchAll(/^\s*([A-Za-z0-9_]+)(?:\["|\[\/"|\{\{"|\(")(.*?)(?:"\]|"\/\]|"\}\}|"\))$/gm)) labels.set(m[1], m[2]);
  const edges = [...text.matchAll(/^\s*([A-Za-z0-9_]+) -->(?:\|"[^"]*"\|)? ([A-Za-z0-9_]+)$/gm)].map((m) => ({ from: m[1], to: m[2] }));
  const idOf = (prefix: string, name: string) => [...labels.keys()].find((id) => id.startsWith(prefix) && labels.get(id)!.split(/[:<]/)[0] === name)!;
  return {
    from: (node: string) => {
      const [kind, name] = node.split(' ');
      const id = kind === 'gateway' ? `gw_${name}` : idOf('svc_', name);
      expect(id).toBeDefined();
      const to = edges.filter((e) => e.from === id).map((e) => e.to);
      if (to.length === 0) return 'no route';
      const reading = new Set(to.map((t) => {
        const label = labels.get(t)!;
        // Versions carry the Service's name in their version label; a Service or an outside host its ports.
        if (t.startsWith('ver_')) return `Service ${label.split('<')[0].split('@').reverse().join('/')}`;
        if (t.startsWith('host_')) return 'unresolved';
        return targetByPorts(label.replace(/^[^:]*/, ''));
      }));
      return [...reading].join(' | ');
    },
  };
}

describe('check, explain and the traffic picture read manifests alike (one index)', () => {
  const check = checkReading();
  const picture = pictureReading();

  test.each(CASES)('a route from the mesh to $destination: $istio ($why)', ({ front, destination, istio }) => {
    const readings = {
      check: check.get(front),
      explain: explainReading(['--from', 'client', '--to', front]),
      picture: picture.from(`service ${front}`),
    };
    expect({ destination, ...readings }).toEqual({ destination, check: istio, explain: istio, picture: istio });
  });

  test.each(INGRESS)('the ingress gateway for $authority: $istio', ({ authority, istio }) => {
    const vs = manifests.find((m) => m.kind === 'VirtualService' && m.spec.hosts[0] === authority)!;
    const checked = checkManifests(manifests.map((manifest) => ({ manifest })))
      .filter((f) => f.object === `VirtualService shop/${vs.metadata.name}`);
    // IST0132: no server of its gateways serves the host for the VirtualService's namespace.
    const readings = {
      check: checked.some((f) => f.code === 'IST0132') ? 'no route' : check.get(vs.metadata.name),
      explain: explainReading(['--from', 'ingress', '--header', `host=${authority}`]),
    };
    expect({ authority, ...readings }).toEqual({ authority, check: istio, explain: istio });
  });

  test('the picture draws the gateway routes only for hosts its Gateway binds, to the same targets', () => {
    const drawn = picture.from('gateway entry');
    expect(drawn.split(' | ').sort()).toEqual(['Service data/db', 'Service shop/web', 'unresolved']);
  });
});
