import { Duration, Testing } from 'cdk8s';
import { validateSchema } from '../imports/schema';
import { istioDuration } from '../lib/istio/duration';
import { MeshLab } from '../lib/mesh/lab';
import { SecurityProfile } from '../lib/mesh/security';
import { checkManifests } from '../lib/validate/check';
import { Manifest } from './support/synth';
import { manifestsOf, synth } from './support/synth';

const base: Manifest[] = manifestsOf(synth({ targets: ['tutorial'] }), 'tutorial');

/** The tutorial lab with one object changed; returns the findings' one-line forms. */
function findingsAfter(kind: string, name: string, change: (m: any) => void, extra: Manifest[] = []): string[] {
  const manifests = structuredClone(base);
  const target = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!target) throw new Error(`no ${kind} ${name}`);
  change(target);
  return checkManifests([...manifests, ...extra].map((manifest) => ({ manifest }))).map((f) => `${f.severity} ${f.object} ${f.field}: ${f.message}`);
}

test('the unchanged lab has no finding', () => {
  expect(checkManifests(base.map((manifest) => ({ manifest })))).toEqual([]);
});

describe('cross-object checks name the object and the field', () => {
  test('a Deployment selector that misses its pod labels', () => {
    expect(findingsAfter('Deployment', 'customer', (d) => { d.spec.selector.matchLabels.app = 'customers'; })).toContainEqual(
      expect.stringMatching(/^error Deployment istio-tutorial\/customer spec.selector.matchLabels: app=customers,version=v1 does not match the pod template labels/));
  });

  test('a Service selector that matches no pod', () => {
    expect(findingsAfter('Service', 'preference', (s) => { s.spec.selector = { app: 'preferences' }; })).toContainEqual(
      'error Service istio-tutorial/preference spec.selector: app=preferences selects no pod in istio-tutorial');
  });

  test('a Service targetPort that is no container port', () => {
    expect(findingsAfter('Service', 'customer', (s) => { s.spec.ports[0].targetPort = 8081; })).toContainEqual(
      'error Service istio-tutorial/customer spec.ports[0].targetPort: 8081 is not a container port of Deployment istio-tutorial/customer');
  });

  test('a Service port name Istio cannot read a protocol from (warning)', () => {
    expect(findingsAfter('Service', 'customer', (s) => { s.spec.ports[0].name = 'web'; })).toContainEqual(
      expect.stringMatching(/^warning Service istio-tutorial\/customer spec.ports\[0\].name: web does not tell Istio the protocol/));
  });

  test('a subset whose labels select no pod', () => {
    expect(findingsAfter('DestinationRule', 'recommendation', (dr) => { dr.spec.subsets[1].labels.version = 'v3'; })).toContainEqual(
      'error DestinationRule istio-tutorial/recommendation spec.subsets[1]: subset v2 (version=v3) selects no pod: requests routed to it fail with 503 (no healthy upstream)');
  });

  test('a route to a subset that selects no pod: Istio reports the subset (IST0173), not the route', () => {
    const manifests = structuredClone(base);
    const named = (kind: string) => manifests.find((m) => m.kind === kind && m.metadata.name === 'customer')!;
    named('DestinationRule').spec.subsets[0].labels.version = 'v9';
    named('VirtualService').spec.http[0].route[0].destination.subset = 'v1';
    expect(checkManifests(manifests.map((manifest) => ({ manifest }))).map((f) => `${f.code} ${f.severity} ${f.object} ${f.field}: ${f.message}`)).toEqual([
      'IST0173 error DestinationRule istio-tutorial/customer spec.subsets[0]: subset v1 (version=v9) selects no pod: requests routed to it fail with 503 (no healthy upstream)',
      // Routing customer by subset also leaves the gateway's route to customer outside the split.
      'IST0140 warning VirtualService istio-tutorial/customer-gateway spec.http[0].route[0].destination: routes to customer without subset: the subsets VirtualService istio-tutorial/customer splits it by do not apply to requests from the gateway',
    ]);
  });

  test('a route to a subset no DestinationRule defines', () => {
    expect(findingsAfter('VirtualService', 'recommendation', (vs) => { vs.spec.http[0].route[0].destination.subset = 'v3'; })).toContainEqual(
      'error VirtualService istio-tutorial/recommendation spec.http[0].route[0].destination.subset: no DestinationRule for recommendation defines subset v3');
  });

  test('a route to a host with a typo, and to a port the Service lacks', () => {
    expect(findingsAfter('VirtualService', 'customer-gateway', (vs) => { vs.spec.http[0].route[0].destination.host = 'custmer'; })).toContainEqual(
      'error VirtualService istio-tutorial/customer-gateway spec.http[0].route[0].destination.host: custmer matches no Service or ServiceEntry');
    expect(findingsAfter('VirtualService', 'customer-gateway', (vs) => { vs.spec.http[0].route[0].destination.port.number = 80; })).toContainEqual(
      'error VirtualService istio-tutorial/customer-gateway spec.http[0].route[0].destination.port.number: 80 is not a port of Service customer (ports: 8080)');
  });

  test('a VirtualService bound to a gateway that does not exist', () => {
    expect(findingsAfter('VirtualService', 'customer-gateway', (vs) => { vs.spec.gateways = ['customer-gw']; })).toContainEqual(
      'error VirtualService istio-tutorial/customer-gateway spec.gateways[0]: customer-gw names no Gateway');
  });

  test('a Gateway port the ingress gateway does not expose', () => {
    expect(findingsAfter('Gateway', 'customer-gateway', (g) => { g.spec.servers[0].port.number = 9090; })).toContainEqual(
      'warning Gateway istio-tutorial/customer-gateway spec.servers[0].port.number: 9090 is not a port of the Services in front of the gateway pods selected by istio=ingressgateway (ports: 80, 443, 15443, 31400; Istio counts only Service ports written with protocol: TCP)');
  });

  test('weights that do not add up to 100', () => {
    const split = (vs: any) => {
      vs.spec.http[0].route = [
        { destination: { host: 'recommendation', subset: 'v1' }, weight: 80 },
        { destination: { host: 'recommendation', subset: 'v2' }, weight: 30 },
      ];
    };
    expect(findingsAfter('VirtualService', 'recommendation', split)).toContainEqual(
      'error VirtualService istio-tutorial/recommendation spec.http[0].route: weights must add up to 100, got 110 (v1=80, v2=30)');
  });

  test('a route after a catch-all can never match', () => {
    const shadowed = (vs: any) => { vs.spec.http.push({ match: [{ uri: { prefix: '/x' } }], route: vs.spec.http[0].route }); };
    expect(findingsAfter('VirtualService', 'preference', shadowed)).toContainEqual(
      'warning VirtualService istio-tutorial/preference spec.http[1]: can never match: spec.http[0] before it has no match and takes every request');
  });

  test('two VirtualServices for one host in the mesh', () => {
    const twin = structuredClone(base.find((m) => m.kind === 'VirtualService' && m.metadata.name === 'preference')!);
    expect(findingsAfter('Service', 'customer', () => undefined, [{ ...twin, metadata: { ...twin.metadata, name: 'preference-2' } }])).toContainEqual(
      'error VirtualService istio-tutorial/preference-2 spec.hosts[0]: preference.istio-tutorial.svc.cluster.local is also routed in the mesh by istio-tutorial/preference: one of them is ignored');
  });

  test('a missing namespace, a missing ServiceAccount, a duplicate object', () => {
    expect(findingsAfter('Service', 'customer', (s) => { delete s.metadata.namespace; })).toContainEqual(
      expect.stringMatching(/^warning Service customer metadata.namespace: is missing: kubectl puts the object in its current namespace/));
    expect(findingsAfter('Deployment', 'customer', (d) => { d.spec.template.spec.serviceAccountName = 'custmer'; })).toContainEqual(
      'error Deployment istio-tutorial/customer spec.template.spec.serviceAccountName: names ServiceAccount custmer, which is not defined in istio-tutorial');
    const dup = structuredClone(base.find((m) => m.kind === 'Service')!);
    expect(findingsAfter('Service', 'customer', () => undefined, [dup])).toContainEqual(expect.stringMatching(/metadata.name: is defined twice/));
  });

  test('deprecated fields Istio ignores', () => {
    expect(findingsAfter('DestinationRule', 'recommendation', (dr) => {
      dr.spec.trafficPolicy = { outlierDetection: { consecutiveErrors: 1 }, loadBalancer: { simple: 'LEAST_CONN' } };
    })).toEqual(expect.arrayContaining([
      'error DestinationRule istio-tutorial/recommendation spec.trafficPolicy.outlierDetection.consecutiveErrors: is deprecated and ignored by Istio: use consecutive5xxErrors (Istio 1.17 ignores consecutiveErrors)',
      'error DestinationRule istio-tutorial/recommendation spec.trafficPolicy.loadBalancer.simple: LEAST_CONN is deprecated: use LEAST_REQUEST',
    ]));
  });

  test('a meshed pod without a version label (warning)', () => {
    expect(findingsAfter('Deployment', 'customer', (d) => {
      delete d.spec.template.metadata.labels.version;
      delete d.spec.selector.matchLabels.version;
    })).toContainEqual('warning Deployment istio-tutorial/customer spec.template.metadata.labels: a meshed pod without the version label is missing from Istio\'s metrics and traces');
  });
});

describe('schemas', () => {
  const vs = (http: unknown) => ({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'x', namespace: 'y' }, spec: { hosts: ['x'], http } });

  test('an Istio field that is not in the schema is an error, not silently dropped', () => {
    expect(validateSchema(vs([{ fault: { abort: { percent: 50, httpStatus: 500 } }, route: [{ destination: { host: 'x' } }] }]))).toEqual([
      { field: 'spec.http[0].fault.abort.percent', message: 'is not in the schema (the API server would drop it silently)' },
    ]);
    expect(validateSchema(vs([{ fault: { abort: { percentage: { value: 50 }, httpStatus: 500 } }, route: [{ destination: { host: 'x' } }] }]))).toEqual([]);
  });

  test('a wrong type in a Kubernetes object names the field', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: '80' }] } };
    expect(validateSchema(service)).toEqual([{ field: 'spec.ports[0].port', message: 'must be integer' }]);
  });

  test('an unknown kind is reported rather than passed', () => {
    expect(validateSchema({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualServce' })).toEqual([
      { field: 'kind', message: 'no schema for apiVersion networking.istio.io/v1beta1 kind VirtualServce' },
    ]);
  });
});

describe('the model refuses mistakes where they are made', () => {
  const newLab = () => new MeshLab(Testing.app(), 'lab', { namespace: 'lab' });
  const container = { resources: { cpu: 10, memory: 16, memoryLimit: 32 }, security: SecurityProfile.nonRoot(1000) };

  test('asking for a version that does not exist lists the versions', () => {
    const service = newLab().addService('web', { port: 80, container });
    service.addVersion('v1', { image: 'web:1' });
    expect(() => service.version('v3')).toThrow('service web has no version v3 (versions: v1)');
    expect(() => service.addVersion('v1', { image: 'web:1' })).toThrow('service web already has a version v1');
  });

  test('a service without a version fails synthesis validation', () => {
    const lab = newLab();
    lab.addService('web', { port: 80, container });
    expect(lab.node.findAll().flatMap((c) => c.node.validate())).toEqual(['service web has no version: add one with addVersion()']);
  });
});

test('durations render in the largest exact unit', () => {
  expect([Duration.minutes(3), Duration.seconds(7), Duration.millis(500), Duration.seconds(90)].map(istioDuration)).toEqual(['3m', '7s', '500ms', '90s']);
  expect(() => istioDuration(Duration.millis(0))).toThrow(/positive/);
});
