import { Duration } from 'cdk8s';
import { egressLog, podIpCall, proxyLog } from '../mesh/command';
import { Construct } from 'constructs';
import { MeshLab } from '../mesh/lab';
import { Protocol } from '../mesh/protocol';
import { Match } from '../mesh/routing';
import { SecurityProfile } from '../mesh/security';
import { Resources } from '../mesh/workload';
import { DEMO_ISSUER, demoJwtFile, authzAllow, authzDeny, canary, circuitBreaker, connectionPool, cors, egress, egressGateway, faultAbort, faultDelay, headerRoute, ingressTls, jwt, loadBalancer, metrics, mirror, mtls, rateLimit, redirect, requestHeaders, requestsByVersion, retry, rewrite, route, tcpRoute, tcpShift, timeout } from '../scenarios/catalog';
import { Preset, preset } from '../scenarios/engine';
import { parseIstioDuration } from '../istio/duration';
import { CURL_IMAGE, HTTPBIN_IMAGE, LabContext, LabOptions, SampleImageUse } from './options';

const SEED_REGISTRY = 'registry.cn-shanghai.aliyuncs.com/istio-lab';

/** Requests 50m/50Mi, limits 100m/100Mi: the book's size for every app. */
const APP_RESOURCES: Resources = { cpu: 50, memory: 50, cpuLimit: 100, memoryLimit: 100 };
const CLIENT_RESOURCES: Resources = { cpu: 10, memory: 16, memoryLimit: 32 };

// Every app image listens on port 80 as root: binding a port below 1024 needs root (or
// NET_BIND_SERVICE), so each keeps only that capability.
const PORT_80_AS_ROOT = SecurityProfile.root('listens on port 80 as root', 'NET_BIND_SERVICE');
// nginx and OpenResty start as root, bind port 80, chown their cache folders and switch the
// workers to an unprivileged user: those four capabilities and no other.
const NGINX_AS_ROOT = SecurityProfile.root(
  'nginx master binds port 80 as root and switches workers to its own user',
  'CHOWN', 'SETGID', 'SETUID', 'NET_BIND_SERVICE',
);
/** The curl clients only sleep and exec curl: any user, read-only root. */
const CURL_CLIENT = SecurityProfile.nonRoot(65534, { readOnlyRootFilesystem: true });

/** The book's apps: every one serves `/env` on port 80, v1 and v2 in different stacks. */
const APPS: ReadonlyArray<{ readonly name: string; readonly versions: readonly string[]; readonly security: SecurityProfile }> = [
  { name: 'service-js', versions: ['v1', 'v2'], security: NGINX_AS_ROOT },
  { name: 'service-python', versions: ['v1', 'v2'], security: PORT_80_AS_ROOT },
  { name: 'service-lua', versions: ['v1', 'v2'], security: NGINX_AS_ROOT },
  { name: 'service-node', versions: ['v1', 'v2'], security: PORT_80_AS_ROOT },
  { name: 'service-go', versions: ['v1', 'v2'], security: PORT_80_AS_ROOT },
  { name: 'service-redis', versions: ['v1'], security: PORT_80_AS_ROOT },
];

/**
 * The polyglot book lab (《Istio入门与实战》): five apps in v1 and v2 behind
 * `istio-lab-gateway`, plus redis, httpbin and the client pods the book execs into.
 */
export function polyglot(scope: Construct, options?: LabOptions): MeshLab {
  const ctx = new LabContext('polyglot', options);
  const lab = new MeshLab(scope, 'polyglot', { namespace: ctx.namespace('default'), images: (w, seed) => ctx.image(w, seed), flavour: ctx.flavour });

  for (const app of APPS) {
    const service = lab.addService(app.name, {
      port: 80,
      container: { resources: APP_RESOURCES, security: app.security },
      // The front end is one version at a time: React (v1) until a step switches to Vue (v2).
      defaultVersion: app.name === 'service-js' ? 'v1' : undefined,
    });
    for (const version of app.versions) ctx.addVersion(service, version, `${SEED_REGISTRY}/${app.name}:${version}`);
  }

  const redis = lab.addService('redis', {
    port: 6379,
    protocol: Protocol.REDIS,
    // The image's redis user (uid 999, gid 1000); its entrypoint skips the root-only chown.
    container: { resources: APP_RESOURCES, security: SecurityProfile.nonRoot(999, { group: 1000 }) },
  });
  ctx.addVersion(redis, 'v1', 'redis:5-alpine');

  // The new flavours use Istio's current httpbin sample, on 8080 behind the same Service port.
  const httpbin = lab.addService('httpbin', {
    port: 8000,
    targetPort: ctx.classic ? undefined : HTTPBIN_IMAGE.port,
    // citizenstig/httpbin listens on 8000, go-httpbin on 8080; neither image names a user, so it runs as root without capabilities.
    container: { resources: APP_RESOURCES, security: SecurityProfile.root('image runs as root (no USER)') },
  });
  ctx.addVersion(httpbin, 'v1', ctx.sample(HTTPBIN_IMAGE));

  // The book's call graph: python fans out to lua and node, node calls go, service-redis reads redis.
  lab.service('service-python').calls(lab.service('service-lua'), lab.service('service-node'));
  lab.service('service-node').calls(lab.service('service-go'));
  lab.service('service-redis').calls(redis);

  const dnsTest = lab.addClient('dns-test', {
    container: {
      image: ctx.image('dns-test', 'radial/busyboxplus:curl'),
      command: ['sh', '-c', 'while true; do sleep 3600; done'],
      resources: CLIENT_RESOURCES,
      security: CURL_CLIENT,
    },
  });
  const sleep = lab.addClient('sleep', {
    container: {
      image: ctx.image('sleep', ctx.sample(CURL_IMAGE)),
      command: ctx.classic ? ['sleep', '3650d'] : [...CURL_IMAGE.command!],
      resources: CLIENT_RESOURCES,
      security: CURL_CLIENT,
    },
  });
  lab.addClient('fortio', {
    container: {
      image: ctx.image('fortio', 'istio/fortio:latest_release'),
      ports: [{ number: 8080, name: 'http-fortio' }, { number: 8079, name: 'grpc-ping' }],
      // The book's limits (500m/500Mi); the requests stay small so the lab fits its cluster.
      resources: { cpu: 50, memory: 64, cpuLimit: 500, memoryLimit: 500 },
      // The fortio image does not name a user; it writes results under /var/lib/fortio as root.
      security: SecurityProfile.root('image runs as root (no USER) and writes /var/lib/fortio'),
    },
  });

  // The book curls service-go from dns-test and httpbin from sleep.
  dnsTest.calls(lab.service('service-go'));
  sleep.calls(httpbin);

  const gateway = lab.addGateway('istio-lab-gateway');
  gateway.addRoutes('istio-lab', [
    { match: [Match.prefix('/env')], to: [{ destination: lab.service('service-python') }] },
    { to: [{ destination: lab.service('service-js') }] },
  ]);

  lab.node.addValidation({ validate: () => ctx.unknownKeys() });
  return lab;
}

/** The lab's workloads whose images the new flavours take from Istio's current samples. */
export const POLYGLOT_SAMPLES: readonly SampleImageUse[] = [
  { lab: 'polyglot', workload: 'httpbin-v1', image: HTTPBIN_IMAGE },
  { lab: 'polyglot', workload: 'sleep', image: CURL_IMAGE },
];

/** How the book watches a service: ten calls from the dns-test pod. */
export const POLYGLOT_OBSERVE = "kubectl -n {namespace} exec dns-test -c dns-test -- sh -c 'for i in $(seq 10); do curl -s http://{service}/env; echo; done'";

/** Ten calls from dns-test, each printing its status and time. */
const TIMED = 'kubectl -n {namespace} exec dns-test -c dns-test -- sh -c \'for i in $(seq 10); do curl -s -o /dev/null -w "%{http_code} %{time_total}s\\n" http://{service}/env; done\'';
/** From the sleep client, with status only. */
const FROM_SLEEP = 'kubectl -n {namespace} exec sleep -c sleep -- curl -s -o /dev/null -w "%{http_code}\\n"';

/** Whether a duration as the command line writes it (`500ms`) is at least `ms` long. */
function slowerThan(text: string, ms: number): boolean {
  const duration = parseIstioDuration(text);
  return typeof duration !== 'string' && duration.toMilliseconds() >= ms;
}
/** fortio's load from its own pod: concurrency, then requests. */
const fortio = (c: number, n: number) => `kubectl -n {namespace} exec fortio -c fortio -- fortio load -c ${c} -qps 0 -n ${n} -loglevel Warning http://{service}/env`;
/** The access log of the fortio pod's sidecar, where overflowing requests show as 503 UO. */
const FORTIO_LOG = proxyLog('fortio', '--tail=5');

/** The book's steps (istio/route, fault, resilience, security), with its numbers. */
export const POLYGLOT_SCENARIOS: readonly Preset[] = [
  preset({ scenario: route, defaults: { service: 'service-go', version: 'v1' } }),
  preset({ scenario: canary, defaults: { service: 'service-go', weights: [{ version: 'v1', weight: 70 }, { version: 'v2', weight: 30 }] } }),
  preset({
    scenario: headerRoute,
    defaults: { service: 'service-js', header: 'user-agent', regex: '.*?(Firefox).*?', version: 'v2', fallback: 'v1', weights: undefined },
    observe: [
      "curl -s -A 'Mozilla/5.0 Firefox/120.0' http://$INGRESS_HOST:$INGRESS_PORT/ | grep -io 'vue\\|react'",
      "curl -s http://$INGRESS_HOST:$INGRESS_PORT/ | grep -io 'vue\\|react'",
    ],
  }),
  preset({
    scenario: mirror,
    defaults: { service: 'service-go', version: 'v1', mirror: 'v2', percent: 100 },
    observe: [POLYGLOT_OBSERVE, proxyLog('-l app={service},version={mirror}', '--tail=5')],
  }),
  preset({ scenario: faultAbort, defaults: { service: 'service-go', status: 500, percent: 50 }, observe: TIMED }),
  preset({ scenario: faultDelay, defaults: { service: 'service-go', delay: Duration.seconds(5), percent: 30 }, observe: TIMED }),
  // service-node v2 answers after 1s (in its own sidecar), beyond the 500ms timeout. With Istio's
  // current samples httpbin waits on request (/delay/5): no EnvoyFilter, so ambient has the step too.
  preset({
    scenario: timeout,
    defaults: { service: 'service-node', timeout: Duration.millis(500), delay: Duration.seconds(1), delayVersion: 'v2' },
    observe: TIMED,
    inFlavour: (f) => (f.seedImages ? undefined : {
      defaults: { service: 'httpbin', delay: undefined, delayVersion: undefined },
      observe: 'for d in 0 5; do kubectl -n {namespace} exec sleep -c sleep -- curl -s -o /dev/null -w "/delay/$d: %{http_code} after %{time_total}s\\n" http://httpbin:8000/delay/$d; done',
      expect: (t) => `The lab's httpbin (go-httpbin) answers /delay/0 at once (200) and /delay/5 after 5s${slowerThan(t.timeout, 5000) ? ', which is within the timeout: give timeout.timeout under 5s to see the 504' : `, longer than the ${t.timeout} timeout: that call gets 504 after ${t.timeout}`}; no EnvoyFilter is needed, the image waits on request`,
    }),
  }),
  // service-node's own sidecar fails half its requests; with Istio's current samples httpbin
  // fails on request (/status/503:50,200:50: go-httpbin picks the status by weight).
  preset({
    scenario: retry,
    defaults: { service: 'service-node', attempts: 3, perTryTimeout: Duration.seconds(2), retryOn: '5xx,connect-failure,refused-stream', abort: 50 },
    observe: [TIMED, proxyLog('-l app={service}', '--tail=20')],
    inFlavour: (f) => (f.seedImages ? undefined : {
      defaults: { service: 'httpbin', abort: undefined },
      observe: `kubectl -n {namespace} exec sleep -c sleep -- sh -c 'for i in $(seq 20); do curl -s -o /dev/null -w "%{http_code}\\n" "http://httpbin:8000/status/503:50,200:50"; done' | sort | uniq -c`,
      expect: (t) => `The lab's httpbin (go-httpbin) answers /status/503:50,200:50 with 503 half the time; each failed call is retried, so of the 20 calls about ${Math.round(20 * 0.5 ** (Number(t.attempts) + 1))} still end in 503 (about 10 would without the step); no EnvoyFilter is needed, the image fails on request`,
    }),
  }),
  preset({
    scenario: loadBalancer,
    defaults: { service: 'service-go', policy: 'ROUND_ROBIN', version: 'v2', replicas: 2, hashHeader: undefined, subset: undefined },
    // The answers need not name the pod: the sidecars' access logs, prefixed with the pod, do.
    observe: [POLYGLOT_OBSERVE, proxyLog('-l app={service}', '--tail=4 --prefix')],
  }),
  preset({
    scenario: connectionPool,
    defaults: { service: 'service-go', maxConnections: 10, connectTimeout: Duration.millis(30), http2MaxRequests: 10, maxPendingRequests: 5, maxRequestsPerConnection: 2, maxRetries: 3 },
    observe: [fortio(30, 300), FORTIO_LOG],
  }),
  preset({
    scenario: circuitBreaker,
    defaults: {
      service: 'service-go', maxConnections: 10, maxPendingRequests: 10, maxRequestsPerConnection: undefined, http2MaxRequests: 10,
      consecutive5xxErrors: 3, interval: Duration.seconds(3), baseEjectionTime: Duration.minutes(3), maxEjectionPercent: 100,
    },
    // fortio is the book's load tool and a pod of this lab: 30 connections at once overflow 10 + 10.
    observe: [fortio(30, 300), FORTIO_LOG],
  }),
  preset({
    scenario: rateLimit,
    defaults: { service: 'service-go', requests: 50, per: Duration.seconds(1), version: undefined },
    observe: [
      'kubectl -n {namespace} exec fortio -c fortio -- fortio load -c 4 -qps 200 -t 5s -loglevel Warning http://{service}/env',
      // curl's URL range sends 60 requests at once on one connection, more than the 50 a second allows.
      "kubectl -n {namespace} exec dns-test -c dns-test -- curl -si 'http://{service}/env?[1-60]' | grep -i -e '^HTTP/' -e '^x-local-rate-limit' | sort | uniq -c",
    ],
  }),
  preset({
    // The book's matrix: STRICT in foo, then every sleep calls every httpbin.
    scenario: mtls,
    defaults: { mode: 'STRICT', scope: 'namespace', service: undefined, namespace: 'foo', matrix: 'yes' },
    observe: 'for from in foo bar legacy; do for to in foo bar legacy; do kubectl -n $from exec deploy/sleep -c sleep -- curl -s -o /dev/null -w "sleep.$from to httpbin.$to: %{http_code}\\n" http://httpbin.$to:8000/ip; done; done',
  }),
  // service-node calls service-go: its answer, and its sidecar's log of the call, show the 403 it gets.
  preset({
    scenario: authzDeny,
    defaults: { service: 'service-go', from: ['service-node'] },
    observe: ['kubectl -n {namespace} exec dns-test -c dns-test -- curl -s http://service-node/env', proxyLog('-l app=service-node', '--tail=4'), podIpCall('dns-test', 'dns-test', 'service-go', 80)],
  }),
  preset({
    scenario: authzAllow,
    defaults: { rules: [{ to: 'service-js', methods: ['GET'] }, { to: 'service-python', methods: ['GET'] }, { to: 'service-lua', from: ['service-python'], methods: ['GET'] }, { to: 'service-node', from: ['service-python'], methods: ['GET'] }, { to: 'service-go', from: ['service-node'], methods: ['GET'] }, { to: 'service-redis', from: ['service-python'], methods: ['GET'] }, { to: 'redis', from: ['service-redis'] }] },
    observe: ['curl -s http://$INGRESS_HOST:$INGRESS_PORT/env', 'kubectl -n {namespace} exec dns-test -c dns-test -- curl -s http://service-go/env', podIpCall('dns-test', 'dns-test', 'service-go', 80)],
  }),
  preset({
    scenario: jwt,
    defaults: { service: 'httpbin', issuer: DEMO_ISSUER, jwksUri: undefined, header: 'Authorization', param: undefined },
    observe: [
      `TOKEN=$(curl -s ${demoJwtFile('{istioRelease}', 'demo.jwt')})`,
      `${FROM_SLEEP} http://httpbin:8000/headers`,
      `${FROM_SLEEP} -H "{header}: Bearer not-a-token" http://httpbin:8000/headers`,
      `${FROM_SLEEP} -H "{header}: Bearer $TOKEN" http://httpbin:8000/headers`,
      // Ambient only: past the waypoint, which validates the token, ztunnel refuses the call.
      podIpCall('sleep', 'sleep', 'httpbin', HTTPBIN_IMAGE.port!),
    ],
  }),
  preset({
    scenario: egress,
    defaults: { hosts: ['httpbin.org:80', 'www.baidu.com:443'], timeout: Duration.seconds(3) },
    observe: [
      `${FROM_SLEEP} http://httpbin.org/headers`,
      `${FROM_SLEEP} https://www.baidu.com/`,
      // httpbin.org/delay/5 answers after 5s: the 3s timeout answers 504 first.
      'kubectl -n {namespace} exec sleep -c sleep -- curl -s -o /dev/null -w "%{http_code} %{time_total}s\\n" http://httpbin.org/delay/5',
      `${FROM_SLEEP} http://example.com/`,
      `${FROM_SLEEP} https://example.com/`,
    ],
  }),
  // istio.io's egress gateway with TLS origination (ambient: the egress waypoint): sleep calls http://, the answer says https://.
  preset({
    scenario: egressGateway,
    defaults: { host: 'httpbin.org', tls: 'yes', methods: ['GET'] },
    observe: [
      'kubectl -n {namespace} exec sleep -c sleep -- curl -s http://{host}/get',
      'kubectl -n {namespace} exec sleep -c sleep -- curl -s -o /dev/null -w "%{http_code}\\n" -X POST http://{host}/post',
      egressLog('{host}', '--tail=2'),
    ],
  }),
  preset({
    scenario: ingressTls,
    defaults: { credentialName: 'istio-lab-credential', host: 'istio-lab.example.com' },
    observe: 'curl -s --cacert {host}.crt --resolve {host}:$SECURE_INGRESS_PORT:$INGRESS_HOST https://{host}:$SECURE_INGRESS_PORT/env',
  }),
  preset({ scenario: redirect, defaults: { service: 'service-go', from: '/v1/env', to: '/env' }, observe: 'kubectl -n {namespace} exec dns-test -c dns-test -- curl -si http://{service}/v1/env' }),
  preset({ scenario: rewrite, defaults: { service: 'service-go', prefix: '/v1/', to: '/' }, observe: 'kubectl -n {namespace} exec dns-test -c dns-test -- curl -s http://{service}/v1/env' }),
  preset({
    scenario: cors,
    defaults: { service: 'httpbin', origins: ['http://www.will.com'], methods: ['POST', 'GET'], maxAge: Duration.hours(24) },
    observe: [
      "kubectl -n {namespace} exec sleep -c sleep -- curl -si -X OPTIONS -H 'Origin: http://www.will.com' -H 'Access-Control-Request-Method: POST' http://httpbin:8000/headers | grep -i -e '^HTTP/' -e '^access-control'",
      "kubectl -n {namespace} exec sleep -c sleep -- curl -si -X OPTIONS -H 'Origin: http://other.example.com' -H 'Access-Control-Request-Method: POST' http://httpbin:8000/headers | grep -i -e '^HTTP/' -e '^access-control'",
    ],
  }),
  preset({ scenario: requestHeaders, defaults: { service: 'httpbin', name: 'X-custom-1', value: '1' }, observe: 'kubectl -n {namespace} exec sleep -c sleep -- curl -s http://httpbin:8000/headers' }),
  preset({
    scenario: tcpRoute,
    defaults: { name: 'redis-proxy', port: 16379, service: 'redis' },
    observe: 'kubectl -n {namespace} exec dns-test -c dns-test -- sh -c \'printf "PING\\r\\n" | nc -w 1 redis-proxy 16379\'',
  }),
  // istio.io's TCP traffic shifting (80/20 over tcp-echo's versions), with service-go's: ten calls, ten connections.
  preset({
    scenario: tcpShift,
    defaults: { name: 'service-go-tcp', port: 9000, service: 'service-go', weights: [{ version: 'v1', weight: 80 }, { version: 'v2', weight: 20 }] },
    observe: "kubectl -n {namespace} exec dns-test -c dns-test -- sh -c 'for i in $(seq 10); do curl -s http://{name}:{port}/env; echo; done'",
  }),
  // The canary's 70/30 on service-go, read back from Istio's metrics: a minute of calls from dns-test, a scrape, then the query.
  preset({
    scenario: metrics,
    defaults: { service: 'service-go', weights: [{ version: 'v1', weight: 70 }, { version: 'v2', weight: 30 }] },
    observe: [
      "kubectl -n {namespace} exec dns-test -c dns-test -- sh -c 'for i in $(seq 120); do curl -s -o /dev/null http://{service}/env; sleep .5; done'",
      'sleep 20',
      `kubectl -n {namespace} exec dns-test -c dns-test -- curl -sG http://prometheus.istio-system:9090/api/v1/query --data-urlencode 'query=${requestsByVersion('{service}')}'`,
    ],
  }),
];
