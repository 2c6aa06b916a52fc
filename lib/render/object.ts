/**
 * `o` without its undefined fields, so spreading it over another object keeps the other's
 * values (`{ ...route, ...settings }`) and the written YAML has no empty keys.
 */
export function definedFields<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
