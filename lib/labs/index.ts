import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { fft } from './fft';
import { flask } from './flask';
import { LabOptions } from './options';
import { polyglot } from './polyglot';
import { tutorial } from './tutorial';

/** A lab meshlab can generate. */
export interface LabDefinition {
  readonly name: string;
  /** One line for listings. */
  readonly title: string;
  readonly build: (scope: Construct, options?: LabOptions) => MeshLab;
}

/** Every lab, in the order they are listed and written. */
export const LABS: readonly LabDefinition[] = [
  { name: 'polyglot', title: 'the polyglot book lab (service-js/python/lua/node/go v1 and v2)', build: polyglot },
  { name: 'tutorial', title: 'customer -> preference -> recommendation (v1, v2)', build: tutorial },
  { name: 'flask', title: 'the flask v1/v2 demo with its sleep client', build: flask },
  { name: 'fft', title: 'the FFT service behind the ingress gateway', build: fft },
];

export const LAB_NAMES: readonly string[] = LABS.map((l) => l.name);
