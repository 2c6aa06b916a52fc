import type { PolicyTargetReference } from '../../imports/istio';
import type { IConstruct } from 'constructs';
import { MeshlabError } from '../errors';
import { GATEWAY_API_GROUP } from '../istio/gateway-api';
import { CURRENT_ISTIO } from '../platform/release';
import { egressGatewayName, type Command } from './command';

/** The API routing is written in: Istio's (VirtualService, DestinationRule) or the Kubernetes Gateway API's (HTTPRoute). */
export type Api = 'istio' | 'gateway-api';

/** How workloads join the mesh: a sidecar in each pod, or ambient mode (ztunnel, and waypoints for L7). */
export type DataPlaneMode = 'sidecar' | 'ambient';

/** The name of a flavour, as `--list` and the guides print it. */
export type FlavourName = 'classic' | 'gateway-api' | 'ambient';

export const APIS: readonly Api[] = ['istio', 'gateway-api'];
export const MODES: readonly DataPlaneMode[] = ['sidecar', 'ambient'];

/** What a policy on one service attaches to: its pods (`selector`), or its Service (`targetRefs`). */
export type PolicyAttachment = { selector: { matchLabels: Record<string, string> } } | { targetRefs: PolicyTargetReference[] };

/**
 * What a scenario needs of the data plane that not every flavour has, each with why the step
 * needs it (the words a flavour without it puts in its guide and in synth's refusal).
 */
export interface ScenarioNeeds {
  /** A sidecar in the callee's own pods (an EnvoyFilter at SIDECAR_INBOUND, a Sidecar resource). */
  readonly ownSidecar?: string;
}

/** A Gateway API Gateway as a policy target: a waypoint, or an ingress gateway of class istio. */
export const gatewayTarget = (name: string): PolicyTargetReference => ({ group: GATEWAY_API_GROUP, kind: 'Gateway', name });

/**
 * One way of writing a lab: its routing API and data-plane mode, and every difference that
 * follows from them. Chosen once (a `MeshLab`'s `flavour`, synth's `--api`/`--mode`), and asked
 * instead of compared: nothing outside this module and `lib/render` compares flavour names
 * (test/flavour-seam.test.ts). As AWS CDK's enum-like classes, the instances are static and
 * the subclasses private.
 */
export abstract class Flavour {
  /** Istio's APIs (VirtualService, DestinationRule) with sidecars, as the tutorials teach. */
  public static readonly CLASSIC: Flavour;
  /** The Kubernetes Gateway API (HTTPRoute to per-version Services) with sidecars. */
  public static readonly GATEWAY_API: Flavour;
  /** The Gateway API in ambient mode: ztunnel, and a waypoint for L7. */
  public static readonly AMBIENT: Flavour;
  /** Every flavour, in the order labs are written. */
  public static readonly ALL: readonly Flavour[];

  /** The flavour of `api` and `mode`; ambient with Istio's APIs is refused in one line. */
  public static of(api: Api = 'istio', mode: DataPlaneMode = 'sidecar'): Flavour {
    const found = Flavour.ALL.find((f) => f.api === api && f.mode === mode);
    if (!found) {
      throw new MeshlabError(`--api ${api} --mode ${mode} is not supported: VirtualService on ambient waypoints is alpha in Istio; `
        + 'use --api gateway-api --mode ambient, or --api istio --mode sidecar');
    }
    return found;
  }

  /**
   * The context key (cdk8s `node.setContext`) that gives a MeshLab made without a `flavour`
   * its flavour: synth sets it on the app of each lab it builds, so a lab module of a user's
   * own is written in every flavour without passing one.
   */
  public static readonly CONTEXT = 'meshlab:flavour';

  /** The flavour a scope's context names (Flavour.CONTEXT), if it names one. */
  public static fromContext(scope: IConstruct): Flavour | undefined {
    const name: unknown = scope.node.tryGetContext(Flavour.CONTEXT);
    return name === undefined ? undefined : Flavour.ALL.find((f) => f.name === name);
  }

  /**
   * The flavours `--api` and `--mode` choose (each already one of APIS and MODES): with
   * neither, every one; with one, the other takes its default (istio, sidecar), except that
   * ambient alone means the Gateway API, the only API meshlab writes ambient labs in.
   */
  public static select(api: Api | undefined, mode: DataPlaneMode | undefined): readonly Flavour[] {
    if (api === undefined && mode === undefined) return Flavour.ALL;
    if (api === undefined) return [Flavour.ALL.find((f) => f.mode === mode)!];
    return [Flavour.of(api, mode)];
  }

  protected constructor(
    /** `classic`, `gateway-api` or `ambient`. */
    public readonly name: FlavourName,
    public readonly api: Api,
    public readonly mode: DataPlaneMode,
    /** Appended to the lab's name for its output folder: `tutorial`, `tutorial-gateway-api`, `tutorial-ambient`. */
    public readonly suffix: string,
    /** One line on what the flavour is, for guides and listings. */
    public readonly title: string,
  ) {}

  /** Whether routing is HTTPRoutes to per-version Services, and the ingress a Gateway of class istio in the lab's namespace. */
  public abstract readonly gatewayApi: boolean;
  /** Whether every pod has a sidecar; without, ztunnel carries traffic and a waypoint does L7. */
  public abstract readonly sidecars: boolean;
  /** Whether the lab keeps its tutorial's seed images (the classic flavour), rather than Istio's current samples. */
  public abstract readonly seedImages: boolean;
  /** The Istio install profile the flavour needs: `demo`, or `ambient`. */
  public abstract readonly profile: 'demo' | 'ambient';
  /** The Istio release the flavour is written for (`1.17`, the tutorials'; the current one): links to Istio's files name its branch. */
  public abstract readonly istioRelease: string;

  /** The output folder of `lab` in this flavour. */
  public folder(lab: string): string {
    return `${lab}${this.suffix}`;
  }

  /** `--api A --mode M`, which writes this flavour alone. */
  public get flags(): string {
    return `--api ${this.api} --mode ${this.mode}`;
  }

  /** The flags a guide's hints add (none in the classic flavour, the default). */
  public get hintFlags(): string {
    return ` ${this.flags}`;
  }

  /** The labels of the lab's namespace: how its pods join the mesh. */
  public abstract namespaceLabels(waypoint: string): Record<string, string>;

  /** The labels of an extra namespace a step adds, in the mesh or (said explicitly, as IST0102 asks) out of it. */
  public abstract extraNamespaceLabels(meshed: boolean): Record<string, string>;

  /** What a policy on one service attaches to, given its pods' labels. */
  public abstract attachPolicy(service: string, podLabels: Readonly<Record<string, string>>): PolicyAttachment;

  /** What a namespace-wide policy of the lab attaches to (nothing: the whole namespace), given the waypoint's name. */
  public abstract namespacePolicy(waypoint: string): { targetRefs?: PolicyTargetReference[] };

  /** Whether a namespace-wide policy also reaches the lab's ingress gateway (its pods in the namespace, with a sidecar's enforcement). */
  public get policiesReachIngress(): boolean {
    return false;
  }

  /** The namespace of the lab's ingress gateway and its certificate's Secret. */
  public abstract ingressNamespace(labNamespace: string): string;

  /** Why the flavour cannot write a scenario with these needs, if it cannot. */
  public unsupported(_needs: ScenarioNeeds): string | undefined {
    return undefined;
  }

  /**
   * A guide's command as this flavour's learner runs it, in `namespace` (where the lab has
   * `waypoint`, in ambient mode); undefined for one that shows nothing in this flavour.
   */
  public command(command: Command, namespace: string, waypoint?: string): string | undefined {
    if (typeof command === 'string') return command;
    if (command.kind === 'podIpCall') {
      if (!this.podIpSkipsPolicies) return undefined;
      const ip = `$(kubectl -n ${namespace} get pod -l app=${command.app} -o jsonpath='{.items[0].status.podIP}')`;
      return `kubectl -n ${namespace} exec ${command.from} -c ${command.container} -- curl -s -m 5 -w " %{http_code}\\n" http://${ip}:${command.port}/`;
    }
    const flags = command.flags ? ` ${command.flags}` : '';
    if (command.kind === 'egressLog') return `${this.egressLog(namespace, command.host, waypoint)}${flags}`;
    return `${this.proxyLog(namespace, command.pods, waypoint)}${flags}`;
  }

  /** A command that reads the access log of the proxy that sends `host` out of the mesh (the egress-gateway step). */
  protected abstract egressLog(namespace: string, host: string, waypoint?: string): string;

  /**
   * Where the node's proxy of the pods with `podLabels` must admit only the waypoint, so that the
   * L7 policies at the waypoint cannot be bypassed with a call to a pod's own IP; undefined
   * where every call to a pod passes the proxy that enforces its policies (a sidecar).
   */
  public abstract waypointOnly(podLabels: Readonly<Record<string, string>>): PolicyAttachment | undefined;

  /** Whether a call to a pod's own IP can skip the proxy that enforces its L7 policies (a waypoint), so the pods must admit only it (waypointOnly). */
  public get podIpSkipsPolicies(): boolean {
    return this.waypointOnly({}) !== undefined;
  }

  /** A command that reads the access log of the proxy that handles the calls of `pods` (`-l app=x` or a pod name). */
  protected abstract proxyLog(namespace: string, pods: string, waypoint?: string): string;

  /** The Start section's line on when the lab is ready. */
  public abstract readyLine(waypoint?: string): string;

  /** Where a change goes before it takes effect, for the guide's "give a step a moment". */
  public abstract readonly propagatesTo: string;
}

/** Istio's kinds are written where the Gateway API has no form; every pod has a sidecar. */
abstract class SidecarFlavour extends Flavour {
  public readonly sidecars = true;
  public readonly profile = 'demo' as const;
  public readonly propagatesTo = 'the sidecars';

  public namespaceLabels(): Record<string, string> {
    return { 'istio-injection': 'enabled' };
  }

  public extraNamespaceLabels(meshed: boolean): Record<string, string> {
    return { 'istio-injection': meshed ? 'enabled' : 'disabled' };
  }

  public attachPolicy(_service: string, podLabels: Readonly<Record<string, string>>): PolicyAttachment {
    return { selector: { matchLabels: { ...podLabels } } };
  }

  public namespacePolicy(): { targetRefs?: PolicyTargetReference[] } {
    return {};
  }

  protected proxyLog(namespace: string, pods: string): string {
    return `kubectl -n ${namespace} logs ${pods} -c istio-proxy`;
  }

  /** The pod's own sidecar enforces its policies on every call, through its Service or not. */
  public waypointOnly(): undefined {
    return undefined;
  }

  public readyLine(): string {
    return 'Apply the lab and wait until it is ready (every pod READY 2/2: the application and its sidecar):';
  }
}

class ClassicFlavour extends SidecarFlavour {
  public constructor() {
    super('classic', 'istio', 'sidecar', '', "Istio's APIs (VirtualService, DestinationRule) with sidecars, as the tutorials teach");
  }

  public readonly gatewayApi = false;
  public readonly seedImages = true;
  public readonly istioRelease = '1.17';

  public get hintFlags(): string {
    return '';
  }

  public ingressNamespace(): string {
    return 'istio-system';
  }

  /** The demo profile's egress gateway, which the step's Istio Gateway selects. */
  protected egressLog(): string {
    return 'kubectl -n istio-system logs -l istio=egressgateway -c istio-proxy';
  }
}

class GatewayApiFlavour extends SidecarFlavour {
  public constructor() {
    super('gateway-api', 'gateway-api', 'sidecar', '-gateway-api', 'the Kubernetes Gateway API (HTTPRoute to per-version Services) with sidecars');
  }

  public readonly gatewayApi = true;
  public readonly seedImages = false;
  public readonly istioRelease = CURRENT_ISTIO;

  /** The ingress Deployment runs in the lab's namespace with a sidecar, which enforces the namespace's policies. */
  public get policiesReachIngress(): boolean {
    return true;
  }

  public ingressNamespace(labNamespace: string): string {
    return labNamespace;
  }

  /** The Gateway the step deploys for the host: istiod names its Deployment `<gateway>-istio`. */
  protected egressLog(namespace: string, host: string): string {
    return `kubectl -n ${namespace} logs deploy/${egressGatewayName(host)}-istio -c istio-proxy`;
  }
}

/**
 * Ambient mode, written with the Gateway API only: istio.io calls VirtualService on waypoints
 * alpha, and HTTPRoute is the API it documents for ambient.
 */
class AmbientFlavour extends Flavour {
  public constructor() {
    super('ambient', 'gateway-api', 'ambient', '-ambient', 'the Kubernetes Gateway API in ambient mode (ztunnel, and a waypoint for L7)');
  }

  public readonly gatewayApi = true;
  public readonly sidecars = false;
  public readonly seedImages = false;
  public readonly istioRelease = CURRENT_ISTIO;
  public readonly profile = 'ambient' as const;
  public readonly propagatesTo = 'ztunnel and the waypoint';

  /**
   * Enrolled in ambient, with the namespace's waypoint. `istio.io/ingress-use-waypoint` sends
   * the ingress gateway's traffic through the waypoint too (istiod reads it from the Service,
   * else from its namespace: istio/istio pilot/pkg/serviceregistry/ambient/services.go,
   * ingressUseWaypointFromLabels), so a service's routing and policies apply to traffic
   * entering the mesh as they do with sidecars.
   * @see https://istio.io/latest/docs/ambient/usage/add-workloads/
   */
  public namespaceLabels(waypoint: string): Record<string, string> {
    return { 'istio.io/dataplane-mode': 'ambient', 'istio.io/ingress-use-waypoint': 'true', 'istio.io/use-waypoint': waypoint };
  }

  public extraNamespaceLabels(meshed: boolean): Record<string, string> {
    return meshed ? { 'istio.io/dataplane-mode': 'ambient' } : { 'istio-injection': 'disabled' };
  }

  /**
   * The Service in `targetRefs`, which the waypoint serving it takes (istio/istio
   * pilot/pkg/model/policyattachment.go, ShouldAttachPolicy): ztunnel cannot read HTTP, and
   * the destination's ztunnel sees the waypoint's identity rather than the caller's (istio.io
   * docs/ambient/usage/l4-policy), so a selector policy naming callers would never match.
   */
  public attachPolicy(service: string): PolicyAttachment {
    return { targetRefs: [{ group: '', kind: 'Service', name: service }] };
  }

  /** The namespace's waypoint, which every call between the lab's services passes. */
  public namespacePolicy(waypoint: string): { targetRefs?: PolicyTargetReference[] } {
    return { targetRefs: [gatewayTarget(waypoint)] };
  }

  public ingressNamespace(labNamespace: string): string {
    return labNamespace;
  }

  /**
   * A selector policy, which ztunnel on the pods' node enforces (the waypoint ignores selector
   * policies: istio/istio pilot/pkg/model/policyattachment.go, ShouldAttachPolicy). A call to a
   * pod's IP goes there straight, past the waypoint and its L7 policies (istio.io
   * docs/ambient/usage/waypoint, "Require traffic to traverse the waypoint"). Not namespace-wide:
   * the ingress gateway runs in the lab's namespace, and a Gateway API gateway applies selector
   * policies too (features.EnableSelectorBasedK8sGatewayPolicy, on by default).
   */
  public waypointOnly(podLabels: Readonly<Record<string, string>>): PolicyAttachment {
    return { selector: { matchLabels: { ...podLabels } } };
  }

  public unsupported(needs: ScenarioNeeds): string | undefined {
    return needs.ownSidecar;
  }

  /**
   * Pods have no sidecar: the waypoint's log (its Envoy is also container istio-proxy; the
   * ambient profile keeps `accessLogFile`), or without a waypoint ztunnel's, which logs each connection.
   */
  protected proxyLog(namespace: string, _pods: string, waypoint?: string): string {
    return waypoint ? `kubectl -n ${namespace} logs deploy/${waypoint} -c istio-proxy` : 'kubectl -n istio-system logs -l app=ztunnel -c istio-proxy';
  }

  /** The waypoint takes the ServiceEntries of its namespace as it takes Services: it is the egress gateway. */
  protected egressLog(namespace: string, host: string, waypoint?: string): string {
    return this.proxyLog(namespace, host, waypoint);
  }

  public readyLine(waypoint?: string): string {
    return `Apply the lab and wait until it is ready: every pod READY 1/1 (ambient mode adds no sidecar)${waypoint
      ? `, and the waypoint \`${waypoint}\` programmed (istiod deploys it as the Deployment \`${waypoint}\`)` : ''}:`;
  }
}

// The static instances, set once the subclasses exist (a class body cannot name a subclass declared after it).
Object.assign(Flavour, {
  CLASSIC: new ClassicFlavour(),
  GATEWAY_API: new GatewayApiFlavour(),
  AMBIENT: new AmbientFlavour(),
});
Object.assign(Flavour, { ALL: Object.freeze([Flavour.CLASSIC, Flavour.GATEWAY_API, Flavour.AMBIENT]) });
