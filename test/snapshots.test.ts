import { LAB_NAMES } from '../lib/labs';
import { synth } from './support/synth';

const everything = synth();

/**
 * One readable YAML snapshot per output folder, for review: a change to the generated
 * YAML shows up here as a diff. The assertions about what the YAML must say live in
 * labs.test.ts and invariants.test.ts; this only pins the exact bytes and file layout.
 */
test.each([...LAB_NAMES, 'platform'])('%s YAML', (folder) => {
  // The lab's own files; steps have a snapshot each (scenarios.test.ts).
  const files = everything.files.filter((f) => f.path.startsWith(`${folder}/`) && !f.path.includes('/steps/') && f.path.endsWith('.yaml'));
  expect(files.length).toBeGreaterThan(0);
  expect(files.map((f) => `# ---- dist/${f.path}\n${f.content}`).join('\n')).toMatchSnapshot();
});
