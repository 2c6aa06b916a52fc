import { Located, checkManifests } from './check';
import { deletes } from './deletions';
import { Finding, objectKey } from './manifest';

/** The folder whose files a step file in `<folder>/steps/` is applied on top of, if it is one. */
function stepsParent(file: string | undefined): string | undefined {
  const at = file?.lastIndexOf('/steps/') ?? -1;
  return at < 0 || file!.indexOf('/', at + '/steps/'.length) >= 0 ? undefined : file!.slice(0, at);
}

const key = (f: Finding) => `${f.code} ${f.object} ${f.file} ${f.field} ${f.message}`;

/**
 * Checks what a folder of manifests deploys. Files in a `steps/` folder are alternatives
 * (meshlab's steps, each applied on its own on top of the files around it), so each is
 * checked as the rest with that file applied: its objects replace those of the same
 * kind, namespace and name. Everything else is checked as one set.
 */
export function analyze(objects: readonly Located[]): Finding[] {
  const steps = new Map<string, Located[]>();
  const base: Located[] = [];
  for (const o of objects) {
    if (stepsParent(o.file) === undefined) base.push(o);
    else steps.set(o.file!, [...(steps.get(o.file!) ?? []), o]);
  }
  const findings = checkManifests(base);
  const seen = new Set(findings.map(key));
  for (const [file, own] of steps) {
    const replaced = new Set(own.map((o) => objectKey(o.manifest)));
    // Objects the step's header deletes first (`# First: kubectl delete ...`) are gone too.
    const deleted = own.flatMap((o) => o.deletes ?? []);
    const whole = [...base.filter((o) => !replaced.has(objectKey(o.manifest)) && !deleted.some((d) => deletes(d, o.manifest))), ...own];
    const mine = new Set(own);
    for (const f of checkManifests(whole, { only: (o) => mine.has(o) })) {
      // A base object that only breaks with this step applied is the step's problem: say which step.
      const finding = f.file === file ? f : { ...f, message: `${f.message} (with ${file} applied)` };
      if (seen.has(key(finding)) || seen.has(key(f))) continue;
      seen.add(key(finding));
      findings.push(finding);
    }
  }
  return findings;
}
