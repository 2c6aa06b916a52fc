import * as fs from 'fs';
import * as path from 'path';
import { transformSync } from 'esbuild';
import { PLATFORM, buildLab } from '../lib/app';
import { LAB_NAMES, LabDefinition } from '../lib/labs';
import { render } from '../lib/output/render';
import { root } from './support/cli';
import { Manifest } from './support/synth';

const readme = fs.readFileSync(path.join(root, 'docs', 'extending.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Add a lab'), readme.indexOf('\n## ', readme.indexOf('## Add a lab') + 1));

/** The ```ts blocks of docs/extending.md's "Add a lab" section, without their list indentation. */
const codeBlocks = [...section.matchAll(/^( *)```ts\n([\s\S]*?)^\1```$/gm)].map(([, indent, code]) =>
  code.split('\n').map((l) => l.slice(indent.length)).join('\n'));

describe("docs/extending.md's 'Add a lab' example", () => {
  // The lab file, evaluated as lib/labs/<name>.ts would be.
  const [, labFile, indexLines] = codeBlocks;
  const mod: { exports: Record<string, any> } = { exports: {} }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const { code } = transformSync(labFile, { loader: 'ts', format: 'cjs', target: 'node20' });
  const requireFromLabs = (m: string) => require(m.startsWith('.') ? path.join(root, 'lib', 'labs', m) : m); // eslint-disable-line @typescript-eslint/no-require-imports
  new Function('exports', 'require', 'module', code)(mod.exports, requireFromLabs, mod);
  const exports = { ...mod.exports };
  // The LABS entry, with the names the lab file exports.
  const entry = indexLines.split('\n').find((l) => l.trim().startsWith('{ name:'))!;
  const definition: LabDefinition = new Function(...Object.keys(exports), `return ${entry.trim().replace(/,$/, '')};`)(...Object.values(exports));

  test('builds a valid lab, alone and with each of its steps', () => {
    expect(render([buildLab(definition).lab]).findings).toEqual([]);
    for (const preset of definition.scenarios) {
      expect(render([buildLab(definition, undefined, { scenarios: [preset.scenario.name] }).lab]).findings).toEqual([]);
    }
  });

  test('takes the options every lab takes: namespace and registry', () => {
    const objects: Manifest[] = render([buildLab(definition, { namespace: 'elsewhere', registry: 'harbor.local' }).lab]).objects.map((o) => o.manifest);
    expect(objects.filter((m) => m.kind !== 'Namespace').every((m) => m.metadata.namespace === 'elsewhere')).toBe(true);
    const images = objects.flatMap((m) => (m.kind === 'Deployment' ? m.spec.template.spec.containers.map((c: { image: string }) => c.image) : []));
    expect(images.length).toBeGreaterThan(0);
    expect(images.every((i: string) => i.startsWith('harbor.local/'))).toBe(true);
  });
});

describe('no test lists the labs by hand, so adding a lab to LABS breaks none', () => {
  const names = [...LAB_NAMES, PLATFORM];
  const testFiles = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    (e.isDirectory() ? (e.name === '__snapshots__' || e.name === 'fixtures' ? [] : testFiles(path.join(dir, e.name))) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

  test.each(testFiles(path.join(root, 'test')).map((f) => path.relative(root, f)))('%s', (file) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    // Two labs that follow each other in LABS, next to each other in a list or a message:
    // a list written by hand, which a new lab would break.
    const listed = names.slice(1).map((b, i) => new RegExp(`\\b${names[i]}(['"\`]?\\s*,\\s*['"\`]?)${b}\\b`))
      .map((re) => re.exec(text)?.[0]).filter(Boolean);
    expect(listed).toEqual([]);
  });
});
