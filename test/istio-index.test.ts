import { MeshIndex, gatewayHostsFor, hostCovers, hostMatches, isExportedTo, qualifyHost, resolveGatewayRef } from '../lib/istio/index';
import { Cluster } from '../lib/explain/cluster';
import { checkManifests } from '../lib/validate/check';
import { Manifest } from './support/synth';

const object = (kind: string, namespace: string | undefined, name: string, rest: Partial<Manifest> = {}): Manifest =>
  ({ apiVersion: kind === 'Service' || kind === 'Pod' || kind === 'Namespace' ? 'v1' : 'networking.istio.io/v1beta1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest } as Manifest);
const service = (namespace: string, name: string, annotations?: Record<string, string>, ports = [{ name: 'http', port: 80 }]) =>
  ({ ...object('Service', namespace, name), metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec: { selector: { app: name }, ports } } as Manifest);
const serviceEntry = (namespace: string, name: string, hosts: string[], exportTo?: string[]) =>
  object('ServiceEntry', namespace, name, { spec: { hosts, ...(exportTo ? { exportTo } : {}), ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] } });
const namespace = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as Manifest);
const deployment = (ns: string, name: string, labels: Record<string, string>) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: `example/${name}` }] } } },
} as Manifest);

describe('hosts', () => {
  test('only a name without a dot is short for a Service of the namespace', () => {
    expect(qualifyHost('reviews', 'shop')).toBe('reviews.shop.svc.cluster.local');
    expect(qualifyHost('reviews.bar', 'shop')).toBe('reviews.bar');
    expect(qualifyHost('*.example.com', 'shop')).toBe('*.example.com');
  });

  test('wildcards overlap either way, as host.Name.Matches', () => {
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('a.example.com', '*.example.com')).toBe(true);
    expect(hostMatches('*.example.com', '*.b.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*', 'anything.io')).toBe(true);
  });

  test('a Service exported with the annotation to its own namespace is not found from another', () => {
    const index = new MeshIndex([service('shop', 'web', { 'networking.istio.io/exportTo': '.' })]);
    expect(index.findHost('web', 'shop')?.object.metadata.name).toBe('web');
    expect(index.findHost('web.shop.svc.cluster.local', 'shop')?.kind).toBe('Service');
    expect(index.findHost('web.shop.svc.cluster.local', 'front')).toBeUndefined();
  });

  test('a ServiceEntry exported to one namespace is found from objects of that namespace only', () => {
    const index = new MeshIndex([serviceEntry('shop', 'partner', ['api.partner.io'], ['front'])]);
    expect(index.findHost('api.partner.io', 'front')?.kind).toBe('ServiceEntry');
    expect(index.findHost('api.partner.io', 'shop')).toBeUndefined();
    // The referring object's own exportTo names the namespaces it looks in (service_lookup.go).
    expect(index.findHost('api.partner.io', 'shop', ['front'])?.kind).toBe('ServiceEntry');
  });

  test('a wildcard ServiceEntry host answers for the names it covers, where it is visible', () => {
    const index = new MeshIndex([serviceEntry('shop', 'cdn', ['*.cdn.io']), serviceEntry('shop', 'local', ['*.local.io'], ['.'])]);
    expect(index.findHost('img.cdn.io', 'anywhere')?.host).toBe('*.cdn.io');
    expect(index.findHost('cdn.io', 'anywhere')).toBeUndefined();
    expect(index.findHost('a.local.io', 'shop')?.host).toBe('*.local.io');
    expect(index.findHost('a.local.io', 'front')).toBeUndefined();
  });

  test('servicesFor lists every Service and ServiceEntry a wildcard covers, exact hosts first', () => {
    const index = new MeshIndex([serviceEntry('shop', 'cdn', ['*.cdn.io']), serviceEntry('shop', 'img', ['img.cdn.io']), service('shop', 'web')]);
    expect(index.servicesFor('*.cdn.io', 'shop').map((t) => t.host)).toEqual(['img.cdn.io', '*.cdn.io']);
    expect(index.servicesFor('web', 'shop').map((t) => t.kind)).toEqual(['Service']);
  });

  test('exportTo: empty and * are everywhere, . the own namespace', () => {
    expect(isExportedTo([], 'shop', 'front')).toBe(true);
    expect(isExportedTo(['*'], 'shop', 'front')).toBe(true);
    expect(isExportedTo(['.'], 'shop', 'front')).toBe(false);
    expect(isExportedTo(['.'], 'shop', 'shop')).toBe(true);
    expect(isExportedTo(['front'], 'shop', 'front')).toBe(true);
  });
});

describe('gateways', () => {
  const gateway = object('Gateway', 'edge', 'public', { spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['./own.io', '*/any.io', 'shop/shop.io', 'bare.io'] }] } });

  test("./host is the Gateway's own namespace, */host any namespace, ns/host only ns", () => {
    expect(gatewayHostsFor(gateway, 'edge').sort()).toEqual(['any.io', 'bare.io', 'own.io']);
    expect(gatewayHostsFor(gateway, 'shop').sort()).toEqual(['any.io', 'bare.io', 'shop.io']);
    expect(gatewayHostsFor(gateway, 'other').sort()).toEqual(['any.io', 'bare.io']);
  });

  test('a VirtualService names gateways as name, ns/name or mesh; none means mesh', () => {
    const index = new MeshIndex([gateway]);
    const vs = (gateways?: string[]) => object('VirtualService', 'edge', 'vs', { spec: { hosts: ['own.io'], ...(gateways ? { gateways } : {}) } });
    expect(index.gatewayRefs(vs()).map((g) => g.key)).toEqual(['mesh']);
    expect(index.gatewayRefs(vs(['public', 'mesh', 'other/gw'])).map((g) => [g.key, g.gateway?.metadata.name])).toEqual([
      ['edge/public', 'public'], ['mesh', undefined], ['other/gw', undefined],
    ]);
    expect(index.isMeshBound(vs(['public']))).toBe(false);
    expect(index.gatewayServes('edge/public', ['nope.io', 'own.io'], 'edge')).toBe(true);
    expect(index.gatewayServes('edge/public', ['own.io'], 'shop')).toBe(false);
  });

  test("a Gateway's pods are reachable on the TCP ports and target ports of the Services selecting them", () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gw', namespace: 'edge', labels: { istio: 'edge' } }, spec: { containers: [] } } as Manifest;
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', namespace: 'edge' }, spec: { selector: { istio: 'edge' }, ports: [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'bare', port: 9000 },
    ] } } as Manifest;
    const gw = object('Gateway', 'edge', 'custom', { spec: { selector: { istio: 'edge' }, servers: [] } });
    const { pods, ports } = new MeshIndex([pod, svc, gw]).gatewayServicePorts(gw);
    expect(pods.map((p) => p.source.metadata.name)).toEqual(['gw']);
    expect([...ports].sort((a, b) => a - b)).toEqual([80, 443, 8080]);
  });

  test("istioctl's offline ingress gateway is assumed, and can be left out", () => {
    const gw = object('Gateway', 'edge', 'public', { spec: { selector: { istio: 'ingressgateway' }, servers: [] } });
    expect([...new MeshIndex([gw]).gatewayServicePorts(gw).ports].sort((a, b) => a - b)).toEqual([80, 443, 15443, 31400]);
    expect(new MeshIndex([gw], { platform: false }).gatewayServicePorts(gw).pods).toEqual([]);
  });
});

describe('pods and selectors', () => {
  test('a Deployment is read as the pod it runs: injected by its namespace label, or ambient', () => {
    const index = new MeshIndex([
      namespace('meshed', { 'istio-injection': 'enabled' }), namespace('ambient', { 'istio.io/dataplane-mode': 'ambient' }), namespace('plain', {}),
      deployment('meshed', 'a', { app: 'a' }), deployment('ambient', 'b', { app: 'b' }), deployment('plain', 'c', { app: 'c' }),
    ]);
    const pod = (app: string) => index.podsSelected({ app })[0];
    expect([pod('a').sidecar, pod('a').ambient, pod('a').podPath]).toEqual([true, false, 'spec.template.spec']);
    expect([pod('b').sidecar, pod('b').ambient]).toEqual([false, true]);
    expect([pod('c').sidecar, pod('c').ambient]).toEqual([false, false]);
  });

  test('selectors match within a namespace, or everywhere; an empty selector selects every pod', () => {
    const index = new MeshIndex([deployment('shop', 'web-v1', { app: 'web', version: 'v1' }), deployment('blog', 'web-v2', { app: 'web', version: 'v2' })], { platform: false });
    expect(index.podsSelected({ app: 'web' }).map((p) => p.source.metadata.name).sort()).toEqual(['web-v1', 'web-v2']);
    expect(index.podsSelected({ app: 'web' }, 'blog').map((p) => p.source.metadata.name)).toEqual(['web-v2']);
    expect(index.podsSelected({ version: 'v1', app: 'web' }, 'blog')).toEqual([]);
    expect(index.podsSelected({}, 'shop')).toHaveLength(1);
  });

  test('a DestinationRule subset pairs with a destination whatever the host form', () => {
    const dr = object('DestinationRule', 'infra', 'web', { spec: { host: 'web.shop.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } });
    const index = new MeshIndex([dr]);
    expect([...index.subsetsOf('web', 'shop').keys()]).toEqual(['v1']);
    expect([...index.subsetsOf('web.shop.svc.cluster.local', 'front').keys()]).toEqual(['v1']);
    expect([...index.subsetsOf('web', 'front').keys()]).toEqual([]);
  });
});

describe('one reading for check, explain and the pictures', () => {
  test("a gateways entry resolves as istiod's resolveGatewayName: name and ./name in the VirtualService's namespace, legacy name.ns and FQDN", () => {
    expect(['mesh', 'gw', './gw', 'edge/gw', 'gw.edge', 'gw.edge.svc.cluster.local'].map((g) => resolveGatewayRef(g, 'shop')))
      .toEqual(['mesh', 'shop/gw', 'shop/gw', 'edge/gw', 'edge/gw', 'edge/gw']);
  });

  test('exportTo ~ hides an object from every namespace, its own too; * wins over it', () => {
    expect(isExportedTo(['~'], 'shop', 'shop')).toBe(false);
    expect(isExportedTo(['~', '*'], 'shop', 'other')).toBe(true);
    expect(isExportedTo(undefined, 'shop', 'other')).toBe(true);
  });

  test('an application dials a Service by cluster DNS (web, web.shop, web.shop.svc), while a route host is read literally', () => {
    const index = new MeshIndex([service('shop', 'web')]);
    for (const name of ['web.shop', 'web.shop.svc', 'web.shop.svc.cluster.local']) expect(index.serviceDialed(name, 'other')?.metadata.name).toBe('web');
    expect(index.serviceDialed('web', 'shop')?.metadata.name).toBe('web');
    expect(index.serviceDialed('web', 'other')).toBeUndefined();
    expect(index.findHost('web.shop', 'shop')).toBeUndefined();
  });

  test('a host pattern covers an authority case aside and without its port', () => {
    expect(hostCovers('*.example.com', 'API.example.com:8080')).toBe(true);
    expect(hostCovers('example.com', 'api.example.com')).toBe(false);
    expect(hostCovers('*', undefined)).toBe(true);
  });

  test("explain's pods run a sidecar exactly when the index says so: an injected istio-proxy counts without an injection label", () => {
    const pod = (name: string, containers: object[], labels: Record<string, string> = {}) =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'plain', labels: { app: name, ...labels } }, spec: { containers } } as Manifest);
    const manifests = [
      namespace('plain', {}),
      pod('injected', [{ name: 'app', image: 'x' }, { name: 'istio-proxy', image: 'proxyv2' }]),
      pod('bare', [{ name: 'app', image: 'x' }]),
      pod('asked', [{ name: 'app', image: 'x' }], { 'sidecar.istio.io/inject': 'true' }),
    ];
    const cluster = new Cluster(manifests);
    expect(cluster.pods.map((p) => [p.name, p.sidecar])).toEqual([['asked', true], ['bare', false], ['injected', true]]);
    expect(manifests.slice(1).map((m) => cluster.index.podFor(m)?.sidecar)).toEqual([true, false, true]);
  });

  test("gateways ./gw and gw.ns bind for istiod (explain, pictures) but are IST0101 for Istio's analyzer (check), which reads only ns/name", () => {
    const gw = object('Gateway', 'shop', 'gw', { spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } });
    const vs = (name: string, gateways: string[]) => object('VirtualService', 'shop', name, { spec: { hosts: ['a.io'], gateways, http: [{ directResponse: { status: 200 } }] } });
    const set = [gw, vs('dot', ['./gw']), vs('legacy', ['gw.shop']), vs('plain', ['shop/gw'])];
    const index = new MeshIndex(set);
    expect(set.slice(1).map((v) => index.gatewayRefs(v)[0].key)).toEqual(['shop/gw', 'shop/gw', 'shop/gw']);
    const findings = checkManifests(set.map((manifest) => ({ manifest }))).filter((f) => f.code === 'IST0101' || f.code === 'IST0132');
    expect(findings.map((f) => `${f.object} ${f.code}`).sort()).toEqual([
      'VirtualService shop/dot IST0101', 'VirtualService shop/dot IST0132', 'VirtualService shop/legacy IST0101', 'VirtualService shop/legacy IST0132',
    ]);
  });
});
