import { parseAllDocuments } from 'yaml';
import { orderForFile } from '../lib/output/render';
import { buildModel } from '../lib/app';
import { synthesizeOutput } from '../lib/output/synthesize';
import { toYaml } from '../lib/output/yaml';

const read = (text: string) => parseAllDocuments(text).map((d) => d.toJSON());

test('every generated YAML file reads back as exactly the objects it was written from', () => {
  const output = synthesizeOutput(buildModel());
  const yamlFiles = output.files.filter((f) => f.path.endsWith('.yaml') && !f.path.includes('/steps/'));
  expect(yamlFiles.length).toBeGreaterThan(20);
  for (const file of yamlFiles) {
    const objects = orderForFile(output.objects.filter((o) => o.file === file.path).map((o) => o.manifest));
    expect(read(file.content)).toEqual(JSON.parse(JSON.stringify(objects)));
  }
});

test('strings that YAML would read as something else are quoted', () => {
  const tricky = ['true', 'False', 'yes', 'no', 'on', 'off', 'null', '~', '', '8080', '0x1F', '1e3', '.5', '.inf', '-Xmx256m', '*',
    '.*Safari.*', '@type', 'a: b', '# not a comment', 'two words', '50Mi', '100m', '3m', 'v1', '/dev/stdout', 'http://www.will.com',
    'testing@secure.istio.io', 'line\nbreak', '"quoted"', "it's", '- item', '[x]', '{x}', '!tag', '&anchor', '*alias', '%x', '`x`', '|', '>'];
  const doc = { strings: tricky, map: Object.fromEntries(tricky.filter(Boolean).map((s) => [s, s])), numbers: [0, 1.5, -3], flags: [true, false], empty: { list: [], map: {} }, nested: [[1, 2], [{ a: 1 }]] };
  expect(read(toYaml(doc))).toEqual([doc]);
});

test('keys keep their order and sequences sit under their key, as kubectl users expect', () => {
  expect(toYaml({ kind: 'Service', spec: { ports: [{ name: 'http', port: 80 }] } }, { kind: 'X' })).toBe(
    'kind: Service\nspec:\n  ports:\n    - name: http\n      port: 80\n---\nkind: X\n');
});
