import type { MeshlabModel } from '../app';
import { renderGuide } from './guide';
import { imageFindings } from '../validate/image';
import { Synthesis, render } from './render';
import { COMMANDS_FROM, renderSteps } from './steps';

/** The name of the platform's folder. */
const PLATFORM = 'platform';

/**
 * Everything `npm run synth` writes, rendered from the model the lab layer built (lib/app.ts
 * buildModel): per lab its base (with the scenarios switched on), one file per step in
 * `steps/` and the guide `README.md`; and the platform. Every object and every step is
 * checked; nothing is written unless `findings` is empty.
 */
export function synthesizeOutput(model: MeshlabModel): Synthesis {
  const { props } = model;
  const files = [];
  const objects = [];
  const findings = [];
  for (const { definition, flavour, folder, base, document, plain, steps: built, skipped } of model.labs) {
    const synthesis = render([base.lab], { folder });
    const plainObjects = plain === base.lab ? synthesis.objects : render([plain], { files: false, folder }).objects;
    // A lab that is itself invalid would report the same problems once per step.
    const written = synthesis.objects.map((o) => o.manifest);
    const output = { outDir: COMMANDS_FROM, folder, base: written, switchedOn: base.applied.map((a) => a.preset.scenario.name) };
    const steps = synthesis.findings.length > 0 ? { files: [], steps: [], findings: [] } : renderSteps(definition.name, plainObjects, built, output);
    const guide = renderGuide(document, steps.steps, { lab: written, plain: plainObjects.map((o) => o.manifest) }, output, props.platform?.ingressExternalIPs, { flavour, skipped });
    files.push(...synthesis.files, ...steps.files, { path: `${folder}/README.md`, content: guide });
    objects.push(...synthesis.objects);
    findings.push(...synthesis.findings, ...steps.findings);
    for (const step of steps.steps) findings.push(...imageFindings([...step.changed, ...step.added], `${folder}/steps/${step.document.name}.yaml`));
  }
  if (model.platform) {
    const platform = render([model.platform]);
    files.push(...platform.files, { path: `${PLATFORM}/README.md`, content: model.platform.guide(COMMANDS_FROM) });
    objects.push(...platform.objects);
    findings.push(...platform.findings);
  }
  // A lab's own problem (an option naming no workload) is found once per flavour: say it once.
  const unique = [...new Map(findings.map((f) => [JSON.stringify(f), f])).values()];
  return { files, objects, findings: unique };
}
