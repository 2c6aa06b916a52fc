import { buildLab } from '../lib/app';
import { LABS } from '../lib/labs';
import { all, find, manifestsOf, podLabels, podSpec, synth } from './support/synth';

const everything = synth();
const polyglot = manifestsOf(everything, 'polyglot');
const tutorial = manifestsOf(everything, 'tutorial');
const flask = manifestsOf(everything, 'flask');
const fft = manifestsOf(everything, 'fft');
const platform = manifestsOf(everything, 'platform');

const container = (m: ReturnType<typeof find>) => podSpec(m).containers[0];

describe('polyglot lab', () => {
  const apps = ['service-js', 'service-python', 'service-lua', 'service-node', 'service-go'];

  test('lives in the default namespace, labelled for injection', () => {
    expect(find(polyglot, 'Namespace', 'default').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(new Set(polyglot.filter((m) => m.kind !== 'Namespace').map((m) => m.metadata.namespace))).toEqual(new Set(['default']));
  });

  test.each(apps)('%s: Service port http 80 selects app only; v1 and v2 Deployments as in the book', (app) => {
    const service = find(polyglot, 'Service', app);
    expect(service.spec.selector).toEqual({ app });
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80 }]);
    for (const version of ['v1', 'v2']) {
      const deployment = find(polyglot, 'Deployment', `${app}-${version}`);
      expect(deployment.spec.replicas).toBe(1);
      expect(deployment.spec.selector.matchLabels).toEqual({ app, version });
      expect(podLabels(deployment)).toEqual({ app, version });
      expect(container(deployment).image).toBe(`registry.cn-shanghai.aliyuncs.com/istio-lab/${app}:${version}`);
      expect(container(deployment).ports).toEqual([{ containerPort: 80, name: 'http' }]);
      expect(container(deployment).resources).toEqual({ requests: { cpu: '50m', memory: '50Mi' }, limits: { cpu: '100m', memory: '100Mi' } });
      expect(podSpec(deployment).serviceAccountName).toBe(app);
    }
  });

  test('service-redis calls redis on 6379, a redis:5-alpine Deployment redis-v1', () => {
    expect(find(polyglot, 'Deployment', 'service-redis-v1').spec.template.metadata.labels).toEqual({ app: 'service-redis', version: 'v1' });
    expect(() => find(polyglot, 'Deployment', 'service-redis-v2')).toThrow(/found 0/);
    expect(find(polyglot, 'Service', 'redis').spec.ports).toEqual([{ name: 'redis', port: 6379, targetPort: 6379 }]);
    expect(container(find(polyglot, 'Deployment', 'redis-v1')).image).toBe('redis:5-alpine');
    expect(find(polyglot, 'VirtualService', 'redis').spec.tcp).toHaveLength(1);
  });

  test('httpbin listens on 8000 behind Service port http 8000', () => {
    expect(find(polyglot, 'Service', 'httpbin').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8000 }]);
    expect(container(find(polyglot, 'Deployment', 'httpbin-v1')).image).toBe('citizenstig/httpbin');
  });

  test('the clients are pods named as the book execs into them', () => {
    expect(container(find(polyglot, 'Pod', 'dns-test')).image).toBe('radial/busyboxplus:curl');
    expect(container(find(polyglot, 'Pod', 'sleep'))).toMatchObject({ image: 'pstauffer/curl', command: ['sleep', '3650d'] });
    const fortio = container(find(polyglot, 'Pod', 'fortio'));
    expect(fortio.image).toBe('istio/fortio:latest_release');
    expect(fortio.ports).toEqual([{ containerPort: 8080, name: 'http-fortio' }, { containerPort: 8079, name: 'grpc-ping' }]);
    expect(fortio.resources.limits).toEqual({ cpu: '500m', memory: '500Mi' });
  });

  test('istio-lab-gateway sends /env to service-python and everything else to service-js v1', () => {
    const gateway = find(polyglot, 'Gateway', 'istio-lab-gateway');
    expect(gateway.spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(gateway.spec.servers).toEqual([{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }]);
    const vs = find(polyglot, 'VirtualService', 'istio-lab');
    expect(vs.spec.gateways).toEqual(['istio-lab-gateway']);
    expect(vs.spec.http.map((r: any) => [r.match?.[0].uri.prefix, r.route[0].destination])).toEqual([
      ['/env', { host: 'service-python', port: { number: 80 } }],
      [undefined, { host: 'service-js', subset: 'v1', port: { number: 80 } }],
    ]);
  });
});

describe('tutorial lab', () => {
  test('customer -> preference -> recommendation on port http 8080 in istio-tutorial', () => {
    for (const name of ['customer', 'preference', 'recommendation']) {
      const service = find(tutorial, 'Service', name);
      expect(service.metadata.namespace).toBe('istio-tutorial');
      expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8080 }]);
    }
  });

  test('Deployments customer, preference, recommendation-v1 and -v2 carry {app, version}', () => {
    expect(podLabels(find(tutorial, 'Deployment', 'customer'))).toEqual({ app: 'customer', version: 'v1' });
    expect(podLabels(find(tutorial, 'Deployment', 'preference'))).toEqual({ app: 'preference', version: 'v1' });
    expect(podLabels(find(tutorial, 'Deployment', 'recommendation-v2'))).toEqual({ app: 'recommendation', version: 'v2' });
    const subsets = find(tutorial, 'DestinationRule', 'recommendation').spec.subsets;
    expect(subsets).toEqual([{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }]);
  });

  test('Java containers: ports 8080/8778/9779, -Xmx256m, curl health probes, seed images', () => {
    const c = container(find(tutorial, 'Deployment', 'recommendation-v2'));
    expect(c.image).toBe('jimmysong/istio-tutorial-recommendation:v2');
    expect(c.ports.map((p: any) => [p.containerPort, p.name])).toEqual([[8080, 'http'], [8778, 'jolokia'], [9779, 'prometheus']]);
    expect(c.env).toEqual([{ name: 'JAVA_OPTIONS', value: '-Xmx256m' }]);
    expect(c.readinessProbe.exec.command).toEqual(['curl', 'localhost:8080/health']);
    expect(c.livenessProbe.initialDelaySeconds).toBe(60);
  });

  test('the egress test services have the same shape', () => {
    for (const name of ['egresshttpbin', 'egressgithub']) {
      expect(container(find(tutorial, 'Deployment', name)).image).toBe(`jimmysong/istio-tutorial-${name}:v1`);
      expect(find(tutorial, 'Service', name).spec.ports[0].port).toBe(8080);
    }
  });

  test('customer is reached through the ingress gateway at /customer', () => {
    const vs = find(tutorial, 'VirtualService', 'customer-gateway');
    expect(vs.spec.gateways).toEqual(['customer-gateway']);
    expect(vs.spec.http).toEqual([{
      match: [{ uri: { prefix: '/customer' } }],
      rewrite: { uri: '/' },
      route: [{ destination: { host: 'customer', port: { number: 8080 } } }],
    }]);
  });
});

describe('flask lab', () => {
  test('flaskapp v1 and v2 on 7777 with env version, in istio-app', () => {
    expect(find(flask, 'Service', 'flaskapp').spec.ports).toEqual([{ name: 'http', port: 7777, targetPort: 7777 }]);
    for (const version of ['v1', 'v2']) {
      const d = find(flask, 'Deployment', `flaskapp-${version}`);
      expect(d.metadata.namespace).toBe('istio-app');
      expect(container(d)).toMatchObject({ image: 'dustise/flaskapp', env: [{ name: 'version', value: version }] });
    }
    expect(find(flask, 'DestinationRule', 'flaskapp').spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
    expect(find(flask, 'VirtualService', 'flaskapp').spec.hosts).toEqual(['flaskapp']);
  });

  test('the sleep client is a Deployment with a Service', () => {
    expect(container(find(flask, 'Deployment', 'sleep')).image).toBe('dustise/sleep');
    expect(find(flask, 'Service', 'sleep').spec.selector).toEqual({ app: 'sleep' });
  });
});

describe('fft lab', () => {
  test('wtyfft-svc maps port http 8000 to container port 8080 of app wtyfft-app', () => {
    const service = find(fft, 'Service', 'wtyfft-svc');
    expect(service.metadata.namespace).toBe('wty-istio');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8080 }]);
    expect(service.spec.selector).toEqual({ app: 'wtyfft-app' });
  });

  test('wtyfft-deploy runs 3 scraped replicas sized as in the tutorial', () => {
    const d = find(fft, 'Deployment', 'wtyfft-deploy');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
    expect(container(d)).toMatchObject({
      image: 'registry.cn-hangzhou.aliyuncs.com/wtysos11/wty-fft:0.0.1',
      ports: [{ containerPort: 8080, name: 'http' }],
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
    });
  });

  test('wtyfft-vs sends prefix /fft and exact /metrics through wtyfft-gateway to port 8000', () => {
    expect(find(fft, 'Gateway', 'wtyfft-gateway').spec.servers[0].port.number).toBe(80);
    const vs = find(fft, 'VirtualService', 'wtyfft-vs');
    expect(vs.spec.gateways).toEqual(['wtyfft-gateway']);
    expect(vs.spec.http).toEqual([{
      match: [{ uri: { prefix: '/fft' } }, { uri: { exact: '/metrics' } }],
      route: [{ destination: { host: 'wtyfft-svc', port: { number: 8000 } } }],
    }]);
  });
});

describe('platform', () => {
  test('IstioOperator installs the demo profile with access logs and ALLOW_ANY', () => {
    const op = find(platform, 'IstioOperator', 'meshlab');
    expect(op.metadata.namespace).toBe('istio-system');
    expect(op.spec).toEqual({ profile: 'demo', meshConfig: { accessLogFile: '/dev/stdout', outboundTrafficPolicy: { mode: 'ALLOW_ANY' } } });
  });

  test('ingress externalIPs and REGISTRY_ONLY are options', () => {
    const op = find(manifestsOf(synth({ targets: ['platform'], platform: { ingressExternalIPs: ['192.168.0.252'], outboundTrafficPolicy: 'REGISTRY_ONLY' } }), 'platform'), 'IstioOperator', 'meshlab');
    expect(op.spec.meshConfig.outboundTrafficPolicy.mode).toBe('REGISTRY_ONLY');
    expect(op.spec.components.ingressGateways).toEqual([{ name: 'istio-ingressgateway', enabled: true, k8s: { service: { externalIPs: ['192.168.0.252'] } } }]);
  });

  test('the demo addons get the book NodePorts', () => {
    const ports = all(platform, 'Service').map((s) => [s.metadata.name, s.spec.type, s.spec.ports[0].nodePort, s.spec.ports[0].targetPort]);
    expect(ports).toEqual([
      ['grafana-nodeport', 'NodePort', 32143, 3000],
      ['prometheus-nodeport', 'NodePort', 32141, 9090],
      ['tracing-nodeport', 'NodePort', 32144, 16686],
      ['kiali-nodeport', 'NodePort', 32145, 20001],
    ]);
  });
});

describe('lab options', () => {
  test('a registry override keeps each image path and tag', () => {
    const s = synth({ targets: ['polyglot'], labOptions: { polyglot: { registry: 'harbor.local:5000/mirror' } } });
    const images = all(manifestsOf(s, 'polyglot'), 'Deployment').map((d) => container(d).image);
    expect(images).toContain('harbor.local:5000/mirror/istio-lab/service-go:v2');
    expect(images).toContain('harbor.local:5000/mirror/redis:5-alpine');
  });

  test('namespace, image and replicas can be set per lab', () => {
    const s = synth({ targets: ['tutorial'], labOptions: { tutorial: { namespace: 'demo', images: { customer: 'quay.io/rhdevelopers/istio-tutorial-customer:v1' }, replicas: { 'recommendation-v2': 2 } } } });
    const m = manifestsOf(s, 'tutorial');
    expect(s.findings).toEqual([]);
    expect(find(m, 'Namespace', 'demo')).toBeDefined();
    expect(container(find(m, 'Deployment', 'customer')).image).toBe('quay.io/rhdevelopers/istio-tutorial-customer:v1');
    expect(find(m, 'Deployment', 'recommendation-v2').spec.replicas).toBe(2);
  });

  test('an option naming no workload is an error listing the workloads there are', () => {
    const s = synth({ targets: ['tutorial'], labOptions: { tutorial: { replicas: { recomendation: 2 } } } });
    expect(s.findings.map((f) => f.message)).toEqual([expect.stringMatching(/lab tutorial has no Deployment recomendation to scale \(Deployments: customer, .*recommendation-v1/)]);
  });
});

describe('call graph (what the routing preview and diagrams follow)', () => {
  const callsOf = (labName: string) => {
    const { lab } = buildLab(LABS.find((l) => l.name === labName)!);
    return Object.fromEntries([...lab.services, ...lab.clients]
      .filter((w) => w.callees.length > 0)
      .map((w) => [w.name, w.callees.map((c) => c.name)]));
  };

  test('tutorial: customer -> preference -> recommendation', () => {
    expect(callsOf('tutorial')).toEqual({ customer: ['preference'], preference: ['recommendation'] });
  });

  test('polyglot: python fans out to lua and node, node calls go, the clients call go and httpbin', () => {
    expect(callsOf('polyglot')).toEqual({
      'service-python': ['service-lua', 'service-node'],
      'service-node': ['service-go'],
      'service-redis': ['redis'],
      'dns-test': ['service-go'],
      sleep: ['httpbin'],
    });
  });

  test('flask: the sleep client calls flaskapp', () => {
    expect(callsOf('flask')).toEqual({ sleep: ['flaskapp'] });
  });
});
