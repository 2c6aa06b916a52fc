// The ambient flavour (--api gateway-api --mode ambient): the waypoint, policies attached to it
// with targetRefs, the steps ambient mode has no form for, and the words of the steps that
// change there. Also the ingress-tls step's secret namespace in both Gateway API flavours.
import { App } from 'cdk8s';
import { IngressGateway, Jwt, MeshLab, WAYPOINT, Waypoint } from '../lib';
import { LabModel, buildModel, unexpressed } from '../lib/app';
import { Flavour } from '../lib/mesh/flavour';
import { Manifest } from './support/synth';
import { validateSchema } from '../imports/schema';
import { SCENARIOS } from '../lib/scenarios/catalog';
import { LABS } from '../lib/labs';
import { find, manifestsOf, synth } from './support/synth';

const { CLASSIC, GATEWAY_API, AMBIENT } = Flavour;

const models = new Map<string, LabModel>();
/** One lab in one flavour, with all its steps (built once per test file). */
function model(lab: string, f: Flavour): LabModel {
  const key = `${lab}/${f.name}`;
  if (!models.has(key)) models.set(key, buildModel({ targets: [lab], flavours: [f] }).labs[0]);
  return models.get(key)!;
}

function step(lab: LabModel, name: string) {
  const found = lab.steps.find((s) => s.applied.preset.scenario.name === name);
  if (!found) throw new Error(`${lab.folder} has no step ${name}`);
  return found;
}

const objectsOf = (lab: LabModel, name: string): readonly Manifest[] => step(lab, name).objects;
const spec = (m: Manifest): any => m.spec; // eslint-disable-line @typescript-eslint/no-explicit-any

function ambientLab() {
  const app = new App({ outdir: 'unused' });
  const lab = new MeshLab(app, 'shop', { namespace: 'shop', flavour: Flavour.AMBIENT });
  return { app, lab };
}

describe('the waypoint of an ambient lab', () => {
  test('an ambient lab writes waypoint.yaml: the Gateway istioctl waypoint generate --for service writes', () => {
    const synthesis = synth({ targets: ['flask'], flavours: [AMBIENT] });
    const objects = synthesis.objects.filter((o) => o.file === 'flask-ambient/waypoint.yaml').map((o) => o.manifest);
    expect(objects).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: model('flask', AMBIENT).base.lab.namespace, labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    }]);
  });

  test('labs with sidecars write no waypoint', () => {
    for (const f of [CLASSIC, GATEWAY_API]) {
      const synthesis = synth({ targets: ['flask'], flavours: [f] });
      expect(synthesis.objects.filter((o) => spec(o.manifest)?.gatewayClassName === 'istio-waypoint')).toEqual([]);
      expect(synthesis.files.map((file) => file.path)).not.toContain(`flask${f.suffix}/waypoint.yaml`);
    }
  });

  test('the namespace sends its Services, ingress traffic included, through the waypoint the lab writes', () => {
    const { lab } = ambientLab();
    expect(lab.waypoint).toBeInstanceOf(Waypoint);
    expect(lab.waypoint!.name).toBe(WAYPOINT);
    const ns = find(manifestsOf(synth({ targets: ['tutorial'], flavours: [AMBIENT] }), 'tutorial-ambient'), 'Namespace', model('tutorial', AMBIENT).base.lab.namespace);
    expect(ns.metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/ingress-use-waypoint': 'true', 'istio.io/use-waypoint': WAYPOINT });
  });
});

describe('policies in ambient mode attach to the waypoint with targetRefs', () => {
  test('authz-deny names the Service, not its pods: the destination ztunnel would see the waypoint as caller', () => {
    const deny = find(objectsOf(model('tutorial', AMBIENT), 'authz-deny'), 'AuthorizationPolicy', 'preference-deny');
    expect(spec(deny).targetRefs).toEqual([{ group: '', kind: 'Service', name: 'preference' }]);
    expect(spec(deny).selector).toBeUndefined();
    for (const f of [CLASSIC, GATEWAY_API]) {
      const sidecar = find(objectsOf(model('tutorial', f), 'authz-deny'), 'AuthorizationPolicy', 'preference-deny');
      expect(spec(sidecar)).toMatchObject({ selector: { matchLabels: { app: 'preference' } } });
      expect(spec(sidecar).targetRefs).toBeUndefined();
    }
  });

  test('authz-allow denies at the waypoint and allows per Service there; HTTP rules and L4 rules alike', () => {
    const objects = objectsOf(model('polyglot', AMBIENT), 'authz-allow');
    expect(spec(find(objects, 'AuthorizationPolicy', 'allow-nothing'))).toEqual({
      action: 'ALLOW', targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
    });
    // service-go's rule has a method (HTTP); redis's names only a principal (L4), and its calls pass the waypoint too.
    expect(spec(find(objects, 'AuthorizationPolicy', 'service-go-allow')).targetRefs).toEqual([{ group: '', kind: 'Service', name: 'service-go' }]);
    expect(spec(find(objects, 'AuthorizationPolicy', 'redis-allow')).targetRefs).toEqual([{ group: '', kind: 'Service', name: 'redis' }]);
    // The only selector policies are ztunnel's, one per service, which admit the waypoint alone (a call to a pod's IP skips it).
    const selectorPolicies = objects.filter((m) => m.kind === 'AuthorizationPolicy' && spec(m).selector !== undefined);
    expect(selectorPolicies.map((m) => m.metadata.name)).toContain('service-go-via-waypoint');
    for (const m of selectorPolicies) {
      expect(m.metadata.name).toMatch(/-via-waypoint$/);
      expect(spec(m).rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/default/sa/waypoint'] } }] }]);
    }
  });

  test('with the Gateway API and sidecars the ingress gateway, in the lab namespace, is let through the deny-all', () => {
    const objects = objectsOf(model('tutorial', GATEWAY_API), 'authz-allow');
    expect(spec(find(objects, 'AuthorizationPolicy', 'customer-gateway-allow'))).toEqual({
      action: 'ALLOW', rules: [{}], targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'customer-gateway' }],
    });
    expect(objectsOf(model('tutorial', CLASSIC), 'authz-allow').map((m) => m.metadata.name)).not.toContain('customer-gateway-allow');
  });

  test('jwt validates tokens and requires one at the Service through the waypoint', () => {
    const objects = objectsOf(model('polyglot', AMBIENT), 'jwt');
    for (const [kind, name] of [['RequestAuthentication', 'httpbin-jwt'], ['AuthorizationPolicy', 'httpbin-require-jwt']]) {
      expect(spec(find(objects, kind, name)).targetRefs).toEqual([{ group: '', kind: 'Service', name: 'httpbin' }]);
      expect(spec(find(objects, kind, name)).selector).toBeUndefined();
    }
  });

  test('jwt at an ingress gateway targets that Gateway; with Istio\'s gateway in istio-system it is refused', () => {
    const { lab } = ambientLab();
    const gateway: IngressGateway = lab.addGateway('shop-gateway');
    new Jwt(lab, 'jwt', { gateway, issuer: 'me@example.com', jwksUri: 'https://example.com/jwks.json' });
    const objects: Manifest[] = lab.toJson();
    const authn = objects.find((o) => o.kind === 'RequestAuthentication')!;
    expect(authn.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shop-gateway' }]);
    expect(objects.find((o) => o.kind === 'AuthorizationPolicy')!.spec.targetRefs).toEqual(authn.spec.targetRefs);

    const classic = new MeshLab(new App({ outdir: 'unused' }), 'shop', { namespace: 'shop' });
    const istioGateway = classic.addGateway('shop-gateway');
    expect(() => new Jwt(classic, 'jwt', { gateway: istioGateway, issuer: 'me@example.com', jwksUri: 'https://example.com/jwks.json' }))
      .toThrow(/jwt: gateway shop-gateway is Istio's ingress gateway in istio-system/);
  });

  test.each(LABS.map((l) => l.name))('%s-ambient: every targetRef of every step names a Service, Gateway or ServiceEntry of the lab', (name) => {
    const lab = model(name, AMBIENT);
    const base = manifestsOf(synth({ targets: [name], flavours: [AMBIENT] }), lab.folder);
    let refs = 0;
    for (const s of lab.steps) {
      const objects = [...base, ...s.objects];
      for (const policy of s.objects.filter((m) => spec(m)?.targetRefs)) {
        for (const ref of spec(policy).targetRefs) {
          refs += 1;
          const group = { Service: '', Gateway: 'gateway.networking.k8s.io', ServiceEntry: 'networking.istio.io' }[ref.kind as string];
          expect([ref.group, objects.some((m) => m.kind === ref.kind && m.metadata.name === ref.name && m.metadata.namespace === policy.metadata.namespace)])
            .toEqual([group, true]);
        }
      }
    }
    // A lab with authz or jwt steps has policies to check.
    const secured = lab.steps.some((s) => ['authz-deny', 'authz-allow', 'jwt'].includes(s.applied.preset.scenario.name));
    expect(refs > 0).toBe(secured);
  });
});

describe("the Istio schemas accept targetRefs as Istio 1.30's CRDs do", () => {
  const policy = (spec: object) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, spec });
  const service = { group: '', kind: 'Service', name: 'web' };

  test('targetRefs to a Service or a Gateway is valid on AuthorizationPolicy and RequestAuthentication', () => {
    expect(validateSchema(policy({ action: 'ALLOW', targetRefs: [service] }))).toEqual([]);
    expect(validateSchema({ ...policy({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], jwtRules: [{ issuer: 'me' }] }), kind: 'RequestAuthentication' })).toEqual([]);
  });

  test('selector and targetRefs together, a cross-namespace or misspelt reference are refused', () => {
    expect(validateSchema(policy({ selector: { matchLabels: { app: 'web' } }, targetRefs: [service] })))
      .toEqual([{ field: 'spec', message: 'only one of targetRefs or selector can be set' }]);
    expect(validateSchema(policy({ targetRefs: [{ ...service, namespace: 'other' }] })).map((p) => p.field)).toEqual(['spec.targetRefs[0].namespace']);
    expect(validateSchema(policy({ targetRefs: [{ ...service, nmae: 'x' }] }))).toContainEqual({ field: 'spec.targetRefs[0].nmae', message: 'is not in the schema (the API server would drop it silently)' });
  });
});

describe('steps with no ambient form are left out, with why', () => {
  const EnvoyFilterOrSidecarSteps = ['timeout', 'retry', 'rate-limit', 'egress'];

  test('ambient leaves out the steps whose form is an EnvoyFilter in a sidecar or the Sidecar resource', () => {
    const skipped = model('polyglot', AMBIENT).skipped;
    // timeout and retry call httpbin's own /delay and /status in ambient: no EnvoyFilter, so they stay.
    expect(skipped.map((s) => s.scenario).sort()).toEqual(['egress', 'rate-limit']);
    expect(skipped.find((s) => s.scenario === 'rate-limit')!.reason).toMatch(/ambient pods have no sidecar/);
    expect(skipped.find((s) => s.scenario === 'egress')!.reason).toMatch(/REGISTRY_ONLY.*only sidecars read/);
    expect(model('polyglot', AMBIENT).steps.map((s) => s.applied.preset.scenario.name)).toEqual(expect.arrayContaining(['timeout', 'retry']));
    // The tutorial's images cannot wait on request: its timeout delays recommendation's route one hop below preference's, which times out.
    expect(model('tutorial', AMBIENT).skipped.map((s) => s.scenario).sort()).toEqual(['egress', 'rate-limit']);
    expect(model('tutorial', AMBIENT).steps.map((s) => s.applied.preset.scenario.name)).toEqual(expect.arrayContaining(['timeout', 'retry']));
  });

  test('a delay or an abort asked of a sidecar with --set is refused in ambient, with why', () => {
    const polyglot = LABS.find((l) => l.name === 'polyglot')!;
    expect(unexpressed(polyglot, ['retry'], AMBIENT)).toEqual([]);
    expect(unexpressed(polyglot, ['retry'], AMBIENT, { 'retry.abort': '50' })[0].reason).toMatch(/EnvoyFilter adds in the callee's own sidecar/);
    expect(unexpressed(polyglot, ['timeout'], AMBIENT, { 'timeout.delay': '1s' })[0].reason).toMatch(/EnvoyFilter adds in the callee's own sidecar/);
  });

  test('the sidecar flavours keep them all', () => {
    for (const f of [CLASSIC, GATEWAY_API]) {
      for (const name of EnvoyFilterOrSidecarSteps) {
        const needs = SCENARIOS.find((s) => s.name === name)!.needs ?? {};
        expect(f.unsupported(typeof needs === 'function' ? needs({ delay: '1s', abort: '50' }) : needs)).toBeUndefined();
      }
    }
  });

  test('fault steps stay in ambient, their VirtualService at the waypoint, and are marked Alpha in the words of istio.io', () => {
    const lab = model('tutorial', AMBIENT);
    const abort = step(lab, 'fault-abort');
    expect(abort.objects.map((m) => m.kind)).toContain('VirtualService');
    expect(abort.absent.map((m) => `${m.kind}/${m.metadata.name}`)).toContain('HTTPRoute/recommendation');
    expect(abort.applied.preset.scenario.expect(abort.applied.values, abort.applied.lab)).toMatch(/^.*Alpha in ambient mode: the waypoint applies this host's VirtualService, and istio.io says "VirtualService support with waypoints is Alpha"/);
    const sidecar = step(model('tutorial', GATEWAY_API), 'fault-abort');
    expect(sidecar.applied.preset.scenario.expect(sidecar.applied.values, sidecar.applied.lab)).not.toMatch(/alpha/i);
  });
});

describe('steps that stay name the waypoint where sidecars did the work', () => {
  const expectOf = (lab: string, f: Flavour, name: string) => {
    const s = step(model(lab, f), name);
    return s.applied.preset.scenario.expect(s.applied.values, s.applied.lab);
  };

  test.each([['polyglot', 'cors', /answered by the waypoint with 200/], ['polyglot', 'mirror', /the waypoint's access log \(the last command above\)/],
    ['polyglot', 'connection-pool', /the waypoint's access log, which holds the pool,/], ['tutorial', 'circuit-breaker', /the waypoint's access log, which holds the pool,/]])('%s %s', (lab, name, words) => {
    expect(expectOf(lab, AMBIENT, name)).toMatch(words as RegExp);
    expect(expectOf(lab, GATEWAY_API, name)).not.toMatch(/waypoint/);
  });
});

describe('what the mtls step says and writes in ambient mode', () => {
  test('ambient workloads use mTLS already; STRICT refuses plain text from outside the mesh', () => {
    const mtls = step(model('polyglot', AMBIENT), 'mtls');
    const text = mtls.applied.preset.scenario.expect(mtls.applied.values, mtls.applied.lab);
    expect(text).toMatch(/ztunnel already sends every call between ambient workloads over mutual TLS \(HBONE/);
    expect(text).toMatch(/a caller that is not in the mesh \(sleep.legacy\) gets "connection reset by peer"/);
    const classic = step(model('polyglot', CLASSIC), 'mtls');
    expect(classic.applied.preset.scenario.expect(classic.applied.values, classic.applied.lab)).toMatch(/^meshed callers still succeed \(their sidecars use mTLS\)/);
  });

  test('the matrix namespaces foo and bar join ambient mode, legacy stays out', () => {
    const labels = (f: Flavour) => Object.fromEntries(objectsOf(model('polyglot', f), 'mtls')
      .filter((m) => m.kind === 'Namespace' && ['foo', 'bar', 'legacy'].includes(m.metadata.name)).map((m) => [m.metadata.name, m.metadata.labels]));
    expect(labels(AMBIENT)).toEqual({ foo: { 'istio.io/dataplane-mode': 'ambient' }, bar: { 'istio.io/dataplane-mode': 'ambient' }, legacy: { 'istio-injection': 'disabled' } });
    expect(labels(CLASSIC).foo).toEqual({ 'istio-injection': 'enabled' });
  });
});

describe('ingress-tls keeps the certificate where the gateway reads it', () => {
  test.each([['gateway-api', 'default'], ['ambient', 'default'], ['classic', 'istio-system']])('%s: prepare, cleanup and expect name namespace %s', (name, namespace) => {
    const tls = step(model('polyglot', Flavour.ALL.find((f) => f.name === name)!), 'ingress-tls');
    const { scenario } = tls.applied.preset;
    expect(scenario.prepare!(tls.applied.values, tls.applied.lab)[1]).toBe(`kubectl -n ${namespace} create secret tls istio-lab-credential --cert=istio-lab.example.com.crt --key=istio-lab.example.com.key`);
    expect(scenario.cleanup!(tls.applied.values, tls.applied.lab)).toEqual([`kubectl -n ${namespace} delete secret istio-lab-credential`]);
    expect(scenario.expect(tls.applied.values, tls.applied.lab).includes(`in namespace ${namespace}`)).toBe(namespace !== 'istio-system');
  });
});
