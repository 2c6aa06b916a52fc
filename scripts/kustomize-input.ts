// What `npm run bench` gives `kubectl kustomize` to compare with the synthesis: the objects of
// every folder the synthesis wrote, as kustomizations kustomize accepts. Pure: file texts in,
// file lists out; scripts/bench-kustomize.ts writes them and scripts/bench.js times kubectl.
import { loadAll } from 'js-yaml';

/** A file the synthesis wrote, its path relative to the output folder with `/` separators. */
export interface OutputFile {
  readonly path: string;
  readonly text: string;
}

/** A YAML file the comparison leaves out, and why. */
export interface LeftOut {
  readonly path: string;
  readonly reason: string;
}

export interface KustomizeInput {
  /**
   * The files of each kustomization, in path order. No object id repeats within one
   * kustomization; as few kustomizations as first-fit gives (one per flavour of a lab).
   */
  readonly kustomizations: ReadonlyArray<ReadonlyArray<string>>;
  /** Objects in all kustomizations together. */
  readonly objects: number;
  readonly leftOut: ReadonlyArray<LeftOut>;
}

/**
 * The id kustomize refuses to register twice in one kustomization: group/version, kind, name and
 * namespace, with no namespace counting as `default` (kubectl kustomize, Kustomize v5.5.0:
 * "may not add resource with an already registered id: VirtualService.v1.networking.istio.io/x.n",
 * and `x.[noNs]` clashes with `x.default`).
 */
export function kustomizeId(object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${object.kind}.${object.apiVersion}/${object.metadata.name}.${object.metadata.namespace || 'default'}`;
}

type K8sObject = Parameters<typeof kustomizeId>[0];

function isObject(doc: unknown): doc is K8sObject {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  const metadata = d.metadata as Record<string, unknown> | undefined;
  return typeof d.apiVersion === 'string' && typeof d.kind === 'string'
    && typeof metadata === 'object' && metadata !== null && typeof metadata.name === 'string' && metadata.name !== '';
}

/** The objects of one file, or why kustomize cannot take the file as a resource. */
function objectsOf(file: OutputFile): K8sObject[] | string {
  let docs: unknown[];
  try {
    docs = loadAll(file.text).filter((d) => d !== null && d !== undefined);
  } catch {
    return 'not YAML';
  }
  if (docs.length === 0) return 'holds no object';
  if (!docs.every(isObject)) return 'not a list of Kubernetes objects (apiVersion, kind, metadata.name)';
  if (docs.some((d) => d.kind === 'Kustomization')) return 'a kustomization, not objects';
  const ids = docs.map(kustomizeId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) return `states ${twice} twice`;
  return docs;
}

/**
 * The kustomizations over the synthesis's output. Taken: every `*.yaml` at the top of a folder
 * (a lab's base in each flavour, the platform's add-ons). Left out: the files in a folder's own
 * subfolders (a lab's steps/, which re-state the lab's objects under the same names; the
 * platform's istioctl/ install profiles), alternatives applied one at a time, and any YAML that
 * is not a plain list of objects. Folders that
 * state the same object (the flavours of one lab share its namespace and names) go into
 * separate kustomizations, since kustomize refuses one id twice.
 */
export function kustomizeInput(files: readonly OutputFile[]): KustomizeInput {
  const groups: Array<{ files: string[]; ids: Set<string> }> = [];
  const leftOut: LeftOut[] = [];
  let objects = 0;
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (!file.path.endsWith('.yaml')) continue;
    if (file.path.split('/').length > 2) {
      leftOut.push({ path: file.path, reason: 'in a subfolder (steps, install profiles): alternatives applied one at a time' });
      continue;
    }
    const found = objectsOf(file);
    if (typeof found === 'string') {
      leftOut.push({ path: file.path, reason: found });
      continue;
    }
    const ids = found.map(kustomizeId);
    let group = groups.find((g) => ids.every((id) => !g.ids.has(id)));
    if (group === undefined) {
      group = { files: [], ids: new Set() };
      groups.push(group);
    }
    group.files.push(file.path);
    for (const id of ids) group.ids.add(id);
    objects += found.length;
  }
  return { kustomizations: groups.map((g) => g.files), objects, leftOut };
}

/** A kustomization.yaml listing the files, relative to the folder it is written in. */
export function kustomizationYaml(files: readonly string[]): string {
  return ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', ...files.map((f) => `  - ${JSON.stringify(f)}`), ''].join('\n');
}
