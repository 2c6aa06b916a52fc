import type { Code } from './codes';
import { fields, isFields, items, num, text } from './read';

/** A rule or match no request reaches. */
export interface Unreachable {
  readonly code: Extract<Code, 'IST0130' | 'IST0131'>;
  readonly field: string;
  readonly message: string;
}

/** Map-valued fields of a match, which Go's JSON leaves out when empty. */
const MAP_FIELDS = new Set(['headers', 'queryParams', 'withoutHeaders', 'sourceLabels']);

/**
 * A match as Istio compares matches (pkg/config/validation/validation.go asJSON): its JSON
 * without the match's `name`, keys sorted, and the values proto leaves out (false, 0, '', [],
 * empty maps) left out, so that matches differing only in name or defaults compare equal.
 */
export function matchKey(match: unknown, http: boolean): string {
  const canonical = (value: unknown, key?: string): string | undefined => {
    if (value === null || value === undefined || value === false || value === 0 || value === '') return undefined;
    if (Array.isArray(value)) return value.length === 0 ? undefined : `[${value.map((v) => canonical(v) ?? 'null').join(',')}]`;
    if (!isFields(value)) return JSON.stringify(value);
    const entries = Object.keys(value).sort()
      .map((k) => [k, canonical(value[k], k)] as const)
      .filter(([, v]) => v !== undefined);
    if (entries.length === 0 && key !== undefined && MAP_FIELDS.has(key)) return undefined;
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  };
  const { name, ...rest } = fields(match);
  return canonical(http ? rest : match ?? {}) ?? '{}';
}

/** What Istio's overlap check reads of a prefix match (validation.go genMatchHTTPRoutes). */
interface PrefixMatch {
  readonly rule: number;
  readonly match: number;
  readonly prefix: string;
  readonly port: number;
  readonly method: string;
  readonly authority: string;
  readonly headers: Map<string, string>;
  readonly queryParams: Map<string, string>;
  readonly withoutHeaders: Map<string, string>;
}

const exactOrPrefix = (v: unknown): string => {
  const m = fields(v);
  return m.exact ? `exact:${String(m.exact)}` : m.prefix ? `prefix:${String(m.prefix)}` : '';
};
const mapOf = (o: unknown) => new Map(Object.entries(fields(o)).map(([k, v]) => [k, exactOrPrefix(v)]));

function prefixMatch(value: unknown, rule: number, index: number): PrefixMatch | undefined {
  const match = fields(value);
  const prefix = text(fields(match.uri).prefix);
  if (prefix === undefined || prefix === '') return undefined;
  return {
    rule, match: index, prefix, port: num(match.port) ?? 0,
    // With no method, Istio's check takes GET.
    method: exactOrPrefix(match.method) || 'exact:GET',
    authority: exactOrPrefix(match.authority),
    headers: mapOf(match.headers), queryParams: mapOf(match.queryParams), withoutHeaders: mapOf(match.withoutHeaders),
  };
}

/** validation.go coveredValidation: whether every request `b` matches, `a` (earlier) matches too. */
function covers(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix) || a.port !== b.port) return false;
  const within = (x: string, y: string) => x === y || x.startsWith(y);
  if (!within(a.method, b.method) || !within(a.authority, b.authority)) return false;
  for (const key of ['headers', 'queryParams', 'withoutHeaders'] as const) {
    if (a[key].size !== b[key].size) return false;
    for (const [k, v] of a[key]) {
      const w = b[key].get(k);
      if (w === undefined || !within(v, w)) return false;
    }
  }
  return true;
}

/**
 * The rules and matches of a VirtualService's `http`, `tcp` or `tls` list that no request
 * reaches, as Istio's validation warns about them (istio/istio pkg/config/validation/
 * validation.go analyzeUnreachableHTTPRules, reported by `istioctl analyze`):
 * - IST0130 for a rule after a rule without matches, for a second rule without
 *   matches, and for a rule whose every match repeats an earlier one;
 * - IST0131 for a match that repeats an earlier one (matches that differ only in `name` are
 *   the same), and, in `http`, for a prefix match an earlier prefix match covers.
 * Only a rule with no `match` at all takes every request here: Istio does not count
 * `prefix: /` or an empty match as a catch-all in this check.
 */
export function analyzeUnreachableRules(routes: readonly unknown[], kind: 'http' | 'tcp' | 'tls'): Unreachable[] {
  const found: Unreachable[] = [];
  const seen = new Map<string, number>();
  let catchAll = -1;
  const prefixes: PrefixMatch[] = [];
  const ruleName = (i: number) => {
    const name = fields(routes[i]).name;
    return kind === 'http' && name ? `"${String(name)}"` : `spec.${kind}[${i}]`;
  };
  routes.forEach((route, i) => {
    if (route === null || route === undefined) return;
    const field = `spec.${kind}[${i}]`;
    const matches = items(fields(route).match);
    if (matches.length === 0) {
      if (catchAll >= 0) found.push({ code: 'IST0130', field, message: `can never match: only the last rule can have no match, and ${ruleName(catchAll)} has none` });
      catchAll = i;
      return;
    }
    if (catchAll >= 0) {
      // Istio warns once per match, with one text: istioctl prints it once.
      found.push({ code: 'IST0130', field, message: `can never match: ${ruleName(catchAll)} before it has no match and takes every request` });
      return;
    }
    let repeated = 0;
    matches.forEach((match, j) => {
      const key = matchKey(match, kind === 'http');
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        found.push({ code: 'IST0131', field: `${field}.match[${j}]`, message: `is not used: ${ruleName(earlier)} has the same match` });
        repeated++;
        return;
      }
      seen.set(key, i);
      if (kind === 'http') {
        const p = prefixMatch(match, i, j);
        if (p) prefixes.push(p);
      }
    });
    if (repeated === matches.length) found.push({ code: 'IST0130', field, message: 'can never match: every match of it is used by an earlier rule' });
  });
  prefixes.forEach((a, x) => {
    for (const b of prefixes.slice(x + 1)) {
      if (b.prefix === a.prefix || !covers(a, b)) continue;
      found.push({ code: 'IST0131', field: `spec.http[${b.rule}].match[${b.match}]`, message: `is not used: prefix ${b.prefix} is covered by prefix ${a.prefix} of ${ruleName(a.rule)} before it` });
    }
  });
  return found;
}
