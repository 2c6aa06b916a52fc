import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MeshlabError } from '../errors';
import { GATEWAY_API_VERSION } from '../platform/release';
import { GATEWAY_API_GROUP, validateGatewayApi } from '../validate/gateway-api';
import type { Case } from './cases';
import { GatewayApiFixture, readGatewayApiFixtures } from './gateway-api-fixtures';

/**
 * verify's Gateway API cross-check: the fixtures of test/fixtures/gateway-api judged by the real
 * Gateway API v1.6.3 CRDs (pruning, defaulting, OpenAPI schema and CEL rules, with the
 * apiextensions-apiserver libraries the API server uses; scripts/gateway-api-crds), against what
 * lib/validate/gateway-api.ts says. The CRDs are read from the Go module cache, never copied.
 */

/** The Gateway API release istio/istio 1.30.3's go.mod requires, whose CRDs the platform installs. */
export { GATEWAY_API_VERSION };
/** The Kubernetes libraries the judge is built with (those of Kubernetes 1.36). */
const K8S_LIBS_VERSION = 'v0.36.1';

/** What the real CRDs said of one fixture: no errors means the API server accepts it. */
export interface CrdVerdict {
  readonly id: string;
  readonly errors: readonly string[];
}

export interface GatewayApiAgreement {
  readonly total: number;
  /** Fixtures both accept, or both reject. */
  readonly agree: number;
  /** Expected problems whose field the CRDs also name, of all expected problems. */
  readonly fieldsNamed: number;
  readonly fieldsTotal: number;
  readonly disagreements: readonly string[];
}

/** The field a CRD error is about: `spec.rules[0]: Invalid value: ...`, or a pruned `unknown field spec.x`. */
const crdField = (error: string) => (error.startsWith('unknown field ') ? error.slice('unknown field '.length) : error.slice(0, error.indexOf(':')));

/** Compares meshlab's expectations (the fixtures' `# expect:` lines, which jest holds the checks to) with the CRDs' verdicts. */
export function compareWithCrds(fixtures: readonly GatewayApiFixture[], verdicts: readonly CrdVerdict[]): GatewayApiAgreement {
  const byId = new Map(verdicts.map((v) => [v.id, v]));
  let agree = 0;
  let fieldsNamed = 0;
  let fieldsTotal = 0;
  const disagreements: string[] = [];
  for (const f of fixtures) {
    const verdict = byId.get(f.id);
    if (!verdict) {
      disagreements.push(`${f.id}: no verdict from the CRDs`);
      continue;
    }
    const meshlabRejects = f.expected.length > 0;
    const crdRejects = verdict.errors.length > 0;
    if (meshlabRejects === crdRejects) agree++;
    else disagreements.push(`${f.id}: meshlab ${meshlabRejects ? 'rejects' : 'accepts'}, the CRDs ${crdRejects ? `reject (${verdict.errors[0]})` : 'accept'}`);
    const fields = new Set(verdict.errors.map(crdField));
    for (const e of f.expected) {
      fieldsTotal++;
      if (fields.has(e.slice(0, e.indexOf(': ')))) fieldsNamed++;
    }
  }
  return { total: fixtures.length, agree, fieldsNamed, fieldsTotal, disagreements };
}

function go(args: readonly string[], cwd: string | undefined, what: string, capture = false): string {
  const run = spawnSync('go', args, { cwd, encoding: 'utf8', stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], maxBuffer: 64 << 20 });
  if (run.error) throw new MeshlabError('go: not found (verify builds its Gateway API judge with Go: install Go or put it on PATH)');
  if (run.status !== 0) throw new MeshlabError(`${what} failed (exit ${run.status}); see its output above`);
  return run.stdout ?? '';
}

/** The CRD folder of sigs.k8s.io/gateway-api in the Go module cache (downloaded through the module proxy if missing). */
export function gatewayApiCrdDir(version = GATEWAY_API_VERSION): string {
  const info = JSON.parse(go(['mod', 'download', '-json', `sigs.k8s.io/gateway-api@${version}`], os.tmpdir(), `go mod download sigs.k8s.io/gateway-api@${version}`, true));
  // The experimental channel: the standard one's superset, with TCPRoute and HTTPRoute retries.
  return path.join(info.Dir, 'config', 'crd', 'experimental');
}

/**
 * The built judge, cached at `$XDG_CACHE_HOME/meshlab/gateway-api-crds-<libs>/gateway-api-crds`
 * and rebuilt when scripts/gateway-api-crds/main.go changes (the cache keeps the source it was
 * built from), as lib/verify/istioctl.ts keeps istio-analyze. About three minutes the first time.
 */
export function ensureGatewayApiJudge(log: (line: string) => void, root: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  const dir = path.join(cache, 'meshlab', `gateway-api-crds-${K8S_LIBS_VERSION}`);
  const binary = path.join(dir, 'gateway-api-crds');
  const source = fs.readFileSync(path.join(root, 'scripts', 'gateway-api-crds', 'main.go'), 'utf8');
  if (fs.existsSync(binary) && fs.existsSync(`${binary}.go`) && fs.readFileSync(`${binary}.go`, 'utf8') === source) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    log(`building gateway-api-crds (scripts/gateway-api-crds against k8s.io/apiextensions-apiserver@${K8S_LIBS_VERSION}) into ${dir}`);
    fs.writeFileSync(path.join(staging, 'main.go'), source);
    fs.writeFileSync(
      path.join(staging, 'go.mod'),
      `module meshlab.local/gateway-api-crds\n\ngo 1.26.0\n\nrequire (\n\tk8s.io/apiextensions-apiserver ${K8S_LIBS_VERSION}\n\tk8s.io/apimachinery ${K8S_LIBS_VERSION}\n\tk8s.io/apiserver ${K8S_LIBS_VERSION}\n\tsigs.k8s.io/yaml v1.6.0\n)\n`,
    );
    go(['mod', 'tidy'], staging, 'go mod tidy for gateway-api-crds');
    go(['build', '-buildvcs=false', '-o', path.join(staging, 'gateway-api-crds.bin'), '.'], staging, 'go build of gateway-api-crds');
    fs.renameSync(path.join(staging, 'gateway-api-crds.bin'), binary);
    fs.writeFileSync(`${binary}.go`, source);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** Values a mutation writes into a field: of every type, in and out of the CRDs' ranges and enums. */
const MUTANT_VALUES: readonly unknown[] = [
  0, 1, -1, 101, 65536, 1000001, '', 'x', '/a', 'a/b', '*', 'Exact', 'PathPrefix', 'Prefix', 'HTTP', 'TCP', 'Service',
  'Terminate', 'Passthrough', '1s', '0s', '10ms', 'https', 'GRPC', 'Permanent', 'Header', 500, true, null, [], {}, ['*', 'GET'],
];

/**
 * Deterministic mutations of the fixtures: `perFixture` copies of each, each with two random
 * edits of its spec (a field removed, set to one of MUTANT_VALUES, or a list item repeated).
 * They reach the schema's corners no fixture names, so the CRDs and the checks meet there too.
 */
export function mutateFixtures(fixtures: readonly GatewayApiFixture[], perFixture: number, seed = 7): Array<{ id: string; object: Record<string, unknown> }> {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const fieldsOf = (o: unknown, at: Array<string | number>, out: Array<Array<string | number>>): Array<Array<string | number>> => {
    if (o && typeof o === 'object') {
      for (const k of Object.keys(o)) {
        const next = [...at, Array.isArray(o) ? Number(k) : k];
        out.push(next);
        fieldsOf((o as Record<string, unknown>)[k], next, out);
      }
    }
    return out;
  };
  return fixtures.flatMap((f) =>
    Array.from({ length: perFixture }, (_, i) => {
      const object = JSON.parse(JSON.stringify(f.object));
      for (let edit = 0; edit < 2; edit++) {
        const fields = fieldsOf(object.spec, ['spec'], []);
        if (fields.length === 0) break;
        const at = fields[random(fields.length)];
        const parent = at.slice(0, -1).reduce((o, k) => o[k], object);
        const key = at[at.length - 1];
        const op = random(3);
        if (op === 0) {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key];
        } else if (op === 2 && Array.isArray(parent)) {
          parent.push(JSON.parse(JSON.stringify(parent[key as number])));
        } else {
          parent[key] = MUTANT_VALUES[random(MUTANT_VALUES.length)];
        }
      }
      return { id: `${f.id}~${i}`, object };
    }),
  );
}

function runJudge(judge: string, crds: string, objects: ReadonlyArray<{ id: string; object: unknown }>): CrdVerdict[] {
  const run = spawnSync(judge, [crds], { input: JSON.stringify(objects), encoding: 'utf8', maxBuffer: 256 << 20 });
  if (run.status !== 0) throw new MeshlabError(`gateway-api-crds failed (exit ${run.status}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as CrdVerdict[];
}

export interface GatewayApiCrossCheck {
  /** The fixtures' expectations against the CRDs. */
  readonly fixtures: GatewayApiAgreement;
  /** Mutated fixtures: accepted or rejected alike by lib/validate/gateway-api.ts and the CRDs. */
  readonly mutants: { readonly total: number; readonly agree: number; readonly disagreements: readonly string[] };
}

/** Runs the fixtures, and mutations of them, through the real CRDs and compares. */
export function crossCheckGatewayApi(log: (line: string) => void, root: string, mutantsPerFixture = 30): GatewayApiCrossCheck {
  const judge = ensureGatewayApiJudge(log, root);
  const crds = gatewayApiCrdDir();
  const fixtures = readGatewayApiFixtures(root);
  const agreement = compareWithCrds(fixtures, runJudge(judge, crds, fixtures.map((f) => ({ id: f.id, object: f.object }))));
  return { fixtures: agreement, mutants: compareMutants(judge, crds, mutateFixtures(fixtures, mutantsPerFixture)) };
}

/** Mutants through the CRDs and lib/validate/gateway-api.ts: both must accept, or both reject, each. */
function compareMutants(judge: string, crds: string, mutants: ReadonlyArray<{ id: string; object: Record<string, unknown> }>) {
  const verdicts = new Map(runJudge(judge, crds, mutants).map((v) => [v.id, v]));
  const disagreements: string[] = [];
  for (const m of mutants) {
    const crd = verdicts.get(m.id)?.errors ?? ['no verdict'];
    const ours = validateGatewayApi(m.object);
    if ((crd.length > 0) !== (ours.length > 0)) {
      disagreements.push(`${m.id}: check ${ours.length > 0 ? `rejects (${ours[0].field}: ${ours[0].message})` : 'accepts'}, the CRDs ${crd.length > 0 ? `reject (${crd[0]})` : 'accept'}`);
    }
  }
  return { total: mutants.length, agree: mutants.length - disagreements.length, disagreements };
}

/** One Gateway API object of meshlab's output, once: where it is written, and the object. */
export interface OutputObject {
  /** `tutorial-ambient/customer-gateway.yaml Gateway istio-tutorial/customer-gateway` */
  readonly id: string;
  readonly object: Record<string, unknown>;
}

/**
 * Every Gateway API object of the output cases, each once: a lab's base objects are in every
 * step's case too, so an object is known by its file and its kind, namespace and name.
 */
export function outputGatewayApiObjects(cases: readonly Case[]): OutputObject[] {
  const seen = new Map<string, OutputObject>();
  for (const c of cases) {
    for (const f of c.files) {
      for (const m of f.objects) {
        if (!String(m.apiVersion).startsWith(`${GATEWAY_API_GROUP}/`)) continue;
        const id = `${f.name} ${m.kind} ${m.metadata.namespace ?? 'default'}/${m.metadata.name}`;
        if (!seen.has(id)) seen.set(id, { id, object: m as unknown as Record<string, unknown> });
      }
    }
  }
  return [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What the real CRDs and `npm run check`'s ML0017 said of meshlab's Gateway API objects. */
export interface OutputJudgement {
  readonly total: number;
  /** Mutations of the output's objects: accepted or rejected alike by the checks and the CRDs. */
  readonly mutants?: { readonly total: number; readonly agree: number; readonly disagreements: readonly string[] };
  /** Objects the CRDs reject, each with its first error. */
  readonly crdRejects: readonly string[];
  /** Objects lib/validate/gateway-api.ts rejects, each with its first problem. */
  readonly checkRejects: readonly string[];
  /** Objects both accept or both reject. */
  readonly agree: number;
}

/** Compares the CRDs' verdicts with lib/validate/gateway-api.ts on the output's objects. */
export function judgeOutputObjects(objects: readonly OutputObject[], verdicts: readonly CrdVerdict[]): OutputJudgement {
  const byId = new Map(verdicts.map((v) => [v.id, v.errors]));
  const crdRejects: string[] = [];
  const checkRejects: string[] = [];
  let agree = 0;
  for (const o of objects) {
    const crd = byId.get(o.id) ?? ['no verdict from the CRDs'];
    const ours = validateGatewayApi(o.object);
    if (crd.length > 0) crdRejects.push(`${o.id}: ${crd[0]}`);
    if (ours.length > 0) checkRejects.push(`${o.id}: ${ours[0].field}: ${ours[0].message}`);
    if ((crd.length > 0) === (ours.length > 0)) agree++;
  }
  return { total: objects.length, crdRejects, checkRejects, agree };
}

/**
 * Runs every Gateway API object of meshlab's output through the real CRDs and
 * lib/validate/gateway-api.ts, and `mutantsPerObject` deterministic mutations of each (as the
 * fixtures' are made), which both must accept or reject alike too.
 */
export function judgeOutputGatewayApi(log: (line: string) => void, root: string, cases: readonly Case[], mutantsPerObject = 0): OutputJudgement {
  const objects = outputGatewayApiObjects(cases);
  if (objects.length === 0) return { total: 0, crdRejects: [], checkRejects: [], agree: 0 };
  const judge = ensureGatewayApiJudge(log, root);
  const crds = gatewayApiCrdDir();
  const judged = judgeOutputObjects(objects, runJudge(judge, crds, objects));
  if (mutantsPerObject === 0) return judged;
  return { ...judged, mutants: compareMutants(judge, crds, mutateFixtures(objects.map((o) => ({ ...o, expected: [] })), mutantsPerObject, 11)) };
}
