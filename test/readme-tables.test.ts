import * as fs from 'fs';
import * as path from 'path';
import { buildModel } from '../lib/app';
import { LABS, SAMPLE_IMAGES } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { synthesizeOutput } from '../lib/output/synthesize';
import { labObjects } from './support/guide-commands';
import { generatedSection, replaceSection, sampleImageTable, stepCell, stepTable } from './support/readme-tables';

const model = buildModel();
const output = synthesizeOutput(model);
const README = path.join(__dirname, '..', 'docs', 'flavours.md');
/** `UPDATE_README=1 npx jest test/readme-tables.test.ts` writes the tables into docs/flavours.md (as `jest -u` writes snapshots). */
const update = process.env.UPDATE_README === '1';
let readme = fs.readFileSync(README, 'utf8');
if (update) {
  readme = replaceSection(replaceSection(readme, 'steps-per-flavour', stepTable(model, output.files)), 'sample-images', sampleImageTable());
  fs.writeFileSync(README, readme);
}

describe("docs/flavours.md's generated tables are those of the code (UPDATE_README=1 rewrites them)", () => {
  test('every step in every flavour', () => {
    expect(generatedSection(readme, 'steps-per-flavour')).toEqual(stepTable(model, output.files));
  });

  test('the sample images of the new flavours', () => {
    expect(generatedSection(readme, 'sample-images')).toEqual(sampleImageTable());
  });

  test('a section is replaced between its markers, and only there', () => {
    const text = 'a\n<!-- t:start (generated) -->\nold\n<!-- t:end -->\nb';
    expect(replaceSection(text, 't', 'new')).toBe('a\n<!-- t:start (generated) -->\nnew\n<!-- t:end -->\nb');
    expect(() => replaceSection('no markers', 't', 'new')).toThrow('no section t');
  });

  test('the step table has a row per step of every lab, and says where a flavour keeps Istio\'s kinds and what it deletes first', () => {
    const table = stepTable(model, output.files);
    expect(table.split('\n')).toHaveLength(2 + LABS.reduce((n, l) => n + l.scenarios.length, 0));
    expect(stepCell(output.files, 'tutorial', 'canary', false)).toBe('VirtualService');
    expect(stepCell(output.files, 'tutorial-gateway-api', 'canary', true)).toBe('HTTPRoute');
    expect(stepCell(output.files, 'tutorial-gateway-api', 'fault-abort', true)).toBe('DestinationRule + VirtualService (no Gateway API form; deletes the HTTPRoute first)');
    expect(stepCell(output.files, 'polyglot-gateway-api', 'tcp-route', true)).toBe('Service + TCPRoute (experimental channel)');
  });

  test('a step a flavour leaves out is a dash linking to the guide that says why', () => {
    const skipping = { ...model, labs: model.labs.map((l) => (l.folder === 'flask-ambient' ? { ...l, skipped: [{ scenario: 'canary', reason: 'a reason' }] } : l)) };
    expect(stepTable(skipping, output.files)).toContain('| flask | `canary` | VirtualService | HTTPRoute | — ([why](../dist/flask-ambient/README.md#steps)) |');
  });
});

describe('the new flavours use Istio\'s current sample images; the classic flavour keeps the seeds', () => {
  const workload = (folder: string, name: string) => labObjects(output.files, folder).find((m) => (m.kind === 'Deployment' || m.kind === 'Pod') && m.metadata.name === name)!;
  const container = (folder: string, name: string) => {
    const w = workload(folder, name);
    return (w.kind === 'Pod' ? w.spec : w.spec.template.spec).containers[0];
  };

  test.each(SAMPLE_IMAGES.map((u) => [u.lab, u.workload, u] as const))('%s %s', (lab, name, use) => {
    for (const flavour of Flavour.ALL) {
      const folder = flavour.folder(lab);
      const c = container(folder, name);
      expect(c.image).toBe(flavour === Flavour.CLASSIC ? use.image.classic : use.image.current);
      if (flavour !== Flavour.CLASSIC && use.image.command) expect(c.command).toEqual(use.image.command);
      if (flavour !== Flavour.CLASSIC && use.image.port) {
        // The Service keeps its port, so routes are the same, and targets the port the image listens on.
        const labels = workload(folder, name).kind === 'Pod' ? workload(folder, name).metadata.labels : workload(folder, name).spec.template.metadata.labels;
        const services = labObjects(output.files, folder).filter((m) => m.kind === 'Service' && Object.entries(m.spec.selector).every(([k, v]) => labels[k] === v));
        const classic = labObjects(output.files, lab).filter((m) => m.kind === 'Service' && services.some((s) => s.metadata.name === m.metadata.name));
        expect(classic.length).toBeGreaterThan(0);
        for (const s of services) expect(s.spec.ports[0].port).toBe(classic[0].spec.ports[0].port);
        for (const s of services) expect(s.spec.ports[0].targetPort).toBe(use.image.port);
        expect(c.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([use.image.port]);
      }
    }
  });

  test("flask's new flavours watch with curl, which curlimages/curl has; the classic one with the seed's httpie", () => {
    const top = (folder: string) => output.files.find((f) => f.path === `${folder}/README.md`)!.content.split('\n## Steps\n')[0];
    expect(top('flask')).toContain('http --body http://flaskapp:7777/env/version');
    for (const f of Flavour.ALL.filter((x) => x !== Flavour.CLASSIC)) {
      expect(top(f.folder('flask'))).toContain('curl -s http://flaskapp:7777/env/version');
      expect(output.files.find((x) => x.path === `${f.folder('flask')}/README.md`)!.content).not.toContain('http --body');
    }
  });
});
