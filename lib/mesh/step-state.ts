import type { ApiObject } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';

/**
 * The step bookkeeping of a lab, kept out of the model's public API (lib/index.ts does not
 * export this module): which scenarios are in the lab, which Kubernetes objects they changed
 * after those were built (scaled Deployments), and how to take them back out, so the lab
 * layer can build every step on one lab (lib/steps.ts) instead of a fresh lab per step.
 */
/**
 * Context key: when true, the labs of the app build their Kubernetes workloads only when a
 * scenario uses them (a version it scales). Step labs set it, since steps compare only what
 * scenarios change.
 */
export const DEFER_WORKLOADS = 'meshlab:deferWorkloads';

/** True when `lab` builds its workloads on first use (a step lab): only such a lab is reset between steps. */
export function defersWorkloads(lab: IConstruct): boolean {
  return lab.node.tryGetContext(DEFER_WORKLOADS) === true;
}

interface StepState {
  readonly scenarios: Construct[];
  readonly changed: Set<ApiObject>;
  /** Per construct holding routing (service, gateway): whether a scenario changed it. */
  readonly touched: Map<IConstruct, () => boolean>;
  /** What undoes scenario state outside the scenarios' own constructs. */
  readonly resets: Array<() => void>;
}

const states = new WeakMap<IConstruct, StepState>();

function stateOf(lab: IConstruct): StepState {
  let state = states.get(lab);
  if (!state) {
    state = { scenarios: [], changed: new Set(), touched: new Map(), resets: [] };
    states.set(lab, state);
  }
  return state;
}

/** Records a scenario's construct, so `resetScenarios` can take it away again. */
export function recordScenario(lab: IConstruct, scenario: Construct): void {
  stateOf(lab).scenarios.push(scenario);
}

/** Records that a Kubernetes object was changed after its workload was built. */
export function recordChanged(lab: IConstruct, obj: ApiObject): void {
  stateOf(lab).changed.add(obj);
}

/** Registers a construct whose Istio objects scenarios change, and how to tell that they did. */
export function recordRouting(lab: IConstruct, holder: IConstruct, touched: () => boolean): void {
  stateOf(lab).touched.set(holder, touched);
}

/** Registers what takes a scenario's changes out of a construct it does not own. */
export function onReset(lab: IConstruct, reset: () => void): void {
  stateOf(lab).resets.push(reset);
}

/** Takes every scenario back out of `lab`, so the next one can be tried alone on the plain lab. */
export function resetScenarios(lab: IConstruct): void {
  if (!defersWorkloads(lab)) throw new Error('only a lab that defers workloads can take scenarios back out');
  const state = stateOf(lab);
  for (const scope of state.scenarios) scope.node.scope?.node.tryRemoveChild(scope.node.id);
  state.scenarios.length = 0;
  for (const reset of state.resets) reset();
  state.changed.clear();
}

/** True when `obj` was changed after it was built. */
export function wasChanged(lab: IConstruct, obj: ApiObject): boolean {
  return stateOf(lab).changed.has(obj);
}

/** Whether a scenario changed the routing `holder` renders; undefined when it holds no routing. */
export function routingTouched(lab: IConstruct, holder: IConstruct): boolean | undefined {
  return stateOf(lab).touched.get(holder)?.();
}
