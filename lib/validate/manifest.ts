import type { Code, Severity } from './codes';
import { Fields, fields } from './read';

export type { Severity };

/** A Kubernetes object as plain JSON, the way it is written to YAML. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  /** As written: read it through {@link specOf} and the narrowing helpers of `read.ts`. */
  readonly spec?: unknown;
  readonly [key: string]: unknown;
}

/** The object's spec if it is an object, else an empty one. */
export const specOf = (m: Manifest): Fields => fields(m.spec);


/** One problem found in a set of manifests. */
export interface Finding {
  /** Istio's analyzer code (IST0101) or meshlab's (ML0005): see CODES. */
  readonly code: Code;
  readonly severity: Severity;
  /** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
  readonly object: string;
  /** Dotted path of the field at fault. */
  readonly field: string;
  readonly message: string;
  /** Where the object was read from, when known. */
  readonly file?: string;
  /** Line of the object's document in `file` (1-based), when read from YAML. */
  readonly line?: number;
}

/** The reader's name of an object: `VirtualService istio-tutorial/recommendation`. */
export function objectName(m: Manifest): string {
  return m.metadata.namespace ? `${m.kind} ${m.metadata.namespace}/${m.metadata.name}` : `${m.kind} ${m.metadata.name}`;
}

/**
 * One line per finding: code, severity, object, file, field, message:
 * `IST0101 error VirtualService ns/name (dist/lab/x.yaml:12) spec.http[0].route[0].destination.subset: ...`.
 */
export function formatFinding(f: Finding): string {
  const where = f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : '';
  return `${f.code} ${f.severity} ${f.object}${where}${f.field ? ` ${f.field}` : ''}: ${f.message}`;
}

/** Kinds that live outside namespaces. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'Node']);

/**
 * What the API server knows an object by: API group, kind, namespace and name (not the
 * version: a v1alpha3 and a v1beta1 VirtualService of one name are the same object). An
 * object without a namespace lands in `default`, as `kubectl apply` puts it there.
 */
export function objectKey(m: Manifest): string {
  const group = m.apiVersion.includes('/') ? m.apiVersion.slice(0, m.apiVersion.lastIndexOf('/')) : '';
  const namespace = CLUSTER_SCOPED.has(m.kind) ? '' : m.metadata.namespace ?? 'default';
  return `${group}/${m.kind}/${namespace}/${m.metadata.name}`;
}
