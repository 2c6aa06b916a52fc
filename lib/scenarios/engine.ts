import { MeshlabError } from '../errors';
import type { Command } from '../mesh/command';
import { allowedNames } from '../suggest';
import type { Flavour, ScenarioNeeds } from '../mesh/flavour';
import type { MeshLab } from '../mesh/lab';
import type { ScenarioDefinition } from './define';
import type { DefaultsOf, ParamSet } from './params';

/** A scenario as a lab offers it: the tutorial's numbers as defaults, and how to watch it. */
export interface Preset<P extends ParamSet = ParamSet> {
  readonly scenario: ScenarioDefinition<P>;
  /**
   * Value of each parameter, typed from the scenario's parameters: numbers, `Duration`s,
   * `[{ version: 'v1', weight: 90 }]`, lab objects by name. `--set` overrides it; `--list`,
   * the guide and the step files show it in the command line's syntax (the parameter's
   * `format`). `undefined` leaves an optional one unset. A misspelled key or a value of the
   * wrong type fails tsc. @default none for a key left out (the parameter must be given with --set)
   */
  readonly defaults: DefaultsOf<P>;
  /**
   * Commands that show the effect, when the lab's usual one does not; `{namespace}` and
   * `{<parameter>}` (such as `{service}`) are filled in. @default the lab's
   */
  readonly observe?: Command | readonly Command[];
  /** Commands that undo what `observe` did inside the pods (`/behave` after `/misbehave`), run before the revert. @default none */
  readonly undo?: readonly string[];
  /** A sentence Expect adds, from the parameters' texts (`{ attempts: '3' }`), on what `observe` shows. @default none */
  readonly expect?: (texts: Readonly<Record<string, string>>) => string;
  /**
   * The preset in a flavour that shows the step another way, such as the flavours whose sample
   * images fail or wait on request (go-httpbin's `/status` and `/delay`), where the others need
   * an EnvoyFilter; undefined where the preset holds as it is. @default the same in every flavour
   */
  readonly inFlavour?: (flavour: Flavour) => PresetVariant<P> | undefined;
}

/** What a preset changes in one flavour: defaults over its own, its own commands, and what a learner sees of them. */
export interface PresetVariant<P extends ParamSet = ParamSet> {
  readonly defaults?: Partial<DefaultsOf<P>>;
  readonly observe?: Command | readonly Command[];
  readonly undo?: readonly string[];
  /** A sentence Expect adds, from the parameters' texts (`{ attempts: '3' }`), on what the commands show. */
  readonly expect?: (texts: Readonly<Record<string, string>>) => string;
}

/** The preset as `flavour` applies it (its variant there merged in), without `inFlavour`. */
export function presetIn(p: Preset, flavour: Flavour): Preset {
  const variant = p.inFlavour?.(flavour);
  if (!variant) return p;
  return {
    scenario: p.scenario,
    defaults: { ...p.defaults, ...variant.defaults },
    observe: variant.observe ?? p.observe,
    undo: variant.undo ?? p.undo,
    expect: variant.expect ?? p.expect,
  };
}

/** The texts of a preset's parameters with `set` over its defaults ('' for one left empty or without default). */
export function presetTexts(p: Preset, set: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.keys(p.scenario.params).map((name) => [name, set[`${p.scenario.name}.${name}`] ?? defaultText(p, name) ?? '']));
}

/** What a preset's step needs of the data plane with these parameter texts. */
export function needsOf(p: Preset, texts: Readonly<Record<string, string>>): ScenarioNeeds {
  const needs = p.scenario.needs;
  return typeof needs === 'function' ? needs(texts) : needs ?? {};
}

/** A lab's preset of a scenario, its defaults checked against the scenario's parameters. */
export function preset<P extends ParamSet>(p: Preset<P>): Preset {
  return p;
}

/**
 * A preset's default for one parameter in the command line's syntax: '' for one left empty,
 * undefined when the preset gives none.
 */
export function defaultText(preset: Preset, name: string): string | undefined {
  const defaults: Readonly<Record<string, unknown>> = preset.defaults;
  // An optional parameter a preset leaves out is empty, so a scenario can gain one without breaking the labs that offer it.
  if (!(name in defaults)) return preset.scenario.params[name].optional ? '' : undefined;
  const value = defaults[name];
  return value === undefined ? '' : preset.scenario.params[name].format(value);
}

/** Which scenarios are on, and parameter overrides (`scenario.param` -> text). */
export interface ScenarioSelection {
  readonly scenarios: readonly string[];
  readonly set?: Readonly<Record<string, string>>;
}

/** A scenario applied to a lab, with the parameter values it used. */
export interface AppliedScenario {
  readonly preset: Preset;
  /** Parameter texts as used (defaults with overrides). */
  readonly texts: Readonly<Record<string, string>>;
  /** Parsed parameter values. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The lab it was applied to (its flavour decides some of the step's words). */
  readonly lab: MeshLab;
}

/**
 * Checks a selection against the presets a lab offers: unknown scenarios, `--set` for a
 * scenario that is off, unknown parameters. Returns the presets to apply, in the lab's order.
 */
export function resolveSelection(lab: string, presets: readonly Preset[], selection: ScenarioSelection): Preset[] {
  const offered = presets.map((p) => p.scenario.name);
  for (const name of selection.scenarios) {
    if (!offered.includes(name)) {
      throw new MeshlabError(`lab ${lab} has no scenario ${name} ${allowedNames(name, 'scenarios', offered)}`);
    }
  }
  for (const key of Object.keys(selection.set ?? {})) {
    const [name, param] = splitKey(key);
    if (!offered.includes(name)) throw new MeshlabError(`--set ${key}: lab ${lab} has no scenario ${name} ${allowedNames(name, 'scenarios', offered)}`);
    if (!selection.scenarios.includes(name)) throw new MeshlabError(`--set ${key}: scenario ${name} is not switched on (add --scenario ${name})`);
    const params = Object.keys(presets.find((p) => p.scenario.name === name)!.scenario.params);
    if (!params.includes(param)) throw new MeshlabError(`--set ${key}: scenario ${name} has no parameter ${param} ${allowedNames(param, 'parameters', params)}`);
  }
  return presets.filter((p) => selection.scenarios.includes(p.scenario.name));
}

function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  if (dot < 1 || dot === key.length - 1) throw new MeshlabError(`--set ${key}: give it as scenario.parameter=value, e.g. canary.weights=v1:90,v2:10`);
  return [key.slice(0, dot), key.slice(dot + 1)];
}

/** Resolves a preset's parameters (its typed defaults, or the `--set` text parsed) and applies it to the lab. */
export function applyPreset(lab: MeshLab, offered: Preset, set: Readonly<Record<string, string>> = {}): AppliedScenario {
  const preset = presetIn(offered, lab.flavour);
  const { scenario } = preset;
  const texts: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const defaults: Readonly<Record<string, unknown>> = preset.defaults;
  try {
    for (const [name, param] of Object.entries(scenario.params)) {
      const key = `${scenario.name}.${name}`;
      const given = set[key];
      const text = given ?? defaultText(preset, name);
      if (text === undefined) throw new MeshlabError(`${key} has no default in lab ${lab.name}: give it with --set ${key}=...`);
      texts[name] = text;
      if (text === '' && !param.optional) throw new MeshlabError(`${key} needs a value (it cannot be left empty)`);
      if (text === '') continue;
      // A typed default is resolved as it is; only text from the command line is parsed.
      const value = given === undefined ? defaults[name] : param.parse(text, key);
      values[name] = param.resolve(value, { lab, key, text, values });
    }
    scenario.apply(lab, scenario.name, values);
  } catch (e) {
    // Every message names the scenario, so a learner with several switched on knows which.
    if (e instanceof MeshlabError && !namesScenario(e.message, scenario.name)) throw new MeshlabError(`${scenario.name}: ${e.message}`);
    throw e;
  }
  return { preset, texts, values, lab };
}

const namesScenario = (message: string, name: string) => new RegExp(`(^|[^\\w-])${name}([^\\w-]|$)`).test(message);
