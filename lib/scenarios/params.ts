import { Duration } from 'cdk8s';
import { MeshlabError } from '../errors';
import { parseIstioDuration } from '../istio/duration';
import { HEADER_NAME, RETRY_CONDITIONS, unknownRetryConditions } from '../istio/http';
import type { MeshLab } from '../mesh/lab';
import type { MeshService, ServiceVersion } from '../mesh/service';
import type { AllowRule, Caller } from './security';

/** What a parameter parser sees: the lab, and the parameters parsed before it. */
export interface ParamContext {
  readonly lab: MeshLab;
  /** `scenario.param`, for messages. */
  readonly key: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** One parameter of a scenario: how to read it from its text form (flags and defaults alike). */
export interface Param<T = unknown> {
  readonly description: string;
  /** Parses the text; throws MeshlabError naming the value and what is allowed. */
  readonly parse: (raw: string, ctx: ParamContext) => T;
  /** May be left empty (''), which leaves it unset. @default false */
  readonly optional?: boolean;
}

/** A parameter that may be left empty, which leaves its value undefined. */
export interface OptionalParam<T> extends Param<T> {
  readonly optional: true;
}

/** The same parameter, which may be left empty. */
export function optional<T>(p: Param<T>): OptionalParam<T> {
  return { ...p, optional: true };
}

/** A scenario's parameters, by name. */
export type ParamSet = Readonly<Record<string, Param<unknown>>>;

/** The value a parameter parses to; undefined when an optional one is left empty. */
export type ValueOf<X> = X extends OptionalParam<infer T> ? T | undefined : X extends Param<infer T> ? T : never;

/** The parsed values of a scenario's parameters, typed from the parameters themselves. */
export type ValuesOf<P> = { readonly [K in keyof P]: ValueOf<P[K]> };

const fail = (ctx: ParamContext, raw: string, allowed: string): never => {
  throw new MeshlabError(`${ctx.key}=${raw}: ${allowed}`);
};

function number(raw: string, ctx: ParamContext, allowed: string): number {
  if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) fail(ctx, raw, allowed);
  return Number(raw);
}

function service(raw: string, ctx: ParamContext): MeshService {
  const found = ctx.lab.services.find((s) => s.name === raw);
  return found ?? fail(ctx, raw, `no such service in lab ${ctx.lab.name} (services: ${ctx.lab.services.map((s) => s.name).join(', ')})`);
}

function versionOf(svc: MeshService, name: string, ctx: ParamContext, raw = name): ServiceVersion {
  const found = svc.versions.find((v) => v.name === name);
  return found ?? fail(ctx, raw, `${svc.name} has no version ${name} (versions: ${svc.versions.map((v) => v.name).join(', ')})`);
}

/** The parameter kinds scenarios take. */
export const param = {
  /** A service of the lab, by name. */
  service: (description: string): Param<MeshService> => ({ description, parse: service }),

  /** A version of the service parsed as parameter `of`. */
  version: (description: string, of = 'service'): Param<ServiceVersion> => ({
    description,
    parse: (raw, ctx) => versionOf(ctx.values[of] as MeshService, raw, ctx),
  }),

  /** `v1:90,v2:10`: versions of the `service` parameter with their weights. */
  weights: (description: string): Param<Array<{ version: ServiceVersion; weight: number }>> => ({
    description,
    parse: (raw, ctx) => raw.split(',').map((pair) => {
      const [name, weight] = pair.split(':');
      if (weight === undefined || !/^\d+$/.test(weight.trim())) fail(ctx, raw, 'weights are version:weight pairs, e.g. v1:90,v2:10');
      return { version: versionOf(ctx.values.service as MeshService, name.trim(), ctx, raw), weight: Number(weight) };
    }),
  }),

  /** A percentage, 0 to 100. */
  percent: (description: string): Param<number> => ({
    description,
    parse: (raw, ctx) => {
      const n = number(raw, ctx, 'must be a percentage from 0 to 100');
      return n < 0 || n > 100 ? fail(ctx, raw, 'must be a percentage from 0 to 100') : n;
    },
  }),

  /** An HTTP error status, 400 to 599. */
  status: (description: string): Param<number> => ({
    description,
    parse: (raw, ctx) => {
      const n = number(raw, ctx, 'must be an HTTP error status from 400 to 599');
      return !Number.isInteger(n) || n < 400 || n > 599 ? fail(ctx, raw, 'must be an HTTP error status from 400 to 599') : n;
    },
  }),

  /** A whole number, at least `min`. */
  count: (description: string, min = 0): Param<number> => ({
    description,
    parse: (raw, ctx) => {
      const n = number(raw, ctx, `must be a whole number ${min} or more`);
      return !Number.isInteger(n) || n < min ? fail(ctx, raw, `must be a whole number ${min} or more`) : n;
    },
  }),

  /** A duration as Istio reads one: `500ms`, `1.5s`, `1m30s`, `1h`; at least 1ms, whole milliseconds. */
  duration: (description: string): Param<Duration> => ({
    description,
    parse: (raw, ctx) => {
      const parsed = parseIstioDuration(raw.trim());
      return typeof parsed === 'string' ? fail(ctx, raw, parsed) : parsed;
    },
  }),

  /** An HTTP header name: RFC 7230 token characters, as Istio requires. */
  headerName: (description: string): Param<string> => ({
    description,
    parse: (raw, ctx) => (HEADER_NAME.test(raw.trim())
      ? raw.trim()
      : fail(ctx, raw, "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces or ':')")),
  }),

  /** Envoy retry conditions Istio knows, or HTTP status codes, comma-separated; written without spaces. */
  retryOn: (description: string): Param<string> => ({
    description,
    parse: (raw, ctx) => {
      const text = raw.split(',').map((c) => c.trim()).filter(Boolean).join(',');
      const unknown = unknownRetryConditions(text);
      if (text === '' || unknown.length > 0) {
        fail(ctx, raw, `${unknown.length > 0 ? `${unknown.join(', ')} is not a retry condition Istio knows` : 'names no condition'} (conditions: ${RETRY_CONDITIONS.join(', ')}, or an HTTP status code such as 503)`);
      }
      return text;
    },
  }),

  /** Free text (header names, regular expressions, paths): checked by the scenario. */
  text: (description: string): Param<string> => ({
    description,
    parse: (raw, ctx) => (raw.length === 0 ? fail(ctx, raw, 'must not be empty') : raw),
  }),

  /** One of a few words. */
  oneOf: <T extends string>(description: string, choices: readonly T[]): Param<T> => ({
    description,
    parse: (raw, ctx) => (choices.includes(raw as T) ? (raw as T) : fail(ctx, raw, `must be one of ${choices.join(', ')}`)),
  }),

  /** Comma-separated words. */
  list: (description: string): Param<string[]> => ({
    description,
    parse: (raw, ctx) => {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      return items.length === 0 ? fail(ctx, raw, 'must list at least one item, comma-separated') : items;
    },
  }),

  /** Comma-separated services or clients of the lab, for their ServiceAccounts. */
  callers: (description: string): Param<Caller[]> => ({ description, parse: callers }),

  /** `customer<*:GET;preference<customer@User-Agent=RBAC-*`: who may call whom, with which methods and header. */
  allowRules: (description: string): Param<AllowRule[]> => ({
    description,
    parse: (raw, ctx) => raw.split(';').map((rule) => {
      const m = /^([^<:@]+)<([^:@]+)(?::([A-Za-z|]+))?(?:@([A-Za-z0-9-]+)=([^;]+))?$/.exec(rule.trim());
      if (!m) return fail(ctx, raw, 'rules are to<from,from[:METHOD|METHOD][@Header=value|value] separated by ";", e.g. customer<*:GET;preference<customer');
      return {
        to: service(m[1].trim(), ctx),
        from: m[2].trim() === '*' ? undefined : callers(m[2], ctx),
        methods: m[3]?.split('|'),
        header: m[4] ? { name: m[4], values: m[5].split('|') } : undefined,
      };
    }),
  }),
};

function callers(raw: string, ctx: ParamContext): Caller[] {
  return raw.split(',').map((name) => {
    const found: Caller | undefined = ctx.lab.services.find((s) => s.name === name.trim()) ?? ctx.lab.clients.find((c) => c.name === name.trim());
    const names = [...ctx.lab.services, ...ctx.lab.clients].map((c) => c.name).join(', ');
    return found ?? fail(ctx, raw, `${name.trim()} is no service or client of lab ${ctx.lab.name} (${names})`);
  });
}
