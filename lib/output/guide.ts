import type { LabBuild } from '../app';
import type { MeshService } from '../mesh/service';
import type { AppliedScenario } from '../scenarios/engine';
import { Manifest, objectName } from '../validate/manifest';
import { DRAWN_KINDS, callGraph, trafficDiagram } from './diagram';
import { Step, StepOutput, applyStep, labFolder, revertCommands } from './steps';

/** How long a guide lets `kubectl wait` wait: the Java images take a while on a 2 GiB VM. */
const WAIT = '--timeout=300s';

/** Fills `{namespace}`, `{service}` and `{<parameter>}` of a command with the step's values. */
function fill(command: string, build: LabBuild, applied?: AppliedScenario): string {
  const service = (applied?.values.service as MeshService | undefined)
    ?? build.lab.services.find((s) => s.name === build.definition.observeService)
    ?? build.lab.services.find((s) => s.isHttp)!;
  const values: Record<string, string> = { ...applied?.texts, namespace: build.lab.namespace, service: service.name };
  return command.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The commands that show a step (the preset's, else the lab's), filled in. */
function observeCommands(build: LabBuild, applied?: AppliedScenario): string[] {
  const observe = applied?.preset.observe ?? build.definition.observe;
  return (typeof observe === 'string' ? [observe] : observe).map((c) => fill(c, build, applied));
}

const params = (applied: AppliedScenario) =>
  Object.entries(applied.texts).filter(([, v]) => v !== '').map(([k, v]) => `\`${k}=${v}\``).join(', ');

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

/**
 * The lab's guide (`<out>/<lab>/README.md`): how to apply the lab, wait for it, find the
 * ingress address and watch it; a picture of its traffic; then for each step what it changes
 * (with the picture after it), how to apply it, what to run and see, and how to go back.
 * Every command names its namespace and the output folder it was written to.
 */
export function renderGuide(build: LabBuild, steps: readonly Step[], manifests: GuideManifests, output: StepOutput, ingressIPs: readonly string[] = []): string {
  const { definition, lab } = build;
  const folder = labFolder(output.outDir, output.folder ?? definition.name);
  const calls = callGraph(lab);
  // Only the kinds the picture draws: a step of policies or filters leaves the picture as it is.
  const drawn = manifests.plain.filter((m) => DRAWN_KINDS.has(m.kind));
  const plainDiagram = trafficDiagram(drawn, calls);
  const hasGateway = manifests.lab.some((m) => m.kind === 'Gateway');
  const out: string[] = [
    `# Lab \`${definition.name}\`: ${definition.title}`,
    '',
    '<!-- Generated by meshlab (npm run synth) from lib/: edit the code, not this file. -->',
    '',
    `Namespace \`${lab.namespace}\`. Run the commands in the output folder this guide sits under (\`cd dist\``,
    `after \`npm run synth\`, or the folder given with \`--out\`: they name \`${folder}\`), with kubectl pointed at a`,
    'cluster where Istio is installed (see the top-level README).',
    '',
    '## Start',
    '',
    'Apply the lab and wait until it is ready (every pod READY 2/2: the application and its sidecar):',
    '',
    ...sh([`kubectl apply -f ${folder}`, ...waitCommands(lab.namespace, manifests.lab)]),
    '',
  ];
  if (hasGateway) {
    out.push(
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
    );
  } else {
    out.push('The lab has no gateway: every command runs from inside the mesh, so it needs no ingress address.', '');
  }
  out.push('Watch the traffic:', '', ...sh(observeCommands(build)), '');
  if (build.applied.length > 0) {
    out.push(`The lab's files already include these steps (meshlab.config.json or --scenario): ${build.applied.map((a) => `\`${a.preset.scenario.name}\``).join(', ')}.`, '');
  }
  out.push(
    '## Traffic',
    '',
    'Where requests go in the lab as written, drawn from its manifests: thin arrows are Istio routing (labelled with',
    'matches, weights, faults, timeouts, retries and rewrites), dashed arrows mirrored copies, thick arrows the calls',
    'the applications make. Each service is boxed with its versions (Deployments); a DestinationRule policy is noted on its host.',
    '',
    ...mermaid(build.applied.length === 0 ? plainDiagram : trafficDiagram(manifests.lab, calls)),
    '',
  );
  if (steps.length === 0) {
    out.push('This tutorial teaches no further step.', '');
    return out.join('\n');
  }
  out.push(
    '## Steps',
    '',
    'Each step is one file in `steps/`, holding only the objects it adds or changes, under the names they have in the lab,',
    'so applying it moves the lab to that step and the revert commands move it back. Apply one step at a time, or',
    `combine scenarios with \`npm run synth -- --lab ${definition.name} --scenario a,b\`. Istio takes a few seconds to send a`,
    'change to the sidecars, so give a step a moment before you judge it.',
    '',
    '| step | what it does |',
    '|---|---|',
    ...steps.map((s) => `| [\`${s.applied.preset.scenario.name}\`](#${s.applied.preset.scenario.name}) | ${s.applied.preset.scenario.summary} |`),
    '',
  );
  for (const step of steps) {
    const { scenario } = step.applied.preset;
    const values = step.applied.values;
    const redraw = [...step.changed, ...step.added].some((m) => DRAWN_KINDS.has(m.kind));
    const diagram = redraw ? trafficDiagram(applyStep(drawn, step), calls) : plainDiagram;
    // Workloads the step starts or scales: wait for them before watching.
    const addedNamespaces = step.added.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name);
    const waits = [
      ...step.changed.filter((m) => m.kind === 'Deployment').map((m) => `kubectl -n ${m.metadata.namespace} rollout status deployment/${m.metadata.name} ${WAIT}`),
      ...addedNamespaces.flatMap((ns) => waitCommands(ns, step.added)),
    ];
    out.push(
      `### ${scenario.name}`,
      '',
      `${scenario.summary[0].toUpperCase()}${scenario.summary.slice(1)}. Parameters: ${params(step.applied) || 'none'}`,
      `(change them with \`npm run synth -- --lab ${definition.name} --scenario ${scenario.name} --set ${scenario.name}.<parameter>=<value>\`).`,
      '',
      `- Changes: ${step.changed.map(objectName).join(', ') || 'nothing'}`,
      `- Adds: ${step.added.map(objectName).join(', ') || 'nothing'}`,
      '',
      diagram === plainDiagram ? 'The traffic after this step (the same as the lab\'s: the step changes nothing this picture shows):' : 'The traffic after this step:',
      '',
      ...mermaid(diagram),
      '',
      ...sh([
        ...(scenario.prepare?.(values) ?? []),
        `kubectl apply -f ${folder}steps/${scenario.name}.yaml`,
        ...waits,
        ...observeCommands(build, step.applied),
      ]),
      '',
      `Expect: ${scenario.expect(values)}.`,
      '',
      'Revert:',
      '',
      ...sh([
        ...(step.applied.preset.undo ?? []).map((c) => fill(c, build, step.applied)),
        ...revertCommands(output, output.folder ?? definition.name, step),
      ]),
      '',
    );
  }
  return out.join('\n');
}
