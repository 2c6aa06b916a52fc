import { Duration } from 'cdk8s';
import { egressLog, podIpCall, proxyLog } from '../mesh/command';
import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { MeshService } from '../mesh/service';
import { Match } from '../mesh/routing';
import { SecurityProfile } from '../mesh/security';
import { authzAllow, authzDeny, canary, circuitBreaker, egress, egressGateway, faultAbort, faultDelay, headerRoute, ingressTls, loadBalancer, metrics, mirror, outlierDetection, rateLimit, requestsByVersion, retry, route, timeout } from '../scenarios/catalog';
import { Preset, preset } from '../scenarios/engine';
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
    // The seed's customer and preference catch a failed call and answer 503 with its status and
    // body after their name (the tutorial shows `customer => 503 preference => 503 fault filter abort`).
    relaysFailures: { status: 503, body: (status, body) => `${name} => ${status} ${body}` },
  });
}

const image = (name: string, version: string) => `jimmysong/istio-tutorial-${name}:${version}`;

/**
 * Jimmy Song's Istio tutorial: customer -> preference -> recommendation (v1, v2), the
 * customer behind the ingress gateway at `/customer`, and the egress test services.
 */
export function tutorial(scope: Construct, options?: LabOptions): MeshLab {
  const ctx = new LabContext('tutorial', options);
  const lab = new MeshLab(scope, 'tutorial', { namespace: ctx.namespace('istio-tutorial'), images: (w, seed) => ctx.image(w, seed), flavour: ctx.flavour });

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
export const TUTORIAL_OBSERVE = 'while true; do curl -s http://$INGRESS_HOST:$INGRESS_PORT/customer; sleep .1; done';

/** Asks Istio's Prometheus addon (Service prometheus, port 9090, in istio-system) for the last minute's requests to `{service}` by version. */
const QUERY = `kubectl -n {namespace} exec deploy/customer -c customer -- curl -sG http://prometheus.istio-system:9090/api/v1/query --data-urlencode 'query=${requestsByVersion('{service}')}'`;

/** Ten calls to the customer, each answer with its time. */
const TIMED = 'for i in $(seq 10); do curl -s -w " (%{time_total}s)\\n" http://$INGRESS_HOST:$INGRESS_PORT/customer; done';

/**
 * The tutorial's siege is not part of the lab: fortio, run once as a pod without a sidecar
 * (the circuit breaker acts in preference's sidecar, which calls recommendation), loads the customer.
 */
const FORTIO = 'kubectl -n {namespace} run fortio --rm -i --restart=Never --image=istio/fortio:latest_release --labels=sidecar.istio.io/inject=false -- '
  + 'load -c 20 -qps 0 -n 200 -loglevel Warning http://customer:8080/';

/** A call from one of the lab's Deployments to a service, printing the answer and its status. */
const callFrom = (deployment: string, service: string, container = deployment) =>
  `kubectl -n {namespace} exec deploy/${deployment} -c ${container} -- curl -s -w " %{http_code}\\n" http://${service}:8080`;

/** One recommendation v2 pod, named so that the same pod can be made to behave again. */
const POD = "POD=$(kubectl -n {namespace} get pod -l app=recommendation,version=v2 -o jsonpath='{.items[0].metadata.name}')";

/** The tutorial's steps, all on recommendation unless noted, with its numbers. */
export const TUTORIAL_SCENARIOS: readonly Preset[] = [
  preset({ scenario: route, defaults: { service: 'recommendation', version: 'v2' } }),
  preset({ scenario: canary, defaults: { service: 'recommendation', weights: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] } }),
  preset({
    scenario: headerRoute,
    // The seed images forward the caller's User-Agent to recommendation.
    defaults: { service: 'recommendation', header: 'user-agent', regex: '.*Safari.*', version: 'v2', fallback: 'v1', weights: undefined },
    observe: [
      "curl -s -A 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15' http://$INGRESS_HOST:$INGRESS_PORT/customer",
      'curl -s http://$INGRESS_HOST:$INGRESS_PORT/customer',
    ],
  }),
  preset({
    scenario: mirror,
    defaults: { service: 'recommendation', version: 'v1', mirror: 'v2', percent: 100 },
    observe: [TIMED, proxyLog('-l app={service},version={mirror}', '--tail=5')],
  }),
  preset({ scenario: faultAbort, defaults: { service: 'recommendation', status: 503, percent: 50 }, observe: TIMED }),
  preset({ scenario: faultDelay, defaults: { service: 'recommendation', delay: Duration.seconds(7), percent: 50 }, observe: TIMED }),
  // The tutorial rebuilt v2 to sleep 3s; here v2's own sidecar holds its answers 3s. The other
  // flavours write no EnvoyFilter: as istio.io's request-timeouts task does, preference's route
  // times out after 1s while recommendation's route, one hop below, delays half its requests 3s.
  preset({
    scenario: timeout,
    defaults: { service: 'recommendation', timeout: Duration.seconds(1), delay: Duration.seconds(3), delayVersion: 'v2' },
    observe: TIMED,
    inFlavour: (f) => (f.seedImages ? undefined : { defaults: { service: 'preference', delayVersion: undefined, delayBelow: 'recommendation', delayPercent: 50 } }),
  }),
  // The classic flavour fails half the requests in recommendation's own sidecar (an EnvoyFilter);
  // the others use the tutorial's own /misbehave, as its retry lab does: v2's pod answers 503 until /behave.
  preset({
    scenario: retry,
    defaults: { service: 'recommendation', attempts: 3, perTryTimeout: Duration.seconds(2), retryOn: '5xx,connect-failure,refused-stream', abort: 50 },
    observe: [TIMED, proxyLog('-l app={service}', '--tail=20')],
    inFlavour: (f) => (f.seedImages ? undefined : {
      defaults: { abort: undefined },
      observe: [POD, 'kubectl -n {namespace} exec $POD -c recommendation -- curl -s localhost:8080/misbehave', TIMED],
      undo: [POD, 'kubectl -n {namespace} exec $POD -c recommendation -- curl -s localhost:8080/behave'],
      expect: () => "After /misbehave, recommendation v2's pod answers every request with 503; each one is retried on another pod"
        + " (Istio's retries skip the hosts already tried: pilot/pkg/networking/core/route/retry/retry.go, previous_hosts), so every answer comes from recommendation v1 and no 503 reaches the customer;"
        + ' no EnvoyFilter is needed, the image fails on request',
    }),
  }),
  preset({ scenario: loadBalancer, defaults: { service: 'recommendation', policy: 'RANDOM', version: 'v1', replicas: 2, hashHeader: undefined, subset: undefined } }),
  preset({
    scenario: circuitBreaker,
    defaults: {
      service: 'recommendation', maxConnections: 1, maxPendingRequests: 1, maxRequestsPerConnection: 1,
      consecutive5xxErrors: 1, interval: Duration.seconds(1), baseEjectionTime: Duration.minutes(2), maxEjectionPercent: 100,
    },
    observe: [FORTIO, proxyLog('deploy/preference', '--tail=5')],
  }),
  preset({
    scenario: outlierDetection,
    defaults: { service: 'recommendation', consecutive5xxErrors: 1, interval: Duration.seconds(5), baseEjectionTime: Duration.seconds(15), maxEjectionPercent: 100, version: 'v2', replicas: 2 },
    // The tutorial's /misbehave: this pod answers 503 until /behave (in the revert).
    observe: [POD, 'kubectl -n {namespace} exec $POD -c recommendation -- curl -s localhost:8080/misbehave', TUTORIAL_OBSERVE],
    undo: [POD, 'kubectl -n {namespace} exec $POD -c recommendation -- curl -s localhost:8080/behave'],
  }),
  // The tutorial limits what preference may send to recommendation v2: ten calls at once from preference show it.
  preset({
    scenario: rateLimit,
    defaults: { service: 'recommendation', requests: 1, per: Duration.seconds(1), version: 'v2' },
    observe: [
      TIMED,
      "kubectl -n {namespace} exec deploy/preference -c preference -- curl -si 'http://recommendation:8080/?[1-10]' | grep -i -e '^HTTP/' -e '^x-local-rate-limit' -e 'recommendation v'",
    ],
  }),
  // Customer's own call shows the 403 itself; the loop through the ingress shows customer's answer.
  // In ambient mode the same call to a preference pod's own IP shows ztunnel refusing what skips the waypoint.
  preset({ scenario: authzDeny, defaults: { service: 'preference', from: ['customer'] }, observe: [callFrom('customer', 'preference'), podIpCall('deploy/customer', 'customer', 'preference', 8080), TUTORIAL_OBSERVE] }),
  // recommendation may call no one: its call to preference shows a call the rules leave out.
  preset({
    scenario: authzAllow,
    defaults: { rules: [{ to: 'customer', methods: ['GET'] }, { to: 'preference', from: ['customer'] }, { to: 'recommendation', from: ['preference'] }] },
    observe: [callFrom('recommendation-v1', 'preference', 'recommendation'), podIpCall('deploy/customer', 'customer', 'preference', 8080), TUTORIAL_OBSERVE],
  }),
  preset({
    scenario: egress,
    defaults: { hosts: ['httpbin.org:80', 'api.github.com:443'], timeout: undefined },
    // The egress test services call httpbin.org and api.github.com when called; example.com has no ServiceEntry (HTTP and HTTPS).
    observe: [
      'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s localhost:8080',
      'kubectl -n {namespace} exec deploy/egressgithub -c egressgithub -- curl -s localhost:8080',
      'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s -o /dev/null -w "%{http_code}\\n" http://httpbin.org/headers',
      'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s -o /dev/null -w "%{http_code}\\n" http://example.com/',
      'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s -o /dev/null -w "%{http_code}\\n" https://example.com/',
    ],
  }),
  // istio.io's egress gateway with TLS origination (ambient: the egress waypoint), from the egress test service's container.
  preset({
    scenario: egressGateway,
    defaults: { host: 'httpbin.org', tls: 'yes', methods: ['GET'] },
    observe: [
      'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s http://{host}/get',
      'kubectl -n {namespace} exec deploy/egresshttpbin -c egresshttpbin -- curl -s -o /dev/null -w "%{http_code}\\n" -X POST http://{host}/post',
      egressLog('{host}', '--tail=2'),
    ],
  }),
  // HTTPS at the ingress, as istio.io's secure-ingress task and the polyglot lab do: a certificate made for the step, the customer over TLS.
  preset({
    scenario: ingressTls,
    defaults: { credentialName: 'customer-credential', host: 'customer.example.com' },
    observe: 'curl -s --cacert {host}.crt --resolve {host}:$SECURE_INGRESS_PORT:$INGRESS_HOST https://{host}:$SECURE_INGRESS_PORT/customer',
  }),
  // The canary's 90/10, read back from Istio's metrics: a minute of traffic, a scrape, then the query.
  preset({
    scenario: metrics,
    defaults: { service: 'recommendation', weights: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] },
    observe: ['for i in $(seq 120); do curl -s -o /dev/null http://$INGRESS_HOST:$INGRESS_PORT/customer; sleep .5; done', 'sleep 20', QUERY],
  }),
];
