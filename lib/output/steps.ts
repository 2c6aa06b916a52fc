import type { StepBuild } from '../app';
import type { StepDocument } from '../document';
import { Located, checkManifests } from '../validate/check';
import { Finding, Manifest, objectKey } from '../validate/manifest';
import { OutputFile, orderForFile } from './render';
import { toYaml } from './yaml';
import { isIstioGateway } from '../istio/gateway-api';

/** One tutorial step: the objects it adds or changes relative to the plain lab. */
export interface Step {
  /** What its guide section says, in words and commands (the model wrote them). */
  readonly document: StepDocument;
  readonly changed: readonly Manifest[];
  readonly added: readonly Manifest[];
  /**
   * Objects of the plain lab the step takes away (named only): in the Gateway API flavours a
   * host with a fault swaps its HTTPRoute for a VirtualService. `kubectl apply` cannot delete,
   * so the step's commands delete them first. @default none
   */
  readonly removed?: readonly Manifest[];
}

/**
 * The lab after a step: the plain lab's objects, each replaced by the step's object of the
 * same kind, namespace and name (as `kubectl apply` replaces it), then the objects it adds.
 */
export function applyStep(plain: readonly Manifest[], step: Step): Manifest[] {
  const changed = new Map(step.changed.map((m) => [objectKey(m), m]));
  const removed = new Set((step.removed ?? []).map(objectKey));
  return [...plain.filter((m) => !removed.has(objectKey(m))).map((m) => changed.get(objectKey(m)) ?? m), ...step.added];
}

/** The commands a learner runs before applying a step (what no manifest can hold, such as a certificate). */
export function prepareCommands(step: Step): string[] {
  return [...step.document.prepare];
}

/**
 * `kubectl -n <namespace> delete <kind> <name>` for one object. Istio's Gateway is named with its
 * group: where the Gateway API's CRDs are installed too, kubectl takes `gateway` for theirs
 * (verify:cluster found a classic revert deleting nothing).
 */
export function deleteCommand(m: Manifest): string {
  const ns = m.metadata.namespace ? ` -n ${m.metadata.namespace}` : '';
  const kind = isIstioGateway(m) ? 'gateway.networking.istio.io' : m.kind.toLowerCase();
  return `kubectl${ns} delete ${kind} ${m.metadata.name}`;
}

/**
 * Writes every step the lab layer built (each scenario alone on the plain lab) and keeps what
 * it adds or changes: `steps/<scenario>.yaml` moves the lab to that step by `kubectl apply`,
 * because every object keeps the name it has in the lab. Each step is checked as a whole
 * (the lab with the step), like the lab itself.
 */
export function renderSteps(
  /** The lab's name, its folder unless `output.folder` says otherwise. */
  lab: string,
  plainObjects: readonly Located[],
  built: readonly StepBuild[],
  output: StepOutput = { outDir: COMMANDS_FROM, base: plainObjects.map((o) => o.manifest) },
): { files: OutputFile[]; steps: Step[]; findings: Finding[] } {
  const before = new Map(plainObjects.map((o) => [objectKey(o.manifest), JSON.stringify(o.manifest)]));
  const files: OutputFile[] = [];
  const steps: Step[] = [];
  const findings: Finding[] = [];
  const folder = output.folder ?? lab;
  for (const { document, objects, absent, problems } of built) {
    const { name } = document;
    const stepFindings: Finding[] = problems.map((p) => ({ code: 'ML0011', severity: 'error', object: p.path, field: '', message: p.message }));
    const fresh = new Map<string, Located>(objects.map((manifest) => [objectKey(manifest), { manifest, file: `${folder}/steps/${name}.yaml` }]));
    const removed = absent.filter((m) => before.has(objectKey(m)));
    const gone = new Set(removed.map(objectKey));
    const changed = [...fresh.values()].map((o) => o.manifest).filter((m) => before.has(objectKey(m)) && before.get(objectKey(m)) !== JSON.stringify(m));
    const added = [...fresh.values()].map((o) => o.manifest).filter((m) => !before.has(objectKey(m)));
    // The lab with the step applied, checked as a whole.
    const whole = [
      ...plainObjects.filter((o) => !gone.has(objectKey(o.manifest))).map((o) => fresh.get(objectKey(o.manifest)) ?? o),
      ...added.map((m) => fresh.get(objectKey(m))!),
    ];
    // The plain lab's Kubernetes objects were checked with the lab and no scenario changes
    // what their checks depend on; the step's own objects and all routing are checked again.
    stepFindings.push(...checkManifests(whole, { only: (o) => fresh.has(objectKey(o.manifest)) }));
    findings.push(...stepFindings.map((f) => ({ ...f, object: `step ${name}: ${f.object}` })));
    const step = { document, changed, added, removed };
    steps.push(step);
    const prepare = [...prepareCommands(step), ...removed.map(deleteCommand)];
    const header = [
      `# Step ${name} of lab ${folder}: ${document.summary}.`,
      ...(prepare.length > 0 ? [`# First: ${prepare.join(' && ')}`] : []),
      `# Apply on the lab: kubectl apply -f ${labFolder(output.outDir, folder)}steps/${name}.yaml`,
      `# Revert: ${revertCommands(output, folder, step).join(' && ')}`,
      '# Generated by meshlab (npm run synth) from lib/: edit the code, not this file.',
      '',
    ].join('\n');
    files.push({ path: `${folder}/steps/${name}.yaml`, content: header + toYaml(...orderForFile([...changed, ...added])) });
  }
  return { files, steps, findings };
}

/** Where the output goes and what the lab's own files hold, for the commands of steps and guides. */
export interface StepOutput {
  /** The folder commands start from (COMMANDS_FROM), which their paths name. */
  readonly outDir: string;
  /** The lab's folder in it (the lab's name, with its flavour's suffix). @default the lab's name */
  readonly folder?: string;
  /** The lab's base as written to its folder (with the scenarios the flags file switches on). */
  readonly base: readonly Manifest[];
  /** The scenarios the lab's base includes. @default none */
  readonly switchedOn?: readonly string[];
}

/**
 * The folder the guides' and step files' commands name, from the repository's root: the
 * output folder the repository commits, so a guide reads like the README (`kubectl apply -f
 * dist/tutorial/`) and the output is byte for byte the same wherever `--out` writes it (the
 * guide says to put that folder in place of `dist`).
 */
export const COMMANDS_FROM = 'dist';

/** `<outDir>/<lab>/`, as a shell word (quoted when it needs to be). */
export function labFolder(outDir: string, lab: string): string {
  const folder = `${outDir.replace(/\\/g, '/').replace(/\/+$/, '') || '.'}/${lab}/`;
  return /^[\w./~-]+$/.test(folder) ? folder : `'${folder.replace(/'/g, "'\\''")}'`;
}

/**
 * The commands that take a lab back from a step to its base: apply the base again for what
 * the step changed, delete what it added (a namespace goes with what is in it) and what the
 * learner made for it. An object the lab's own files hold (a scenario the flags file switches
 * on) is never deleted: applying the base again restores it instead.
 */
export function revertCommands(output: StepOutput, lab: string, step: Step): string[] {
  const { name } = step.document;
  const inBase = new Set(output.base.map(objectKey));
  const added = step.added.filter((m) => !inBase.has(objectKey(m)));
  const namespaces = new Set(added.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
  const objects = added.filter((m) => m.kind !== 'Namespace' && !namespaces.has(m.metadata.namespace ?? ''));
  const reapply = step.changed.length > 0 || (step.removed?.length ?? 0) > 0 || added.length < step.added.length || Boolean(output.switchedOn?.includes(name));
  // What replaced an object the step removed goes first, so the two never serve together.
  const apply = reapply ? [`kubectl apply -f ${labFolder(output.outDir, lab)}`] : [];
  const replaced = (step.removed?.length ?? 0) > 0;
  return [
    ...(replaced ? [] : apply),
    ...objects.map(deleteCommand),
    ...(replaced ? apply : []),
    ...(namespaces.size > 0 ? [`kubectl delete namespace ${[...namespaces].join(' ')}`] : []),
    // What the learner made for the step (a certificate's secret), unless the lab's own files use it too.
    ...(output.switchedOn?.includes(name) ? [] : step.document.cleanup),
  ];
}
