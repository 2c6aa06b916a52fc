import { validateSchema } from '../../imports/schema';
import {
  DEFAULT_NAMESPACE, HostTarget, IGNORED_NAMESPACES, Labels, MeshIndex, PodView, ROOT_NAMESPACE,
  hostMatches, isAmbientNamespace, namespaceOf, qualifyHost, selects, exportToOf,
} from '../istio/index';
import { CODES, Code } from './codes';
import { deprecatedFields, istioDeprecations, removedKind } from './deprecated';
import { CLUSTER_SCOPED, Finding, Manifest, objectKey, objectName, specOf } from './manifest';
import { Server, destinationRule, istioGateway, policySelector, service, workloadLabels } from './views';
import { portProtocol } from './ports';
import { analyzeUnreachableRules } from './routes';
import { checkPolicyTargets, checkRoute, checkRouteRivals, checkWaypointLabel, isGatewayRoute, isTargetRefSchemaGap, policyTargetRefProblems } from './gateway-routes';
import { isIstioGateway } from '../istio/gateway-api';
import { Fields, fields, items, labels as labelsOf, text, texts } from './read';
import { re2Error } from '../istio/re2';

/** A manifest and where it comes from. */
export interface Located {
  readonly manifest: Manifest;
  readonly file?: string;
  /** Line of the object's YAML document in `file`. */
  readonly line?: number;
  /**
   * Objects its file says to delete before it is applied (a meshlab step's `# First: kubectl
   * delete ...` line, lib/validate/deletions.ts): a step that deletes an HTTPRoute and adds a
   * VirtualService is checked without the HTTPRoute.
   */
  readonly deletes?: readonly ObjectRef[];
}

/** An object as `kubectl delete KIND NAME -n NAMESPACE` names it: the kind lower-cased, as typed. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** ServiceAccounts of the demo profile's gateways, which policies name as callers. */
const PLATFORM_ACCOUNTS = new Set(['istio-system/istio-ingressgateway-service-account', 'istio-system/istio-egressgateway-service-account']);

const labelList = (labels: Labels) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
/** A value as a message shows it: never `undefined`. */
const shown = (value: unknown) => (value === undefined || value === null || value === '' ? '(none)' : String(value));

export interface CheckOptions {
  /**
   * Check only these objects, and every Istio object (which may refer to any other), against
   * the whole set: for a set that differs from an already checked one only in these objects.
   * @default every object
   */
  readonly only?: (located: Located) => boolean;
}

type Report = (code: Code, field: string, message: string) => void;

/** The context every rule reads: the index and the findings. */
interface Context {
  readonly index: MeshIndex;
  /**
   * VirtualServices by a host they route to a subset of, written as one of their own hosts
   * (virtualservice/destinationhosts.go initVirtualServiceDestinations).
   */
  readonly subsetRouters: ReadonlyMap<string, readonly Manifest[]>;
  /** Whether some namespaced object names its namespace (then one that does not lands apart). */
  readonly namespaced: boolean;
}

/**
 * Checks a set of manifests: each against its schema, then the references between them
 * (selectors, ports, hosts, subsets, gateways, service accounts) and the Istio pitfalls
 * that apply cleanly and route wrongly. IST findings are what `istioctl analyze` reports on
 * the same files (istio/istio pkg/config/analysis/analyzers, cited at each rule), reading a
 * Deployment as the pod it makes. Returns every finding; an empty list means valid.
 */
export function checkManifests(objects: readonly Located[], options: CheckOptions = {}): Finding[] {
  const findings: Finding[] = [];
  // istioctl analyze drops the objects of Kubernetes' own namespaces before analysing.
  const visible = objects.filter((o) => !IGNORED_NAMESPACES.has(o.manifest.kind === 'Namespace' ? o.manifest.metadata?.name : namespaceOf(o.manifest)));
  // The API server keeps the last object of one identity: so does the index.
  const latest = new Map(visible.map((o) => [objectKey(o.manifest), o.manifest]));
  const index = new MeshIndex([...latest.values()]);
  const ctx: Context = { index, subsetRouters: subsetRouters(index), namespaced: objects.some((o) => !CLUSTER_SCOPED.has(o.manifest.kind) && o.manifest.metadata?.namespace !== undefined) };
  const located = new Map(objects.map((o) => [o.manifest, o]));
  const seen = new Set<string>();
  const included = (o: Located) => !options.only || options.only(o) || String(o.manifest.apiVersion ?? '').includes('istio.io/');
  const reporter = (o: Located): Report => (code, field, message) =>
    findings.push({ code, severity: CODES[code].severity, object: objectName(o.manifest), field, message, file: o.file, line: o.line });
  const visibleSet = new Set(visible);

  for (const o of objects) {
    if (!included(o)) continue;
    const m = o.manifest;
    const report = reporter(o);
    const removed = removedKind(m);
    if (removed) {
      report('ML0013', 'kind', removed);
      continue;
    }
    const deprecated = deprecatedFields(m);
    const istio = istioDeprecations(m);
    const schemaProblems = validateSchema(m);
    // A schema without `targetRefs` (the package's, before Istio 1.22) reports the field as unknown:
    // then check its shape as Istio's validation does instead; a schema that has it checks the
    // shape itself. The kinds a policy may target are Istio's validation's either way.
    const targetRefGap = schemaProblems.some((p) => isTargetRefSchemaGap(m, p));
    for (const p of schemaProblems) {
      if (isTargetRefSchemaGap(m, p)) continue;
      // A removed field is also unknown to the schema: saying it is deprecated says more.
      if ([...deprecated, ...istio].some((d) => d.field === p.field)) continue;
      // Istio validates its own kinds (IST0106); a Kubernetes kind, or an Istio kind that does
      // not exist, it does not read at all.
      const istioKind = String(m.apiVersion ?? '').includes('istio.io/') && p.field !== 'kind';
      report(p.unchecked ? 'ML0009' : istioKind ? 'IST0106' : 'ML0017', p.field, p.message);
    }
    for (const p of policyTargetRefProblems(m, !targetRefGap)) report('IST0106', p.field, p.message);
    if (!m.metadata?.name) continue;
    const identity = objectKey(m);
    if (seen.has(identity)) report('ML0006', 'metadata.name', 'is defined twice; the second would replace the first');
    seen.add(identity);
    if (!CLUSTER_SCOPED.has(m.kind) && !m.metadata.namespace && ctx.namespaced) {
      report('ML0007', 'metadata.namespace', `is missing: kubectl puts the object in its current namespace (checked here as ${DEFAULT_NAMESPACE})`);
    }
    for (const d of deprecated) report('ML0013', d.field, d.message);
    if (!visibleSet.has(o)) continue;
    for (const d of istio) report('IST0002', d.field, d.message);

    if (isGatewayRoute(m)) checkRoute(m, index, report);
    switch (m.kind) {
      case 'Namespace': checkNamespace(m, report); checkWaypointLabel(m, index, report); break;
      case 'Service': checkService(m, ctx, report); checkWaypointLabel(m, index, report); break;
      case 'DestinationRule': checkDestinationRule(m, ctx, report); break;
      case 'VirtualService': checkVirtualService(m, ctx, report); break;
      case 'Gateway': if (isIstioGateway(m)) checkGateway(m, ctx, report); break;
      case 'AuthorizationPolicy': checkAuthorizationPolicy(m, ctx, report); checkPrincipals(m, ctx, report); checkPolicyTargets(m, index, report); break;
      case 'Sidecar': checkWorkloadSelector(m, 'spec.workloadSelector.labels', workloadLabels(m), ctx, report); break;
      case 'Telemetry': checkWorkloadSelector(m, 'spec.selector.matchLabels', policySelector(m), ctx, report); break;
      case 'PeerAuthentication':
      case 'RequestAuthentication': checkPolicySelector(m, 'spec.selector.matchLabels', policySelector(m), ctx, report); checkPolicyTargets(m, index, report); break;
      case 'EnvoyFilter': checkPolicySelector(m, 'spec.workloadSelector.labels', workloadLabels(m), ctx, report); break;
      default: {
        const pod = index.podFor(m);
        if (pod) checkWorkload(pod, ctx, report);
      }
    }
  }
  const reportOn = (m: Manifest): Report | undefined => {
    const o = located.get(m);
    return o && included(o) ? reporter(o) : undefined;
  };
  checkConflictingMeshHosts(ctx, reportOn);
  checkConflictingGateways(ctx, reportOn);
  checkRouteRivals(index, reportOn);
  return findings;
}

/**
 * IST0102: a namespace labelled neither for sidecar injection nor for ambient, whatever it runs
 * (istio/istio pkg/config/analysis/analyzers/injection/injection.go; istio-system is exempt).
 */
function checkNamespace(m: Manifest, report: Report): void {
  const labels = m.metadata.labels ?? {};
  if (m.metadata.name === ROOT_NAMESPACE || isAmbientNamespace(m) || labels['istio.io/dataplane-mode'] === 'ambient') return;
  if ((labels['istio-injection'] ?? '') !== '' || labels['istio.io/rev'] !== undefined) return;
  report('IST0102', 'metadata.labels', `has no injection label, so its pods run without sidecars: label it istio-injection=enabled (or istio.io/dataplane-mode=ambient), or istio-injection=disabled to say that is intended`);
}

function checkWorkload(pod: PodView, ctx: Context, report: Report): void {
  const m = pod.source;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(m.kind)) {
    const selector = labelsOf(fields(specOf(m).selector).matchLabels) ?? {};
    if (!selects(selector, pod.labels)) {
      report('ML0001', 'spec.selector.matchLabels', `${labelList(selector)} does not match the pod template labels ${labelList(pod.labels)}`);
    }
  }
  const account = text(pod.spec.serviceAccountName) ?? text(pod.spec.serviceAccount);
  if (account && account !== 'default' && !ctx.index.serviceAccounts.has(`${pod.namespace}/${account}`)) {
    report('ML0014', `${pod.podPath}.serviceAccountName`, `names ServiceAccount ${account}, which is not defined in ${pod.namespace}`);
  }
  if (pod.sidecar) {
    const labelsPath = pod.podPath === 'spec' ? 'metadata.labels' : `${pod.podPath.slice(0, -'.spec'.length)}.metadata.labels`;
    for (const label of ['app', 'version']) {
      if (!pod.labels[label]) report('ML0008', labelsPath, `a meshed pod without the ${label} label is missing from Istio's metrics and traces`);
    }
  }
}

/** Values of label `gateway.istio.io/managed` on the Services Istio's gateway controllers create. */
const MANAGED_GATEWAY = new Set(['istio.io-gateway-controller', 'istio.io-mesh-controller', 'istio.io-eastwest-controller']);

function checkService(m: Manifest, ctx: Context, report: Report): void {
  const ns = namespaceOf(m);
  const labels = m.metadata.labels ?? {};
  const view = service(m);
  const ports: readonly unknown[] = items(specOf(m).ports);
  // istio/istio pkg/config/analysis/analyzers/service/portname.go: Istio's own Services (label
  // `istio`, or `release: istio`) and gateway-managed ones are exempt; an ExternalName Service
  // gets IST0150 instead, also for a port named just `tcp`.
  const exempt = labels.istio !== undefined || labels.release === 'istio' || MANAGED_GATEWAY.has(labels['gateway.istio.io/managed'] ?? '');
  ports.forEach((port, i) => {
    if (exempt) return;
    const external = view.type === 'ExternalName';
    const name = fields(port).name;
    if (portProtocol(port) !== undefined && !(external && name === 'tcp')) return;
    if (external) {
      report('IST0150', `spec.ports[${i}].name`, `${shown(name)}: an ExternalName Service's port needs a protocol name other than tcp (http, https, tls, ...), else the proxy may block TCP traffic to it`);
    } else {
      report('IST0118', `spec.ports[${i}].name`, `${shown(name)} does not tell Istio the protocol: name it <protocol>[-suffix] (http, http2, grpc, tcp, tls, redis, ...) or set appProtocol`);
    }
  });
  const selector = view.selector;
  // No selector (or an empty one): the endpoints are managed elsewhere, or Istio routes the host.
  if (!selector || Object.keys(selector).length === 0 || view.type === 'ExternalName') return;
  const selected = ctx.index.podsSelected(selector, ns).filter((p) => !p.platform);
  if (selected.length === 0) {
    const elsewhere = ctx.index.podsSelected(selector).filter((p) => !p.platform);
    if (elsewhere.length > 0) {
      const where = elsewhere.map((p) => `${objectName(p.source)} in ${p.namespace}`).join(', ');
      report('ML0002', 'spec.selector', `${labelList(selector)} selects no pod in ${ns}: ${where} would match, but a Service only selects pods of its own namespace`);
    } else if (ctx.index.podsIn(ns).some((p) => !p.platform)) {
      // Services in front of pods the input does not define (the Istio addons) cannot be checked here.
      report('ML0002', 'spec.selector', `${labelList(selector)} selects no pod in ${ns}`);
    }
    return;
  }
  ports.forEach((port, i) => {
    const target = fields(port).targetPort ?? fields(port).port;
    for (const p of selected) {
      const containerPorts = items(p.spec.containers).flatMap((c) => items(fields(c).ports)).map(fields);
      if (!containerPorts.some((c) => c.containerPort === target || c.name === target)) {
        report('ML0003', `spec.ports[${i}].targetPort`, `${shown(target)} is not a container port of ${objectName(p.source)}`);
      }
    }
  });
}

/** For `name.namespace` naming a Service: why Istio does not find it, and what to write. */
function shortNameHint(host: string, index: MeshIndex): string {
  const full = `${host}.svc.cluster.local`;
  return host.split('.').length === 2 && index.services.has(full) ? ` (Istio does not expand ${host} as DNS would: write ${full})` : '';
}

/**
 * IST0174, a DestinationRule host that names no Service or ServiceEntry, and IST0173, a subset
 * whose labels (with the ServiceEntry's workload selector) select no pod in any namespace
 * (istio/istio pkg/config/analysis/analyzers/destinationrule/subset.go).
 */
function checkDestinationRule(m: Manifest, ctx: Context, report: Report): void {
  const ns = namespaceOf(m);
  const rule = destinationRule(m);
  const host = rule.host;
  const target = ctx.index.findHost(host, ns, exportToOf(m));
  if (!target) {
    report('IST0174', 'spec.host', `${shown(host)} matches no Service or ServiceEntry in the mesh${shortNameHint(host, ctx.index)}`);
    return;
  }
  rule.subsets.forEach((subset, i) => {
    const selector = { ...target.workloadSelector, ...labelsOf(subset.labels) };
    if (ctx.index.podsSelected(selector).length === 0) {
      report('IST0173', `spec.subsets[${i}]`, `subset ${shown(subset.name)} (${labelList(selector) || 'no labels'}) selects no pod: requests routed to it fail with 503 (no healthy upstream)`);
    }
  });
}

/**
 * A route or mirror destination (istio/istio pkg/config/analysis/analyzers/virtualservice/
 * destinationhosts.go and destinationrules.go): IST0101 for a host no Service or ServiceEntry
 * visible to the VirtualService answers, a port that host lacks, or a subset no DestinationRule
 * of the host defines; IST0112 for no port to a host with several.
 */
function checkDestination(value: unknown, field: string, vs: Manifest, ctx: Context, report: Report): void {
  const dest = fields(value);
  const ns = namespaceOf(vs);
  const host = (dest.host ?? '') as string;
  const target = ctx.index.findHost(host, ns, exportToOf(vs));
  if (!target) {
    report('IST0101', `${field}.host`, `${shown(host)} matches no Service or ServiceEntry${shortNameHint(host, ctx.index)}`);
  } else {
    const ports = target.ports.map((p) => p.number);
    const port = fields(dest.port).number as number | undefined;
    if (port === undefined && ports.length > 1) {
      report('IST0112', `${field}.port`, `is required: ${host} has several ports (${ports.join(', ')})`);
    } else if (port !== undefined && !ports.includes(port)) {
      report('IST0101', `${field}.port.number`, `${port} is not a port of ${target.kind} ${host} (ports: ${ports.join(', ') || 'none'})`);
    }
  }
  const subset = dest.subset as string | undefined;
  if (subset === undefined || subset === '') return;
  const subsets = ctx.index.subsetsOf(host, ns);
  if (!subsets.has(subset)) {
    report('IST0101', `${field}.subset`, `no DestinationRule for ${shown(host)} defines subset ${subset}`);
  } else if (target) {
    checkSubsetEndpoints(subset, subsets.get(subset)!, target, field, ctx, report);
  }
}

/**
 * ML0012: a subset whose labels select pods, but none behind the Service: Istio's IST0173 looks
 * for the labels in every namespace, the traffic only reaches the Service's own pods.
 */
function checkSubsetEndpoints(name: string, rule: Manifest, target: HostTarget, field: string, ctx: Context, report: Report): void {
  const labels = labelsOf(destinationRule(rule).subsets.find((s) => s.name === name)?.labels) ?? {};
  if (target.kind !== 'Service' || target.platform || !target.selector || Object.keys(target.selector).length === 0) return;
  const ns = namespaceOf(target.object);
  if (ctx.index.podsIn(ns).length === 0 || ctx.index.podsSelected(labels).length === 0) return;
  const selector = { ...target.selector, ...labels };
  if (ctx.index.podsSelected(selector, ns).length === 0) {
    report('ML0012', `${field}.subset`, `subset ${name} of ${target.object.metadata.name} (${labelList(selector)}) selects none of the Service's pods: these requests fail with 503 (no healthy upstream)`);
  }
}

/**
 * Why Istio's validation rejects a regular expression, if it does: empty, longer than 1024
 * characters, or not RE2 (istio/istio pkg/config/validation/validation.go
 * validateStringMatchRegexp and validateStringRegexp, which compile with Go's RE2 regexp). The
 * engine is the one explain and the scenarios use (lib/istio/re2.ts).
 */
function regexProblem(re: string): string | undefined {
  if (re === '') return 'is empty: a regex string match should not be empty';
  if (re.length > 1024) return `is too large (${re.length} characters; at most 1024)`;
  const error = re2Error(re);
  return error === undefined ? undefined : `is not RE2 (${error})`;
}

/** Every `regex` string match in a route match block, with its field. */
function regexesOf(value: unknown, field: string): Array<{ field: string; re: string }> {
  const match = fields(value);
  const found: Array<{ field: string; re: string }> = [];
  for (const key of ['uri', 'scheme', 'method', 'authority']) {
    const re = fields(match[key]).regex;
    if (typeof re === 'string') found.push({ field: `${field}.${key}.regex`, re });
  }
  for (const key of ['headers', 'queryParams', 'withoutHeaders']) {
    for (const [name, v] of Object.entries(match[key] ?? {})) {
      const re = fields(v).regex;
      if (typeof re === 'string') found.push({ field: `${field}.${key}.${name}.regex`, re });
    }
  }
  return found;
}

function checkRoutes(routes: readonly unknown[], kind: 'http' | 'tcp' | 'tls', vs: Manifest, ctx: Context, report: Report): void {
  for (const u of analyzeUnreachableRules(routes, kind)) report(u.code, u.field, u.message);
  routes.forEach((value, i) => {
    const route = fields(value);
    const field = `spec.${kind}[${i}]`;
    ((route.match ?? []) as readonly unknown[]).forEach((mt, j) => {
      for (const { field: reField, re } of regexesOf(mt, `${field}.match[${j}]`)) {
        const problem = regexProblem(re);
        // Istio's validation rejects what RE2 rejects (pkg/config/validation: IST0106 in istioctl analyze).
        if (problem) report('IST0106', reField, `${re} ${problem}`);
      }
    });
    if (kind === 'http') {
      // Istio validates these regexes too (validation.go: corsPolicy.allowOrigins, HTTPRewrite.UriRegexRewrite.Match).
      const more: Array<{ field: string; re: unknown }> = [
        ...((fields(route.corsPolicy).allowOrigins ?? []) as readonly unknown[]).map((o, j) => ({ field: `${field}.corsPolicy.allowOrigins[${j}].regex`, re: fields(o).regex })),
        { field: `${field}.rewrite.uriRegexRewrite.match`, re: fields(fields(route.rewrite).uriRegexRewrite).match },
      ];
      for (const { field: reField, re } of more) {
        const problem = typeof re === 'string' ? regexProblem(re) : undefined;
        if (problem) report('IST0106', reField, `${re} ${problem}`);
      }
    }
    const destinations = ((route.route ?? []) as readonly unknown[]).map(fields);
    destinations.forEach((d, j) => checkDestination(d.destination, `${field}.route[${j}].destination`, vs, ctx, report));
    const weight = (d: Fields) => (d.weight ?? 0) as number;
    if (destinations.length > 1 || (destinations.length === 1 && destinations[0].weight !== undefined && destinations[0].weight !== 100)) {
      const total = destinations.reduce((sum, d) => sum + weight(d), 0);
      if (total !== 100) report('ML0005', `${field}.route`, `weights must add up to 100, got ${total} (${destinations.map((d) => `${shown(fields(d.destination).subset ?? fields(d.destination).host)}=${weight(d)}`).join(', ')})`);
    }
    if (kind !== 'http') return;
    if (route.mirror) checkDestination(route.mirror, `${field}.mirror`, vs, ctx, report);
    ((route.mirrors ?? []) as readonly unknown[]).forEach((mirror, j) => checkDestination(fields(mirror).destination, `${field}.mirrors[${j}].destination`, vs, ctx, report));
  });
}

function checkVirtualService(m: Manifest, ctx: Context, report: Report): void {
  const ns = namespaceOf(m);
  const spec = specOf(m);
  const hosts = texts(spec.hosts);
  // istio/istio pkg/config/analysis/analyzers/virtualservice/gateways.go: a Gateway that is not
  // there is IST0101, and (serving nothing) IST0132 as well; one that serves none of the hosts is IST0132.
  for (const g of ctx.index.gatewayRefs(m)) {
    if (g.index < 0 || g.key === 'mesh') continue;
    const field = `spec.gateways[${g.index}]`;
    // The analyzer's reading of the entry (GatewayRef.analyzerKey): `./name` is no Gateway to it, though istiod binds it.
    const gateway = ctx.index.gateways.get(g.analyzerKey);
    if (!gateway) report('IST0101', field, `${g.ref} names no Gateway${g.gateway ? ` for istioctl analyze (istiod binds it to ${g.key}: write ${g.key})` : ''}`);
    if (!ctx.index.gatewayServes(g.analyzerKey, hosts, ns)) {
      const served = gateway ? istioGateway(gateway).servers.flatMap((s) => texts(s.hosts)) : [];
      report('IST0132', field, `Gateway ${g.ref} serves none of the hosts ${hosts.join(', ') || '(none)'} (its hosts: ${served.join(', ') || 'none'})`);
    }
  }
  if (ctx.index.isMeshBound(m)) {
    items(spec.hosts).forEach((host, i) => {
      if (typeof host !== 'string' || ctx.index.findHost(host, ns, exportToOf(m)) || ctx.index.servicesFor(host, ns).length > 0) return;
      report('ML0015', `spec.hosts[${i}]`, `${host} matches no Service or ServiceEntry, so sidecars never use these routes${shortNameHint(host, ctx.index)}`);
    });
  }
  checkRoutes(items(spec.http), 'http', m, ctx, report);
  checkIngressSubsets(m, ctx, report);
  checkRoutes(items(spec.tcp), 'tcp', m, ctx, report);
  checkRoutes(items(spec.tls), 'tls', m, ctx, report);
}

function subsetRouters(index: MeshIndex): Map<string, Manifest[]> {
  const routers = new Map<string, Manifest[]>();
  for (const vs of index.virtualServices) {
    const hosts = items(specOf(vs).hosts);
    for (const route of items(specOf(vs).http)) {
      for (const d of items(fields(route).route)) {
        const destination = fields(fields(d).destination);
        const host = destination.host;
        if (!destination.subset || typeof host !== 'string' || !hosts.includes(host)) continue;
        const list = routers.get(host) ?? [];
        if (!list.includes(vs)) list.push(vs);
        routers.set(host, list);
      }
    }
  }
  return routers;
}

/**
 * IST0140: a VirtualService with `gateways` routing to a host without subset, where a
 * VirtualService of that host splits it by subset: that split does not apply to the gateway's
 * requests (istio/istio pkg/config/analysis/analyzers/virtualservice/destinationhosts.go analyzeSubset).
 */
function checkIngressSubsets(m: Manifest, ctx: Context, report: Report): void {
  if (items(specOf(m).gateways).length === 0) return;
  // istioctl prints one message per pair of VirtualServices: so does check, at the first route.
  const reported = new Set<Manifest>();
  items(specOf(m).http).forEach((route, i) => {
    items(fields(route).route).forEach((d, j) => {
      const destination = fields(fields(d).destination);
      if (destination.subset) return;
      const routers = (ctx.subsetRouters.get(text(destination.host) ?? '') ?? []).filter((vs) => !reported.has(vs));
      if (routers.length === 0) return;
      routers.forEach((vs) => reported.add(vs));
      const names = routers.map((vs) => `${namespaceOf(vs)}/${vs.metadata.name}`).sort().join(', ');
      report('IST0140', `spec.http[${i}].route[${j}].destination`, `routes to ${String(destination.host)} without subset: the subsets VirtualService ${names} splits it by do not apply to requests from the gateway`);
    });
  });
}

/**
 * IST0109: VirtualServices bound to the mesh that define one host, seen from one namespace
 * (istio/istio pkg/config/analysis/analyzers/virtualservice/conflictingmeshgatewayhosts.go).
 * A VirtualService exported to some namespaces also conflicts with one exported everywhere
 * whose host overlaps its own, wildcards included. Each VirtualService is reported once, naming
 * every VirtualService of its group.
 */
function checkConflictingMeshHosts(ctx: Context, reportOn: (m: Manifest) => Report | undefined): void {
  const groups = new Map<string, Manifest[]>();
  for (const vs of ctx.index.virtualServices) {
    if (!ctx.index.isMeshBound(vs)) continue;
    const ns = namespaceOf(vs);
    const exportTo = exportToOf(vs);
    const scopes = exportTo.length === 0 || exportTo.includes('*') ? ['*'] : [...new Set(exportTo.map((e) => (e === '.' ? ns : e)))];
    for (const scope of scopes) {
      for (const h of texts(specOf(vs).hosts)) {
        const key = `${scope}/${qualifyHost(h, ns)}`;
        groups.set(key, [...(groups.get(key) ?? []), vs]);
      }
    }
  }
  const reported = new Set<Manifest>();
  for (const key of [...groups.keys()].sort()) {
    const slash = key.indexOf('/');
    const [scope, host] = [key.slice(0, slash), key.slice(slash + 1)];
    let list = groups.get(key)!;
    if (scope !== '*') {
      for (const [other, members] of groups) {
        const otherSlash = other.indexOf('/');
        if (other.slice(0, otherSlash) === '*' && hostMatches(host, other.slice(otherSlash + 1))) list = [...list, ...members];
      }
    }
    if (list.length < 2) continue;
    const names = [...new Set(list.map((vs) => `${namespaceOf(vs)}/${vs.metadata.name}`))].sort();
    for (const vs of list) {
      if (reported.has(vs)) continue;
      reported.add(vs);
      const i = items(specOf(vs).hosts).findIndex((h) => typeof h === 'string' && hostMatches(qualifyHost(h, namespaceOf(vs)), host));
      reportOn(vs)?.('IST0109', i >= 0 ? `spec.hosts[${i}]` : 'spec.hosts',
        `${host} is also routed in the mesh${scope === '*' ? '' : ` (as seen from ${scope})`} by ${names.filter((n) => n !== `${namespaceOf(vs)}/${vs.metadata.name}`).join(', ') || 'this VirtualService again'}: one of them is ignored`);
    }
  }
}

/**
 * A Gateway (istio/istio pkg/config/analysis/analyzers/gateway/gateway.go): IST0101 when its
 * selector selects no pod in any namespace; else IST0162 for each server port that none of the
 * Services selecting those pods exposes, as a port or a target port.
 */
function checkGateway(m: Manifest, ctx: Context, report: Report): void {
  const gateway = istioGateway(m);
  const selector = gateway.selector ?? {};
  const { pods, ports } = ctx.index.gatewayServicePorts(m);
  if (pods.length === 0) {
    report('IST0101', 'spec.selector', `${labelList(selector) || '(empty)'} selects no gateway pod: neither the ingress gateway istioctl assumes (istio=ingressgateway in istio-system) nor a pod in the input`);
    return;
  }
  gateway.servers.forEach((server, i) => {
    const port = server.port?.number;
    if (port === undefined || ports.has(port)) return;
    report('IST0162', `spec.servers[${i}].port.number`, `${port} is not a port of the Services in front of the gateway pods selected by ${labelList(selector)} (ports: ${[...ports].sort((a, b) => a - b).join(', ') || 'none'}; Istio counts only Service ports written with protocol: TCP)`);
  });
}

/** The selector of a Gateway as Kubernetes prints it (sorted `k=v` pairs), which gateway/conflictinggateway.go compares. */
const selectorString = (labels: Labels) => Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');

/**
 * IST0145: Gateways whose selectors pick the same gateway pods and which serve one host on one
 * port with the same `bind` (istio/istio pkg/config/analysis/analyzers/gateway/conflictinggateway.go).
 */
function checkConflictingGateways(ctx: Context, reportOn: (m: Manifest) => Report | undefined): void {
  // Per selector and port, the hosts and bind of each Gateway (its last server on that port).
  const byKey = new Map<string, Map<string, { gateway: Manifest; hosts: Map<string, string> }>>();
  const name = (g: Manifest) => `${namespaceOf(g)}/${g.metadata.name}`;
  for (const gateway of ctx.index.gateways.values()) {
    const view = istioGateway(gateway);
    for (const server of view.servers) {
      const key = `${selectorString(view.selector ?? {})}~${server.port?.number ?? 0}`;
      const entry = byKey.get(key) ?? new Map();
      entry.set(name(gateway), { gateway, hosts: new Map((server.hosts ?? []).map((h) => [h, server.bind ?? ''])) });
      byKey.set(key, entry);
    }
  }
  for (const gateway of ctx.index.gateways.values()) {
    const view = istioGateway(gateway);
    const selector = view.selector ?? {};
    const own = selectorString(selector);
    const samePods = [...byKey.keys()].filter((key) => {
      const other = key.slice(0, key.lastIndexOf('~'));
      if (other === own) return true;
      if (!other.includes(own) && !own.includes(other)) return false;
      const otherSelector = Object.fromEntries(other.split(',').filter((p) => p.includes('=')).map((p) => p.split('=') as [string, string]));
      return ctx.index.pods.some((p) => selects(selector, p.labels) && selects(otherSelector, p.labels));
    });
    view.servers.forEach((server: Server, i) => {
      const port = String(server.port?.number ?? 0);
      const conflicts = new Set<string>();
      for (const key of samePods) {
        if (key.slice(key.lastIndexOf('~') + 1) !== port) continue;
        for (const [otherName, { hosts }] of byKey.get(key)!) {
          if (otherName === name(gateway)) continue;
          if ((server.hosts ?? []).some((h) => hosts.has(h) && hosts.get(h) === (server.bind ?? ''))) conflicts.add(otherName);
        }
      }
      if (conflicts.size === 0) return;
      reportOn(gateway)?.('IST0145', `spec.servers[${i}]`, `port ${port} hosts ${(server.hosts ?? []).join(', ')} are also served by ${[...conflicts].sort().join(', ')} on the same gateway pods (${own || 'every pod'}): one of them is ignored`);
    });
  }
}

/**
 * IST0101 for a Sidecar's or Telemetry's selector that selects no pod of its namespace
 * (istio/istio pkg/config/analysis/analyzers/sidecar/selector.go, telemetry/selector.go).
 */
function checkWorkloadSelector(m: Manifest, field: string, selector: Labels | undefined, ctx: Context, report: Report): void {
  if (!selector || Object.keys(selector).length === 0) return;
  const ns = namespaceOf(m);
  if (ctx.index.podsSelected(selector, ns).length === 0) report('IST0101', field, `${labelList(selector)} selects no pod in ${ns}, so the ${m.kind} applies to nothing`);
}

/**
 * IST0127: an AuthorizationPolicy that applies to no pod in the mesh (sidecar or ambient) of its
 * namespace, or, in the root namespace, of any namespace; IST0101 for a source namespace no
 * Namespace object matches (istio/istio pkg/config/analysis/analyzers/authz/authorizationpolicies.go).
 */
function checkAuthorizationPolicy(m: Manifest, ctx: Context, report: Report): void {
  const ns = namespaceOf(m);
  const meshed = (p: PodView) => p.sidecar || p.ambient;
  const spec = specOf(m);
  const selector = spec.selector ? labelsOf(fields(spec.selector).matchLabels) ?? {} : undefined;
  if (ns === ROOT_NAMESPACE) {
    if (selector && !ctx.index.pods.some((p) => meshed(p) && selects(selector, p.labels))) {
      report('IST0127', 'spec.selector.matchLabels', `${labelList(selector) || '(empty)'} matches no pod in the mesh in any namespace`);
    }
  } else if (!selector) {
    if (!ctx.index.podsIn(ns).some(meshed)) report('IST0127', 'metadata.namespace', `${ns} has no pod in the mesh, so the policy applies to nothing`);
  } else if (!ctx.index.podsIn(ns).some((p) => meshed(p) && selects(selector, p.labels))) {
    report('IST0127', 'spec.selector.matchLabels', `${labelList(selector) || '(empty)'} matches no pod in the mesh in ${ns}, so the policy applies to nothing`);
  }
  items(spec.rules).forEach((rule, i) => {
    items(fields(rule).from).forEach((from, j) => {
      for (const key of ['namespaces', 'notNamespaces']) {
        items(fields(fields(from).source)[key]).forEach((pattern, k) => {
          if (typeof pattern !== 'string' || [...ctx.index.namespaces.keys()].some((n) => namespaceMatches(n, pattern))) return;
          report('IST0101', `spec.rules[${i}].from[${j}].source.${key}[${k}]`, `${pattern} matches no Namespace in the input`);
        });
      }
    });
  });
}

/** authz/authorizationpolicies.go namespaceMatch: `*`, `prefix*`, `*suffix` or a name (any case). */
function namespaceMatches(ns: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return ns.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return ns.startsWith(pattern.slice(0, -1));
  return ns.toLowerCase() === pattern.toLowerCase();
}

/**
 * ML0016: a PeerAuthentication, RequestAuthentication or EnvoyFilter selector that selects no
 * pod (Istio's analyzers do not look at these kinds); said only when the input holds workloads
 * of the namespace, or of any namespace for the root namespace.
 */
function checkPolicySelector(m: Manifest, field: string, selector: Labels | undefined, ctx: Context, report: Report): void {
  if (!selector || Object.keys(selector).length === 0) return;
  const ns = namespaceOf(m);
  const pods = ctx.index.pods.filter((p) => !p.platform);
  if (ns === ROOT_NAMESPACE) {
    if (pods.length > 0 && !pods.some((p) => selects(selector, p.labels))) report('ML0016', field, `${labelList(selector)} matches no workload in any namespace`);
    return;
  }
  const here = pods.filter((p) => p.namespace === ns);
  if (here.length > 0 && !here.some((p) => selects(selector, p.labels))) {
    report('ML0016', field, `${labelList(selector)} matches no workload in ${ns}, so the policy applies to nothing`);
  }
}

/** ML0014: principals `<trust domain>/ns/<ns>/sa/<name>` must name a ServiceAccount of a namespace the input holds. */
function checkPrincipals(m: Manifest, ctx: Context, report: Report): void {
  items(specOf(m).rules).forEach((rule, i) => {
    items(fields(rule).from).forEach((from, j) => {
      items(fields(fields(from).source).principals).forEach((principal, k) => {
        const parts = typeof principal === 'string' ? /^[^/]+\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal) : null;
        if (!parts) return;
        const [, ns, account] = parts;
        if (account === 'default' || !ctx.index.usedNamespaces.has(ns) || ctx.index.serviceAccounts.has(`${ns}/${account}`) || PLATFORM_ACCOUNTS.has(`${ns}/${account}`)) return;
        // The accounts Istio creates for the Gateway API Gateways it deploys (`<gateway>-istio`, a waypoint's own name).
        if (ctx.index.gatewayApi.deployedAccounts.has(`${ns}/${account}`)) return;
        report('ML0014', `spec.rules[${i}].from[${j}].source.principals[${k}]`, `${principal} names ServiceAccount ${account}, which is not defined in ${ns}, so the rule matches no caller`);
      });
    });
  });
}

