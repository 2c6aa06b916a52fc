import { Flavour } from '../mesh/flavour';
import type { MeshService, ServiceVersion, VersionProps } from '../mesh/service';

/** What a person can change about a lab without editing its definition. */
export interface LabOptions {
  /** Namespace of the lab. @default the lab's own (docs/labs.md) */
  readonly namespace?: string;
  /**
   * Registry that replaces the registry of every seed image, for clusters that pull
   * through a mirror: `registry.cn-shanghai.aliyuncs.com/istio-lab/service-go:v1` becomes
   * `<registry>/istio-lab/service-go:v1`, `redis:5-alpine` becomes `<registry>/redis:5-alpine`.
   * @default the seed images' registries
   */
  readonly registry?: string;
  /** Image per workload (Deployment or Pod name), instead of the seed image. @default seed images */
  readonly images?: Readonly<Record<string, string>>;
  /** Replicas per Deployment name. @default the lab's (1, or 3 for the FFT service) */
  readonly replicas?: Readonly<Record<string, number>>;
  /** The routing API and data-plane mode. @default Flavour.CLASSIC */
  readonly flavour?: Flavour;
}

/**
 * An image of a lab's own workload that Istio's current samples replace in the Gateway API
 * and ambient flavours; the classic flavour keeps the seed image (docs/labs.md). Pinned to the tags
 * of Istio 1.30.3's samples (samples/httpbin/httpbin.yaml, samples/curl/curl.yaml).
 */
export interface SampleImage {
  /** The seed image, which the classic flavour keeps. */
  readonly classic: string;
  /** Istio's current sample image, which the other flavours use. */
  readonly current: string;
  /** The port the current image listens on, where it differs from the seed's. @default the seed's */
  readonly port?: number;
  /** The command that keeps a client image running. @default the image's own */
  readonly command?: readonly string[];
  /** Why the new flavours use it, one line for docs/flavours.md. */
  readonly why: string;
}

/** httpbin: Istio's httpbin sample moved to go-httpbin in 1.24 (from kong/httpbin), which listens on 8080. */
export const HTTPBIN_IMAGE: SampleImage = {
  classic: 'citizenstig/httpbin',
  current: 'docker.io/mccutchen/go-httpbin:v2.15.0',
  port: 8080,
  why: "Istio's httpbin sample since 1.24; it listens on 8080, so the Service keeps the lab's port 8000 (routes stay the same) and targets 8080",
};

/** The sleep client: Istio's `sleep` sample became `curl` in 1.24, curlimages/curl kept running with sleep. */
export const CURL_IMAGE: SampleImage = {
  classic: 'pstauffer/curl',
  current: 'docker.io/curlimages/curl:8.16.0',
  command: ['/bin/sleep', 'infinity'],
  why: "Istio's `curl` sample (named `sleep` until 1.24), kept running with `sleep infinity`; it has curl and a shell but no httpie, so commands use curl",
};

/** The images the new flavours replace, per lab and workload, as docs/flavours.md's table lists them. */
export interface SampleImageUse {
  readonly lab: string;
  readonly workload: string;
  readonly image: SampleImage;
}

/** The registry part of an image reference, if it has one (Docker Hub images have none). */
function splitRegistry(image: string): [string | undefined, string] {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' ? [first, image.slice(slash + 1)] : [undefined, image];
}

/**
 * Applies a lab's options while the lab is built, and afterwards reports option keys that
 * named no workload (a typo there would otherwise be silently ignored).
 */
export class LabContext {
  private readonly workloads = new Set<string>();
  private readonly deployments = new Set<string>();

  public constructor(public readonly lab: string, private readonly options: LabOptions = {}) {}

  /** The lab's routing API and data-plane mode, for MeshLabProps. */
  public get flavour(): Flavour {
    return this.options.flavour ?? Flavour.CLASSIC;
  }

  /** True in the classic flavour (Istio's APIs with sidecars), which keeps the seed images. */
  public get classic(): boolean {
    return this.flavour.seedImages;
  }

  /** The image of `sample` this flavour uses: the seed in the classic flavour, Istio's current sample in the others. */
  public sample(sample: SampleImage): string {
    return this.classic ? sample.classic : sample.current;
  }

  /** The namespace of the lab, or its default. */
  public namespace(fallback: string): string {
    return this.options.namespace ?? fallback;
  }

  /** The image of workload `name`: an explicit override, else the seed image under the registry override. */
  public image(name: string, seed: string): string {
    this.workloads.add(name);
    const override = this.options.images?.[name];
    if (override !== undefined) return override;
    if (this.options.registry === undefined) return seed;
    return `${this.options.registry.replace(/\/+$/, '')}/${splitRegistry(seed)[1]}`;
  }

  /** The replicas of Deployment `name`. */
  public replicas(name: string, fallback: number): number {
    this.deployments.add(name);
    return this.options.replicas?.[name] ?? fallback;
  }

  /**
   * Adds a version whose Deployment (`<service>-<version>` unless named) takes its image
   * and replicas from the options, falling back to `seedImage` and the props.
   */
  public addVersion(service: MeshService, version: string, seedImage: string, props: Omit<VersionProps, 'image'> = {}): ServiceVersion {
    const deploymentName = props.deploymentName ?? `${service.name}-${version}`;
    return service.addVersion(version, {
      ...props,
      deploymentName,
      image: this.image(deploymentName, seedImage),
      replicas: this.replicas(deploymentName, props.replicas ?? 1),
    });
  }

  /** Option keys naming no workload of this lab, as messages. */
  public unknownKeys(): string[] {
    const problems: string[] = [];
    for (const key of Object.keys(this.options.images ?? {}).sort()) {
      if (!this.workloads.has(key)) problems.push(`lab ${this.lab} has no workload ${key} to set the image of (workloads: ${[...this.workloads].sort().join(', ')})`);
    }
    for (const [key, value] of Object.entries(this.options.replicas ?? {}).sort()) {
      if (!this.deployments.has(key)) problems.push(`lab ${this.lab} has no Deployment ${key} to scale (Deployments: ${[...this.deployments].sort().join(', ')})`);
      else if (!Number.isInteger(value) || value < 0) problems.push(`replicas of ${key} must be a whole number 0 or more, got ${value}`);
    }
    return problems;
  }
}
