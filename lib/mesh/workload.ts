import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SecurityProfile } from './security';

/** A named container port. */
export interface PortSpec {
  readonly number: number;
  /** Istio reads the protocol from this name. */
  readonly name: string;
}

/** Compute resources of one container, in the tutorials' units. */
export interface Resources {
  /** CPU request in millicores. */
  readonly cpu: number;
  /** Memory request in MiB. */
  readonly memory: number;
  /** CPU limit in millicores. @default no CPU limit (throttling hurts more than it protects in a lab) */
  readonly cpuLimit?: number;
  /** Memory limit in MiB. */
  readonly memoryLimit: number;
}

/** What runs in a workload's single container. */
export interface ContainerSpec {
  readonly image: string;
  readonly ports?: readonly PortSpec[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Environment variables, written in key order. */
  readonly env?: Readonly<Record<string, string>>;
  readonly resources: Resources;
  readonly security: SecurityProfile;
  /** Health check command: the readiness probe, and the liveness probe once started. @default no probes */
  readonly healthCommand?: readonly string[];
  /** Seconds the container may take to start before the liveness probe counts. @default 0 */
  readonly startupSeconds?: number;
}

/** The pod side of a workload: labels, identity and container. */
export interface PodSpec {
  /** Namespace, when not the lab's (the chart's). @default the lab's */
  readonly namespace?: string;
  /** Pod labels; a Deployment selects exactly these. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly serviceAccount: kplus.IServiceAccount;
  /** Container name. */
  readonly containerName: string;
  readonly container: ContainerSpec;
}

function containerProps(name: string, spec: ContainerSpec): kplus.ContainerProps {
  const env = spec.env ?? {};
  return {
    name,
    image: spec.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ports: spec.ports?.map((p) => ({ number: p.number, name: p.name })),
    command: spec.command ? [...spec.command] : undefined,
    args: spec.args ? [...spec.args] : undefined,
    envVariables: Object.fromEntries(Object.keys(env).sort().map((k) => [k, kplus.EnvValue.fromValue(env[k])])),
    resources: {
      cpu: {
        request: kplus.Cpu.millis(spec.resources.cpu),
        limit: spec.resources.cpuLimit === undefined ? undefined : kplus.Cpu.millis(spec.resources.cpuLimit),
      },
      memory: {
        request: Size.mebibytes(spec.resources.memory),
        limit: Size.mebibytes(spec.resources.memoryLimit),
      },
    },
    securityContext: spec.security.containerContext(),
    readiness: spec.healthCommand ? kplus.Probe.fromCommand([...spec.healthCommand]) : undefined,
    liveness: spec.healthCommand
      ? kplus.Probe.fromCommand([...spec.healthCommand], { initialDelaySeconds: Duration.seconds(spec.startupSeconds ?? 0) })
      : undefined,
    // A startup probe must be asked for: cdk8s-plus would otherwise add a TCP one that kills
    // slow starters (the Java tutorial services take longer than its 30 s to listen).
    startup: undefined,
  };
}

/** Removes what cdk8s-plus writes that the API server would default anyway, and adds what it cannot express. */
function tidy(obj: ApiObject, podPath: string, spec: PodSpec, defaults: readonly string[]): void {
  const container = `${podPath}/spec/containers/0`;
  obj.addJsonPatch(
    JsonPatch.remove(`${podPath}/metadata/labels/cdk8s.io~1metadata.addr`),
    ...defaults.map((path) => JsonPatch.remove(path)),
    // Paths are those of the props before cdk8s maps them to Kubernetes' spelling (setHostnameAsFqdn).
    ...['dnsPolicy', 'hostNetwork', 'setHostnameAsFqdn', 'terminationGracePeriodSeconds', 'securityContext/fsGroupChangePolicy']
      .map((field) => JsonPatch.remove(`${podPath}/spec/${field}`)),
    JsonPatch.add(`${container}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
    JsonPatch.add(`${container}/securityContext/capabilities`, spec.container.security.capabilitiesJson()),
  );
  if (spec.container.ports?.length) obj.addJsonPatch(JsonPatch.remove(`${container}/startupProbe`));
}

function podProps(spec: PodSpec): kplus.AbstractPodProps {
  return {
    serviceAccount: spec.serviceAccount,
    securityContext: spec.container.security.podContext(),
    containers: [containerProps(spec.containerName, spec.container)],
  };
}

/** Synthesizes a Deployment whose selector is exactly the pod labels. */
export function newDeployment(scope: Construct, id: string, name: string, replicas: number, spec: PodSpec): kplus.Deployment {
  const deployment = new kplus.Deployment(scope, id, {
    ...podProps(spec),
    metadata: { name, namespace: spec.namespace },
    podMetadata: { labels: { ...spec.labels }, annotations: spec.annotations ? { ...spec.annotations } : undefined },
    replicas,
    select: false,
  });
  deployment.select(kplus.LabelSelector.of({ labels: { ...spec.labels } }));
  tidy(ApiObject.of(deployment), '/spec/template', spec, ['/spec/minReadySeconds', '/spec/progressDeadlineSeconds', '/spec/strategy', '/spec/template/spec/restartPolicy']);
  return deployment;
}

/** Synthesizes a bare Pod, for the clients the tutorials `kubectl exec` into by name. */
export function newPod(scope: Construct, id: string, name: string, spec: PodSpec): kplus.Pod {
  const pod = new kplus.Pod(scope, id, {
    ...podProps(spec),
    metadata: { name, labels: { ...spec.labels }, annotations: spec.annotations ? { ...spec.annotations } : undefined },
  });
  tidy(ApiObject.of(pod), '', spec, ['/spec/restartPolicy']);
  return pod;
}

/** A Service port: `targetPort` defaults to `port`. */
export interface ServicePortSpec {
  readonly name: string;
  readonly port: number;
  readonly targetPort?: number;
  readonly nodePort?: number;
}

/**
 * Synthesizes a Service on these ports, selecting pods by `selector` (none: endpoints are
 * managed elsewhere, or Istio routes the host).
 */
export function newService(
  scope: Construct, id: string, name: string, ports: readonly ServicePortSpec[],
  selector?: Readonly<Record<string, string>>, options: { readonly type?: kplus.ServiceType; readonly namespace?: string } = {},
): kplus.Service {
  const service = new kplus.Service(scope, id, {
    metadata: { name, namespace: options.namespace },
    type: options.type,
    ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, nodePort: p.nodePort })),
    selector: selector && kplus.Pods.select(scope, `${id}Pods`, { labels: { ...selector } }),
  });
  ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
  // cdk8s-plus writes `selector: {}` for a Service without one; the API treats both the same.
  if (!selector) ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/selector'));
  return service;
}
