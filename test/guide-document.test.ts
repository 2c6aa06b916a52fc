import * as fs from 'fs';
import * as path from 'path';
import { buildModel } from '../lib/app';
import { LabDocument } from '../lib/document';
import { Flavour } from '../lib/mesh/flavour';
import { renderGuide } from '../lib/output/guide';
import { Step } from '../lib/output/steps';
import { Manifest } from './support/synth';

/**
 * The model writes what a guide says (lib/document.ts: commands in the lab's flavour and
 * filled in, expectations written); lib/output formats it, reading no construct and calling
 * no scenario, and rewrites no command and searches no prose.
 */
const root = path.resolve(__dirname, '..');
const source = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
const OUTPUT = ['lib/output/guide.ts', 'lib/output/steps.ts', 'lib/output/diagram.ts', 'lib/output/synthesize.ts'];

test('the guide, steps and pictures import neither constructs nor scenarios nor labs', () => {
  const imports = OUTPUT.flatMap((f) => [...source(f).matchAll(/^import (type )?[^;]*?from '(\.\.\/[^']+)'/gm)].map((m) => [f, m[2], Boolean(m[1])] as const));
  const reaching = imports.filter(([, target, typeOnly]) => /^\.\.\/(scenarios|labs|mesh\/(lab|service|client|gateway|routing|host-routing|step-state))\b/.test(target)
    || (target === '../app' && !typeOnly));
  expect(reaching).toEqual([]);
});

test('no command is rewritten and no prose searched: the guide calls no replace, test or match', () => {
  expect(source('lib/output/guide.ts')).not.toMatch(/\.(replace|test|match|matchAll)\(/);
});

test('a guide is formatted from a plain document: its commands and expectations as given', () => {
  const lab: LabDocument = {
    name: 'shop', title: 'a shop', namespace: 'shop', flavour: Flavour.AMBIENT,
    observe: ['kubectl -n shop logs deploy/waypoint -c istio-proxy --tail=1'],
    calls: { namespace: 'shop', services: [{ name: 'web', callees: [] }], clients: [] },
    switchedOn: [],
  };
  const step: Step = {
    document: {
      name: 'canary', summary: 'splits the traffic', params: [['weights', 'v1:90,v2:10']], prepare: ['echo first'],
      observe: ['echo observe'], expect: 'nine in ten answers from v1', undo: ['echo undo'], cleanup: ['echo cleanup'],
    },
    changed: [], added: [],
  };
  const service: Manifest = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
  const guide = renderGuide(lab, [step], { lab: [service], plain: [service] }, { outDir: 'dist', folder: 'shop-ambient', base: [service] });
  expect(guide).toContain('kubectl -n shop logs deploy/waypoint -c istio-proxy --tail=1');
  expect(guide).toContain('Expect: nine in ten answers from v1.');
  expect(guide).toMatch(/echo first\nkubectl apply -f dist\/shop-ambient\/steps\/canary.yaml\necho observe/);
  expect(guide).toMatch(/echo undo\necho cleanup/);
  expect(guide).toContain('Parameters: `weights=v1:90,v2:10`');
});

test('no step of the ambient flavour expects a sidecar: its words name the waypoint or ztunnel', () => {
  const model = buildModel({ flavours: [Flavour.AMBIENT] });
  const mentions = model.labs.flatMap((l) => l.steps.filter((s) => /sidecar/i.test(s.document.expect)).map((s) => `${l.folder} ${s.document.name}`));
  expect(mentions).toEqual([]);
});
