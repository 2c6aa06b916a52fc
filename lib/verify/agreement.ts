import { CLUSTER_SCOPED } from '../validate/manifest';

/** A finding reduced to what the two tools can be compared on: code and object. */
export interface Reported {
  readonly code: string;
  /** `Kind namespace/name`, or `Kind name` for cluster-scoped kinds (istioctl's origin format). */
  readonly object: string;
}

/** Per code: findings both tools report, and those only one of them reports. */
export interface CodeAgreement {
  readonly code: string;
  readonly both: number;
  readonly onlyIstioctl: number;
  readonly onlyCheck: number;
  /** both / (both + onlyIstioctl + onlyCheck), 100 when neither reports anything. */
  readonly percent: number;
}

/** One disagreement, for the report: the case, the code and the object. */
export interface Disagreement {
  readonly case: string;
  readonly code: string;
  readonly object: string;
  readonly by: 'istioctl' | 'check';
}

/**
 * The object named as istioctl names it. check writes `Kind name` for an object without a
 * namespace; istioctl places such an object in `default` (its --namespace) and writes
 * `Kind default/name`.
 */
export function normalizeObject(object: string): string {
  const [kind, ...rest] = object.split(' ');
  const name = rest.join(' ');
  return CLUSTER_SCOPED.has(kind) || name.includes('/') ? object : `${kind} default/${name}`;
}

const keyOf = (r: Reported) => `${r.code} ${r.object}`;

/**
 * Compares one case's findings on the codes check claims: matched by code and object, each
 * code+object counted once however many messages either tool gives for it. `aliases` maps an
 * istioctl object to the one check reports it on (the Pod made from a Deployment to the
 * Deployment: check reads Deployments as their pods).
 */
export function compareCase(
  caseName: string,
  istioctl: readonly Reported[],
  check: readonly Reported[],
  claimed: ReadonlySet<string>,
  aliases: ReadonlyMap<string, string> = new Map(),
): { counts: Map<string, { both: number; onlyIstioctl: number; onlyCheck: number }>; disagreements: Disagreement[] } {
  const fromIstioctl = new Map<string, Reported>();
  for (const r of istioctl) {
    if (!claimed.has(r.code)) continue;
    const object = aliases.get(r.object) ?? r.object;
    fromIstioctl.set(keyOf({ code: r.code, object }), { code: r.code, object });
  }
  const fromCheck = new Map<string, Reported>();
  for (const r of check) {
    if (!claimed.has(r.code)) continue;
    const object = normalizeObject(r.object);
    fromCheck.set(keyOf({ code: r.code, object }), { code: r.code, object });
  }
  const counts = new Map<string, { both: number; onlyIstioctl: number; onlyCheck: number }>();
  const count = (code: string) => counts.get(code) ?? counts.set(code, { both: 0, onlyIstioctl: 0, onlyCheck: 0 }).get(code)!;
  const disagreements: Disagreement[] = [];
  for (const [key, r] of fromIstioctl) {
    if (fromCheck.has(key)) count(r.code).both++;
    else {
      count(r.code).onlyIstioctl++;
      disagreements.push({ case: caseName, code: r.code, object: r.object, by: 'istioctl' });
    }
  }
  for (const [key, r] of fromCheck) {
    if (fromIstioctl.has(key)) continue;
    count(r.code).onlyCheck++;
    disagreements.push({ case: caseName, code: r.code, object: r.object, by: 'check' });
  }
  return { counts, disagreements };
}

/** Sums per-case counts into one row per claimed code, sorted by code. */
export function agreementTable(
  perCase: ReadonlyArray<Map<string, { both: number; onlyIstioctl: number; onlyCheck: number }>>,
  claimed: ReadonlySet<string>,
): CodeAgreement[] {
  return [...claimed].sort().map((code) => {
    const sum = { both: 0, onlyIstioctl: 0, onlyCheck: 0 };
    for (const counts of perCase) {
      const c = counts.get(code);
      if (!c) continue;
      sum.both += c.both;
      sum.onlyIstioctl += c.onlyIstioctl;
      sum.onlyCheck += c.onlyCheck;
    }
    const total = sum.both + sum.onlyIstioctl + sum.onlyCheck;
    return { code, ...sum, percent: total === 0 ? 100 : (100 * sum.both) / total };
  });
}
