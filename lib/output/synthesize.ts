import { App } from 'cdk8s';
import { MeshlabProps, PLATFORM, buildLab, selectedLabs } from '../app';
import { Platform } from '../platform/platform';
import { CODES } from '../validate/codes';
import { Finding, Manifest, objectName } from '../validate/manifest';
import { renderGuide } from './guide';
import { imageProblem } from './image';
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
    findings.push(...imageFindings(synthesis.objects.map((o) => o.manifest), `${definition.name}/`));
    for (const step of steps.steps) findings.push(...imageFindings([...step.changed, ...step.added], `${definition.name}/steps/${step.applied.preset.scenario.name}.yaml`));
  }
  if (props.targets === undefined || props.targets.includes(PLATFORM)) {
    const platform = render([new Platform(new App({ outdir: 'unused' }), props.platform)]);
    files.push(...platform.files);
    objects.push(...platform.objects);
    findings.push(...platform.findings);
    findings.push(...imageFindings(platform.objects.map((o) => o.manifest), `${PLATFORM}/`));
  }
  return { files, objects, findings };
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/** Every container image of `manifests` must be a reference a container runtime can pull. */
function imageFindings(manifests: readonly Manifest[], file: string): Finding[] {
  const findings: Finding[] = [];
  const walk = (value: unknown, field: string, m: Manifest) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${field}[${i}]`, m));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        const at = field ? `${field}.${key}` : key;
        if (CONTAINER_LISTS.includes(key) && Array.isArray(v)) {
          v.forEach((c, i) => {
            const image = (c as { image?: unknown })?.image;
            const why = typeof image === 'string' ? imageProblem(image) : undefined;
            if (why) findings.push({ code: 'ML0011', severity: CODES.ML0011.severity, object: objectName(m), field: `${at}[${i}].image`, message: `image ${image} ${why}`, file });
          });
        } else {
          walk(v, at, m);
        }
      }
    }
  };
  for (const m of manifests) walk(m, '', m);
  return findings;
}
