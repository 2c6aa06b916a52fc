import { Construct } from 'constructs';
import { Flavour } from '../mesh/flavour';
import { MeshLab } from '../mesh/lab';
import { SecurityProfile } from '../mesh/security';
import { canary, metrics, requestsByVersion, route } from '../scenarios/catalog';
import { Preset, preset } from '../scenarios/engine';
import { CURL_IMAGE, LabContext, LabOptions, SampleImage, SampleImageUse } from './options';

/**
 * The flask demo of 深入浅出Istio: flaskapp v1 and v2 on port 7777 and the `sleep` client
 * (httpie and curl) with the Service the tutorial gives every meshed pod.
 */
export function flask(scope: Construct, options?: LabOptions): MeshLab {
  const ctx = new LabContext('flask', options);
  const lab = new MeshLab(scope, 'flask', { namespace: ctx.namespace('istio-app'), images: (w, seed) => ctx.image(w, seed), flavour: ctx.flavour });

  const flaskapp = lab.addService('flaskapp', {
    port: 7777,
    container: {
      resources: { cpu: 50, memory: 64, memoryLimit: 128 },
      // The image does not name a user; port 7777 needs no capability, so it keeps none.
      security: SecurityProfile.root('image runs as root (no USER)'),
    },
  });
  for (const version of ['v1', 'v2']) {
    ctx.addVersion(flaskapp, version, 'dustise/flaskapp', { env: { version } });
  }

  const sleep = lab.addClient('sleep', {
    kind: 'deployment',
    servicePort: 80,
    container: {
      image: ctx.image('sleep', ctx.sample(FLASK_SLEEP_IMAGE)),
      command: ctx.classic ? ['sleep', '3650d'] : [...FLASK_SLEEP_IMAGE.command!],
      resources: { cpu: 10, memory: 32, memoryLimit: 64 },
      // dustise/sleep names no user, and httpie keeps its configuration in the home folder;
      // curlimages/curl runs as its curl_user (uid 100) and writes nothing.
      security: ctx.classic
        ? SecurityProfile.root('image runs as root (no USER); httpie writes its config under $HOME')
        : SecurityProfile.nonRoot(100, { readOnlyRootFilesystem: true }),
    },
  });

  sleep.calls(flaskapp);

  lab.node.addValidation({ validate: () => ctx.unknownKeys() });
  return lab;
}

/** The tutorial's sleep client (dustise/sleep, with httpie) in the classic flavour; Istio's curl sample in the others. */
const FLASK_SLEEP_IMAGE: SampleImage = { ...CURL_IMAGE, classic: 'dustise/sleep' };

/** The lab's workloads whose images the new flavours take from Istio's current samples. */
export const FLASK_SAMPLES: readonly SampleImageUse[] = [{ lab: 'flask', workload: 'sleep', image: FLASK_SLEEP_IMAGE }];

/**
 * The tutorial's loop from the sleep client: 100 calls, each answering its version. The classic
 * flavour's client has httpie (`http --body`); curlimages/curl has curl, whose answer needs a newline.
 */
export const FLASK_OBSERVE = (flavour: Flavour) => (flavour.seedImages
  ? "kubectl -n {namespace} exec deploy/sleep -c sleep -- sh -c 'for i in $(seq 100); do http --body http://flaskapp:7777/env/version; done'"
  : "kubectl -n {namespace} exec deploy/sleep -c sleep -- sh -c 'for i in $(seq 100); do curl -s http://flaskapp:7777/env/version; echo; done'");

/** Everything to v2 (then, with --set route.version=v1, to v1); a canary for the split in between. */
export const FLASK_SCENARIOS: readonly Preset[] = [
  preset({ scenario: route, defaults: { service: 'flaskapp', version: 'v2' } }),
  preset({ scenario: canary, defaults: { service: 'flaskapp', weights: [{ version: 'v1', weight: 50 }, { version: 'v2', weight: 50 }] } }),
  // Most requests to v2, the version the tutorial moves to, read back from Istio's metrics: a minute of calls, a scrape, then the query.
  preset({
    scenario: metrics,
    defaults: { service: 'flaskapp', weights: [{ version: 'v1', weight: 10 }, { version: 'v2', weight: 90 }] },
    observe: [
      "kubectl -n {namespace} exec deploy/sleep -c sleep -- sh -c 'for i in $(seq 120); do curl -s -o /dev/null http://flaskapp:7777/env/version; sleep .5; done'",
      'sleep 20',
      `kubectl -n {namespace} exec deploy/sleep -c sleep -- curl -sG http://prometheus.istio-system:9090/api/v1/query --data-urlencode 'query=${requestsByVersion('{service}')}'`,
    ],
  }),
];
