import { buildLab } from '../app';
import { INGRESS, evaluate, firstIngressPath, hasIngressGateway } from '../explain/evaluate';
import { ReportContext, formatJson, formatText } from '../explain/report';
import { HttpRequest } from '../explain/request';
import { LABS, LAB_NAMES } from '../labs';
import { render } from '../output/render';
import { ScenarioSelection } from '../scenarios/engine';
import { formatFinding } from '../validate/manifest';
import { parseSets } from './args';
import { UsageError, readFlags } from './flags';
import { readConfig } from './config';
import { Io, processIo, runCommand } from './io';
import { VERSION } from './version';

export const EXPLAIN_USAGE = `usage: npm run explain -- --lab L [--scenario S[,S...]]... [--set S.param=value]... [--config FILE]
                          [--from NAME] [--to SERVICE] [--path /x] [--method M] [--header name=value]...
                          [--requests N] [--seed K] [--json]

Previews where requests go in a lab and what happens to them, by evaluating the generated
manifests (VirtualServices, DestinationRules, Gateways, Services, Deployments, policies)
offline. It is not Istio: nothing is sent, and load, time and the apps' latency are not modelled.

  --lab NAME            the lab: ${LAB_NAMES.join(', ')}
  --scenario S[,S...]   switch scenarios on (repeatable); default: the flags file's for the lab
  --set S.param=value   set a parameter of a switched-on scenario (repeatable)
  --config FILE         flags file with each lab's scenarios (default: meshlab.config.json)
  --from NAME           where requests start: ingress (the lab's ingress gateway), a service or a
                        client (default: ingress when the lab has a Gateway, else its first client
                        that calls a service)
  --to SERVICE          show only the hops into this service
  --path /x             request path, with a query string if you like (default from ingress: the
                        first path the gateway's routes name; else /)
  --method M            HTTP method (default: GET)
  --header name=value   a request header (repeatable); the preview forwards it on every hop, as the
                        labs' apps forward user-agent and the tracing headers
  --requests N          how many requests, 1 to 1000000 (default: 1000)
  --seed K              seed of the random draws: weights, percentages, pods (default: 1)
  --json                print the report as JSON
  --help, -h            this text
  --version             meshlab's version

Environment: MESHLAB_CONFIG (the flags file, as for synth).`;

const VALUE_FLAGS = ['--lab', '--scenario', '--set', '--config', '--from', '--to', '--path', '--method', '--header', '--requests', '--seed'];
const SWITCHES = ['--json', '--help', '-h', '--version'];
const REPEATABLE = ['--scenario', '--set', '--header'];
const MAX_REQUESTS = 1_000_000;

/** The flags of `npm run explain`, checked. */
export interface ExplainOptions {
  readonly help: boolean;
  readonly version: boolean;
  readonly json: boolean;
  readonly lab?: string;
  /** Scenarios from the command line; undefined means: the flags file's. */
  readonly scenarios?: ScenarioSelection;
  readonly config: string;
  /** The flags file was named (`--config`, `MESHLAB_CONFIG`), so it must exist. */
  readonly configGiven: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly path?: string;
  readonly method: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly requests: number;
  readonly seed: number;
}

/** Reads the flags (`--flag value` or `--flag=value`); every mistake is a UsageError naming the value. */
export function parseExplainArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ExplainOptions {
  const { values, switches } = readFlags(argv, VALUE_FLAGS, SWITCHES);
  for (const [flag, given] of values) {
    if (given.length > 1 && !REPEATABLE.includes(flag)) throw new UsageError(`${flag} given twice (${given[0]}, ${given[1]}); give it once`);
  }
  const single = (flag: string) => values.get(flag)?.[0];

  const lab = single('--lab');
  if (lab !== undefined && !LAB_NAMES.includes(lab)) throw new UsageError(`unknown lab ${lab} (labs: ${LAB_NAMES.join(', ')})`);

  const scenarioNames = values.get('--scenario')?.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const sets = values.get('--set');
  if (sets && !scenarioNames) throw new UsageError('--set needs the scenario switched on with --scenario');
  const scenarios = scenarioNames ? { scenarios: [...new Set(scenarioNames)], set: parseSets(sets ?? []) } : undefined;

  const path = single('--path');
  if (path !== undefined && !path.startsWith('/')) throw new UsageError(`--path ${path} must start with / (like /customer or /env?x=1)`);

  const method = single('--method') ?? 'GET';
  if (!/^[A-Za-z]+$/.test(method)) throw new UsageError(`--method ${method} must be an HTTP method in letters, like GET or POST`);

  const headers = new Map<string, string>();
  for (const pair of values.get('--header') ?? []) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim().toLowerCase();
    if (at < 1 || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new UsageError(`--header ${pair} must be name=value, like user-agent=Safari`);
    if (headers.has(name)) throw new UsageError(`--header ${name} given twice; give each header once`);
    headers.set(name, pair.slice(at + 1));
  }

  const requestsText = single('--requests');
  const requests = requestsText === undefined ? 1000 : Number(requestsText);
  if (requestsText !== undefined && (!/^\d+$/.test(requestsText) || requests < 1 || requests > MAX_REQUESTS)) {
    throw new UsageError(`--requests ${requestsText} must be a whole number from 1 to ${MAX_REQUESTS}`);
  }

  const seedText = single('--seed');
  const seed = seedText === undefined ? 1 : Number(seedText);
  if (seedText !== undefined && (!/^-?\d+$/.test(seedText) || !Number.isSafeInteger(seed))) {
    throw new UsageError(`--seed ${seedText} must be a whole number, like 1 or 42`);
  }

  return {
    help: switches.has('--help') || switches.has('-h'),
    version: switches.has('--version'),
    json: switches.has('--json'),
    lab,
    scenarios,
    config: single('--config') ?? env.MESHLAB_CONFIG ?? 'meshlab.config.json',
    configGiven: (single('--config') ?? env.MESHLAB_CONFIG) !== undefined,
    from: single('--from'),
    to: single('--to'),
    path,
    method: method.toUpperCase(),
    headers,
    requests,
    seed,
  };
}

/**
 * `npm run explain`: builds the lab as `npm run synth` would, checks it, and prints where N
 * requests go through its manifests. Returns the exit code: 0 shown, 1 the lab is invalid
 * (its problems printed), 2 bad usage (one line).
 */
export function runExplain(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io = processIo): number {
  return runCommand(io, 'meshlab', () => explainOrThrow(argv, env, io));
}

function explainOrThrow(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io): number {
  const options = parseExplainArgs(argv, env);
  if (options.help) {
    io.out(EXPLAIN_USAGE);
    return 0;
  }
  if (options.version) {
    io.out(`meshlab ${VERSION}`);
    return 0;
  }
  if (options.lab === undefined) throw new UsageError(`--lab is required (labs: ${LAB_NAMES.join(', ')})`);
  const definition = LABS.find((l) => l.name === options.lab)!;
  const selection = options.scenarios ?? readConfig(options.config, options.configGiven)[definition.name] ?? { scenarios: [] };
  const build = buildLab(definition, undefined, selection);
  const synthesis = render([build.lab], { files: false });
  if (synthesis.findings.length > 0) {
    for (const f of synthesis.findings) io.err(`meshlab: ${formatFinding(f)}`);
    io.err(`meshlab: ${synthesis.findings.length} problem(s) in lab ${definition.name}; nothing to explain`);
    return 1;
  }
  const manifests = synthesis.objects.map((o) => o.manifest);
  const { lab } = build;

  const callees = new Map<string, readonly string[]>();
  for (const caller of [...lab.services, ...lab.clients]) callees.set(caller.name, caller.callees.map((s) => s.name));
  const callers = [...callees.keys()].filter((name) => callees.get(name)!.length > 0);
  const ingress = hasIngressGateway(manifests);
  const known = [...(ingress ? [INGRESS] : []), ...lab.services.map((s) => s.name), ...lab.clients.map((c) => c.name)];

  let from = options.from;
  if (from === undefined) {
    from = ingress ? INGRESS : lab.clients.find((c) => c.callees.length > 0)?.name;
    if (from === undefined) throw new UsageError(`lab ${lab.name} has no ingress Gateway and no client that calls a service; give --from (callers: ${callers.join(', ') || 'none'})`);
  } else if (!known.includes(from)) {
    const why = from === INGRESS ? `lab ${lab.name} has no ingress Gateway` : `${from} is not a service or client of lab ${lab.name}`;
    throw new UsageError(`unknown --from ${from}: ${why} (from: ${known.join(', ')})`);
  } else if (from !== INGRESS && !callers.includes(from)) {
    throw new UsageError(`--from ${from} calls no service of lab ${lab.name}, so no request would leave it (callers: ${[...(ingress ? [INGRESS] : []), ...callers].join(', ')})`);
  }
  if (options.to !== undefined && !lab.services.some((s) => s.name === options.to)) {
    throw new UsageError(`unknown --to ${options.to}: not a service of lab ${lab.name} (services: ${lab.services.map((s) => s.name).join(', ')})`);
  }

  const request: HttpRequest = {
    method: options.method,
    path: options.path ?? (from === INGRESS ? firstIngressPath(manifests) : undefined) ?? '/',
    headers: options.headers,
  };
  const explanation = evaluate({ manifests, namespace: lab.namespace, callees, from, request, requests: options.requests, seed: options.seed });
  const context: ReportContext = {
    lab: lab.name,
    scenarios: build.applied.map((a) => a.preset.scenario.name),
    set: selection.set ?? {},
    from,
    seed: options.seed,
    request,
    to: options.to,
  };
  io.out(options.json ? formatJson(explanation, context) : formatText(explanation, context));
  return 0;
}
