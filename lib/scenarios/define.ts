import { Duration } from 'cdk8s';
import { istioDuration } from '../istio/duration';
import type { ScenarioNeeds } from '../mesh/flavour';
import type { MeshLab } from '../mesh/lab';
import { ParamSet, ValuesOf, optional, param } from './params';

/**
 * A scenario as the command line knows it: its parameters and how it is applied, typed from
 * the parameters (`v.weights` is what `param.weights` parses to). Each scenario class carries
 * its own as `definition` (`Canary.definition`), and the catalog is the list of classes
 * (catalog.ts). The methods are declared as methods so a list of scenarios with different
 * parameters is a `ScenarioDefinition[]`; the engine only ever passes a scenario the values its
 * own parameters parsed.
 */
export interface ScenarioDefinition<P extends ParamSet = ParamSet> {
  readonly name: string;
  /** What the step changes, one line. */
  readonly summary: string;
  /** Parameters, parsed in this order (later ones may depend on earlier ones). */
  readonly params: P;
  /** Applies the scenario to the lab as construct `id`, with parsed parameters. */
  apply(lab: MeshLab, id: string, v: ValuesOf<P>): void;
  /** What a learner should see once it is applied. */
  expect(v: ValuesOf<P>, lab: MeshLab): string;
  /** Commands a learner runs before applying the step (what no manifest can hold, such as a key). @default none */
  prepare?(v: ValuesOf<P>, lab: MeshLab): string[];
  /** Commands that remove what `prepare` made, run after the revert. @default none */
  cleanup?(v: ValuesOf<P>, lab: MeshLab): string[];
  /**
   * What the step needs of the data plane, each with why: a flavour without it leaves the step
   * out (Flavour.unsupported), and its guide says why. A function of the parameters' texts
   * ('' for one left empty) where only some values need it (a delay added in the callee's own
   * sidecar). @default nothing: a form in every flavour
   */
  readonly needs?: ScenarioNeeds | ((texts: Readonly<Record<string, string>>) => ScenarioNeeds);
}

/** A scenario definition, its parameter values typed from its parameters. */
export function scenario<P extends ParamSet>(definition: ScenarioDefinition<P>): ScenarioDefinition<P> {
  return definition;
}

/** Whether the lab a step is written for has no sidecars (ambient mode: its words then name the waypoint). */
export const isAmbient = (lab: MeshLab) => !lab.flavour.sidecars;

/** Why an EnvoyFilter in a service's own sidecar has no ambient form. */
export const NO_SIDECAR = 'ambient pods have no sidecar (ztunnel carries their traffic, and the waypoint is a separate proxy in front of the service)';

/**
 * Istio's word on VirtualService in ambient mode, for the steps that keep it (a fault): the
 * step is Alpha, and its waypoint carries both APIs, which istio.io does not support. The
 * alternative, moving every host of the namespace off HTTPRoutes for the step, would make each
 * fault step rewrite the whole lab's routing; meshlab marks the step instead (issue 17).
 */
export const VIRTUAL_SERVICE_ALPHA = 'Alpha in ambient mode: the waypoint applies this host\'s VirtualService, and istio.io says'
  + ' "VirtualService support with waypoints is Alpha" (docs/ambient/migrate/migrate-policies) and "Mixing Istio classic API and Gateway API'
  + ' configuration is not supported, and will lead to undefined behavior" (docs/ambient/usage/l7-features). The step deletes this host\'s'
  + ' HTTPRoute first, but the waypoint serves the namespace\'s other hosts with their HTTPRoutes, so it carries both APIs while the step is'
  + ' applied: if the fault does not show, or another host routes differently, that is the undefined behavior; revert the step before the next';

/** A duration as Istio writes it (`7s`, `500ms`). */
export const d = (x: Duration) => istioDuration(x);

/** `1 error`, `3 errors`: a count with its noun. */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Where an Expect points at the access log its step's commands end with (the lab's observe commands read it last). */
export const LAST_COMMAND = 'the last command above';

/** The service a step applies to, the first parameter of most. */
export const svc = param.service('the service it applies to');

/** The connection-pool limits, shared by connection-pool and circuit-breaker. */
export const poolParams = {
  maxConnections: param.count('TCP connections at most', 1),
  maxPendingRequests: param.count('requests waiting for a connection at most', 1),
  maxRequestsPerConnection: optional(param.count('requests per connection before it is closed (empty: unlimited)', 1)),
};

/** The ejection settings, shared by circuit-breaker and outlier-detection. */
export const outlierParams = {
  consecutive5xxErrors: param.count('5xx answers in a row that eject a pod', 1),
  interval: param.duration('how often pods are checked'),
  baseEjectionTime: param.duration('how long an ejected pod stays out'),
  maxEjectionPercent: param.percent('percent of pods that may be out at once'),
};
