import { Duration } from 'cdk8s';
import { MeshlabError } from '../errors';
import { didYouMean } from '../suggest';
import { istioDuration, parseIstioDuration } from '../istio/duration';
import { HEADER_NAME, RETRY_CONDITIONS, unknownRetryConditions } from '../istio/http';
import type { MeshLab } from '../mesh/lab';
import type { MeshService, ServiceVersion } from '../mesh/service';
import type { AllowRule, Caller } from '../mesh/routing';

/** What a parameter sees when it is resolved against a lab: the lab, and the parameters resolved before it. */
export interface ParamContext {
  readonly lab: MeshLab;
  /** `scenario.param`, for messages. */
  readonly key: string;
  /** The value's text as given (`--set`) or formatted (a preset's typed default), for messages. */
  readonly text: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * One parameter of a scenario, in three steps: `parse` reads the command line's text into a
 * typed value `D` that names lab objects by name (what a preset's default is written as),
 * `format` writes such a value back as that text (for `--list`, guides and step files), and
 * `resolve` checks it and binds the names to the lab's objects, giving `T`. format(parse(t))
 * is t in its canonical form, and parse(format(v)) is v.
 */
export interface Param<T = unknown, D = unknown> {
  readonly description: string;
  /** Reads the text; throws MeshlabError naming the text and what is allowed. */
  parse(text: string, key: string): D;
  /** The text of a value, in the command line's syntax. */
  format(value: D): string;
  /** Checks a value and binds it to the lab; throws MeshlabError naming `ctx.text` and what is allowed. */
  resolve(value: D, ctx: ParamContext): T;
  /** May be left empty (''), which leaves it unset. @default false */
  readonly optional?: boolean;
}

/** A parameter that may be left empty, which leaves its value undefined. */
export interface OptionalParam<T, D = unknown> extends Param<T, D> {
  readonly optional: true;
}

/** The same parameter, which may be left empty. */
export function optional<T, D>(p: Param<T, D>): OptionalParam<T, D> {
  return { ...p, optional: true };
}

/** A scenario's parameters, by name. */
export type ParamSet = Readonly<Record<string, Param<unknown, unknown>>>;

/** The value a parameter resolves to; undefined when an optional one is left empty. */
export type ValueOf<X> = X extends OptionalParam<infer T, unknown> ? T | undefined : X extends Param<infer T, unknown> ? T : never;

/** The resolved values of a scenario's parameters, typed from the parameters themselves. */
export type ValuesOf<P> = { readonly [K in keyof P]: ValueOf<P[K]> };

/** The typed value a parameter is written as in a preset (names for lab objects); undefined leaves an optional one empty. */
export type DefaultOf<X> = X extends OptionalParam<unknown, infer D> ? D | undefined : X extends Param<unknown, infer D> ? D : never;

/** A preset's defaults for a scenario's parameters, typed from the parameters: a wrong key or value type fails tsc. */
export type DefaultsOf<P> = { readonly [K in keyof P]?: DefaultOf<P[K]> };

const fail = (key: string, text: string, allowed: string): never => {
  throw new MeshlabError(`${key}=${text}: ${allowed}`);
};

const failCtx = (ctx: ParamContext, allowed: string): never => fail(ctx.key, ctx.text, allowed);

function number(raw: string, key: string, allowed: string): number {
  if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) fail(key, raw, allowed);
  return Number(raw);
}

/** A parameter whose text is its value (names, header names, free text). */
function textual<T>(description: string, resolve: (value: string, ctx: ParamContext) => T, parse = (raw: string) => raw): Param<T, string> {
  return { description, parse, format: (value) => value, resolve };
}

/** A number parameter, checked by `valid` with one message for bad text and bad values alike. */
function numeric(description: string, allowed: string, valid: (n: number) => boolean): Param<number, number> {
  return {
    description,
    parse: (raw, key) => number(raw, key, allowed),
    format: (value) => String(value),
    resolve: (n, ctx) => (valid(n) ? n : failCtx(ctx, allowed)),
  };
}

function service(name: string, ctx: ParamContext): MeshService {
  const found = ctx.lab.services.find((s) => s.name === name);
  return found ?? failCtx(ctx, `no such service in lab ${ctx.lab.name} (services: ${ctx.lab.services.map((s) => s.name).join(', ')})`);
}

function versionOf(svc: MeshService, name: string, ctx: ParamContext): ServiceVersion {
  const found = svc.versions.find((v) => v.name === name);
  return found ?? failCtx(ctx, `${svc.name} has no version ${name} (versions: ${svc.versions.map((v) => v.name).join(', ')})`);
}

/** A version and its weight, as a preset writes it. */
export interface WeightSpec {
  readonly version: string;
  readonly weight: number;
}

/** Who may call whom, as a preset writes it: names of the lab's services and clients (`*` callers: anyone). */
export type AllowRuleSpec = AllowRule<string, string>;

const WEIGHTS = 'weights are version:weight pairs, e.g. v1:90,v2:10';
const HEADER = "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces or ':')";
const ALLOW_RULES = 'rules are to<from,from[:METHOD|METHOD][@Header=value|value] separated by ";", e.g. customer<*:GET;preference<customer';
const commaList = (raw: string) => raw.split(',').map((s) => s.trim()).filter(Boolean);

/** The parameter kinds scenarios take. */
export const param = {
  /** A service of the lab, by name. */
  service: (description: string): Param<MeshService, string> => textual(description, service),

  /** A version of the service resolved as parameter `of`, by name. */
  version: (description: string, of = 'service'): Param<ServiceVersion, string> =>
    textual(description, (name, ctx) => versionOf(ctx.values[of] as MeshService, name, ctx)),

  /** `v1:90,v2:10`: versions of the `service` parameter with their weights. */
  weights: (description: string): Param<Array<{ version: ServiceVersion; weight: number }>, WeightSpec[]> => ({
    description,
    parse: (raw, key) => raw.split(',').map((pair) => {
      const [name, weight, extra] = pair.split(':');
      // A signed number parses, so that resolve names a weight out of range with its rule.
      if (weight === undefined || extra !== undefined || name.trim() === '' || !/^-?\d+(\.\d+)?$/.test(weight.trim())) {
        fail(key, raw, `${pair.trim() || 'an empty item'} is not a version:weight pair; ${WEIGHTS}`);
      }
      return { version: name.trim(), weight: Number(weight) };
    }),
    format: (weights) => weights.map((w) => `${w.version}:${w.weight}`).join(','),
    resolve: (weights, ctx) => {
      const outOfRange = weights.filter((w) => !Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100);
      if (outOfRange.length > 0) {
        const named = outOfRange.map((w) => `of ${w.version} (${w.weight})`).join(' and ');
        failCtx(ctx, `the weight ${named} must be ${outOfRange.length > 1 ? 'whole numbers' : 'a whole number'} from 0 to 100`);
      }
      return weights.map((w) => ({ version: versionOf(ctx.values.service as MeshService, w.version, ctx), weight: w.weight }));
    },
  }),

  /** A percentage, 0 to 100. */
  percent: (description: string): Param<number, number> =>
    numeric(description, 'must be a percentage from 0 to 100', (n) => n >= 0 && n <= 100),

  /** An HTTP error status, 400 to 599. */
  status: (description: string): Param<number, number> =>
    numeric(description, 'must be an HTTP error status from 400 to 599', (n) => Number.isInteger(n) && n >= 400 && n <= 599),

  /** A whole number, at least `min`. */
  count: (description: string, min = 0): Param<number, number> =>
    numeric(description, `must be a whole number ${min} or more`, (n) => Number.isInteger(n) && n >= min),

  /** A duration as Istio reads one: `500ms`, `1.5s`, `1m30s`, `1h`; at least 1ms, whole milliseconds. */
  duration: (description: string): Param<Duration, Duration> => ({
    description,
    parse: (raw, key) => {
      const parsed = parseIstioDuration(raw.trim());
      return typeof parsed === 'string' ? fail(key, raw, parsed) : parsed;
    },
    // A value Istio would refuse keeps its milliseconds, so resolve can name it.
    format: (value) => (isIstioDuration(value) ? istioDuration(value) : `${value.toMilliseconds({ integral: false })}ms`),
    resolve: (value, ctx) => (isIstioDuration(value) ? value : failCtx(ctx, 'must be a duration Istio accepts: at least 1ms, whole milliseconds, in Go\'s form such as 500ms, 1.5s, 1m30s or 2h')),
  }),

  /** An HTTP header name: RFC 7230 token characters, as Istio requires. */
  headerName: (description: string): Param<string, string> =>
    textual(description, (name, ctx) => (HEADER_NAME.test(name) ? name : failCtx(ctx, HEADER)), (raw) => raw.trim()),

  /** Envoy retry conditions Istio knows, or HTTP status codes, comma-separated; written without spaces. */
  retryOn: (description: string): Param<string, string> => textual(description, (text, ctx) => {
    const unknown = unknownRetryConditions(text);
    if (text === '' || unknown.length > 0) {
      failCtx(ctx, `${unknown.length > 0 ? `${unknown.join(', ')} is not a retry condition Istio knows` : 'names no condition'} (conditions: ${RETRY_CONDITIONS.join(', ')}, or an HTTP status code such as 503)`);
    }
    return text;
  }, (raw) => commaList(raw).join(',')),

  /** Free text (header names, regular expressions, paths): checked by the scenario. */
  text: (description: string): Param<string, string> =>
    textual(description, (value, ctx) => (value.length === 0 ? failCtx(ctx, 'must not be empty') : value)),

  /** One of a few words. */
  oneOf: <T extends string>(description: string, choices: readonly T[]): Param<T, T> => ({
    description,
    parse: (raw, key) => (choices.includes(raw as T) ? (raw as T) : fail(key, raw, `must be one of ${choices.join(', ')}${didYouMean(raw, choices)}`)),
    format: (value) => value,
    resolve: (value, ctx) => (choices.includes(value) ? value : failCtx(ctx, `must be one of ${choices.join(', ')}${didYouMean(value, choices)}`)),
  }),

  /** Comma-separated words. */
  list: (description: string): Param<string[], readonly string[]> => ({
    description,
    parse: commaList,
    format: (items) => items.join(','),
    resolve: (items, ctx) => (items.length === 0 || items.some((i) => i.trim() === '') ? failCtx(ctx, 'must list at least one item, comma-separated') : [...items]),
  }),

  /** Comma-separated services or clients of the lab, for their ServiceAccounts. */
  callers: (description: string): Param<Caller[], readonly string[]> => ({
    description,
    parse: (raw) => raw.split(',').map((name) => name.trim()),
    format: (names) => names.join(','),
    resolve: (names, ctx) => callers(names, ctx),
  }),

  /** `customer<*:GET;preference<customer@User-Agent=RBAC-*`: who may call whom, with which methods and header. */
  allowRules: (description: string): Param<AllowRule[], AllowRuleSpec[]> => ({
    description,
    parse: (raw, key) => raw.split(';').map((rule) => {
      const m = /^([^<:@]+)<([^:@]+)(?::([A-Za-z|]+))?(?:@([A-Za-z0-9-]+)=([^;]+))?$/.exec(rule.trim());
      if (!m) return fail(key, raw, ALLOW_RULES);
      return {
        to: m[1].trim(),
        from: m[2].trim() === '*' ? undefined : m[2].split(',').map((name) => name.trim()),
        methods: m[3]?.split('|'),
        header: m[4] ? { name: m[4], values: m[5].split('|') } : undefined,
      };
    }),
    format: (rules) => rules.map((r) => `${r.to}<${r.from ? r.from.join(',') : '*'}${r.methods ? `:${r.methods.join('|')}` : ''}${r.header ? `@${r.header.name}=${r.header.values.join('|')}` : ''}`).join(';'),
    resolve: (rules, ctx) => rules.map((r) => ({
      to: service(r.to, ctx),
      from: r.from === undefined ? undefined : callers(r.from, ctx),
      methods: r.methods === undefined ? undefined : [...r.methods],
      header: r.header === undefined ? undefined : { name: r.header.name, values: [...r.header.values] },
    })),
  }),
};

function isIstioDuration(value: Duration): boolean {
  const ms = value.toMilliseconds({ integral: false });
  return Number.isInteger(ms) && ms >= 1;
}

function callers(names: readonly string[], ctx: ParamContext): Caller[] {
  return names.map((name) => {
    const found: Caller | undefined = ctx.lab.services.find((s) => s.name === name) ?? ctx.lab.clients.find((c) => c.name === name);
    const all = [...ctx.lab.services, ...ctx.lab.clients].map((c) => c.name).join(', ');
    return found ?? failCtx(ctx, `${name} is no service or client of lab ${ctx.lab.name} (${all})`);
  });
}
