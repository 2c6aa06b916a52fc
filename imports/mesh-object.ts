/**
 * The base of the typed objects of the mesh's APIs (Istio's, the Gateway API's) that
 * cdk8s-plus-27 does not model: an ApiObject whose spec is typed, and may be produced at
 * synthesis so later constructs can still add to it. Scenarios write and change these objects
 * (lib/app.ts reads a step's changes from them).
 */
import { ApiObject, ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct } from 'constructs';

export interface MeshObjectProps<Spec> {
  readonly metadata: ApiObjectMetadata;
  /** The spec, or a function producing it at synthesis (so later constructs can still add to it). */
  readonly spec: Spec | (() => Spec);
}

/** A custom resource of the mesh whose spec is typed. */
export abstract class MeshObject<Spec> extends ApiObject {
  protected constructor(scope: Construct, id: string, apiVersion: string, kind: string, props: MeshObjectProps<Spec>) {
    const spec = props.spec;
    super(scope, id, {
      apiVersion,
      kind,
      metadata: props.metadata,
      spec: typeof spec === 'function' ? Lazy.any({ produce: spec as () => Spec }) : spec,
    });
  }
}

/** Makes the class of one kind: `new VirtualService(scope, id, { metadata, spec })`. */
export function meshKind<Spec>(apiVersion: string, kind: string) {
  return class extends MeshObject<Spec> {
    public static readonly API_VERSION = apiVersion;
    public static readonly KIND = kind;
    public constructor(scope: Construct, id: string, props: MeshObjectProps<Spec>) {
      super(scope, id, apiVersion, kind, props);
    }
  };
}
