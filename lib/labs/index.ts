import { Construct } from 'constructs';
import type { Command } from '../mesh/command';
import type { Flavour } from '../mesh/flavour';
import { MeshLab } from '../mesh/lab';
import { Preset } from '../scenarios/engine';
import { FFT_OBSERVE, FFT_SCENARIOS, fft } from './fft';
import { FLASK_OBSERVE, FLASK_SAMPLES, FLASK_SCENARIOS, flask } from './flask';
import { LabOptions, SampleImageUse } from './options';
import { POLYGLOT_OBSERVE, POLYGLOT_SAMPLES, POLYGLOT_SCENARIOS, polyglot } from './polyglot';
import { TUTORIAL_OBSERVE, TUTORIAL_SCENARIOS, tutorial } from './tutorial';

/** A lab meshlab can generate. */
export interface LabDefinition {
  readonly name: string;
  /** One line for listings. */
  readonly title: string;
  readonly build: (scope: Construct, options?: LabOptions) => MeshLab;
  /** The steps its tutorial teaches, with the tutorial's numbers. */
  readonly scenarios: readonly Preset[];
  /**
   * The command that shows where traffic goes; `{service}` is the scenario's service, `{namespace}`
   * the lab's. A function of the flavour where the flavours' clients differ (their images).
   */
  readonly observe: Command | ((flavour: Flavour) => Command);
  /** The service `{service}` stands for where a step names none. @default the lab's first HTTP service */
  readonly observeService?: string;
}

/**
 * A lab definition as a lab module writes it (`lib/labs/<lab>.ts`, or a lab of your own): its
 * name, build function, the steps its tutorial teaches as presets, and how to observe it.
 */
export function defineLab(definition: LabDefinition): LabDefinition {
  return definition;
}

/** Every lab, in the order they are listed and written. */
export const LABS: readonly LabDefinition[] = [
  { name: 'polyglot', title: 'the polyglot book lab (service-js/python/lua/node/go v1 and v2)', build: polyglot, scenarios: POLYGLOT_SCENARIOS, observe: POLYGLOT_OBSERVE, observeService: 'service-go' },
  { name: 'tutorial', title: 'customer -> preference -> recommendation (v1, v2)', build: tutorial, scenarios: TUTORIAL_SCENARIOS, observe: TUTORIAL_OBSERVE },
  { name: 'flask', title: 'the flask v1/v2 demo with its sleep client', build: flask, scenarios: FLASK_SCENARIOS, observe: FLASK_OBSERVE },
  { name: 'fft', title: 'the FFT service behind the ingress gateway', build: fft, scenarios: FFT_SCENARIOS, observe: FFT_OBSERVE },
];

export const LAB_NAMES: readonly string[] = LABS.map((l) => l.name);

/**
 * The workloads whose images the Gateway API and ambient flavours take from Istio's current
 * samples (the classic flavour keeps the seed images), as docs/flavours.md's table lists them.
 */
export const SAMPLE_IMAGES: readonly SampleImageUse[] = [...POLYGLOT_SAMPLES, ...FLASK_SAMPLES];
