import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../../lib/cli/run';

/** The repository root. */
export const root = path.resolve(__dirname, '..', '..');

/** A fresh empty folder under the system's temporary folder. */
export function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-test-'));
}

/** Every file under `dir` with its content, for before/after comparisons. */
export function snapshotTree(dir: string): Record<string, string> {
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

/** `npm run synth` in process: exit code and the lines it printed. */
export function runCli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = run(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** A folder holding a previous output and a file of the user's. */
export function previousOutput(): string {
  const dir = path.join(tmpdir(), 'dist');
  fs.mkdirSync(path.join(dir, 'tutorial'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tutorial', 'old.yaml'), 'kind: Old\n');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
  return dir;
}

/** A run that must fail with exactly `message`, exit code 2, and leave the output folder as it was. */
export function expectRejected(argv: string[], message: unknown, env: Record<string, string> = {}): void {
  const dir = previousOutput();
  const before = snapshotTree(dir);
  const { code, out, err } = runCli([...argv, '--out', dir], env);
  expect({ code, out, err }).toEqual({ code: 2, out: [], err: [message] });
  expect(snapshotTree(dir)).toEqual(before);
}
