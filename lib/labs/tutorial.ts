import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { MeshService } from '../mesh/service';
import { Match } from '../mesh/routing';
import { SecurityProfile } from '../mesh/security';
import { authzAllow, authzDeny, canary, circuitBreaker, egress, faultAbort, faultDelay, headerRoute, loadBalancer, mirror, outlierDetection, rateLimit, retry, route, timeout } from '../scenarios/catalog';
import { Preset } from '../scenarios/engine';
import { LabContext, LabOptions } from './options';

/**
 * The seed's Java images (Spring Boot / Vert.x on fabric8's OpenJDK image, which runs as
 * the jboss user, uid 185). The heap is capped at 256 MiB, so 512 MiB holds the JVM.
 */
function javaService(lab: MeshLab, name: string): MeshService {
  return lab.addService(name, {
    port: 8080,
    extraPorts: [{ number: 8778, name: 'jolokia' }, { number: 9779, name: 'prometheus' }],
    container: {
      env: { JAVA_OPTIONS: '-Xmx256m' },
      resources: { cpu: 50, memory: 256, memoryLimit: 512 },
      security: SecurityProfile.nonRoot(185),
      healthCommand: ['curl', 'localhost:8080/health'],
      // The JVM takes tens of seconds to serve on a 2 GiB lab VM: no restarts before a minute.
      startupSeconds: 60,
    },
  });
}

const image = (name: string, version: string) => `jimmysong/istio-tutorial-${name}:${version}`;

/**
 * Jimmy Song's Istio tutorial: customer -> preference -> recommendation (v1, v2), the
 * customer behind the ingress gateway at `/customer`, and the egress test services.
 */
export function tutorial(scope: Construct, options?: LabOptions): MeshLab {
  const ctx = new LabContext('tutorial', options);
  const lab = new MeshLab(scope, 'tutorial', { namespace: ctx.namespace('istio-tutorial'), images: (w, seed) => ctx.image(w, seed) });

  for (const name of ['customer', 'preference', 'egresshttpbin', 'egressgithub']) {
    ctx.addVersion(javaService(lab, name), 'v1', image(name, 'v1'), { deploymentName: name });
  }
  const recommendation = javaService(lab, 'recommendation');
  for (const version of ['v1', 'v2']) ctx.addVersion(recommendation, version, image('recommendation', version));

  lab.service('customer').calls(lab.service('preference'));
  lab.service('preference').calls(recommendation);

  lab.addGateway('customer-gateway').addRoutes('customer-gateway', [
    { match: [Match.prefix('/customer')], rewrite: '/', to: [{ destination: lab.service('customer') }] },
  ]);

  lab.node.addValidation({ validate: () => ctx.unknownKeys() });
  return lab;
}

/** The tutorial's loop against the customer, through the ingress gateway. */
export const TUTORIAL_OBSERVE = 'while true; do curl -s http://$INGRESS_HOST/customer; sleep .1; done';

const SIEGE = 'siege -r 2 -c 20 -v http://$INGRESS_HOST/customer';

/** The tutorial's steps, all on recommendation unless noted, with its numbers. */
export const TUTORIAL_SCENARIOS: readonly Preset[] = [
  { scenario: route, defaults: { service: 'recommendation', version: 'v2' } },
  { scenario: canary, defaults: { service: 'recommendation', weights: 'v1:90,v2:10' } },
  {
    scenario: headerRoute,
    // The seed images forward the caller's User-Agent to recommendation.
    defaults: { service: 'recommendation', header: 'user-agent', regex: '.*Safari.*', version: 'v2', fallback: 'v1', weights: '' },
    observe: "curl -s -A 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15' http://$INGRESS_HOST/customer; curl -s http://$INGRESS_HOST/customer",
  },
  { scenario: mirror, defaults: { service: 'recommendation', version: 'v1', mirror: 'v2', percent: '100' } },
  { scenario: faultAbort, defaults: { service: 'recommendation', status: '503', percent: '50' } },
  { scenario: faultDelay, defaults: { service: 'recommendation', delay: '7s', percent: '50' } },
  { scenario: timeout, defaults: { service: 'recommendation', timeout: '1s' } },
  { scenario: retry, defaults: { service: 'recommendation', attempts: '3', perTryTimeout: '2s', retryOn: '5xx,connect-failure,refused-stream' } },
  { scenario: loadBalancer, defaults: { service: 'recommendation', policy: 'RANDOM', version: 'v1', replicas: '2', hashHeader: '', subset: '' } },
  {
    scenario: circuitBreaker,
    defaults: {
      service: 'recommendation', maxConnections: '1', maxPendingRequests: '1', maxRequestsPerConnection: '1',
      consecutive5xxErrors: '1', interval: '1s', baseEjectionTime: '2m', maxEjectionPercent: '100',
    },
    observe: SIEGE,
  },
  {
    scenario: outlierDetection,
    defaults: { service: 'recommendation', consecutive5xxErrors: '1', interval: '5s', baseEjectionTime: '15s', maxEjectionPercent: '100', version: 'v2', replicas: '2' },
    observe: 'kubectl -n {namespace} exec deploy/recommendation-v2 -c recommendation -- curl -s localhost:8080/misbehave; ' + TUTORIAL_OBSERVE,
  },
  // The tutorial limits what preference may send to recommendation v2.
  { scenario: rateLimit, defaults: { service: 'recommendation', requests: '1', per: '1s', version: 'v2' } },
  { scenario: authzDeny, defaults: { service: 'preference', from: 'customer' } },
  { scenario: authzAllow, defaults: { rules: 'customer<*:GET;preference<customer;recommendation<preference' } },
  {
    scenario: egress,
    defaults: { hosts: 'httpbin.org:80,api.github.com:443', timeout: '', gateway: 'no' },
    observe: 'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s localhost:8080; kubectl -n {namespace} exec deploy/egressgithub -c egressgithub -- curl -s localhost:8080',
  },
];
