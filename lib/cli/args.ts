import { PLATFORM } from '../app';
import { LABS, LAB_NAMES, LabDefinition } from '../labs';
import { LabOptions } from '../labs/options';
import { OutboundTrafficPolicy, PlatformProps } from '../platform/platform';
import { ScenarioSelection } from '../scenarios/engine';
import { APIS, Api, DataPlaneMode, Flavour, MODES } from '../mesh/flavour';
import { registryProblem } from '../validate/image';
import { allowedNames, didYouMean } from '../suggest';
import { UsageError, readFlags } from './flags';
import { canonicalIp, ingressIpProblem } from './ip';
import { OutSource } from './outdir';

export { UsageError };

export interface CliOptions {
  readonly help: boolean;
  readonly version: boolean;
  /** Print the labs, services and scenarios instead of writing. */
  readonly list: boolean;
  /** With `list`: as JSON. */
  readonly json: boolean;
  /** Labs (and `platform`) to write. @default all */
  readonly targets?: readonly string[];
  readonly out: string;
  /** Where `out` came from, for messages. */
  readonly outSource: OutSource;
  /** The flags file with the labs' scenarios. */
  readonly config: string;
  /** The flags file was named (`--config`, `MESHLAB_CONFIG`), so it must exist. */
  readonly configGiven: boolean;
  /**
   * Run by `npx cdk8s synth` (which sets CDK8S_RECORD_CONSTRUCT_METADATA for its app, see
   * cdk8s-cli lib/util.js synthApp): the CLI has emptied the output folder already.
   */
  readonly underCdk8s: boolean;
  /** Scenarios from the command line, for every selected lab; undefined means: the flags file's. */
  readonly scenarios?: ScenarioSelection;
  readonly labOptions: Readonly<Record<string, LabOptions>>;
  readonly platform: PlatformProps;
  /** The flavours to write (`--api`, `--mode`). @default every flavour */
  readonly flavours: readonly Flavour[];
  /** The labs there are: LABS, and the one --lab-file loaded. */
  readonly labs: readonly LabDefinition[];
}

export const USAGE = `usage: npm run synth -- [--lab L]... [--scenario S[,S...]]... [--set S.param=value]... [--out DIR]
       npm run synth -- --list [--json]

  --lab NAME            write only this lab (repeatable): ${[...LAB_NAMES, PLATFORM].join(', ')}
  --lab-file PATH       a lab of your own: a .ts or .js module whose default export is defineLab({...})
                        (from lib/index.ts); writes it alone unless --lab names others, in every flavour
  --scenario S[,S...]   switch scenarios on in the selected labs (repeatable); replaces the flags file's
  --set S.param=value   set a parameter of a switched-on scenario (repeatable)
  --list                list labs, services, versions, scenarios and their parameters (--json for JSON)
  --out DIR             output folder (default: $CDK8S_OUTDIR, else dist)
  --config FILE         flags file with each lab's scenarios (default: meshlab.config.json)
  --registry HOST       pull every image through this registry (mirror)
  --namespace LAB=NS    put a lab in another namespace
  --ingress-ip IP       externalIPs of the ingress gateway Service (repeatable)
  --outbound MODE       outbound traffic policy of the mesh: ALLOW_ANY (default) or REGISTRY_ONLY
  --api API             write only the labs' flavours in this routing API: istio or gateway-api
  --mode MODE           write only the labs' flavours in this data-plane mode: sidecar or ambient
                        (without both, every flavour: <lab>/, <lab>-gateway-api/, <lab>-ambient/)
  --help, -h            this text
  --version             meshlab's version

Environment (for npx cdk8s synth): MESHLAB_LAB, MESHLAB_SCENARIO (comma-separated), MESHLAB_SET
(semicolon-separated S.param=value), MESHLAB_CONFIG, MESHLAB_REGISTRY, MESHLAB_INGRESS_IP, MESHLAB_OUTBOUND, MESHLAB_API, MESHLAB_MODE.`;

/** The output folder the repository commits, and the default of --out. */
export const DEFAULT_OUT = 'dist';

export const VALUE_FLAGS = ['--lab', '--lab-file', '--scenario', '--set', '--out', '--config', '--registry', '--namespace', '--ingress-ip', '--outbound', '--api', '--mode'];
export const SWITCHES = ['--help', '-h', '--version', '--list', '--json'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * Namespaces no lab may take: `kubectl delete -f dist/<lab>/` deletes the lab's namespace.
 * Kubernetes keeps `kube-` for itself (kube-system, kube-public, kube-node-lease); Istio's
 * control plane and gateways live in istio-system (the platform's), its operator in
 * istio-operator, and istio.io's gateway installs use istio-ingress and istio-egress.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-*', 'istio-system', 'istio-operator', 'istio-ingress', 'istio-egress'];
const isSystemNamespace = (ns: string) => SYSTEM_NAMESPACES.some((s) => (s.endsWith('*') ? ns.startsWith(s.slice(0, -1)) : ns === s));
const OUTBOUND: readonly OutboundTrafficPolicy[] = ['ALLOW_ANY', 'REGISTRY_ONLY'];

/** `S.param=value` pairs (the value may itself hold '=') into a map. */
export function parseSets(pairs: readonly string[], origin = '--set'): Record<string, string> {
  const set: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`${origin} ${pair} must be scenario.parameter=value, e.g. canary.weights=v1:90,v2:10`);
    set[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return set;
}

/** The file --lab-file names, if any (read before the other flags, which may name its lab). */
export function labFileOf(argv: readonly string[]): string | undefined {
  const given = readFlags(argv, VALUE_FLAGS, SWITCHES).values.get('--lab-file');
  if (given && given.length > 1) throw new UsageError(`--lab-file given ${given.length} times; give it once`);
  return given?.[0];
}

/**
 * Reads flags (`--flag value` or `--flag=value`) and their environment equivalents. `labs` are
 * the labs there are: LABS, and a lab --lab-file loaded (last), which is then written alone
 * unless --lab names others.
 */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, labs: readonly LabDefinition[] = LABS): CliOptions {
  const labNames = labs.map((l) => l.name);
  const { values, switches } = readFlags(argv, VALUE_FLAGS, SWITCHES);
  const fromEnv = (name: string, separator: string) => (env[name] ? env[name]!.split(separator) : undefined);
  // Items of comma-separated lists are trimmed; empty items (`a,,b`, a trailing comma) are dropped.
  const list = (flag: string, envName: string) => {
    const raw = values.get(flag)?.flatMap((v) => (flag === '--set' ? [v] : v.split(','))) ?? fromEnv(envName, flag === '--set' ? ';' : ',');
    if (raw === undefined) return undefined;
    const items = raw.map((s) => s.trim()).filter(Boolean);
    if (items.length === 0 && flag !== '--set') throw new UsageError(`${values.has(flag) ? flag : envName} names nothing; give at least one name`);
    return items;
  };
  const single = (flag: string, envName: string) => {
    const given = values.get(flag);
    if (given && given.length > 1) throw new UsageError(`${flag} given ${given.length} times; give it once`);
    return given?.[0] ?? env[envName];
  };

  const allowed = [...labNames, PLATFORM];
  const own = labs.length > LABS.length && values.has('--lab-file') ? labNames[labNames.length - 1] : undefined;
  const named = list('--lab', 'MESHLAB_LAB');
  const targets = own === undefined ? named : [...new Set([...(named ?? []), own])];
  for (const t of targets ?? []) {
    if (!allowed.includes(t)) throw new UsageError(`unknown lab ${t} ${allowedNames(t, 'labs', allowed)}`);
  }

  const scenarioNames = list('--scenario', 'MESHLAB_SCENARIO');
  const sets = list('--set', 'MESHLAB_SET');
  if (sets?.length && !scenarioNames) {
    const name = sets[0].split(/[.=]/)[0];
    throw new UsageError(`--set ${sets[0]}: scenario ${name} is not switched on (add --scenario ${name})`);
  }
  const scenarios = scenarioNames ? { scenarios: [...new Set(scenarioNames)], set: parseSets(sets ?? []) } : undefined;

  const registry = single('--registry', 'MESHLAB_REGISTRY');
  const registryWhy = registry === undefined ? undefined : registryProblem(registry);
  if (registryWhy) {
    throw new UsageError(`--registry ${registry} ${registryWhy}: give host[:port][/path] without a scheme, like registry.example.com:5000 or harbor.local/mirror`);
  }

  const labOptions: Record<string, LabOptions> = Object.fromEntries(labNames.map((name) => [name, { registry }]));
  const namespaced = new Set<string>();
  for (const pair of values.get('--namespace') ?? []) {
    const eq = pair.indexOf('=');
    const [lab, ns] = eq < 0 ? [pair, undefined] : [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
    if (!labNames.includes(lab) || ns === undefined) throw new UsageError(`--namespace ${pair} must be LAB=NAMESPACE with LAB one of ${labNames.join(', ')}${didYouMean(lab, labNames)}`);
    if (!DNS_LABEL.test(ns)) throw new UsageError(`--namespace ${pair}: ${ns} is not a valid namespace (lower-case letters, digits and '-', at most 63)`);
    if (isSystemNamespace(ns)) {
      throw new UsageError(`--namespace ${pair}: ${ns} is a system namespace (${SYSTEM_NAMESPACES.join(', ')}); kubectl delete -f dist/${lab}/ would delete it`);
    }
    if (namespaced.has(lab)) throw new UsageError(`--namespace ${pair}: lab ${lab} was given a namespace already; give it once`);
    namespaced.add(lab);
    labOptions[lab] = { ...labOptions[lab], namespace: ns };
  }

  const ingressIPs = list('--ingress-ip', 'MESHLAB_INGRESS_IP') ?? [];
  const seen = new Set<string>();
  for (const ip of ingressIPs) {
    const why = ingressIpProblem(ip);
    if (why) throw new UsageError(`--ingress-ip ${ip} ${why}`);
    if (seen.has(canonicalIp(ip))) throw new UsageError(`--ingress-ip ${ip} is given twice; give each address once`);
    seen.add(canonicalIp(ip));
  }
  const outbound = single('--outbound', 'MESHLAB_OUTBOUND');
  if (outbound !== undefined && !OUTBOUND.includes(outbound as OutboundTrafficPolicy)) {
    throw new UsageError(`--outbound ${outbound} must be one of ${OUTBOUND.join(', ')}${didYouMean(outbound, OUTBOUND)}`);
  }
  const flavours = selectFlavours(single('--api', 'MESHLAB_API'), single('--mode', 'MESHLAB_MODE'));
  if (switches.has('--json') && !switches.has('--list')) throw new UsageError('--json goes with --list');
  const outFlag = single('--out', 'CDK8S_OUTDIR');
  const configFlag = single('--config', 'MESHLAB_CONFIG');

  return {
    help: switches.has('--help') || switches.has('-h'),
    version: switches.has('--version'),
    list: switches.has('--list'),
    json: switches.has('--json'),
    targets,
    out: outFlag ?? DEFAULT_OUT,
    outSource: values.has('--out') || env.CDK8S_OUTDIR === undefined ? '--out' : 'CDK8S_OUTDIR',
    config: configFlag ?? 'meshlab.config.json',
    configGiven: configFlag !== undefined,
    underCdk8s: env.CDK8S_RECORD_CONSTRUCT_METADATA !== undefined,
    scenarios,
    labOptions,
    platform: { ingressExternalIPs: ingressIPs, outboundTrafficPolicy: outbound as OutboundTrafficPolicy | undefined },
    flavours,
    labs,
  };
}

/** The flavours `--api` and `--mode` choose (Flavour.select), each value checked first. */
export function selectFlavours(api: string | undefined, mode: string | undefined): readonly Flavour[] {
  if (api !== undefined && !APIS.includes(api as Api)) throw new UsageError(`unknown --api ${api} ${allowedNames(api, 'allowed', APIS)}`);
  if (mode !== undefined && !MODES.includes(mode as DataPlaneMode)) throw new UsageError(`unknown --mode ${mode} ${allowedNames(mode, 'allowed', MODES)}`);
  try {
    return Flavour.select(api as Api | undefined, mode as DataPlaneMode | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
