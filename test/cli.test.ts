import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../lib/cli/run';
import { writeAtomically } from '../lib/output/write';

const root = path.resolve(__dirname, '..');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-test-'));
}

/** Every file under `dir` with its content, for before/after comparisons. */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function runCli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = run(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** A folder holding a previous output and a file of the user's. */
function previousOutput(): string {
  const dir = path.join(tmpdir(), 'dist');
  fs.mkdirSync(path.join(dir, 'tutorial'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tutorial', 'old.yaml'), 'kind: Old\n');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
  return dir;
}

describe('bad input: one line, exit code 2, output folder untouched', () => {
  test.each([
    [['--colour'], 'meshlab: unknown flag --colour (flags: --lab, --out, --registry, --namespace, --ingress-ip, --help)'],
    [['--lab', 'bookinfo'], 'meshlab: unknown lab bookinfo (labs: polyglot, tutorial, flask, fft, platform)'],
    [['--lab'], 'meshlab: --lab needs a value'],
    [['--namespace', 'tutorial=Bad_NS'], "meshlab: --namespace tutorial=Bad_NS: Bad_NS is not a valid namespace (lower-case letters, digits and '-', at most 63)"],
    [['--namespace', 'books=x'], 'meshlab: --namespace books=x must be LAB=NAMESPACE with LAB one of polyglot, tutorial, flask, fft'],
    [['--ingress-ip', '10.0.0.300'], 'meshlab: --ingress-ip 10.0.0.300 is not an IP address'],
    [['--registry', 'a registry'], 'meshlab: --registry a registry is not a registry host (like registry.example.com:5000 or harbor.local/mirror)'],
    [['extra'], 'meshlab: unexpected argument extra (flags: --lab, --out, --registry, --namespace, --ingress-ip, --help)'],
  ])('%j', (argv, message) => {
    const dir = previousOutput();
    const before = snapshotTree(dir);
    const { code, out, err } = runCli([...argv, '--out', dir]);
    expect({ code, out, err }).toEqual({ code: 2, out: [], err: [message] });
    expect(snapshotTree(dir)).toEqual(before);
  });

  test('MESHLAB_LAB is checked like --lab', () => {
    expect(runCli([], { MESHLAB_LAB: 'flask,nope' }).err).toEqual(['meshlab: unknown lab nope (labs: polyglot, tutorial, flask, fft, platform)']);
  });
});

describe('writing', () => {
  test('--lab replaces only that lab and keeps the rest of the folder', () => {
    const dir = previousOutput();
    fs.mkdirSync(path.join(dir, 'fft'));
    fs.writeFileSync(path.join(dir, 'fft', 'keep.yaml'), 'kind: Keep\n');
    const { code, out } = runCli(['--lab', 'tutorial', '--out', dir]);
    expect(code).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^meshlab: wrote \d+ objects in 23 files to .*dist\/ \(tutorial\)$/)]);
    const tree = snapshotTree(dir);
    expect(tree['tutorial/old.yaml']).toBeUndefined();
    expect(tree['tutorial/recommendation.yaml']).toMatch(/kind: DestinationRule/);
    expect(tree['fft/keep.yaml']).toBe('kind: Keep\n');
    expect(tree['notes.txt']).toBe('mine\n');
  });

  test('CDK8S_OUTDIR is the output folder when --out is not given', () => {
    const dir = path.join(tmpdir(), 'cdk8s-out');
    expect(runCli(['--lab', 'flask'], { CDK8S_OUTDIR: dir }).code).toBe(0);
    expect(Object.keys(snapshotTree(dir)).sort()).toEqual(['flask/00-namespace.yaml', 'flask/README.md', 'flask/flaskapp.yaml', 'flask/sleep.yaml', 'flask/steps/canary.yaml', 'flask/steps/route.yaml']);
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
    expect(result.stderr).toBe('meshlab: unknown lab nope (labs: polyglot, tutorial, flask, fft, platform)\n');
  });

  test('--help prints the usage', () => {
    const result = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run synth -- \[--lab NAME\]/);
  });

  test('writes every lab and the platform, byte for byte the same on every run', () => {
    const [a, b] = [path.join(tmpdir(), 'a'), path.join(tmpdir(), 'b')];
    for (const out of [a, b]) expect(spawnSync(process.execPath, [main, '--out', out]).status).toBe(0);
    const first = snapshotTree(a);
    expect(Object.keys(first).length).toBeGreaterThan(20);
    expect(snapshotTree(b)).toEqual(first);
  });
});
