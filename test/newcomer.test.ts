import * as fs from 'fs';
import * as path from 'path';
import { buildLab, unexpressed } from '../lib/app';
import { LABS } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { didYouMean } from '../lib/suggest';
import { runExplain } from '../lib/cli/explain';
import { runCheck } from '../lib/cli/check';
import { expectRejected, root, runCli, snapshotTree, tmpdir } from './support/cli';

/** Every (lab, scenario, flavour) where the flavour leaves the scenario out, read from the scenarios themselves. */
const LEFT_OUT = LABS.flatMap((definition) => Flavour.ALL.flatMap((flavour) =>
  unexpressed(definition, definition.scenarios.map((p) => p.scenario.name), flavour).map((u) => ({ definition, flavour, ...u }))));

const flavourFlags = (f: (typeof Flavour.ALL)[number]) => ['--api', f.api, '--mode', f.mode];

describe('a scenario a flavour cannot express', () => {
  test('some flavour leaves some scenario out (else the tests below would check nothing)', () => {
    expect(LEFT_OUT.length).toBeGreaterThan(0);
  });

  test.each(LEFT_OUT.map((l) => [l.definition.name, l.scenario, l.flavour.name, l]))('%s %s with the %s flavour chosen is refused in one line, nothing written', (lab, scenario, _name, l) => {
    const message = `meshlab: scenario ${scenario} has no form in the ${l.flavour.name} flavour (${l.flavour.folder(lab)}): ${l.reason}; nothing was written`;
    expectRejected(['--lab', lab, '--scenario', scenario, ...flavourFlags(l.flavour)], expect.stringContaining(message));
  });

  test('the refusal names the flavours that have it', () => {
    const l = LEFT_OUT[0];
    const dir = tmpdir();
    const { code, err } = runCli(['--lab', l.definition.name, '--scenario', l.scenario, ...flavourFlags(l.flavour), '--out', dir]);
    expect(code).toBe(2);
    const having = Flavour.ALL.filter((f) => unexpressed(l.definition, [l.scenario], f).length === 0);
    expect(having.length).toBeGreaterThan(0);
    expect(err[0]).toMatch(new RegExp(`\\(flavours that have it: ${having.map((f) => `--api ${f.api} --mode ${f.mode}`).join(', ')}\\)$`));
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('the flags file asking for it under --api/--mode is refused too', () => {
    const l = LEFT_OUT[0];
    const config = path.join(tmpdir(), 'meshlab.config.json');
    fs.writeFileSync(config, JSON.stringify({ labs: { [l.definition.name]: { scenarios: [l.scenario] } } }));
    expectRejected(['--lab', l.definition.name, '--config', config, ...flavourFlags(l.flavour)], expect.stringContaining(`scenario ${l.scenario} has no form in the ${l.flavour.name} flavour`));
  });

  test('explain refuses it with the same line', () => {
    const l = LEFT_OUT[0];
    const err: string[] = [];
    const code = runExplain(['--lab', l.definition.name, '--scenario', l.scenario, ...flavourFlags(l.flavour)], {}, { out: () => undefined, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err).toEqual([`meshlab: scenario ${l.scenario} has no form in the ${l.flavour.name} flavour (${l.flavour.folder(l.definition.name)}): ${l.reason}`]);
  });

  test('without --api and --mode, one line after the summary names the folders that left it out and their guides', () => {
    const l = LEFT_OUT[0];
    const dir = path.join(tmpdir(), 'out');
    const { code, out } = runCli(['--lab', l.definition.name, '--scenario', l.scenario, '--out', dir]);
    expect(code).toBe(0);
    const missing = LEFT_OUT.filter((m) => m.definition === l.definition && m.scenario === l.scenario);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^meshlab: wrote /);
    const folders = missing.map((m) => m.flavour.folder(m.definition.name));
    expect(out[1]).toBe(`meshlab: left out where the flavour has no form for it: ${folders.map((f) => `${l.scenario} in ${f}`).join(', ')}; `
      + `"Not in this flavour" in ${folders.map((f) => `${dir}/${f}/README.md`).join(', ')} says why`);
    const tree = snapshotTree(dir);
    for (const f of folders) {
      expect(tree[`${f}/steps/${l.scenario}.yaml`]).toBeUndefined();
      expect(tree[`${f}/README.md`]).toContain(`Not in this flavour:\n\n- \`${l.scenario}\`: `);
    }
  });

  test('a scenario every flavour has prints the summary alone', () => {
    const dir = path.join(tmpdir(), 'out');
    expect(runCli(['--lab', 'tutorial', '--scenario', 'canary', '--out', dir]).out).toHaveLength(1);
  });
});

describe('--list names the flavours of every scenario', () => {
  const listing = JSON.parse(runCli(['--list', '--json']).out[0]);

  test.each(LABS.flatMap((d) => d.scenarios.map((p) => [d.name, p.scenario.name])))('%s %s', (lab, scenario) => {
    const definition = LABS.find((d) => d.name === lab)!;
    const having = Flavour.ALL.filter((f) => unexpressed(definition, [scenario], f).length === 0).map((f) => f.name);
    const listed = listing.labs.find((l: { name: string }) => l.name === lab).scenarios.find((s: { name: string }) => s.name === scenario);
    expect(listed.flavours).toEqual(having);
    expect(runCli(['--list', '--lab', lab]).out[0].split('\n')).toContain(`    ${scenario} (flavours: ${having.join(', ')})`);
  });

  test('a scenario left out of ambient lists the other flavours only', () => {
    const l = LEFT_OUT.find((x) => x.flavour.name === 'ambient')!;
    const listed = listing.labs.find((x: { name: string }) => x.name === l.definition.name).scenarios.find((s: { name: string }) => s.name === l.scenario);
    expect(listed.flavours).not.toContain('ambient');
    expect(listed.flavours).toContain('classic');
  });
});

describe('typos get a suggestion', () => {
  test.each([
    [['--scenaro', 'canary'], /^meshlab: unknown flag --scenaro \(flags: .*\); did you mean "--scenario"\?$/],
    [['--scenario', 'cannary'], /^meshlab: unknown scenario cannary \(scenarios: .*\); did you mean "canary"\?$/],
    [['--lab', 'tutorial', '--scenario', 'cannary'], /^meshlab: lab tutorial has no scenario cannary \(scenarios: .*\); did you mean "canary"\?$/],
    [['--lab', 'tutorail'], /^meshlab: unknown lab tutorail \(labs: .*\); did you mean "tutorial"\?$/],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canary.weight=v1:50,v2:50'], /^meshlab: --set canary.weight: scenario canary has no parameter weight \(parameters: service, weights\); did you mean "weights"\?$/],
    [['--lab', 'tutorial', '--scenario', 'canary', '--set', 'canry.weights=v1:50,v2:50'], /^meshlab: --set canry.weights: lab tutorial has no scenario canry \(scenarios: .*\); did you mean "canary"\?$/],
    [['--api', 'gatway-api'], /^meshlab: unknown --api gatway-api \(allowed: istio, gateway-api\); did you mean "gateway-api"\?$/],
    [['--mode', 'ambiant'], /^meshlab: unknown --mode ambiant \(allowed: sidecar, ambient\); did you mean "ambient"\?$/],
    [['--namespace', 'tutorail=lab'], /^meshlab: --namespace tutorail=lab must be LAB=NAMESPACE with LAB one of .*; did you mean "tutorial"\?$/],
    [['--outbound', 'REGISTRY_ONYL'], /^meshlab: --outbound REGISTRY_ONYL must be one of ALLOW_ANY, REGISTRY_ONLY; did you mean "REGISTRY_ONLY"\?$/],
    [['--lab', 'tutorial', '--scenario', 'load-balancer', '--set', 'load-balancer.policy=RANDOMM'], /^meshlab: load-balancer.policy=RANDOMM: must be one of .*; did you mean "RANDOM"\?$/],
  ])('synth %j', (argv, message) => expectRejected(argv, expect.stringMatching(message)));

  test('a word close to nothing gets the list alone', () => {
    expectRejected(['--lab', 'bookinfo'], expect.stringMatching(/^meshlab: unknown lab bookinfo \(labs: [^)]*\)$/));
  });

  test.each([
    [['--lab', 'tutorail'], /^meshlab: unknown lab tutorail \(labs: .*\); did you mean "tutorial"\?$/],
    [['--lab', 'tutorial', '--form', 'customer'], /^meshlab: unknown flag --form \(flags: .*\); did you mean "--from"\?$/],
    [['--lab', 'tutorial', '--from', 'custmer'], /^meshlab: unknown --from custmer: .*\); did you mean "customer"\?$/],
    [['--lab', 'tutorial', '--to', 'preferense'], /^meshlab: unknown --to preferense: .*\); did you mean "preference"\?$/],
  ])('explain %j', (argv, message) => {
    const err: string[] = [];
    expect(runExplain(argv, {}, { out: () => undefined, err: (line) => err.push(line) })).toBe(2);
    expect(err).toEqual([expect.stringMatching(message)]);
  });

  test('check', () => {
    const err: string[] = [];
    expect(runCheck(['--cods'], { out: () => undefined, err: (line) => err.push(line) })).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^meshlab check: unknown flag --cods \(flags: .*\); did you mean "--codes"\?$/)]);
  });

  test('the helper suggests the closest name only when it is close', () => {
    expect(didYouMean('tutorail', ['cart', 'tutorial'])).toBe('; did you mean "tutorial"?');
    expect(didYouMean('bookinfo', ['cart', 'tutorial'])).toBe('');
  });

  test('no "unknown" message lists names without the one helper', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && p !== path.join(root, 'lib', 'suggest.ts')) {
          fs.readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
            // An unknown name followed by the list of names there are, built by hand.
            if (/(unknown |has no (scenario|parameter) )[^`]*\((flags|labs|scenarios|parameters|allowed|services|from|workloads): \$\{/.test(line)) offenders.push(`${path.relative(root, p)}:${i + 1}`);
          });
        }
      }
    };
    walk(path.join(root, 'lib'));
    expect(offenders).toEqual([]);
  });
});

describe('weights out of range in a pair list', () => {
  test.each([
    ['v1:150,v2:-50', 'canary.weights=v1:150,v2:-50: the weight of v1 (150) and of v2 (-50) must be whole numbers from 0 to 100'],
    ['v1:150', 'canary.weights=v1:150: the weight of v1 (150) must be a whole number from 0 to 100'],
    ['v1:90,v2:10.5', 'canary.weights=v1:90,v2:10.5: the weight of v2 (10.5) must be a whole number from 0 to 100'],
    ['v1:90,v2', 'canary.weights=v1:90,v2: v2 is not a version:weight pair; weights are version:weight pairs, e.g. v1:90,v2:10'],
    ['v1:9x0,v2:10', 'canary.weights=v1:9x0,v2:10: v1:9x0 is not a version:weight pair; weights are version:weight pairs, e.g. v1:90,v2:10'],
  ])('%s', (weights, message) => {
    expectRejected(['--lab', 'tutorial', '--scenario', 'canary', '--set', `canary.weights=${weights}`], `meshlab: ${message}`);
  });
});

describe('scenarios from the command line rewrite the committed dist/', () => {
  test('the summary says so, how to restore it, and suggests --out', () => {
    const cwd = process.cwd();
    const dir = tmpdir();
    try {
      process.chdir(dir);
      const { code, out } = runCli(['--lab', 'flask', '--scenario', 'canary', '--api', 'istio']);
      expect(code).toBe(0);
      expect(out).toEqual([expect.stringMatching(/^meshlab: wrote \d+ objects in \d+ files to dist\/ \(flask\); dist\/ now holds flask with canary switched on: `git checkout dist` or `npm run synth` restores the labs \(try scenarios with --out DIR to leave dist\/ as it is\)$/)]);
      expect(fs.existsSync(path.join(dir, 'dist', 'flask', 'flaskapp.yaml'))).toBe(true);
      // Without scenarios, or into another folder, dist/ holds the labs as committed: no note.
      expect(runCli(['--lab', 'flask', '--api', 'istio']).out).toEqual([expect.stringMatching(/\(flask\)$/)]);
      expect(runCli(['--lab', 'flask', '--scenario', 'canary', '--api', 'istio', '--out', 'elsewhere']).out).toEqual([expect.stringMatching(/\(flask\)$/)]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('npm ci prints no install-scripts warning', () => {
  test('every package of the lock file with an install script has an allowScripts entry', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.split('node_modules/').pop()!);
    expect(withScripts.length).toBeGreaterThan(0);
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual([...new Set(withScripts)].sort());
  });
});

describe('one path convention: from the repository root, naming dist/<lab>/', () => {
  /** The files `kubectl` and `istioctl` commands name with -f in a text, but for URLs and an Istio release's samples. */
  const fileArgs = (text: string) => [...text.matchAll(/\b(?:kubectl|istioctl)\b[^\n`]*? -f (\S+)/g)].map((m) => m[1])
    .filter((f) => !/^https?:/.test(f) && !f.startsWith('istio-1.') && !/^FILE\b/.test(f));

  test('the README and docs/', () => {
    const texts = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).map((f) => path.join('docs', f))].map((f) => fs.readFileSync(path.join(root, f), 'utf8'));
    const files = texts.flatMap(fileArgs);
    expect(files.length).toBeGreaterThan(3);
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual([]);
    for (const text of texts) expect(text).not.toContain('cd dist');
  });

  test('every guide and step file of the committed output', () => {
    const tree = snapshotTree(path.join(root, 'dist'));
    const files = Object.entries(tree).filter(([p]) => p.endsWith('.md') || p.includes('/steps/')).flatMap(([, content]) => fileArgs(content));
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual([]);
  });
});

describe('what the README names is in the repository', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

  test('no test count or test time that would go stale (jest prints both)', () => {
    expect(readme).not.toMatch(/\b\d[\d,]* tests\b|npm test` took|tests? (passed|pass) in/);
  });

  test('no path outside the repository (../shared and the like)', () => {
    expect(readme).not.toMatch(/\.\.\/shared|LABS\.md|seeds\//);
  });

  test('the README is short (at most 250 lines): the reference is in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  test.each(fs.readdirSync(path.join(root, 'docs')).map((f) => path.join('docs', f)))('every relative link of %s is a file of the repository', (doc) => {
    const text = fs.readFileSync(path.join(root, doc), 'utf8');
    const links = [...text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links.filter((l) => !fs.existsSync(path.join(root, path.dirname(doc), l)))).toEqual([]);
  });

  test('every relative link of the README is a file of the repository', () => {
    const links = [...readme.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links).toContain('docs/labs.md');
    expect(links.filter((l) => !fs.existsSync(path.join(root, l)))).toEqual([]);
  });

  test('docs/labs.md has a section per lab naming its namespace and every service, and the files it names exist', () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'labs.md'), 'utf8');
    const sections = doc.split('\n## ').slice(1);
    for (const definition of LABS) {
      const section = sections.find((s) => s.startsWith(`\`${definition.name}\``));
      expect([definition.name, section !== undefined]).toEqual([definition.name, true]);
      const { lab } = buildLab(definition);
      expect(section).toContain(`Namespace \`${lab.namespace}\``);
      for (const name of [...lab.services.map((s) => s.name), ...lab.clients.map((c) => c.name)]) expect([definition.name, section!.includes(`\`${name}\``)]).toEqual([definition.name, true]);
    }
    expect(sections.some((s) => s.startsWith('`platform`'))).toBe(true);
    const named = [...doc.matchAll(/`(dist\/[^`]+)`/g)].map((m) => m[1].replace('<lab>', LABS[0].name));
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((p) => !fs.existsSync(path.join(root, p)))).toEqual([]);
  });
});
