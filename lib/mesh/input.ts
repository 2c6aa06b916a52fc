import { MeshlabError } from '../errors';
import { imageProblem } from '../validate/image';

/** RFC 1123 label, as Kubernetes names namespaces and Services (pkg/apis/core/validation). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Fails unless `value` is a DNS label (lower-case letters, digits and `-`, at most 63). */
export function checkDnsLabel(what: string, value: string): void {
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    throw new MeshlabError(`${what} ${JSON.stringify(value)} must be a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`);
  }
}

/** Fails unless `value` is a TCP port number. */
export function checkPort(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new MeshlabError(`${what} must be a whole number from 1 to 65535, got ${value}`);
  }
}

/** Fails unless `value` is a whole number 0 or more. */
export function checkReplicas(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new MeshlabError(`${what} must be a whole number 0 or more, got ${value}`);
  }
}

/** Fails unless `image` is an image reference a container runtime pulls; `of` names the workload. */
export function checkImage(of: string, image: string): void {
  const why = typeof image === 'string' ? imageProblem(image) : 'is not text';
  if (why) throw new MeshlabError(`image ${image} of ${of} ${why}`);
}
