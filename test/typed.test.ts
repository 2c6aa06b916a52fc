// The CLI catalog and the lab presets are typed from the scenarios' parameters: `npm test`
// runs tsc over this file, so each @ts-expect-error below fails the build if the mistake it
// marks ever type-checks (a misspelled preset key or parameter would be silently ignored).
import { App, Duration } from 'cdk8s';
import { canary, faultDelay, retry, route } from '../lib/scenarios/catalog';
import { applyPreset, defaultText, preset, resolveSelection } from '../lib/scenarios/engine';
import { LABS } from '../lib/labs';
import { MeshlabError } from '../lib/errors';

describe('presets and parameters are typed', () => {
  test('a preset names only parameters its scenario has, with values of their types', () => {
    const ok = preset({ scenario: canary, defaults: { service: 'web', weights: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] } });
    // @ts-expect-error a misspelled preset key fails tsc
    const misspelled = preset({ scenario: canary, defaults: { service: 'web', weigths: [{ version: 'v1', weight: 100 }] } });
    // @ts-expect-error a preset default is a typed value: weights are version/weight pairs, not --set text
    const weightsAsText = preset({ scenario: canary, defaults: { service: 'web', weights: 'v1:90,v2:10' } });
    // @ts-expect-error a count is a number, not text
    const countAsText = preset({ scenario: retry, defaults: { service: 'web', attempts: '3' } });
    // @ts-expect-error a duration is a cdk8s Duration, not Istio's text
    const durationAsText = preset({ scenario: retry, defaults: { service: 'web', perTryTimeout: '2s' } });
    const typed = preset({ scenario: retry, defaults: { service: 'web', attempts: 3, perTryTimeout: Duration.seconds(2), abort: undefined } });
    expect([ok, misspelled, weightsAsText, countAsText, durationAsText, typed].map((p) => p.scenario.name))
      .toEqual(['canary', 'canary', 'canary', 'retry', 'retry', 'retry']);
  });

  test("a scenario's values are typed from its parameters", () => {
    type RouteValues = Parameters<typeof route.expect>[0];
    const ok = (v: RouteValues) => `${v.service.name} ${v.version.subset}`;
    // @ts-expect-error a misspelled parameter fails tsc
    const misspelled = (v: RouteValues) => v.versoin.name;
    // @ts-expect-error an optional parameter may be undefined: its value must be checked before use
    const unchecked = (v: Parameters<typeof retry.expect>[0]) => v.abort.toFixed();
    expect([ok, misspelled, unchecked].every((f) => typeof f === 'function')).toBe(true);
    expect(Object.keys(route.params)).toEqual(['service', 'version']);
  });

  test('a misspelled --set parameter is refused at run time in one line naming the ones there are', () => {
    const tutorial = LABS.find((l) => l.name === 'tutorial')!;
    expect(() => resolveSelection('tutorial', tutorial.scenarios, { scenarios: ['canary'], set: { 'canary.weigths': 'v1:50,v2:50' } }))
      .toThrow('--set canary.weigths: scenario canary has no parameter weigths (parameters: service, weights)');
  });
});

describe('typed preset defaults are shown in the command line syntax', () => {
  const presets = LABS.flatMap((lab) => lab.scenarios.map((p) => [`${lab.name} ${p.scenario.name}`, p] as const));

  test.each(presets)('%s: every default survives format -> parse -> format', (_, p) => {
    const params = Object.entries(p.scenario.params);
    for (const [name, param] of params) {
      const text = defaultText(p, name);
      if (text === undefined || text === '') continue;
      const again = param.format(param.parse(text, `${p.scenario.name}.${name}`));
      expect(`${name}=${again}`).toBe(`${name}=${text}`);
    }
    expect(params.some(([name]) => (defaultText(p, name) ?? '') !== '')).toBe(true);
  });

  test('weights, durations and numbers are written as --set text', () => {
    const tutorial = LABS.find((l) => l.name === 'tutorial')!;
    const of = (scenario: string, name: string) => defaultText(tutorial.scenarios.find((p) => p.scenario.name === scenario)!, name);
    expect([of('canary', 'weights'), of('fault-delay', 'delay'), of('fault-abort', 'status'), of('header-route', 'weights'), of('authz-allow', 'rules')])
      .toEqual(['v1:90,v2:10', '7s', '503', '', 'customer<*:GET;preference<customer;recommendation<preference']);
  });

  test('a typed default Istio would refuse is refused in one line naming it, like the same --set text', () => {
    const lab = LABS.find((l) => l.name === 'tutorial')!.build(new App());
    const bad = preset({ scenario: faultDelay, defaults: { service: 'recommendation', delay: Duration.millis(0.5), percent: 150 } });
    expect(() => applyPreset(lab, bad)).toThrow(new MeshlabError('fault-delay.delay=0.5ms: must be a duration Istio accepts: at least 1ms, whole milliseconds, in Go\'s form such as 500ms, 1.5s, 1m30s or 2h'));
    const lab2 = LABS.find((l) => l.name === 'tutorial')!.build(new App());
    const pct = preset({ scenario: faultDelay, defaults: { service: 'recommendation', delay: Duration.seconds(1), percent: 150 } });
    expect(() => applyPreset(lab2, pct)).toThrow('fault-delay.percent=150: must be a percentage from 0 to 100');
    const lab3 = LABS.find((l) => l.name === 'tutorial')!.build(new App());
    const version = preset({ scenario: canary, defaults: { service: 'recommendation', weights: [{ version: 'v3', weight: 100 }] } });
    expect(() => applyPreset(lab3, version)).toThrow('canary.weights=v3:100: recommendation has no version v3 (versions: v1, v2)');
  });
});

describe('no `any` in meshlab: the readers of arbitrary YAML take `unknown` and narrow it', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('path') as typeof import('path');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const root = path.resolve(__dirname, '..');
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []));
  /** Each `any` written as a type (the keyword, or an alias named `Any`), by file: TypeScript's parse, so prose and comments do not count. */
  const anysIn = (file: string, text: string): number => {
    let n = 0;
    const visit = (node: import('typescript').Node): void => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) n++;
      if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'Any') n++;
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
    return n;
  };
  const anys = (dir: string) => walk(path.join(root, dir))
    .map((f) => [path.relative(root, f).split(path.sep).join('/'), anysIn(f, fs.readFileSync(f, 'utf8'))] as const)
    .filter(([, n]) => n > 0);

  test('the counter finds `any` written as a type, and not the word in prose', () => {
    const probe = 'type Any = any; // any\nconst a: Any[] = [];\nconst b = JSON.parse(x) as any;\nconst c = `any pod`;\nfunction f(x: any): Array<any> { return x; }\n';
    expect(anysIn('probe.ts', probe)).toBe(5);
  });

  test('the model, the intent, the renderers, the output layer, the command line and the readers (validate, istio, explain) have none', () => {
    const dirs = ['lib/mesh', 'lib/scenarios', 'lib/labs', 'lib/intent', 'lib/render', 'lib/output', 'lib/cli', 'lib/platform', 'lib/validate', 'lib/istio', 'lib/explain', 'lib/verify/cluster', 'lib/verify/simulation'];
    expect(dirs.flatMap(anys)).toEqual([]);
  });

  test('the one file left is the mutation table of verify:istio, which edits deep copies of test objects in place', () => {
    // Each mutation edits a copy of an object of any kind and is judged by istioctl itself
    // (verify:istio), so a wrong edit shows there; it holds at most the uses it holds now.
    const left = ['lib/verify', 'imports', 'scripts'].flatMap(anys).filter(([f]) => !f.startsWith('lib/verify/cluster/') && !f.startsWith('lib/verify/simulation/'));
    expect(left.map(([f]) => f)).toEqual(['lib/verify/mutations.ts']);
    expect(left[0][1]).toBeLessThanOrEqual(18);
  });
});
