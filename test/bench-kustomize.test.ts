import { loadAll } from 'js-yaml';
import { buildModel } from '../lib/app';
import { synthesizeOutput } from '../lib/output/synthesize';
import { kustomizationYaml, kustomizeId, kustomizeInput, OutputFile } from '../scripts/kustomize-input';

const object = (kind: string, name: string, namespace = 'lab', apiVersion = 'v1') =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;
const file = (path: string, ...objects: string[]): OutputFile => ({ path, text: objects.join('---\n') });

describe('what npm run bench gives kubectl kustomize', () => {
  const output = synthesizeOutput(buildModel()).files.map((f) => ({ path: f.path, text: f.content }));
  const input = kustomizeInput(output);
  const taken = input.kustomizations.flat();

  test('every folder the synthesis writes gives kustomize its top-level YAML files, and only those', () => {
    const folders = [...new Set(output.map((f) => f.path.split('/')[0]))];
    expect(folders.length).toBeGreaterThanOrEqual(5);
    for (const folder of folders) {
      const top = output.filter((f) => f.path.startsWith(`${folder}/`) && f.path.endsWith('.yaml') && f.path.split('/').length === 2);
      expect(top.length).toBeGreaterThan(0);
      expect(taken).toEqual(expect.arrayContaining(top.map((f) => f.path)));
    }
    expect(taken).toContain('tutorial/customer.yaml');
    expect(taken).not.toContain('tutorial/steps/canary.yaml');
    expect(taken.filter((p) => p.includes('/steps/') || p.endsWith('README.md'))).toEqual([]);
    expect(input.leftOut.map((l) => l.path)).toContain('tutorial/steps/canary.yaml');
    expect(input.leftOut.map((l) => l.path)).toContain('platform/istioctl/istio-operator.yaml');
    expect(input.leftOut.filter((l) => !l.reason.startsWith('in a subfolder'))).toEqual([]);
  });

  test('no kustomization states an object id twice, and the object count is that of the files taken', () => {
    const docs = (path: string) => loadAll(output.find((f) => f.path === path)!.text) as Array<Parameters<typeof kustomizeId>[0]>;
    for (const files of input.kustomizations) {
      const ids = files.flatMap((p) => docs(p).map(kustomizeId));
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    }
    expect(input.objects).toBe(taken.reduce((n, p) => n + docs(p).length, 0));
    expect(input.objects).toBeGreaterThan(100);
  });
});

test('flavours of a lab that share object names go into separate kustomizations; other labs share one', () => {
  const input = kustomizeInput([
    file('shop/app.yaml', object('Service', 'web'), object('Deployment', 'web-v1', 'lab', 'apps/v1')),
    file('shop-gateway-api/app.yaml', object('Service', 'web'), object('Service', 'web-v1')),
    file('shop-ambient/waypoint.yaml', object('Gateway', 'waypoint', 'lab', 'gateway.networking.k8s.io/v1')),
    file('shop-ambient/app.yaml', object('Service', 'web')),
    file('bank/app.yaml', object('Service', 'web', 'bank')),
  ]);
  expect(input.kustomizations).toEqual([
    ['bank/app.yaml', 'shop-ambient/app.yaml', 'shop-ambient/waypoint.yaml'],
    ['shop-gateway-api/app.yaml'],
    ['shop/app.yaml'],
  ]);
  expect(input.objects).toBe(7);
});

test('leaves out steps, READMEs and YAML kustomize cannot take as resources, saying why', () => {
  const input = kustomizeInput([
    file('shop/app.yaml', object('Service', 'web')),
    file('shop/steps/canary.yaml', object('Service', 'web')),
    { path: 'shop/README.md', text: '# shop\n' },
    { path: 'shop/empty.yaml', text: '# nothing here\n' },
    { path: 'shop/values.yaml', text: 'replicas: 2\n' },
    { path: 'shop/broken.yaml', text: 'a: [\n' },
    file('shop/twice.yaml', object('Service', 'api'), object('Service', 'api')),
    { path: 'shop/kustomization.yaml', text: 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: k\n' },
  ]);
  expect(input.kustomizations).toEqual([['shop/app.yaml']]);
  expect(Object.fromEntries(input.leftOut.map((l) => [l.path, l.reason]))).toEqual({
    'shop/broken.yaml': 'not YAML',
    'shop/empty.yaml': 'holds no object',
    'shop/kustomization.yaml': 'a kustomization, not objects',
    'shop/steps/canary.yaml': expect.stringMatching(/^in a subfolder/),
    'shop/twice.yaml': 'states Service.v1/api.lab twice',
    'shop/values.yaml': expect.stringMatching(/^not a list of Kubernetes objects/),
  });
});

test('object ids clash as in kustomize: no namespace is default, another apiVersion is another id', () => {
  const service = (namespace?: string, apiVersion = 'v1') => kustomizeId({ apiVersion, kind: 'Service', metadata: { name: 'web', namespace } });
  expect(service()).toBe(service('default'));
  expect(service('lab')).not.toBe(service('default'));
  expect(service('lab', 'v1')).not.toBe(service('lab', 'v2'));
});

test('the kustomization file lists the files as resources, in order', () => {
  const text = kustomizationYaml(['shop/app.yaml', 'shop-ambient/waypoint.yaml']);
  expect(loadAll(text)).toEqual([{
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['shop/app.yaml', 'shop-ambient/waypoint.yaml'],
  }]);
});
