import * as path from 'path';
import { checkManifests } from '../lib/validate/check';
import { validateGatewayApi } from '../lib/validate/gateway-api';
import { Fields } from '../lib/validate/read';
import { compareWithCrds, mutateFixtures } from '../lib/verify/gateway-api';
import { readGatewayApiFixtures } from '../lib/verify/gateway-api-fixtures';

const root = path.resolve(__dirname, '..');
const fixtures = readGatewayApiFixtures(root);
const problems = (o: unknown) => validateGatewayApi(o as Fields).map((p) => `${p.field}: ${p.message}`).sort();

describe('Gateway API v1.6.3 schemas and CEL rules', () => {
  test.each(fixtures.map((f) => [f.id, f] as const))('%s yields exactly the problems it declares', (_, f) => {
    expect(problems(f.object)).toEqual(f.expected);
  });

  test('every CEL message of the rules table is exercised by a fixture', () => {
    const source: string = require('fs').readFileSync(path.join(root, 'lib/validate/gateway-api.ts'), 'utf8');
    // Messages the checks can emit, as written in the source (template parts stand for several).
    const emitted = [...source.matchAll(/message: [`'"](.+?)[`'"] ?}/g)].map((m) => m[1]).filter((m) => !m.startsWith('is ') && !m.startsWith('must NOT') && !m.startsWith('must be') && !m.startsWith('no schema') && !m.startsWith('must match'));
    const seen = fixtures.flatMap((f) => f.expected.map((e) => e.slice(e.indexOf(': ') + 2)));
    const unexercised = emitted.filter((m) => {
      const literal = m.replace(/\\\\/g, '\\'); // the source's escaped backslashes
      const pattern = new RegExp(`^${literal.split(/\$\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
      return !seen.some((s) => pattern.test(s));
    });
    expect(emitted.length).toBeGreaterThan(40);
    expect(unexercised).toEqual([]);
  });

  test('valid objects and invalid ones are both present, and every kind is covered', () => {
    expect(fixtures.filter((f) => f.expected.length === 0).length).toBeGreaterThanOrEqual(7);
    expect(fixtures.filter((f) => f.expected.length > 0).length).toBeGreaterThan(100);
    const kinds = new Set(fixtures.map((f) => `${f.object.apiVersion}/${f.object.kind}`));
    for (const k of ['v1/Gateway', 'v1/HTTPRoute', 'v1/GRPCRoute', 'v1alpha2/TCPRoute', 'v1/ReferenceGrant', 'v1beta1/ReferenceGrant']) {
      expect(kinds).toContain(`gateway.networking.k8s.io/${k}`);
    }
  });

  test('npm run check reports a Gateway API object schema or CEL error as ML0017 with the CRD message', () => {
    const route = fixtures.find((f) => f.expected.some((e) => e.includes('RequestRedirect filter must not be used together with backendRefs')))!;
    const findings = checkManifests([{ manifest: route.object as never, file: 'route.yaml', line: 1 }]);
    expect(findings.filter((f) => f.code === 'ML0017').map((f) => `${f.field}: ${f.message}`)).toEqual(route.expected);
    expect(findings.some((f) => f.code === 'ML0009')).toBe(false);
  });

  test('a Gateway API kind meshlab has no schema for stays unchecked (ML0009), not an error', () => {
    const findings = checkManifests([{ manifest: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName: 'istio.io/gateway-controller' } }, file: 'gc.yaml', line: 1 }]);
    expect(findings.map((f) => f.code)).toEqual(['ML0009']);
  });
});

describe("verify's comparison with the real CRDs' verdicts", () => {
  const valid = fixtures.find((f) => f.expected.length === 0)!;
  const invalid = fixtures.find((f) => f.expected.length === 1)!;
  const field = invalid.expected[0].slice(0, invalid.expected[0].indexOf(': '));

  test('counts a fixture both accept, and one both reject at the same field, as agreeing', () => {
    const got = compareWithCrds([valid, invalid], [
      { id: valid.id, errors: [] },
      { id: invalid.id, errors: [`${field}: Invalid value: "object": whatever the CRD says`] },
    ]);
    expect(got).toEqual({ total: 2, agree: 2, fieldsNamed: 1, fieldsTotal: 1, disagreements: [] });
  });

  test('reports a fixture the CRDs reject but meshlab accepts, one they accept, and one they never judged', () => {
    const got = compareWithCrds([valid, invalid, fixtures[2]], [
      { id: valid.id, errors: ['unknown field spec.x'] },
      { id: invalid.id, errors: [] },
    ]);
    expect(got.agree).toBe(0);
    expect(got.fieldsNamed).toBe(0);
    expect(got.disagreements).toEqual([
      `${valid.id}: meshlab accepts, the CRDs reject (unknown field spec.x)`,
      `${invalid.id}: meshlab rejects, the CRDs accept`,
      `${fixtures[2].id}: no verdict from the CRDs`,
    ]);
  });
});

describe("verify's mutations of the fixtures", () => {
  test('are the same on every run, as many as asked, and each differs from its fixture', () => {
    const a = mutateFixtures(fixtures, 3);
    expect(a).toEqual(mutateFixtures(fixtures, 3));
    expect(a).toHaveLength(fixtures.length * 3);
    const byId = new Map(fixtures.map((f) => [f.id, f.object]));
    const unchanged = a.filter((m) => JSON.stringify(m.object) === JSON.stringify(byId.get(m.id.slice(0, m.id.indexOf('~')))));
    expect(unchanged.length).toBeLessThan(a.length / 20); // two edits can undo each other, rarely
  });

  test('make both valid and invalid objects for the CRDs and the checks to judge', () => {
    const verdicts = mutateFixtures(fixtures, 5).map((m) => validateGatewayApi(m.object).length > 0);
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(100);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(20);
  });
});
