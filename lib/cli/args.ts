import { isIP } from 'net';
import { PLATFORM } from '../app';
import { MeshlabError } from '../errors';
import { LAB_NAMES } from '../labs';
import { LabOptions } from '../labs/options';
import { PlatformProps } from '../platform/platform';

/** A mistake on the command line: reported as one line, exit code 2. */
export class UsageError extends MeshlabError {}

export interface CliOptions {
  readonly help: boolean;
  /** Labs (and `platform`) to write. @default all */
  readonly targets?: readonly string[];
  readonly out: string;
  readonly labOptions: Readonly<Record<string, LabOptions>>;
  readonly platform: PlatformProps;
}

export const USAGE = `usage: npm run synth -- [--lab NAME]... [--out DIR] [--registry HOST] [--namespace LAB=NS]... [--ingress-ip IP]...

  --lab NAME          write only this lab (repeatable): ${[...LAB_NAMES, PLATFORM].join(', ')}
  --out DIR           output folder (default: $CDK8S_OUTDIR, else dist)
  --registry HOST     pull every image through this registry (mirror)
  --namespace LAB=NS  put a lab in another namespace
  --ingress-ip IP     externalIPs of the ingress gateway Service (repeatable)
  --help              this text

Environment: MESHLAB_LAB (comma-separated labs), MESHLAB_REGISTRY, MESHLAB_INGRESS_IP (comma-separated).`;

const FLAGS = ['--lab', '--out', '--registry', '--namespace', '--ingress-ip', '--help'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Reads flags (`--flag value` or `--flag=value`) and their environment equivalents. */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliOptions {
  const values = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!FLAGS.includes(flag)) {
      throw new UsageError(arg.startsWith('-') ? `unknown flag ${flag} (flags: ${FLAGS.join(', ')})` : `unexpected argument ${arg} (flags: ${FLAGS.join(', ')})`);
    }
    if (flag === '--help') {
      help = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  const list = (flag: string, envName: string) =>
    values.get(flag) ?? (env[envName] ? env[envName]!.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  const single = (flag: string) => {
    const given = values.get(flag);
    if (given && given.length > 1) throw new UsageError(`${flag} given ${given.length} times; give it once`);
    return given?.[0];
  };

  const allowed = [...LAB_NAMES, PLATFORM];
  const targets = list('--lab', 'MESHLAB_LAB');
  for (const t of targets ?? []) {
    if (!allowed.includes(t)) throw new UsageError(`unknown lab ${t} (labs: ${allowed.join(', ')})`);
  }

  const registry = single('--registry') ?? env.MESHLAB_REGISTRY;
  if (registry !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9.:_\-/]*$/.test(registry)) {
    throw new UsageError(`--registry ${registry} is not a registry host (like registry.example.com:5000 or harbor.local/mirror)`);
  }

  const labOptions: Record<string, LabOptions> = Object.fromEntries(LAB_NAMES.map((name) => [name, { registry }]));
  for (const pair of values.get('--namespace') ?? []) {
    const [lab, ns] = pair.split('=');
    if (!LAB_NAMES.includes(lab) || ns === undefined) throw new UsageError(`--namespace ${pair} must be LAB=NAMESPACE with LAB one of ${LAB_NAMES.join(', ')}`);
    if (!DNS_LABEL.test(ns)) throw new UsageError(`--namespace ${pair}: ${ns} is not a valid namespace (lower-case letters, digits and '-', at most 63)`);
    labOptions[lab] = { ...labOptions[lab], namespace: ns };
  }

  const ingressIPs = list('--ingress-ip', 'MESHLAB_INGRESS_IP') ?? [];
  for (const ip of ingressIPs) {
    if (isIP(ip) === 0) throw new UsageError(`--ingress-ip ${ip} is not an IP address`);
  }

  return {
    help,
    targets,
    out: single('--out') ?? env.CDK8S_OUTDIR ?? 'dist',
    labOptions,
    platform: { ingressExternalIPs: ingressIPs },
  };
}
