import type { LabDocument, StepDocument } from '../document';
import { Flavour } from '../mesh/flavour';
import { CURRENT_ISTIO, GATEWAY_API_VERSION, STANDARD_ALREADY, currentInstallFile, gatewayApiCrdCommand } from '../platform/release';
import { Manifest, objectName, specOf } from '../validate/manifest';
import { fields, items } from '../validate/read';
import { destinationRule, service, virtualService } from '../validate/views';
import { DRAWN_KINDS, trafficDiagram } from './diagram';
import { COMMANDS_FROM, Step, StepOutput, applyStep, deleteCommand, labFolder, prepareCommands, revertCommands } from './steps';

/** How long a guide lets `kubectl wait` wait: the Java images take a while on a 2 GiB VM. */
const WAIT = '--timeout=300s';

const params = (step: StepDocument) => step.params.filter(([, v]) => v !== '').map(([k, v]) => `\`${k}=${v}\``).join(', ');

/** The objects a guide pictures. */
export interface GuideManifests {
  /** The lab as written to `dist/<lab>/`, with the scenarios switched on. */
  readonly lab: readonly Manifest[];
  /** The lab without scenarios, which every step applies on. */
  readonly plain: readonly Manifest[];
}

const mermaid = (diagram: string) => ['```mermaid', diagram.trimEnd(), '```'];
const sh = (commands: readonly string[]) => ['```sh', ...commands, '```'];

/** Waits until the workloads of `objects` in `namespace` are ready: Deployments available, bare Pods ready. */
function waitCommands(namespace: string, objects: readonly Manifest[]): string[] {
  const here = objects.filter((m) => m.metadata.namespace === namespace);
  const pods = here.filter((m) => m.kind === 'Pod').map((m) => `pod/${m.metadata.name}`);
  return [
    ...(here.some((m) => m.kind === 'Deployment') ? [`kubectl -n ${namespace} wait --for=condition=available deployment --all ${WAIT}`] : []),
    ...(pods.length > 0 ? [`kubectl -n ${namespace} wait --for=condition=ready ${pods.join(' ')} ${WAIT}`] : []),
  ];
}

/**
 * How to find the ingress gateway's address, for each way the demo profile's gateway can be
 * reached: a LoadBalancer address, the `externalIPs` of `--ingress-ip`, or a node's address
 * with the NodePorts. Port names `http2` and `https` are the ingress gateway Service's in
 * Istio's demo profile.
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/ingress-control/#determining-the-ingress-ip-and-ports
 */
const INGRESS_ADDRESS = [
  '# a) a load balancer gave the gateway an address (EXTERNAL-IP of the Service):',
  "export INGRESS_HOST=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.status.loadBalancer.ingress[0].ip}') INGRESS_PORT=80 SECURE_INGRESS_PORT=443",
  '# b) no load balancer, but the gateway has externalIPs (npm run synth -- --ingress-ip <node address>):',
  "export INGRESS_HOST=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.spec.externalIPs[0]}') INGRESS_PORT=80 SECURE_INGRESS_PORT=443",
  "# c) neither: the address of the gateway pod's node, and the Service's NodePorts:",
  "export INGRESS_HOST=$(kubectl -n istio-system get pod -l istio=ingressgateway -o jsonpath='{.items[0].status.hostIP}')",
  "export INGRESS_PORT=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.spec.ports[?(@.name==\"http2\")].nodePort}')",
  "export SECURE_INGRESS_PORT=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.spec.ports[?(@.name==\"https\")].nodePort}')",
];

/** A Gateway API object (gateway.networking.k8s.io). */
const isGatewayApi = (m: Manifest) => m.apiVersion.startsWith('gateway.networking.k8s.io/');

/** Gateway API Gateways of `objects` with this class: `istio` (ingress) or `istio-waypoint`. */
const gatewaysOfClass = (objects: readonly Manifest[], className: string) =>
  objects.filter((m) => m.kind === 'Gateway' && isGatewayApi(m) && specOf(m).gatewayClassName === className);

/**
 * How to find a Gateway API ingress Gateway's address. istiod deploys it as the Deployment and
 * Service `<gateway>-istio` (a LoadBalancer), its pods labelled with the Gateway's name and its
 * Service ports named after the listeners (istio/istio pilot/pkg/config/kube/gatewaycommon/
 * deploymentcontroller.go extractServicePorts). It reports the Gateway Programmed, with the
 * load balancer's address in `status.addresses`, only once the Service has an external address
 * (pilot/pkg/config/kube/gateway/conversion.go setProgrammedCondition: AddressNotAssigned).
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/ingress-control/#determining-the-ingress-ip-and-ports
 */
function gatewayApiAddress(gateway: Manifest): string[] {
  const { name, namespace } = gateway.metadata;
  const service = `${name}-istio`;
  return [
    '# a) a load balancer gives the Gateway an address: wait until the Gateway is programmed, then read it:',
    `kubectl -n ${namespace} wait --for=condition=programmed gateway/${name} ${WAIT}`,
    `export INGRESS_HOST=$(kubectl -n ${namespace} get gateway ${name} -o jsonpath='{.status.addresses[0].value}') INGRESS_PORT=80 SECURE_INGRESS_PORT=443`,
    `# b) no load balancer (the Gateway is never programmed): the node of a gateway pod, and the NodePorts of ${service}:`,
    `kubectl -n ${namespace} wait --for=condition=available deployment/${service} ${WAIT}`,
    `export INGRESS_HOST=$(kubectl -n ${namespace} get pod -l gateway.networking.k8s.io/gateway-name=${name} -o jsonpath='{.items[0].status.hostIP}')`,
    `export INGRESS_PORT=$(kubectl -n ${namespace} get svc ${service} -o jsonpath='{.spec.ports[?(@.name=="http")].nodePort}')`,
  ];
}

/**
 * What a learner on a cluster without a load balancer (kind, minikube) sees first, and what to
 * do: istiod leaves the Gateway `Programmed: False` while its LoadBalancer Service has no address
 * (pilot/pkg/config/kube/gatewaycommon/context.go: "address pending"); a NodePort Service, chosen
 * with istiod's `networking.istio.io/service-type` annotation, has none pending.
 */
function withoutLoadBalancer(gateway: Manifest): string[] {
  const { name, namespace } = gateway.metadata;
  return [
    `Without a load balancer the Gateway stays \`Programmed: False\` (reason \`AddressNotAssigned\`), and the wait in a) times out.`,
    'b) works all the same. To have the Gateway programmed, give the cluster a load balancer (`minikube tunnel`; on kind,',
    `cloud-provider-kind), or make its Service a NodePort: \`kubectl -n ${namespace} annotate gateway ${name} networking.istio.io/service-type=NodePort\``,
    "(istiod then programs it with the Service's cluster address, and b) gives the address to call).",
  ];
}

/** With b) of gatewayApiAddress: the NodePort of a Gateway's https listener, which a step adds. */
const secureNodePort = (gateway: Manifest) =>
  `export SECURE_INGRESS_PORT=$(kubectl -n ${gateway.metadata.namespace} get svc ${gateway.metadata.name}-istio -o jsonpath='{.spec.ports[?(@.name=="https")].nodePort}')`;

const hasHttps = (gateway: Manifest | undefined) => gateway !== undefined && items(specOf(gateway).listeners).some((l) => fields(l).protocol === 'HTTPS');

/** What the step's objects are, for a guide: the kinds it writes, and why Istio's kinds stay beside the Gateway API's. */
export function istioKindReasons(objects: readonly Manifest[]): string[] {
  const reasons = new Set<string>();
  for (const m of objects) {
    if (m.kind === 'VirtualService' && virtualService(m).http.some((r) => r.fault)) {
      reasons.add('fault injection has no Gateway API form, so this host keeps a VirtualService and DestinationRule for the step, and its HTTPRoute is deleted first (one host cannot be routed by both)');
    }
    if (m.kind === 'DestinationRule') {
      const rule = destinationRule(m);
      const policies = [rule.trafficPolicy, ...rule.subsets.map((s) => s.trafficPolicy)].filter((p) => p !== undefined);
      if (policies.some((p) => p.loadBalancer)) reasons.add('load balancing has no Gateway API form: a DestinationRule sets it');
      if (policies.some((p) => p.connectionPool)) reasons.add('connection pools have no Gateway API form: a DestinationRule sets them');
      if (policies.some((p) => p.outlierDetection)) reasons.add('outlier detection has no Gateway API form: a DestinationRule sets it');
    }
    if (m.kind === 'EnvoyFilter') {
      const text = JSON.stringify(m.spec);
      if (text.includes('local_ratelimit')) reasons.add("rate limits have no Gateway API form: an EnvoyFilter adds Envoy's local rate limit");
      else if (text.includes('HTTPFault')) reasons.add("the callee's own delay or failure, which shows the step's effect, is Envoy's fault filter in its sidecar (an EnvoyFilter), which no route API expresses");
    }
    if (m.kind === 'ServiceEntry') reasons.add('registering hosts outside the mesh (ServiceEntry) has no Gateway API form');
    if (m.kind === 'Sidecar') reasons.add('the outbound policy (Sidecar) has no Gateway API form');
    if (m.kind === 'DestinationRule' && [destinationRule(m).trafficPolicy, ...(destinationRule(m).trafficPolicy?.portLevelSettings ?? [])].some((p) => p?.tls)) {
      reasons.add("TLS origination to a host outside the mesh is a DestinationRule's `tls`, as in istio.io's egress tasks");
    }
  }
  return [...reasons];
}

/** Experimental-channel fields among `objects` (Gateway API v1.6.3: HTTPRoute `retry`; TCPRoute v1 is standard since v1.6). */
function experimental(objects: readonly Manifest[]): string[] {
  const found: string[] = [];
  if (objects.some((m) => m.kind === 'HTTPRoute' && items(specOf(m).rules).some((r) => fields(r).retry))) found.push('HTTPRoute `retry`');
  return found;
}

/** The flavour a guide is written in, and the steps it leaves out. */
export interface GuideFlavour {
  readonly flavour: Flavour;
  /** Steps the lab offers that have no form in this flavour, with why. @default none */
  readonly skipped?: ReadonlyArray<{ readonly scenario: string; readonly reason: string }>;
}

/**
 * The lab's guide (`<out>/<lab>/README.md`): how to apply the lab, wait for it, find the
 * ingress address and watch it; a picture of its traffic; then for each step what it changes
 * (with the picture after it), how to apply it, what to run and see, and how to go back.
 * Every command names its namespace and the output folder it was written to. A guide of the
 * Gateway API or ambient flavour says so, what it needs installed, and where it differs.
 */
/** The synth flag that names the lab: `--lab NAME`, or for a lab of the user's own the module it came from. */
const labFlag = (lab: LabDocument) => (lab.labFile ? `--lab-file ${lab.labFile}` : `--lab ${lab.name}`);

/**
 * Where a guide's commands run: the repository's root, naming the committed output folder
 * (COMMANDS_FROM) as the README does; output written elsewhere with `--out` is the same bytes.
 */
export function whereToRun(namespace: string, folder: string): string[] {
  return [
    `Namespace \`${namespace}\`. Run the commands from the repository's root, where \`npm run synth\` writes \`${COMMANDS_FROM}/\``,
    `(they name \`${folder}\`; for output written with \`--out DIR\`, put DIR in place of \`${COMMANDS_FROM}\`), with`,
  ];
}

export function renderGuide(lab: LabDocument, steps: readonly Step[], manifests: GuideManifests, output: StepOutput, ingressIPs: readonly string[] = [], guideFlavour?: GuideFlavour): string {
  const flavour = guideFlavour?.flavour ?? lab.flavour;
  // Only the kinds the picture draws: a step of policies or filters leaves the picture as it is.
  const drawn = manifests.plain.filter((m) => DRAWN_KINDS.has(m.kind));
  const g: Guide = {
    lab, steps, manifests, output, ingressIPs, flavour,
    classic: !flavour.gatewayApi,
    folder: labFolder(output.outDir, output.folder ?? lab.name),
    drawn,
    plainDiagram: trafficDiagram(drawn, lab.calls),
    ingress: gatewaysOfClass(manifests.lab, 'istio')[0],
    waypoint: gatewaysOfClass(manifests.lab, 'istio-waypoint')[0],
  };
  const skipped = guideFlavour?.skipped ?? [];
  const out = [...header(g), ...start(g), ...traffic(g)];
  if (steps.length === 0 && skipped.length === 0) return [...out, 'This tutorial teaches no further step.', ''].join('\n');
  return [...out, ...stepsIntro(g, skipped), ...steps.flatMap((step) => stepSection(g, step))].join('\n');
}

/** What every section of one guide reads: the lab's document, its steps and objects, and what follows from them. */
interface Guide {
  readonly lab: LabDocument;
  readonly steps: readonly Step[];
  readonly manifests: GuideManifests;
  readonly output: StepOutput;
  readonly ingressIPs: readonly string[];
  readonly flavour: Flavour;
  /** Istio's APIs (the tutorials' own words); otherwise the Gateway API. */
  readonly classic: boolean;
  /** The lab's folder, as its commands name it. */
  readonly folder: string;
  /** The plain lab's objects the picture draws. */
  readonly drawn: readonly Manifest[];
  readonly plainDiagram: string;
  readonly ingress?: Manifest;
  readonly waypoint?: Manifest;
}

/** The title, where the commands run, and (in the new flavours) what the flavour is and what to install. */
function header(g: Guide): string[] {
  const { lab, flavour, manifests, output } = g;
  const generated = `<!-- Generated by meshlab (npm run synth) from ${lab.labFile ?? 'lib/'}: edit the code, not this file. -->`;
  return g.classic ? [
    `# Lab \`${lab.name}\`: ${lab.title}`,
    '',
    generated,
    '',
    ...whereToRun(lab.namespace, g.folder),
    'kubectl pointed at a cluster where Istio is installed (see the top-level README).',
    '',
  ] : [
    `# Lab \`${lab.name}\`, ${flavour.name} flavour: ${lab.title}`,
    '',
    generated,
    '',
    ...flavourIntro(lab, flavour, manifests.lab, output.outDir),
    '',
    ...whereToRun(lab.namespace, g.folder),
    `kubectl pointed at a cluster with Kubernetes 1.32 or later. Once per cluster, install the Gateway API CRDs ${GATEWAY_API_VERSION} and Istio ${CURRENT_ISTIO}`,
    `with its ${flavour.profile} profile (\`${labFolder(output.outDir, 'platform')}README.md\` gives the whole order, with the addons):`,
    '',
    ...platformInstall(manifests.lab, g.steps, flavour, output.outDir),
    '',
  ];
}

/** Applying the lab and waiting for it, finding the ingress address, and watching the traffic. */
function start(g: Guide): string[] {
  const { lab, manifests, waypoint } = g;
  return [
    '## Start',
    '',
    g.flavour.readyLine(waypoint?.metadata.name),
    '',
    ...sh([
      `kubectl apply -f ${g.folder}`,
      ...waitCommands(lab.namespace, manifests.lab),
      ...(waypoint ? [`kubectl -n ${waypoint.metadata.namespace} wait --for=condition=programmed gateway/${waypoint.metadata.name} ${WAIT}`] : []),
    ]),
    '',
    ...(waypoint ? waypointTools(g.folder, waypoint) : []),
    ...ingressAddress(g),
    'Watch the traffic:', '', ...sh(lab.observe), '',
    ...(lab.switchedOn.length > 0
      ? [`The lab's files already include these steps (meshlab.config.json or --scenario): ${lab.switchedOn.map((name) => `\`${name}\``).join(', ')}.`, '']
      : []),
  ];
}

/**
 * What istioctl knows of the waypoint (istio/istio istioctl/pkg/waypoint/waypoint.go: generate,
 * apply with --enroll-namespace, list, status), as istio.io's ambient tasks use it.
 */
function waypointTools(folder: string, waypoint: Manifest): string[] {
  const ns = waypoint.metadata.namespace ?? 'default';
  return [
    `The waypoint is the Gateway \`istioctl waypoint generate --for service -n ${ns}\` writes (\`${folder}waypoint.yaml\`), and the namespace`,
    `carries its \`istio.io/use-waypoint\` label: \`istioctl waypoint apply -n ${ns} --enroll-namespace --wait\` would make both in one command,`,
    "as istio.io's ambient tasks do. istioctl waits until istiod has programmed the waypoint and shows its status, then lists the namespace's waypoints with the traffic each takes:",
    '',
    ...sh([`istioctl waypoint status -n ${ns}`, `istioctl waypoint list -n ${ns}`]),
    '',
  ];
}

/** How to find the ingress gateway's address: the Gateway API's own Gateway, Istio's shared one, or none. */
function ingressAddress(g: Guide): string[] {
  const { ingress, ingressIPs } = g;
  const hasGateway = g.manifests.lab.some((m) => m.kind === 'Gateway' && (g.classic || specOf(m).gatewayClassName !== 'istio-waypoint'));
  if (hasGateway && !g.classic && ingress) {
    return [
      `The ingress is the Gateway \`${ingress.metadata.name}\` (class \`istio\`): istiod deploys it in \`${ingress.metadata.namespace}\` as the Deployment and the`,
      `LoadBalancer Service \`${ingress.metadata.name}-istio\`, which have no sidecar of their own. Pick the lines that fit your cluster:`,
      '',
      ...sh([...gatewayApiAddress(ingress), ...(hasHttps(ingress) ? [secureNodePort(ingress)] : [])]),
      '',
      ...withoutLoadBalancer(ingress),
      '',
      '`echo $INGRESS_HOST:$INGRESS_PORT` should now print an address and a port.',
      '',
    ];
  }
  if (hasGateway) {
    return [
      "Find the ingress gateway's address. `kubectl -n istio-system get svc istio-ingressgateway` shows an EXTERNAL-IP when a load",
      'balancer or `externalIPs` give it one; pick the line that fits your cluster:',
      '',
      ...sh(INGRESS_ADDRESS),
      '',
      ...(ingressIPs.length > 0 ? [
        `This output was written with \`--ingress-ip ${ingressIPs[0]}\`, so b) gives \`INGRESS_HOST=${ingressIPs[0]}\` once the platform`,
        'is installed with it.',
        '',
      ] : []),
      '`echo $INGRESS_HOST:$INGRESS_PORT` should now print an address and a port.',
      '',
    ];
  }
  return ['The lab has no gateway: every command runs from inside the mesh, so it needs no ingress address.', ''];
}

/** The picture of the lab as written. */
function traffic(g: Guide): string[] {
  return [
    '## Traffic',
    '',
    g.classic
      ? 'Where requests go in the lab as written, drawn from its manifests: thin arrows are Istio routing (labelled with'
      : 'Where requests go in the lab as written, drawn from its manifests: thin arrows are routing, HTTPRoutes and Istio\'s kinds where a step keeps them (labelled with',
    'matches, weights, faults, timeouts, retries and rewrites), dashed arrows mirrored copies, thick arrows the calls',
    g.classic
      ? 'the applications make. Each service is boxed with its versions (Deployments); a DestinationRule policy is noted on its host.'
      : 'the applications make. Each Service is boxed with the versions it selects, per-version Services too; a DestinationRule policy is noted on its host.',
    '',
    ...mermaid(g.lab.switchedOn.length === 0 ? g.plainDiagram : trafficDiagram(g.manifests.lab, g.lab.calls)),
    '',
  ];
}

/** How steps work, the table of them, and those the flavour leaves out. */
function stepsIntro(g: Guide, skipped: NonNullable<GuideFlavour['skipped']>): string[] {
  return [
    '## Steps',
    '',
    'Each step is one file in `steps/`, holding only the objects it adds or changes, under the names they have in the lab,',
    'so applying it moves the lab to that step and the revert commands move it back. Apply one step at a time, or',
    `combine scenarios with \`npm run synth -- ${labFlag(g.lab)}${g.flavour.hintFlags} --scenario a,b\`. Istio takes a few seconds to send a`,
    `change to ${g.flavour.propagatesTo}, so give a step a moment before you judge it.`,
    '',
    ...(g.steps.length > 0 ? [
      '| step | what it does |',
      '|---|---|',
      ...g.steps.map((s) => `| [\`${s.document.name}\`](#${s.document.name}) | ${s.document.summary} |`),
      '',
    ] : []),
    ...(skipped.length > 0 ? ['Not in this flavour:', '', ...skipped.map((s) => `- \`${s.scenario}\`: ${s.reason}`), ''] : []),
  ];
}

/** One step's section: what it changes, its picture, how to apply and watch it, what to expect, how to go back. */
function stepSection(g: Guide, step: Step): string[] {
  const { lab, output } = g;
  const scenario = step.document;
  const redraw = [...step.changed, ...step.added].some((m) => DRAWN_KINDS.has(m.kind)) || (step.removed?.length ?? 0) > 0;
  const diagram = redraw ? trafficDiagram(applyStep(g.drawn, step), lab.calls) : g.plainDiagram;
  // Workloads the step starts or scales: wait for them before watching.
  const addedNamespaces = step.added.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name);
  const waits = [
    ...step.changed.filter((m) => m.kind === 'Deployment').map((m) => `kubectl -n ${m.metadata.namespace} rollout status deployment/${m.metadata.name} ${WAIT}`),
    ...addedNamespaces.flatMap((ns) => waitCommands(ns, step.added)),
  ];
  const written = [...step.changed, ...step.added];
  // A Gateway API ingress that gains its https listener in this step: its NodePort exists only now.
  const secured = written.find((m) => m.kind === 'Gateway' && isGatewayApi(m) && hasHttps(m) && !hasHttps(g.ingress));
  const kept = g.classic ? [] : istioKindReasons(written);
  const risky = g.classic ? [] : experimental(written);
  return [
    `### ${scenario.name}`,
    '',
    `${scenario.summary[0].toUpperCase()}${scenario.summary.slice(1)}. Parameters: ${params(scenario) || 'none'}`,
    `(change them with \`npm run synth -- ${labFlag(lab)}${g.flavour.hintFlags} --scenario ${scenario.name} --set ${scenario.name}.<parameter>=<value>\`).`,
    '',
    `- Changes: ${step.changed.map(objectName).join(', ') || 'nothing'}`,
    `- Adds: ${step.added.map(objectName).join(', ') || 'nothing'}`,
    ...((step.removed?.length ?? 0) > 0 ? [`- Deletes first: ${step.removed!.map(objectName).join(', ')} (applying a file cannot delete it; the revert applies the lab again)`] : []),
    '',
    ...(kept.length > 0 ? [`Istio's kinds stay beside the HTTPRoutes here, as in istio.io's own tasks: ${kept.join('; ')}.`, ''] : []),
    ...(risky.length > 0 ? [`${risky.join(' and ')} ${risky.length > 1 ? 'are' : 'is'} in the Gateway API's experimental channel only: install its \`experimental-install.yaml\` (see the top) before this step.`, ''] : []),
    diagram === g.plainDiagram ? 'The traffic after this step (the same as the lab\'s: the step changes nothing this picture shows):' : 'The traffic after this step:',
    '',
    ...mermaid(diagram),
    '',
    ...sh([
      ...prepareCommands(step),
      ...(step.removed ?? []).map(deleteCommand),
      `kubectl apply -f ${g.folder}steps/${scenario.name}.yaml`,
      ...waits,
      ...(secured ? ['# with b) of the Start section, read the NodePort of the new https listener:', secureNodePort(secured)] : []),
      ...scenario.observe,
    ]),
    '',
    `Expect: ${scenario.expect}.`,
    '',
    'Revert:',
    '',
    ...sh([...scenario.undo, ...revertCommands(output, output.folder ?? lab.name, step)]),
    '',
  ];
}

/** The paragraph that says which flavour a guide is, how it differs from the classic one, and where the others are. */
function flavourIntro(lab: LabDocument, flavour: Flavour, objects: readonly Manifest[], outDir: string): string[] {
  const versioned = objects.filter((m) => m.kind === 'Service' && service(m).selector?.version !== undefined);
  const ingress = gatewaysOfClass(objects, 'istio')[0];
  const waypoint = gatewaysOfClass(objects, 'istio-waypoint')[0];
  const others = Flavour.ALL.filter((f) => f !== flavour).map((f) => `\`${labFolder(outDir, f.folder(lab.name))}\` (${f.name}: ${f.title})`);
  return [
    `This is the ${flavour.name} flavour of the lab: ${flavour.title}; \`npm run synth -- ${lab.labFile ? `${labFlag(lab)} ` : ''}${flavour.flags}\` writes it alone.`,
    'Routing is HTTPRoutes (`gateway.networking.k8s.io/v1`) attached to each Service (`parentRefs` to the Service, GAMMA)'
      + (versioned.length > 0 ? `, sending to per-version Services such as \`${versioned[0].metadata.name}\` instead of DestinationRule subsets` : '')
      + (ingress ? `; the ingress is the Gateway \`${ingress.metadata.name}\` of class \`istio\` in the lab's namespace, not Istio's shared ingress gateway` : '')
      + '.',
    !flavour.sidecars
      ? `Ambient mode: the namespace is labelled \`istio.io/dataplane-mode: ambient\` instead of \`istio-injection\`, so pods run without a sidecar; ztunnel on each node carries their traffic with mTLS`
        + (waypoint ? `, and the waypoint \`${waypoint.metadata.name}\` (a Gateway of class \`istio-waypoint\`) applies the HTTPRoutes and L7 policies for the namespace's Services (\`istio.io/use-waypoint\`).` : '.')
      : 'Every pod gets a sidecar, as in the classic flavour.',
    `The same lab in the other flavours: ${others.join('; ')}. All of them use namespace \`${lab.namespace}\`: apply one at a time.`,
  ];
}

/**
 * The once-per-cluster install a flavour needs: the Gateway API CRDs every guide names (one
 * version and channel, lib/platform/release.ts) and Istio's current release.
 */
function platformInstall(objects: readonly Manifest[], steps: readonly Step[], flavour: Flavour, outDir: string): string[] {
  const uses = [...new Set([...experimental(objects), ...steps.flatMap((s) => experimental([...s.changed, ...s.added]))])];
  const users = steps.filter((s) => experimental([...s.changed, ...s.added]).length > 0).map((s) => `\`${s.document.name}\``);
  const platform = labFolder(outDir, 'platform');
  return [
    ...sh([gatewayApiCrdCommand(), `istioctl install -f ${platform}${currentInstallFile(flavour.profile)} -y`]),
    '',
    ...(uses.length > 0 ? [`This lab uses ${uses.join(' and ')}${users.length > 0 ? ` (steps ${users.join(', ')})` : ''}, which only the experimental channel holds.`] : []),
    ...STANDARD_ALREADY,
  ];
}
