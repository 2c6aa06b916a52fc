import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MeshlabError } from '../../errors';
import { ISTIO_MODULE_VERSION, go, goVersion, meshlabCache } from '../istioctl';

/**
 * The versions verify:cluster builds from the Go module proxy. Kubernetes is the release the
 * judges run (1.37.2); its staging modules are published as v0.37.2. etcd is the release that
 * Kubernetes 1.37 is tested with; kwok fakes the one Node and its Pods (no image is pulled).
 */
export const KUBERNETES_VERSION = 'v1.37.2';
export const ETCD_VERSION = 'v3.6.16';
export const KWOK_VERSION = 'v0.8.0';

/** Every program the local cluster runs, and kwok's stage files. */
export interface ClusterTools {
  readonly apiserver: string;
  readonly controllerManager: string;
  readonly scheduler: string;
  readonly kubectl: string;
  readonly etcd: string;
  readonly kwok: string;
  /** kwok's stages that make the Node Ready and the Pods Running and Ready. */
  readonly kwokStages: readonly string[];
  readonly pilotDiscovery: string;
}

/** The Kubernetes commands built from k8s.io/kubernetes, by the name of their binary. */
const KUBE_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];

/** kwok's stages, as its module ships them (kustomize/stage/...): a Node that is Ready and keeps its heartbeat, Pods that run. */
const KWOK_STAGES = ['node/fast/node-initialize.yaml', 'node/heartbeat/node-heartbeat.yaml', 'pod/fast/pod-ready.yaml', 'pod/fast/pod-complete.yaml', 'pod/fast/pod-delete.yaml'];

/** The istio.io/istio module's files (the snapshot istioctl and istiod are built from). */
export function istioModuleDir(): string {
  return download('istio.io/istio', ISTIO_MODULE_VERSION).dir;
}

/** `go mod download -json MODULE@VERSION`: where the module's files and its go.mod are. */
function download(module: string, version: string): { dir: string; goMod: string } {
  const run = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.status !== 0) throw new MeshlabError(`go mod download ${module}@${version} failed: ${(run.stdout || run.stderr).trim()}`);
  const info = JSON.parse(run.stdout) as { Dir: string; GoMod: string };
  return { dir: info.Dir, goMod: info.GoMod };
}

/**
 * The go.mod of a module that builds Kubernetes' commands: it requires k8s.io/kubernetes and
 * replaces each module Kubernetes' own go.mod takes from `./staging/...` by the same module at
 * the matching v0 version (the staging modules are published so), as Kubernetes' go.mod cannot
 * be used from outside its repository.
 */
export function kubernetesGoMod(kubernetesGoModText: string, version = KUBERNETES_VERSION): string {
  const staging = [...kubernetesGoModText.matchAll(/^\s*(\S+)\s+=>\s+\.\/staging\/\S+\s*$/gm)].map((m) => m[1]).sort();
  if (staging.length === 0) throw new MeshlabError(`k8s.io/kubernetes@${version}'s go.mod names no staging module`);
  const v0 = version.replace(/^v1\./, 'v0.');
  return [
    'module meshlab.local/kubernetes',
    '',
    'go 1.26.0',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${v0}`),
    ')',
    '',
  ].join('\n');
}

/** A cache folder that is complete once a `.done` file is in it: built in a staging folder beside it, then renamed. */
function cached(name: string, log: (line: string) => void, what: string, build: (staging: string) => void): string {
  const root = meshlabCache();
  const dir = path.join(root, name);
  if (fs.existsSync(path.join(dir, '.done'))) return dir;
  goVersion('verify:cluster builds Kubernetes, etcd, kwok and istiod');
  fs.mkdirSync(root, { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, `.${name}-`));
  try {
    log(`building ${what} into ${dir} (once; minutes)`);
    build(staging);
    fs.writeFileSync(path.join(staging, '.done'), `${what}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Every piece the local cluster runs, built once from the Go module proxy into meshlab's cache
 * (`~/.cache/meshlab/`), each in a folder named after its version; cold, about 14 minutes on two
 * cores, then nothing. `root` is the repository (scripts/etcd holds etcd's three-line main).
 */
export function ensureClusterTools(log: (line: string) => void, root: string): ClusterTools {
  const kube = cached(`kubernetes-${KUBERNETES_VERSION}`, log, `kube-apiserver, kube-controller-manager, kube-scheduler and kubectl ${KUBERNETES_VERSION}`, (staging) => {
    const mod = path.join(staging, 'mod');
    fs.mkdirSync(mod);
    fs.writeFileSync(path.join(mod, 'go.mod'), kubernetesGoMod(fs.readFileSync(download('k8s.io/kubernetes', KUBERNETES_VERSION).goMod, 'utf8')));
    // A file that imports the commands, so go mod tidy records what they need.
    fs.writeFileSync(path.join(mod, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${KUBE_COMMANDS.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"\n`).join('')})\n`);
    go(['mod', 'tidy'], mod, {}, 'go mod tidy for Kubernetes');
    const ldflags = `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`;
    go(['build', '-buildvcs=false', '-ldflags', ldflags, '-o', `${staging}/`, ...KUBE_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`)], mod, {}, `go build of Kubernetes ${KUBERNETES_VERSION}`);
    fs.rmSync(mod, { recursive: true, force: true });
  });
  const etcd = cached(`etcd-${ETCD_VERSION}`, log, `etcd ${ETCD_VERSION}`, (staging) => {
    const mod = path.join(staging, 'mod');
    fs.mkdirSync(mod);
    fs.copyFileSync(path.join(root, 'scripts', 'etcd', 'main.go'), path.join(mod, 'main.go'));
    fs.writeFileSync(path.join(mod, 'go.mod'), `module meshlab.local/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 ${ETCD_VERSION}\n`);
    go(['mod', 'tidy'], mod, {}, 'go mod tidy for etcd');
    go(['build', '-buildvcs=false', '-o', path.join(staging, 'etcd'), '.'], mod, {}, `go build of etcd ${ETCD_VERSION}`);
    fs.rmSync(mod, { recursive: true, force: true });
  });
  const kwok = cached(`kwok-${KWOK_VERSION}`, log, `kwok ${KWOK_VERSION}`, (staging) => {
    go(['install', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], undefined, { GOBIN: staging }, `go install sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`);
    const { dir } = download('sigs.k8s.io/kwok', KWOK_VERSION);
    for (const stage of KWOK_STAGES) fs.copyFileSync(path.join(dir, 'kustomize', 'stage', stage), path.join(staging, stage.replace(/\//g, '-')));
  });
  const istiod = cached(`pilot-discovery-${ISTIO_MODULE_VERSION}`, log, `istiod (pilot-discovery, istio.io/istio@${ISTIO_MODULE_VERSION})`, (staging) => {
    go(['install', `istio.io/istio/pilot/cmd/pilot-discovery@${ISTIO_MODULE_VERSION}`], undefined, { GOBIN: staging }, 'go install of pilot-discovery');
  });
  return {
    apiserver: path.join(kube, 'kube-apiserver'),
    controllerManager: path.join(kube, 'kube-controller-manager'),
    scheduler: path.join(kube, 'kube-scheduler'),
    kubectl: path.join(kube, 'kubectl'),
    etcd: path.join(etcd, 'etcd'),
    kwok: path.join(kwok, 'kwok'),
    kwokStages: KWOK_STAGES.map((s) => path.join(kwok, s.replace(/\//g, '-'))),
    pilotDiscovery: path.join(istiod, 'pilot-discovery'),
  };
}
