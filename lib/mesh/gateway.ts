import { definedFields } from '../render/object';
import { HTTPRouteMatch, HTTPRouteObject, HTTPRouteRule, KubernetesGateway, Listener } from '../../imports/gateway-api';
import { Gateway, HTTPMatchRequest, HTTPRoute, VirtualService } from '../../imports/istio';
import { gatewayApiGap, gatewayApiRule, gatewayApiRules } from '../render/gateway-api';
import { MeshlabError } from '../errors';
import { FileConstruct } from './file';
import { istioHttpRoute, istioHttpRoutes } from '../render/istio';
import { HttpRouteProps, plainRoute, ILab } from './routing';
import { StepState } from './step-state';

/** Ports the demo profile's ingress gateway Service exposes, by protocol. */
export const INGRESS_GATEWAY_PORTS = { HTTP: 80, HTTPS: 443 } as const;

export interface IngressGatewayProps {
  /** Hosts the gateway accepts. @default ['*'] */
  readonly hosts?: readonly string[];
  /** Labels of the gateway pods. @default { istio: 'ingressgateway' } */
  readonly selector?: Readonly<Record<string, string>>;
}

/** Both conditions at once: Istio ANDs the fields of one match. */
function mergeMatch(outer: HTTPMatchRequest | undefined, inner: HTTPMatchRequest | undefined): HTTPMatchRequest | undefined {
  if (!outer || !inner) return outer ?? inner;
  const clash = Object.keys(outer).filter((k) => k !== 'headers' && k in inner);
  if (clash.length > 0) {
    throw new MeshlabError(`a gateway route and a service route both match on ${clash.join(', ')}; Istio cannot combine them`);
  }
  const headers = outer.headers || inner.headers ? { ...outer.headers, ...inner.headers } : undefined;
  return { ...outer, ...inner, headers };
}

/** Both conditions of two Gateway API matches at once (a match ANDs its path and headers). */
function mergeGatewayApiMatch(outer: HTTPRouteMatch | undefined, inner: HTTPRouteMatch | undefined): HTTPRouteMatch | undefined {
  if (!outer || !inner) return outer ?? inner;
  if (outer.path && inner.path) throw new MeshlabError('a gateway route and a service route both match on the path; the Gateway API cannot combine them');
  const headers = [...(outer.headers ?? []), ...(inner.headers ?? [])];
  const path = outer.path ?? inner.path;
  return { ...(path ? { path } : {}), ...(headers.length > 0 ? { headers } : {}) };
}

/**
 * An Istio Gateway on the ingress gateway's HTTP port 80 (and 443 once TLS is added), with
 * the VirtualServices bound to it. A route to a whole service carries that service's own
 * routing (versions, matches, faults, retries) into the gateway, combined with the gateway
 * route's match, so a scenario on the service works for traffic entering the mesh too.
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/ingress-control/
 */
export class IngressGateway extends FileConstruct {
  public readonly name: string;
  public readonly hosts: readonly string[];
  /** Istio's Gateway, or in a Gateway API lab the Gateway API's (class `istio`). */
  public readonly gateway: Gateway | KubernetesGateway;
  public readonly lab: ILab;
  private tls: { readonly credentialName: string } | undefined;

  public constructor(lab: ILab, name: string, props: IngressGatewayProps) {
    super(lab, name, `${name}.yaml`);
    this.lab = lab;
    this.name = name;
    this.hosts = props.hosts ?? ['*'];
    const selector = { ...(props.selector ?? { istio: 'ingressgateway' }) };
    this.gateway = lab.flavour.gatewayApi ? this.kubernetesGateway() : new Gateway(this, 'Gateway', {
      metadata: { name },
      spec: () => ({
        selector,
        servers: [
          { port: { number: INGRESS_GATEWAY_PORTS.HTTP, name: 'http', protocol: 'HTTP' }, hosts: [...this.hosts] },
          ...(this.tls ? [{
            port: { number: INGRESS_GATEWAY_PORTS.HTTPS, name: 'https', protocol: 'HTTPS' },
            hosts: [...this.hosts],
            tls: { mode: 'SIMPLE' as const, credentialName: this.tls.credentialName },
          }] : []),
        ],
      }),
    });
    // Step bookkeeping: changed when a scenario turned TLS on or changed a service it may carry.
    StepState.of(lab)?.recordRouting(this, () => this.tls !== undefined || this.lab.services.some((s) => s.routing.touched));
    StepState.of(lab)?.onReset(() => {
      this.tls = undefined;
    });
  }

  /**
   * The Gateway API form: a Gateway of class `istio`, which istiod deploys as its own
   * Deployment and Service (`<name>-istio`) in the lab's namespace; a certificate is a Secret
   * there too. A listener has one hostname, so each host gets its own; `*` is any host.
   * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/
   */
  private kubernetesGateway(): KubernetesGateway {
    const listeners = (protocol: 'HTTP' | 'HTTPS', port: number, tls?: Listener['tls']): Listener[] => this.hosts.map((host, i) => ({
      name: `${protocol.toLowerCase()}${this.hosts.length > 1 ? `-${i}` : ''}`,
      port,
      protocol,
      hostname: host === '*' ? undefined : host,
      tls,
    }));
    return new KubernetesGateway(this, 'Gateway', {
      metadata: { name: this.name },
      spec: () => ({
        gatewayClassName: 'istio',
        listeners: [
          ...listeners('HTTP', INGRESS_GATEWAY_PORTS.HTTP),
          ...(this.tls ? listeners('HTTPS', INGRESS_GATEWAY_PORTS.HTTPS, { mode: 'Terminate', certificateRefs: [{ name: this.tls.credentialName }] }) : []),
        ].map(definedFields),
      }),
    });
  }

  /** Where the certificate's Secret goes: istio-system for Istio's gateway, the lab's namespace for a Gateway API one. */
  public get secretNamespace(): string {
    return this.lab.flavour.ingressNamespace(this.lab.namespace);
  }

  /** Also serves HTTPS on port 443, terminating TLS with the certificate in secret `credentialName` (in istio-system). */
  public enableTls(credentialName: string): void {
    this.tls = { credentialName };
  }

  /**
   * Adds a VirtualService named `name` that routes this gateway's traffic; routes are tried
   * in order, so put the catch-all last.
   */
  public addRoutes(name: string, routes: readonly HttpRouteProps[]): VirtualService | HTTPRouteObject {
    if (this.lab.flavour.gatewayApi) {
      return new HTTPRouteObject(this, name, {
        metadata: { name },
        spec: () => ({
          parentRefs: [{ name: this.name }],
          hostnames: this.hosts.includes('*') ? undefined : [...this.hosts],
          rules: routes.flatMap((r) => this.renderRule(r)),
        }),
      });
    }
    return new VirtualService(this, name, {
      metadata: { name },
      spec: () => ({
        hosts: [...this.hosts],
        gateways: [this.name],
        http: routes.flatMap((r) => this.renderRoute(r)),
      }),
    });
  }

  /**
   * One gateway route as HTTPRoute rules: a route to a whole HTTP service carries that
   * service's own rules (versions, matches, rewrites), each match combined with the gateway
   * route's, as the Istio form does. A service whose routing keeps Istio's kinds (a fault) is
   * reached as a whole: the gateway's Envoy sends to the Service, and the fault applies only
   * to mesh traffic.
   */
  private renderRule(route: HttpRouteProps): HTTPRouteRule[] {
    const ns = this.lab.namespace;
    const only = route.to?.length === 1 ? route.to[0].destination : undefined;
    const service = only?.subset === undefined ? only?.meshService : undefined;
    const outer = gatewayApiRule(plainRoute(route), ns);
    if (!service || !service.isHttp || gatewayApiGap(service.intent) !== undefined) return [outer];
    const outerMatches = outer.matches ?? [undefined];
    return gatewayApiRules(service.intent, ns).map((inner) => {
      const matches = outerMatches.flatMap((o) => (inner.matches ?? [undefined]).map((i) => mergeGatewayApiMatch(o, i))).filter((m) => m !== undefined);
      const rewrite = (inner.filters ?? []).some((f) => f.type === 'URLRewrite') ? [] : (outer.filters ?? []).filter((f) => f.type === 'URLRewrite');
      const filters = [...rewrite, ...(inner.filters ?? [])];
      return { ...inner, matches: matches.length > 0 ? matches : undefined, filters: filters.length > 0 ? filters : undefined };
    }).map(definedFields);
  }

  private renderRoute(route: HttpRouteProps): HTTPRoute[] {
    const ns = this.lab.namespace;
    const only = route.to?.length === 1 ? route.to[0].destination : undefined;
    const service = only?.subset === undefined ? only?.meshService : undefined;
    const outer = istioHttpRoute(plainRoute(route), ns);
    if (!service || !service.isHttp) return [outer];
    const outerMatches = outer.match ?? [undefined];
    return istioHttpRoutes(service.intent, ns).map((inner) => {
      const matches = outerMatches.flatMap((o) => (inner.match ?? [undefined]).map((i) => mergeMatch(o, i))).filter((m) => m !== undefined);
      return { ...inner, match: matches.length > 0 ? matches : undefined, rewrite: inner.rewrite ?? outer.rewrite };
    });
  }
}
