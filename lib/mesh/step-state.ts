import type { ApiObject } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';

// The step bookkeeping of a lab, kept out of the model's public API (lib/index.ts does not
// export this module), so the lab layer can build every step on one lab instead of a fresh lab per step.

/** The context key under which a step lab's app passes its StepState to the lab's constructs. */
export const STEP_STATE = 'meshlab:stepState';

/**
 * What it takes to build every step on one lab: which scenarios are in the lab, which
 * Kubernetes objects they changed after those were built (scaled Deployments), which
 * constructs hold routing a scenario may touch, and how to take them back out. The app that
 * builds the steps owns it (lib/app.ts buildSteps) and passes it to the lab in its context;
 * such a lab builds its workloads only when a scenario uses them, since steps compare only
 * what scenarios change. A lab without one (every other) records nothing.
 */
export class StepState {
  /** The step state `scope`'s app passes in, if it builds steps. */
  public static of(scope: IConstruct): StepState | undefined {
    const state: unknown = scope.node.tryGetContext(STEP_STATE);
    return state instanceof StepState ? state : undefined;
  }

  private readonly scenarios: Construct[] = [];
  private readonly changed = new Set<ApiObject>();
  /** Per construct holding routing (service, gateway): whether a scenario changed it. */
  private readonly touched = new Map<IConstruct, () => boolean>();
  /** What undoes scenario state outside the scenarios' own constructs. */
  private readonly resets: Array<() => void> = [];

  /** Records a scenario's construct, so `reset` can take it away again. */
  public recordScenario(scenario: Construct): void {
    this.scenarios.push(scenario);
  }

  /** Records that a Kubernetes object was changed after its workload was built. */
  public recordChanged(obj: ApiObject): void {
    this.changed.add(obj);
  }

  /** Registers a construct whose Istio objects scenarios change, and how to tell that they did. */
  public recordRouting(holder: IConstruct, touched: () => boolean): void {
    this.touched.set(holder, touched);
  }

  /** Registers what takes a scenario's changes out of a construct it does not own. */
  public onReset(reset: () => void): void {
    this.resets.push(reset);
  }

  /** Takes every scenario back out of the lab, so the next one can be tried alone on the plain lab. */
  public reset(): void {
    for (const scope of this.scenarios) scope.node.scope?.node.tryRemoveChild(scope.node.id);
    this.scenarios.length = 0;
    for (const reset of this.resets) reset();
    this.changed.clear();
  }

  /** True when `obj` was changed after it was built. */
  public wasChanged(obj: ApiObject): boolean {
    return this.changed.has(obj);
  }

  /** Whether a scenario changed the routing `holder` renders; undefined when it holds no routing. */
  public routingTouched(holder: IConstruct): boolean | undefined {
    return this.touched.get(holder)?.();
  }
}

/** True when `lab` builds its workloads on first use (a step lab, whose app passes a StepState). */
export function defersWorkloads(lab: IConstruct): boolean {
  return StepState.of(lab) !== undefined;
}
