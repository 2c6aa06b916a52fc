// Precompiles the JSON schemas that @kubernetes-models/istio ships into standalone
// ajv validators, so synthesis does not compile Istio's large schemas on every run
// (compiling the VirtualService schema alone costs about 150 ms).
// The output is a build artifact (imports/generated/, git-ignored), never committed.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

/** The Istio kinds meshlab emits or checks (npm run check): module paths under @kubernetes-models/istio. */
const KINDS = [
  'networking.istio.io/v1beta1/VirtualService',
  'networking.istio.io/v1beta1/DestinationRule',
  'networking.istio.io/v1beta1/Gateway',
  'networking.istio.io/v1beta1/ServiceEntry',
  'networking.istio.io/v1beta1/Sidecar',
  'networking.istio.io/v1beta1/WorkloadEntry',
  'networking.istio.io/v1beta1/WorkloadGroup',
  'networking.istio.io/v1beta1/ProxyConfig',
  'networking.istio.io/v1alpha3/EnvoyFilter',
  'security.istio.io/v1beta1/PeerAuthentication',
  'security.istio.io/v1beta1/AuthorizationPolicy',
  'security.istio.io/v1beta1/RequestAuthentication',
  'telemetry.istio.io/v1alpha1/Telemetry',
  'install.istio.io/v1alpha1/IstioOperator',
];

const root = path.resolve(__dirname, '..');
const outFile = path.join(root, 'imports', 'generated', 'istio-validators.js');

/**
 * Istio's CRDs let the API server prune fields they do not know, so a misspelt or
 * removed field applies cleanly and does nothing. Closing every object that lists its
 * properties turns such a field into a validation error instead.
 */
function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'properties'
      ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, closed(sub)]))
      : closed(value);
  }
  // An empty property list stands for a free-form struct (EnvoyFilter patch values): left open.
  const listed = out.properties && Object.keys(out.properties).length > 0;
  if (listed && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * Istio 1.30's `targetRefs` on the policies that attach to waypoints and Gateway API
 * gateways, which the schemas of @kubernetes-models/istio 2.3.0 predate: the field as Istio's
 * CRDs define it (istio/istio manifests/charts/base/files/crd-all.gen.yaml, AuthorizationPolicy
 * and RequestAuthentication: at most 16 references of group, kind and name; a namespace only
 * empty, "cross namespace referencing is not currently supported"), and their rule "only one
 * of targetRefs or selector can be set" as a `not` (imports/schema.ts words its error).
 */
const TARGETABLE = ['security.istio.io.v1beta1.AuthorizationPolicy', 'security.istio.io.v1beta1.RequestAuthentication'];
const POLICY_TARGET_REFERENCE = {
  type: 'object',
  required: ['kind', 'name'],
  properties: {
    group: { type: 'string', maxLength: 253, pattern: '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
    kind: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$' },
    name: { type: 'string', minLength: 1, maxLength: 253 },
    namespace: { type: 'string', maxLength: 0 },
  },
};

function withTargetRefs(id, schema) {
  if (!TARGETABLE.includes(id)) return schema;
  const spec = schema.properties.spec;
  const oneOf = (a, b) => ({ required: [a, b] });
  return {
    ...schema,
    properties: {
      ...schema.properties,
      spec: {
        ...spec,
        properties: { ...spec.properties, targetRef: POLICY_TARGET_REFERENCE, targetRefs: { type: 'array', maxItems: 16, items: POLICY_TARGET_REFERENCE } },
        allOf: [...(spec.allOf ?? []), { not: { anyOf: [oneOf('selector', 'targetRef'), oneOf('selector', 'targetRefs'), oneOf('targetRef', 'targetRefs')] } }],
      },
    },
  };
}

/** Changes whenever the installed schema package or this generator changes. */
function fingerprint() {
  const pkg = fs.readFileSync(require.resolve('@kubernetes-models/istio/package.json', { paths: [root] }));
  const self = fs.readFileSync(__filename);
  return crypto.createHash('sha256').update(pkg).update(self).digest('hex').slice(0, 16);
}

function isFresh(stamp) {
  try {
    return fs.readFileSync(outFile, 'utf8').startsWith(`// fingerprint ${stamp}\n`);
  } catch {
    return false;
  }
}

function generate() {
  const validatePkg = require.resolve('@kubernetes-models/validate', {
    paths: [path.dirname(require.resolve('@kubernetes-models/istio/package.json', { paths: [root] }))],
  });
  const validate = require(validatePkg);
  const schemas = new Map();
  validate.register = (id, schema) => schemas.set(id, schema);
  const ids = {};
  for (const kind of KINDS) {
    const name = kind.split('/').pop();
    const ctor = require(require.resolve(`@kubernetes-models/istio/${kind}`, { paths: [root] }))[name];
    const symbols = Object.getOwnPropertySymbols(ctor.prototype);
    const id = symbols.map((s) => ctor.prototype[s]).find((v) => typeof v === 'string');
    const add = symbols.map((s) => ctor.prototype[s]).find((v) => typeof v === 'function');
    add();
    ids[`${ctor.apiVersion}/${ctor.kind}`] = id;
  }
  const Ajv = require(require.resolve('ajv', { paths: [path.dirname(validatePkg)] })).default;
  const addFormats = require(require.resolve('ajv-formats', { paths: [path.dirname(validatePkg)] })).default;
  const standalone = require(require.resolve('ajv/dist/standalone', { paths: [path.dirname(validatePkg)] })).default;
  const ajv = new Ajv({ strictTypes: false, strict: false, allErrors: true, code: { source: true } });
  addFormats(ajv);
  for (const [id, schema] of schemas) ajv.addSchema(id.includes('istio.io') && !id.startsWith('install.') ? closed(withTargetRefs(id, schema)) : schema, id);
  const exportsMap = {};
  for (const [gvk, id] of Object.entries(ids)) exportsMap[gvk] = id;
  const code = standalone(ajv, exportsMap);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `// fingerprint ${fingerprint()}\n${code}`);
}

/** Writes the validators unless an up-to-date copy exists. Returns true when it wrote. */
function ensureIstioValidators() {
  if (isFresh(fingerprint())) return false;
  generate();
  return true;
}

module.exports = { ensureIstioValidators, outFile };

if (require.main === module) {
  const wrote = ensureIstioValidators();
  console.log(wrote ? `wrote ${path.relative(root, outFile)}` : `${path.relative(root, outFile)} is up to date`);
}
