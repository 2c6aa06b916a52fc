// Lays out what `kubectl kustomize` gets in scripts/bench.js, run as
// `node -e "require('./scripts/bundle').runBundle('bench-kustomize')" OUTPUT SCRATCH`: reads
// everything the synthesis wrote to OUTPUT, copies the files each kustomization takes into
// SCRATCH/k<i>/ beside its kustomization.yaml (kustomize reads only below a kustomization's
// folder), and prints JSON: the kustomization folders, their objects, the objects of every
// YAML file written, and the files left out.
import * as fs from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { kustomizationYaml, kustomizeInput, OutputFile } from './kustomize-input';

const [output, scratch] = [process.argv[process.argv.length - 2], process.argv[process.argv.length - 1]];

function filesUnder(dir: string, prefix = ''): OutputFile[] {
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((e) => {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) return filesUnder(path.join(dir, e.name), rel);
    return [{ path: rel, text: fs.readFileSync(path.join(dir, e.name), 'utf8') }];
  });
}

const files = filesUnder(output);
const input = kustomizeInput(files);
const dirs = input.kustomizations.map((list, i) => {
  const dir = path.join(scratch, `k${i}`);
  for (const f of list) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(output, f), path.join(dir, f));
  }
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), kustomizationYaml(list));
  return dir;
});
const written = files.filter((f) => f.path.endsWith('.yaml'))
  .reduce((n, f) => n + loadAll(f.text).filter((d) => d !== null && d !== undefined).length, 0);
console.log(JSON.stringify({
  dirs,
  files: input.kustomizations.reduce((n, k) => n + k.length, 0),
  objects: input.objects,
  yamlFiles: files.filter((f) => f.path.endsWith('.yaml')).length,
  written,
  leftOut: input.leftOut,
}));
