import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IstioOperator } from '../../imports/istio';
import { FileConstruct } from '../mesh/file';
import { newService } from '../mesh/workload';

export type OutboundTrafficPolicy = 'ALLOW_ANY' | 'REGISTRY_ONLY';

export interface PlatformProps {
  /**
   * Addresses of lab nodes the ingress gateway Service answers on (the seed's `kubectl edit`
   * of `spec.externalIPs`), for clusters without a load balancer. @default none
   */
  readonly ingressExternalIPs?: readonly string[];
  /** What sidecars do with traffic to hosts outside the registry. @default 'ALLOW_ANY' (REGISTRY_ONLY for the egress lab) */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
}

/** An addon of Istio's samples/addons and how the book reaches it from outside. */
interface Addon {
  readonly name: string;
  /** A pod label only that addon's pods carry. */
  readonly selector: Readonly<Record<string, string>>;
  readonly port: number;
  readonly targetPort: number;
  readonly nodePort: number;
}

/**
 * NodePorts as in the book (32143 Grafana, 32141 Prometheus, 32144 tracing); Kiali takes
 * 32145, the next free one. Selectors are the `app` labels of Istio 1.17's samples/addons.
 */
const ADDONS: readonly Addon[] = [
  { name: 'grafana', selector: { app: 'grafana' }, port: 3000, targetPort: 3000, nodePort: 32143 },
  { name: 'prometheus', selector: { app: 'prometheus' }, port: 9090, targetPort: 9090, nodePort: 32141 },
  { name: 'tracing', selector: { app: 'jaeger' }, port: 80, targetPort: 16686, nodePort: 32144 },
  { name: 'kiali', selector: { app: 'kiali' }, port: 20001, targetPort: 20001, nodePort: 32145 },
];

class AddonNodePorts extends FileConstruct {
  public constructor(scope: Construct) {
    super(scope, 'Addons', 'addons-nodeport.yaml');
    for (const addon of ADDONS) {
      const ports = [{ name: 'http', port: addon.port, targetPort: addon.targetPort, nodePort: addon.nodePort }];
      newService(this, addon.name, `${addon.name}-nodeport`, ports, addon.selector, { type: kplus.ServiceType.NODE_PORT });
    }
  }
}

class Install extends FileConstruct {
  public constructor(scope: Construct, props: PlatformProps) {
    super(scope, 'Install', 'istioctl/istio-operator.yaml');
    const externalIPs = props.ingressExternalIPs ?? [];
    new IstioOperator(this, 'Resource', {
      metadata: { name: 'meshlab' },
      spec: {
        profile: 'demo',
        meshConfig: {
          accessLogFile: '/dev/stdout',
          outboundTrafficPolicy: { mode: props.outboundTrafficPolicy ?? 'ALLOW_ANY' },
        },
        components: externalIPs.length === 0 ? undefined : {
          ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, k8s: { service: { externalIPs: [...externalIPs] } } }],
        },
      },
    });
  }
}

/**
 * The Istio platform the labs run on (seed 001): an IstioOperator with the demo profile for
 * `istioctl install -f`, and NodePort Services that reach the demo addons from outside.
 * @see https://istio.io/latest/docs/setup/install/istioctl/
 */
export class Platform extends Chart {
  public constructor(scope: Construct, props: PlatformProps = {}) {
    super(scope, 'platform', { namespace: 'istio-system', disableResourceNameHashes: true });
    new AddonNodePorts(this);
    new Install(this, props);
  }
}
