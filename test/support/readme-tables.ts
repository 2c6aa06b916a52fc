/**
 * The README's generated tables, built from the model and the synthesis: every step in every
 * flavour, and the sample images the new flavours use. test/readme-tables.test.ts fails when
 * the README's copy is out of date, and prints the table to paste.
 */
import type { MeshlabModel } from '../../lib/app';
import { SAMPLE_IMAGES } from '../../lib/labs';
import { Flavour } from '../../lib/mesh/flavour';
import type { OutputFile } from '../../lib/output/render';
import { commandsOf, parseYaml } from './guide-commands';

/** Istio's kinds a Gateway API flavour keeps where the Gateway API has no form. */
const ISTIO_ROUTING = new Set(['VirtualService', 'DestinationRule', 'EnvoyFilter', 'ServiceEntry', 'Sidecar']);

/** What one step writes in one flavour's folder: its kinds, what it deletes first, and why Istio's kinds stay. */
export function stepCell(files: readonly OutputFile[], folder: string, step: string, gatewayApi: boolean): string {
  const content = files.find((f) => f.path === `${folder}/steps/${step}.yaml`)!.content;
  const objects = parseYaml(content);
  const kinds = [...new Set(objects.map((m) => m.kind))];
  const retry = objects.some((m) => m.kind === 'HTTPRoute' && (m.spec.rules ?? []).some((r: { retry?: unknown }) => r.retry));
  const names = kinds.map((k) => (k === 'HTTPRoute' && retry ? 'HTTPRoute (`retry`: experimental channel)' : k === 'TCPRoute' ? 'TCPRoute (experimental channel)' : k));
  const first = content.match(/^# First: (.*)$/m)?.[1] ?? '';
  const deleted = [...new Set(commandsOf(first).filter((c) => c.words[0] === 'kubectl' && c.words.includes('delete')).map((c) => c.words[c.words.indexOf('delete') + 1]))];
  const notes = [
    ...(gatewayApi && kinds.some((k) => ISTIO_ROUTING.has(k)) ? ['no Gateway API form'] : []),
    ...deleted.map((k) => `deletes the ${kindName(k)} first`),
  ];
  return `${names.join(' + ')}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** `httproute` as kubectl takes it, back to its kind. */
const kindName = (lower: string) => ({ httproute: 'HTTPRoute', tcproute: 'TCPRoute', virtualservice: 'VirtualService', destinationrule: 'DestinationRule' }[lower] ?? lower);

/** The README's table of every step in every flavour. */
export function stepTable(model: MeshlabModel, files: readonly OutputFile[]): string {
  const rows = model.labs.filter((l) => l.flavour.name === Flavour.ALL[0].name).flatMap((classic) => classic.definition.scenarios.map((p) => {
    const step = p.scenario.name;
    const cells = Flavour.ALL.map((flavour) => {
      const lab = model.labs.find((l) => l.definition.name === classic.definition.name && l.flavour.name === flavour.name)!;
      if (lab.skipped.some((s) => s.scenario === step)) return `— ([why](../dist/${lab.folder}/README.md#steps))`;
      return stepCell(files, lab.folder, step, flavour.api === 'gateway-api');
    });
    return `| ${classic.definition.name} | \`${step}\` | ${cells.join(' | ')} |`;
  }));
  return [`| lab | step | ${Flavour.ALL.map((f) => f.name).join(' | ')} |`, `|---|---|${Flavour.ALL.map(() => '---|').join('')}`, ...rows].join('\n');
}

/** The README's table of the images the new flavours take from Istio's current samples. */
export function sampleImageTable(): string {
  return [
    '| lab | workload | classic | gateway-api and ambient | why |',
    '|---|---|---|---|---|',
    ...SAMPLE_IMAGES.map((u) => `| ${u.lab} | \`${u.workload}\` | \`${u.image.classic}\` | \`${u.image.current}\`${u.image.command ? ` (\`${u.image.command.join(' ')}\`)` : ''} | ${u.image.why} |`),
  ].join('\n');
}

/** The text between `<!-- <name>:start -->` and `<!-- <name>:end -->` in the README. */
export function generatedSection(readme: string, name: string): string | undefined {
  const m = new RegExp(`<!-- ${name}:start[^>]*-->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(readme);
  return m?.[1];
}

/** The README with the text between `name`'s markers replaced by `text`. */
export function replaceSection(readme: string, name: string, text: string): string {
  const pattern = new RegExp(`(<!-- ${name}:start[^>]*-->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
  if (!pattern.test(readme)) throw new Error(`no section ${name} in the README`);
  return readme.replace(pattern, (_, start: string, end: string) => `${start}${text}${end}`);
}
