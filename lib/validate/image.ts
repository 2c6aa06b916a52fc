import { CODES } from './codes';
import { Finding, Manifest, objectName } from './manifest';

// The image reference grammar of the container runtimes, as distribution/reference
// (regexp.go, normalize.go) defines it: [domain[:port]/]path[:tag][@digest].
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

const REGISTRY = new RegExp(`^${DOMAIN}(?:/${PATH_COMPONENT})*$`);
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
/** distribution/reference NameTotalLengthMax. */
const NAME_MAX = 255;

/** Why `registry` cannot prefix image paths (`host[:port][/path]`), or undefined if it can. */
export function registryProblem(registry: string): string | undefined {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(registry)) return 'has a scheme';
  if (registry.split('/').some((s) => s === '')) return 'has an empty path segment';
  if (!REGISTRY.test(registry)) return 'is not host[:port][/path] (host letters, digits, dots and dashes; path lower-case)';
  return undefined;
}

/** Why `image` is not an image reference a container runtime pulls, or undefined if it is. */
export function imageProblem(image: string): string | undefined {
  const m = REFERENCE.exec(image);
  if (!m) return 'is not a valid image reference ([registry[:port]/]path[:tag][@digest], path lower-case)';
  if (m[1].length > NAME_MAX) return `has a name longer than ${NAME_MAX} characters`;
  return undefined;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/** Every container image of `manifests` must be a reference a container runtime can pull. */
export function imageFindings(manifests: readonly Manifest[], file: string): Finding[] {
  const findings: Finding[] = [];
  const walk = (value: unknown, field: string, m: Manifest) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${field}[${i}]`, m));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        const at = field ? `${field}.${key}` : key;
        if (CONTAINER_LISTS.includes(key) && Array.isArray(v)) {
          v.forEach((c, i) => {
            const image = (c as { image?: unknown })?.image;
            const why = typeof image === 'string' ? imageProblem(image) : undefined;
            if (why) findings.push({ code: 'ML0011', severity: CODES.ML0011.severity, object: objectName(m), field: `${at}[${i}].image`, message: `image ${image} ${why}`, file });
          });
        } else {
          walk(v, at, m);
        }
      }
    }
  };
  for (const m of manifests) walk(m, '', m);
  return findings;
}
