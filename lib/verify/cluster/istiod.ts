import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { dump, loadAll } from 'js-yaml';
import { MeshlabError } from '../../errors';
import type { Manifest } from '../../validate/manifest';
import { fields, items } from '../../validate/read';
import { LocalCluster, freePort, httpStatus } from './cluster';

/** What `istioctl install` would apply but verify:cluster leaves out: a webhook configuration names a Service, which the API server would dial. */
const NOT_APPLIED = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/**
 * Environment of the rendered istiod that would reach outside loopback or need what is not
 * here: the webhooks' configurations it would patch, and the CA that signs workload
 * certificates (no proxy asks for one).
 */
const LOCAL_ENV: Readonly<Record<string, string>> = {
  POD_NAMESPACE: 'istio-system',
  REVISION: 'default',
  PILOT_ENABLE_AMBIENT: 'true',
  VALIDATION_WEBHOOK_CONFIG_NAME: '',
  INJECTION_WEBHOOK_CONFIG_NAME: '',
  ENABLE_CA_SERVER: 'false',
};


/**
 * istiod out of the cluster: `istioctl install -f FILE` is replaced by what `istioctl manifest
 * generate -f FILE` renders (applied, but for the webhook configurations) and by pilot-discovery
 * run on loopback with the rendered mesh config and istiod's own environment, reading the
 * injection and gateway templates from the rendered `istio-sidecar-injector` ConfigMap.
 */
export class OutOfClusterIstiod {
  private profile: string | undefined;
  private generation = 0;

  public constructor(private readonly cluster: LocalCluster, private readonly istioctl: string, private readonly pilotDiscovery: string) {}

  /** The install file istiod now runs from, if any. */
  public get installed(): string | undefined {
    return this.profile;
  }

  /** Installs from an IstioOperator file as `istioctl install -f` would; nothing when that file is installed already. Returns the objects applied. */
  public async install(file: string, log: (line: string) => void): Promise<number> {
    if (this.profile === file) return 0;
    const rendered = spawnSync(this.istioctl, ['manifest', 'generate', '-f', file], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, KUBECONFIG: '/dev/null' } });
    if (rendered.status !== 0) throw new MeshlabError(`istioctl manifest generate -f ${path.basename(file)} failed: ${rendered.stderr.trim()}`);
    const objects = (loadAll(rendered.stdout) as Manifest[]).filter((m) => m && m.kind && !NOT_APPLIED.includes(m.kind));
    const dir = path.join(this.cluster.dir, `istio-${++this.generation}`);
    fs.mkdirSync(dir, { recursive: true });
    const manifest = path.join(dir, 'install.yaml');
    fs.writeFileSync(manifest, objects.map((m) => dump(m, { noRefs: true })).join('---\n'));
    // The namespace first (manifest generate renders none), then everything it holds.
    this.cluster.kubectl(['create', 'namespace', 'istio-system']);
    const applied = this.cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', manifest]);
    if (applied.status !== 0) throw new MeshlabError(`applying what istioctl rendered from ${path.basename(file)} failed: ${applied.stderr.trim()}`);

    const mesh = objects.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'istio' && m.metadata.namespace === 'istio-system') as (Manifest & { data?: Record<string, string> }) | undefined;
    const istiod = objects.find((m) => m.kind === 'Deployment' && m.metadata.name === 'istiod');
    if (!mesh?.data?.mesh || !istiod) throw new MeshlabError(`istioctl rendered no istiod Deployment or istio ConfigMap from ${path.basename(file)}`);
    fs.writeFileSync(path.join(dir, 'mesh'), mesh.data.mesh);
    const containers = items(fields(fields(fields(istiod.spec).template).spec).containers).map(fields);
    const container = containers.find((c) => c.name === 'discovery');
    const env: Record<string, string> = {};
    for (const e of items(container?.env).map(fields)) if (typeof e.value === 'string' && typeof e.name === 'string') env[e.name] = e.value;

    await this.stop();
    const [httpPort, grpcPort, monitoringPort, httpsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    this.cluster.spawn('istiod', this.pilotDiscovery, [
      'discovery', '--kubeconfig', this.cluster.kubeconfig, '--meshConfig', path.join(dir, 'mesh'), '--networksConfig', path.join(dir, 'meshNetworks'),
      '--httpAddr', `127.0.0.1:${httpPort}`, '--grpcAddr', `127.0.0.1:${grpcPort}`, '--monitoringAddr', `127.0.0.1:${monitoringPort}`,
      '--httpsAddr', `127.0.0.1:${httpsPort}`, '--secureGRPCAddr', '', '--domain', 'cluster.local', '--log_output_level', 'default:info',
    ], { ...env, ...LOCAL_ENV });
    // Ready, or gone (then there is nothing to wait for).
    const ready = await this.cluster.waitFor(async () => !this.cluster.running('istiod') || (await httpStatus(`http://127.0.0.1:${httpPort}/ready`)) === 200, 120_000);
    if (!ready || !this.cluster.running('istiod')) throw new MeshlabError(`istiod did not become ready in 120 s (log: ${this.cluster.logOf('istiod')})`);
    this.profile = file;
    log(`istiod ready (installed as ${path.basename(file)} renders it)`);
    return objects.length;
  }



  /** Stops the running istiod, so that it gives up its leases before another starts. */
  public async stop(): Promise<void> {
    await this.cluster.stopOne('istiod');
  }
}
