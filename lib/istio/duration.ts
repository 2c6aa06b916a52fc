import { Duration } from 'cdk8s';

const UNITS: ReadonlyArray<[string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * Renders a duration the way Istio's API accepts it and its docs write it: the largest
 * unit that divides it exactly (`3m`, `7s`, `500ms`).
 */
export function istioDuration(duration: Duration): string {
  const ms = duration.toMilliseconds();
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new Error(`an Istio duration must be a positive whole number of milliseconds, got ${ms}ms`);
  }
  const [unit, size] = UNITS.find(([, size]) => ms % size === 0)!;
  return `${ms / size}${unit}`;
}

/** Nanoseconds per unit of Go's time.ParseDuration (`us`, `µs` and `μs` are one). */
const GO_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_NANOS = (1n << 63n) - 1n;

/**
 * Reads a duration as Istio reads one: Go's time.ParseDuration forms (`500ms`, `1.5s`,
 * `.5s`, `1m30s`, `2h`), then Istio's validation (pkg/config/validation/agent/validation.go
 * ValidateDuration): at least 1ms, and a whole number of milliseconds. Returns the duration,
 * or why it is not one (for a message naming the value).
 */
export function parseIstioDuration(text: string): Duration | string {
  const allowed = 'must be a duration Istio accepts: at least 1ms, whole milliseconds, in Go\'s form such as 500ms, 1.5s, 1m30s or 2h';
  // Go: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ (time/format.go ParseDuration).
  if (!/^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(text)) return allowed;
  if (text.startsWith('-')) return `is negative; it ${allowed}`;
  let nanos = 0n;
  for (const [, whole, fraction = '', unit] of text.matchAll(/(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/g)) {
    const scale = GO_UNITS[unit];
    // Go truncates a fraction finer than a nanosecond.
    const digits = fraction.slice(0, 18);
    nanos += BigInt(whole || '0') * scale + (BigInt(digits || '0') * scale) / 10n ** BigInt(digits.length);
    if (nanos > MAX_NANOS) return `is longer than Go's longest duration (about 292 years); it ${allowed}`;
  }
  if (nanos < 1_000_000n) return `is shorter than 1ms; it ${allowed}`;
  if (nanos % 1_000_000n !== 0n) return `is not a whole number of milliseconds; it ${allowed}`;
  return Duration.millis(Number(nanos / 1_000_000n));
}

/**
 * Renders a duration in the Gateway API's form (GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`):
 * Istio's rendering, which uses one unit, fits whenever its number has at most 5 digits.
 */
export function gatewayApiDuration(duration: Duration): string {
  const text = istioDuration(duration);
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(text)) throw new Error(`${text} does not fit the Gateway API's duration form (at most 5 digits per unit)`);
  return text;
}
