import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runCheck } from '../lib/cli/check';
import { LIMITS } from '../lib/validate/load';
import { root, tmpdir } from './support/cli';


const checkJs = path.join(root, 'build', 'check.js');

function check(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCheck(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** A file with this content in a fresh folder. */
function fileWith(name: string, content: string | Buffer): string {
  const file = path.join(tmpdir(), name);
  fs.writeFileSync(file, content);
  return file;
}

/** The billion laughs: nine levels of nine aliases, 9^9 values from a few hundred bytes. */
const BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n';

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports:\n  - name: http\n    port: 80\n';

describe('check reads within stated bounds and refuses the rest in one line', () => {
  test('a YAML alias bomb of under 500 bytes is refused within a second, in one line', () => {
    expect(Buffer.byteLength(BOMB)).toBeLessThan(500);
    const file = fileWith('bomb.yaml', BOMB);
    const started = Date.now();
    const result = spawnSync(process.execPath, [checkJs, file], { encoding: 'utf8' });
    expect(Date.now() - started).toBeLessThan(1500); // a second, plus Node's start on a busy machine
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`meshlab check: ${file}:1: the document expands to more than 1,000,000 values through YAML aliases, the most meshlab reads in one document\n`);
  });

  test('/dev/zero is refused as not a regular file', () => {
    expect(check(['/dev/zero'])).toEqual({ code: 2, out: [], err: ['meshlab check: /dev/zero: not a regular file (a character device); give YAML or JSON files or folders, or - for standard input'] });
  });

  test('a FIFO is refused without blocking on it', () => {
    const fifo = path.join(tmpdir(), 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(check([fifo]).err).toEqual([`meshlab check: ${fifo}: not a regular file (a FIFO); give YAML or JSON files or folders, or - for standard input`]);
    // Found in a folder, too.
    expect(check([path.dirname(fifo)]).err).toEqual([`meshlab check: ${fifo}: not a regular file (a FIFO); give YAML or JSON files or folders, or - for standard input`]);
  });

  test('a file over the size limit is refused without reading it', () => {
    const file = path.join(tmpdir(), 'huge.yaml');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, LIMITS.fileBytes + 1); // sparse: costs no disk
    expect(check([file]).err).toEqual([`meshlab check: ${file}: over 16 MiB, the most meshlab reads from one file`]);
  });

  test('input over the total limit is refused', () => {
    const dir = tmpdir();
    for (let i = 0; i <= LIMITS.totalBytes / LIMITS.fileBytes; i++) {
      const file = path.join(dir, `f${i}.yaml`);
      fs.writeFileSync(file, '');
      fs.truncateSync(file, LIMITS.fileBytes - 1);
    }
    const result = check([dir]);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([expect.stringMatching(new RegExp(`: the input is over ${LIMITS.totalBytes / 1024 / 1024} MiB in all, the most meshlab reads at once; check fewer files at a time$`))]);
  });

  test('- reads standard input', () => {
    const result = spawnSync(process.execPath, [checkJs, '-'], { input: SERVICE, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/meshlab check: 1 objects in 1 files: 0 error\(s\)/);
  });

  test('an alias bomb on standard input is refused too', () => {
    const result = spawnSync(process.execPath, [checkJs, '-'], { input: BOMB, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('meshlab check: (stdin):1: the document expands to more than 1,000,000 values through YAML aliases, the most meshlab reads in one document\n');
  });

  test('a folder with no YAML is reported', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
    expect(check([dir])).toEqual({ code: 2, out: [], err: [`meshlab check: ${dir}: no *.yaml, *.yml or *.json file in this folder`] });
  });

  test.each([
    ['binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe]), 'is not UTF-8 text (a binary file?)'],
    ['invalid UTF-8', Buffer.concat([Buffer.from('kind: Service\nname: '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), 'is not UTF-8 text (a binary file?)'],
    ['NUL bytes', Buffer.from('kind: \u0000Service\n'), expect.stringMatching(/^is not valid YAML: /)],
    ['deeply nested flow', '['.repeat(100_000) + ']'.repeat(100_000), 'nests deeper than the YAML parser can follow (the limit is 100 levels)'],
    ['deeply nested block', Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'nests deeper than the YAML parser can follow (the limit is 100 levels)'],
    ['nested beyond the limit', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${'['.repeat(150)}${']'.repeat(150)}\n`, 'nests deeper than 100 levels, which no Kubernetes object does'],
    ['garbage', 'this: is: not: yaml: [', expect.stringMatching(/^is not valid YAML: /)],
    ['a bare scalar', 'hello', 'is not a Kubernetes object (it needs apiVersion and kind)'],
  ])('%s gives a finding, not a stack trace', (_, content, message) => {
    const file = fileWith('input.yaml', content);
    const result = check([file, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out[0]).findings).toEqual([expect.objectContaining({ code: 'ML0010', message })]);
  });

  test('deeply nested JSON gives a finding, not a stack trace', () => {
    const file = fileWith('input.json', '['.repeat(200_000) + ']'.repeat(200_000));
    expect(JSON.parse(check([file, '--json']).out[0]).findings).toEqual([expect.objectContaining({ message: 'nests deeper than 100 levels, which no Kubernetes object does' })]);
  });

  test('a folder of garbage, binaries and links gives findings and no stack trace', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'a.yaml'), Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    fs.writeFileSync(path.join(dir, 'b.yml'), ': : :');
    fs.writeFileSync(path.join(dir, 'c.json'), '{"kind":');
    fs.writeFileSync(path.join(dir, 'd.yaml'), SERVICE);
    fs.symlinkSync(path.join(dir, 'missing.yaml'), path.join(dir, 'e.yaml'));
    fs.symlinkSync(dir, path.join(dir, 'loop'));
    const result = spawnSync(process.execPath, [checkJs, dir], { encoding: 'utf8' });
    expect(result.stderr).toBe(`meshlab check: ${path.join(dir, 'e.yaml')}: cannot be read (ENOENT)\n`);
    fs.unlinkSync(path.join(dir, 'e.yaml'));
    const again = spawnSync(process.execPath, [checkJs, dir], { encoding: 'utf8' });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(1);
    expect(again.stdout.trim().split('\n').pop()).toBe('meshlab check: 1 objects in 4 files: 3 error(s), 0 warning(s)');
  });

  test('objects of the wrong shape give schema findings, not a stack trace', () => {
    const dir = tmpdir();
    const objects = [
      'apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: a, namespace: shop}\nspec: {hosts: 5, http: "y"}\n',
      'apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata: {name: b, namespace: shop}\nspec: {rules: [{from: 5, to: 6}]}\n',
      'apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: c, namespace: shop}\nspec: {host: web, subsets: [{name: v1, labels: 5}]}\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: d, namespace: shop, labels: 5}\nspec: {selector: 3, ports: "p"}\n',
      SERVICE,
    ];
    objects.forEach((o, i) => fs.writeFileSync(path.join(dir, `${i}.yaml`), o));
    const result = check([dir, '--json']);
    expect(result.code).toBe(1);
    const findings = JSON.parse(result.out[0]).findings;
    // Istio's kinds fail Istio's schema (IST0106), the Service fails Kubernetes' (ML0017); the
    // readers narrow every field, so each object is also analyzed with the rest.
    for (const name of ['a', 'b', 'c']) expect(findings).toContainEqual(expect.objectContaining({ code: 'IST0106', object: expect.stringMatching(new RegExp(`shop/${name}$`)) }));
    expect(findings).toContainEqual(expect.objectContaining({ code: 'ML0017', object: 'Service shop/d', field: 'spec.ports' }));
  });
});
