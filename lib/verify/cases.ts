import * as fs from 'fs';
import * as path from 'path';
import { dump, loadAll } from 'js-yaml';
import { Manifest, objectKey } from '../validate/manifest';

/** One file of a case: its name inside the case, and its objects. */
export interface CaseFile {
  readonly name: string;
  readonly objects: readonly Manifest[];
}

/**
 * A set of manifests judged together, as `kubectl apply -f` of a folder would apply them: a
 * lab, a step over its lab, a fixture, or a mutation of one of these.
 */
export interface Case {
  /** `polyglot`, `polyglot/steps/canary`, `fixture/IST0101-references`, `polyglot/mutation/drop-subset` */
  readonly name: string;
  readonly files: readonly CaseFile[];
  /**
   * meshlab's own output: istioctl must find nothing in it. Fixtures and mutations are
   * broken on purpose and only count for agreement.
   */
  readonly generated: boolean;
  /** The objects a mutation may change: the step's own, or every object of the case. */
  readonly focus?: ReadonlySet<string>;
  /** Fixture files copied as written, YAML errors included (only for fixtures). */
  readonly verbatim?: ReadonlyArray<{ readonly name: string; readonly text: string }>;
}

const isObject = (v: unknown): v is Manifest =>
  typeof v === 'object' && v !== null && typeof (v as Manifest).kind === 'string' && typeof (v as Manifest).metadata?.name === 'string';

/** The Kubernetes objects of a YAML file, in order (empty documents and comments skipped). */
export function readObjects(file: string): Manifest[] {
  return loadAll(fs.readFileSync(file, 'utf8')).filter(isObject);
}

const yamlFiles = (dir: string) => fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();

/**
 * A step applied over its lab's base: the step's objects replace the base objects of the same
 * group, kind, namespace and name (the step file is `kubectl apply`'d after the base), and its
 * new objects are added. Files left empty by the replacement are dropped.
 */
export function overlay(base: readonly CaseFile[], step: CaseFile): CaseFile[] {
  // The step's file is written beside the base, not in a steps/ folder: npm run check would
  // take a steps/ folder for alternatives to lay over the rest once more.
  const replaced = new Set(step.objects.map(objectKey));
  const kept = base
    .map((f) => ({ name: f.name, objects: f.objects.filter((m) => !replaced.has(objectKey(m))) }))
    .filter((f) => f.objects.length > 0);
  return [...kept, step];
}

/**
 * The cases of a synthesized output folder (`dist/` or a fresh `npm run synth -- --out`): per
 * lab its base (the files directly in `<lab>/`) and every `<lab>/steps/<step>.yaml` over it.
 * `platform` is a case of its own; its `istioctl/` subfolder (the IstioOperator, which
 * `kubectl` never applies) is left to `istioctl validate`.
 */
export function outputCases(outDir: string): Case[] {
  const cases: Case[] = [];
  for (const lab of fs.readdirSync(outDir).sort()) {
    const dir = path.join(outDir, lab);
    if (!fs.statSync(dir).isDirectory()) continue;
    const base = yamlFiles(dir).map((f) => ({ name: `${lab}/${f}`, objects: readObjects(path.join(dir, f)) }));
    cases.push({ name: lab, files: base, generated: true });
    const stepsDir = path.join(dir, 'steps');
    if (!fs.existsSync(stepsDir)) continue;
    for (const f of yamlFiles(stepsDir)) {
      const step = { name: `${lab}/step-${f}`, objects: readObjects(path.join(stepsDir, f)) };
      cases.push({
        name: `${lab}/steps/${f.replace(/\.ya?ml$/, '')}`,
        files: overlay(base, step),
        generated: true,
        focus: new Set(step.objects.map(objectKey)),
      });
    }
  }
  return cases;
}

/**
 * The analyzer's fixtures (test/fixtures/check): the clean shop, each of its steps over it, and
 * each rule file over the clean shop (as the jest tests read them). Rule files are copied as
 * written, so a document that is not valid YAML reaches both tools as it is.
 */
export function fixtureCases(fixtureDir: string): Case[] {
  const cleanDir = path.join(fixtureDir, 'clean');
  const clean = yamlFiles(cleanDir).map((f) => ({ name: `clean/${f}`, objects: readObjects(path.join(cleanDir, f)) }));
  const cases: Case[] = [{ name: 'fixture/clean', files: clean, generated: false }];
  const stepsDir = path.join(cleanDir, 'steps');
  for (const f of fs.existsSync(stepsDir) ? yamlFiles(stepsDir) : []) {
    const step = { name: `clean/step-${f}`, objects: readObjects(path.join(stepsDir, f)) };
    cases.push({
      name: `fixture/clean/steps/${f.replace(/\.ya?ml$/, '')}`,
      files: overlay(clean, step),
      generated: false,
      focus: new Set(step.objects.map(objectKey)),
    });
  }
  const rulesDir = path.join(fixtureDir, 'rules');
  for (const f of yamlFiles(rulesDir)) {
    cases.push({
      name: `fixture/${f.replace(/\.ya?ml$/, '')}`,
      files: clean,
      generated: false,
      verbatim: [{ name: `rules/${f}`, text: fs.readFileSync(path.join(rulesDir, f), 'utf8') }],
    });
  }
  return cases;
}

/** Writes a case's files under `dir` (created), one YAML document per object. */
export function writeCase(c: Case, dir: string): void {
  for (const f of c.files) {
    const file = path.join(dir, f.name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.objects.map((m) => dump(m, { noRefs: true, lineWidth: -1 })).join('---\n'));
  }
  for (const v of c.verbatim ?? []) {
    const file = path.join(dir, v.name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, v.text);
  }
}

/**
 * The hand-written agreement corpus (test/fixtures/corpus): each file over the clean shop of
 * test/fixtures/check, the file's own objects the ones mutations change.
 */
export function corpusCases(corpusDir: string, fixtureDir: string): Case[] {
  const cleanDir = path.join(fixtureDir, 'clean');
  const clean = yamlFiles(cleanDir).map((f) => ({ name: `clean/${f}`, objects: readObjects(path.join(cleanDir, f)) }));
  return yamlFiles(corpusDir).map((f) => {
    const own = { name: `corpus/${f}`, objects: readObjects(path.join(corpusDir, f)) };
    return { name: `corpus/${f.replace(/\.ya?ml$/, '')}`, files: [...clean, own], generated: false, focus: new Set(own.objects.map(objectKey)) };
  });
}
