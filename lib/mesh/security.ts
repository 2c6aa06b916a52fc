import * as kplus from 'cdk8s-plus-27';

/** A Linux capability, spelt as Kubernetes and Pod Security admission expect (no CAP_ prefix). */
export type Capability = 'CHOWN' | 'NET_BIND_SERVICE' | 'SETGID' | 'SETUID';

/**
 * How strictly a container may be locked down, which depends on its image. Every profile
 * forbids privilege escalation, drops all capabilities and uses the RuntimeDefault seccomp
 * profile; they differ in the user and in the few capabilities an image that runs as root needs.
 */
export class SecurityProfile {
  /**
   * The image works as an unprivileged user.
   * @param user numeric UID (the kubelet needs a number to enforce runAsNonRoot)
   */
  public static nonRoot(user: number, options: { group?: number; readOnlyRootFilesystem?: boolean } = {}): SecurityProfile {
    return new SecurityProfile(user, options.group ?? user, [], options.readOnlyRootFilesystem ?? false, undefined);
  }

  /**
   * The image's process starts as root (typically to bind port 80 or to switch users itself).
   * @param reason why this image cannot run as non-root, kept next to the exception
   * @param capabilities the only capabilities it keeps
   */
  public static root(reason: string, ...capabilities: Capability[]): SecurityProfile {
    return new SecurityProfile(undefined, undefined, capabilities, false, reason);
  }

  private constructor(
    public readonly user: number | undefined,
    public readonly group: number | undefined,
    public readonly capabilities: Capability[],
    public readonly readOnlyRootFilesystem: boolean,
    /** Why the image needs root; undefined for non-root profiles. */
    public readonly rootReason: string | undefined,
  ) {}

  /** True when the container runs as a non-root user. */
  public get nonRoot(): boolean {
    return this.user !== undefined;
  }

  /** The container security context, in cdk8s-plus terms (capabilities aside, see `capabilitiesJson`). */
  public containerContext(): kplus.ContainerSecurityContextProps {
    return {
      ensureNonRoot: this.nonRoot,
      user: this.user,
      group: this.group,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: this.readOnlyRootFilesystem,
    };
  }

  /** The container's `capabilities`: all dropped, the profile's few added back. */
  public capabilitiesJson(): { drop: string[]; add?: string[] } {
    return this.capabilities.length > 0 ? { drop: ['ALL'], add: [...this.capabilities].sort() } : { drop: ['ALL'] };
  }

  /** The pod security context, in cdk8s-plus terms. */
  public podContext(): kplus.PodSecurityContextProps {
    return { ensureNonRoot: this.nonRoot, user: this.user, group: this.group };
  }
}
