import { LAB_NAMES } from '../lib/labs';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCheck } from '../lib/cli/check';
import { CODES } from '../lib/validate/codes';

const root = path.resolve(__dirname, '..');
const fixtures = 'test/fixtures/check';
/** The clean shop without its steps: the context every rule fixture adds one mistake to. */
const shop = ['namespace', 'app', 'routing', 'security'].map((f) => `${fixtures}/clean/${f}.yaml`);
const rules = fs.readdirSync(path.join(root, fixtures, 'rules')).filter((f) => f.endsWith('.yaml')).sort();

function check(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = runCheck(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

function checkJson(...argv: string[]) {
  const result = check('--json', ...argv);
  return { code: result.code, report: JSON.parse(result.out.join('\n')) };
}

/** The `# expect: CODE field` lines a fixture declares. */
const expected = (file: string) =>
  fs.readFileSync(path.join(root, fixtures, 'rules', file), 'utf8').split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length).trim())
    .sort();

describe('the clean set', () => {
  test('the hand-written shop (with a step) has no finding at all', () => {
    const { code, out } = check(`${fixtures}/clean`);
    expect(out).toEqual(['meshlab check: 14 objects in 5 files: 0 error(s), 0 warning(s)']);
    expect(code).toBe(0);
  });

  // Each lab is applied on its own cluster: together, their Gateways all claim `*` on port 80
  // of the one ingress gateway (IST0145), as istioctl analyze says of dist/ as a whole.
  test.each(fs.readdirSync(path.join(root, 'dist')).filter((d) => fs.statSync(path.join(root, 'dist', d)).isDirectory()))(
    "meshlab's committed output checks clean: dist/%s", (lab) => {
      const { code, report } = checkJson(`dist/${lab}`);
      expect(report.findings).toEqual([]);
      expect(report.objects).toBeGreaterThan(3);
      expect(code).toBe(0);
    });
});

describe('each rule, on the clean shop plus one mistake', () => {
  test.each(rules)('%s finds exactly what it declares', (file) => {
    const { code, report } = checkJson(...shop, `${fixtures}/rules/${file}`);
    const got = report.findings.map((f: { code: string; field: string }) => `${f.code} ${f.field}`.trim()).sort();
    expect(got).toEqual(expected(file));
    for (const f of report.findings) expect(f.file).toBe(`${fixtures}/rules/${file}`);
    const errors = report.findings.filter((f: { severity: string }) => f.severity === 'error').length;
    expect(code).toBe(errors > 0 ? 1 : 0);
  });

  test('every code but the synth-only ML0011 has a fixture that produces it', () => {
    // The Gateway API and ambient findings have theirs over the labs of test/fixtures/gateway-api-labs
    // (test/gateway-api-reading.test.ts holds each to its `# expect:` lines).
    const gatewayApi = path.join(root, 'test/fixtures/gateway-api-labs/broken');
    const expectedThere = fs.readdirSync(gatewayApi).filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => fs.readFileSync(path.join(gatewayApi, f), 'utf8').split('\n').filter((l) => l.startsWith('# expect: ')).map((l) => l.slice('# expect: '.length)));
    const covered = new Set([...rules.flatMap(expected), ...expectedThere].map((e) => e.split(' ')[0]));
    expect(Object.keys(CODES).filter((c) => !covered.has(c))).toEqual(['ML0011']);
  });

  test("each finding's severity is its code's", () => {
    for (const file of rules) {
      for (const f of checkJson(...shop, `${fixtures}/rules/${file}`).report.findings) {
        expect(f.severity).toBe(CODES[f.code as keyof typeof CODES].severity);
      }
    }
  });
});

test('no finding message shows an undefined or null value, over every fixture alone and all together', () => {
  const all = rules.map((file) => `${fixtures}/rules/${file}`);
  const messages = [...rules.map((file) => [...shop, `${fixtures}/rules/${file}`]), all, [`${fixtures}/clean`, ...all]]
    .flatMap((files) => checkJson(...files).report.findings.map((f: { message: string; field: string }) => `${f.field}: ${f.message}`));
  expect(messages.length).toBeGreaterThan(rules.length);
  expect(messages.filter((m) => /\bundefined\b|\bnull\b|NaN|\[object Object\]/.test(m))).toEqual([]);
});

describe('output', () => {
  test('one line per finding: code, severity, object, file:line, field, message', () => {
    const { out } = check(...shop, `${fixtures}/rules/ML0005-weights.yaml`);
    expect(out).toEqual([
      `ML0005 error VirtualService shop/split (${fixtures}/rules/ML0005-weights.yaml:2) spec.http[0].route: weights must add up to 100, got 110 (v1=80, v2=30)`,
      'meshlab check: 14 objects in 5 files: 1 error(s), 0 warning(s)',
    ]);
  });

  test('lines point at the document of each object in a multi-document file', () => {
    const { report } = checkJson(...shop, `${fixtures}/rules/IST0127-authorization.yaml`);
    expect(report.findings.map((f: { object: string; line: number }) => [f.object, f.line])).toEqual([
      ['AuthorizationPolicy shop/deny-webb', 7],
      ['AuthorizationPolicy archive/allow-nothing', 15],
      ['AuthorizationPolicy shop/from-shop', 20],
    ]);
  });

  test('a name.namespace host, which Istio does not expand, says what to write', () => {
    const { report } = checkJson(...shop, `${fixtures}/rules/IST0101-references.yaml`);
    expect(report.findings.find((f: { field: string }) => f.field === 'spec.http[3].route[0].destination.host').message)
      .toBe('web.shop matches no Service or ServiceEntry (Istio does not expand web.shop as DNS would: write web.shop.svc.cluster.local)');
  });

  test('warnings alone exit 0; errors exit 1', () => {
    expect(check(...shop, `${fixtures}/rules/IST0131-overlap.yaml`).code).toBe(0);
    expect(check(...shop, `${fixtures}/rules/IST0101-references.yaml`).code).toBe(1);
  });

  test('--codes lists every code with its severity', () => {
    const { code, out } = check('--codes');
    expect(code).toBe(0);
    expect(out).toHaveLength(Object.keys(CODES).length);
    expect(out).toContainEqual(expect.stringMatching(/^IST0109 error +VirtualServices bound to the mesh define the same host/));
  });
});

describe('steps/ folders hold alternatives, each checked on top of the files around it', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-check-'));
    fs.cpSync(path.join(root, fixtures, 'clean'), dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a step replacing an object is not a duplicate', () => {
    fs.writeFileSync(path.join(dir, 'steps', 'all-v1.yaml'), fs.readFileSync(path.join(dir, 'steps', 'all-v2.yaml'), 'utf8').replace('subset: v2', 'subset: v1'));
    expect(checkJson(dir).report.findings).toEqual([]);
  });

  test("a step's own mistake is reported in the step's file", () => {
    fs.writeFileSync(path.join(dir, 'steps', 'bad.yaml'), fs.readFileSync(path.join(dir, 'steps', 'all-v2.yaml'), 'utf8').replace('subset: v2', 'subset: v9'));
    const { code, report } = checkJson(dir);
    expect(report.findings.map((f: { code: string; file: string; field: string }) => [f.code, path.basename(f.file), f.field])).toEqual([
      ['IST0101', 'bad.yaml', 'spec.http[0].route[0].destination.subset'],
    ]);
    expect(code).toBe(1);
  });

  test('a base object that only breaks with a step applied names the step', () => {
    // The step drops subset v2, which the base VirtualService routes to.
    fs.writeFileSync(path.join(dir, 'steps', 'v1-only.yaml'), [
      'apiVersion: networking.istio.io/v1beta1', 'kind: DestinationRule', 'metadata: { name: web, namespace: shop }',
      'spec:', '  host: web', '  subsets: [{ name: v1, labels: { version: v1 } }]', '',
    ].join('\n'));
    const messages = checkJson(dir).report.findings.map((f: { message: string }) => f.message);
    expect(messages).toContainEqual(expect.stringMatching(/no DestinationRule for web defines subset v2 \(with .*steps\/v1-only.yaml applied\)$/));
  });
});

describe('bad usage is one line and exit 2', () => {
  test.each([
    [['--jsn'], 'meshlab check: unknown flag --jsn (flags: --json, --codes, --help, -h, --version); did you mean "--json"?'],
    [['no/such/folder'], 'meshlab check: no/such/folder: no such file or folder'],
  ])('%j', (argv, line) => {
    const { code, out, err } = check(...argv);
    expect(err).toEqual([line]);
    expect(out).toEqual([]);
    expect(code).toBe(2);
  });
});

test('npm run check is wired to the analyzer (exit 1 on an error, the finding on stdout)', () => {
  const result = spawnSync('npm', ['run', '-s', 'check', '--', ...shop, `${fixtures}/rules/ML0005-weights.yaml`], { cwd: root, encoding: 'utf8' });
  expect(result.stdout).toMatch(/^ML0005 error VirtualService shop\/split/m);
  expect(result.status).toBe(1);
});

test("docs/check.md's table lists every code with its severity", () => {
  const readme = fs.readFileSync(path.join(root, 'docs', 'check.md'), 'utf8');
  for (const [code, { severity }] of Object.entries(CODES)) expect(readme).toContain(`| ${code} | ${severity} |`);
});

test('with no PATH each folder of dist/ is checked on its own, as each lab is applied alone', () => {
  const alone = check();
  expect(alone.out[alone.out.length - 1]).toMatch(/objects in \d+ files \(\d+ folders, each on its own\): 0 error\(s\), 0 warning\(s\)$/);
  expect(alone.code).toBe(0);
  // Together, the classic labs' Gateways claim port 80 for * on the one ingress gateway.
  const together = check(...LAB_NAMES.map((l) => `dist/${l}`));
  expect(together.out.some((l) => l.startsWith('IST0145 error Gateway'))).toBe(true);
  expect(together.code).toBe(1);
});
