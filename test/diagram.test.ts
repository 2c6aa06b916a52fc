import { App } from 'cdk8s';
import { buildLab } from '../lib/app';
import { LABS } from '../lib/labs';
import { Flavour } from '../lib/mesh/flavour';
import { generatedMesh } from '../lib/labs/generated';
import { CallGraph, callGraph } from '../lib/document';
import { mermaidText, trafficDiagram } from '../lib/output/diagram';
import { render } from '../lib/output/render';
import { buildModel } from '../lib/app';
import { synthesizeOutput } from '../lib/output/synthesize';
import { Manifest } from './support/synth';

/** The manifests and call graph of a lab with these scenarios switched on. */
function labWith(lab: string, scenarios: string[] = [], set: Record<string, string> = {}, flavour?: Flavour): { manifests: Manifest[]; graph: CallGraph } {
  const build = buildLab(LABS.find((l) => l.name === lab)!, flavour && { flavour }, { scenarios, set });
  const synthesis = render([build.lab], { files: false });
  expect(synthesis.findings).toEqual([]);
  return { manifests: synthesis.objects.map((o) => o.manifest), graph: callGraph(build.lab) };
}

const diagramOf = (lab: string, scenarios: string[] = [], set: Record<string, string> = {}, flavour?: Flavour) => {
  const { manifests, graph } = labWith(lab, scenarios, set, flavour);
  return parseDiagram(trafficDiagram(manifests, graph));
};

// ---- A structural checker for the Mermaid subset the diagrams use (no Mermaid parser runs without a DOM).

interface Node { readonly id: string; readonly label: string; readonly group?: string }
interface Edge { readonly from: string; readonly arrow: string; readonly label: string; readonly to: string }
interface Diagram { readonly nodes: Map<string, Node>; readonly groups: Map<string, string>; readonly edges: Edge[] }

const ID = '([A-Za-z0-9_]+)';
/** A quoted label's text: no character that ends or changes it, only entity codes and line breaks. */
const LABEL = '((?:[^"#|<>\\[\\](){}`;&]|#quot;|#\\d+;|<br/>)*)';
const SHAPES: ReadonlyArray<[string, string]> = [['["', '"]'], ['("', '")'], ['{{"', '"}}'], ['(["', '"])'], ['[/"', '"/]'], ['>"', '"]']];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const NODE = new RegExp(`^\\s*${ID}(${SHAPES.map(([o]) => escapeRe(o)).join('|')})${LABEL}(${SHAPES.map(([, c]) => escapeRe(c)).join('|')})$`);
const EDGE = new RegExp(`^\\s*${ID} (-->|-\\.->|==>)(?:\\|"${LABEL}"\\|)? ${ID}$`);
const SUBGRAPH = new RegExp(`^\\s*subgraph ${ID} \\["${LABEL}"\\]$`);

/** A label as a reader sees it: entity codes decoded, `<br/>` as a new line. */
const decode = (label: string) => label.replace(/<br\/>/g, '\n').replace(/#quot;/g, '"').replace(/#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));

/** Parses a diagram, failing on any line outside the subset, an unbalanced subgraph, a duplicate id or an edge to an undeclared node. */
function parseDiagram(text: string): Diagram {
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart LR');
  const nodes = new Map<string, Node>();
  const groups = new Map<string, string>();
  const edges: Edge[] = [];
  const open: string[] = [];
  const declare = (id: string) => {
    if (nodes.has(id) || groups.has(id)) throw new Error(`id ${id} declared twice`);
  };
  for (const line of lines.slice(1)) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(SUBGRAPH))) {
      declare(m[1]);
      groups.set(m[1], decode(m[2]));
      open.push(m[1]);
    } else if (/^\s*end$/.test(line)) {
      if (open.pop() === undefined) throw new Error('end without subgraph');
    } else if ((m = line.match(EDGE))) {
      edges.push({ from: m[1], arrow: m[2], label: decode(m[3] ?? ''), to: m[4] });
    } else if ((m = line.match(NODE))) {
      const shape = SHAPES.findIndex(([o]) => o === m![2]);
      if (SHAPES[shape][1] !== m[4]) throw new Error(`shape opened with ${m[2]} closed with ${m[4]}: ${line}`);
      declare(m[1]);
      nodes.set(m[1], { id: m[1], label: decode(m[3]), group: open[open.length - 1] });
    } else {
      throw new Error(`not a line of the diagram subset: ${JSON.stringify(line)}`);
    }
  }
  if (open.length > 0) throw new Error(`subgraph ${open.join(', ')} not closed`);
  for (const e of edges) {
    for (const end of [e.from, e.to]) if (!nodes.has(end) && !groups.has(end)) throw new Error(`edge ${e.from} -> ${e.to}: ${end} is not declared`);
  }
  return { nodes, groups, edges };
}

/** The node of a service's host (first label line `name:port`). */
function host(d: Diagram, name: string): Node {
  const found = [...d.nodes.values()].filter((n) => n.label.split('\n')[0].startsWith(`${name}:`));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The node of one version, inside its service's subgraph. */
function version(d: Diagram, service: string, name: string): Node {
  const group = host(d, service).group;
  const found = [...d.nodes.values()].filter((n) => n.group === group && n.label.split('\n')[0] === name);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The node whose first label line starts with `text`. */
function nodeLabelled(d: Diagram, text: string): Node {
  const found = [...d.nodes.values()].filter((n) => n.label.split('\n')[0].startsWith(text));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Edges from a node, as `arrow label -> target id`, sorted. */
const edgesFrom = (d: Diagram, from: Node) => d.edges.filter((e) => e.from === from.id).map((e) => `${e.arrow} ${e.label} -> ${e.to}`).sort();

describe('the tutorial', () => {
  test('as written, recommendation reaches v1 and v2 with no weight (load balanced), nothing else', () => {
    const d = diagramOf('tutorial');
    const rec = host(d, 'recommendation');
    expect(edgesFrom(d, rec)).toEqual([
      `--> load balanced -> ${version(d, 'recommendation', 'v1').id}`,
      `--> load balanced -> ${version(d, 'recommendation', 'v2').id}`,
    ].sort());
  });

  test('the gateway routes /customer to customer, which calls preference, which calls recommendation', () => {
    const d = diagramOf('tutorial');
    const gateway = nodeLabelled(d, 'ingress gateway customer-gateway');
    expect(gateway.label).toBe('ingress gateway customer-gateway\nHTTP :80 *');
    expect(edgesFrom(d, gateway)).toEqual([`--> prefix /customer, rewrite / -> ${host(d, 'customer').id}`]);
    expect(d.edges).toContainEqual({ from: host(d, 'customer').id, arrow: '==>', label: '', to: host(d, 'preference').id });
    expect(d.edges).toContainEqual({ from: host(d, 'preference').id, arrow: '==>', label: '', to: host(d, 'recommendation').id });
  });

  test('canary splits recommendation 90% to v1 and 10% to v2, exactly', () => {
    const d = diagramOf('tutorial', ['canary']);
    expect(edgesFrom(d, host(d, 'recommendation'))).toEqual([
      `--> 90% -> ${version(d, 'recommendation', 'v1').id}`,
      `--> 10% -> ${version(d, 'recommendation', 'v2').id}`,
    ].sort());
  });

  test('header-route sends the Safari match to v2 and the fallback to v1', () => {
    const d = diagramOf('tutorial', ['header-route']);
    expect(edgesFrom(d, host(d, 'recommendation'))).toEqual([
      `--> user-agent ~ .*Safari.* -> ${version(d, 'recommendation', 'v2').id}`,
      `--> otherwise -> ${version(d, 'recommendation', 'v1').id}`,
    ].sort());
  });

  test('header-route with canary: the match first, the split as the fallback', () => {
    const d = diagramOf('tutorial', ['header-route', 'canary']);
    expect(edgesFrom(d, host(d, 'recommendation'))).toEqual([
      `--> user-agent ~ .*Safari.* -> ${version(d, 'recommendation', 'v2').id}`,
      `--> otherwise, 90% -> ${version(d, 'recommendation', 'v1').id}`,
      `--> otherwise, 10% -> ${version(d, 'recommendation', 'v2').id}`,
    ].sort());
  });

  test('mirror sends everything to v1 and a dashed copy of all of it to v2', () => {
    const d = diagramOf('tutorial', ['mirror']);
    expect(edgesFrom(d, host(d, 'recommendation'))).toEqual([
      `--> 100% -> ${version(d, 'recommendation', 'v1').id}`,
      `-.-> mirror 100% -> ${version(d, 'recommendation', 'v2').id}`,
    ].sort());
  });

  test('fault-abort answers 503 to half the requests on every route to recommendation', () => {
    const d = diagramOf('tutorial', ['fault-abort']);
    const labels = d.edges.filter((e) => e.from === host(d, 'recommendation').id).map((e) => e.label);
    expect(labels).toEqual(['load balanced, abort 503 50%', 'load balanced, abort 503 50%']);
  });

  test('fault-delay, timeout and retry show on the route', () => {
    const d = diagramOf('tutorial', ['fault-delay', 'timeout', 'retry']);
    const labels = new Set(d.edges.filter((e) => e.from === host(d, 'recommendation').id).map((e) => e.label));
    expect([...labels]).toEqual(['load balanced, delay 7s 50%, timeout 1s, retries 3 x 2s']);
  });

  test('route sends all of recommendation to v2, and v1 gets nothing', () => {
    const d = diagramOf('tutorial', ['route']);
    expect(edgesFrom(d, host(d, 'recommendation'))).toEqual([`--> 100% -> ${version(d, 'recommendation', 'v2').id}`]);
    expect(d.edges.some((e) => e.to === version(d, 'recommendation', 'v1').id)).toBe(false);
  });

  test('circuit-breaker notes the pool and the ejection on the host; the load balancer names the spread', () => {
    const breaker = diagramOf('tutorial', ['circuit-breaker']);
    expect(host(breaker, 'recommendation').label).toBe('recommendation:8080\npool 1 conn, 1 pending, 1 per conn\neject after 1 5xx in a row for 2m (every 1s, max 100%)');
    const balanced = diagramOf('tutorial', ['load-balancer']);
    expect(host(balanced, 'recommendation').label).toBe('recommendation:8080\nLB random');
    expect(version(balanced, 'recommendation', 'v1').label).toBe('v1\n2 replicas');
    expect(new Set(balanced.edges.filter((e) => e.from === host(balanced, 'recommendation').id).map((e) => e.label))).toEqual(new Set(['random']));
  });

  test('egress puts the ServiceEntry hosts outside the mesh, with their ports', () => {
    const d = diagramOf('tutorial', ['egress']);
    const outside = nodeLabelled(d, 'httpbin.org').group!;
    expect(d.groups.get(outside)).toBe('outside the mesh (ServiceEntry)');
    expect(nodeLabelled(d, 'httpbin.org').label).toBe('httpbin.org :80 HTTP');
    expect(nodeLabelled(d, 'api.github.com')).toMatchObject({ label: 'api.github.com :443 TLS', group: outside });
  });
});

describe('the other labs', () => {
  test('polyglot: the gateway sends /env to service-python and the rest to service-js v1; the book\'s call graph', () => {
    const d = diagramOf('polyglot');
    const gateway = nodeLabelled(d, 'ingress gateway istio-lab-gateway');
    expect(edgesFrom(d, gateway)).toEqual([
      `--> prefix /env -> ${host(d, 'service-python').id}`,
      `--> otherwise -> ${version(d, 'service-js', 'v1').id}`,
    ].sort());
    const calls = d.edges.filter((e) => e.arrow === '==>').map((e) => `${d.nodes.get(e.from)!.label.split(/[:\n]/)[0]} -> ${d.nodes.get(e.to)!.label.split(':')[0]}`);
    expect(calls).toEqual(expect.arrayContaining([
      'service-python -> service-lua', 'service-python -> service-node', 'service-node -> service-go', 'service-redis -> redis',
      'dns-test (client) -> service-go', 'sleep (client) -> httpbin',
    ]));
    expect(nodeLabelled(d, 'fortio (client)')).toBeDefined();
  });

  test('polyglot header-route shows the Firefox match at the gateway too', () => {
    const d = diagramOf('polyglot', ['header-route']);
    expect(edgesFrom(d, nodeLabelled(d, 'ingress gateway istio-lab-gateway'))).toContain(`--> user-agent ~ .*?(Firefox).*? -> ${version(d, 'service-js', 'v2').id}`);
  });

  test('polyglot redirect answers /v1/env itself; rewrite forwards /v1/ as /', () => {
    const redirect = diagramOf('polyglot', ['redirect']);
    const answer = nodeLabelled(redirect, 'redirect 301 to /env');
    expect(answer.group).toBe(host(redirect, 'service-go').group);
    expect(edgesFrom(redirect, host(redirect, 'service-go'))).toContain(`--> exact /v1/env -> ${answer.id}`);
    const rewrite = diagramOf('polyglot', ['rewrite']);
    expect(edgesFrom(rewrite, host(rewrite, 'service-go'))).toContain(`--> prefix /v1/, load balanced, rewrite / -> ${version(rewrite, 'service-go', 'v1').id}`);
  });

  test('polyglot tcp-route: redis-proxy, a Service without pods, sends port 16379 to redis', () => {
    const d = diagramOf('polyglot', ['tcp-route']);
    expect(edgesFrom(d, host(d, 'redis-proxy'))).toEqual([`--> port 16379, tcp -> ${host(d, 'redis').id}`]);
  });

  test('polyglot tcp-shift: service-go-tcp, a Service without pods, shares its connections 80/20 between service-go v1 and v2', () => {
    const d = diagramOf('polyglot', ['tcp-shift']);
    expect(edgesFrom(d, host(d, 'service-go-tcp'))).toEqual([`--> port 9000, 20%, tcp -> ${version(d, 'service-go', 'v2').id}`, `--> port 9000, 80%, tcp -> ${version(d, 'service-go', 'v1').id}`]);
  });

  test.each([['classic', 'egress gateway httpbin-org-egress'], ['gateway-api', 'egress gateway httpbin-org-egress (Gateway API)']])('polyglot %s egress-gateway: sidecars send httpbin.org to the gateway, which sends it out over TLS to 443', (flavour, title) => {
    const d = diagramOf('polyglot', ['egress-gateway'], {}, flavour === 'classic' ? undefined : Flavour.GATEWAY_API);
    const egress = nodeLabelled(d, title);
    expect(egress.label).toBe(`${title}\nHTTP :80 httpbin.org`);
    const external = nodeLabelled(d, 'httpbin.org');
    expect(external.label).toBe('httpbin.org :80 HTTP to 443\nport 80: TLS SIMPLE');
    // Istio's VirtualService matches the port; the Gateway API's route on the ServiceEntry takes every request to the host.
    expect(edgesFrom(d, external)).toEqual([`--> ${flavour === 'classic' ? 'port 80' : ''} -> ${egress.id}`]);
    expect(edgesFrom(d, egress)).toEqual([`--> ${flavour === 'classic' ? 'port 80' : ''} -> ${external.id}`]);
  });

  test('polyglot egress without the gateway notes the timeout on the external host', () => {
    expect(nodeLabelled(diagramOf('polyglot', ['egress']), 'httpbin.org').label).toBe('httpbin.org :80 HTTP\ntimeout 3s');
  });

  test('fft: the gateway sends /fft and /metrics to the service, whose one version has 3 replicas', () => {
    const d = diagramOf('fft');
    expect(edgesFrom(d, nodeLabelled(d, 'ingress gateway wtyfft-gateway'))).toEqual([`--> prefix /fft or exact /metrics -> ${host(d, 'wtyfft-svc').id}`]);
    expect(version(d, 'wtyfft-svc', 'v1').label).toBe('v1\n3 replicas');
    expect(nodeLabelled(diagramOf('fft', ['ingress-tls']), 'ingress gateway').label).toBe('ingress gateway wtyfft-gateway\nHTTP :80 *\nHTTPS :443 * (TLS simple)');
  });

  test('flask: the sleep client calls flaskapp; its own Service is not drawn as a host', () => {
    const d = diagramOf('flask');
    expect(d.edges).toContainEqual({ from: nodeLabelled(d, 'sleep (client)').id, arrow: '==>', label: '', to: host(d, 'flaskapp').id });
    expect([...d.nodes.values()].filter((n) => n.label.startsWith('sleep:'))).toEqual([]);
  });
});

describe('a Service without a VirtualService', () => {
  test('reaches all its versions, load balanced', () => {
    const { manifests, graph } = labWith('tutorial');
    const d = parseDiagram(trafficDiagram(manifests.filter((m) => m.kind !== 'VirtualService'), graph));
    expect(edgesFrom(d, host(d, 'recommendation'))).toEqual([
      `--> load balanced -> ${version(d, 'recommendation', 'v1').id}`,
      `--> load balanced -> ${version(d, 'recommendation', 'v2').id}`,
    ].sort());
    expect(d.edges.filter((e) => e.from === nodeLabelled(d, 'ingress gateway').id)).toEqual([]);
  });
});

describe('labels and ids', () => {
  test('special characters become Mermaid entity codes, and read back as they were', () => {
    const text = 'a "quote" | pipe <b> #1 [x] (y) {z} `tick` ; & amp';
    expect(mermaidText(text)).toBe('a #quot;quote#quot; #124; pipe #60;b#62; #35;1 #91;x#93; #40;y#41; #123;z#125; #96;tick#96; #59; #38; amp');
    expect(decode(mermaidText(text))).toBe(text);
    expect(mermaidText(' two\n lines\t')).toBe('two lines');
  });

  test('a route whose match holds special characters still makes a well-formed diagram', () => {
    const { manifests, graph } = labWith('tutorial', ['header-route'], { 'header-route.regex': '^(a|b)"<#>[c]{2};`x`$' });
    const d = parseDiagram(trafficDiagram(manifests, graph));
    expect(edgesFrom(d, host(d, 'recommendation'))).toContain(`--> user-agent ~ ^(a|b)"<#>[c]{2};\`x\`$ -> ${version(d, 'recommendation', 'v2').id}`);
  });

  test('names that sanitize to the same id get distinct ids', () => {
    const service = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { ports: [{ port: 80 }] } });
    const d = parseDiagram(trafficDiagram([service('a-b'), service('a.b'), service('a_b')], { namespace: 'ns', services: [], clients: [] }));
    expect([...d.nodes.keys()]).toEqual(['svc_a_b', 'svc_a_b_2', 'svc_a_b_3']);
    expect([...d.nodes.values()].map((n) => n.label)).toEqual(['a-b:80', 'a.b:80', 'a_b:80']);
  });

  test('the same manifests give the same bytes, in a fresh build too', () => {
    const first = labWith('polyglot', ['header-route', 'canary', 'egress']);
    const again = labWith('polyglot', ['header-route', 'canary', 'egress']);
    const text = trafficDiagram(first.manifests, first.graph);
    expect(trafficDiagram(first.manifests, first.graph)).toBe(text);
    expect(trafficDiagram(again.manifests, again.graph)).toBe(text);
  });

  test('a mesh of 10 services keeps each service in a subgraph with its versions', () => {
    const lab = generatedMesh(new App({ outdir: 'unused' }), 10);
    const manifests = render([lab], { files: false }).objects.map((o) => o.manifest);
    const d = parseDiagram(trafficDiagram(manifests, callGraph(lab)));
    expect(d.groups.size).toBe(10);
    for (const [group, title] of d.groups) {
      expect([...d.nodes.values()].filter((n) => n.group === group).map((n) => n.label)).toEqual([`${title}:80`, 'v1', 'v2']);
    }
    expect(d.nodes.size).toBe(30);
    expect(d.edges).toHaveLength(20);
  });
});

describe('the generated guides', () => {
  const output = synthesizeOutput(buildModel());
  const guide = (lab: string) => output.files.find((f) => f.path === `${lab}/README.md`)!.content;
  const blocks = (text: string) => [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  /** The text of a section, from its heading to the next heading of the same or a higher level. */
  const section = (text: string, heading: string) => {
    const start = text.indexOf(`\n${heading}\n`);
    expect(start).toBeGreaterThanOrEqual(0);
    const level = heading.split(' ')[0];
    const rest = text.slice(start + heading.length + 2);
    const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
    return end < 0 ? rest : rest.slice(0, end);
  };

  test.each(LABS.map((l) => l.name))('%s: the Traffic section pictures the lab as written, before the steps', (lab) => {
    const { manifests, graph } = labWith(lab);
    const text = guide(lab);
    expect(blocks(section(text, '## Traffic'))).toEqual([trafficDiagram(manifests, graph)]);
    expect(text.indexOf('## Traffic')).toBeLessThan(text.indexOf('## Steps'));
  });

  test.each(LABS.flatMap((l) => l.scenarios.map((p) => [l.name, p.scenario.name] as const)))(
    '%s step %s: its section pictures the lab with the step, as a full build of the lab with it draws it',
    (lab, scenario) => {
      const { manifests, graph } = labWith(lab, [scenario]);
      const pictured = blocks(section(guide(lab), `### ${scenario}`));
      expect(pictured).toEqual([trafficDiagram(manifests, graph)]);
      parseDiagram(pictured[0]);
    },
  );

  test.each(LABS.map((l) => l.name))('%s: every picture in the guide is well formed (declared nodes, unique ids)', (lab) => {
    const pictures = blocks(guide(lab));
    expect(pictures).toHaveLength(1 + LABS.find((l) => l.name === lab)!.scenarios.length);
    for (const p of pictures) parseDiagram(p);
  });

  test('switched-on scenarios show in the Traffic section; the steps still start from the plain lab', () => {
    const text = synthesizeOutput(buildModel({ targets: ['tutorial'], scenarios: { tutorial: { scenarios: ['canary'] } } })).files.find((f) => f.path === 'tutorial/README.md')!.content;
    const traffic = parseDiagram(blocks(section(text, '## Traffic'))[0]);
    expect(edgesFrom(traffic, host(traffic, 'recommendation'))).toEqual([
      `--> 90% -> ${version(traffic, 'recommendation', 'v1').id}`,
      `--> 10% -> ${version(traffic, 'recommendation', 'v2').id}`,
    ].sort());
    const route = parseDiagram(blocks(section(text, '### route'))[0]);
    expect(edgesFrom(route, host(route, 'recommendation'))).toEqual([`--> 100% -> ${version(route, 'recommendation', 'v2').id}`]);
  });

  test('a step that changes nothing the picture shows says so', () => {
    expect(section(guide('tutorial'), '### authz-deny')).toContain('the same as the lab\'s: the step changes nothing this picture shows');
    expect(section(guide('tutorial'), '### canary')).toContain('The traffic after this step:\n');
  });
});
