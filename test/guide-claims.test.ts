import * as fs from 'fs';
import * as path from 'path';
import { buildModel } from '../lib/app';
import { LABS } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { synthesizeOutput } from '../lib/output/synthesize';
import { Manifest } from './support/synth';
import { istioRetryOn } from '../lib/istio/gateway-api';
import { MeshIndex } from '../lib/istio/index';
import { virtualService } from '../lib/validate/views';
import { deletes, headerDeletions } from '../lib/validate/deletions';
import { commandLines, guideSections, labObjects, parseUrl, parseYaml } from './support/guide-commands';

/**
 * What a guide's prose claims about a step, read back from the step's objects, so the text
 * cannot drift from the files again: a timeout the step holds, the hosts egress registers and
 * the calls that show the others blocked, the counts of outlier detection, the callers an
 * AuthorizationPolicy denies and what the learner sees of it, the commands an Expect names.
 */
const output = synthesizeOutput(buildModel());
const FOLDERS = LABS.flatMap((l) => Flavour.ALL.map((f) => f.folder(l.name)));

interface StepSection {
  readonly folder: string;
  readonly step: string;
  /** The first sentence: the scenario's summary. */
  readonly summary: string;
  /** The text after "Expect: ". */
  readonly expect: string;
  /** The commands that apply the step and show it, in order (before "Revert:"). */
  readonly block: readonly string[];
  /** The objects of the step file. */
  readonly stepObjects: readonly Manifest[];
  /** The lab after the step. */
  readonly objects: readonly Manifest[];
}

const SECTIONS: StepSection[] = FOLDERS.flatMap((folder) => {
  const guide = output.files.find((f) => f.path === `${folder}/README.md`)!.content;
  return guideSections(guide).filter((s) => s.step !== undefined).map((s) => {
    const step = s.step!;
    const beforeRevert = s.text.slice(0, s.text.indexOf('\nRevert:\n'));
    const file = output.files.find((f) => f.path === `${folder}/steps/${step}.yaml`)!;
    return {
      folder,
      step,
      summary: s.text.split('\n')[2].split('. Parameters: ')[0],
      expect: /\nExpect: (.*)\n/.exec(s.text)?.[1] ?? '',
      block: commandLines(beforeRevert.replace(/\nExpect: .*\n/, '\n')),
      stepObjects: parseYaml(file.content),
      objects: labObjects(output.files, folder, step),
    };
  });
});
const sectionsOf = (step: string) => SECTIONS.filter((s) => s.step === step);
const named = (sections: readonly StepSection[]) => sections.map((s) => [`${s.folder} ${s.step}`, s] as const);
const ofKind = (objects: readonly Manifest[], kind: string) => objects.filter((m) => m.kind === kind);

/** Every duration of a route timeout in the objects: VirtualService `timeout`, HTTPRoute `timeouts.request`. */
function routeTimeouts(objects: readonly Manifest[]): string[] {
  const spec = (m: Manifest) => m.spec as any;
  return [
    ...ofKind(objects, 'VirtualService').flatMap((m) => (spec(m).http ?? []).map((r: any) => r.timeout)),
    ...ofKind(objects, 'HTTPRoute').flatMap((m) => (spec(m).rules ?? []).map((r: any) => r.timeouts?.request)),
  ].filter(Boolean);
}

describe('every section the guides write is read', () => {
  test('each folder has step sections with a summary, an Expect and commands', () => {
    expect(FOLDERS.every((folder) => SECTIONS.some((s) => s.folder === folder))).toBe(true);
    for (const s of SECTIONS) {
      expect([s.folder, s.step, s.expect.length > 0, s.block.length > 0]).toEqual([s.folder, s.step, true, true]);
    }
  });
});

describe('an Expect names only commands its step runs', () => {
  test.each(named(SECTIONS))('%s', (_, s) => {
    for (const span of s.expect.matchAll(/`((?:kubectl|curl) [^`]+)`/g)) expect(s.block).toContain(span[1].replace(/\{namespace\}/g, ''));
    // "the last command above" is the log it points at.
    if (/the last command above\)/.test(s.expect)) expect(s.block[s.block.length - 1]).toMatch(/^kubectl -n \S+ logs /);
    if (/the last command above, with curl's -i/.test(s.expect)) expect(s.block[s.block.length - 1]).toMatch(/ curl -si? /);
  });
});

describe('a timeout the text claims is in the step, and one the step holds is in the text', () => {
  test.each(named(SECTIONS))('%s', (_, s) => {
    const timeouts = routeTimeouts(s.stepObjects);
    if (/\btimeout\b/.test(s.summary) && s.step !== 'retry') expect(timeouts.length).toBeGreaterThan(0);
    for (const t of new Set(timeouts)) expect(`${s.summary} ${s.expect}`).toMatch(new RegExp(`\\b${t}\\b`));
  });

  test('the egress summary claims no timeout, and the steps that hold one say it in Expect', () => {
    const egress = sectionsOf('egress');
    expect(egress.length).toBeGreaterThan(0);
    expect(egress.some((s) => routeTimeouts(s.stepObjects).length === 0)).toBe(true);
    expect(egress.some((s) => routeTimeouts(s.stepObjects).length > 0)).toBe(true);
    for (const s of egress) expect(s.summary).not.toMatch(/timeout/);
  });
});

describe('egress: the hosts Expect says succeed are registered, and a command shows each kind of blocked call', () => {
  test.each(named(sectionsOf('egress')))('%s', (_, s) => {
    const entries = ofKind(s.objects, 'ServiceEntry').map((m) => m.spec as any);
    const registered = (host: string, port: string) => entries.some((e) => e.hosts.includes(host) && e.ports.some((p: any) => String(p.number) === port));
    const succeed = /calls to (.+?) succeed/.exec(s.expect)![1].split(' and ');
    for (const hostPort of succeed) {
      const [host, port] = hostPort.split(':');
      expect([hostPort, registered(host, port)]).toEqual([hostPort, true]);
    }
    const calls = s.block.flatMap((line) => [...line.matchAll(/\b(https?:\/\/\S+)/g)].map((m) => parseUrl(m[1])!)).filter((u) => u && !u.host.startsWith('$') && u.host !== 'localhost');
    const blocked = calls.filter((u) => !registered(u.host, u.port));
    if (s.expect.includes('HTTP with 502')) expect(blocked.some((u) => u.scheme === 'http')).toBe(true);
    if (s.expect.includes('HTTPS with a reset connection')) expect(blocked.some((u) => u.scheme === 'https')).toBe(true);
  });
});

describe('outlier detection: the count in Expect is the DestinationRule\'s, in words that agree with it', () => {
  const withOutlier = SECTIONS.filter((s) => s.stepObjects.some((m) => m.kind === 'DestinationRule' && (m.spec as any).trafficPolicy?.outlierDetection));
  test('some steps eject pods', () => expect(withOutlier.length).toBeGreaterThan(0));
  test.each(named(withOutlier))('%s', (_, s) => {
    const n = ofKind(s.stepObjects, 'DestinationRule').map((m) => (m.spec as any).trafficPolicy?.outlierDetection?.consecutive5xxErrors).find((x) => x !== undefined);
    expect(s.expect).toContain(`${n} ${n === 1 ? 'error' : 'errors'} in a row`);
  });
  test.each(named(SECTIONS))('%s: no "1 errors"', (_, s) => {
    expect(`${s.summary} ${s.expect}`).not.toMatch(/\b1 (errors|requests|pods|calls|seconds)\b|\(s\)/);
  });
});

/** The ServiceAccounts of a policy's `from.source.principals` (`cluster.local/ns/NS/sa/SA`). */
const principalsOf = (policy: Manifest): string[] => ((policy.spec as any).rules ?? []).flatMap((r: any) => (r.from ?? []).flatMap((f: any) => f.source?.principals ?? [])).map((p: string) => p.split('/sa/')[1]);
/** The service a policy protects: its selector's `app`, or the Service it targets. */
const targetOf = (policy: Manifest): string | undefined => (policy.spec as any).selector?.matchLabels?.app ?? (policy.spec as any).targetRefs?.find((t: any) => t.kind === 'Service')?.name;

/** The service the lab's ingress sends the learner's calls to (VirtualService bound to a Gateway, or HTTPRoute on one). */
function ingressTarget(objects: readonly Manifest[]): string | undefined {
  const vs = ofKind(objects, 'VirtualService').find((m) => ((m.spec as any).gateways ?? []).length > 0);
  if (vs) return (vs.spec as any).http[0].route[0].destination.host.split('.')[0];
  const gateways = new Set(ofKind(objects, 'Gateway').filter((g) => (g.spec as any).gatewayClassName === 'istio').map((g) => g.metadata.name));
  const route = ofKind(objects, 'HTTPRoute').find((m) => ((m.spec as any).parentRefs ?? []).some((p: any) => (p.kind ?? 'Gateway') === 'Gateway' && gateways.has(p.name)));
  return route ? (route.spec as any).rules[0].backendRefs[0].name : undefined;
}

/** The ServiceAccount of the pods of a Deployment. */
const accountOf = (objects: readonly Manifest[], deployment: string) =>
  (ofKind(objects, 'Deployment').find((m) => m.metadata.name === deployment)?.spec as any)?.template.spec.serviceAccountName;

/** `kubectl -n NS exec deploy/D ... http://S:PORT`: the Deployment and the service it calls. */
const directCalls = (block: readonly string[]) => block.flatMap((line) => {
  const m = /exec deploy\/(\S+) .* http:\/\/([a-z0-9-]+)[:/]/.exec(line);
  return m ? [{ deployment: m[1], service: m[2] }] : [];
});

describe('authorization: the callers Expect names are the ones the policies deny, and the text says what the learner sees', () => {
  test.each(named(sectionsOf('authz-deny')))('%s', (_, s) => {
    const deny = ofKind(s.stepObjects, 'AuthorizationPolicy').filter((m) => (m.spec as any).action === 'DENY');
    expect(deny).toHaveLength(1);
    const callers = principalsOf(deny[0]);
    const target = targetOf(deny[0])!;
    expect(s.expect).toContain(`calls from ${callers.join(', ')} to ${target} answer 403 "RBAC: access denied"`);
    // A call through the ingress reaches a denied caller: the text says what its answer looks like.
    const entry = ingressTarget(s.objects);
    if (s.block.some((l) => l.includes('$INGRESS_HOST')) && entry !== undefined && callers.includes(entry)) {
      expect(s.expect).toMatch(new RegExp(`a call to ${entry} answers \\d{3} with \`${entry} => 403 RBAC: access denied\``));
    }
  });

  test.each(named(sectionsOf('authz-allow').filter((s) => s.folder.startsWith('tutorial'))))('%s: a command makes a call the rules leave out', (_, s) => {
    expect(s.expect).toContain('any other call in the namespace answers 403 "RBAC: access denied"');
    const allows = ofKind(s.stepObjects, 'AuthorizationPolicy').filter((m) => ((m.spec as any).action ?? 'ALLOW') === 'ALLOW');
    const denied = directCalls(s.block).filter(({ deployment, service }) => {
      const account = accountOf(s.objects, deployment);
      const rules = allows.filter((p) => targetOf(p) === service);
      return account !== undefined && rules.length > 0 && rules.every((p) => !principalsOf(p).includes(account));
    });
    expect(denied.length).toBeGreaterThan(0);
  });
});

describe("docs/steps.md's scenario table says which labs' egress step holds a timeout", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'steps.md'), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith('| `egress` |'))!;
  test.each(sectionsOf('egress').filter((s) => LABS.some((l) => l.name === s.folder)).map((s) => [s.folder, s]))('%s', (lab, s) => {
    const entry = new RegExp(`\\b${lab} \\(([^)]*)\\)`).exec(row)![1];
    const timeouts = routeTimeouts(s.stepObjects);
    if (timeouts.length === 0) expect(entry).toContain('no timeout');
    for (const t of timeouts) expect(entry).toContain(`timeout ${t}`);
  });
});

describe('retry: the conditions Expect names are the ones Istio applies to what the step writes', () => {
  /** The retry conditions of the routes the lab's proxies get after the step: a VirtualService's as written, an HTTPRoute's as Istio converts it. */
  const retryConditions = (objects: readonly Manifest[]): string[] => {
    const index = new MeshIndex(objects);
    return [...ofKind(objects, 'VirtualService'), ...index.gatewayApi.virtualServices]
      .flatMap((vs) => virtualService(vs).http)
      .flatMap((r) => (r.retries && r.retries.attempts !== 0 ? [r.retries.retryOn ?? "Istio's default conditions"] : []));
  };

  test("Istio 1.30 builds connect-failure,refused-stream,unavailable,cancelled,500,502,503,504 from an HTTPRoute's 5xx codes (conversion.go)", () => {
    expect(istioRetryOn([500, 502, 503, 504])).toBe('connect-failure,refused-stream,unavailable,cancelled,500,502,503,504');
  });

  test('some steps retry', () => expect(sectionsOf('retry').length).toBeGreaterThan(0));

  test.each(named(sectionsOf('retry')))('%s', (_, s) => {
    const conditions = [...new Set(retryConditions(s.objects))];
    expect(conditions).toHaveLength(1);
    expect(s.expect).toContain(`on ${conditions[0]}`);
  });
});

describe('ambient authorization holds past the waypoint: each service a step guards at the waypoint admits only the waypoint at its pods, and the guide calls a pod IP', () => {
  /** The Services an AuthorizationPolicy at the waypoint guards: a Service in targetRefs, or every Service for one on the waypoint itself. */
  const guarded = (objects: readonly Manifest[]): string[] => ofKind(objects, 'AuthorizationPolicy').flatMap((p) => {
    const refs: Array<{ kind: string; name: string }> = p.spec.targetRefs ?? [];
    if (refs.some((r) => r.kind === 'Gateway' && r.name === 'waypoint')) return ofKind(objects, 'Service').filter((s) => s.spec.selector).map((s) => s.metadata.name);
    return refs.filter((r) => r.kind === 'Service').map((r) => r.name);
  });
  /** Whether the pods of Service `name` have a selector policy that allows the waypoint's identity alone. */
  const waypointOnly = (objects: readonly Manifest[], name: string): boolean => {
    const service = ofKind(objects, 'Service').find((s) => s.metadata.name === name)!;
    return ofKind(objects, 'AuthorizationPolicy').some((p) => p.spec.selector?.matchLabels?.app === service.spec.selector?.app
      && (p.spec.action ?? 'ALLOW') === 'ALLOW'
      && JSON.stringify(p.spec.rules) === JSON.stringify([{ from: [{ source: { principals: [`cluster.local/ns/${service.metadata.namespace}/sa/waypoint`] } }] }]));
  };
  // Policies on the lab's pods (through their Service or the waypoint); one on a ServiceEntry guards a host outside, which has no pod to call past it.
  const ambientAuthz = SECTIONS.filter((s) => s.folder.endsWith('-ambient')
    && ofKind(s.stepObjects, 'AuthorizationPolicy').some((p) => (p.spec.targetRefs ?? []).some((r: { kind: string }) => r.kind !== 'ServiceEntry')));

  test('the ambient labs have authorization steps', () => {
    expect(new Set(ambientAuthz.map((s) => s.step))).toEqual(new Set(['authz-deny', 'authz-allow', 'jwt']));
  });

  test.each(named(ambientAuthz))('%s', (_, s) => {
    const services = [...new Set(guarded(s.stepObjects))].filter((n) => ofKind(s.objects, 'Service').some((x) => x.metadata.name === n && x.spec.selector));
    expect(services.length).toBeGreaterThan(0);
    for (const name of services) expect([name, waypointOnly(s.objects, name)]).toEqual([name, true]);
    expect(s.block.some((c) => /status\.podIP/.test(c))).toBe(true);
    expect(s.expect).toContain('ztunnel refuses it');
  });

  test('the sidecar flavours write no such policy and no pod IP call', () => {
    const sidecar = SECTIONS.filter((s) => !s.folder.endsWith('-ambient'));
    expect(sidecar.flatMap((s) => ofKind(s.stepObjects, 'AuthorizationPolicy').filter((p) => p.metadata.name.endsWith('-via-waypoint')))).toEqual([]);
    expect(sidecar.flatMap((s) => s.block.filter((c) => /status\.podIP/.test(c)))).toEqual([]);
  });
});

describe('no waypoint or host carries both APIs unless the guide marks the step Alpha with istio.io\'s words', () => {
  const meshRoutedHosts = (objects: readonly Manifest[], kind: 'HTTPRoute' | 'VirtualService'): string[] => (kind === 'HTTPRoute'
    ? ofKind(objects, 'HTTPRoute').flatMap((r) => (r.spec.parentRefs ?? []).filter((p: { kind?: string }) => p.kind === 'Service').map((p: { name: string }) => p.name))
    : ofKind(objects, 'VirtualService').filter((v) => (v.spec.gateways ?? ['mesh']).includes('mesh')).flatMap((v) => v.spec.hosts as string[]));
  const newFlavours = SECTIONS.filter((s) => s.folder.endsWith('-gateway-api') || s.folder.endsWith('-ambient'));

  /** The lab after the step as kubectl leaves it: what the step file's `# First:` lines delete is gone. */
  const applied = (s: StepSection) => {
    const file = output.files.find((f) => f.path === `${s.folder}/steps/${s.step}.yaml`)!.content;
    const gone = headerDeletions(file);
    return s.objects.filter((m) => !gone.some((d) => deletes(d, m)));
  };

  test.each(named(newFlavours))('%s: no host is routed by both', (_, s) => {
    const objects = applied(s);
    const both = meshRoutedHosts(objects, 'HTTPRoute').filter((h) => meshRoutedHosts(objects, 'VirtualService').includes(h));
    expect(both).toEqual([]);
  });

  test.each(named(newFlavours.filter((s) => s.folder.endsWith('-ambient'))))('%s: a waypoint with both APIs is marked Alpha', (_, s) => {
    const objects = applied(s);
    const mixed = meshRoutedHosts(objects, 'HTTPRoute').length > 0 && meshRoutedHosts(objects, 'VirtualService').length > 0;
    if (!mixed) return;
    expect(s.expect).toContain('Alpha in ambient mode');
    expect(s.expect).toContain('"Mixing Istio classic API and Gateway API configuration is not supported, and will lead to undefined behavior"');
  });

  test('some ambient step is such a step', () => {
    expect(newFlavours.some((s) => s.folder.endsWith('-ambient') && s.expect.includes('Alpha in ambient mode'))).toBe(true);
  });
});

describe('metrics: the guide queries Istio\'s request count by version for the service the step splits, and Expect names the split the step writes', () => {
  /** The weights by version of the routes to `service` after the step: a VirtualService's subsets, an HTTPRoute's per-version Services. */
  const split = (objects: readonly Manifest[], service: string): Record<string, number> => {
    const vs = ofKind(objects, 'VirtualService').find((v) => (v.spec.hosts ?? []).includes(service));
    if (vs) return Object.fromEntries(vs.spec.http[0].route.map((r: { destination: { subset: string }; weight?: number }) => [r.destination.subset, r.weight ?? 100]));
    const route = ofKind(objects, 'HTTPRoute').find((r) => (r.spec.parentRefs ?? []).some((p: { kind?: string; name: string }) => p.kind === 'Service' && p.name === service))!;
    return Object.fromEntries(route.spec.rules[0].backendRefs.map((b: { name: string; weight?: number }) => [b.name.slice(service.length + 1), b.weight ?? 1]));
  };

  test('every lab with versions to split has the step', () => expect(sectionsOf('metrics').length).toBeGreaterThan(0));

  test.each(named(sectionsOf('metrics')))('%s', (_, s) => {
    const service = /destination_service_name="([^"]+)"/.exec(s.expect)![1];
    expect(s.block.some((c) => c.includes('http://prometheus.istio-system:9090/api/v1/query') && c.includes(`istio_requests_total{destination_service_name="${service}"`) && c.includes('sum by (destination_version)'))).toBe(true);
    const weights = split(s.objects, service);
    for (const [version, weight] of Object.entries(weights)) expect(s.expect).toContain(`${weight}% (${version})`);
  });
});
