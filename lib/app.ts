import { App } from 'cdk8s';
import { LABS, LabDefinition } from './labs';
import { LabOptions } from './labs/options';
import { DEFER_WORKLOADS, MeshLab } from './mesh/lab';
import { PlatformProps } from './platform/platform';
import { AppliedScenario, ScenarioSelection, applyPreset, resolveSelection } from './scenarios/engine';

/** The name `--lab` takes for the Istio platform, which is written beside the labs. */
export const PLATFORM = 'platform';

export interface MeshlabProps {
  /** Labs to build, and `platform`; in the order of LABS. @default every lab and the platform */
  readonly targets?: readonly string[];
  /** Options per lab name. */
  readonly labOptions?: Readonly<Record<string, LabOptions>>;
  /** Scenarios switched on, per lab name. @default none */
  readonly scenarios?: Readonly<Record<string, ScenarioSelection>>;
  readonly platform?: PlatformProps;
  /** The output folder as given (`--out`), which the guides' and step files' commands name. @default 'dist' */
  readonly outDir?: string;
}

/** A lab with the scenarios applied to it. */
export interface LabBuild {
  readonly definition: LabDefinition;
  readonly lab: MeshLab;
  readonly applied: readonly AppliedScenario[];
}

/**
 * Builds one lab in its own app, with the selected scenarios (checked against what it
 * offers). `deferWorkloads` leaves out the Deployments no scenario touched (for steps).
 */
export function buildLab(definition: LabDefinition, options?: LabOptions, selection: ScenarioSelection = { scenarios: [] }, deferWorkloads = false): LabBuild {
  const presets = resolveSelection(definition.name, definition.scenarios, selection);
  const app = new App({ outdir: 'unused' });
  if (deferWorkloads) app.node.setContext(DEFER_WORKLOADS, true);
  const lab = definition.build(app, options);
  const applied = presets.map((preset) => applyPreset(lab, preset, selection.set));
  return { definition, lab, applied };
}

/** The lab definitions to build for `targets`, in the order of LABS. */
export function selectedLabs(targets?: readonly string[]): LabDefinition[] {
  return LABS.filter((l) => targets === undefined || targets.includes(l.name));
}
