import { Flavour } from '../lib/mesh/flavour';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PLATFORM } from '../lib/app';
import { LAB_NAMES } from '../lib/labs';
import { previousOutput, root, runCli, snapshotTree, tmpdir } from './support/cli';

const FOLDERS = [...LAB_NAMES.flatMap((l) => Flavour.ALL.map((f) => f.folder(l))), PLATFORM];
const main = path.join(root, 'build', 'main.js');

/** The names in a folder, for "nothing appeared, nothing went" checks on folders too big to snapshot. */
const listing = (dir: string) => fs.readdirSync(dir).sort();

describe('an output folder that would do damage is refused before anything is built', () => {
  test.each([
    ['empty --out', ['--out', ''], {}, "meshlab: --out '': the output folder is empty; give one, e.g. --out dist"],
    ['empty CDK8S_OUTDIR (an unset variable in a script)', [], { CDK8S_OUTDIR: '' }, "meshlab: CDK8S_OUTDIR '': the output folder is empty; give one, e.g. --out dist"],
    ['blank --out', ['--out', '  '], {}, "meshlab: --out   : the output folder is empty; give one, e.g. --out dist"],
    ['the file system root', ['--out', '/'], {}, 'meshlab: --out / is the file system root; give a folder of its own, e.g. --out dist'],
    ['the project', ['--out', '.'], {}, 'meshlab: --out . is the project folder or holds it; give a folder of its own, e.g. --out dist'],
    ['a folder holding the project', ['--out', '..'], {}, 'meshlab: --out .. is the project folder or holds it; give a folder of its own, e.g. --out dist'],
    ['the project through CDK8S_OUTDIR', [], { CDK8S_OUTDIR: root }, `meshlab: CDK8S_OUTDIR ${root} is the project folder or holds it; give a folder of its own, e.g. --out dist`],
  ])('%s', (_, argv, env, message) => {
    const before = listing(root);
    const parent = listing(path.dirname(root));
    expect(runCli(argv, env as Record<string, string>)).toEqual({ code: 2, out: [], err: [message] });
    expect(listing(root)).toEqual(before);
    expect(listing(path.dirname(root))).toEqual(parent);
  });

  test('the home folder', () => {
    expect(runCli(['--out', os.homedir()]).err).toEqual([`meshlab: --out ${os.homedir()} is your home folder or holds it; give a folder of its own, e.g. --out dist`]);
  });

  test('an existing file', () => {
    const file = path.join(tmpdir(), 'notes.txt');
    fs.writeFileSync(file, 'mine\n');
    expect(runCli(['--out', file])).toEqual({ code: 2, out: [], err: [`meshlab: --out ${file} is not a folder; give a folder (it is created if missing), e.g. --out dist`] });
    expect(fs.readFileSync(file, 'utf8')).toBe('mine\n');
  });

  test('a symbolic link to nothing', () => {
    const link = path.join(tmpdir(), 'out');
    fs.symlinkSync(path.join(path.dirname(link), 'missing'), link);
    expect(runCli(['--out', link]).err).toEqual([`meshlab: --out ${link} is a symbolic link to nothing; make its target or give another folder`]);
  });

  test.each(FOLDERS)("a folder named like a lab's (%s), which would nest the labs inside it", (name) => {
    const dist = previousOutput();
    const before = snapshotTree(dist);
    const out = path.join(dist, name);
    expect(runCli(['--out', out])).toEqual({ code: 2, out: [], err: [`meshlab: --out ${out} is named like the folder of ${name}; give the folder that holds the labs, e.g. --out ${dist}`] });
    expect(snapshotTree(dist)).toEqual(before);
  });

  test("a folder inside a lab's written folder", () => {
    const dist = path.join(tmpdir(), 'dist');
    const lab = LAB_NAMES[0];
    expect(runCli(['--lab', lab, '--out', dist]).code).toBe(0);
    const before = snapshotTree(dist);
    const out = path.join(dist, lab, 'steps');
    expect(runCli(['--out', out]).err).toEqual([`meshlab: --out ${out} is inside ${lab}'s folder ${path.join(dist, lab)}; give the folder that holds the labs`]);
    expect(snapshotTree(dist)).toEqual(before);
  });

  test('a folder that cannot be made is one line, not a stack trace', () => {
    const file = path.join(tmpdir(), 'file');
    fs.writeFileSync(file, 'x');
    const { code, err } = runCli(['--lab', LAB_NAMES[0], '--out', path.join(file, 'dist')]);
    expect(code).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^meshlab: cannot write to \/.*\/file\/dist: not a directory \(\/.*\/file\/dist\); nothing was changed$/)]);
  });
});

describe('a file system error while writing is one line and changes nothing', () => {
  test.each([['EROFS', 'read-only file system'], ['EACCES', 'permission denied'], ['ENOSPC', 'no space left on device']])('%s', (code, text) => {
    const dist = previousOutput();
    const before = snapshotTree(dist);
    // The module itself, whose properties the code under test reads at each call.
    const nodeFs: typeof fs = require('fs'); // eslint-disable-line @typescript-eslint/no-require-imports
    const real = nodeFs.writeFileSync;
    let calls = 0;
    const spy = jest.spyOn(nodeFs, 'writeFileSync').mockImplementation((...args: Parameters<typeof fs.writeFileSync>) => {
      // Fail part-way, after some files are written.
      if (++calls === 5) throw Object.assign(new Error(`${code}: ${text}, open '${String(args[0])}'`), { code, syscall: 'open', path: String(args[0]) });
      return real(...args);
    });
    try {
      const result = runCli(['--out', dist]);
      expect(result.code).toBe(2);
      expect(result.err).toEqual([expect.stringMatching(new RegExp(`^meshlab: cannot write to ${dist}: ${text} \\(/.*\\); nothing was changed$`))]);
    } finally {
      spy.mockRestore();
    }
    expect(snapshotTree(dist)).toEqual(before);
    expect(listing(dist)).toEqual(['notes.txt', 'tutorial']);
  });
});

describe('writing touches only the labs it writes', () => {
  test('a symbolic link to the output folder is written through and stays a link', () => {
    const real = previousOutput();
    const link = path.join(tmpdir(), 'dist-link');
    fs.symlinkSync(real, link);
    expect(runCli(['--lab', 'tutorial', '--out', link]).code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe(real);
    const tree = snapshotTree(real);
    expect(tree['tutorial/old.yaml']).toBeUndefined();
    expect(tree['tutorial/00-namespace.yaml']).toMatch(/kind: Namespace/);
    expect(tree['notes.txt']).toBe('mine\n');
  });

  test("a lab folder that is a symbolic link is written through and stays a link", () => {
    const dist = previousOutput();
    const elsewhere = path.join(tmpdir(), 'my-tutorial');
    fs.renameSync(path.join(dist, 'tutorial'), elsewhere);
    fs.symlinkSync(elsewhere, path.join(dist, 'tutorial'));
    expect(runCli(['--lab', 'tutorial', '--api', 'istio', '--out', dist]).code).toBe(0);
    expect(fs.lstatSync(path.join(dist, 'tutorial')).isSymbolicLink()).toBe(true);
    expect(Object.keys(snapshotTree(elsewhere))).toContain('00-namespace.yaml');
    expect(listing(path.dirname(elsewhere))).toEqual(['my-tutorial']);
  });

  test('nothing but the output is copied or moved: the other entries keep their inodes, no staging is left', () => {
    const dist = previousOutput();
    fs.mkdirSync(path.join(dist, 'big', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'big', 'deep', 'data'), 'x');
    const inode = (p: string) => fs.statSync(path.join(dist, p)).ino;
    const before = { notes: inode('notes.txt'), big: inode('big'), data: inode('big/deep/data') };
    expect(runCli(['--lab', 'tutorial', '--api', 'istio', '--out', dist]).code).toBe(0);
    expect({ notes: inode('notes.txt'), big: inode('big'), data: inode('big/deep/data') }).toEqual(before);
    expect(listing(dist)).toEqual(['big', 'notes.txt', 'tutorial']);
    expect(listing(path.dirname(dist))).toEqual(['dist']);
  });

  test.each([['022', 0o755, 0o644], ['027', 0o750, 0o640], ['077', 0o700, 0o600]])('folders and files follow the umask %s', (umask, dirMode, fileMode) => {
    const out = path.join(tmpdir(), 'out');
    const lab = LAB_NAMES[0];
    const result = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, main, '--lab', lab, '--out', out], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const mode = (p: string) => fs.statSync(path.join(out, p)).mode & 0o777;
    expect([mode('.'), mode(lab), mode(`${lab}/steps`)]).toEqual([dirMode, dirMode, dirMode]);
    expect(mode(`${lab}/00-namespace.yaml`)).toBe(fileMode);
  });
});

describe('under npx cdk8s synth, which empties the output folder before running the app', () => {
  test('MESHLAB_LAB writes every lab anyway, with the scenarios on the chosen one only', () => {
    const out = path.join(tmpdir(), 'dist');
    const { code, out: printed } = runCli([], { CDK8S_OUTDIR: out, CDK8S_RECORD_CONSTRUCT_METADATA: 'false', MESHLAB_LAB: 'tutorial', MESHLAB_SCENARIO: 'canary' });
    expect(code).toBe(0);
    expect(listing(out)).toEqual([...FOLDERS].sort());
    expect(printed[1]).toBe(`meshlab: wrote every lab because npx cdk8s synth empties ${out}/ first; MESHLAB_LAB chose where the scenarios apply (tutorial)`);
    const tree = snapshotTree(out);
    expect(tree['tutorial/recommendation.yaml']).toMatch(/weight: 90/);
    expect(tree['flask/flaskapp.yaml']).not.toMatch(/weight:/);
  });

  test('the real cdk8s CLI with MESHLAB_LAB leaves every lab in the output', () => {
    const out = path.join(tmpdir(), 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'stale.yaml'), 'kind: Stale\n');
    const cli = path.join(root, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');
    const env = { ...process.env, MESHLAB_LAB: 'tutorial' };
    const result = spawnSync(process.execPath, [cli, 'synth', '--no-check-upgrade', '--output', out], { cwd: root, env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(listing(out)).toEqual([...FOLDERS].sort());
  }, 30_000);
});
