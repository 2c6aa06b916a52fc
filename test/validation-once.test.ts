import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App } from 'cdk8s';
import { buildLab, buildSteps } from '../lib/app';
import { LABS } from '../lib/labs';
import { MeshLab } from '../lib/mesh/lab';
import { StepState } from '../lib/mesh/step-state';
import { render } from '../lib/output/render';
import { GraphChecks } from '../lib/mesh/checks';

/**
 * The whole-graph checks run once per synthesis, through one mechanism (GraphChecks, a cdk8s
 * validation), with no module-level state; a step lab's bookkeeping is an object its app owns.
 */
const tutorial = LABS.find((l) => l.name === 'tutorial')!;

describe('the graph checks run once, through GraphChecks', () => {
  afterEach(() => jest.restoreAllMocks());

  test('meshlab renders a lab: one run, every finding with its code and file', () => {
    const spy = jest.spyOn(GraphChecks.prototype, 'findings');
    const synthesis = render([buildLab(tutorial).lab]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(synthesis.findings).toEqual([]);
  });

  test('a lab made by hand and rendered by meshlab: its error once, with its code and file, not again as a construct message', () => {
    const lab = new MeshLab(new App(), 'shop', { namespace: 'shop' });
    lab.addService('web', { port: 80 }).addVersion('v1', { image: 'example/web:1' });
    lab.addGateway('shop-gateway', { selector: { istio: 'no-such-gateway' } });
    const spy = jest.spyOn(GraphChecks.prototype, 'findings');
    const { findings } = render([lab], { files: false });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(findings.filter((f) => f.message.includes('no-such-gateway')).map((f) => [f.code, f.file])).toEqual([['IST0101', 'shop/shop-gateway.yaml']]);
  });

  test('a plain app.synth() refuses a broken lab after one run of the same checks, and writes nothing', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(require('os').tmpdir(), 'meshlab-')) }); // eslint-disable-line @typescript-eslint/no-require-imports
    const lab = new MeshLab(app, 'shop', { namespace: 'shop' });
    new ApiObject(lab, 'raw', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'raw' }, spec: { containers: [{ name: 'raw', image: 'Bad/Image' }] } });
    const spy = jest.spyOn(GraphChecks.prototype, 'findings');
    expect(() => app.synth()).toThrow(/Bad\/Image is not a valid image reference/);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(fs.readdirSync(app.outdir)).toEqual([]);
  });

  test('outside GraphChecks, only the step checks of the output layer and the analyzer call checkManifests', () => {
    const root = path.resolve(__dirname, '..');
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    const callers = walk(path.join(root, 'lib')).filter((f) => f.endsWith('.ts') && /\bcheckManifests\(/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
    expect(callers).toEqual(['lib/mesh/checks.ts', 'lib/output/steps.ts', 'lib/validate/analyze.ts', 'lib/validate/check.ts']);
  });

  test('building the steps of a lab runs no whole-lab check (each step is checked over its lab by the output layer)', () => {
    const spy = jest.spyOn(GraphChecks.prototype, 'findings');
    const steps = buildSteps(tutorial, undefined, () => ({}));
    expect(steps.length).toBe(tutorial.scenarios.length);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('no module-level state in the model: a step lab\'s state is the StepState its app passes in', () => {
  test('a lab built with a StepState has it, a plain one has none and records nothing', () => {
    const state = new StepState();
    expect(StepState.of(buildLab(tutorial, undefined, undefined, state).lab)).toBe(state);
    expect(StepState.of(buildLab(tutorial).lab)).toBeUndefined();
  });

  test('lib/mesh, lib/scenarios, lib/labs and lib/app.ts keep no state in module variables', () => {
    const root = path.resolve(__dirname, '..');
    const files = ['lib/app.ts', ...['lib/mesh', 'lib/scenarios', 'lib/labs'].flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => `${d}/${f}`))];
    const found = files.flatMap((f) => fs.readFileSync(path.join(root, f), 'utf8').split('\n')
      .map((line, i) => [f, i + 1, line] as const)
      .filter(([, , line]) => /^(export )?(let|var) |^(export )?const \w+(: [^=]+)? = new (WeakMap|Map|Set|WeakSet)\b/.test(line)))
      .map(([f, n, line]) => `${f}:${n}: ${line}`);
    expect(found).toEqual([]);
  });
});
