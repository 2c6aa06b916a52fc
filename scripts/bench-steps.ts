// In-process cost of the tutorial steps of every lab in every flavour, run by scripts/bench.js
// as `node -e "require('./scripts/bundle').runBundle('bench-steps')" RUNS`: every step built
// on one lab (each scenario applied, read, taken back out: what npm run synth does) against a
// fresh lab per step, both checked and rendered the same way. Prints JSON medians in ms.
import { buildLab, buildSteps, selectedLabs, unexpressed } from '../lib/app';
import { Flavour } from '../lib/mesh/flavour';
import { render } from '../lib/output/render';
import { COMMANDS_FROM, renderSteps } from '../lib/output/steps';

const runs = Number(process.argv[process.argv.length - 1]);
// Each lab in each flavour, with the steps that flavour offers (as buildModel leaves them).
const written = selectedLabs().flatMap((d) => Flavour.ALL.map((flavour) => ({
  definition: { ...d, scenarios: d.scenarios.filter((p) => unexpressed(d, [p.scenario.name], flavour).length === 0) },
  options: { flavour },
  folder: flavour.folder(d.name),
})));
const plain = new Map(written.map((w) => [w.folder, render([buildLab(w.definition, w.options).lab], { files: false, folder: w.folder }).objects]));

function median(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const steps = written.reduce((n, w) => n + w.definition.scenarios.length, 0);
const oneLab = median(() => {
  for (const w of written) {
    const objects = plain.get(w.folder)!;
    const output = { outDir: COMMANDS_FROM, folder: w.folder, base: objects.map((o) => o.manifest) };
    renderSteps(w.definition.name, objects, buildSteps(w.definition, w.options, () => ({})), output);
  }
});
const freshLab = median(() => {
  for (const w of written) {
    for (const p of w.definition.scenarios) render([buildLab(w.definition, w.options, { scenarios: [p.scenario.name] }).lab], { folder: w.folder });
  }
});
console.log(JSON.stringify({ steps, labs: written.length, oneLab, freshLab }));
