import { MeshlabProps } from '../../lib/app';
import { Synthesis } from '../../lib/output/render';
import { buildModel } from '../../lib/app';
import { synthesizeOutput } from '../../lib/output/synthesize';
import { Manifest as Checked } from '../../lib/validate/manifest';

/**
 * A manifest whose spec a test reads without narrowing: meshlab's readers take `unknown` and
 * narrow it, a test states the shape it expects and fails when it is not there.
 */
export type Manifest = Checked & { readonly spec?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Synthesizes in memory what `npm run synth` would write (nothing written). */
export function synth(props: MeshlabProps = {}): Synthesis {
  return synthesizeOutput(buildModel(props));
}

/** The manifests of one output folder (a lab, or `platform`). */
export function manifestsOf(synthesis: Synthesis, folder: string): Manifest[] {
  return synthesis.objects.filter((o) => o.file?.startsWith(`${folder}/`)).map((o) => o.manifest);
}

/** The one object of this kind and name; fails the test when there is not exactly one. */
export function find(manifests: readonly Checked[], kind: string, name: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

/** Every object of this kind. */
export function all(manifests: readonly Checked[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** The pod spec of a Deployment or Pod. */
export function podSpec(m: Manifest): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  return m.kind === 'Pod' ? m.spec : m.spec.template.spec;
}

/** The pod labels of a Deployment or Pod. */
export function podLabels(m: Manifest): Record<string, string> {
  return m.kind === 'Pod' ? { ...m.metadata.labels } : { ...m.spec.template.metadata.labels };
}
