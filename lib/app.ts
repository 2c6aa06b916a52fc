import { ApiObject, App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshObject } from '../imports/mesh-object';
import { isPresent } from './mesh/presence';
import { LABS, LabDefinition } from './labs';
import { LabOptions } from './labs/options';
import { Flavour } from './mesh/flavour';
import { GraphChecks } from './mesh/checks';
import { MeshLab } from './mesh/lab';
import { STEP_STATE, StepState } from './mesh/step-state';
import { Platform, PlatformProps } from './platform/platform';
import { AppliedScenario, ScenarioSelection, applyPreset, needsOf, presetIn, presetTexts, resolveSelection } from './scenarios/engine';
import { Scenario } from './scenarios/scenario';
import { LabDocument, StepDocument, labDocument, stepDocument } from './document';
import { Manifest } from './validate/manifest';

/** The name `--lab` takes for the Istio platform, which is written beside the labs. */
export const PLATFORM = 'platform';

export interface MeshlabProps {
  /** Labs to build, and `platform`; in the order of `labs`. @default every lab and the platform */
  readonly targets?: readonly string[];
  /** The labs there are: LABS, and a lab of the user's own (--lab-file). @default LABS */
  readonly labs?: readonly LabDefinition[];
  /** Options per lab name. @default none */
  readonly labOptions?: Readonly<Record<string, LabOptions>>;
  /** Scenarios switched on, per lab name. @default none */
  readonly scenarios?: Readonly<Record<string, ScenarioSelection>>;
  /** @default the platform's defaults */
  readonly platform?: PlatformProps;
  /** The flavours every lab is written in, each to its own folder. @default Flavour.ALL (all three) */
  readonly flavours?: readonly Flavour[];
}

/** A lab with the scenarios applied to it. */
export interface LabBuild {
  readonly definition: LabDefinition;
  readonly lab: MeshLab;
  readonly applied: readonly AppliedScenario[];
}

/**
 * Builds one lab in its own app, with the selected scenarios (checked against what it
 * offers). With `steps`, the app passes it to the lab, which then leaves out the Deployments
 * no scenario touched and records what scenarios change, so its steps can be built on it.
 */
export function buildLab(definition: LabDefinition, options?: LabOptions, selection: ScenarioSelection = { scenarios: [] }, steps?: StepState): LabBuild {
  const presets = resolveSelection(definition.name, definition.scenarios, selection);
  const app = new App({ outdir: 'unused' });
  if (steps) app.node.setContext(STEP_STATE, steps);
  if (options?.flavour) app.node.setContext(Flavour.CONTEXT, options.flavour.name);
  const lab = definition.build(app, options);
  const applied = presets.map((preset) => applyPreset(lab, preset, selection.set));
  return { definition, lab, applied };
}

/** A scenario a flavour has no form for, and why (the flavour's guide says so too). */
export interface Unexpressed {
  readonly scenario: string;
  readonly reason: string;
}

/**
 * Which of `scenarios` (names a lab offers) `flavour` cannot express, with why, in the order
 * given: with the preset as the flavour applies it, and `set` over its defaults.
 */
export function unexpressed(definition: LabDefinition, scenarios: readonly string[], flavour: Flavour, set: Readonly<Record<string, string>> = {}): Unexpressed[] {
  return scenarios.flatMap((name) => {
    const offered = definition.scenarios.find((p) => p.scenario.name === name);
    const preset = offered && presetIn(offered, flavour);
    const reason = preset && flavour.unsupported(needsOf(preset, presetTexts(preset, set)));
    return reason === undefined ? [] : [{ scenario: name, reason }];
  });
}

/** The flavours that write `scenario` of a lab, in Flavour.ALL's order. */
export function flavoursWith(definition: LabDefinition, scenario: string): Flavour[] {
  return Flavour.ALL.filter((f) => unexpressed(definition, [scenario], f).length === 0);
}

/** The one line that refuses a scenario a flavour cannot express (synth and explain alike). */
export function unexpressedMessage(u: Unexpressed, flavour: Flavour, folder: string): string {
  return `scenario ${u.scenario} has no form in the ${flavour.name} flavour (${folder}): ${u.reason}`;
}

/** The lab definitions of `labs` to build for `targets`, in their order. */
export function selectedLabs(targets?: readonly string[], labs: readonly LabDefinition[] = LABS): LabDefinition[] {
  return labs.filter((l) => targets === undefined || targets.includes(l.name));
}

/** One tutorial step as the lab layer built it: a lab's state after one scenario, alone on the plain lab. */
export interface StepBuild {
  readonly applied: AppliedScenario;
  /** What its guide section says, in words and commands. */
  readonly document: StepDocument;
  /**
   * The objects the scenario may have changed or added, in creation order: the Istio objects
   * of the services and gateways it touched, its own objects, and objects it changed after
   * they were built (scaled Deployments). Every other object is the plain lab's.
   */
  readonly objects: readonly Manifest[];
  /**
   * Objects of the lab the step does not write (presence, lib/mesh/presence.ts): a Gateway API
   * host with a fault drops its HTTPRoute. Those the plain lab writes are deleted by the step.
   */
  readonly absent: readonly Manifest[];
  /** What the constructs' own validations said about the lab with this step, by construct path. */
  readonly problems: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

/** One lab as meshlab writes it: its base, the plain lab, and every step it offers. */
export interface LabModel {
  readonly definition: LabDefinition;
  /** The routing API and data-plane mode it is written in. */
  readonly flavour: Flavour;
  /** Its output folder: the lab's name with the flavour's suffix (`tutorial-gateway-api`). */
  readonly folder: string;
  /** The lab with the scenarios switched on for its base. */
  readonly base: LabBuild;
  /** What its guide says of it, in words and commands. */
  readonly document: LabDocument;
  /** The lab without scenarios (the base itself when none is switched on). */
  readonly plain: MeshLab;
  readonly steps: readonly StepBuild[];
  /** Steps the lab offers that have no form in this flavour, with why (its guide says so). */
  readonly skipped: readonly Unexpressed[];
}

/** Everything `npm run synth` writes, as the model: the labs with their steps, and the platform. */
export interface MeshlabModel {
  readonly props: MeshlabProps;
  readonly labs: readonly LabModel[];
  readonly platform?: Platform;
}

/**
 * Builds the model the output layer renders: per lab its base, its plain form and each step
 * (command line -> labs and scenarios -> output; the output layer never builds a lab).
 */
export function buildModel(props: MeshlabProps = {}): MeshlabModel {
  const labs = selectedLabs(props.targets, props.labs).flatMap((definition) => (props.flavours ?? Flavour.ALL).map((flavour): LabModel => {
    const options = { ...props.labOptions?.[definition.name], flavour };
    const skipped = unexpressed(definition, definition.scenarios.map((p) => p.scenario.name), flavour);
    const offered = { ...definition, scenarios: definition.scenarios.filter((p) => !skipped.some((s) => s.scenario === p.scenario.name)) };
    const asked = props.scenarios?.[definition.name] ?? { scenarios: [] };
    // A scenario switched on that has no form in this flavour (with the values asked) is left out of it (the guide says so).
    const left = unexpressed(definition, asked.scenarios, flavour, asked.set);
    const selection = { ...asked, scenarios: asked.scenarios.filter((n) => !left.some((s) => s.scenario === n)) };
    const set = Object.fromEntries(Object.entries(asked.set ?? {}).filter(([k]) => !left.some((s) => k.startsWith(`${s.scenario}.`))));
    const base = buildLab(definition, options, { ...selection, set });
    const plain = base.applied.length === 0 ? base.lab : buildLab(definition, options).lab;
    const own = (name: string) => Object.fromEntries(Object.entries(set).filter(([k]) => k.startsWith(`${name}.`)));
    const folder = flavour.folder(definition.name);
    return { definition, flavour, folder, base, document: labDocument(definition, base.lab, base.applied), plain, steps: buildSteps(offered, options, own), skipped };
  }));
  const platform = props.targets === undefined || props.targets.includes(PLATFORM) ? new Platform(new App({ outdir: 'unused' }), props.platform) : undefined;
  return { props, labs, platform };
}

/** Objects of the mesh's APIs (Istio's, the Gateway API's), which scenarios write and change. */
const isRouting = (c: IConstruct) => c instanceof MeshObject;

/**
 * Objects a scenario can have changed: the Istio objects of the services and gateways it
 * touched, its own objects, and objects marked changed (scaled Deployments). The Kubernetes
 * objects of services and clients are otherwise the same in every step, so step labs do not
 * build or serialize them again; a test compares this with a full build of every step.
 */
function mayChange(c: IConstruct, state: StepState): boolean {
  if (c instanceof ApiObject && state.wasChanged(c)) return true;
  for (let scope: IConstruct | undefined = c.node.scope; scope; scope = scope.node.scope) {
    if (scope instanceof Scenario) return true;
    const touched = state.routingTouched(scope);
    if (touched !== undefined) return isRouting(c) && touched;
  }
  return isRouting(c);
}

/**
 * Builds every step a lab offers on one lab that defers its workloads: each scenario is
 * applied alone, its state read, then taken back out (about 4x cheaper than a fresh lab per
 * step, `npm run bench`).
 */
export function buildSteps(definition: LabDefinition, options: LabOptions | undefined, setFor: (scenario: string) => Readonly<Record<string, string>>): StepBuild[] {
  const state = new StepState();
  const { lab } = buildLab(definition, options, undefined, state);
  const steps = definition.scenarios.map((preset): StepBuild => {
    state.reset();
    const applied = applyPreset(lab, preset, setFor(preset.scenario.name));
    const document = stepDocument(definition, applied);
    const problems: Array<{ path: string; message: string }> = [];
    const objects: Manifest[] = [];
    const absent: Manifest[] = [];
    for (const c of lab.node.findAll()) {
      // A step lab holds only what a step changes, which the whole-lab checks would misread:
      // the output layer checks each step over its lab (lib/output/steps.ts).
      if (c instanceof GraphChecks) continue;
      for (const message of c.node.validate()) problems.push({ path: c.node.path, message });
      if (!(c instanceof ApiObject) || !mayChange(c, state)) continue;
      // An absent object is named only (its spec may not render: an HTTPRoute of a host with a fault).
      if (isPresent(c)) objects.push(c.toJson() as Manifest);
      else absent.push({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.name, namespace: c.metadata.namespace } });
    }
    return { applied, document, objects, absent, problems };
  });
  state.reset();
  return steps;
}
