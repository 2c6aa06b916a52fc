/**
 * Schema validation of one manifest: Kubernetes kinds with the validators `kubernetes-models`
 * compiles from the Kubernetes OpenAPI spec, Istio kinds with validators precompiled from
 * @kubernetes-models/istio's schemas (scripts/istio-validators.js, closed against unknown fields).
 * Each validator is loaded the first time its kind is seen.
 */

import { isCheckedGatewayApiKind, validateGatewayApi } from '../lib/validate/gateway-api';

/** One schema violation: where in the object, and what is wrong there. */
export interface SchemaProblem {
  /** Dotted path into the object, e.g. `spec.http[0].fault.abort.percent`. */
  readonly field: string;
  readonly message: string;
  /** True when the object was not checked at all: meshlab has no schema for its kind. */
  readonly unchecked?: boolean;
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

type Validator = (manifest: unknown) => AjvError[];

/* eslint-disable @typescript-eslint/no-require-imports */
const kubernetesModels: Record<string, () => { new (data: unknown): { validate(): void } }> = {
  'v1/Namespace': () => require('kubernetes-models/v1/Namespace').Namespace,
  'v1/Service': () => require('kubernetes-models/v1/Service').Service,
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount').ServiceAccount,
  'v1/Pod': () => require('kubernetes-models/v1/Pod').Pod,
  'v1/ConfigMap': () => require('kubernetes-models/v1/ConfigMap').ConfigMap,
  'v1/Secret': () => require('kubernetes-models/v1/Secret').Secret,
  'v1/PersistentVolumeClaim': () => require('kubernetes-models/v1/PersistentVolumeClaim').PersistentVolumeClaim,
  'apps/v1/Deployment': () => require('kubernetes-models/apps/v1/Deployment').Deployment,
  'apps/v1/StatefulSet': () => require('kubernetes-models/apps/v1/StatefulSet').StatefulSet,
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1/DaemonSet').DaemonSet,
  'apps/v1/ReplicaSet': () => require('kubernetes-models/apps/v1/ReplicaSet').ReplicaSet,
  'batch/v1/Job': () => require('kubernetes-models/batch/v1/Job').Job,
  'batch/v1/CronJob': () => require('kubernetes-models/batch/v1/CronJob').CronJob,
  'networking.k8s.io/v1/Ingress': () => require('kubernetes-models/networking.k8s.io/v1/Ingress').Ingress,
  'networking.k8s.io/v1/NetworkPolicy': () => require('kubernetes-models/networking.k8s.io/v1/NetworkPolicy').NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/Role').Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding').RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole').ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding').ClusterRoleBinding,
  'autoscaling/v2/HorizontalPodAutoscaler': () => require('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler').HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': () => require('kubernetes-models/policy/v1/PodDisruptionBudget').PodDisruptionBudget,
};

/**
 * Istio serves its kinds under several versions with one schema per kind (the CRDs list the
 * same openAPIV3Schema for v1alpha3, v1beta1 and v1), so other versions are checked with
 * the version meshlab precompiles.
 */
const ISTIO_ALIASES: Readonly<Record<string, string>> = {
  'networking.istio.io/v1alpha3': 'networking.istio.io/v1beta1',
  'networking.istio.io/v1': 'networking.istio.io/v1beta1',
  'security.istio.io/v1': 'security.istio.io/v1beta1',
};

/** API groups whose kinds meshlab knows: an unknown kind there is a typo, not a custom resource. */
const KNOWN_GROUPS = new Set(['v1', 'apps/v1', 'networking.istio.io', 'security.istio.io']);

const groupOf = (apiVersion: string) => (apiVersion.includes('/') && !apiVersion.startsWith('apps/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : apiVersion);

function kubernetesValidator(gvk: string): Validator | undefined {
  const load = kubernetesModels[gvk];
  if (!load) return undefined;
  const Model = load();
  return (manifest) => {
    try {
      new Model(manifest).validate();
      return [];
    } catch (e) {
      const errors = (e as { errors?: AjvError[] }).errors;
      if (!errors) throw e;
      return errors;
    }
  };
}

let istioValidators: Record<string, ((data: unknown) => boolean) & { errors?: AjvError[] | null }> | undefined;

function istioValidator(gvk: string): Validator | undefined {
  istioValidators ??= require('./generated/istio-validators.js');
  const version = gvk.slice(0, gvk.lastIndexOf('/'));
  const alias = ISTIO_ALIASES[version];
  const validate = istioValidators![gvk] ?? (alias ? istioValidators![`${alias}${gvk.slice(version.length)}`] : undefined);
  if (!validate) return undefined;
  if (istioValidators![gvk]) return (manifest) => (validate(manifest) ? [] : [...(validate.errors ?? [])]);
  // The precompiled schema pins apiVersion to its own version.
  return (manifest) => (validate({ ...(manifest as object), apiVersion: alias }) ? [] : [...(validate.errors ?? [])]);
}
/* eslint-enable @typescript-eslint/no-require-imports */

const validators = new Map<string, Validator | undefined>();

/** True when meshlab has a schema for this apiVersion and kind. */
export function hasSchema(apiVersion: string, kind: string): boolean {
  if (isCheckedGatewayApiKind(apiVersion, kind)) return true;
  return validatorFor(`${apiVersion}/${kind}`) !== undefined;
}

function validatorFor(gvk: string): Validator | undefined {
  if (!validators.has(gvk)) {
    validators.set(gvk, gvk.includes('istio.io/') ? istioValidator(gvk) : kubernetesValidator(gvk));
  }
  return validators.get(gvk);
}

/** Results by object and by its JSON: a lab's steps repeat most of its objects unchanged. */
const byObject = new WeakMap<object, SchemaProblem[]>();
const results = new Map<string, SchemaProblem[]>();

/**
 * Checks a manifest against the schema of its kind. Unknown kinds yield one problem, so a
 * typo in `kind` or `apiVersion` cannot pass unchecked.
 */
export function validateSchema(manifest: { apiVersion?: unknown; kind?: unknown }): SchemaProblem[] {
  let problems = byObject.get(manifest);
  if (problems) return problems;
  const key = JSON.stringify(manifest);
  problems = results.get(key) ?? uncachedValidateSchema(manifest);
  results.set(key, problems);
  byObject.set(manifest, problems);
  return problems;
}

function uncachedValidateSchema(manifest: { apiVersion?: unknown; kind?: unknown }): SchemaProblem[] {
  // Gateway API kinds: schema and CEL rules of the v1.5.1 CRDs (lib/validate/gateway-api.ts).
  if (isCheckedGatewayApiKind(String(manifest.apiVersion), String(manifest.kind))) return validateGatewayApi(manifest);
  const gvk = `${manifest.apiVersion}/${manifest.kind}`;
  const validate = validatorFor(gvk);
  if (!validate) {
    const apiVersion = String(manifest.apiVersion);
    // A kind of a group meshlab knows is a typo; another group's kind is a resource meshlab cannot check.
    return KNOWN_GROUPS.has(groupOf(apiVersion))
      ? [{ field: 'kind', message: `no schema for apiVersion ${manifest.apiVersion} kind ${manifest.kind}` }]
      : [{ field: 'kind', message: `${manifest.apiVersion} ${manifest.kind} is not checked: meshlab has no schema for it`, unchecked: true }];
  }
  return validate(manifest).map(describe);
}

function describe(error: AjvError): SchemaProblem {
  const field = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params.additionalProperty);
    return { field: field ? `${field}.${extra}` : extra, message: 'is not in the schema (the API server would drop it silently)' };
  }
  // The one `not` in the Istio schemas: Istio's CEL rule on targetRefs (scripts/istio-validators.js), in its words.
  if (error.keyword === 'not') return { field, message: 'only one of targetRefs or selector can be set' };
  if (error.keyword === 'enum') {
    return { field, message: `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}` };
  }
  return { field, message: error.message ?? error.keyword };
}
