import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../lib/cli/run';
import { LABS } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { COMMANDS_FROM, labFolder } from '../lib/output/steps';
import { buildModel } from '../lib/app';
import { synthesizeOutput } from '../lib/output/synthesize';
import { DEMO_ISSUER } from '../lib/scenarios/catalog';
import { GATEWAY_API_VERSION } from '../lib/platform/release';
import { Manifest } from './support/synth';
import { Call, World, commandLines, commandsOf, guideSections, labObjects, parseUrl, parseYaml, revertBlock } from './support/guide-commands';

const output = synthesizeOutput(buildModel());
const guideOf = (lab: string, files = output.files) => files.find((f) => f.path === `${lab}/README.md`)!.content;
const sectionOf = (lab: string, step: string, files = output.files) => guideSections(guideOf(lab, files)).find((s) => s.step === step)!.text;
/** Every output folder of a lab: each lab in each flavour. */
const FOLDERS = LABS.flatMap((l) => Flavour.ALL.map((f) => f.folder(l.name)));
/** The folders with a step `scenario` (a flavour may leave a step out). */
const foldersWith = (scenario: string) => FOLDERS.filter((folder) => output.files.some((f) => f.path === `${folder}/steps/${scenario}.yaml`));
/** The classic folders with a step `scenario`. */
const labsWith = (scenario: string) => foldersWith(scenario).filter((folder) => LABS.some((l) => Flavour.CLASSIC.folder(l.name) === folder));
/** The folders where a step's file holds an EnvoyFilter: the step acts in a service's own sidecar. */
const withEnvoyFilter = (step: string) => (folder: string) => parseYaml(output.files.find((f) => f.path === `${folder}/steps/${step}.yaml`)!.content).some((m) => m.kind === 'EnvoyFilter');
const isGatewayApi = (m: Manifest) => m.apiVersion.startsWith('gateway.networking.k8s.io/');
const one = (objects: readonly Manifest[], kind: string) => {
  const found = objects.filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
};

/** Runs every command of a guide against the lab's output; returns the world with its problems and calls. */
function walk(lab: string, files = output.files, outDir = COMMANDS_FROM): World {
  const world = new World(outDir, files);
  for (const section of guideSections(guideOf(lab, files))) {
    world.run(commandLines(section.text), labObjects(files, lab, section.step));
  }
  return world;
}

/** The requests one step section makes, from the machine or from inside the cluster. */
function callsOf(lab: string, step: string): Call[] {
  const world = new World(COMMANDS_FROM, output.files);
  // The top defines INGRESS_HOST and friends.
  world.run(commandLines(guideSections(guideOf(lab))[0].text), labObjects(output.files, lab));
  const before = world.calls.length;
  world.run(commandLines(sectionOf(lab, step)), labObjects(output.files, lab, step));
  expect(world.problems).toEqual([]);
  return world.calls.slice(before);
}

describe.each(FOLDERS)('guide of %s', (lab) => {
  test('every command names its namespace, and every pod, Deployment, container, Service, port and file it names is in the output', () => {
    const world = walk(lab);
    expect(world.problems).toEqual([]);
  });

  test('the top says how to wait until the lab is ready and, with a gateway, how to find the ingress address', () => {
    const top = guideSections(guideOf(lab))[0].text;
    const objects = labObjects(output.files, lab);
    const namespace = objects.find((m) => m.kind === 'Namespace')!.metadata.name;
    const lines = commandLines(top);
    expect(lines).toContain(`kubectl -n ${namespace} wait --for=condition=available deployment --all --timeout=300s`);
    // A waypoint is ready once programmed; ambient pods have no sidecar.
    for (const waypoint of objects.filter((m) => m.kind === 'Gateway' && m.spec.gatewayClassName === 'istio-waypoint')) {
      expect(lines).toContain(`kubectl -n ${namespace} wait --for=condition=programmed gateway/${waypoint.metadata.name} --timeout=300s`);
    }
    const ambient = objects.some((m) => m.kind === 'Namespace' && m.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient');
    expect(top).toContain(ambient ? 'every pod READY 1/1 (ambient mode adds no sidecar)' : 'every pod READY 2/2');
    const ingress = objects.filter((m) => m.kind === 'Gateway' && m.spec.gatewayClassName !== 'istio-waypoint');
    if (ingress.length === 0) {
      expect(top).not.toContain('$INGRESS_HOST');
      return;
    }
    if (isGatewayApi(ingress[0])) {
      // The Gateway's own address once programmed, or a node and the NodePorts of the Service istiod made for it.
      const name = ingress[0].metadata.name;
      expect(lines).toEqual(expect.arrayContaining([
        `kubectl -n ${namespace} wait --for=condition=programmed gateway/${name} --timeout=300s`,
        `export INGRESS_HOST=$(kubectl -n ${namespace} get gateway ${name} -o jsonpath='{.status.addresses[0].value}') INGRESS_PORT=80 SECURE_INGRESS_PORT=443`,
        `export INGRESS_HOST=$(kubectl -n ${namespace} get pod -l gateway.networking.k8s.io/gateway-name=${name} -o jsonpath='{.items[0].status.hostIP}')`,
        `export INGRESS_PORT=$(kubectl -n ${namespace} get svc ${name}-istio -o jsonpath='{.spec.ports[?(@.name=="http")].nodePort}')`,
      ]));
      expect(top).not.toContain('istio-ingressgateway');
    } else {
      // A load balancer, the externalIPs of --ingress-ip, a node with the NodePorts.
      expect(lines).toEqual(expect.arrayContaining([
        expect.stringMatching(/^export INGRESS_HOST=\$\(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='\{\.status\.loadBalancer\.ingress\[0\]\.ip\}'\) INGRESS_PORT=80/),
        expect.stringMatching(/^export INGRESS_HOST=\$\(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='\{\.spec\.externalIPs\[0\]\}'\) INGRESS_PORT=80/),
        expect.stringMatching(/^export INGRESS_HOST=\$\(kubectl -n istio-system get pod -l istio=ingressgateway -o jsonpath='\{\.items\[0\]\.status\.hostIP\}'\)$/),
        `export INGRESS_PORT=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.spec.ports[?(@.name=="http2")].nodePort}')`,
      ]));
    }
    // Every use of the address comes after it is set (the walk checks the order).
    expect(guideOf(lab).indexOf('$INGRESS_HOST')).toBeGreaterThan(top.indexOf('export INGRESS_HOST'));
  });
});

test('a guide written with --ingress-ip names the address the externalIPs line will find', () => {
  const top = guideSections(guideOf('fft', synthesizeOutput(buildModel({ targets: ['fft'], platform: { ingressExternalIPs: ['192.168.0.252'] } })).files))[0].text;
  expect(top).toContain('written with `--ingress-ip 192.168.0.252`, so b) gives `INGRESS_HOST=192.168.0.252`');
  expect(guideSections(guideOf('fft'))[0].text).not.toContain('--ingress-ip 1');
});

describe('the command reader catches what the guides must not do', () => {
  const run = (lines: string[], lab = 'tutorial') => {
    const world = new World(COMMANDS_FROM, output.files);
    world.defined.add('INGRESS_HOST').add('INGRESS_PORT');
    world.run(lines, labObjects(output.files, lab));
    return world.problems.map((p) => p.split('\n')[0]);
  };

  test.each([
    ['kubectl logs -l app=recommendation -c recommendation', 'kubectl logs names no namespace (-n)'],
    ['kubectl -n istio-tutorial exec deploy/recommendation -c recommendation -- curl -s localhost:8080', 'no pod deploy/recommendation in namespace istio-tutorial'],
    ['kubectl -n istio-tutorial exec deploy/customer -c sleep -- curl -s http://preference:8080/', 'Deployment/customer in istio-tutorial has no container sleep (customer, istio-proxy)'],
    ['kubectl -n istio-tutorial exec deploy/customer -- curl -s http://preference:8080/', 'kubectl exec names no container (-c): the pods also run istio-proxy'],
    ['kubectl -n istio-tutorial exec deploy/customer -c customer -- curl -s http://preference/', 'Service istio-tutorial/preference has no port 80 (ports: 8080)'],
    ['kubectl -n istio-tutorial exec deploy/customer -c customer -- curl -s http://httpbin:8000/', 'no Service httpbin in namespace istio-tutorial'],
    ['curl -s http://$INGRESS_HOST/customer', 'http://$INGRESS_HOST needs port $INGRESS_PORT (the NodePort when there is no load balancer)'],
    ['curl -s http://$INGRESS_HOST:$INGRESS_PORT/nowhere', 'no VirtualService or HTTPRoute on a gateway routes /nowhere'],
    ['curl -s http://customer:8080/', "customer is a name inside the cluster, which the learner's machine cannot reach"],
    ['kubectl apply -f dist/tutorial/steps/siege.yaml', 'dist/tutorial/steps/siege.yaml is not written by the synthesis'],
    ['kubectl -n istio-tutorial delete envoyfilter recommendation-abort', 'no envoyfilter recommendation-abort in namespace istio-tutorial to delete'],
    // Beside the Gateway API's CRDs, kubectl takes a bare `gateway` for theirs: Istio's is gateway.networking.istio.io.
    ['kubectl -n istio-tutorial delete gateway customer-gateway', 'no gateway customer-gateway in namespace istio-tutorial to delete'],
    ['curl -sk https://$SECURE_HOST/', '$SECURE_HOST is used before it is set'],
  ])('%s', (line, problem) => {
    expect(run([line])).toEqual([problem]);
  });

  test.each([
    ['tutorial-gateway-api', 'kubectl -n istio-tutorial delete httproute preference-canary', 'no httproute preference-canary in namespace istio-tutorial to delete'],
    ['tutorial-gateway-api', "export INGRESS_HOST=$(kubectl -n istio-tutorial get gateway customer -o jsonpath='{.status.addresses[0].value}')", 'no Gateway customer in namespace istio-tutorial'],
    ['tutorial-gateway-api', 'kubectl -n istio-tutorial wait --for=condition=available gateway/customer-gateway --timeout=300s', 'gateway/customer-gateway: a Gateway is waited for with --for=condition=programmed'],
    ['tutorial-gateway-api', "export INGRESS_PORT=$(kubectl -n istio-tutorial get svc customer-gateway -o jsonpath='{.spec.ports[0].nodePort}')", 'no Service customer-gateway in namespace istio-tutorial'],
    ['tutorial-gateway-api', 'curl -s http://$INGRESS_HOST:$INGRESS_PORT/preference', 'no VirtualService or HTTPRoute on a gateway routes /preference'],
    ['tutorial-gateway-api', 'istioctl install -f dist/platform/istioctl/istio-1.29-demo.yaml -y', 'dist/platform/istioctl/istio-1.29-demo.yaml is not written by the synthesis'],
    ['tutorial-gateway-api', 'kubectl apply --server-side -f https://example.com/crds.yaml', 'https://example.com/crds.yaml is not a Gateway API CRD release'],
    ['tutorial-ambient', 'kubectl -n istio-tutorial logs -l app=recommendation -c istio-proxy --tail=5', 'Deployment/recommendation-v1 in istio-tutorial has no container istio-proxy (recommendation)'],
  ])('%s: %s', (lab, line, problem) => {
    expect(run([line], lab)).toEqual([problem]);
  });

  test('what istiod deploys for a Gateway API Gateway is there to reach: its Service, pods and NodePorts', () => {
    expect(run([
      "export INGRESS_HOST=$(kubectl -n istio-tutorial get pod -l gateway.networking.k8s.io/gateway-name=customer-gateway -o jsonpath='{.items[0].status.hostIP}')",
      "export INGRESS_PORT=$(kubectl -n istio-tutorial get svc customer-gateway-istio -o jsonpath='{.spec.ports[?(@.name==\"http\")].nodePort}')",
      'kubectl -n istio-tutorial wait --for=condition=available deployment/customer-gateway-istio --timeout=300s',
      'curl -s http://$INGRESS_HOST:$INGRESS_PORT/customer',
    ], 'tutorial-gateway-api')).toEqual([]);
  });

  test('loops run once per word, with the word filled in', () => {
    expect(commandsOf('for a in x y; do for b in 1 2; do echo $a$b; done; done').map((c) => c.words.join(' '))).toEqual(['echo x1', 'echo x2', 'echo y1', 'echo y2']);
  });
});

describe('guides are the same wherever they are written: commands run from the repository root and name dist/<lab>/, as the README does', () => {
  test.each(['tutorial', 'polyglot'])('%s: paths read dist/<lab>/ and name only files the output holds', (lab) => {
    expect(walk(lab).problems).toEqual([]);
    expect(guideOf(lab)).not.toMatch(/\.\/(polyglot|tutorial|flask|fft|platform)/);
    expect(guideOf(lab)).not.toContain('cd dist');
    expect(guideOf(lab)).toContain(`kubectl apply -f dist/${lab}/steps/canary.yaml`);
    for (const f of output.files.filter((x) => x.path.startsWith(`${lab}/steps/`))) expect(f.content).toMatch(/^# Apply on the lab: kubectl apply -f dist\//m);
  });

  test('--out and CDK8S_OUTDIR write the same guides as the committed dist/', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-guides-'));
    try {
      const quiet = { out: () => undefined, err: () => undefined };
      const committed = fs.readFileSync(path.join(__dirname, '..', 'dist', 'flask', 'README.md'), 'utf8');
      expect(run(['--lab', 'flask', '--out', path.join(dir, 'a')], {}, quiet)).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'a', 'flask', 'README.md'), 'utf8')).toBe(committed);
      expect(run(['--lab', 'flask'], { CDK8S_OUTDIR: path.join(dir, 'b') }, quiet)).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'b', 'flask', 'README.md'), 'utf8')).toBe(committed);
      expect(committed).toContain('kubectl apply -f dist/flask/steps/route.yaml');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a folder the shell would split is quoted', () => {
    expect(labFolder('my labs/', 'flask')).toBe("'my labs/flask/'");
    expect(labFolder('out\\win', 'flask')).toBe('out/win/flask/');
  });
});

describe("a step's revert never deletes the lab's own objects", () => {
  /** `kubectl delete` targets of a revert, as Kind/namespace/name (Kind lower-case, as kubectl takes it). */
  const deletes = (lines: readonly string[]) => lines.flatMap((l) => commandsOf(l)).filter((c) => c.words[0] === 'kubectl' && c.words.includes('delete')).flatMap((c) => {
    const w = c.words.filter((x, i) => !x.startsWith('-') && c.words[i - 1] !== '-n');
    // `gateway.networking.istio.io`: the kind is the resource's first part.
    return w[2] === 'namespace' ? w.slice(3).map((n) => `namespace//${n}`) : [`${w[2].split('.')[0]}/${c.words[c.words.indexOf('-n') + 1]}/${w[3]}`];
  });
  const keyOf = (m: Manifest) => (m.kind === 'Namespace' ? `namespace//${m.metadata.name}` : `${m.kind.toLowerCase()}/${m.metadata.namespace}/${m.metadata.name}`);

  // Every step of every flavour whose revert deletes something, switched on in the lab's own files (as meshlab.config.json does).
  const all = LABS.flatMap((l) => Flavour.ALL.flatMap((f) => l.scenarios.map((p) => [l.name, f.folder(l.name), p.scenario.name] as const)))
    .filter(([, folder, step]) => output.files.some((f) => f.path === `${folder}/steps/${step}.yaml`));
  const deleting = all.filter(([, folder, step]) => revertBlock(sectionOf(folder, step)).some((l) => / delete /.test(l)));
  const adding = all.filter(([, folder, step]) => /^- Adds: (?!nothing)/m.test(sectionOf(folder, step))).map(([, folder, step]) => [folder, step] as const);
  // One synthesis per lab and step, which writes every flavour of the lab.
  const deletingSteps = [...new Set(deleting.map(([lab, , step]) => `${lab} ${step}`))].map((k) => k.split(' ') as [string, string]);

  test('the steps that add objects are the ones expected', () => {
    expect(adding.length).toBeGreaterThanOrEqual(14);
    expect(deleting.map((s) => `${s[1]} ${s[2]}`)).toEqual(expect.arrayContaining(['polyglot ingress-tls', 'fft ingress-tls', 'tutorial-gateway-api fault-abort']));
  });

  test.each(deletingSteps)('%s %s, with the step on in the flags file, in every flavour', (lab, step) => {
    const on = synthesizeOutput(buildModel({ targets: [lab], scenarios: { [lab]: { scenarios: [step] } } }));
    expect(on.findings).toEqual([]);
    for (const [, folder] of deleting.filter(([l, , s]) => l === lab && s === step)) {
      // The lab's objects, and the certificate secrets its Gateways use (Istio's from istio-system, the Gateway API's from their own namespace).
      const gateways = labObjects(on.files, folder).filter((m) => m.kind === 'Gateway');
      const base = new Set([
        ...labObjects(on.files, folder).map(keyOf),
        ...gateways.flatMap((m) => m.spec.servers ?? []).filter((s: any) => s.tls?.credentialName) // eslint-disable-line @typescript-eslint/no-explicit-any
          .map((s: any) => `secret/istio-system/${s.tls.credentialName}`), // eslint-disable-line @typescript-eslint/no-explicit-any
        ...gateways.flatMap((m) => (m.spec.listeners ?? []).flatMap((l: any) => (l.tls?.certificateRefs ?? []).map((r: any) => `secret/${m.metadata.namespace}/${r.name}`))), // eslint-disable-line @typescript-eslint/no-explicit-any
      ]);
      const header = on.files.find((f) => f.path === `${folder}/steps/${step}.yaml`)!.content.match(/^# Revert: (.*)$/m)![1];
      const revert = revertBlock(sectionOf(folder, step, on.files));
      for (const lines of [revert, [header]]) {
        expect(deletes(lines).filter((k) => base.has(k))).toEqual([]);
        expect(lines.join('\n')).toContain(`kubectl apply -f dist/${folder}/`);
      }
    }
  });

  test.each(adding)('%s %s, on the plain lab: the revert deletes exactly what the step added', (lab, step) => {
    const base = new Set(labObjects(output.files, lab).map(keyOf));
    const added = parseYaml(output.files.find((f) => f.path === `${lab}/steps/${step}.yaml`)!.content).map(keyOf).filter((k) => !base.has(k));
    const namespaces = added.filter((k) => k.startsWith('namespace//')).map((k) => k.slice('namespace//'.length));
    const expected = added.filter((k) => k.startsWith('namespace//') || !namespaces.includes(k.split('/')[1]));
    expect(deletes(revertBlock(sectionOf(lab, step))).sort()).toEqual(expected.sort());
  });
});

describe('timeout and retry steps show their effect with images that neither wait nor fail', () => {
  const seconds = (d: string) => Number(/^([\d.]+)(ms|s)$/.exec(d)![1]) / (d.endsWith('ms') ? 1000 : 1);

  /** The EnvoyFilter fault of a step in the inbound sidecar of the step's service, with the pods it selects. */
  function sidecarFault(lab: string, step: string) {
    const objects = labObjects(output.files, lab, step);
    const filter = one(parseYaml(output.files.find((f) => f.path === `${lab}/steps/${step}.yaml`)!.content), 'EnvoyFilter');
    const patch = filter.spec.configPatches[0];
    expect(patch.match.context).toBe('SIDECAR_INBOUND');
    expect(patch.patch).toMatchObject({ operation: 'INSERT_BEFORE', value: { typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } } });
    expect(patch.match.listener.filterChain.filter.subFilter).toEqual({ name: 'envoy.filters.http.router' });
    const selects = (labels: Record<string, string>) => Object.entries(filter.spec.workloadSelector.labels).every(([k, v]) => labels[k] === v);
    const pods = objects.filter((m) => m.kind === 'Deployment' && selects(m.spec.template.metadata.labels));
    return { fault: patch.patch.value.typed_config, pods, objects };
  }

  /** The route of a step that carries `field` (a VirtualService's http route, or an HTTPRoute's rule), with the Service it routes. */
  function routeWith(objects: readonly Manifest[], field: 'timeout' | 'retries') {
    const vs = objects.find((m) => m.kind === 'VirtualService' && m.spec.http?.some((r: any) => r[field])); // eslint-disable-line @typescript-eslint/no-explicit-any
    if (vs) {
      const r = vs.spec.http.find((x: any) => x[field]); // eslint-disable-line @typescript-eslint/no-explicit-any
      return { host: vs.spec.hosts[0], fault: r.fault, timeout: r.timeout, retryOn: r.retries?.retryOn ?? (r.retries ? 'retriable-status-codes' : undefined) };
    }
    // The Gateway API: timeouts.request, and retry with the status codes to retry.
    const route = objects.find((m) => m.kind === 'HTTPRoute' && m.spec.rules.some((r: any) => (field === 'timeout' ? r.timeouts?.request : r.retry)))!; // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = route.spec.rules.find((x: any) => (field === 'timeout' ? x.timeouts?.request : x.retry)); // eslint-disable-line @typescript-eslint/no-explicit-any
    return { host: route.spec.parentRefs[0].name, fault: undefined, timeout: r.timeouts?.request, retryOn: r.retry ? r.retry.codes.join(',') : undefined };
  }

  test.each(foldersWith('timeout').filter(withEnvoyFilter('timeout')))('%s: the callee answers later than the timeout, delayed in its own sidecar, and the guide says so', (lab) => {
    const { fault, pods, objects } = sidecarFault(lab, 'timeout');
    const timed = routeWith(objects, 'timeout');
    expect(timed.fault).toBeUndefined();
    expect(seconds(fault.delay.fixed_delay)).toBeGreaterThan(seconds(timed.timeout));
    expect(fault.delay.percentage).toEqual({ numerator: 100, denominator: 'HUNDRED' });
    // The delayed pods are pods of the timed-out host.
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) expect(p.spec.template.metadata.labels.app).toBe(objects.find((m) => m.kind === 'Service' && m.metadata.name === timed.host)!.spec.selector.app);
    const section = sectionOf(lab, 'timeout');
    expect(section).toMatch(/504 "upstream request timeout"/);
    expect(section).toMatch(/EnvoyFilter\s+delays .* in its own sidecar, below the route that times out/);
  });

  test('a delay within the timeout is described as what it is: nothing times out', () => {
    const on = synthesizeOutput(buildModel({ targets: ['tutorial'], scenarios: { tutorial: { scenarios: ['timeout'], set: { 'timeout.timeout': '5s' } } } }));
    expect(sectionOf('tutorial', 'timeout', on.files)).toContain('recommendation v2 now answers after 3s, within the 5s timeout, so nothing times out: set timeout.delay longer than timeout.timeout');
    expect(sectionOf('tutorial', 'timeout')).toContain('recommendation v2 now answers after 3s, longer than the 1s timeout');
  });

  test.each(foldersWith('retry').filter(withEnvoyFilter('retry')))('%s: the callee fails some requests in its own sidecar with a status the route retries, and the guide shows the retries', (lab) => {
    const { fault, pods, objects } = sidecarFault(lab, 'retry');
    const retried = routeWith(objects, 'retries');
    expect(retried.fault).toBeUndefined();
    expect(fault.abort.http_status).toBe(503);
    expect(fault.abort.percentage.numerator).toBeGreaterThan(0);
    expect(fault.abort.percentage.numerator).toBeLessThan(100);
    // 5xx (or Istio's default retriable 503, or the HTTPRoute's codes) covers it.
    expect(retried.retryOn).toMatch(/5xx|retriable-status-codes|gateway-error|\b503\b/);
    expect(pods.length).toBeGreaterThan(0);
    const section = sectionOf(lab, 'retry');
    const app = pods[0].spec.template.metadata.labels.app;
    expect(commandLines(section)).toContain(`kubectl -n ${pods[0].metadata.namespace} logs -l app=${app} -c istio-proxy --tail=20`);
    expect(section).toMatch(/response flag FI .* same x-request-id/);
  });

  test('outside the classic flavour timeout and retry write no EnvoyFilter, so every lab with them has them in ambient', () => {
    const classic = (folder: string) => LABS.some((l) => Flavour.CLASSIC.folder(l.name) === folder);
    expect(foldersWith('retry').filter((f) => !classic(f) && withEnvoyFilter('retry')(f))).toEqual([]);
    for (const lab of labsWith('retry')) expect(foldersWith('retry')).toContain(Flavour.AMBIENT.folder(lab));
    // Timeout too: every lab with the step has it in ambient, with no EnvoyFilter outside the classic flavour.
    expect(foldersWith('timeout').filter((f) => !classic(f) && withEnvoyFilter('timeout')(f))).toEqual([]);
    for (const lab of labsWith('timeout')) expect(foldersWith('timeout')).toContain(Flavour.AMBIENT.folder(lab));
  });

  test.each(foldersWith('timeout').filter((f) => !withEnvoyFilter('timeout')(f)))('%s: without an EnvoyFilter, the delay that shows the timeout is longer than it: httpbin asked to wait, or a route fault one hop below', (lab) => {
    const objects = labObjects(output.files, lab, 'timeout');
    const timed = routeWith(objects, 'timeout');
    const section = sectionOf(lab, 'timeout');
    const below = objects.find((m) => m.kind === 'VirtualService' && m.spec.http?.some((r: { fault?: { delay?: unknown } }) => r.fault?.delay));
    if (below) {
      // istio.io's request-timeouts pattern: the callee's route delays, the caller's route times out.
      const delay = below.spec.http.find((r: { fault?: { delay?: unknown } }) => r.fault?.delay).fault.delay.fixedDelay;
      expect(below.spec.hosts[0]).not.toBe(timed.host);
      expect(seconds(delay)).toBeGreaterThan(seconds(timed.timeout));
      expect(section).toContain(`fail after ${timed.timeout} with 504 "upstream request timeout"; no EnvoyFilter is needed`);
      return;
    }
    const waits = [...section.matchAll(/for d in ([\d ]+); do .*\/delay\/\$d/g)].flatMap((m) => m[1].trim().split(' ').map(Number));
    expect(Math.max(...waits)).toBeGreaterThan(seconds(timed.timeout));
    expect(section).toContain(`that call gets 504 after ${timed.timeout}`);
  });

  test.each(foldersWith('retry').filter((f) => !withEnvoyFilter('retry')(f)))('%s: the guide makes the callee fail with a status the route retries, and undoes what it made', (lab) => {
    const retried = routeWith(labObjects(output.files, lab, 'retry'), 'retries');
    expect(retried.retryOn).toMatch(/\b503\b/);
    const section = sectionOf(lab, 'retry');
    expect(commandLines(section).some((l) => /\/status\/503:|\/misbehave/.test(l))).toBe(true);
    expect(section).toContain('no EnvoyFilter is needed, the image fails on request');
  });

  test.each(FOLDERS)('%s: a pod made to /misbehave is made to /behave in the revert', (lab) => {
    for (const { step, text } of guideSections(guideOf(lab)).filter((s) => s.text.includes('/misbehave'))) {
      const revert = revertBlock(text);
      const misbehave = commandLines(text).find((l) => l.includes('/misbehave'))!;
      expect(revert).toContain(misbehave.replace('/misbehave', '/behave'));
      // Made to behave before the revert scales the pods away.
      expect(revert.findIndex((l) => l.includes('/behave'))).toBeLessThan(revert.findIndex((l) => l.startsWith('kubectl apply')));
      // The same pod: the variable is set the same way in both.
      const assign = commandLines(text).find((l) => l.startsWith('POD='));
      if (misbehave.includes('$POD')) expect(revert).toContain(assign);
      expect(step).toBeDefined();
    }
  });
});

describe('steps that need more than a manifest', () => {
  test.each(foldersWith('egress'))('%s egress: registry-only inside the step, one call allowed and one blocked', (lab) => {
    const stepObjects = parseYaml(output.files.find((f) => f.path === `${lab}/steps/egress.yaml`)!.content);
    const namespace = labObjects(output.files, lab).find((m) => m.kind === 'Namespace')!.metadata.name;
    const sidecar = one(stepObjects, 'Sidecar');
    expect(sidecar.metadata.namespace).toBe(namespace);
    expect(sidecar.spec).toEqual({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const registered = new Set(stepObjects.filter((m) => m.kind === 'ServiceEntry').flatMap((m) => m.spec.hosts));
    const external = callsOf(lab, 'egress').filter((c) => c.from === 'cluster' && c.url.host.includes('.') && c.namespace === namespace);
    expect(external.filter((c) => registered.has(c.url.host)).length).toBeGreaterThan(0);
    expect(external.filter((c) => !registered.has(c.url.host)).length).toBeGreaterThan(0);
    expect(sectionOf(lab, 'egress')).toMatch(/registry-only .*\(HTTP with 502/);
  });

  test.each(foldersWith('ingress-tls'))('%s ingress-tls: certificate and secret made first, where the Gateway reads it, then an https call that trusts it', (lab) => {
    const section = sectionOf(lab, 'ingress-tls');
    const lines = commandLines(section);
    const gateway = one(labObjects(output.files, lab, 'ingress-tls').filter((m) => m.spec?.gatewayClassName !== 'istio-waypoint'), 'Gateway');
    // Istio's Gateway reads credentialName in the ingress gateway's namespace; a Gateway API Gateway its certificateRefs in its own.
    const [credential, secretNamespace] = isGatewayApi(gateway)
      ? [gateway.spec.listeners.find((l: any) => l.tls).tls.certificateRefs[0].name, gateway.metadata.namespace] // eslint-disable-line @typescript-eslint/no-explicit-any
      : [gateway.spec.servers.find((s: any) => s.tls).tls.credentialName, 'istio-system']; // eslint-disable-line @typescript-eslint/no-explicit-any
    const openssl = lines.findIndex((l) => /^openssl req -x509 -newkey rsa:2048 -nodes .*-keyout (\S+)\.key -out \1\.crt$/.test(l));
    const host = /-out (\S+)\.crt$/.exec(lines[openssl])![1];
    const secret = lines.indexOf(`kubectl -n ${secretNamespace} create secret tls ${credential} --cert=${host}.crt --key=${host}.key`);
    const apply = lines.findIndex((l) => l.startsWith('kubectl apply -f dist/'));
    expect(openssl).toBeGreaterThanOrEqual(0);
    expect(secret).toBeGreaterThan(openssl);
    expect(apply).toBeGreaterThan(secret);
    const https = callsOf(lab, 'ingress-tls').find((c) => c.url.scheme === 'https')!;
    expect(https.url).toMatchObject({ host, port: '$SECURE_INGRESS_PORT' });
    expect(https.words.join(' ')).toContain(`--cacert ${host}.crt --resolve ${host}:$SECURE_INGRESS_PORT:$INGRESS_HOST`);
    expect(revertBlock(section)).toContain(`kubectl -n ${secretNamespace} delete secret ${credential}`);
    expect(output.files.find((f) => f.path === `${lab}/steps/ingress-tls.yaml`)!.content).toContain(`kubectl -n ${secretNamespace} create secret tls ${credential}`);
  });

  test.each(foldersWith('jwt'))('%s jwt: no token, an invalid token and a valid one, and where the token comes from', (lab) => {
    const rule = one(labObjects(output.files, lab, 'jwt'), 'RequestAuthentication');
    expect(rule.spec.jwtRules[0].issuer).toBe(DEMO_ISSUER);
    // A selector (sidecars), or targetRefs to the Service (a waypoint).
    const service = rule.spec.selector?.matchLabels.app ?? rule.spec.targetRefs.find((r: any) => r.kind === 'Service').name; // eslint-disable-line @typescript-eslint/no-explicit-any
    const calls = callsOf(lab, 'jwt');
    const tokenUrl = calls.find((c) => c.from === 'machine')!;
    // Istio's demo token for testing@secure.istio.io, from the same release as the keys it is checked with.
    expect(`${tokenUrl.url.host}${tokenUrl.url.path}`).toBe(rule.spec.jwtRules[0].jwksUri.replace('https://', '').replace('jwks.json', 'demo.jwt'));
    const toService = calls.filter((c) => c.from === 'cluster' && c.url.host === service);
    const auth = toService.map((c) => c.words.find((w, i) => c.words[i - 1] === '-H' && /^authorization:/i.test(w)));
    expect(auth).toEqual([undefined, 'Authorization: Bearer not-a-token', 'Authorization: Bearer $TOKEN']);
    expect(sectionOf(lab, 'jwt')).toMatch(/without a token .* 403 .* invalid token 401 .* valid token .* 200/);
  });

  test.each(foldersWith('cors'))('%s cors: a preflight OPTIONS from an allowed origin, and the headers to expect', (lab) => {
    const objects = labObjects(output.files, lab, 'cors');
    // A VirtualService corsPolicy, or an HTTPRoute's CORS filter (origins as plain strings).
    const vs = objects.find((m) => m.kind === 'VirtualService' && m.spec.http?.[0]?.corsPolicy);
    const route = objects.find((m) => m.kind === 'HTTPRoute' && m.spec.rules.some((r: any) => r.filters?.some((f: any) => f.type === 'CORS'))); // eslint-disable-line @typescript-eslint/no-explicit-any
    const [host, origin, allowMethods] = vs
      ? [vs.spec.hosts[0], vs.spec.http[0].corsPolicy.allowOrigins[0].exact, vs.spec.http[0].corsPolicy.allowMethods]
      : (() => {
        const cors = route!.spec.rules.flatMap((r: any) => r.filters ?? []).find((f: any) => f.type === 'CORS').cors; // eslint-disable-line @typescript-eslint/no-explicit-any
        return [route!.spec.parentRefs[0].name, cors.allowOrigins[0], cors.allowMethods];
      })();
    const preflight = callsOf(lab, 'cors').find((c) => c.from === 'cluster' && c.url.host === host && c.words.includes(`Origin: ${origin}`))!;
    expect(preflight.words.join(' ')).toMatch(/-X OPTIONS/);
    expect(preflight.words).toContain(`Access-Control-Request-Method: ${allowMethods[0]}`);
    expect(sectionOf(lab, 'cors')).toContain(`access-control-allow-origin: ${origin}, access-control-allow-methods: ${allowMethods.join(',')}`);
  });

  test.each(foldersWith('rate-limit'))('%s rate-limit: curl -i shows the 429 and the header the filter adds', (lab) => {
    const filter = one(parseYaml(output.files.find((f) => f.path === `${lab}/steps/rate-limit.yaml`)!.content), 'EnvoyFilter');
    const header = filter.spec.configPatches[0].patch.value.typed_config.value.response_headers_to_add[0].header.key;
    const section = sectionOf(lab, 'rate-limit');
    const call = callsOf(lab, 'rate-limit').find((c) => c.words.includes('-si'))!;
    expect(call.from).toBe('cluster');
    expect(commandLines(section).find((l) => l.includes('curl -si'))).toContain(`-e '^${header}'`);
    expect(section).toContain(`429 Too Many Requests\` with the header \`${header}: true\``);
  });

  test.each(foldersWith('circuit-breaker'))('%s circuit-breaker: names its load tool and runs it inside the cluster', (lab) => {
    const load = callsOf(lab, 'circuit-breaker').find((c) => c.words.includes('load'))!;
    expect(load.from).toBe('cluster');
    const line = commandLines(sectionOf(lab, 'circuit-breaker')).find((l) => l.includes(' load '))!;
    // Either the lab's own fortio pod, or one run for the step.
    const ownFortio = labObjects(output.files, lab).some((m) => m.kind === 'Pod' && m.spec.containers[0].image.includes('fortio'));
    expect(line).toMatch(ownFortio ? /exec fortio -c fortio -- fortio load/ : /run fortio --rm -i --restart=Never --image=\S*fortio\S* .*-- load/);
  });

  test('parseUrl reads the hosts and ports the guides use', () => {
    expect(parseUrl('https://wtyfft.example.com:$SECURE_INGRESS_PORT/fft/real/10')).toEqual({ scheme: 'https', host: 'wtyfft.example.com', port: '$SECURE_INGRESS_PORT', path: '/fft/real/10' });
    expect(parseUrl("http://service-go/env?[1-60]")).toMatchObject({ host: 'service-go', port: '80' });
  });
});

describe('each flavour\'s guide says which flavour it is and where it differs', () => {
  const top = (folder: string) => guideSections(guideOf(folder))[0].text;

  test.each(Flavour.ALL.filter((f) => f !== Flavour.CLASSIC).map((f) => [f.name, f] as const))('%s: title, API and mode, the platform it needs, the other flavours', (_, flavour) => {
    for (const lab of LABS) {
      const folder = flavour.folder(lab.name);
      const text = top(folder);
      expect(text.split('\n')[0]).toBe(`# Lab \`${lab.name}\`, ${flavour.name} flavour: ${lab.title}`);
      expect(text).toContain(`This is the ${flavour.name} flavour of the lab: ${flavour.title}; \`npm run synth -- --api ${flavour.api} --mode ${flavour.mode}\` writes it alone.`);
      expect(commandLines(text)).toContain(`istioctl install -f dist/platform/istioctl/istio-1.30-${flavour.mode === 'ambient' ? 'ambient' : 'demo'}.yaml -y`);
      for (const other of Flavour.ALL.filter((f) => f !== flavour)) expect(text).toContain(`\`dist/${other.folder(lab.name)}/\``);
      // Every guide installs the one version and channel of the platform guide, and names the labs' experimental fields.
      const crds = commandLines(text).filter((l) => l.includes('gateway-api/releases/download/'));
      expect(crds).toEqual([`kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/experimental-install.yaml`]);
      const retries = output.files.filter((f) => f.path.startsWith(`${folder}/`) && f.path.endsWith('.yaml')).some((f) => /^ {6}retry:$/m.test(f.content));
      expect(text.includes('uses HTTPRoute `retry`')).toBe(retries);
      expect(text).toContain('kubectl delete validatingadmissionpolicybinding,validatingadmissionpolicy safe-upgrades.gateway.networking.k8s.io');
    }
  });

  test('the classic guides say nothing of flavours and keep the tutorials\' platform', () => {
    for (const lab of LABS) {
      expect(guideOf(lab.name)).not.toMatch(/flavour|istio-1\.30|gateway-api/);
      expect(guideOf(lab.name).split('\n')[0]).toBe(`# Lab \`${lab.name}\`: ${lab.title}`);
    }
  });

  test('npm run synth hints in a flavour\'s guide carry its --api and --mode', () => {
    for (const folder of FOLDERS) {
      const flavour = Flavour.ALL.find((f) => folder === f.folder(folder.replace(/-(gateway-api|ambient)$/, '')))!;
      const hints = [...guideOf(folder).matchAll(/`(npm run synth -- [^`]*)`/g)].map((m) => m[1]);
      expect(hints.length).toBeGreaterThan(0);
      for (const hint of hints) {
        if (flavour === Flavour.CLASSIC) expect(hint).not.toContain('--api');
        else expect(hint).toContain(`--api ${flavour.api} --mode ${flavour.mode}`);
      }
    }
  });

  test('a step that removes an object deletes it before applying, and says why Istio\'s kinds stay', () => {
    const section = sectionOf('tutorial-gateway-api', 'fault-abort');
    const lines = commandLines(section);
    const del = lines.indexOf('kubectl -n istio-tutorial delete httproute recommendation');
    expect(del).toBeGreaterThanOrEqual(0);
    expect(del).toBeLessThan(lines.indexOf('kubectl apply -f dist/tutorial-gateway-api/steps/fault-abort.yaml'));
    expect(section).toContain('- Deletes first: HTTPRoute istio-tutorial/recommendation');
    expect(section).toMatch(/Istio's kinds stay beside the HTTPRoutes here, as in istio\.io's own tasks: fault injection has no Gateway API form/);
    expect(sectionOf('tutorial-gateway-api', 'circuit-breaker')).toMatch(/connection pools have no Gateway API form: a DestinationRule sets them; outlier detection has no Gateway API form/);
    expect(sectionOf('tutorial-gateway-api', 'canary')).not.toContain("Istio's kinds stay");
    expect(sectionOf('tutorial', 'fault-abort')).not.toContain('delete httproute');
  });

  test.each(foldersWith('retry').filter((f) => !labsWith('retry').includes(f)))('%s retry: the guide says HTTPRoute retry is experimental-channel', (folder) => {
    expect(sectionOf(folder, 'retry')).toContain("HTTPRoute `retry` is in the Gateway API's experimental channel only");
  });

  test('steps a flavour has no form for are listed with the reason', () => {
    const model = buildModel({ targets: ['flask'] });
    const skipping = { ...model, labs: model.labs.map((l) => (l.folder === 'flask-ambient' ? { ...l, steps: l.steps.filter((s) => s.applied.preset.scenario.name !== 'canary'), skipped: [{ scenario: 'canary', reason: 'no split in this test' }] } : l)) };
    const guide = synthesizeOutput(skipping).files.find((f) => f.path === 'flask-ambient/README.md')!.content;
    expect(guide).toContain('Not in this flavour:\n\n- `canary`: no split in this test\n');
    expect(guide).not.toContain('### canary');
  });

  test('in ambient mode a sidecar\'s access log is read where ambient keeps it, and pods are 1/1', () => {
    for (const lab of LABS) {
      const folder = `${lab.name}-ambient`;
      const objects = labObjects(output.files, folder);
      const waypoint = objects.find((m) => m.kind === 'Gateway' && m.spec.gatewayClassName === 'istio-waypoint');
      for (const line of commandLines(guideOf(folder)).filter((l) => / logs .*-c istio-proxy/.test(l))) {
        expect(line).toMatch(waypoint ? new RegExp(`logs deploy/${waypoint.metadata.name} -c istio-proxy`) : /-n istio-system logs -l app=ztunnel -c istio-proxy/);
      }
    }
    expect(commandLines(guideOf('tutorial-gateway-api'))).toContain('kubectl -n istio-tutorial logs -l app=recommendation,version=v2 -c istio-proxy --tail=5');
  });
});
