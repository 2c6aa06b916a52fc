import { Flavour } from '../lib/mesh/flavour';
import { LAB_NAMES } from '../lib/labs';
import { isIstioPortName } from '../lib/mesh/protocol';
import { Manifest } from './support/synth';
import { all, manifestsOf, podLabels, podSpec, synth } from './support/synth';

const everything = synth();
const labs = LAB_NAMES.map((name) => [name, manifestsOf(everything, name)] as const);
const workloads = (m: readonly Manifest[]) => m.filter((o) => o.kind === 'Deployment' || o.kind === 'Pod');
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

test('every lab and the platform synthesize with no finding at all', () => {
  expect(everything.findings).toEqual([]);
  const folders = LAB_NAMES.flatMap((l) => Flavour.ALL.map((f) => f.folder(l)));
  expect(new Set(everything.files.map((f) => f.path.split('/')[0]))).toEqual(new Set([...folders, 'platform']));
});

describe.each(labs)('%s', (lab, manifests) => {
  const namespace = all(manifests, 'Namespace')[0];

  test('the namespace comes first and everything else is in it', () => {
    expect(everything.files.filter((f) => f.path.startsWith(`${lab}/`))[0].path).toBe(`${lab}/00-namespace.yaml`);
    expect(namespace.metadata.labels?.['istio-injection']).toBe('enabled');
    for (const m of manifests.filter((o) => o.kind !== 'Namespace')) expect(m.metadata.namespace).toBe(namespace.metadata.name);
  });

  test('every Service selects pods and forwards to one of their container ports', () => {
    for (const service of all(manifests, 'Service')) {
      const selected = workloads(manifests).filter((w) => selects(service.spec.selector, podLabels(w)));
      expect(selected.length).toBeGreaterThan(0);
      for (const w of selected) {
        const ports = podSpec(w).containers.flatMap((c: any) => c.ports.map((p: any) => p.containerPort));
        for (const port of service.spec.ports) expect(ports).toContain(port.targetPort);
      }
      for (const port of service.spec.ports) expect(isIstioPortName(port.name)).toBe(true);
    }
  });

  test('every Deployment selects exactly its pod labels, which include app and version', () => {
    for (const d of all(manifests, 'Deployment')) {
      expect(d.spec.selector.matchLabels).toEqual(podLabels(d));
    }
    for (const w of workloads(manifests)) expect(Object.keys(podLabels(w)).sort()).toEqual(['app', 'version']);
  });

  test('every DestinationRule subset selects pods of its host', () => {
    for (const dr of all(manifests, 'DestinationRule')) {
      const service = manifests.find((m) => m.kind === 'Service' && m.metadata.name === dr.spec.host)!;
      for (const subset of dr.spec.subsets) {
        const selector = { ...service.spec.selector, ...subset.labels };
        expect(workloads(manifests).some((w) => selects(selector, podLabels(w)))).toBe(true);
      }
    }
  });

  test('each service host has one VirtualService and one DestinationRule, named after it', () => {
    const meshVs = all(manifests, 'VirtualService').filter((vs) => !vs.spec.gateways);
    expect(meshVs.map((vs) => vs.spec.hosts).flat().sort()).toEqual(meshVs.map((vs) => vs.metadata.name).sort());
    expect(all(manifests, 'DestinationRule').map((dr) => dr.spec.host).sort()).toEqual(meshVs.map((vs) => vs.metadata.name).sort());
  });

  test('every container is sized, pulls IfNotPresent and is locked down', () => {
    for (const w of workloads(manifests)) {
      for (const c of podSpec(w).containers) {
        expect(c.imagePullPolicy).toBe('IfNotPresent');
        expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(c.resources.limits.memory).toEqual(expect.any(String));
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, seccompProfile: { type: 'RuntimeDefault' } });
        expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
        // Root is the exception: only with a few named capabilities, never more.
        if (!c.securityContext.runAsNonRoot) {
          for (const cap of c.securityContext.capabilities.add ?? []) expect(['CHOWN', 'NET_BIND_SERVICE', 'SETGID', 'SETUID']).toContain(cap);
        } else {
          expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        }
        expect(podSpec(w).serviceAccountName).toBe(podLabels(w).app === 'wtyfft-app' ? 'wtyfft-svc' : podLabels(w).app);
      }
    }
  });
});

test('the output carries no noise a reviewer has to skip', () => {
  for (const file of everything.files) {
    expect(file.content).not.toMatch(/cdk8s\.io\/metadata\.addr|: \[\]$|: \{\}$|startupProbe|progressDeadlineSeconds|setHostnameAsFQDN|dnsPolicy/m);
  }
});

/**
 * The seed's lab cluster: three VMs with 2 GiB each. Per node, 100Mi eviction threshold and
 * about 350Mi for the OS, kubelet and container runtime leave about 1600Mi; kube-system
 * (CoreDNS, kube-proxy, CNI, control plane) requests about 500Mi and Istio's demo profile
 * 180Mi (istiod 100Mi, two gateways 40Mi each). What is left is the labs' budget.
 */
const NODES = 3;
const USABLE_PER_NODE_MI = 1600;
const CLUSTER_OVERHEAD_MI = 500 + 180;
const SIDECAR_REQUEST_MI = 40; // demo profile: values.global.proxy.resources.requests.memory
const mebibytes = (q: string) => (q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : Number(q.slice(0, -2)));

// A learner runs one lab at a time on the platform, as each seed tutorial had its own cluster;
// a lab added to LABS must fit on its own, whatever the others request.
test.each(labs.map(([name, manifests]) => [name, manifests] as const))('%s fits the seed lab cluster (memory requests incl. sidecars)', (_, manifests) => {
  let requested = 0;
  for (const w of workloads(manifests)) {
    const replicas = w.kind === 'Deployment' ? w.spec.replicas : 1;
    const containers = podSpec(w).containers.reduce((sum: number, c: any) => sum + mebibytes(c.resources.requests.memory), 0);
    requested += replicas * (containers + SIDECAR_REQUEST_MI);
  }
  const budget = NODES * USABLE_PER_NODE_MI - CLUSTER_OVERHEAD_MI;
  expect(requested).toBeLessThanOrEqual(budget);
});
