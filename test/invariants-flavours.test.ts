import { LABS } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { Manifest } from './support/synth';
import { commandsOf, labObjects } from './support/guide-commands';
import { podLabels, synth } from './support/synth';

/**
 * The invariants of every flavour, over the lab and the lab after each of its steps: every
 * route target exists and selects pods, every policy attaches to something, ambient namespaces
 * have their waypoint; and the tutorials' numbers, read the same way from VirtualServices and
 * HTTPRoutes, in every flavour.
 */
const everything = synth();
const files = everything.files;
const folderOf = (lab: string, flavour: Flavour) => flavour.folder(lab);

/** The steps a folder writes. */
const stepsOf = (folder: string) => files.filter((f) => f.path.startsWith(`${folder}/steps/`)).map((f) => f.path.slice(`${folder}/steps/`.length, -'.yaml'.length));

/**
 * The lab after a step, as a learner's commands leave it: the step's objects over the lab's,
 * less the objects its header says to delete first (`# First: kubectl -n ns delete kind name`).
 */
function after(folder: string, step?: string): Manifest[] {
  const objects = labObjects(files, folder, step);
  if (!step) return objects;
  const header = files.find((f) => f.path === `${folder}/steps/${step}.yaml`)!.content.match(/^# First: (.*)$/m)?.[1] ?? '';
  const gone = new Set(commandsOf(header).filter((c) => c.words[0] === 'kubectl' && c.words.includes('delete')).map((c) => {
    const w = c.words;
    const [kind, name] = w.slice(w.indexOf('delete') + 1);
    return `${kind}/${w[w.indexOf('-n') + 1]}/${name}`;
  }));
  return objects.filter((m) => !gone.has(`${m.kind.toLowerCase()}/${m.metadata.namespace}/${m.metadata.name}`));
}

/** Every state of every lab in every flavour: [folder, step or 'lab', objects]. */
const STATES = LABS.flatMap((l) => Flavour.ALL.flatMap((f) => {
  const folder = folderOf(l.name, f);
  return [[folder, '(lab)', after(folder)] as const, ...stepsOf(folder).map((s) => [folder, s, after(folder, s)] as const)];
}));

const workloads = (objects: readonly Manifest[], namespace: string) => objects.filter((m) => (m.kind === 'Deployment' || m.kind === 'Pod') && m.metadata.namespace === namespace);
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const service = (objects: readonly Manifest[], namespace: string, name: string) => objects.find((m) => m.kind === 'Service' && m.metadata.namespace === namespace && m.metadata.name === name);
const isWaypoint = (m: Manifest) => m.kind === 'Gateway' && m.spec?.gatewayClassName === 'istio-waypoint';

/** Problems with the references of one state of a lab, one line each. */
function referenceProblems(objects: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const at = (m: Manifest) => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`;
  const selectsPods = (svc: Manifest) => workloads(objects, svc.metadata.namespace!).some((w) => selects(svc.spec.selector ?? {}, podLabels(w)));
  for (const route of objects.filter((m) => m.kind === 'HTTPRoute' || m.kind === 'TCPRoute')) {
    const ns = route.metadata.namespace!;
    const backends = (route.spec.rules ?? []).flatMap((r: any) => [ // eslint-disable-line @typescript-eslint/no-explicit-any
      ...(r.backendRefs ?? []),
      ...(r.filters ?? []).filter((f: any) => f.type === 'RequestMirror').map((f: any) => f.requestMirror.backendRef), // eslint-disable-line @typescript-eslint/no-explicit-any
    ]);
    for (const ref of backends) {
      if (ref.kind === 'Hostname') {
        if (ref.group !== 'networking.istio.io' || !objects.some((m) => m.kind === 'ServiceEntry' && m.spec.hosts.includes(ref.name))) problems.push(`${at(route)}: backendRef Hostname ${ref.name} is no ServiceEntry host`);
        continue;
      }
      // The Service istiod deploys for a Gateway of class istio: `<name>-istio`.
      const deployed = objects.find((m) => m.kind === 'Gateway' && m.spec.gatewayClassName === 'istio' && m.metadata.namespace === (ref.namespace ?? ns) && `${m.metadata.name}-istio` === ref.name);
      if (deployed) {
        if (!deployed.spec.listeners.some((l: { port: number }) => l.port === ref.port)) problems.push(`${at(route)}: Gateway ${deployed.metadata.name} has no listener on port ${ref.port}`);
        continue;
      }
      const target = service(objects, ref.namespace ?? ns, ref.name);
      if (!target) problems.push(`${at(route)}: backendRef ${ref.name} is no Service`);
      else if (!target.spec.ports.some((p: { port: number }) => p.port === ref.port)) problems.push(`${at(route)}: Service ${ref.name} has no port ${ref.port}`);
      else if (!selectsPods(target)) problems.push(`${at(route)}: Service ${ref.name} selects no pods`);
    }
    for (const parent of route.spec.parentRefs ?? []) {
      const pns = parent.namespace ?? ns;
      if (parent.kind === 'Service') {
        const target = service(objects, pns, parent.name);
        if (!target) problems.push(`${at(route)}: parentRef Service ${parent.name} does not exist`);
        else if (parent.port !== undefined && !target.spec.ports.some((p: { port: number }) => p.port === parent.port)) problems.push(`${at(route)}: parentRef Service ${parent.name} has no port ${parent.port}`);
      } else if (parent.kind === 'ServiceEntry') {
        if (parent.group !== 'networking.istio.io' || !objects.some((m) => m.kind === 'ServiceEntry' && m.metadata.namespace === pns && m.metadata.name === parent.name)) problems.push(`${at(route)}: parentRef ServiceEntry ${parent.name} does not exist`);
      } else if (!objects.some((m) => m.kind === 'Gateway' && m.metadata.namespace === pns && m.metadata.name === parent.name)) {
        problems.push(`${at(route)}: parentRef Gateway ${parent.name} does not exist`);
      }
    }
  }
  const entryHosts = new Set(objects.filter((m) => m.kind === 'ServiceEntry').flatMap((m) => m.spec.hosts));
  for (const dr of objects.filter((m) => m.kind === 'DestinationRule')) {
    const [name, ns = dr.metadata.namespace] = dr.spec.host.split('.');
    const target = service(objects, ns, name);
    if (!target && !entryHosts.has(dr.spec.host) && !dr.spec.host.endsWith('.istio-system.svc.cluster.local')) problems.push(`${at(dr)}: host ${dr.spec.host} is no Service`);
    if (!target) continue;
    for (const subset of dr.spec.subsets ?? []) {
      if (!workloads(objects, target.metadata.namespace!).some((w) => selects({ ...target.spec.selector, ...subset.labels }, podLabels(w)))) problems.push(`${at(dr)}: subset ${subset.name} selects no pods`);
    }
  }
  for (const policy of objects.filter((m) => m.kind === 'AuthorizationPolicy' || m.kind === 'RequestAuthentication')) {
    const ns = policy.metadata.namespace!;
    const { selector, targetRefs, targetRef } = policy.spec;
    const refs = [...(targetRefs ?? []), ...(targetRef ? [targetRef] : [])];
    // The demo profile's gateways run in istio-system: the platform's, not the lab's.
    const demoGateway = ns === 'istio-system' && ['ingressgateway', 'egressgateway'].includes(selector?.matchLabels?.istio);
    if (selector && !demoGateway) {
      if (!workloads(objects, ns).some((w) => selects(selector.matchLabels ?? {}, podLabels(w)))) problems.push(`${at(policy)}: selector matches no pods`);
    } else if (refs.length > 0) {
      for (const ref of refs) {
        const kind = ref.kind === 'Service' ? 'Service' : ref.kind;
        if (!objects.some((m) => m.kind === kind && m.metadata.namespace === (ref.namespace ?? ns) && m.metadata.name === ref.name)) problems.push(`${at(policy)}: targetRef ${ref.kind} ${ref.name} does not exist`);
      }
    } else if (ns !== 'istio-system' && workloads(objects, ns).length === 0) {
      problems.push(`${at(policy)}: applies to namespace ${ns}, which runs nothing`);
    }
  }
  return problems;
}

describe.each(STATES.map(([folder, step, objects]) => [`${folder} ${step}`, objects] as const))('%s', (_, objects) => {
  test('every route target exists and selects pods, and every policy attaches to something', () => {
    expect(referenceProblems(objects)).toEqual([]);
  });
});

describe.each(LABS.map((l) => l.name))('%s in ambient mode', (lab) => {
  const ambient = Flavour.ALL.filter((f) => f.mode === 'ambient').map((f) => folderOf(lab, f));
  test.each(ambient)('%s: namespaces are ambient, not injected, each with the waypoint its label names', (folder) => {
    const states = STATES.filter(([f]) => f === folder);
    for (const [, , objects] of states) {
      for (const ns of objects.filter((m) => m.kind === 'Namespace' && m.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient')) {
        expect(ns.metadata.labels?.['istio-injection']).toBeUndefined();
        const waypoint = ns.metadata.labels?.['istio.io/use-waypoint'];
        if (waypoint) expect(objects.filter((m) => isWaypoint(m) && m.metadata.namespace === ns.metadata.name && m.metadata.name === waypoint)).toHaveLength(1);
      }
    }
    // The lab's own namespace is ambient and has a waypoint.
    const [, , base] = states[0];
    const own = base.find((m) => m.kind === 'Namespace')!;
    expect(own.metadata.labels?.['istio.io/dataplane-mode']).toBe('ambient');
    expect(base.some((m) => isWaypoint(m) && m.metadata.namespace === own.metadata.name)).toBe(true);
  });
});

test('the referee catches a route to a missing Service, a port a Service lacks, a parent that is not there and a policy on nothing', () => {
  const base = after('tutorial-gateway-api');
  const broken = base.map((m) => {
    if (m.kind === 'HTTPRoute' && m.metadata.name === 'recommendation') {
      return { ...m, spec: { parentRefs: [{ group: '', kind: 'Service', name: 'recommendation', port: 9090 }], rules: [{ backendRefs: [{ name: 'recommendation-v3', port: 8080 }, { name: 'preference', port: 80 }] }] } };
    }
    return m;
  });
  const policy: Manifest = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'x', namespace: 'istio-tutorial' }, spec: { targetRefs: [{ group: '', kind: 'Service', name: 'nowhere' }] } };
  expect(referenceProblems([...broken, policy])).toEqual([
    'HTTPRoute istio-tutorial/recommendation: backendRef recommendation-v3 is no Service',
    'HTTPRoute istio-tutorial/recommendation: Service preference has no port 80',
    'HTTPRoute istio-tutorial/recommendation: parentRef Service recommendation has no port 9090',
    'AuthorizationPolicy istio-tutorial/x: targetRef Service nowhere does not exist',
  ]);
});

/**
 * The routing of one host (a Service's mesh routes, or a Gateway's), read the same way from a
 * VirtualService (subsets) and from an HTTPRoute (per-version Services): per route its matches,
 * where it sends (`app version percent%`), fault, timeout, mirror and retries.
 */
interface Route {
  readonly match: string[];
  readonly to: string[];
  readonly fault?: unknown;
  readonly timeout?: string;
  readonly mirror?: string;
  readonly retries?: string;
}

function routesOf(objects: readonly Manifest[], host: { service?: string; gateway?: string }): Route[] {
  const ns = objects.find((m) => m.kind === 'Namespace')!.metadata.name;
  const appOf = (name: string) => service(objects, ns, name)?.spec.selector.app ?? name;
  const subsetVersion = (svc: string, subset?: string) => (subset
    ? objects.find((m) => m.kind === 'DestinationRule' && m.spec.host === svc)?.spec.subsets.find((s: { name: string }) => s.name === subset)?.labels.version
    : undefined);
  const to = (app: string, version: string | undefined, percent: number) => `${app}${version ? ` ${version}` : ''} ${Math.round(percent)}%`;
  const vs = objects.find((m) => m.kind === 'VirtualService' && (host.gateway
    ? (m.spec.gateways ?? []).includes(host.gateway)
    : !m.spec.gateways && m.spec.hosts.includes(host.service)));
  if (vs) {
    return vs.spec.http.map((r: any): Route => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
      match: (r.match ?? []).flatMap((x: any) => [ // eslint-disable-line @typescript-eslint/no-explicit-any
        ...(x.uri?.prefix ? [`path prefix ${x.uri.prefix}`] : []),
        ...(x.uri?.exact ? [`path exact ${x.uri.exact}`] : []),
        ...Object.entries(x.headers ?? {}).map(([k, v]: [string, any]) => `header ${k} ~ ${v.regex}`), // eslint-disable-line @typescript-eslint/no-explicit-any
      ]),
      to: (r.route ?? []).map((d: any) => to(appOf(d.destination.host), subsetVersion(d.destination.host, d.destination.subset), d.weight ?? 100)), // eslint-disable-line @typescript-eslint/no-explicit-any
      ...(r.fault ? { fault: r.fault } : {}),
      ...(r.timeout ? { timeout: r.timeout } : {}),
      ...(r.mirror ? { mirror: to(appOf(r.mirror.host), subsetVersion(r.mirror.host, r.mirror.subset), r.mirrorPercentage?.value ?? 100) } : {}),
      ...(r.retries ? { retries: `${r.retries.attempts} x ${r.retries.perTryTimeout}` } : {}),
    }));
  }
  const route = objects.find((m) => m.kind === 'HTTPRoute' && (m.spec.parentRefs ?? []).some((p: any) => // eslint-disable-line @typescript-eslint/no-explicit-any
    (host.gateway ? (p.kind ?? 'Gateway') === 'Gateway' && p.name === host.gateway : p.kind === 'Service' && p.name === host.service)));
  if (!route) throw new Error(`no route for ${JSON.stringify(host)}`);
  const versionOf = (name: string) => service(objects, ns, name)?.spec.selector.version;
  return route.spec.rules.map((r: any): Route => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const backends = r.backendRefs ?? [];
    const total = backends.reduce((sum: number, b: any) => sum + (b.weight ?? 1), 0); // eslint-disable-line @typescript-eslint/no-explicit-any
    const mirror = (r.filters ?? []).find((f: any) => f.type === 'RequestMirror')?.requestMirror; // eslint-disable-line @typescript-eslint/no-explicit-any
    return {
      match: (r.matches ?? []).flatMap((x: any) => [ // eslint-disable-line @typescript-eslint/no-explicit-any
        ...(x.path ? [`path ${x.path.type === 'PathPrefix' ? 'prefix' : 'exact'} ${x.path.value}`] : []),
        ...(x.headers ?? []).map((h: any) => `header ${h.name.toLowerCase()} ~ ${h.value}`), // eslint-disable-line @typescript-eslint/no-explicit-any
      ]),
      to: backends.map((b: any) => to(appOf(b.name), versionOf(b.name), ((b.weight ?? 1) / total) * 100)), // eslint-disable-line @typescript-eslint/no-explicit-any
      ...(r.timeouts?.request ? { timeout: r.timeouts.request } : {}),
      ...(mirror ? { mirror: to(appOf(mirror.backendRef.name), versionOf(mirror.backendRef.name), mirror.percent ?? 100) } : {}),
      ...(r.retry ? { retries: `${r.retry.attempts} x ${r.timeouts?.backendRequest}` } : {}),
    };
  });
}

/** The lab after a step in a flavour, or undefined when the flavour leaves the step out. */
const stateOf = (lab: string, flavour: Flavour, step: string) => STATES.find(([f, s]) => f === folderOf(lab, flavour) && s === step)?.[2];

describe.each(Flavour.ALL.map((f) => [f.name, f] as const))("the tutorials' numbers in the %s flavour", (_, flavour) => {
  const routes = (lab: string, step: string, host: { service?: string; gateway?: string }) => {
    const objects = stateOf(lab, flavour, step);
    return objects && routesOf(objects, host);
  };
  const rec = { service: 'recommendation' };

  test('tutorial: route to v2, canary 90/10, Safari to v2 and the rest to v1, all to v1 mirrored 100% to v2', () => {
    expect(routes('tutorial', 'route', rec)).toEqual([{ match: [], to: ['recommendation v2 100%'] }]);
    expect(routes('tutorial', 'canary', rec)).toEqual([{ match: [], to: ['recommendation v1 90%', 'recommendation v2 10%'] }]);
    expect(routes('tutorial', 'header-route', rec)).toEqual([
      { match: ['header user-agent ~ .*Safari.*'], to: ['recommendation v2 100%'] },
      { match: [], to: ['recommendation v1 100%'] },
    ]);
    expect(routes('tutorial', 'mirror', rec)).toEqual([{ match: [], to: ['recommendation v1 100%'], mirror: 'recommendation v2 100%' }]);
  });

  test('tutorial: 503 abort at 50%, 7s delay at 50% (fault injection keeps its VirtualService in every flavour)', () => {
    expect(routes('tutorial', 'fault-abort', rec)![0].fault).toEqual({ abort: { httpStatus: 503, percentage: { value: 50 } } });
    expect(routes('tutorial', 'fault-delay', rec)![0].fault).toEqual({ delay: { fixedDelay: '7s', percentage: { value: 50 } } });
  });

  test('tutorial: timeout 1s, retries 3 x 2s, where the flavour has the steps', () => {
    // The flavours without the EnvoyFilter time out preference's route, one hop above recommendation's delay (istio.io's request-timeouts pattern).
    const timeout = routes('tutorial', 'timeout', flavour.seedImages ? rec : { service: 'preference' });
    expect(timeout![0].timeout).toBe('1s');
    const retry = routes('tutorial', 'retry', rec);
    expect(retry![0].retries).toBe('3 x 2s');
  });

  test('tutorial: circuit breaker 1/1/1 ejecting for 2m, outlier detection 1 error 5s/15s over random balancing', () => {
    const policy = (step: string) => stateOf('tutorial', flavour, step)!.find((m) => m.kind === 'DestinationRule' && m.spec.host === 'recommendation')!.spec.trafficPolicy;
    expect(policy('circuit-breaker')).toEqual({
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '2m', maxEjectionPercent: 100 },
    });
    expect(policy('outlier-detection')).toEqual({
      loadBalancer: { simple: 'RANDOM' },
      outlierDetection: { consecutive5xxErrors: 1, interval: '5s', baseEjectionTime: '15s', maxEjectionPercent: 100 },
    });
  });

  test('polyglot: route to v1, canary 70/30 on service-go, 500 at 50%, service-node timeout 500ms, Firefox to service-js v2 at the gateway', () => {
    const go = { service: 'service-go' };
    expect(routes('polyglot', 'route', go)).toEqual([{ match: [], to: ['service-go v1 100%'] }]);
    expect(routes('polyglot', 'canary', go)).toEqual([{ match: [], to: ['service-go v1 70%', 'service-go v2 30%'] }]);
    expect(routes('polyglot', 'fault-abort', go)![0].fault).toEqual({ abort: { httpStatus: 500, percentage: { value: 50 } } });
    // The flavours with Istio's current samples time httpbin out, which waits on request (/delay).
    const timeout = routes('polyglot', 'timeout', { service: flavour.seedImages ? 'service-node' : 'httpbin' });
    expect(timeout![0].timeout).toBe('500ms');
    expect(routes('polyglot', 'header-route', { gateway: gatewayName('polyglot', flavour) })).toEqual([
      { match: ['path prefix /env'], to: ['service-python 100%'] },
      { match: ['header user-agent ~ .*?(Firefox).*?'], to: ['service-js v2 100%'] },
      { match: [], to: ['service-js v1 100%'] },
    ]);
  });

  test('flask: route to v2, canary 50/50', () => {
    expect(routes('flask', 'route', { service: 'flaskapp' })).toEqual([{ match: [], to: ['flaskapp v2 100%'] }]);
    expect(routes('flask', 'canary', { service: 'flaskapp' })).toEqual([{ match: [], to: ['flaskapp v1 50%', 'flaskapp v2 50%'] }]);
  });

  test('fft: /fft and /metrics through the gateway to wtyfft-svc; ingress-tls adds 443 with the credential', () => {
    const gateway = gatewayName('fft', flavour);
    const matches = routes('fft', 'ingress-tls', { gateway })!.flatMap((r) => r.match);
    expect(matches).toEqual(['path prefix /fft', 'path exact /metrics']);
    const tls = stateOf('fft', flavour, 'ingress-tls')!.find((m) => m.kind === 'Gateway' && m.metadata.name === 'wtyfft-gateway')!;
    expect(flavour.api === 'istio'
      ? tls.spec.servers.find((s: any) => s.port.number === 443).tls.credentialName // eslint-disable-line @typescript-eslint/no-explicit-any
      : tls.spec.listeners.find((l: any) => l.port === 443).tls.certificateRefs[0].name).toBe('wtyfft-credential'); // eslint-disable-line @typescript-eslint/no-explicit-any
  });
});

/** The name a gateway route is bound by: the Istio Gateway's in the classic flavour, the Gateway API Gateway's otherwise (the same name). */
function gatewayName(lab: string, flavour: Flavour): string {
  return after(folderOf(lab, flavour)).find((m) => m.kind === 'Gateway' && m.spec?.gatewayClassName !== 'istio-waypoint')!.metadata.name;
}

test('every state is read once, and steps removed in a flavour are the ones its guide lists', () => {
  expect(new Set(STATES.map(([f, s]) => `${f} ${s}`)).size).toBe(STATES.length);
  for (const l of LABS) {
    for (const f of Flavour.ALL) {
      const guide = files.find((x) => x.path === `${folderOf(l.name, f)}/README.md`)!.content;
      const missing = l.scenarios.map((p) => p.scenario.name).filter((s) => !stepsOf(folderOf(l.name, f)).includes(s));
      for (const s of missing) expect(guide).toMatch(new RegExp(`^- \`${s}\`: `, 'm'));
    }
  }
});
