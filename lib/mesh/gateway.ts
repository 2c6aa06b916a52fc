import { Construct } from 'constructs';
import { Gateway, VirtualService } from '../../imports/istio';
import type { IOutputFile, MeshLab } from './lab';
import { HttpRouteProps, renderHttpRoute } from './routing';

/** Ports the demo profile's ingress gateway Service exposes, by protocol. */
export const INGRESS_GATEWAY_PORTS = { HTTP: 80, HTTPS: 443 } as const;

export interface IngressGatewayProps {
  /** Hosts the gateway accepts. @default ['*'] */
  readonly hosts?: readonly string[];
  /** Labels of the gateway pods. @default { istio: 'ingressgateway' } */
  readonly selector?: Readonly<Record<string, string>>;
}

/**
 * An Istio Gateway on the ingress gateway's HTTP port 80, with the VirtualServices bound
 * to it. Routes name services and versions, so the host, subset and port cannot drift.
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/ingress-control/
 */
export class IngressGateway extends Construct implements IOutputFile {
  public readonly name: string;
  public readonly fileName: string;
  public readonly hosts: readonly string[];
  public readonly gateway: Gateway;
  private readonly lab: MeshLab;

  public constructor(lab: MeshLab, name: string, props: IngressGatewayProps) {
    super(lab, name);
    this.lab = lab;
    this.name = name;
    this.fileName = `${name}.yaml`;
    this.hosts = props.hosts ?? ['*'];
    this.gateway = new Gateway(this, 'Gateway', {
      metadata: { name },
      spec: {
        selector: { ...(props.selector ?? { istio: 'ingressgateway' }) },
        servers: [{ port: { number: INGRESS_GATEWAY_PORTS.HTTP, name: 'http', protocol: 'HTTP' }, hosts: [...this.hosts] }],
      },
    });
  }

  /**
   * Adds a VirtualService named `name` that routes this gateway's traffic; routes are tried
   * in order, so put the catch-all last.
   */
  public addRoutes(name: string, routes: readonly HttpRouteProps[]): VirtualService {
    return new VirtualService(this, name, {
      metadata: { name },
      spec: () => ({
        hosts: [...this.hosts],
        gateways: [this.name],
        http: routes.map((r) => renderHttpRoute(r, this.lab.namespace)),
      }),
    });
  }
}
