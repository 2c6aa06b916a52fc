import * as fs from 'fs';
import { LAB_NAMES } from '../labs';
import { ScenarioSelection } from '../scenarios/engine';
import { UsageError } from './args';

/**
 * The checked-in flags file: the scenarios each lab has switched on in `dist/`, so a pull
 * request that flips one shows the YAML it changes.
 *
 * ```json
 * { "labs": { "tutorial": { "scenarios": ["canary"], "set": { "canary.weights": "v1:75,v2:25" } } } }
 * ```
 */
export function readConfig(file: string): Record<string, ScenarioSelection> {
  if (!fs.existsSync(file)) return {};
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const labs = (data as { labs?: unknown })?.labs;
  if (typeof labs !== 'object' || labs === null || Array.isArray(labs)) {
    throw new UsageError(`${file} must hold {"labs": {"<lab>": {"scenarios": [...], "set": {...}}}}`);
  }
  const out: Record<string, ScenarioSelection> = {};
  for (const [lab, entry] of Object.entries(labs)) {
    if (!LAB_NAMES.includes(lab)) throw new UsageError(`${file}: unknown lab ${lab} (labs: ${LAB_NAMES.join(', ')})`);
    const { scenarios = [], set = {} } = (entry ?? {}) as { scenarios?: unknown; set?: unknown };
    if (!Array.isArray(scenarios) || scenarios.some((s) => typeof s !== 'string')) {
      throw new UsageError(`${file}: labs.${lab}.scenarios must be a list of scenario names`);
    }
    if (typeof set !== 'object' || set === null || Object.values(set).some((v) => typeof v !== 'string')) {
      throw new UsageError(`${file}: labs.${lab}.set must map scenario.parameter to a string value`);
    }
    out[lab] = { scenarios, set: set as Record<string, string> };
  }
  return out;
}
