import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IstioOperator, IstioOperatorSpec } from '../../imports/istio';
import { FileConstruct } from '../mesh/file';
import { newService } from '../mesh/workload';
import { platformGuide } from './guide';
import type { OutboundTrafficPolicy, PlatformProps } from './props';
import { GraphChecks } from '../mesh/checks';
import { CURRENT_ISTIO, CURRENT_PROFILES, CurrentProfile, currentInstallFile } from './release';

export type { OutboundTrafficPolicy, PlatformProps };

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

/** The ingress gateway component with the lab nodes' addresses, or none without them. */
function ingressComponents(props: PlatformProps): IstioOperatorSpec['components'] {
  const externalIPs = props.ingressExternalIPs ?? [];
  return externalIPs.length === 0 ? undefined : {
    ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, k8s: { service: { externalIPs: [...externalIPs] } } }],
  };
}

/** The tutorials' install (Istio 1.17): the demo profile, access logs, the outbound policy. */
class Install extends FileConstruct {
  public constructor(scope: Construct, props: PlatformProps) {
    super(scope, 'Install', 'istioctl/istio-operator.yaml');
    new IstioOperator(this, 'Resource', {
      metadata: { name: 'meshlab' },
      spec: {
        profile: 'demo',
        meshConfig: {
          accessLogFile: '/dev/stdout',
          outboundTrafficPolicy: { mode: props.outboundTrafficPolicy ?? 'ALLOW_ANY' },
        },
        components: ingressComponents(props),
      },
    });
  }
}

/**
 * The current release's install for `istioctl install -f`. `install.istio.io/v1alpha1`
 * IstioOperator is still istioctl's input format (istio/istio 1.30.3 operator/pkg/apis/types.go;
 * only the in-cluster operator was removed). Neither `meshConfig.accessLogFile` nor
 * `outboundTrafficPolicy` is deprecated (istio.io/api mesh/v1alpha1/config.proto).
 * - demo: sidecars, with the ingress and egress gateways (manifests/profiles/demo.yaml);
 * - ambient: istiod, the CNI node agent and ztunnel, no ingress gateway: ingress and waypoints
 *   are Gateway API Gateways (manifests/profiles/ambient.yaml). The profile itself sets
 *   `values.profile: ambient` and enables cni and ztunnel; they are written here too so the file
 *   says what it installs. The outbound policy is left out: ztunnel does not read meshConfig
 *   (its chart takes only `defaultConfig.proxyMetadata`; istio/istio#54281), and the lab node
 *   addresses belong to the Gateways the labs make, not to a component.
 */
class CurrentInstall extends FileConstruct {
  public constructor(scope: Construct, profile: CurrentProfile, props: PlatformProps) {
    super(scope, `Install-${CURRENT_ISTIO}-${profile}`, currentInstallFile(profile));
    const spec: IstioOperatorSpec = profile === 'demo'
      ? {
        profile,
        meshConfig: { accessLogFile: '/dev/stdout', outboundTrafficPolicy: { mode: props.outboundTrafficPolicy ?? 'ALLOW_ANY' } },
        components: ingressComponents(props),
      }
      : {
        profile,
        meshConfig: { accessLogFile: '/dev/stdout' },
        components: { cni: { enabled: true }, ztunnel: { enabled: true } },
      };
    new IstioOperator(this, 'Resource', { metadata: { name: `meshlab-${profile}` }, spec });
  }
}

/**
 * The Istio platform the labs run on (seed 001): an IstioOperator with the demo profile for
 * `istioctl install -f`, and NodePort Services that reach the demo addons from outside; beside
 * them the current release's install (`istioctl/istio-1.30-demo.yaml`, `istio-1.30-ambient.yaml`).
 * The NodePorts select Istio 1.17's addons: in 1.30's samples/addons only Kiali and Jaeger pods
 * still carry those `app` labels (Grafana and Prometheus are rendered from upstream Helm charts,
 * labelled `app.kubernetes.io/name`), so the guide (guide.ts) reaches 1.30's addons with
 * `istioctl dashboard` instead.
 * @see https://istio.io/latest/docs/setup/install/istioctl/
 */
export class Platform extends Chart {
  public constructor(scope: Construct, private readonly props: PlatformProps = {}) {
    super(scope, 'platform', { namespace: 'istio-system', disableResourceNameHashes: true });
    new GraphChecks(this);
    new AddonNodePorts(this);
    new Install(this, props);
    for (const profile of CURRENT_PROFILES) new CurrentInstall(this, profile, props);
  }

  /** The platform's guide, `README.md` of its folder, for output written to `out`. */
  public guide(out: string): string {
    return platformGuide(this.props, out);
  }
}
