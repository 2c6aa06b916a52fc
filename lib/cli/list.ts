import { buildLab, flavoursWith, selectedLabs } from '../app';
import { LABS, LabDefinition } from '../labs';
import { LabOptions } from '../labs/options';
import { StepState } from '../mesh/step-state';
import { defaultText, presetIn } from '../scenarios/engine';

/** What `--list --json` prints. */
export interface Listing {
  readonly labs: ReadonlyArray<{
    readonly name: string;
    readonly namespace: string;
    readonly services: ReadonlyArray<{ readonly name: string; readonly versions: readonly string[] }>;
    readonly scenarios: ReadonlyArray<{
      readonly name: string;
      /** The flavours that write it (`classic`, `gateway-api`, `ambient`); the others leave it out. */
      readonly flavours: readonly string[];
      readonly params: ReadonlyArray<{ readonly name: string; readonly default: string; readonly description: string }>;
    }>;
  }>;
}

/** The labs, their services and versions, and their scenarios with parameters and defaults. */
export function listing(targets: readonly string[] | undefined, labOptions: Readonly<Record<string, LabOptions>>, labs: readonly LabDefinition[] = LABS): Listing {
  return {
    labs: selectedLabs(targets, labs).map((definition) => {
      const { lab } = buildLab(definition, labOptions[definition.name], undefined, new StepState());
      return {
        name: definition.name,
        namespace: lab.namespace,
        services: lab.services.map((s) => ({ name: s.name, versions: s.versions.map((v) => v.name) })),
        scenarios: definition.scenarios.map((p) => ({
          name: p.scenario.name,
          flavours: flavoursWith(definition, p.scenario.name).map((f) => f.name),
          params: Object.entries(p.scenario.params).map(([name, param]) => ({ name, default: defaultText(presetIn(p, lab.flavour), name) ?? '', description: param.description })),
        })),
      };
    }),
  };
}

/** The listing as text for a person. */
export function formatListing(l: Listing): string {
  const lines: string[] = [];
  for (const lab of l.labs) {
    lines.push(`${lab.name} (namespace ${lab.namespace})`);
    lines.push(`  services: ${lab.services.map((s) => `${s.name} (${s.versions.join(', ')})`).join(', ')}`);
    lines.push(`  scenarios:${lab.scenarios.length === 0 ? ' none' : ''}`);
    for (const s of lab.scenarios) {
      lines.push(`    ${s.name} (flavours: ${s.flavours.join(', ')})`);
      const width = Math.max(...s.params.map((p) => `${s.name}.${p.name}=${p.default}`.length));
      for (const p of s.params) lines.push(`      ${`${s.name}.${p.name}=${p.default}`.padEnd(width)}  ${p.description}`);
    }
  }
  return lines.join('\n');
}
