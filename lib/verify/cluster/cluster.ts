import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import { MeshlabError } from '../../errors';
import type { ClusterTools } from './tools';

/** What one kubectl run printed and returned. */
export interface KubectlRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** kubectl's commands that would connect to a Pod or a Node, which verify:cluster never runs. */
export const DIALS_A_POD: readonly string[] = ['logs', 'exec', 'port-forward', 'proxy', 'attach', 'cp', 'debug', 'run'];

/** The one fake Node kwok keeps Ready, which every Pod is scheduled to. */
export const NODE_NAME = 'kwok-node-0';

/** A free TCP port on loopback, for one of the cluster's servers. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The status of a GET on a loopback server (0 when it does not answer); https takes a self-signed certificate and a bearer token. */
export function httpStatus(url: string, token?: string): Promise<number> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * A Kubernetes control plane on loopback, from binaries built by ensureClusterTools: etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and kwok with one fake Node. Pods are
 * scheduled to the Node and kwok marks them Running and Ready; no image is pulled and no
 * container runs, so nothing ever listens on a Pod's or a Service's address.
 */
export class LocalCluster {
  private readonly processes: Array<{ readonly name: string; readonly child: ChildProcess; readonly log: string }> = [];
  public readonly kubeconfig: string;
  private server = '';
  private readonly token = crypto.randomBytes(16).toString('hex');

  public constructor(private readonly tools: ClusterTools, public readonly dir: string) {
    this.kubeconfig = path.join(dir, 'kubeconfig');
  }

  /** Starts every component and waits until the API server answers and the Node is Ready. */
  public async start(log: (line: string) => void): Promise<void> {
    const { dir } = this;
    const pki = path.join(dir, 'pki');
    fs.mkdirSync(pki, { recursive: true });
    // The key that signs ServiceAccount tokens (API server) and that the token controller uses.
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(pki, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    fs.writeFileSync(path.join(pki, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    // One static token in system:masters for every client (kubectl, the controllers, kwok, istiod).
    fs.writeFileSync(path.join(pki, 'tokens.csv'), `${this.token},meshlab-admin,meshlab-admin,system:masters\n`);

    const [etcdClient, etcdPeer, apiPort, kwokPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    this.server = `https://127.0.0.1:${apiPort}`;
    fs.writeFileSync(this.kubeconfig, [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: local\n  cluster:\n    server: ${this.server}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: admin\n  user:\n    token: ${this.token}`,
      'contexts:',
      '- name: local\n  context:\n    cluster: local\n    user: admin',
      'current-context: local',
      '',
    ].join('\n'));

    this.spawn('etcd', this.tools.etcd, [
      '--data-dir', path.join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `default=http://127.0.0.1:${etcdPeer}`, '--listen-metrics-urls', '', '--log-level', 'warn',
    ]);
    this.spawn('kube-apiserver', this.tools.apiserver, [
      '--etcd-servers', `http://127.0.0.1:${etcdClient}`,
      '--bind-address', '127.0.0.1', '--secure-port', String(apiPort), '--cert-dir', path.join(pki, 'serving'),
      // A loopback advertise address is refused unless the endpoint reconciler is off (nothing dials it).
      '--advertise-address', '127.0.0.1', '--endpoint-reconciler-type', 'none',
      '--token-auth-file', path.join(pki, 'tokens.csv'), '--authorization-mode', 'Node,RBAC',
      '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
      '--service-account-key-file', path.join(pki, 'sa.pub'), '--service-account-signing-key-file', path.join(pki, 'sa.key'),
      '--service-cluster-ip-range', '10.96.0.0/16', '--allow-privileged=true',
      // Admission as kubeadm sets it: the defaults, and NodeRestriction.
      '--enable-admission-plugins', 'NodeRestriction',
    ]);
    await this.waitReady(log);
    const common = ['--kubeconfig', this.kubeconfig, '--bind-address', '127.0.0.1', '--secure-port', '0', '--leader-elect=false'];
    this.spawn('kube-controller-manager', this.tools.controllerManager, [
      ...common, '--service-account-private-key-file', path.join(pki, 'sa.key'), '--use-service-account-credentials=false',
      '--allocate-node-cidrs=false', '--controllers', '*',
    ]);
    this.spawn('kube-scheduler', this.tools.scheduler, common);
    this.spawn('kwok', this.tools.kwok, [
      '--kubeconfig', this.kubeconfig, '--manage-all-nodes=false', '--manage-nodes-with-annotation-selector', 'kwok.x-k8s.io/node=fake',
      '--server-address', `127.0.0.1:${kwokPort}`, '--node-ip', '10.244.0.1', '--cidr', '10.244.0.0/16',
      ...this.tools.kwokStages.flatMap((s) => ['--config', s]),
    ]);
    const node = {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: NODE_NAME, annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', type: 'kwok' } },
      status: { allocatable: { cpu: '64', memory: '256Gi', pods: '250' }, capacity: { cpu: '64', memory: '256Gi', pods: '250' } },
    };
    const created = this.kubectl(['apply', '-f', '-'], JSON.stringify(node));
    if (created.status !== 0) throw new MeshlabError(`the fake Node could not be created: ${created.stderr.trim()}`);
    const ready = this.kubectl(['wait', '--for=condition=Ready', `node/${NODE_NAME}`, '--timeout=60s']);
    if (ready.status !== 0) throw new MeshlabError(`kwok did not make the Node Ready: ${ready.stderr.trim()} (log: ${this.logOf('kwok')})`);
    const sa = await this.waitFor(() => this.kubectl(['-n', 'default', 'get', 'serviceaccount', 'default']).status === 0, 60_000);
    if (!sa) throw new MeshlabError(`kube-controller-manager made no default ServiceAccount (log: ${this.logOf('kube-controller-manager')})`);
  }

  /** Starts a component in its own process group, its output in `<dir>/<name>.log`. */
  public spawn(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): void {
    const log = path.join(this.dir, `${name}.log`);
    const out = fs.openSync(log, 'a');
    const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    fs.closeSync(out);
    child.on('error', () => undefined);
    this.processes.push({ name, child, log });
  }

  /** The log file of a component. */
  public logOf(name: string): string {
    return this.processes.find((p) => p.name === name)?.log ?? path.join(this.dir, `${name}.log`);
  }

  /** Whether a component is still running. */
  public running(name: string): boolean {
    const p = this.processes.find((x) => x.name === name);
    return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  }

  /** Runs kubectl against the cluster (never logs, exec, port-forward, proxy or attach: nothing may dial a Pod). */
  public kubectl(args: readonly string[], input?: string, cwd?: string): KubectlRun {
    if (args.some((a) => DIALS_A_POD.includes(a))) {
      throw new Error(`kubectl ${args.join(' ')} would dial a Pod; verify:cluster never runs it`);
    }
    const run = spawnSync(this.tools.kubectl, ['--kubeconfig', this.kubeconfig, ...args], { input, cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
    return { status: run.status ?? 1, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
  }

  /** Polls `check` every half second until it holds or `ms` pass. */
  public async waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await check()) return true;
      await sleep(500);
    }
    return check();
  }

  private async waitReady(log: (line: string) => void): Promise<void> {
    const ok = await this.waitFor(async () => (await httpStatus(`${this.server}/readyz`, this.token)) === 200, 90_000);
    if (!ok) {
      const tail = (name: string) => fs.readFileSync(this.logOf(name), 'utf8').split('\n').slice(-5).join(' | ');
      throw new MeshlabError(`kube-apiserver did not become ready in 90 s: ${tail('kube-apiserver')} / etcd: ${tail('etcd')}`);
    }
    log(`kube-apiserver ready at ${this.server}`);
  }



  /** Stops one component (SIGTERM, so it can give up its leases), and forgets it. */
  public async stopOne(name: string): Promise<void> {
    const p = this.processes.find((x) => x.name === name);
    if (p === undefined) return;
    if (p.child.pid !== undefined && this.running(name)) {
      try {
        process.kill(-p.child.pid, 'SIGTERM');
      } catch {
        // Gone already.
      }
      if (!(await this.waitFor(() => !this.running(name), 20_000))) {
        try {
          process.kill(-p.child.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    this.processes.splice(this.processes.indexOf(p), 1);
  }

  /** Stops every component (the whole process group of each), last started first, and removes the folder. */
  public async stop(keep = false): Promise<void> {
    for (const p of [...this.processes].reverse()) {
      if (p.child.pid === undefined) continue;
      try {
        process.kill(-p.child.pid, 'SIGTERM');
      } catch {
        // Gone already.
      }
    }
    await this.waitFor(() => this.processes.every((p) => !this.running(p.name)), 10_000);
    for (const p of this.processes) {
      if (p.child.pid !== undefined && this.running(p.name)) {
        try {
          process.kill(-p.child.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
