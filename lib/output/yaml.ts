/**
 * A small YAML writer for Kubernetes manifests (JSON data: maps, lists, strings, numbers,
 * booleans, null), several times faster than a general YAML library on this data. Keys keep
 * their order (cdk8s already sorts them). A string is written plain only when it cannot be
 * read back as anything else; otherwise it is double-quoted with JSON escapes, which YAML
 * reads the same way. Tests read every generated file back and compare.
 */

/** Plain scalars that YAML 1.1 or 1.2 would read as booleans or null. */
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
/** Plain text: starts with a letter, '/', '.' or '_' and holds no indicator a reader could take for structure. */
const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./=+-]*(?::[A-Za-z0-9_./=+-]+)*$/;
/** Quantities and durations such as 50Mi, 100m, 7s, 2.5s: digits then letters, never a number. */
const UNIT = /^[0-9]+(?:\.[0-9]+)?[A-Za-z]+$/;
const NUMBER_LIKE = /^[0-9.]+[eE][0-9]*$|^0[xob]|^\.[0-9]|^\.(?:inf|nan)$/i;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = String(value);
  const plain = (PLAIN.test(s) || UNIT.test(s)) && !NUMBER_LIKE.test(s) && !RESERVED.test(s);
  return plain ? s : JSON.stringify(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function write(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if ((isMap(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        const nested: string[] = [];
        write(item, `${indent}  `, nested);
        out.push(`${indent}- ${nested[0].slice(indent.length + 2)}`, ...nested.slice(1));
      } else {
        out.push(`${indent}- ${inline(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    if (isMap(item) && Object.keys(item).length > 0) {
      out.push(`${indent}${scalar(key)}:`);
      write(item, `${indent}  `, out);
    } else if (Array.isArray(item) && item.length > 0) {
      out.push(`${indent}${scalar(key)}:`);
      write(item, `${indent}  `, out);
    } else {
      out.push(`${indent}${scalar(key)}: ${inline(item)}`);
    }
  }
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (isMap(value)) return '{}';
  return scalar(value);
}

/** Documents separated by `---`, each ending with a newline. */
export function toYaml(...docs: readonly unknown[]): string {
  return docs.map((doc) => {
    const lines: string[] = [];
    write(doc, '', lines);
    return `${lines.join('\n')}\n`;
  }).join('---\n');
}
