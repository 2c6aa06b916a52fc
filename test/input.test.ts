import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Duration } from 'cdk8s';
import { buildLab } from '../lib/app';
import { SYSTEM_NAMESPACES } from '../lib/cli/args';
import { listing } from '../lib/cli/list';
import { MeshlabError } from '../lib/errors';
import { MeshLab } from '../lib/mesh/lab';
import { parseIstioDuration } from '../lib/istio/duration';
import { RETRY_CONDITIONS } from '../lib/istio/http';
import { LABS, LAB_NAMES } from '../lib/labs';
import { imageProblem } from '../lib/validate/image';
import { render } from '../lib/output/render';
import { buildModel } from '../lib/app';
import { applyPreset } from '../lib/scenarios/engine';
import { find } from './support/synth';
import { expectRejected, runCli, snapshotTree, tmpdir } from './support/cli';

const lab = (name: string) => LABS.find((l) => l.name === name)!;
/** The lab's objects with `scenario` on and `set` given, as `--lab L --scenario S --set ...` builds them. */
const built = (labName: string, scenario: string, set: Record<string, string>) =>
  render([buildLab(lab(labName), undefined, { scenarios: [scenario], set }).lab]).objects.map((o) => o.manifest);
const refusal = (labName: string, scenario: string, set: Record<string, string>) => {
  try {
    built(labName, scenario, set);
  } catch (e) {
    if (e instanceof MeshlabError) return e.message;
    throw e;
  }
  return 'accepted';
};

describe('the flags file is checked against its schema', () => {
  const withConfig = (content: unknown) => {
    const file = path.join(tmpdir(), 'meshlab.config.json');
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const offered = lab('tutorial').scenarios.map((p) => p.scenario.name).join(', ');
  test.each([
    ['a misspelt top-level key', { lab: {} }, 'unknown key "lab" (allowed: labs); did you mean "labs"?'],
    ['a misspelt lab key', { labs: { tutorial: { scenario: ['canary'] } } }, 'labs.tutorial: unknown key "scenario" (allowed: scenarios, set); did you mean "scenarios"?'],
    ['a misspelt lab', { labs: { tutoral: {} } }, `unknown lab "tutoral" (labs: ${LAB_NAMES.join(', ')}); did you mean "tutorial"?`],
    ['a lab entry that is null', { labs: { tutorial: null } }, 'labs.tutorial must be an object like {"scenarios": [...], "set": {...}}, got null'],
    ['labs that is a list', { labs: [] }, 'labs must be an object with an entry per lab, got a list'],
    ['scenarios that is a string', { labs: { tutorial: { scenarios: 'canary' } } }, 'labs.tutorial.scenarios must be a list of scenario names, got a string'],
    ['a null scenario', { labs: { tutorial: { scenarios: ['canary', null] } } }, 'labs.tutorial.scenarios[1] must be a scenario name, got null'],
    ['a scenario the lab does not offer', { labs: { tutorial: { scenarios: ['canery'] } } }, `labs.tutorial.scenarios[0]: lab tutorial has no scenario "canery" (scenarios: ${offered}); did you mean "canary"?`],
    ['a set value that is a number', { labs: { tutorial: { scenarios: ['retry'], set: { 'retry.attempts': 5 } } } }, 'labs.tutorial.set["retry.attempts"] must be a string (the text --set takes), got a number'],
    ['set that is null', { labs: { tutorial: { scenarios: [], set: null } } }, 'labs.tutorial.set must map scenario.parameter to a string value, got null'],
    ['not an object', '[1]', 'must hold {"labs": {"<lab>": {"scenarios": ["<scenario>", ...], "set": {"<scenario>.<parameter>": "<value>"}}}}'],
  ])('%s', (_, content, message) => {
    const file = withConfig(content);
    expectRejected(['--config', file], `meshlab: ${file}: ${message}`);
  });

  test('a missing --config or MESHLAB_CONFIG file is refused, not taken as no flags', () => {
    const missing = path.join(tmpdir(), 'nope.json');
    expectRejected(['--config', missing], `meshlab: --config ${missing}: no such file`);
    expectRejected([], `meshlab: --config ${missing}: no such file`, { MESHLAB_CONFIG: missing });
  });

  test('a flags file that is not a regular file, or too big, is refused without reading it', () => {
    expectRejected(['--config', '/dev/zero'], 'meshlab: --config /dev/zero: is not a regular file; give the flags file (JSON)');
    const dir = tmpdir();
    expectRejected(['--config', dir], `meshlab: --config ${dir}: is a folder; give the flags file (JSON)`);
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 2 * 1024 * 1024);
    expectRejected(['--config', big], `meshlab: --config ${big}: over 1024 KiB, too big for a flags file`);
  });

  test('a well-formed flags file switches its scenarios on', () => {
    const file = withConfig({ labs: { tutorial: { scenarios: ['canary'], set: { 'canary.weights': 'v1:60,v2:40' } } } });
    const out = path.join(tmpdir(), 'out');
    expect(runCli(['--lab', 'tutorial', '--config', file, '--out', out]).code).toBe(0);
    expect(snapshotTree(out)['tutorial/recommendation.yaml']).toMatch(/weight: 60/);
  });
});

describe('--namespace', () => {
  const namespaces = Object.fromEntries(listing(undefined, {}).labs.map((l) => [l.name, l.namespace]));
  const [first, second] = LAB_NAMES;

  test.each(['kube-system', 'kube-public', 'kube-node-lease', 'kube-anything', 'istio-system', 'istio-operator', 'istio-ingress', 'istio-egress'])('refuses the system namespace %s', (ns) => {
    expectRejected(['--namespace', `${first}=${ns}`], `meshlab: --namespace ${first}=${ns}: ${ns} is a system namespace (${SYSTEM_NAMESPACES.join(', ')}); kubectl delete -f dist/${first}/ would delete it`);
  });

  test('refuses a lab given a namespace twice', () => {
    expectRejected(['--namespace', `${first}=a`, '--namespace', `${first}=b`], `meshlab: --namespace ${first}=b: lab ${first} was given a namespace already; give it once`);
  });

  test("refuses a lab moved into another lab's namespace, written or not", () => {
    expectRejected(['--lab', first, '--namespace', `${first}=${namespaces[second]}`],
      `meshlab: --namespace ${first}=${namespaces[second]}: lab ${second} is in namespace ${namespaces[second]} too; give each lab its own (kubectl delete -f dist/${first}/ deletes its namespace)`);
  });

  test('refuses two labs moved into one namespace', () => {
    expectRejected(['--namespace', `${first}=shared`, '--namespace', `${second}=shared`],
      `meshlab: --namespace ${second}=shared: lab ${first} is in namespace shared too; give each lab its own (kubectl delete -f dist/${second}/ deletes its namespace)`);
  });

  test('moves a lab into a namespace of its own', () => {
    const out = path.join(tmpdir(), 'out');
    expect(runCli(['--lab', 'tutorial', '--namespace', 'tutorial=my-lab', '--out', out]).code).toBe(0);
    expect(snapshotTree(out)['tutorial/00-namespace.yaml']).toMatch(/name: my-lab/);
  });
});

describe('--registry and image references', () => {
  const usage = 'give host[:port][/path] without a scheme, like registry.example.com:5000 or harbor.local/mirror';
  test.each([
    ['https://harbor.local/', 'has a scheme'],
    ['harbor.local//mirror', 'has an empty path segment'],
    ['harbor.local/', 'has an empty path segment'],
    ['/mirror', 'has an empty path segment'],
    ['harbor.local/Mirror', 'is not host[:port][/path] (host letters, digits, dots and dashes; path lower-case)'],
    ['harbor.local:port', 'is not host[:port][/path] (host letters, digits, dots and dashes; path lower-case)'],
    ['-harbor.local', 'is not host[:port][/path] (host letters, digits, dots and dashes; path lower-case)'],
  ])('refuses %s', (registry, why) => {
    expectRejected(['--registry', registry], `meshlab: --registry ${registry} ${why}: ${usage}`);
  });

  test('a valid registry with a port and a path prefixes every image, and every image is a valid reference', () => {
    const out = path.join(tmpdir(), 'out');
    expect(runCli(['--registry', 'harbor.local:5000/mirror', '--out', out]).code).toBe(0);
    const images = Object.values(snapshotTree(out)).flatMap((text) => [...text.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]));
    expect(images.length).toBeGreaterThan(10);
    for (const image of images) {
      expect(image).toMatch(/^harbor\.local:5000\/mirror\//);
      expect(imageProblem(image)).toBeUndefined();
    }
  });

  test('an image override that is not a valid reference is refused where it arrives, naming the version', () => {
    expect(() => buildModel({ targets: ['tutorial'], labOptions: { tutorial: { images: { customer: 'Jimmy/Customer:v1' } } } }))
      .toThrow('image Jimmy/Customer:v1 of customer v1 is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)');
  });

  test('a client image that is not a valid reference is refused where it arrives, naming the client', () => {
    expect(() => buildModel({ targets: ['flask'], labOptions: { flask: { images: { sleep: 'Dustise/Sleep' } } } }))
      .toThrow(new MeshlabError('image Dustise/Sleep of client sleep is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)'));
  });

  test('a library user adding a client with a bad image gets one line naming it', () => {
    const lab = new MeshLab(new App(), 'shop', { namespace: 'shop' });
    expect(() => lab.addClient('curl', { container: { image: 'curlimages/curl:8.5.0 ', command: ['sleep', '1d'] } }))
      .toThrow(new MeshlabError("image curlimages/curl:8.5.0  of client curl is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)"));
    expect(lab.addClient('curl', { container: { image: 'curlimages/curl:8.5.0', command: ['sleep', '1d'] } }).name).toBe('curl');
  });

  test('an image that bypasses the model (a raw ApiObject in a lab) is still refused before anything is written (ML0011)', () => {
    const app = new App({ outdir: tmpdir() });
    const lab = new MeshLab(app, 'shop', { namespace: 'shop' });
    new ApiObject(lab, 'raw', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'raw' }, spec: { containers: [{ name: 'raw', image: 'Bad/Image' }] } });
    expect(() => app.synth()).toThrow(/image Bad\/Image is not a valid image reference/);
    expect(fs.readdirSync(app.outdir)).toEqual([]);
  });

  test('an image a scenario adds (the mtls matrix) is checked where the lab hands it out, naming the workload', () => {
    expect(() => buildModel({ targets: ['polyglot'], labOptions: { polyglot: { images: { 'legacy-sleep': 'Pstauffer/Curl' } } } }))
      .toThrow('image Pstauffer/Curl of legacy-sleep is not a valid image reference');
  });

  test.each([
    ['redis:5-alpine', undefined],
    ['docker.io/library/redis:5-alpine', undefined],
    ['localhost:5000/a/b__c-d.e:v1', undefined],
    [`harbor.local/x@sha256:${'a'.repeat(64)}`, undefined],
    ['[::1]:5000/x:v1', undefined],
    ['redis:', 'is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)'],
    ['https://harbor.local/redis', 'is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)'],
    ['harbor.local//redis', 'is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)'],
    [`x/${'a'.repeat(260)}`, 'has a name longer than 255 characters'],
  ])('image reference %s', (image, problem) => {
    expect(imageProblem(image)).toBe(problem);
  });
});

describe('--ingress-ip', () => {
  test.each([
    ['0.0.0.0', 'is unspecified (0.0.0.0/8); give a unicast address of a node'],
    ['127.0.0.1', 'is a loopback address; give a unicast address of a node'],
    ['169.254.10.1', 'is link-local (169.254.0.0/16); give a unicast address of a node'],
    ['224.0.0.1', 'is multicast (224.0.0.0/4); give a unicast address of a node'],
    ['255.255.255.255', 'is broadcast or reserved (240.0.0.0/4); give a unicast address of a node'],
    ['::', 'is unspecified (::); give a unicast address of a node'],
    ['::1', 'is a loopback address; give a unicast address of a node'],
    ['fe80::1', 'is link-local (fe80::/10); give a unicast address of a node'],
    ['ff02::1', 'is multicast (ff00::/8); give a unicast address of a node'],
    ['010.0.0.1', 'is not an IP address'],
  ])('refuses %s', (ip, why) => {
    expectRejected(['--ingress-ip', ip], `meshlab: --ingress-ip ${ip} ${why}`);
  });

  test('refuses an address given twice, however it is spelt', () => {
    expectRejected(['--ingress-ip', '192.168.0.252,192.168.0.252'], 'meshlab: --ingress-ip 192.168.0.252 is given twice; give each address once');
    expectRejected(['--ingress-ip', '2001:db8::1', '--ingress-ip', '2001:DB8:0::1'], 'meshlab: --ingress-ip 2001:DB8:0::1 is given twice; give each address once');
    expectRejected([], 'meshlab: --ingress-ip 10.1.1.1 is given twice; give each address once', { MESHLAB_INGRESS_IP: '10.1.1.1, 10.1.1.1' });
  });
});

describe('--scenario', () => {
  test('items are trimmed', () => {
    const out = path.join(tmpdir(), 'out');
    expect(runCli(['--lab', 'tutorial', '--scenario', ' canary , header-route ', '--out', out]).code).toBe(0);
    expect(snapshotTree(out)['tutorial/README.md']).toMatch(/already include these steps .*: `header-route`, `canary`|`canary`, `header-route`/);
  });

  test('a list that names nothing is refused', () => {
    expectRejected(['--lab', 'tutorial', '--scenario', ' , '], 'meshlab: --scenario names nothing; give at least one name');
  });

  test('a scenario the chosen lab does not offer is refused', () => {
    const all = [...new Set(LABS.flatMap((l) => l.scenarios.map((p) => p.scenario.name)))];
    const [labName, missing] = LABS.flatMap((l) => all.filter((s) => !l.scenarios.some((p) => p.scenario.name === s)).map((s) => [l.name, s]))[0];
    const offered = lab(labName).scenarios.map((p) => p.scenario.name).join(', ') || 'none';
    expectRejected(['--lab', labName, '--scenario', missing], `meshlab: lab ${labName} has no scenario ${missing} (scenarios: ${offered})`);
  });

  test('a scenario error names the scenario even when the cause does not', () => {
    const preset = { scenario: { name: 'demo', summary: '', params: {}, apply: () => { throw new MeshlabError('no such thing'); } }, defaults: {} };
    const { lab: meshLab } = buildLab(lab('tutorial'));
    expect(() => applyPreset(meshLab, preset as never)).toThrow(new MeshlabError('demo: no such thing'));
  });
});

describe('durations are read as Istio reads them', () => {
  test.each([
    ['1.5s', '1500ms'], ['0.5s', '500ms'], ['.5s', '500ms'], ['1m30s', '90s'], ['100ms', '100ms'], ['2h', '2h'],
    ['1ms', '1ms'], ['1500us', 'refused'], ['3000000ns', '3ms'], ['1h0m0.25s', '3600250ms'],
  ])('timeout.timeout=%s renders as %s', (text, rendered) => {
    const vs = (): string => find(built('tutorial', 'timeout', { 'timeout.timeout': text }), 'VirtualService', 'recommendation').spec.http[0].timeout;
    if (rendered === 'refused') expect(vs).toThrow(/is not a whole number of milliseconds/);
    else expect(vs()).toBe(rendered);
  });

  test.each([
    ['0s', 'is shorter than 1ms'], ['0.5ms', 'is shorter than 1ms'], ['1us', 'is shorter than 1ms'], ['1.0005s', 'is not a whole number of milliseconds'],
    ['-1s', 'is negative'], ['1 minute', 'must be a duration'], ['1d', 'must be a duration'], ['s', 'must be a duration'], ['1.s5', 'must be a duration'],
    ['9999999999h', "is longer than Go's longest duration"],
  ])('%s is refused: %s', (text, why) => {
    const parsed = parseIstioDuration(text);
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(new RegExp(`^${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  test("rate-limit.per below Envoy's 50ms fill interval is refused", () => {
    expect(refusal('tutorial', 'rate-limit', { 'rate-limit.per': '49ms' })).toBe('rate-limit: per must be at least 50ms (Envoy refuses a shorter fill interval), got 49ms');
    expect(refusal('tutorial', 'rate-limit', { 'rate-limit.per': '0.05s' })).toBe('accepted');
  });

  test('a refused duration names the parameter, the value and the forms allowed', () => {
    expect(refusal('tutorial', 'timeout', { 'timeout.timeout': '0.5ms' })).toBe("timeout.timeout=0.5ms: is shorter than 1ms; it must be a duration Istio accepts: at least 1ms, whole milliseconds, in Go's form such as 500ms, 1.5s, 1m30s or 2h");
    expect((parseIstioDuration('1m30s') as Duration).toMilliseconds()).toBe(90_000);
  });
});

describe('retry conditions and header names are checked against what Istio accepts', () => {
  test.each([['5xx,gateway-error', '5xx,gateway-error'], ['503', '503'], [' 5xx , connect-failure ', '5xx,connect-failure'], ['retriable-status-codes,503,429', 'retriable-status-codes,503,429'], [RETRY_CONDITIONS.join(','), RETRY_CONDITIONS.join(',')]])(
    'retry.retryOn=%j renders as %j', (text, rendered) => {
      expect(find(built('tutorial', 'retry', { 'retry.retryOn': text }), 'VirtualService', 'recommendation').spec.http[0].retries.retryOn).toBe(rendered);
    });

  test('retry.attempts=0 switches retries off with nothing Istio would refuse beside it', () => {
    const retries = find(built('tutorial', 'retry', { 'retry.attempts': '0', 'retry.retryOn': '5xx' }), 'VirtualService', 'recommendation').spec.http[0].retries;
    expect(retries).toEqual({ attempts: 0 });
  });

  test.each(['5xxx', 'on-error', '599', '999', '5xx;reset', ','])('retry.retryOn=%j is refused', (text) => {
    expect(refusal('tutorial', 'retry', { 'retry.retryOn': text })).toMatch(new RegExp(`^retry\\.retryOn=${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*\\(conditions: 5xx, gateway-error, .*, or an HTTP status code such as 503\\)$`));
  });

  test.each([
    ['tutorial', 'header-route', 'header'], ['tutorial', 'load-balancer', 'hashHeader'], ['polyglot', 'jwt', 'header'], ['polyglot', 'request-headers', 'name'],
  ])('%s %s.%s must be an HTTP token', (labName, scenario, param) => {
    for (const bad of ['x user', 'x-user:', 'ü', '(x)']) {
      expect(refusal(labName, scenario, { [`${scenario}.${param}`]: bad })).toBe(`${scenario}.${param}=${bad}: is not an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~, no spaces or ':')`);
    }
    expect(refusal(labName, scenario, { [`${scenario}.${param}`]: 'x_user.id' })).toBe('accepted');
  });
});
