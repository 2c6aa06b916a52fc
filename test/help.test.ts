import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { root } from './support/cli';

const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** The three commands as `npm run synth|check|explain` run them. */
const COMMANDS = [
  ['synth', 'scripts/synth.js', /^usage: npm run synth -- /],
  ['check', 'scripts/check.js', /^usage: npm run check -- /],
  ['explain', 'scripts/explain.js', /^usage: npm run explain -- /],
] as const;

describe.each(COMMANDS)('%s', (_, script, usage) => {
  const run = (...argv: string[]) => spawnSync(process.execPath, [path.join(root, script), ...argv], { cwd: root, encoding: 'utf8' });

  test.each(['--help', '-h'])('%s prints the usage and exits 0', (flag) => {
    const result = run(flag);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(usage);
    expect(result.stdout).toMatch(/--help, -h +this text/);
  });

  test("--version prints package.json's version", () => {
    const result = run('--version');
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: `meshlab ${version}\n`, stderr: '' });
  });
});
