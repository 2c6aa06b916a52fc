/**
 * Reads the shell commands of a generated guide the way a learner's shell would run them, and
 * checks each against the manifests of the lab (after the step): the namespace it names, the
 * pods, Deployments, containers, Services and ports it reaches, the files it applies. Enough
 * of a shell for the guides (quotes, `;`, `&&`, `|`, `$(...)`, `for`/`while` loops, `sh -c`),
 * not a general one.
 */
import { parseAllDocuments } from 'yaml';
import type { OutputFile } from '../../lib/output/render';
import { objectKey } from '../../lib/validate/manifest';
import { Manifest } from './synth';

/** A namespace in ambient mode: its pods have no sidecar. */
const isAmbient = (m: Manifest) => m.kind === 'Namespace' && m.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient';

export const parseYaml = (content: string) => parseAllDocuments(content).map((d) => d.toJSON() as Manifest).filter(Boolean);

/**
 * The objects of Istio's demo profile the guides reach in istio-system: the gateways' Services
 * (port names http2 and https, in Istio's manifests/charts/gateways/istio-ingress/values.yaml)
 * and their pods, which are Envoy alone.
 */
export const PLATFORM: readonly Manifest[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
  ...['ingress', 'egress'].flatMap((g): Manifest[] => [
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: `istio-${g}gateway`, namespace: 'istio-system' },
      spec: { selector: { istio: `${g}gateway` }, ports: [{ name: 'http2', port: 80 }, { name: 'https', port: 443 }] },
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `istio-${g}gateway`, namespace: 'istio-system' },
      spec: { template: { metadata: { labels: { app: `istio-${g}gateway`, istio: `${g}gateway` } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
    },
  ]),
  // Istio's Prometheus addon, which the platform's guide installs (samples/addons/prometheus.yaml: Service prometheus, port http 9090).
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'prometheus', namespace: 'istio-system' }, spec: { ports: [{ name: 'http', port: 9090 }] } },
];

/**
 * ztunnel, Istio's node proxy in ambient mode: a DaemonSet in istio-system whose container is
 * named istio-proxy (istio/istio manifests/charts/ztunnel/templates/daemonset.yaml), modelled
 * here as the pods it runs.
 */
const ZTUNNEL: Manifest = {
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ztunnel', namespace: 'istio-system' },
  spec: { template: { metadata: { labels: { app: 'ztunnel' } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
};

/**
 * What istiod deploys for each Gateway API Gateway of the lab: a Deployment and a Service,
 * `<gateway>-istio` for class istio and `<gateway>` for a waypoint, pods labelled with the
 * Gateway's name and running Envoy alone (container istio-proxy), Service ports named after the
 * listeners beside status-port 15021 (istio/istio pilot/pkg/config/kube/gatewaycommon/
 * deploymentcontroller.go extractServicePorts).
 */
export function deployedByIstio(objects: readonly Manifest[]): Manifest[] {
  return objects.filter((m) => m.kind === 'Gateway' && m.apiVersion.startsWith('gateway.networking.k8s.io/')).flatMap((gateway): Manifest[] => {
    const { name, namespace } = gateway.metadata;
    const deployed = gateway.spec.gatewayClassName === 'istio-waypoint' ? name : `${name}-istio`;
    const labels = { 'gateway.networking.k8s.io/gateway-name': name };
    const ports = [{ name: 'status-port', port: 15021 }, ...(gateway.spec.listeners ?? []).map((l: { name: string; port: number }) => ({ name: l.name, port: l.port }))];
    return [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: deployed, namespace }, spec: { selector: labels, ports } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: deployed, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'istio-proxy' }] } } } },
    ];
  });
}

/** The Gateway API CRDs' release assets (lib/platform/release.ts), which a guide applies by URL. */
const CRD_URL = /^https:\/\/github\.com\/kubernetes-sigs\/gateway-api\/releases\/download\/v[\d.]+\/(standard|experimental)-install\.yaml$/;

/** One simple command: its words after quote removal, and the variable its output is assigned to. */
export interface Command {
  readonly words: readonly string[];
  readonly assignTo?: string;
}

/** Replaces `for v in a b; do X; done` by X once per word (with $v filled in), `while true; do X; done` by X. */
export function expandLoops(line: string): string {
  const header = /(for (\w+) in ([^;]+)|while true); do /.exec(line);
  if (!header) return line;
  // The matching `; done`: loops inside the body open and close their own.
  const inner = /(?:for \w+ in [^;]+|while true); do |; done/g;
  inner.lastIndex = header.index + header[0].length;
  let depth = 1;
  let m: RegExpExecArray | null = null;
  while (depth > 0 && (m = inner.exec(line))) depth += m[0] === '; done' ? -1 : 1;
  if (!m) throw new Error(`unclosed loop in: ${line}`);
  const [, , variable, words] = header;
  const body = line.slice(header.index + header[0].length, m.index);
  const items = variable === undefined || words.includes('$(') ? [undefined] : words.trim().split(/\s+/);
  const bodies = items.map((w) => (w === undefined ? body : body.replace(new RegExp(`\\$${variable}\\b`, 'g'), w)));
  return expandLoops(line.slice(0, header.index) + bodies.join('; ') + line.slice(m.index + m[0].length));
}

type Token = { readonly word: string } | { readonly op: string };

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word = '';
  let inWord = false;
  const flush = () => {
    if (inWord) tokens.push({ word });
    word = '';
    inWord = false;
  };
  for (let i = 0; i < line.length;) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        // In double quotes a backslash escapes only $ ` " \ (bash); `\n` stays as written.
        if (line[j] === '\\' && '$`"\\'.includes(line[j + 1])) j++;
        word += line[j];
      }
      if (j >= line.length) throw new Error(`unclosed " in: ${line}`);
      inWord = true;
      i = j + 1;
    } else if (c === '\\') {
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      flush();
      i++;
    } else if (line.startsWith('$(', i)) {
      flush();
      tokens.push({ op: '$(' });
      i += 2;
    } else if (line.startsWith('&&', i) || line.startsWith('||', i)) {
      flush();
      tokens.push({ op: line.slice(i, i + 2) });
      i += 2;
    } else if (c === ';' || c === '|' || c === ')') {
      flush();
      tokens.push({ op: c });
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  flush();
  return tokens;
}

/** The simple commands of one line of shell, loops unrolled. */
export function commandsOf(line: string): Command[] {
  const commands: Command[] = [];
  const stack: Array<{ words: string[]; assignTo?: string }> = [];
  let words: string[] = [];
  for (const t of tokenize(expandLoops(line))) {
    if ('word' in t) {
      words.push(t.word);
    } else if (t.op === '$(') {
      const assignTo = /^(\w+)=$/.exec(words[words.length - 1] ?? '')?.[1];
      stack.push({ words, assignTo });
      words = [];
    } else if (t.op === ')') {
      const outer = stack.pop()!;
      if (words.length > 0) commands.push({ words, assignTo: outer.assignTo });
      words = outer.words;
    } else {
      if (words.length > 0) commands.push({ words });
      words = [];
    }
  }
  if (words.length > 0) commands.push({ words });
  return commands;
}

/** A guide split into its top (before `## Steps`) and one part per step section. */
export function guideSections(guide: string): Array<{ readonly step?: string; readonly text: string }> {
  const [top, steps = ''] = guide.split('\n## Steps\n');
  return [{ text: top }, ...steps.split('\n### ').slice(1).map((s) => ({ step: s.slice(0, s.indexOf('\n')), text: s }))];
}

/** The command lines of a text: every line of its ```sh blocks, and inline code that runs kubectl or curl. */
export function commandLines(text: string): string[] {
  const lines: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    lines.push(...block[1].split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')));
  }
  const prose = text.replace(/```[\s\S]*?```/g, '');
  for (const span of prose.matchAll(/`([^`\n]+)`/g)) if (/^(kubectl|curl) /.test(span[1])) lines.push(span[1]);
  return lines;
}

/** The sh block after "Revert:" in a step section. */
export function revertBlock(section: string): string[] {
  const after = section.slice(section.indexOf('\nRevert:\n'));
  return commandLines(/```sh\n[\s\S]*?```/.exec(after)?.[0] ?? '');
}

export interface Url {
  readonly scheme: string;
  readonly host: string;
  readonly port: string;
  readonly path: string;
}

export function parseUrl(text: string): Url | undefined {
  const m = /^(https?):\/\/([^/:?]+)(?::([^/?]+))?([^\s]*)$/.exec(text);
  if (!m) return undefined;
  return { scheme: m[1], host: m[2], port: m[3] ?? (m[1] === 'https' ? '443' : '80'), path: m[4] || '/' };
}

/** A request a command makes: from the learner's machine, or from inside a pod of `namespace`. */
export interface Call {
  readonly from: 'machine' | 'cluster';
  readonly namespace?: string;
  readonly words: readonly string[];
  readonly url: Url;
}

interface PodShape {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly image?: string; readonly ports: readonly number[] }>;
}

/** What the commands of a guide see: the objects, and what earlier commands defined or made. */
export class World {
  /** Problems found, one line each. */
  public readonly problems: string[] = [];
  public readonly calls: Call[] = [];
  /** Shell variables defined so far (INGRESS_HOST, TOKEN, POD, ...). */
  public readonly defined = new Set<string>();
  /** Pod variables: `POD=$(kubectl -n ns get pod -l sel ...)`. */
  private readonly podVars = new Map<string, { namespace: string; selector: string }>();
  /** Objects made by commands (`kubectl create secret`, `kubectl run`): `Kind/namespace/name`. */
  public readonly made = new Set<string>();
  /** Host names that `curl --resolve` sends to the ingress gateway. */
  private readonly resolved = new Set<string>();
  private objects: readonly Manifest[] = [];
  private line = '';

  public constructor(private readonly outDir: string, private readonly files: readonly OutputFile[]) {}

  /** Checks the lines of one section against `objects` (the lab after the section's step). */
  public run(lines: readonly string[], objects: readonly Manifest[]): void {
    this.objects = [...objects, ...PLATFORM, ...(objects.some(isAmbient) ? [ZTUNNEL] : []), ...deployedByIstio(objects)];
    for (const line of lines) {
      this.line = line;
      for (const used of line.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
        if (!this.defined.has(used[1]) && !new RegExp(`\\b${used[1]}=`).test(line)) this.problem(`$${used[1]} is used before it is set`);
      }
      for (const command of commandsOf(line)) this.command(command, 'machine');
    }
  }

  private problem(message: string): void {
    this.problems.push(`${message}\n    in: ${this.line}`);
  }

  private namespaces(): Set<string> {
    return new Set(this.objects.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
  }

  private find(kind: string, namespace: string | undefined, name: string): Manifest | undefined {
    return this.objects.find((m) => m.kind.toLowerCase() === kind.toLowerCase() && m.metadata.name === name
      && (m.kind === 'Namespace' || (m.metadata.namespace ?? 'default') === namespace));
  }

  /** Pods as they will run: the containers of their spec, and Istio's sidecar where the namespace injects one. */
  private pods(namespace: string): PodShape[] {
    const injected = this.objects.some((m) => m.kind === 'Namespace' && m.metadata.name === namespace && m.metadata.labels?.['istio-injection'] === 'enabled');
    const shapes: PodShape[] = [];
    for (const m of this.objects) {
      if ((m.metadata.namespace ?? 'default') !== namespace || (m.kind !== 'Pod' && m.kind !== 'Deployment' && m.kind !== 'DaemonSet')) continue;
      const labels: Record<string, string> = (m.kind === 'Pod' ? m.metadata.labels : m.spec.template.metadata.labels) ?? {};
      const spec = m.kind === 'Pod' ? m.spec : m.spec.template.spec;
      const containers = spec.containers.map((c: any) => ({ name: c.name, image: c.image, ports: (c.ports ?? []).map((p: any) => p.containerPort) })); // eslint-disable-line @typescript-eslint/no-explicit-any
      if (injected && labels['sidecar.istio.io/inject'] !== 'false') containers.push({ name: 'istio-proxy', ports: [] });
      shapes.push({ namespace, labels: { ...labels, __name: `${m.kind}/${m.metadata.name}` }, containers });
    }
    return shapes;
  }

  private selected(namespace: string, selector: string): PodShape[] {
    const wanted = selector.split(',').map((kv) => kv.split('='));
    return this.pods(namespace).filter((p) => wanted.every(([k, v]) => p.labels[k] === v));
  }

  private target(namespace: string, target: string): PodShape[] {
    if (target.startsWith('$')) {
      const v = this.podVars.get(target.slice(1));
      if (!v) return [];
      if (v.namespace !== namespace) this.problem(`${target} is a pod of namespace ${v.namespace}, not ${namespace}`);
      return this.selected(v.namespace, v.selector);
    }
    const [kind, name] = target.includes('/') ? target.split('/') : ['pod', target];
    const k = { deploy: 'Deployment', deployment: 'Deployment', pod: 'Pod', po: 'Pod', ds: 'DaemonSet', daemonset: 'DaemonSet' }[kind];
    return this.pods(namespace).filter((p) => p.labels.__name === `${k}/${name}`);
  }

  private command(c: Command, from: 'machine' | 'cluster', namespace?: string, pod?: PodShape[]): void {
    const [program, ...args] = c.words;
    if (program === 'kubectl' && from === 'machine') return this.kubectl(c);
    if (program === 'istioctl' && from === 'machine') {
      if (args[0] === 'waypoint') {
        // istioctl/pkg/waypoint/waypoint.go: list and status read the namespace's waypoints.
        if (!['list', 'status'].includes(args[1])) return this.problem(`istioctl waypoint ${args[1]}: not a command the guides use`);
        const ns = args.includes('-n') ? args[args.indexOf('-n') + 1] : undefined;
        if (!ns) return this.problem('istioctl waypoint names no namespace (-n)');
        const waypoints = this.objects.filter((m) => m.kind === 'Gateway' && m.spec?.gatewayClassName === 'istio-waypoint' && m.metadata.namespace === ns);
        return waypoints.length > 0 ? undefined : this.problem(`istioctl waypoint ${args[1]}: namespace ${ns} has no waypoint`);
      }
      if (args[0] !== 'install') return this.problem(`istioctl ${args[0]}: not a command the guides use`);
      const file = args[args.indexOf('-f') + 1];
      return args.includes('-f') ? this.file(file) : this.problem('istioctl install names no file (-f)');
    }
    if (/^[A-Z]\w*=/.test(program) || program === 'export') {
      for (const w of c.words) {
        const m = /^([A-Z][A-Z0-9_]*)=/.exec(w);
        if (m) this.defined.add(m[1]);
      }
      return;
    }
    if (c.assignTo) this.defined.add(c.assignTo);
    if (program === 'sh' && args[0] === '-c') {
      for (const inner of commandsOf(args[1])) this.command(inner, from, namespace, pod);
      return;
    }
    if (program === 'nc') this.service(namespace!, args[args.length - 2], args[args.length - 1]);
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--resolve') {
        const [host, port, address] = args[++i].split(':');
        if (address !== '$INGRESS_HOST' || port !== '$SECURE_INGRESS_PORT') this.problem(`--resolve ${args[i]} does not send ${host} to $INGRESS_HOST:$SECURE_INGRESS_PORT`);
        this.resolved.add(host);
      }
      const url = parseUrl(args[i]);
      if (!url) continue;
      this.calls.push({ from, namespace, words: c.words, url });
      if (from === 'machine') this.machineUrl(url);
      else this.clusterUrl(namespace!, url, pod ?? []);
    }
  }

  /** From the learner's machine only the ingress gateway (or a public host) is reachable. */
  private machineUrl(url: Url): void {
    if (url.host === '$INGRESS_HOST' || this.resolved.has(url.host)) {
      const port = url.scheme === 'https' ? '$SECURE_INGRESS_PORT' : '$INGRESS_PORT';
      if (url.port !== port) this.problem(`${url.scheme}://${url.host} needs port ${port} (the NodePort when there is no load balancer)`);
      const routed = this.objects.some((m) => m.kind === 'VirtualService' && (m.spec.gateways ?? []).some((g: string) => g !== 'mesh')
        && (m.spec.http ?? []).some((r: any) => !r.match || r.match.some((x: any) => (x.uri?.prefix && url.path.startsWith(x.uri.prefix)) || x.uri?.exact === url.path))); // eslint-disable-line @typescript-eslint/no-explicit-any
      const gateways = new Set(this.objects.filter((m) => m.kind === 'Gateway' && m.apiVersion.startsWith('gateway.networking.k8s.io/')).map((m) => `${m.metadata.namespace}/${m.metadata.name}`));
      const byRoute = this.objects.some((m) => m.kind === 'HTTPRoute'
        && (m.spec.parentRefs ?? []).some((p: any) => (p.kind ?? 'Gateway') === 'Gateway' && gateways.has(`${p.namespace ?? m.metadata.namespace}/${p.name}`)) // eslint-disable-line @typescript-eslint/no-explicit-any
        && (m.spec.rules ?? []).some((r: any) => !r.matches || r.matches.some((x: any) => !x.path // eslint-disable-line @typescript-eslint/no-explicit-any
          || (x.path.type === 'PathPrefix' && url.path.startsWith(x.path.value)) || (x.path.type === 'Exact' && url.path === x.path.value))));
      if (!routed && !byRoute) this.problem(`no VirtualService or HTTPRoute on a gateway routes ${url.path}`);
      return;
    }
    if (url.host.startsWith('$')) return; // an unset variable is reported as such
    if (!url.host.includes('.') || this.namespaces().has(url.host.split('.')[1])) this.problem(`${url.host} is a name inside the cluster, which the learner's machine cannot reach`);
  }

  /** Inside a pod: a Service of the namespace (or `name.namespace`), the pod itself, or a host outside the cluster. */
  private clusterUrl(namespace: string, url: Url, pod: readonly PodShape[]): void {
    if (url.host === 'localhost') {
      const ports = pod.flatMap((p) => p.containers.flatMap((c) => c.ports));
      if (!ports.includes(Number(url.port))) this.problem(`localhost:${url.port}: no container of the pod listens there (ports: ${ports.join(', ')})`);
      return;
    }
    const [name, ns] = url.host.split('.');
    if (!url.host.includes('.')) this.service(namespace, name, url.port);
    else if (this.namespaces().has(ns)) this.service(ns, name, url.port);
  }

  private service(namespace: string, name: string, port: string): void {
    const service = this.find('Service', namespace, name);
    if (!service) return this.problem(`no Service ${name} in namespace ${namespace}`);
    const ports = service.spec.ports.map((p: { port: number }) => String(p.port));
    if (!ports.includes(port)) this.problem(`Service ${namespace}/${name} has no port ${port} (ports: ${ports.join(', ')})`);
  }

  private file(path: string): void {
    const prefix = `${this.outDir}/`;
    if (!path.startsWith(prefix)) return this.problem(`${path} is not in the output folder ${prefix}`);
    const rel = path.slice(prefix.length);
    const exists = rel.endsWith('/') ? this.files.some((f) => f.path.startsWith(rel) && f.path.endsWith('.yaml')) : this.files.some((f) => f.path === rel);
    if (!exists) this.problem(`${path} is not written by the synthesis`);
  }

  private kubectl(c: Command): void {
    let namespace: string | undefined;
    let container: string | undefined;
    let selector: string | undefined;
    let remote: string[] | undefined;
    const files: string[] = [];
    const flags: string[] = [];
    const rest: string[] = [];
    const w = c.words;
    for (let i = 1; i < w.length; i++) {
      if (w[i] === '--') {
        remote = w.slice(i + 1);
        break;
      }
      if (w[i] === '-n' || w[i] === '--namespace') namespace = w[++i];
      else if (w[i] === '-c' || w[i] === '--container') container = w[++i];
      else if (w[i] === '-l' || w[i] === '--selector') selector = w[++i];
      else if (w[i] === '-f' || w[i] === '--filename') files.push(w[++i]);
      else if (w[i] === '-o' || w[i] === '--output') i++;
      else if (w[i].startsWith('-')) flags.push(w[i]);
      else rest.push(w[i]);
    }
    const [verb, ...args] = rest;
    // The Gateway API CRDs, applied from their release (once per cluster).
    if (verb === 'apply' && files.length === 1 && /^https:/.test(files[0])) {
      if (!CRD_URL.test(files[0])) this.problem(`${files[0]} is not a Gateway API CRD release`);
      return;
    }
    if (verb === 'get' && args[0] === 'crd') return;
    // The Gateway API's safe-upgrades admission policy and its binding are cluster-scoped.
    if (verb === 'delete' && args[0] === 'validatingadmissionpolicybinding,validatingadmissionpolicy') return;
    if (files.length > 0) {
      // The files name their namespaces (a step may span several).
      if (namespace) this.problem('kubectl -f with -n: the files name their namespaces');
      return files.forEach((f) => this.file(f));
    }
    if (verb === 'delete' && args[0] === 'namespace') {
      for (const ns of args.slice(1)) if (!this.find('Namespace', undefined, ns)) this.problem(`no Namespace ${ns} to delete`);
      return;
    }
    if (!namespace) return this.problem(`kubectl ${verb} names no namespace (-n)`);
    if (!this.namespaces().has(namespace)) this.problem(`namespace ${namespace} is not in the lab`);
    if (c.assignTo) this.defined.add(c.assignTo);
    switch (verb) {
      case 'exec':
      case 'logs': {
        const pods = selector ? this.selected(namespace, selector) : this.target(namespace, args[0]);
        if (pods.length === 0) return this.problem(`no pod ${selector ? `with ${selector}` : args[0]} in namespace ${namespace}`);
        // kubectl picks the one container of a pod that has one (a waypoint's, a gateway's, an ambient pod's).
        if (!container && pods.every((p) => p.containers.length === 1)) container = pods[0].containers[0].name;
        if (!container) return this.problem(`kubectl ${verb} names no container (-c): the pods also run istio-proxy`);
        const missing = pods.filter((p) => !p.containers.some((x) => x.name === container));
        if (missing.length > 0) this.problem(`${missing[0].labels.__name} in ${namespace} has no container ${container} (${missing[0].containers.map((x) => x.name).join(', ')})`);
        if (verb === 'exec' && remote) this.command({ words: remote }, 'cluster', namespace, pods);
        return;
      }
      case 'get': {
        const [kind, name] = args;
        if (['svc', 'service'].includes(kind)) {
          if (!this.find('Service', namespace, name)) this.problem(`no Service ${name} in namespace ${namespace}`);
        } else if (kind === 'gateway') {
          if (!this.find('Gateway', namespace, name)) this.problem(`no Gateway ${name} in namespace ${namespace}`);
        } else if (['pod', 'pods', 'po'].includes(kind)) {
          if (!selector || this.selected(namespace, selector).length === 0) return this.problem(`no pod with ${selector} in namespace ${namespace}`);
          if (c.assignTo) this.podVars.set(c.assignTo, { namespace, selector });
        } else {
          this.problem(`kubectl get ${kind}: not a kind the guides read`);
        }
        return;
      }
      case 'wait':
      case 'rollout': {
        const targets = verb === 'rollout' ? args.slice(1) : args;
        if (targets[0] === 'deployment' && flags.includes('--all')) {
          if (!this.objects.some((m) => m.kind === 'Deployment' && m.metadata.namespace === namespace)) this.problem(`no Deployment in ${namespace} to wait for`);
          return;
        }
        for (const t of targets) {
          const [kind, name] = t.split('/');
          if (kind === 'gateway' && !flags.includes('--for=condition=programmed')) this.problem(`${t}: a Gateway is waited for with --for=condition=programmed`);
          if (!this.find({ pod: 'Pod', gateway: 'Gateway' }[kind] ?? 'Deployment', namespace, name)) this.problem(`no ${t} in namespace ${namespace}`);
        }
        return;
      }
      case 'create':
        if (args[0] !== 'secret' || args[1] !== 'tls') return this.problem(`kubectl create ${args.join(' ')}: not an object the guides make`);
        this.made.add(`Secret/${namespace}/${args[2]}`);
        return;
      case 'run':
        this.made.add(`Pod/${namespace}/${args[0]}`);
        if (remote) this.command({ words: ['run', ...remote] }, 'cluster', namespace, []);
        return;
      case 'annotate': {
        // Only the Gateway API ingress's Service type (istiod's networking.istio.io/service-type).
        const [kind, name, pair] = args;
        if (kind !== 'gateway' || !/^networking\.istio\.io\/service-type=(NodePort|ClusterIP|LoadBalancer)$/.test(pair ?? '')) return this.problem(`kubectl annotate ${args.join(' ')}: not an annotation the guides set`);
        if (!this.find('Gateway', namespace, name)) this.problem(`no Gateway ${name} in namespace ${namespace} to annotate`);
        return;
      }
      case 'delete': {
        // `kind.group` names the group; a bare `gateway` is the Gateway API's where both CRDs are
        // installed, as kubectl resolves it (verify:cluster saw a classic revert delete nothing).
        const [resource, name] = args;
        const [kind, ...group] = resource.split('.');
        const apiGroup = group.length > 0 ? group.join('.') : kind === 'gateway' ? 'gateway.networking.k8s.io' : undefined;
        const inGroup = this.objects.some((m) => m.kind.toLowerCase() === kind && m.metadata.name === name
          && (m.kind === 'Namespace' || (m.metadata.namespace ?? 'default') === namespace) && (apiGroup === undefined || m.apiVersion.startsWith(`${apiGroup}/`)));
        if (!inGroup && !this.made.has(`${kind[0].toUpperCase()}${kind.slice(1)}/${namespace}/${name}`)) this.problem(`no ${resource} ${name} in namespace ${namespace} to delete`);
        return;
      }
      default:
        this.problem(`kubectl ${verb}: not a command the guides use`);
    }
  }
}

/** The lab's base as written (`<lab>/*.yaml`), and the lab after one step (its objects replace those of the same key). */
const parsedBases = new WeakMap<readonly OutputFile[], Map<string, Manifest[]>>();

export function labObjects(files: readonly OutputFile[], lab: string, step?: string): Manifest[] {
  const bases = parsedBases.get(files) ?? new Map<string, Manifest[]>();
  parsedBases.set(files, bases);
  const base = bases.get(lab) ?? files.filter((f) => f.path.startsWith(`${lab}/`) && !f.path.includes('/steps/') && f.path.endsWith('.yaml')).flatMap((f) => parseYaml(f.content));
  bases.set(lab, base);
  if (!step) return [...base];
  const stepObjects = parseYaml(files.find((f) => f.path === `${lab}/steps/${step}.yaml`)!.content);
  const byKey = new Map(stepObjects.map((m) => [objectKey(m), m]));
  return [...base.map((m) => byKey.get(objectKey(m)) ?? m), ...stepObjects.filter((m) => !base.some((b) => objectKey(b) === objectKey(m)))];
}
