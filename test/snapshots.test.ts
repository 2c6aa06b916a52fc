import { LAB_NAMES } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { synth } from './support/synth';

const everything = synth();

/** Every output folder: each lab in each flavour (classic, gateway-api, ambient), and the platform. */
const FOLDERS = [...LAB_NAMES.flatMap((lab) => Flavour.ALL.map((f) => f.folder(lab))), 'platform'];

/**
 * One readable YAML snapshot per output folder, for review: a change to the generated
 * YAML shows up here as a diff. The assertions about what the YAML must say live in
 * labs.test.ts, invariants.test.ts and invariants-flavours.test.ts; this only pins the exact bytes and file layout.
 */
test('the snapshots cover every folder the synthesis writes', () => {
  expect(new Set(everything.files.map((f) => f.path.split('/')[0]))).toEqual(new Set(FOLDERS));
});

test.each(FOLDERS)('%s YAML', (folder) => {
  // The lab's own files; steps have a snapshot each (scenarios.test.ts).
  const files = everything.files.filter((f) => f.path.startsWith(`${folder}/`) && !f.path.includes('/steps/') && f.path.endsWith('.yaml'));
  expect(files.length).toBeGreaterThan(0);
  expect(files.map((f) => `# ---- dist/${f.path}\n${f.content}`).join('\n')).toMatchSnapshot();
});
