/**
 * Reading values of YAML whose shape is not known yet (a user's file, before or despite its
 * schema): each helper gives the value if it has the shape asked for, else an empty one, so
 * the readers narrow `unknown` instead of trusting `any`.
 */

/** An object (not null, not an array). */
export type Fields = Readonly<Record<string, unknown>>;

export const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `v` if it is an object, else an empty one. */
export const fields = (v: unknown): Fields => (isFields(v) ? v : {});

/** `v` if it is an array, else an empty one. */
export const items = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** `v` if it is a string. */
export const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `v` if it is a number. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** A label map: selector, subset labels, pod labels. */
export type Labels = Readonly<Record<string, string>>;

/**
 * `v` as a label map (selector, subset labels): its entries, each value as the string a label
 * holds. A value of another type is already an error of the object's schema.
 */
export function labels(v: unknown): Labels | undefined {
  if (!isFields(v)) return undefined;
  const values = Object.values(v);
  if (values.every((x) => typeof x === 'string')) return v as Labels;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));
}

/** `v` if it is an array of strings, its other entries left out. */
export const texts = (v: unknown): string[] => items(v).filter((x): x is string => typeof x === 'string');
