import type { LabDefinition } from './labs';
import type { Command } from './mesh/command';
import type { Flavour } from './mesh/flavour';
import type { MeshLab } from './mesh/lab';
import type { IService } from './mesh/routing';
import type { AppliedScenario } from './scenarios/engine';

/**
 * What a guide says, as plain data the model produces and the output layer only formats
 * (lib/output/guide.ts): every command already in the lab's flavour and filled in, every
 * expectation already written. The output layer neither reads constructs nor calls scenarios.
 */

/** Who calls whom in a lab's code, by name: what no manifest says, taken from the model. */
export interface CallGraph {
  /** The lab's namespace; the names below are in it, and hosts elsewhere are shown as `name.namespace`. */
  readonly namespace: string;
  readonly services: ReadonlyArray<{ readonly name: string; readonly callees: readonly string[] }>;
  /** Every client workload (a Pod or Deployment of that name), with the services it calls. */
  readonly clients: ReadonlyArray<{ readonly name: string; readonly callees: readonly string[] }>;
}

/** A lab as its guide describes it. */
export interface LabDocument {
  readonly name: string;
  readonly title: string;
  /** The module a lab of the user's own came from (--lab-file), which its synth commands name. @default a built-in lab */
  readonly labFile?: string;
  readonly namespace: string;
  /** The flavour it is written in, with the words and commands a guide uses for it. */
  readonly flavour: Flavour;
  /** The commands that show where its traffic goes. */
  readonly observe: readonly string[];
  readonly calls: CallGraph;
  /** The scenarios its base already includes (the flags file's, or --scenario). */
  readonly switchedOn: readonly string[];
}

/** A step as its guide section describes it. */
export interface StepDocument {
  /** The scenario's name, which names the step's file and section. */
  readonly name: string;
  /** What the step changes, one line. */
  readonly summary: string;
  /** The parameters as used, in the command line's syntax: `weights=v1:90,v2:10`. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** Commands a learner runs before applying it (what no manifest can hold, such as a key). */
  readonly prepare: readonly string[];
  /** The commands that show its effect. */
  readonly observe: readonly string[];
  /** What a learner should see. */
  readonly expect: string;
  /** Commands that undo what the observe commands did inside the pods, run before the revert. */
  readonly undo: readonly string[];
  /** Commands that remove what `prepare` made, run after the revert. */
  readonly cleanup: readonly string[];
}

/** The call graph of a lab (`calls()` of its services and clients), as plain data. */
export function callGraph(lab: MeshLab): CallGraph {
  const names = (callees: readonly { readonly name: string }[]) => callees.map((c) => c.name);
  return {
    namespace: lab.namespace,
    services: lab.services.map((s) => ({ name: s.name, callees: names(s.callees) })),
    clients: lab.clients.map((c) => ({ name: c.name, callees: names(c.callees) })),
  };
}

/** Fills `{namespace}`, `{service}` and `{<parameter>}` of a command with the step's values. */
function fill(command: string, definition: LabDefinition, lab: MeshLab, applied?: AppliedScenario): string {
  const service = (applied?.values.service as IService | undefined)
    ?? lab.services.find((s) => s.name === definition.observeService)
    ?? lab.services.find((s) => s.isHttp)!;
  const values: Record<string, string> = { ...applied?.texts, namespace: lab.namespace, service: service.name, istioRelease: lab.flavour.istioRelease };
  return command.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The commands that show a step (the preset's, else the lab's), as the lab's flavour runs them, filled in. */
function observeCommands(definition: LabDefinition, lab: MeshLab, applied?: AppliedScenario): string[] {
  const observe = applied?.preset.observe ?? (typeof definition.observe === 'function' ? definition.observe(lab.flavour) : definition.observe);
  const commands: readonly Command[] = Array.isArray(observe) ? observe : [observe as Command];
  const waypoint = lab.waypoint?.name;
  return commands.flatMap((c) => {
    // A command the flavour writes gets its values first: it may derive names from them (egressLog's host).
    const given = typeof c === 'string' ? c : { ...c, ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'string' ? fill(v, definition, lab, applied) : v])) } as Command;
    const line = lab.flavour.command(given, '{namespace}', waypoint);
    return line === undefined ? [] : [fill(line, definition, lab, applied)];
  });
}

/** The guide's view of a lab with the scenarios `applied` switched on. */
export function labDocument(definition: LabDefinition, lab: MeshLab, applied: readonly AppliedScenario[]): LabDocument {
  return {
    name: definition.name,
    title: definition.title,
    labFile: definition.labFile,
    namespace: lab.namespace,
    flavour: lab.flavour,
    observe: observeCommands(definition, lab),
    calls: callGraph(lab),
    switchedOn: applied.map((a) => a.preset.scenario.name),
  };
}

/** The guide's view of one step: a scenario applied alone to the plain lab. */
export function stepDocument(definition: LabDefinition, applied: AppliedScenario): StepDocument {
  const { preset, values, lab } = applied;
  const { scenario } = preset;
  return {
    name: scenario.name,
    summary: scenario.summary,
    params: Object.entries(applied.texts),
    prepare: [...(scenario.prepare?.(values, lab) ?? [])],
    observe: observeCommands(definition, lab, applied),
    expect: [scenario.expect(values, lab), preset.expect?.(applied.texts)].filter((s) => s).join('. '),
    undo: (preset.undo ?? []).map((c) => fill(c, definition, lab, applied)),
    cleanup: [...(scenario.cleanup?.(values, lab) ?? [])],
  };
}
