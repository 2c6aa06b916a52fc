import { MeshlabError } from '../errors';
import { allowedNames } from '../suggest';

/** A mistake on the command line: reported as one line, exit code 2. */
export class UsageError extends MeshlabError {}

/** What a command line gave: each value flag's values in order, and the switches. */
export interface Flags {
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
}

/**
 * Splits a command line into flags (`--flag value` or `--flag=value`) and switches. An
 * unknown flag, a value given to a switch, or a flag without its value is a UsageError.
 */
export function readFlags(argv: readonly string[], valueFlags: readonly string[], switchFlags: readonly string[]): Flags {
  const known = [...valueFlags, ...switchFlags];
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (!known.includes(flag)) {
      throw new UsageError(arg.startsWith('-') ? `unknown flag ${flag} ${allowedNames(flag, 'flags', known)}` : `unexpected argument ${arg} (flags: ${known.join(', ')})`);
    }
    if (switchFlags.includes(flag)) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      switches.add(flag);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  return { values, switches };
}
