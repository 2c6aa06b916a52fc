import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { Match } from '../mesh/routing';
import { SecurityProfile } from '../mesh/security';
import { ingressTls } from '../scenarios/catalog';
import { Preset, preset } from '../scenarios/engine';
import { LabContext, LabOptions } from './options';

/**
 * The Go FFT service behind the ingress gateway: `wtyfft-svc` 8000 -> 8080, three pods
 * scraped by Prometheus, and `wtyfft-vs` sending `/fft...` and `/metrics` through
 * `wtyfft-gateway`. Every wiring mistake the tutorial lists is ruled out by construction.
 */
export function fft(scope: Construct, options?: LabOptions): MeshLab {
  const ctx = new LabContext('fft', options);
  const lab = new MeshLab(scope, 'fft', { namespace: ctx.namespace('wty-istio'), images: (w, seed) => ctx.image(w, seed), flavour: ctx.flavour });

  const service = lab.addService('wtyfft-svc', {
    app: 'wtyfft-app',
    port: 8000,
    targetPort: 8080,
    container: {
      resources: { cpu: 100, memory: 128, cpuLimit: 200, memoryLimit: 256 },
      // The image does not name a user; port 8080 needs no capability, so it keeps none.
      security: SecurityProfile.root('image runs as root (no USER)'),
    },
  });
  ctx.addVersion(service, 'v1', 'registry.cn-hangzhou.aliyuncs.com/wtysos11/wty-fft:0.0.1', {
    deploymentName: 'wtyfft-deploy',
    replicas: 3,
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' },
  });

  lab.addGateway('wtyfft-gateway').addRoutes('wtyfft-vs', [
    { match: [Match.prefix('/fft'), Match.exact('/metrics')], to: [{ destination: service }] },
  ]);

  lab.node.addValidation({ validate: () => ctx.unknownKeys() });
  return lab;
}

/** The tutorial's request through the ingress gateway. */
export const FFT_OBSERVE = 'curl -s -X POST http://$INGRESS_HOST:$INGRESS_PORT/fft/real/10';

/** The FFT tutorial stops at the ingress; HTTPS on the same gateway is the next step it points to. */
export const FFT_SCENARIOS: readonly Preset[] = [
  preset({
    scenario: ingressTls,
    defaults: { credentialName: 'wtyfft-credential', host: 'wtyfft.example.com' },
    observe: 'curl -s --cacert {host}.crt --resolve {host}:$SECURE_INGRESS_PORT:$INGRESS_HOST -X POST https://{host}:$SECURE_INGRESS_PORT/fft/real/10',
  }),
];
