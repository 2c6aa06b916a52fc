import { SecurityProfile } from './security';
import type { Resources } from './workload';

/**
 * Compute resources of a container that names none: enough for a small web service in a
 * lab, little enough for several labs on a laptop cluster (100m CPU, 128 MiB requested, 256
 * MiB at most, no CPU limit).
 */
export const DEFAULT_RESOURCES: Resources = { cpu: 100, memory: 128, memoryLimit: 256 };

/**
 * Security of a container that names none: non-root as UID 65532 (the `nonroot` user of
 * distroless images), no privilege escalation, every capability dropped, RuntimeDefault
 * seccomp. An image that must run as root says so with `SecurityProfile.root(reason)`.
 */
export const DEFAULT_SECURITY: SecurityProfile = SecurityProfile.nonRoot(65532);
