import * as fs from 'fs';
import * as path from 'path';
import { runCheck } from '../lib/cli/check';
import { runExplain } from '../lib/cli/explain';
import { LAB_NAMES } from '../lib/labs';
import { expectRejected, runCli, tmpdir } from './support/cli';

/** A lab of a user's own, in 14 lines, importing only lib/index.ts. */
const SHOP = 'test/fixtures/lab-file/shop.ts';
const lines = (run: (argv: string[], io: { out: (l: string) => void; err: (l: string) => void }) => number, argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
};

describe('npm run synth -- --lab-file PATH: a lab of your own gets every flavour, its steps, guides and pictures', () => {
  const out = tmpdir();
  const written = runCli(['--lab-file', SHOP, '--out', out]);
  const read = (file: string) => fs.readFileSync(path.join(out, file), 'utf8');

  test('it writes the lab alone, in the three flavours', () => {
    expect(written).toEqual({ code: 0, err: [], out: [expect.stringMatching(/to .* \(shop, shop-gateway-api, shop-ambient\)$/)] });
    expect(fs.readdirSync(out).sort()).toEqual(['shop', 'shop-ambient', 'shop-gateway-api']);
    for (const folder of ['shop', 'shop-gateway-api', 'shop-ambient']) {
      expect(fs.readdirSync(path.join(out, folder))).toEqual(expect.arrayContaining(['00-namespace.yaml', 'README.md', 'web.yaml', 'sleep.yaml', 'steps']));
      expect(fs.readdirSync(path.join(out, folder, 'steps'))).toEqual(['canary.yaml']);
    }
  });

  test('each flavour is written as that flavour: VirtualService, HTTPRoute, ambient with its waypoint', () => {
    expect(read('shop/steps/canary.yaml')).toMatch(/kind: VirtualService[\s\S]*subset: v1\n\s+weight: 90/);
    expect(read('shop-gateway-api/steps/canary.yaml')).toMatch(/kind: HTTPRoute[\s\S]*name: web-v1\n\s+port: 8000\n\s+weight: 90/);
    expect(read('shop/00-namespace.yaml')).toContain('istio-injection: enabled');
    expect(read('shop-ambient/00-namespace.yaml')).toContain('istio.io/dataplane-mode: ambient');
    expect(read('shop-ambient/waypoint.yaml')).toContain('gatewayClassName: istio-waypoint');
  });

  test('its guides picture the traffic, and their synth commands name the lab file', () => {
    for (const folder of ['shop', 'shop-gateway-api', 'shop-ambient']) {
      const guide = read(`${folder}/README.md`);
      expect(guide).toContain('```mermaid');
      expect(guide).toContain('### canary');
      expect(guide).toContain(`kubectl apply -f dist/${folder}/steps/canary.yaml`);
      const synths = [...guide.matchAll(/`npm run synth -- ([^`]*)`/g)].map((m) => m[1]);
      expect(synths.length).toBeGreaterThan(0);
      for (const s of synths) expect(s.startsWith(`--lab-file ${SHOP}`)).toBe(true);
    }
    expect(read('shop-ambient/README.md')).toContain('kubectl -n shop logs deploy/waypoint -c istio-proxy --tail=10');
    expect(read('shop/README.md')).toContain('kubectl -n shop logs -l app=web -c istio-proxy --tail=10');
  });

  test('npm run check finds nothing in it, each folder on its own', () => {
    expect(lines(runCheck, [out])).toEqual({ code: 0, err: [], out: ['meshlab check: 33 objects in 13 files (3 folders, each on its own): 0 error(s), 0 warning(s)'] });
  });

  test('a folder of folders that synth did not write is still read as one set', () => {
    const mixed = tmpdir();
    fs.mkdirSync(path.join(mixed, 'a'));
    fs.mkdirSync(path.join(mixed, 'b'));
    fs.copyFileSync(path.join(out, 'shop', 'web.yaml'), path.join(mixed, 'a', 'web.yaml'));
    fs.copyFileSync(path.join(out, 'shop', '00-namespace.yaml'), path.join(mixed, 'b', '00-namespace.yaml'));
    expect(lines(runCheck, [mixed]).out).toEqual(['meshlab check: 7 objects in 2 files: 0 error(s), 0 warning(s)']);
  });

  test('npm run explain previews its steps in any flavour', () => {
    for (const mode of [[], ['--api', 'gateway-api'], ['--mode', 'ambient']]) {
      const { code, out: report } = lines((argv, io) => runExplain(argv, {}, io), ['--lab-file', SHOP, '--scenario', 'canary', '--json', ...mode]);
      expect(code).toBe(0);
      const hop = JSON.parse(report.join('\n')).hops.find((h: { from: string; to: string }) => h.from === 'sleep' && h.to === 'web');
      expect(hop.versions.map((v: { name: string; percent: number }) => [v.name, Math.round(v.percent / 10)])).toEqual([['v1', 9], ['v2', 1]]);
    }
  });

  test('--lab names other labs to write beside it, and --list lists it', () => {
    const both = tmpdir();
    expect(runCli(['--lab-file', SHOP, '--lab', 'flask', '--out', both, '--api', 'istio']).code).toBe(0);
    expect(fs.readdirSync(both).sort()).toEqual(['flask', 'shop']);
    const listed = JSON.parse(runCli(['--lab-file', SHOP, '--list', '--json']).out.join('\n'));
    expect(listed.labs.map((l: { name: string }) => l.name)).toContain('shop');
  });
});

describe('a lab file that cannot be one is refused in one line, and nothing is written', () => {
  const dir = tmpdir();
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const lib = path.relative(dir, path.resolve(__dirname, '..', 'lib')).split(path.sep).join('/');

  test('a missing file, or one that is not a module', () => {
    expectRejected(['--lab-file', 'no/such/lab.ts'], 'meshlab: --lab-file no/such/lab.ts: no such file');
    const text = file('lab.txt', 'x');
    expectRejected(['--lab-file', text], `meshlab: --lab-file ${text}: must be a TypeScript or JavaScript file (.ts, .mts, .cts, .js, .mjs, .cjs)`);
  });

  test('a default export that is no lab definition', () => {
    const none = file('none.ts', 'export const x = 1;\n');
    expectRejected(['--lab-file', none], expect.stringMatching(new RegExp(`^meshlab: --lab-file ${none}: its default export has name undefined, which must be a DNS label`)));
    const noBuild = file('nobuild.ts', `import { defineLab } from '${lib}';\nexport default defineLab({ name: 'x' } as never);\n`);
    expectRejected(['--lab-file', noBuild], `meshlab: --lab-file ${noBuild}: its default export has no build function; export default defineLab({ name, build, ... }) with defineLab from meshlab's lib/index.ts`);
  });

  test('a name a built-in lab has', () => {
    const taken = file('taken.ts', `import { defineLab, MeshLab } from '${lib}';\nexport default defineLab({ name: 'tutorial', build: (s) => new MeshLab(s, 'tutorial', { namespace: 'x' }) });\n`);
    const names = [...LAB_NAMES, 'platform'].join(', ');
    expectRejected(['--lab-file', taken], `meshlab: --lab-file ${taken}: lab name tutorial is taken (${names}); give your lab another name`);
  });

  test('an import of a file deeper in lib/, which would load a second copy', () => {
    const deep = file('deep.ts', `import { MeshLab } from '${lib}/mesh/lab';\nexport default { name: 'deep', build: (s: never) => new MeshLab(s, 'deep', { namespace: 'deep' }) };\n`);
    expectRejected(['--lab-file', deep], `meshlab: --lab-file ${deep}: deep.ts imports ${lib}/mesh/lab; import what a lab needs from meshlab's lib/index.ts ('meshlab' or the path of lib/), which exports it`);
  });

  test('a file that does not compile, or fails while it loads', () => {
    const broken = file('broken.ts', 'export default {{;\n');
    expectRejected(['--lab-file', broken], expect.stringMatching(new RegExp(`^meshlab: --lab-file ${broken}: broken.ts:1 does not compile: `)));
    const throws = file('throws.js', "throw new Error('boom');\n");
    expectRejected(['--lab-file', throws], `meshlab: --lab-file ${throws}: throws.js failed while loading: boom`);
  });

  test("'meshlab' is lib/index.ts too, and a lab's own MeshlabError is its one line", () => {
    const bad = file('bad.ts', "import { defineLab, MeshLab } from 'meshlab';\nexport default defineLab({ name: 'bad', build: (s) => new MeshLab(s, 'bad', { namespace: 'Bad_NS' }) });\n");
    const { code, err } = runCli(['--lab-file', bad, '--out', tmpdir()]);
    expect(code).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^meshlab: namespace of lab bad .*Bad_NS/)]);
  });
});
