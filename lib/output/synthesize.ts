import { App } from 'cdk8s';
import { MeshlabProps, PLATFORM, buildLab, selectedLabs } from '../app';
import { Platform } from '../platform/platform';
import { renderGuide } from './guide';
import { Synthesis, render } from './render';
import { renderSteps } from './steps';

/**
 * Everything `npm run synth` writes: per lab its base (with the scenarios switched on), one
 * file per step in `steps/` and the guide `README.md`; and the platform. Every object and
 * every step is checked; nothing is written unless `findings` is empty.
 */
export function synthesizeOutput(props: MeshlabProps = {}): Synthesis {
  const files = [];
  const objects = [];
  const findings = [];
  for (const definition of selectedLabs(props.targets)) {
    const options = props.labOptions?.[definition.name];
    const selection = props.scenarios?.[definition.name] ?? { scenarios: [] };
    const base = buildLab(definition, options, selection);
    const synthesis = render([base.lab]);
    const plainObjects = base.applied.length === 0 ? synthesis.objects : render([buildLab(definition, options).lab], { files: false }).objects;
    // A lab that is itself invalid would report the same problems once per step.
    const written = synthesis.objects.map((o) => o.manifest);
    const output = { outDir: props.outDir ?? 'dist', base: written, switchedOn: base.applied.map((a) => a.preset.scenario.name) };
    const steps = synthesis.findings.length > 0 ? { files: [], steps: [], findings: [] } : renderSteps(definition, plainObjects, options, selection.set, output);
    const guide = renderGuide(base, steps.steps, { lab: written, plain: plainObjects.map((o) => o.manifest) }, output, props.platform?.ingressExternalIPs);
    files.push(...synthesis.files, ...steps.files, { path: `${definition.name}/README.md`, content: guide });
    objects.push(...synthesis.objects);
    findings.push(...synthesis.findings, ...steps.findings);
  }
  if (props.targets === undefined || props.targets.includes(PLATFORM)) {
    const platform = render([new Platform(new App({ outdir: 'unused' }), props.platform)]);
    files.push(...platform.files);
    objects.push(...platform.objects);
    findings.push(...platform.findings);
  }
  return { files, objects, findings };
}
