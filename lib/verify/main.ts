import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCheck } from '../cli/check';
import { Io, runLongCommand } from '../cli/io';
import { UsageError } from '../cli/flags';
import { MeshlabError } from '../errors';
import { allowedNames } from '../suggest';
import { CODES } from '../validate/codes';
import { agreementTable, compareCase, Disagreement, Reported } from './agreement';
import { Case, CaseFile, corpusCases, fixtureCases, outputCases, writeCase } from './cases';
import { loadAll } from 'js-yaml';
import type { Manifest } from '../validate/manifest';
import { crossCheckGatewayApi, GATEWAY_API_VERSION, judgeOutputGatewayApi } from './gateway-api';
import { AnalyzeMessage, analyzeArgs, analyzeEach, ensureIstioTools, IstioTools, ISTIO_MODULE_VERSION, outputToJudge, parseAnalyze, parseManifestGenerate, parseValidate, Run, runIstioctl, Validated } from './istioctl';
import { mutations } from './mutations';
import { asAdmitted, demoProfile, gatewayApiCrds, podNameOf } from './pods';
import { GATEWAY_API_GROUP } from '../validate/gateway-api';
import { istioctlSuppressions, SUPPRESSIONS, unsuppressedMessages, unsuppressedValidateWarnings } from './suppressions';

export const VERIFY_USAGE = `usage: npm run verify:istio -- [--istioctl PATH] [--dist DIR] [--agreement-target PERCENT]
                             [--require-agreement] [--no-agreement] [--report FILE]

  --istioctl PATH          use this istioctl instead of building ${ISTIO_MODULE_VERSION} with go install
  --dist DIR               judge this synthesized output instead of a fresh synth into a temporary folder
  --agreement-target N     the agreement per code the table marks as reached (default 95)
  --require-agreement      exit 1 when a code check claims is below the target
  --no-agreement           judge meshlab's output only, skip the corpus
  --report FILE            write every istioctl message and every disagreement as JSON

Builds istioctl (cached), runs 'istioctl validate' and 'istioctl analyze --use-kube=false' on every
lab of every flavour and every step over its lab (with Pods made from the Deployments), judges
every Gateway API object of the output by the real Gateway API CRDs, then runs the corpus
(outputs, test/fixtures/check, mutations of both) through istioctl and 'npm run check' and prints
their agreement per code. Exit code: 0 nothing found in meshlab's output, 1 an error or a warning
found (or agreement below target with --require-agreement), 2 bad usage.`;

interface VerifyArgs {
  readonly istioctl?: string;
  readonly dist?: string;
  readonly target: number;
  readonly requireAgreement: boolean;
  readonly agreement: boolean;
  readonly report?: string;
  readonly help: boolean;
}

const VERIFY_VALUE_FLAGS = ['--istioctl', '--dist', '--agreement-target', '--report'];
const VERIFY_SWITCHES = ['--require-agreement', '--no-agreement', '--help'];

function parseArgs(argv: readonly string[]): VerifyArgs {
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (VERIFY_VALUE_FLAGS.includes(arg)) {
      if (argv[i + 1] === undefined) throw new UsageError(`${arg} needs a value`);
      values[arg] = argv[++i];
    } else if (VERIFY_SWITCHES.includes(arg)) {
      switches.add(arg);
    } else {
      throw new UsageError(`unknown argument ${arg} ${allowedNames(arg, 'flags', [...VERIFY_VALUE_FLAGS, ...VERIFY_SWITCHES])}`);
    }
  }
  const target = Number(values['--agreement-target'] ?? 95);
  if (!Number.isFinite(target) || target < 0 || target > 100) {
    throw new UsageError(`--agreement-target must be a percent from 0 to 100, got ${values['--agreement-target']}`);
  }
  return {
    istioctl: values['--istioctl'],
    dist: values['--dist'],
    target,
    requireAgreement: switches.has('--require-agreement'),
    agreement: !switches.has('--no-agreement'),
    report: values['--report'],
    help: switches.has('--help'),
  };
}

/** Runs `work` over `items`, `width` at a time, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/** What istioctl said about one case. */
interface Judged {
  readonly case: Case;
  /** Istio's analyzers reading every kind from the files (scripts/istio-analyze). */
  readonly analyze: AnalyzeMessage[];
  /** `istioctl analyze --use-kube=false`: the messages istio-analyze did not give too. */
  readonly offline: AnalyzeMessage[];
  readonly validate: Validated;
  /** The Pod made from a Deployment, as istioctl names it, to the Deployment check reports on. */
  readonly aliases: Map<string, string>;
  readonly checkDir: string;
}

const sameMessage = (a: AnalyzeMessage, b: AnalyzeMessage) => a.code === b.code && a.object === b.object && a.message === b.message;

/** A case written out twice: as the files are written (for istioctl and check) and as a cluster would hold them. */
interface Prepared {
  readonly case: Case;
  readonly checkDir: string;
  readonly clusterDir: string;
  readonly aliases: Map<string, string>;
}

function prepare(c: Case, dir: string): Prepared {
  const checkDir = path.join(dir, 'files');
  const clusterDir = path.join(dir, 'cluster');
  writeCase(c, checkDir);
  writeCase({ ...c, files: clusterFiles(c) }, clusterDir);
  const aliases = new Map<string, string>();
  for (const m of [...c.files, ...(c.verbatim ?? []).map(verbatimObjects)].flatMap((f) => f.objects)) {
    if (m.kind !== 'Deployment') continue;
    const ns = m.metadata.namespace ?? 'default';
    aliases.set(`Pod ${ns}/${podNameOf(m.metadata.name)}`, `Deployment ${ns}/${m.metadata.name}`);
  }
  return { case: c, checkDir, clusterDir, aliases };
}

/**
 * Runs a case through Istio: the files as a cluster would hold them (Pods for the Deployments,
 * sidecars injected, the demo profile's gateways) went to istio-analyze (`analyzed`, run for
 * many cases at once); with `gate`, the files as written go to `istioctl validate` (each object
 * alone, so a step's own file is enough), and the cluster's files to `istioctl analyze
 * --use-kube=false`, which drops the Kubernetes kinds.
 */
async function judge(tools: IstioTools, p: Prepared, analyzed: Run, gate: boolean): Promise<Judged> {
  const { case: c, checkDir, clusterDir, aliases } = p;
  const unprefix = (text: string) => text.split(checkDir + path.sep).join('').split(clusterDir + path.sep).join('');
  const tidy = (messages: AnalyzeMessage[]) => unsuppressedMessages(messages.map((m) => ({ ...m, message: unprefix(m.message) })));
  const analyze = tidy(parseAnalyze(analyzed));
  let offline: AnalyzeMessage[] = [];
  let validated: Validated = { warnings: [], errors: [] };
  if (gate) {
    offline = tidy(parseAnalyze(await runIstioctl(tools.istioctl, analyzeArgs([clusterDir], istioctlSuppressions()))))
      .filter((m) => !analyze.some((a) => sameMessage(a, m)));
    const own = c.focus ? c.files.slice(-1) : c.files;
    const run = parseValidate(await runIstioctl(tools.istioctl, ['validate', ...own.flatMap((f) => ['-f', path.join(checkDir, f.name)])]));
    validated = { warnings: unsuppressedValidateWarnings(run.warnings).map(unprefix), errors: run.errors.map(unprefix) };
  }
  return { case: c, analyze, offline, validate: validated, aliases, checkDir };
}

/** Writes the cases out, runs istio-analyze over all of them (two processes), then judges each. */
async function judgeAll(tools: IstioTools, cases: readonly Case[], nextDir: () => string, gate: boolean): Promise<Judged[]> {
  const prepared = cases.map((c) => prepare(c, nextDir()));
  const half = Math.ceil(prepared.length / 2);
  const chunks = [prepared.slice(0, half), prepared.slice(half)].filter((chunk) => chunk.length > 0);
  const analyzed = new Map<string, Run>();
  for (const results of await Promise.all(chunks.map((chunk) => analyzeEach(tools.analyzer, istioctlSuppressions(), chunk.map((p) => p.clusterDir))))) {
    for (const [dir, run] of results) analyzed.set(dir, run);
  }
  return pool(prepared, 2, (p) => judge(tools, p, analyzed.get(p.clusterDir)!, gate));
}

/** `npm run check -- --json DIR`, in this process: the findings it reports. */
function checkFindings(dir: string): Reported[] {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  const code = runCheck(['--json', dir], io);
  if (code === 2) throw new MeshlabError(`npm run check failed on ${dir}: ${lines.join(' ')}`);
  return (JSON.parse(lines.join('\n')).findings as Reported[]).map((f) => ({ code: f.code, object: f.object }));
}

const pct = (n: number) => `${n.toFixed(1)}%`;

async function verify(args: VerifyArgs, io: Io): Promise<number> {
  const root = path.resolve(__dirname, '..');
  const tools = ensureIstioTools(io.err, root, args.istioctl);
  io.out(`istioctl ${args.istioctl ?? `built from istio.io/istio@${ISTIO_MODULE_VERSION}`}; istio-analyze built from the same module`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'meshlab-verify-'));
  try {
    const dist = outputToJudge(root, scratch, args.dist);
    const outputs = outputCases(dist);
    let n = 0;
    const caseDir = () => path.join(scratch, 'cases', String(n++));

    // 1. meshlab's own output: nothing above info, from either command.
    const judged = await judgeAll(tools, outputs, caseDir, true);
    let errors = 0;
    let warnings = 0;
    let infos = 0;
    for (const j of judged) {
      const messages = [...j.analyze, ...j.offline];
      const shown = messages.filter((m) => m.level !== 'info');
      errors += shown.filter((m) => m.level === 'error').length + j.validate.errors.length;
      warnings += shown.filter((m) => m.level === 'warning').length + j.validate.warnings.length;
      infos += messages.length - shown.length;
      const clean = shown.length === 0 && j.validate.errors.length + j.validate.warnings.length === 0;
      io.out(`${clean ? 'ok  ' : 'FAIL'} ${j.case.name}${messages.length > shown.length ? ` (${messages.length - shown.length} info)` : ''}`);
      for (const m of j.analyze) io.out(`       analyze ${m.code} ${m.level} ${m.object}: ${m.message}`);
      for (const m of j.offline) io.out(`       analyze --use-kube=false ${m.code} ${m.level} ${m.object}: ${m.message}`);
      for (const l of j.validate.errors) io.out(`       validate error: ${l}`);
      for (const l of j.validate.warnings) io.out(`       validate warning: ${l}`);
    }
    // The platform's IstioOperators, rendered by istioctl as `istioctl install -f` would (seconds each).
    const operatorDir = path.join(dist, 'platform', 'istioctl');
    const operators = fs.existsSync(operatorDir) ? fs.readdirSync(operatorDir).filter((f) => f.endsWith('.yaml')).sort() : [];
    for (const f of operators) {
      const problems = parseManifestGenerate(await runIstioctl(tools.istioctl, ['manifest', 'generate', '-f', path.join(operatorDir, f)]));
      errors += problems.length;
      io.out(`${problems.length === 0 ? 'ok  ' : 'FAIL'} platform/istioctl/${f} (istioctl manifest generate)`);
      for (const l of problems) io.out(`       manifest generate: ${l}`);
    }
    // Every Gateway API object of every flavour, bases and steps, by the real CRDs and by npm run check (ML0017).
    const gwOut = judgeOutputGatewayApi(io.err, root, outputs, args.agreement ? 30 : 0);
    errors += gwOut.crdRejects.length + gwOut.checkRejects.length;
    io.out(
      `${gwOut.crdRejects.length + gwOut.checkRejects.length === 0 ? 'ok  ' : 'FAIL'} ${gwOut.total} Gateway API objects of the output ` +
        `(Gateway API ${GATEWAY_API_VERSION} CRDs, schema and CEL; npm run check ML0017): the CRDs reject ${gwOut.crdRejects.length}, ` +
        `check rejects ${gwOut.checkRejects.length}, both alike on ${gwOut.agree} of ${gwOut.total}`,
    );
    for (const l of gwOut.crdRejects) io.out(`       CRDs: ${l}`);
    for (const l of gwOut.checkRejects) io.out(`       check: ${l}`);
    io.out(
      `meshlab output: ${judged.length} labs and steps judged by istioctl validate and analyze, ${operators.length} IstioOperator(s) by manifest generate, ` +
        `${gwOut.total} Gateway API objects by the CRDs: ${errors} error(s), ${warnings} warning(s), ${infos} info; ${SUPPRESSIONS.length} suppression(s) (see docs/verify.md)`,
    );

    // 2. The corpus through both tools, compared per code check claims.
    let below = 0;
    if (gwOut.mutants) {
      io.out(
        `\nnpm run check (ML0017) and the Gateway API ${GATEWAY_API_VERSION} CRDs agree on ${gwOut.mutants.agree} of ${gwOut.mutants.total} ` +
          `mutations of the output's ${gwOut.total} Gateway API objects`,
      );
      for (const d of gwOut.mutants.disagreements.slice(0, 10)) io.out(`  ${d}`);
      if (gwOut.mutants.agree < gwOut.mutants.total) below++;
    }
    let report: unknown = { outputs: judged.map((j) => ({ case: j.case.name, analyze: j.analyze, offline: j.offline, validate: j.validate })), outputGatewayApi: gwOut };
    if (args.agreement) {
      const fixtureDir = path.join(root, 'test', 'fixtures', 'check');
      const fixtures = [...fixtureCases(fixtureDir), ...corpusCases(path.join(root, 'test', 'fixtures', 'corpus'), fixtureDir)];
      const mutated = mutations([...outputs, ...fixtures]);
      const corpus = [...judged, ...(await judgeAll(tools, [...fixtures, ...mutated], caseDir, false))];
      const claimed = new Set(Object.keys(CODES).filter((c) => c.startsWith('IST')));
      const perCase = corpus.map((j) => compareCase(j.case.name, j.analyze, checkFindings(j.checkDir), claimed, j.aliases));
      const table = agreementTable(perCase.map((p) => p.counts), claimed);
      const disagreements: Disagreement[] = perCase.flatMap((p) => p.disagreements);
      io.out(
        `\nagreement of npm run check with istioctl analyze on ${corpus.length} cases ` +
          `(${judged.length} outputs, ${fixtures.length} fixtures and test/fixtures/corpus files, ${mutated.length} mutations), by code and object:`,
      );
      io.out('code     both  only-istioctl  only-check  agreement');
      for (const row of table) {
        const reached = row.percent >= args.target;
        if (!reached) below++;
        io.out(
          `${row.code}  ${String(row.both).padStart(5)}  ${String(row.onlyIstioctl).padStart(13)}  ${String(row.onlyCheck).padStart(10)}  ` +
            `${pct(row.percent).padStart(9)}${reached ? '' : `  below ${args.target}%`}`,
        );
      }
      const total = table.reduce((s, r) => ({ both: s.both + r.both, all: s.all + r.both + r.onlyIstioctl + r.onlyCheck }), { both: 0, all: 0 });
      io.out(`all claimed codes: ${pct(total.all === 0 ? 100 : (100 * total.both) / total.all)}; ${below} code(s) below ${args.target}%`);
      for (const row of table.filter((r) => r.onlyIstioctl + r.onlyCheck > 0)) {
        const examples = disagreements.filter((d) => d.code === row.code).slice(0, 3);
        for (const d of examples) io.out(`  ${d.code} only ${d.by}: ${d.object} in ${d.case}`);
      }
      report = { ...(report as object), agreement: table, disagreements, corpus: corpus.map((j) => ({ case: j.case.name, analyze: j.analyze })) };

      // 3. The Gateway API checks against the real CRDs (lib/verify/gateway-api.ts): every fixture accepted or rejected alike.
      const gw = crossCheckGatewayApi(io.err, root);
      io.out(
        `\nGateway API ${GATEWAY_API_VERSION} CRDs (schema and CEL) and npm run check agree on ${gw.fixtures.agree} of ${gw.fixtures.total} fixtures ` +
          `(the CRDs name ${gw.fixtures.fieldsNamed} of ${gw.fixtures.fieldsTotal} expected fields) and on ${gw.mutants.agree} of ${gw.mutants.total} mutations of them`,
      );
      for (const d of [...gw.fixtures.disagreements, ...gw.mutants.disagreements.slice(0, 10)]) io.out(`  ${d}`);
      if (gw.fixtures.agree < gw.fixtures.total || gw.mutants.agree < gw.mutants.total) below++;
      report = { ...(report as object), gatewayApi: gw };
    }
    if (args.report) fs.writeFileSync(args.report, `${JSON.stringify(report, null, 2)}\n`);
    return errors + warnings > 0 || (args.requireAgreement && below > 0) ? 1 : 0;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** `npm run verify:istio`. Resolves to the exit code. */
export function runVerify(argv: readonly string[], io: Io): Promise<number> {
  return runLongCommand(io, 'meshlab verify:istio', VERIFY_USAGE, () => parseArgs(argv), (args) => verify(args, io));
}

/**
 * A case's files as a cluster would hold them, for Istio's analyzers: Pods for the Deployments
 * (those of files kept verbatim too, which are written as they are), sidecars injected or ambient
 * enrollment marked, the demo profile's gateways, what istiod deploys for Gateway API Gateways,
 * and the Gateway API CRDs where the case has Gateway API objects.
 */
export function clusterFiles(c: Case): CaseFile[] {
  const verbatim = (c.verbatim ?? []).map(verbatimObjects);
  const written = new Set(verbatim.map((f) => f.name));
  const files = [...c.files, ...verbatim];
  // A case with Gateway API objects runs where the platform's install command put the CRDs.
  const gatewayApi = files.some((f) => f.objects.some((m) => String(m.apiVersion).startsWith(`${GATEWAY_API_GROUP}/`)));
  return [...asAdmitted(files).filter((f) => !written.has(f.name)), demoProfile(), ...(gatewayApi ? [gatewayApiCrds(GATEWAY_API_VERSION)] : [])];
}

/** The objects of a file kept verbatim, when it parses; a text that does not parse has none. */
function verbatimObjects(v: { readonly name: string; readonly text: string }): CaseFile {
  try {
    const docs = loadAll(v.text) as unknown[];
    return { name: v.name, objects: docs.filter((d): d is Manifest => typeof (d as Manifest)?.kind === 'string' && typeof (d as Manifest)?.metadata?.name === 'string') };
  } catch {
    return { name: v.name, objects: [] };
  }
}
