import * as fs from 'fs';
import { LABS, LabDefinition } from '../labs';
import { ScenarioSelection } from '../scenarios/engine';
import { UsageError } from './flags';
import { allowedNames } from '../suggest';

const SHAPE = '{"labs": {"<lab>": {"scenarios": ["<scenario>", ...], "set": {"<scenario>.<parameter>": "<value>"}}}}';
const TOP_KEYS = ['labs'];
/** A flags file is a few lines; anything this big is the wrong file. */
const MAX_BYTES = 1024 * 1024;
const LAB_KEYS = ['scenarios', 'set'];

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The checked-in flags file: the scenarios each lab has switched on in `dist/`, so a pull
 * request that flips one shows the YAML it changes.
 *
 * ```json
 * { "labs": { "tutorial": { "scenarios": ["canary"], "set": { "canary.weights": "v1:75,v2:25" } } } }
 * ```
 *
 * Checked against that shape before anything is built: an unknown key (with the allowed
 * ones and the nearest), a wrong type or `null`, a scenario the lab does not offer. A
 * missing file is no flags (nothing switched on) unless it was named (`given`).
 */
export function readConfig(file: string, given = false, labs: readonly LabDefinition[] = LABS): Record<string, ScenarioSelection> {
  const labNames = labs.map((l) => l.name);
  let text: string;
  try {
    // A FIFO or a device (--config /dev/zero) would block or never end: regular files only.
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UsageError(`--config ${file}: is ${stat.isDirectory() ? 'a folder' : 'not a regular file'}; give the flags file (JSON)`);
    if (stat.size > MAX_BYTES) throw new UsageError(`--config ${file}: over ${MAX_BYTES / 1024} KiB, too big for a flags file`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !given) return {};
    throw new UsageError(`--config ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const fail = (where: string, what: string): never => {
    throw new UsageError(`${file}: ${where} ${what}`);
  };
  const keys = (obj: Record<string, unknown>, where: string, allowed: readonly string[]) => {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) fail(where === '' ? `unknown key "${key}"` : `${where}: unknown key "${key}"`, allowedNames(key, 'allowed', allowed));
    }
  };
  if (!isObject(data)) return fail('must hold', SHAPE);
  keys(data, '', TOP_KEYS);
  const entries = data.labs ?? {};
  if (!isObject(entries)) return fail('labs', `must be an object with an entry per lab, got ${kindOf(entries)}`);
  const out: Record<string, ScenarioSelection> = {};
  for (const [lab, entry] of Object.entries(entries)) {
    if (!labNames.includes(lab)) fail(`unknown lab "${lab}"`, allowedNames(lab, 'labs', labNames));
    const where = `labs.${lab}`;
    if (!isObject(entry)) return fail(where, `must be an object like {"scenarios": [...], "set": {...}}, got ${kindOf(entry)}`);
    keys(entry, where, LAB_KEYS);
    const { scenarios = [], set = {} } = entry;
    if (!Array.isArray(scenarios)) return fail(`${where}.scenarios`, `must be a list of scenario names, got ${kindOf(scenarios)}`);
    const offered = labs.find((l) => l.name === lab)!.scenarios.map((p) => p.scenario.name);
    scenarios.forEach((s: unknown, i) => {
      if (typeof s !== 'string') fail(`${where}.scenarios[${i}]`, `must be a scenario name, got ${kindOf(s)}`);
      if (!offered.includes(s as string)) fail(`${where}.scenarios[${i}]: lab ${lab} has no scenario "${s}"`, allowedNames(s as string, 'scenarios', offered));
    });
    if (!isObject(set)) return fail(`${where}.set`, `must map scenario.parameter to a string value, got ${kindOf(set)}`);
    for (const [key, value] of Object.entries(set)) {
      if (typeof value !== 'string') fail(`${where}.set["${key}"]`, `must be a string (the text --set takes), got ${kindOf(value)}`);
    }
    out[lab] = { scenarios: scenarios as string[], set: set as Record<string, string> };
  }
  return out;
}
