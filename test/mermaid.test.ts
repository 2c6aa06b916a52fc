import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const guides = fs.readdirSync(path.join(root, 'dist'))
  .filter((lab) => lab !== 'platform') // the platform's guide is an install guide, without traffic pictures
  .map((lab) => path.join(root, 'dist', lab, 'README.md'))
  .filter((f) => fs.existsSync(f));

/** Mermaid's own parser (test/support/mermaid-parse.mjs) over the given Markdown files. */
function parse(files: string[]): Array<{ file: string; block: number; error?: string }> {
  const result = spawnSync(process.execPath, [path.join(root, 'test', 'support', 'mermaid-parse.mjs'), ...files], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

test("Mermaid's parser accepts every traffic picture in the committed guides", () => {
  const results = parse(guides);
  expect(results.filter((r) => r.error)).toEqual([]);
  // The Traffic section of each lab plus one picture per step.
  expect(results.length).toBeGreaterThanOrEqual(guides.length + 41);
}, 60_000);

test('the parser check fails on a broken picture (so the test above can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-mermaid-'));
  const file = path.join(dir, 'broken.md');
  fs.writeFileSync(file, '```mermaid\nflowchart LR\n  a["x"] -->|"unterminated| b\n```\n');
  try {
    expect(parse([file])).toEqual([{ file, block: 0, error: expect.any(String) }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
