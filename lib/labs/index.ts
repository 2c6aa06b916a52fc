import { Construct } from 'constructs';
import { Command, proxyLog } from '../mesh/command';
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
  /** The module it came from, for a lab of the user's own (--lab-file), as the guides' synth commands name it. @default a built-in lab */
  readonly labFile?: string;
}

/** A lab definition as a lab module writes it: the name and build function, and what defineLab fills in if left out. */
export type LabDefinitionInput = Omit<LabDefinition, 'title' | 'scenarios' | 'observe'> & Partial<Pick<LabDefinition, 'title' | 'scenarios' | 'observe'>>;

/**
 * A lab definition as a lab module writes it (`lib/labs/<lab>.ts`, or a lab of your own, which
 * `npm run synth -- --lab-file PATH` writes in every flavour): its name, build function, the
 * steps its tutorial teaches as presets, and how to observe it. The build function passes
 * `options.flavour` to its MeshLab. @default title: the name; scenarios: none; observe: the last
 * lines of the access log of the proxy that handles `{service}`'s traffic (its sidecar, or the waypoint)
 */
export function defineLab(definition: LabDefinitionInput): LabDefinition {
  return {
    ...definition,
    title: definition.title ?? definition.name,
    scenarios: definition.scenarios ?? [],
    observe: definition.observe ?? proxyLog('-l app={service}', '--tail=10'),
  };
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
