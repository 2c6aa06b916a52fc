import type { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

/**
 * Objects whose presence depends on what scenarios did: in the Gateway API flavours a host
 * with fault injection is written with Istio's VirtualService instead of its HTTPRoute, and a
 * DestinationRule exists only while a traffic policy needs one. Such an object is built with
 * the service and asked at synthesis whether it is written (MeshLab.toJson, the output layer
 * and the steps skip absent ones), so scenarios stay free of object bookkeeping. The
 * condition is kept on the object itself.
 */
const PRESENT_WHEN = Symbol('meshlab.presentWhen');

interface Conditional {
  [PRESENT_WHEN]?: () => boolean;
}

/** Writes `obj` only while `condition` holds. */
export function presentWhen(obj: ApiObject, condition: () => boolean): void {
  (obj as Conditional)[PRESENT_WHEN] = condition;
}

/** Whether `c` is written (every object is, unless made conditional with `presentWhen`). */
export function isPresent(c: IConstruct): boolean {
  return (c as Conditional)[PRESENT_WHEN]?.() ?? true;
}
