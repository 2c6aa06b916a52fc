import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IstioObject } from '../../imports/istio';
import { buildLab } from '../app';
import { LabDefinition } from '../labs';
import { LabOptions } from '../labs/options';
import { AppliedScenario, applyPreset } from '../scenarios/engine';
import { MeshLab } from '../mesh/lab';
import { Scenario } from '../scenarios/scenario';
import { Located, checkManifests } from '../validate/check';
import { Finding, Manifest, objectKey } from '../validate/manifest';
import { OutputFile, orderForFile } from './render';
import { toYaml } from './yaml';

/** One tutorial step: the objects it adds or changes relative to the plain lab. */
export interface Step {
  readonly applied: AppliedScenario;
  readonly changed: readonly Manifest[];
  readonly added: readonly Manifest[];
}

/**
 * Objects a scenario can have changed: the Istio objects of the services and gateways it
 * touched, its own objects, and objects marked changed (scaled Deployments). The Kubernetes
 * objects of services and clients are otherwise the same in every step, so step labs do not
 * build or serialize them again; a test compares this with a full build of every step.
 */
function mayChange(c: IConstruct, lab: MeshLab): boolean {
  if (lab.wasChanged(c as ApiObject)) return true;
  for (let scope: IConstruct | undefined = c.node.scope; scope; scope = scope.node.scope) {
    if (scope instanceof Scenario) return true;
    const changed = (scope as { changedByScenario?: unknown }).changedByScenario;
    if (typeof changed === 'boolean') return c instanceof IstioObject && changed;
  }
  return c instanceof IstioObject;
}

/**
 * The lab after a step: the plain lab's objects, each replaced by the step's object of the
 * same kind, namespace and name (as `kubectl apply` replaces it), then the objects it adds.
 */
export function applyStep(plain: readonly Manifest[], step: Step): Manifest[] {
  const changed = new Map(step.changed.map((m) => [objectKey(m), m]));
  return [...plain.map((m) => changed.get(objectKey(m)) ?? m), ...step.added];
}

/** `kubectl -n <namespace> delete <kind> <name>` for one object. */
export function deleteCommand(m: Manifest): string {
  const ns = m.metadata.namespace ? ` -n ${m.metadata.namespace}` : '';
  return `kubectl${ns} delete ${m.kind.toLowerCase()} ${m.metadata.name}`;
}

/**
 * Synthesizes every scenario a lab offers, each alone on the plain lab, and keeps what it
 * adds or changes: `steps/<scenario>.yaml` moves the lab to that step by `kubectl apply`,
 * because every object keeps the name it has in the lab. Each step is checked as a whole
 * (the lab with the step), like the lab itself.
 */
export function renderSteps(
  definition: LabDefinition,
  plainObjects: readonly Located[],
  options: LabOptions | undefined,
  set: Readonly<Record<string, string>> = {},
  output: StepOutput = { outDir: 'dist', base: plainObjects.map((o) => o.manifest) },
): { files: OutputFile[]; steps: Step[]; findings: Finding[] } {
  const before = new Map(plainObjects.map((o) => [objectKey(o.manifest), JSON.stringify(o.manifest)]));
  const files: OutputFile[] = [];
  const steps: Step[] = [];
  const findings: Finding[] = [];
  // One lab for every step: each scenario is applied alone, then taken back out.
  const { lab } = buildLab(definition, options, undefined, true);
  for (const preset of definition.scenarios) {
    const name = preset.scenario.name;
    const own = Object.fromEntries(Object.entries(set).filter(([k]) => k.startsWith(`${name}.`)));
    lab.resetScenarios();
    const applied = applyPreset(lab, preset, own);
    const stepFindings: Finding[] = [];
    const fresh = new Map<string, Located>();
    for (const c of lab.node.findAll()) {
      for (const message of c.node.validate()) stepFindings.push({ code: 'ML0011', severity: 'error', object: c.node.path, field: '', message });
      if (c instanceof ApiObject && mayChange(c, lab)) {
        const manifest = c.toJson() as Manifest;
        fresh.set(objectKey(manifest), { manifest, file: `${definition.name}/steps/${name}.yaml` });
      }
    }
    const changed = [...fresh.values()].map((o) => o.manifest).filter((m) => before.has(objectKey(m)) && before.get(objectKey(m)) !== JSON.stringify(m));
    const added = [...fresh.values()].map((o) => o.manifest).filter((m) => !before.has(objectKey(m)));
    // The lab with the step applied, checked as a whole.
    const whole = [...plainObjects.map((o) => fresh.get(objectKey(o.manifest)) ?? o), ...added.map((m) => fresh.get(objectKey(m))!)];
    // The plain lab's Kubernetes objects were checked with the lab and no scenario changes
    // what their checks depend on; the step's own objects and all routing are checked again.
    stepFindings.push(...checkManifests(whole, { only: (o) => fresh.has(objectKey(o.manifest)) }));
    findings.push(...stepFindings.map((f) => ({ ...f, object: `step ${name}: ${f.object}` })));
    const step = { applied, changed, added };
    steps.push(step);
    const prepare = preset.scenario.prepare?.(applied.values) ?? [];
    const header = [
      `# Step ${name} of lab ${definition.name}: ${preset.scenario.summary}.`,
      ...(prepare.length > 0 ? [`# First: ${prepare.join(' && ')}`] : []),
      `# Apply on the lab: kubectl apply -f ${labFolder(output.outDir, definition.name)}steps/${name}.yaml`,
      `# Revert: ${revertCommands(output, definition.name, step).join(' && ')}`,
      '# Generated by meshlab (npm run synth) from lib/: edit the code, not this file.',
      '',
    ].join('\n');
    files.push({ path: `${definition.name}/steps/${name}.yaml`, content: header + toYaml(...orderForFile([...changed, ...added])) });
  }
  lab.resetScenarios();
  return { files, steps, findings };
}

/** Where the output goes and what the lab's own files hold, for the commands of steps and guides. */
export interface StepOutput {
  /** The output folder as the person gave it (`--out`), which commands name. */
  readonly outDir: string;
  /** The lab's base as written to its folder (with the scenarios the flags file switches on). */
  readonly base: readonly Manifest[];
  /** The scenarios the lab's base includes. @default none */
  readonly switchedOn?: readonly string[];
}

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
  const { scenario } = step.applied.preset;
  const inBase = new Set(output.base.map(objectKey));
  const added = step.added.filter((m) => !inBase.has(objectKey(m)));
  const namespaces = new Set(added.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
  const objects = added.filter((m) => m.kind !== 'Namespace' && !namespaces.has(m.metadata.namespace ?? ''));
  const reapply = step.changed.length > 0 || added.length < step.added.length || Boolean(output.switchedOn?.includes(scenario.name));
  return [
    ...(reapply ? [`kubectl apply -f ${labFolder(output.outDir, lab)}`] : []),
    ...objects.map(deleteCommand),
    ...(namespaces.size > 0 ? [`kubectl delete namespace ${[...namespaces].join(' ')}`] : []),
    // What the learner made for the step (a certificate's secret), unless the lab's own files use it too.
    ...(output.switchedOn?.includes(scenario.name) ? [] : scenario.cleanup?.(step.applied.values) ?? []),
  ];
}
