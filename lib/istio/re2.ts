import { RE2JS } from 're2js';

/**
 * Regular expressions as Envoy runs them: RE2 (re2js, a port of Google's RE2), one engine for
 * the preview, the checks and the scenarios' parameters.
 *
 * Istio renders a StringMatch `regex` as Envoy's `safe_regex` (istio/istio
 * pilot/pkg/networking/util/util.go ConvertToEnvoyMatch; route.go TranslateRouteMatch for
 * the uri), and Envoy's safe_regex matches the whole value, not a part of it (Envoy docs,
 * type.matcher.v3.RegexMatcher: "the regex must match the entire value"). RE2's defaults
 * hold: `.` does not match a newline, `(?i)` and POSIX classes like `[[:alpha:]]` work,
 * lookarounds and backreferences do not compile.
 */

const compiled = new Map<string, RE2JS | string>();

/** The compiled expression, or why RE2 rejects it (cached either way). */
function compile(regex: string): RE2JS | string {
  let entry = compiled.get(regex);
  if (entry === undefined) {
    try {
      entry = RE2JS.compile(regex);
    } catch (e) {
      entry = (e as Error).message.replace(/^error parsing regexp: /i, '');
    }
    compiled.set(regex, entry);
  }
  return entry;
}

/** Why RE2 rejects `regex` (`missing closing ): \`(Safari\``), or undefined when it compiles. */
export function re2Error(regex: string): string | undefined {
  const entry = compile(regex);
  return typeof entry === 'string' ? entry : undefined;
}

/** Whether `regex` matches the whole of `value`, as Envoy's safe_regex does; an expression RE2 rejects matches nothing. */
export function re2FullMatch(regex: string, value: string): boolean {
  const entry = compile(regex);
  return typeof entry !== 'string' && entry.matches(value);
}

/**
 * `value` with every match of `regex` replaced by `substitution`, in which `\0` to `\9` stand
 * for the groups and `\\` for a backslash, as in Envoy's RegexMatchAndSubstitute (RE2's
 * GlobalReplace); undefined when RE2 rejects the expression.
 */
export function re2ReplaceAll(regex: string, value: string, substitution: string): string | undefined {
  const entry = compile(regex);
  if (typeof entry === 'string') return undefined;
  return entry.matcher(value).replaceAll((...groups: Array<string | null>) =>
    substitution.replace(/\\(\d|\\)/g, (_, g: string) => (g === '\\' ? '\\' : groups[Number(g)] ?? '')));
}
