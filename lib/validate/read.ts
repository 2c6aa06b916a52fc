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
