import { Flavour } from '../lib/mesh/flavour';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PLATFORM, buildLab } from '../lib/app';
import { VALUE_FLAGS, SWITCHES } from '../lib/cli/args';
import { MeshlabError } from '../lib/errors';
import { LABS, LAB_NAMES } from '../lib/labs';
import { render } from '../lib/output/render';
import { writeAtomically } from '../lib/output/write';
import { expectRejected, previousOutput, root, runCli, snapshotTree, tmpdir } from './support/cli';

const FLAGS = [...VALUE_FLAGS, ...SWITCHES].join(', ');
const LABS_AND_PLATFORM = [...LAB_NAMES, PLATFORM].join(', ');

describe('bad input: one line, exit code 2, output folder untouched', () => {
  test.each([
    [['--colour'], `meshlab: unknown flag --colour (flags: ${FLAGS})`],
    [['--lab', 'bookinfo'], `meshlab: unknown lab bookinfo (labs: ${LABS_AND_PLATFORM})`],
    [['--lab'], 'meshlab: --lab needs a value'],
    [['--namespace', 'tutorial=Bad_NS'], "meshlab: --namespace tutorial=Bad_NS: Bad_NS is not a valid namespace (lower-case letters, digits and '-', at most 63)"],
    [['--namespace', 'books=x'], `meshlab: --namespace books=x must be LAB=NAMESPACE with LAB one of ${LAB_NAMES.join(', ')}`],
    [['--ingress-ip', '10.0.0.300'], 'meshlab: --ingress-ip 10.0.0.300 is not an IP address'],
    [['--registry', 'a registry'], 'meshlab: --registry a registry is not host[:port][/path] (host letters, digits, dots and dashes; path lower-case): give host[:port][/path] without a scheme, like registry.example.com:5000 or harbor.local/mirror'],
    [['extra'], `meshlab: unexpected argument extra (flags: ${FLAGS})`],
  ])('%j', expectRejected);

  test.each([
    [['--lab', 'tutorial', '--scenario', 'canery'], 'meshlab: lab tutorial has no scenario canery (scenarios: route, canary, header-route, mirror, fault-abort, fault-delay, timeout, retry, load-balancer, circuit-breaker, outlier-detection, rate-limit, authz-deny, authz-allow, egress, egress-gateway, ingress-tls, metrics); did you mean "canary"?'],
    [['--scenario', 'canery'], expect.stringMatching(/^meshlab: unknown scenario canery \(scenarios: authz-allow, authz-deny, canary, /)],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.wieghts=v1:50,v2:50'], 'meshlab: --set canary.wieghts: scenario canary has no parameter wieghts (parameters: service, weights); did you mean "weights"?'],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'timeout.timeout=2s'], 'meshlab: --set timeout.timeout: scenario timeout is not switched on (add --scenario timeout)'],
    [['--lab', 'tutorial', '--set', 'timeout.timeout=2s'], 'meshlab: --set timeout.timeout=2s: scenario timeout is not switched on (add --scenario timeout)'],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.weights=v1:80,v2:30'], 'meshlab: canary weights for recommendation must add up to 100, got 110 (v1=80, v2=30)'],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.weights=v1:90,v3:10'], 'meshlab: canary.weights=v1:90,v3:10: recommendation has no version v3 (versions: v1, v2)'],
    [['--lab', 'tutorial', '--scenario', 'fault-abort', '--set', 'fault-abort.percent=120'], 'meshlab: fault-abort.percent=120: must be a percentage from 0 to 100'],
    [['--lab', 'tutorial', '--scenario', 'fault-abort', '--set', 'fault-abort.status=302'], 'meshlab: fault-abort.status=302: must be an HTTP error status from 400 to 599'],
    [['--lab', 'tutorial', '--scenario', 'timeout', '--set', 'timeout.timeout=-1s'], "meshlab: timeout.timeout=-1s: is negative; it must be a duration Istio accepts: at least 1ms, whole milliseconds, in Go's form such as 500ms, 1.5s, 1m30s or 2h"],
    [['--lab', 'tutorial', '--scenario', 'timeout', '--set', 'timeout.timeout=1 minute'], "meshlab: timeout.timeout=1 minute: must be a duration Istio accepts: at least 1ms, whole milliseconds, in Go's form such as 500ms, 1.5s, 1m30s or 2h"],
    [['--lab', 'tutorial', '--scenario', 'retry', '--set', 'retry.attempts=-3'], 'meshlab: retry.attempts=-3: must be a whole number 0 or more'],
    [['--lab', 'tutorial', '--scenario', 'header-route', '--set', 'header-route.regex=(Safari'], 'meshlab: header-route: (Safari is not a valid RE2 regular expression (missing closing ): `(Safari`)'],
    [['--lab', 'tutorial', '--scenario', 'route', '--set', 'route.service=recomendation'], 'meshlab: route.service=recomendation: no such service in lab tutorial (services: customer, preference, egresshttpbin, egressgithub, recommendation)'],
    [['--lab', 'tutorial', '--scenario', 'route,canary'], 'meshlab: scenarios tutorial/route and tutorial/canary both set the routes of recommendation; switch one of them off'],
    [['--outbound', 'DENY'], 'meshlab: --outbound DENY must be one of ALLOW_ANY, REGISTRY_ONLY'],
    [['--json'], 'meshlab: --json goes with --list'],
  ])('scenario input %j', expectRejected);

  test('a flags file that is not what meshlab expects', () => {
    const dir = previousOutput();
    const config = path.join(tmpdir(), 'meshlab.config.json');
    fs.writeFileSync(config, JSON.stringify({ labs: { bookinfo: { scenarios: [] } } }));
    expect(runCli(['--config', config, '--out', dir]).err).toEqual([`meshlab: ${config}: unknown lab "bookinfo" (labs: ${LAB_NAMES.join(', ')})`]);
    fs.writeFileSync(config, JSON.stringify({ labs: { tutorial: { scenarios: ['canary'], set: { 'canary.weights': 'v1:50' } } } }));
    expect(runCli(['--config', config, '--out', dir]).err).toEqual(['meshlab: canary weights for recommendation must add up to 100, got 50 (v1=50)']);
  });

  test('MESHLAB_LAB is checked like --lab', () => {
    expect(runCli([], { MESHLAB_LAB: 'flask,nope' }).err).toEqual([`meshlab: unknown lab nope (labs: ${LABS_AND_PLATFORM})`]);
  });
});

describe('scenarios on the command line and in the flags file', () => {
  test('--scenario and --set change the lab base; the steps stay relative to the plain lab', () => {
    const dir = path.join(tmpdir(), 'out');
    expect(runCli(['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.weights=v1:75,v2:25', '--out', dir]).code).toBe(0);
    const tree = snapshotTree(dir);
    expect(tree['tutorial/recommendation.yaml']).toMatch(/subset: v1\n\s+weight: 75/);
    expect(tree['tutorial/steps/canary.yaml']).toMatch(/weight: 75/);
    expect(tree['tutorial/README.md']).toMatch(/already include these steps .*: `canary`/);
  });

  test('without --lab, --scenario applies to the labs that offer it', () => {
    const dir = path.join(tmpdir(), 'out');
    const offering = LABS.filter((l) => l.scenarios.some((p) => p.scenario.name === 'canary')).flatMap((l) => Flavour.ALL.map((f) => f.folder(l.name)));
    expect(runCli(['--scenario', 'canary', '--out', dir]).out).toEqual([expect.stringMatching(new RegExp(`\\(${offering.join(', ')}\\)$`))]);
  });

  test('the flags file switches scenarios on for a plain synth; MESHLAB_SCENARIO and MESHLAB_SET replace it', () => {
    const config = path.join(tmpdir(), 'meshlab.config.json');
    fs.writeFileSync(config, JSON.stringify({ labs: { flask: { scenarios: ['route'], set: { 'route.version': 'v1' } } } }));
    const dir = path.join(tmpdir(), 'out');
    expect(runCli(['--lab', 'flask', '--config', config, '--out', dir]).code).toBe(0);
    expect(snapshotTree(dir)['flask/flaskapp.yaml']).toMatch(/subset: v1/);
    expect(runCli(['--lab', 'flask', '--config', config, '--out', dir], { MESHLAB_SCENARIO: 'route', MESHLAB_SET: 'route.version=v2' }).code).toBe(0);
    expect(snapshotTree(dir)['flask/flaskapp.yaml']).toMatch(/subset: v2/);
  });

  test('--list --json lists labs, namespaces, services, versions, scenarios and parameters with defaults', () => {
    const { code, out } = runCli(['--list', '--json']);
    expect(code).toBe(0);
    const listing = JSON.parse(out[0]);
    const tutorial = listing.labs.find((l: any) => l.name === 'tutorial');
    expect(tutorial.namespace).toBe('istio-tutorial');
    expect(tutorial.services).toContainEqual({ name: 'recommendation', versions: ['v1', 'v2'] });
    expect(tutorial.scenarios.find((s: any) => s.name === 'canary').params).toEqual([
      { name: 'service', default: 'recommendation', description: 'the service it applies to' },
      { name: 'weights', default: 'v1:90,v2:10', description: 'version:percent pairs adding up to 100' },
    ]);
    expect(listing.labs.map((l: any) => l.name)).toEqual(LAB_NAMES);
  });

  test('--list prints every scenario parameter with its default', () => {
    const { out } = runCli(['--list', '--lab', 'flask']);
    expect(out[0]).toMatch(/^flask \(namespace istio-app\)\n  services: flaskapp \(v1, v2\)\n  scenarios:\n    route \(flavours: classic, gateway-api, ambient\)\n      route.service=flaskapp +the service it applies to/);
  });
});

describe('writing', () => {
  test('--lab replaces only that lab and keeps the rest of the folder', () => {
    const dir = previousOutput();
    fs.mkdirSync(path.join(dir, PLATFORM));
    fs.writeFileSync(path.join(dir, PLATFORM, 'keep.yaml'), 'kind: Keep\n');
    const { code, out } = runCli(['--lab', 'tutorial', '--api', 'istio', '--out', dir]);
    expect(code).toBe(0);
    const tree = snapshotTree(dir);
    const written = Object.keys(tree).filter((f) => f.startsWith('tutorial/')).length;
    expect(out).toEqual([expect.stringMatching(new RegExp(`^meshlab: wrote \\d+ objects in ${written} files to .*dist/ \\(tutorial\\)$`))]);
    expect(written).toBeGreaterThan(20);
    expect(tree['tutorial/old.yaml']).toBeUndefined();
    expect(tree['tutorial/recommendation.yaml']).toMatch(/kind: DestinationRule/);
    expect(tree[`${PLATFORM}/keep.yaml`]).toBe('kind: Keep\n');
    expect(tree['notes.txt']).toBe('mine\n');
  });

  test('CDK8S_OUTDIR is the output folder when --out is not given', () => {
    const dir = path.join(tmpdir(), 'cdk8s-out');
    expect(runCli(['--lab', 'flask', '--api', 'istio'], { CDK8S_OUTDIR: dir }).code).toBe(0);
    expect(Object.keys(snapshotTree(dir)).sort()).toEqual(['flask/00-namespace.yaml', 'flask/README.md', 'flask/flaskapp.yaml', 'flask/sleep.yaml', 'flask/steps/canary.yaml', 'flask/steps/metrics.yaml', 'flask/steps/route.yaml']);
  });

  test('a write that fails part-way leaves the previous output exactly as it was', () => {
    const dir = previousOutput();
    const before = snapshotTree(dir);
    // The second file cannot be created: its folder's name is taken by the first file.
    const files = [{ path: 'tutorial/a', content: 'x' }, { path: 'tutorial/a/b.yaml', content: 'y' }];
    expect(() => writeAtomically(dir, ['tutorial'], files)).toThrow();
    expect(snapshotTree(dir)).toEqual(before);
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['dist']);
  });
});

describe('the built command, as a user runs it', () => {
  const main = path.join(root, 'build', 'main.js');

  test('a mistake prints one line and no stack trace', () => {
    const result = spawnSync(process.execPath, [main, '--lab', 'nope'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`meshlab: unknown lab nope (labs: ${LABS_AND_PLATFORM})\n`);
  });

  test('--help prints the usage', () => {
    const result = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run synth -- \[--lab L\]\.\.\. \[--scenario S\[,S\.\.\.\]\]\.\.\./);
  });

  test('writes every lab and the platform, byte for byte the same on every run', () => {
    // Two runs from two folders into output folders of other names: nothing depends on where.
    const [a, b] = [path.join(tmpdir(), 'a'), path.join(tmpdir(), 'b')];
    for (const [cwd, out] of [[a, 'out'], [b, 'labs']]) {
      fs.mkdirSync(cwd);
      expect(spawnSync(process.execPath, [main, '--out', out], { cwd }).status).toBe(0);
    }
    const first = snapshotTree(path.join(a, 'out'));
    expect(Object.keys(first).length).toBeGreaterThan(20);
    expect(snapshotTree(path.join(b, 'labs'))).toEqual(first);
  });
});

describe('no parameter value, however wrong, ends in a stack trace, and every refusal names its scenario', () => {
  const cases = LABS.flatMap((lab) => lab.scenarios.flatMap((p) => Object.keys(p.scenario.params).flatMap((param) =>
    ['', '@@', '-1', 'v9', '999999'].map((value) => [lab, p.scenario.name, param, value] as const))));

  // What the command line does with a --set: build the lab with it, check and render it.
  test.each(cases.map(([lab, ...rest]) => [lab.name, ...rest] as const))('%s %s.%s=%j', (labName, scenario, param, value) => {
    const lab = LABS.find((l) => l.name === labName)!;
    try {
      const synthesis = render([buildLab(lab, undefined, { scenarios: [scenario], set: { [`${scenario}.${param}`]: value } }).lab]);
      expect(synthesis.findings).toEqual([]);
    } catch (e) {
      expect(e).toBeInstanceOf(MeshlabError);
      expect((e as Error).message).toMatch(/^\S.*\S$/);
      expect((e as Error).message).not.toMatch(/\n/);
      // It names the scenario, so with several switched on the learner knows which.
      expect((e as Error).message).toMatch(new RegExp(`^${scenario}[.: ]`));
    }
  });
});
