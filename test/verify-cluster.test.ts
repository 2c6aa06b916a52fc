import * as fs from 'fs';
import * as path from 'path';
import { buildModel } from '../lib/app';
import { synthesizeOutput } from '../lib/output/synthesize';
import { StatusObject, judgeStatus, policyBinding } from '../lib/verify/cluster/conditions';
import { readGuide, shellLines, shellWords } from '../lib/verify/cluster/guide';
import { byInstall, emptyReport, istiodErrors, passed, summaryLine } from '../lib/verify/cluster/main';
import { kubernetesGoMod } from '../lib/verify/cluster/tools';
import { DIALS_A_POD } from '../lib/verify/cluster/cluster';

/** verify:cluster's pure parts, without Go or a cluster (npm test needs neither). */

describe('reading a guide as verify:cluster follows it', () => {
  test('words as sh splits them: quotes, escapes, operators, comments', () => {
    expect(shellWords(`kubectl -n ns exec deploy/a -c a -- curl -s -w " %{http_code}\\n" http://b:8080`)).toEqual(['kubectl', '-n', 'ns', 'exec', 'deploy/a', '-c', 'a', '--', 'curl', '-s', '-w', ' %{http_code}\\n', 'http://b:8080']);
    expect(shellWords("kubectl get crd x &> /dev/null || kubectl apply -f 'a b.yaml' # why")).toEqual(['kubectl', 'get', 'crd', 'x', '&>', '/dev/null', '||', 'kubectl', 'apply', '-f', 'a b.yaml']);
    expect(shellWords('a|b && c')).toEqual(['a', '|', 'b', '&&', 'c']);
  });

  test('continuation lines are joined; comments and blank lines dropped', () => {
    expect(shellLines('x\n```sh\n# note\nkubectl get crd a &> /dev/null || \\\n  kubectl apply -f b\n\nkubectl apply -f c\n```\n')).toEqual(['kubectl get crd a &> /dev/null ||    kubectl apply -f b', 'kubectl apply -f c']);
  });

  const output = synthesizeOutput(buildModel({ targets: ['tutorial'] }));
  const guide = (folder: string) => output.files.find((f) => f.path === `${folder}/README.md`)!.content;

  test.each(['tutorial', 'tutorial-gateway-api', 'tutorial-ambient'])('%s: Start applies the lab; every step has its apply and revert', (folder) => {
    const read = readGuide(guide(folder));
    expect(read.start.map((w) => w.join(' '))).toContain(`kubectl apply -f dist/${folder}/`);
    const steps = output.files.filter((f) => f.path.startsWith(`${folder}/steps/`)).map((f) => path.basename(f.path, '.yaml')).sort();
    expect(read.steps.map((s) => s.name).sort()).toEqual(steps);
    for (const s of read.steps) {
      expect(s.apply.map((w) => w.join(' '))).toContain(`kubectl apply -f dist/${folder}/steps/${s.name}.yaml`);
      expect(s.revert.length).toBeGreaterThan(0);
    }
  });

  test('the commands that would dial a Pod are known, so they are never run', () => {
    expect(DIALS_A_POD).toEqual(expect.arrayContaining(['logs', 'exec', 'port-forward', 'proxy', 'attach']));
  });
});

describe('building Kubernetes from the module proxy', () => {
  test("each staging module of Kubernetes' go.mod is replaced by the same module at v0", () => {
    const mod = kubernetesGoMod('module k8s.io/kubernetes\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/kubectl => ./staging/src/k8s.io/kubectl\n\tgithub.com/x/y => github.com/x/y v1.0.0\n)\n', 'v1.37.2');
    expect(mod).toContain('require k8s.io/kubernetes v1.37.2');
    expect(mod).toContain('\tk8s.io/api => k8s.io/api v0.37.2\n\tk8s.io/kubectl => k8s.io/kubectl v0.37.2\n');
    expect(mod).not.toContain('github.com/x/y');
  });
});

const condition = (type: string, status: string, reason = '') => ({ type, status, reason, observedGeneration: 1 });
const object = (apiVersion: string, kind: string, spec: unknown, status: StatusObject['status']): StatusObject =>
  ({ apiVersion, kind, metadata: { name: 'x', namespace: 'ns', generation: 1 }, spec, status });

describe('what istiod wrote, judged', () => {
  test('a route passes when every parent is Accepted and ResolvedRefs', () => {
    const ok = object('gateway.networking.k8s.io/v1', 'HTTPRoute', {}, { parents: [{ parentRef: { name: 'svc', kind: 'Service' }, conditions: [condition('Accepted', 'True'), condition('ResolvedRefs', 'True')] }] });
    expect(judgeStatus(ok, false, new Set())).toEqual({ kind: 'route', problems: [] });
    const refs = object('gateway.networking.k8s.io/v1', 'HTTPRoute', {}, { parents: [{ parentRef: { name: 'svc', kind: 'Service' }, conditions: [condition('Accepted', 'True'), condition('ResolvedRefs', 'False', 'BackendNotFound')] }] });
    expect(judgeStatus(refs, false, new Set())!.problems).toEqual(['parent Service svc: ResolvedRefs=False (BackendNotFound)']);
    expect(judgeStatus(object('gateway.networking.k8s.io/v1alpha2', 'TCPRoute', {}, {}), false, new Set())!.problems).toEqual(['no parent reported status (the route was not read)']);
  });

  test('a Gateway passes when Accepted and Programmed', () => {
    const gw = object('gateway.networking.k8s.io/v1', 'Gateway', {}, { conditions: [condition('Accepted', 'True'), condition('Programmed', 'False', 'AddressNotAssigned')] });
    expect(judgeStatus(gw, false, new Set())).toEqual({ kind: 'gateway', problems: ['Programmed=False (AddressNotAssigned)'] });
  });

  test('an ambient policy is bound where it is enforced; in sidecar namespaces it is not judged', () => {
    const waypoints = new Set(['ns/waypoint']);
    const atWaypoint = object('security.istio.io/v1', 'AuthorizationPolicy', { targetRefs: [{ kind: 'Service', name: 'a' }] }, { conditions: [condition('WaypointAccepted', 'True', 'Accepted')] });
    expect(judgeStatus(atWaypoint, true, waypoints)).toEqual({ kind: 'policy', problems: [] });
    expect(judgeStatus(atWaypoint, false, waypoints)).toBeUndefined();
    const l4 = object('security.istio.io/v1', 'AuthorizationPolicy', { selector: { matchLabels: { app: 'a' } } }, { conditions: [condition('ZtunnelAccepted', 'True', 'UnsupportedValue')] });
    expect(judgeStatus(l4, true, waypoints)!.problems).toEqual(['ZtunnelAccepted=True (UnsupportedValue)']);
    const ingress = object('security.istio.io/v1', 'AuthorizationPolicy', { targetRefs: [{ kind: 'Gateway', name: 'edge' }] }, { conditions: [condition('WaypointAccepted', 'False', 'TargetNotFound')] });
    expect(policyBinding(ingress, waypoints)).toBe('ingress');
    expect(judgeStatus(ingress, true, waypoints)).toBeUndefined();
    expect(policyBinding({ ...ingress, spec: { targetRefs: [{ kind: 'Gateway', name: 'waypoint' }] } }, waypoints)).toBe('waypoint');
  });
});

describe('the summary line', () => {
  test('in the issue\'s words; it passes only when every count is whole', () => {
    const r = emptyReport();
    r.applied = 10;
    r.routes = { accepted: 3, total: 3, problems: [] };
    r.pods = { running: 2, total: 2, problems: [] };
    expect(summaryLine(r)).toBe('verify:cluster: 10 objects applied, 0 rejected, 0 left by reverts; routes accepted 3/3; gateways programmed 0/0; policies bound 0/0; pods running 2/2');
    expect(passed(r)).toBe(true);
    r.gateways = { programmed: 1, total: 2, problems: ['x'] };
    expect(passed(r)).toBe(false);
  });

  test('classic folders first, then the Gateway API ones, then ambient: Istio is installed least often', () => {
    expect(byInstall(['a-ambient', 'a', 'a-gateway-api', 'b'])).toEqual(['a', 'b', 'a-gateway-api', 'a-ambient']);
  });

  test("istiod's errors about the labs' namespaces, each once, without the time; races it retries are not counted", () => {
    const log = [
      '2026-12-07T10:00:00Z\terror\tmodel\tbad thing in istio-tutorial/recommendation',
      '2026-12-07T10:00:01Z\terror\tmodel\tbad thing in istio-tutorial/recommendation',
      '2026-12-07T10:00:02Z\tinfo\tok istio-tutorial/x',
      '2026-12-07T10:00:03Z\terror\twatch error in cluster Kubernetes: failed to list *v1.Gateway',
      '2026-12-07T10:00:04Z\terror\tcontrollers\terror handling istio-tutorial/gw: gateways "gw" not found',
      '2026-12-07T10:00:05Z\terror\tcontrollers\terror handling istio-tutorial-x/gw: bad',
    ].join('\n');
    expect(istiodErrors(log, ['istio-tutorial'])).toEqual(['error\tmodel\tbad thing in istio-tutorial/recommendation']);
    // An entry that spans lines is read whole: its end says it was a race.
    const split = '2026-12-07T10:00:00Z\terror\tstatus\tupdating istio-tutorial/r {"a":1}\n: httproutes "r" not found\n2026-12-07T10:00:01Z\tinfo\tok';
    expect(istiodErrors(split, ['istio-tutorial'])).toEqual([]);
    // A CRD below the minimum version istiod reads drops a kind of the labs, at whatever level it is logged.
    const minimum = '2026-12-07T10:00:00Z\twarn\tCRD tcproutes.gateway.networking.k8s.io version 1.5.1 is below minimum version 1.6.0 required by this Istio version';
    expect(istiodErrors(minimum, ['istio-tutorial'])).toHaveLength(1);
  });
});

test('docs/verify.md says what verify:cluster checks, how long it takes and what it cannot check', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'verify.md'), 'utf8');
  expect(doc).toContain('npm run verify:cluster');
  for (const part of ['**What it reports**', '**How long:**', '**What it cannot check:**']) expect(doc).toContain(part);
});
