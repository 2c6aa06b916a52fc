/**
 * Schema validation of one manifest: Kubernetes kinds with the validators `kubernetes-models`
 * compiles from the Kubernetes OpenAPI spec, Istio kinds with validators precompiled from
 * @kubernetes-models/istio's schemas (scripts/istio-validators.js, closed against unknown fields).
 * Each validator is loaded the first time its kind is seen.
 */

/** One schema violation: where in the object, and what is wrong there. */
export interface SchemaProblem {
  /** Dotted path into the object, e.g. `spec.http[0].fault.abort.percent`. */
  readonly field: string;
  readonly message: string;
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
  'apps/v1/Deployment': () => require('kubernetes-models/apps/v1/Deployment').Deployment,
};

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
  const validate = istioValidators![gvk];
  if (!validate) return undefined;
  return (manifest) => (validate(manifest) ? [] : [...(validate.errors ?? [])]);
}
/* eslint-enable @typescript-eslint/no-require-imports */

const validators = new Map<string, Validator | undefined>();

/** True when meshlab has a schema for this apiVersion and kind. */
export function hasSchema(apiVersion: string, kind: string): boolean {
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
  const gvk = `${manifest.apiVersion}/${manifest.kind}`;
  const validate = validatorFor(gvk);
  if (!validate) {
    return [{ field: 'kind', message: `no schema for apiVersion ${manifest.apiVersion} kind ${manifest.kind}` }];
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
  if (error.keyword === 'enum') {
    return { field, message: `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}` };
  }
  return { field, message: error.message ?? error.keyword };
}
