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
