// In-process cost of the tutorial steps of every lab, run by scripts/bench.js as
// `node -e "require('./scripts/bundle').runBundle('bench-steps')" RUNS`: every step built on
// one lab (each scenario applied, read, taken back out: what npm run synth does) against a
// fresh lab per step, both checked and rendered the same way. Prints JSON medians in ms.
import { buildLab, buildSteps, selectedLabs } from '../lib/app';
import { render } from '../lib/output/render';
import { renderSteps } from '../lib/output/steps';

const runs = Number(process.argv[process.argv.length - 1]);
const labs = selectedLabs();
const plain = new Map(labs.map((d) => [d.name, render([buildLab(d).lab], { files: false }).objects]));

function median(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const steps = labs.reduce((n, d) => n + d.scenarios.length, 0);
const oneLab = median(() => {
  for (const d of labs) renderSteps(d, plain.get(d.name)!, buildSteps(d, undefined, () => ({})));
});
const freshLab = median(() => {
  for (const d of labs) for (const p of d.scenarios) render([buildLab(d, undefined, { scenarios: [p.scenario.name] }).lab]);
});
console.log(JSON.stringify({ steps, oneLab, freshLab }));
